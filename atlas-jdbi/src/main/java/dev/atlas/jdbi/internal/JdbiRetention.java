package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.BlobStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.RetentionPlan.ChildTable;
import dev.atlas.retention.Retention;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Handle;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@link Retention} on Jdbi. Every rule works in batches: select at most {@code batchSize}
 * parent rows, change them and their children, commit, repeat. Each batch is its own
 * {@link Db#write} transaction, so on SQLite appends from other threads interleave between
 * batches instead of waiting for the whole run.
 *
 * <p>Rules run in this order: archive idle conversations, purge conversations, soft-delete old
 * messages, hard-delete long-deleted messages, drop expired (and long-deleted) memories, purge
 * detached executions, finished tasks, long-deleted assets and detached voice calls (last, so a call
 * an execution purge unlinked first is counted as unlinked there and deleted here, in a dry run
 * alike). A dry run counts what each rule
 * would touch in the current state, rule by rule, and each asset once, with its attachments, vectors and bytes, whichever
 * rules would take it (see {@code countAssets}). The statements' texts are in {@link RetentionSql}.
 */
public final class JdbiRetention implements Retention {
    private static final Logger LOG = LoggerFactory.getLogger(JdbiRetention.class);
    private final Db db;
    private final Sql sql;
    private final RetentionSql q;
    private final BlobStore blobs;

    public JdbiRetention(Db db, String tenant, BlobStore blobs) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(RetentionSql.class, RetentionSql::new);
        this.blobs = blobs;
    }

    /**
     * A call of {@code text}, rendered with {@code ids} as its {@code <ids>} list, with those of
     * {@code binds} it names: a rule's binds are shared by the statements of one rule.
     */
    private Sql.Call call(Handle h, String name, String text, Map<String, ?> binds, List<UUID> ids) {
        Statement s = q.render(name, text, ids);
        Sql.Call call = sql.on(h, s);
        binds.forEach((k, v) -> {
            if (s.parameters().contains(k)) {
                call.bind(k, v);
            }
        });
        return InList.bind(call, "ids", ids);
    }

    @Override
    public RetentionReport runRetention(RetentionPolicy policy) {
        return runRetention(policy, () -> false);
    }

    @Override
    public RetentionReport runRetention(RetentionPolicy policy, BooleanSupplier stop) {
        return run(policy, stop, null, 0);
    }

    /** Runs {@code policy}; with a {@code holder}, each batch renews that lease for {@code micros} and the run stops once it is lost. */
    private RetentionReport run(RetentionPolicy policy, BooleanSupplier stop, @Nullable String holder, long micros) {
        Check.notNull("policy", policy);
        Check.notNull("stop", stop);
        db.checkOpen();
        Instant now = db.now();
        Run run = new Run(policy, now, stop, holder, micros);
        if (policy.archiveIdleAfter() != null) {
            run.archiveIdle(cutoff(now, policy.archiveIdleAfter()));
        }
        if (RetentionSql.purges(policy)) {
            run.purgeConversations();
        }
        if (policy.deleteMessagesAfter() != null) {
            run.softDeleteMessages(cutoff(now, policy.deleteMessagesAfter()));
        }
        if (policy.hardDeleteAfter() != null) {
            run.hardDeleteMessages(cutoff(now, policy.hardDeleteAfter()));
        }
        if (policy.dropExpiredMemories() || policy.hardDeleteAfter() != null) {
            run.dropMemories();
        }
        if (policy.purgeDetachedExecutionsAfter() != null) {
            run.purgeDetachedExecutions(cutoff(now, policy.purgeDetachedExecutionsAfter()));
        }
        if (policy.purgeFinishedTasksAfter() != null) {
            run.purgeFinishedTasks(cutoff(now, policy.purgeFinishedTasksAfter()));
        }
        if (policy.purgeDeletedAssetsAfter() != null) {
            run.purgeDeletedAssets(cutoff(now, policy.purgeDeletedAssetsAfter()));
        }
        if (policy.purgeDetachedVoiceCallsAfter() != null) {
            run.purgeDetachedVoiceCalls(cutoff(now, policy.purgeDetachedVoiceCallsAfter()));
        }
        run.counts.values().removeIf(v -> v == 0);
        return new RetentionReport(policy.dryRun(), run.counts, run.stopped);
    }

    /**
     * {@code now - age} rounded up to the microsecond. Stored times are whole microseconds, so a
     * row older than the exact cut-off is one before this; the bound value would otherwise be cut
     * down, and with an age holding a fraction of a microsecond a row just past it was kept.
     */
    static Instant cutoff(Instant now, Duration age) {
        Instant exact = now.minus(age);
        int below = exact.getNano() % 1_000;
        return below == 0 ? exact : exact.plusNanos(1_000 - below);
    }

    private static final String LEASE = "retention";
    /** Part assets deleted per statement: a batch of long conversations may carry many. */
    private static final int PARTS_CHUNK = 500;

    /** PostgreSQL's order of uuids (bytes compared unsigned); Java's {@link UUID#compareTo} compares both halves signed. */
    private static final Comparator<UUID> POSTGRES_UUID_ORDER = Comparator
            .comparing(UUID::getMostSignificantBits, Long::compareUnsigned)
            .thenComparing(UUID::getLeastSignificantBits, Long::compareUnsigned);

    /**
     * The assets {@code ids} in the order their chunks are locked in. Each chunk's lock takes its rows in id order; the chunks
     * follow this order, so two runs sharing more than a chunk of assets take every lock in the same order: in read order,
     * each could hold a chunk the other waits for.
     */
    static List<UUID> inLockOrder(Collection<UUID> ids) {
        List<UUID> sorted = new ArrayList<>(ids);
        sorted.sort(POSTGRES_UUID_ORDER);
        return sorted;
    }

    @Override
    public Optional<RetentionReport> runExclusive(RetentionPolicy policy, Duration lease) {
        return runExclusive(policy, lease, () -> false);
    }

    @Override
    public Optional<RetentionReport> runExclusive(RetentionPolicy policy, Duration lease, BooleanSupplier stop) {
        Check.notNull("policy", policy);
        Check.notNull("lease", lease);
        Check.notNull("stop", stop);
        if (lease.compareTo(MIN_LEASE) < 0 || lease.compareTo(Duration.ofDays(1)) > 0) {
            throw new InvalidInputException("lease", "must be between " + MIN_LEASE + " and one day, was " + lease);
        }
        String holder = UUID.randomUUID().toString();
        long micros = lease.toNanos() / 1_000;
        int taken = db.write(h -> sql.on(h, q.takeLease).bind("name", LEASE).bind("holder", holder).bind("micros", micros).update());
        if (taken == 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(run(policy, stop, holder, micros));
        } finally {
            db.write(h -> sql.on(h, q.releaseLease).bind("name", LEASE).bind("holder", holder).update());
        }
    }

    /** Parent rows a batch locks before its own (bound as {@code <ids>}), and the rule again on the chosen ids. */
    private record Guard(String parents, String recheck) {}

    private final class Run {
        final RetentionPolicy policy;
        final Instant now;
        final Map<String, Long> counts = new LinkedHashMap<>();
        final int batch;
        /** Every cutoff the policy sets, by name; a statement binds those it names (see {@link #call}). */
        final Map<String, Object> binds = new LinkedHashMap<>();
        /** Conversations the next purge batch reads (see {@link #purgeBatch}). */
        int want;
        /** Detached executions the next purge batch reads (see {@link #executionBatch}). */
        int wantExecutions;
        /**
         * Whether the last {@link #purgeBatch} or {@link #executionBatch} read every candidate left (fewer than it asked for)
         * and took them all: the run's rule then ends with that batch instead of a transaction that finds nothing.
         */
        boolean drained;
        final BooleanSupplier stop;
        /** Once the stop signal was seen: no transaction starts after it. */
        boolean stopped;

        /** The lease this run holds (runExclusive), renewed by every batch; null for none. */
        final @Nullable String holder;
        final long leaseMicros;

        Run(RetentionPolicy policy, Instant now, BooleanSupplier stop, @Nullable String holder, long leaseMicros) {
            this.policy = policy;
            this.now = now;
            this.stop = stop;
            this.holder = holder;
            this.leaseMicros = leaseMicros;
            this.batch = policy.batchSize();
            this.want = Math.min(batch, 32);
            this.wantExecutions = want;
            binds.put("now", now);
            if (policy.purgeArchivedAfter() != null) {
                binds.put("archivedCutoff", cutoff(now, policy.purgeArchivedAfter()));
            }
            if (policy.hardDeleteAfter() != null) {
                binds.put("deletedCutoff", cutoff(now, policy.hardDeleteAfter()));
            }
            if (policy.purgeDetachedExecutionsAfter() != null) {
                binds.put("detachedCutoff", cutoff(now, policy.purgeDetachedExecutionsAfter()));
            }
        }

        /** Whether to stop before the next transaction; asks {@link #stop} until it once says yes. */
        boolean stopping() {
            if (!stopped && stop.getAsBoolean()) {
                stopped = true;
            }
            return stopped;
        }

        void add(String key, long n) {
            counts.merge(key, n, Long::sum);
        }

        /** {@link #binds} with {@code :cutoff}, the rule's own. */
        Map<String, Object> with(Instant cutoff) {
            Map<String, Object> b = new LinkedHashMap<>(binds);
            b.put("cutoff", cutoff);
            return b;
        }

        long count(String name, String text, Map<String, Object> binds) {
            return stopping() ? 0 : db.read(h -> call(h, name, text, binds, List.of()).one(Sql.LONG));
        }

        /** One batch's work on the ids it selected; blob keys it claims go to {@code blobKeys}. */
        interface Work {
            void run(Handle h, List<UUID> ids, List<String> blobKeys);
        }

        /**
         * Runs {@code work} on batches of at most {@code batch} ids of {@code select}, each batch
         * its own transaction, until one comes back short. Claimed blobs are deleted after each commit.
         */
        private void batches(String name, String select, Map<String, Object> binds, Work work) {
            repeat(batch, (h, keys) -> {
                List<UUID> ids = call(h, name, select + " LIMIT :batch", binds, List.of()).bind("batch", batch).list(sql.uuidColumn());
                if (!ids.isEmpty()) {
                    work.run(h, ids, keys);
                }
                return ids.size();
            });
        }

        /**
         * {@link #batches(String, String, Map, Work)} for rows whose other writers lock a parent
         * row first (a message's writers lock its conversation): on PostgreSQL the batch locks
         * those parents ({@code guard.parents()}) before its own rows, in the same order, and then
         * checks the rule again on the chosen ids ({@code guard.recheck()}). A writer that got its
         * parent lock first is waited for and its change seen; one that comes later waits for the
         * batch and then finds the row gone, as after any delete.
         */
        private void batches(String name, String select, Map<String, Object> binds, Work work, @Nullable Guard guard) {
            if (guard == null || db.dialect().forUpdate().isEmpty()) {
                batches(name, select, binds, work);
                return;
            }
            repeat(batch, (h, keys) -> {
                List<UUID> chosen = call(h, name, select + " LIMIT :batch", binds, List.of()).bind("batch", batch).list(sql.uuidColumn());
                if (chosen.isEmpty()) {
                    return 0;
                }
                call(h, name + ".lockParents", guard.parents(), binds, chosen).list(sql.uuidColumn());
                Set<UUID> still = new HashSet<>(call(h, name + ".recheck", guard.recheck(), binds, chosen).list(sql.uuidColumn()));
                List<UUID> ids = chosen.stream().filter(still::contains).toList();
                if (!ids.isEmpty()) {
                    work.run(h, ids, keys);
                }
                return chosen.size();
            });
        }

        /** Runs {@code step} a transaction at a time while it handles at least {@code more} rows; see {@link #deleteBlobs}. */
        private void repeat(int more, java.util.function.ToIntBiFunction<Handle, List<String>> step) {
            int n;
            do {
                if (stopping()) {
                    return;
                }
                List<String> keys = new ArrayList<>();
                n = db.write(h -> {
                    keys.clear();
                    if (holder != null && sql.on(h, q.renewLease).bind("name", LEASE).bind("holder", holder).bind("micros", leaseMicros)
                            .update() == 0) {
                        return -1;
                    }
                    return step.applyAsInt(h, keys);
                });
                if (n < 0) {
                    // A batch outlasted the lease and another holder took it over: that run goes on from here.
                    LOG.warn("retention lease was taken over by another holder (a batch outlasted it); this run stops");
                    stopped = true;
                    return;
                }
                deleteBlobs(keys);
            } while (n >= more);
        }

        private void delete(Handle h, String table, List<UUID> ids) {
            add(table + ".deleted", call(h, "retention.purge." + table, RetentionSql.delete(table), binds, ids).update());
        }

        // ---- archive idle conversations, messages, memories -----------------------------------

        void archiveIdle(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            if (policy.dryRun()) {
                add("conversations.archived", count("retention.countIdle", RetentionSql.COUNT_IDLE, b));
                return;
            }
            batches("retention.idle", RetentionSql.IDLE, b, (h, ids, keys) ->
                    add("conversations.archived", call(h, "retention.archive", RetentionSql.ARCHIVE, b, ids).update()));
        }

        void softDeleteMessages(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            if (policy.dryRun()) {
                add("messages.soft_deleted", count("retention.countOldMessages", RetentionSql.countOldMessages(policy), b));
                return;
            }
            Dialect d = db.dialect();
            JsonDoc details = Json.internal(Map.of("by", "retention"));
            batches("retention.oldMessages", RetentionSql.OLD_MESSAGE_IDS, b, (h, ids, keys) -> {
                List<UUID[]> changed = call(h, "retention.softDelete", RetentionSql.SOFT_DELETE, b, ids)
                        .list((rs, ctx) -> new UUID[] {d.uuid(rs, "id"), d.uuid(rs, "conversation_id")});
                if (changed.isEmpty()) {
                    return;
                }
                Sql.Call events = sql.on(h, q.deletedEvent);
                for (UUID[] r : changed) {
                    events.bind("id", Ids.next(db.clock())).bind("c", r[1]).bind("m", r[0]).bind("details", details).bind("now", now).add();
                }
                events.batch();
                add("messages.soft_deleted", changed.size());
            });
        }

        void hardDeleteMessages(Instant cutoff) {
            if (policy.dryRun()) {
                countPages(RetentionSql.HARD_DELETABLE + " AND NOT " + RetentionSql.purgedConversation(policy, "m.conversation_id"), "m.id",
                        with(cutoff), RetentionPlan.MESSAGE_CHILDREN, "messages",
                        page -> countAssets(db.read(h -> partsAlone(h, RetentionPlan.MESSAGE_ATTACHMENTS, page))));
                return;
            }
            purge("messages", RetentionSql.HARD_DELETABLE + RetentionSql.REPLIES_FIRST, with(cutoff), RetentionPlan.MESSAGE_CHILDREN, null, null,
                    new Guard(q.lockConversationsOfMessages(), RetentionSql.HARD_DELETABLE + " AND m.id IN (<ids>)" + db.dialect().forUpdate()),
                    RetentionPlan.MESSAGE_ATTACHMENTS);
        }

        void dropMemories() {
            // On PostgreSQL an update holds its memory's row lock while it adds a revision and tags:
            // each batch locks its memories first and checks the rule again under the locks, so such
            // a write is either waited for and purged with the memory, or finds the memory gone
            // (deleting the children first, it could commit a revision the memory's delete then
            // tripped over as a foreign key error).
            String select = RetentionSql.memories(policy);
            purge("memories", select, binds, RetentionPlan.MEMORY_CHILDREN, null, null,
                    new Guard("SELECT id FROM <p>memories WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id" + db.dialect().forUpdate(),
                            select + " AND id IN (<ids>)"), null);
        }

        // ---- purge conversations -----------------------------------------------------------

        private List<UUID> withDescendants(Handle h, List<UUID> roots) {
            return call(h, "retention.withDescendants", RetentionSql.WITH_DESCENDANTS, binds, roots).list(sql.uuidColumn());
        }

        void purgeConversations() {
            if (policy.dryRun()) {
                // Pages of roots by id; memory stays bounded by the batch size however many
                // conversations would go. Trees are disjoint once nested roots (those with a
                // purgeable ancestor) are left to their topmost purgeable ancestor, so nothing is
                // counted twice.
                pages("retention.purgeablePage", RetentionSql.purgeable(policy), "a.id", binds, page -> {
                    List<UUID> ids = db.read(h -> {
                        Set<UUID> nested = new HashSet<>(call(h, "retention.purgedWithAncestor", RetentionSql.purgedWithAncestor(policy),
                                binds, page).list(sql.uuidColumn()));
                        List<UUID> roots = page.stream().filter(id -> !nested.contains(id)).toList();
                        return roots.isEmpty() ? List.<UUID>of() : withDescendants(h, roots);
                    });
                    if (!ids.isEmpty()) {
                        add("messages.detached", db.read(h -> call(h, "retention.countDetached", RetentionSql.countDetached(policy), binds, ids)
                                .one(Sql.LONG)));
                        add("voice_calls.unlinked", db.read(h -> call(h, "retention.countUnlinkedVoiceCalls",
                                RetentionSql.countUnlinkedVoiceCalls(policy), binds, ids).one(Sql.LONG)));
                        countChildren(RetentionSql.CONVERSATION_ROWS, ids, false);
                        countAssets(db.read(h -> call(h, "retention.executionAssets", RetentionPlan.EXECUTION_ASSETS, binds, ids)
                                .list(sql.uuidColumn())));
                        countAssets(db.read(h -> partsAlone(h, RetentionPlan.CONVERSATION_ATTACHMENTS, ids)));
                        add("conversations.deleted", ids.size());
                    }
                });
                return;
            }
            repeat(1, (h, keys) -> {
                List<UUID> candidates = purgeBatch(h);
                if (candidates.isEmpty()) {
                    return 0;
                }
                int more = drained ? 0 : candidates.size();
                lockTrees(h, candidates);
                // The rule again on what concurrent appends, restores and tool threads committed
                // since the candidates were chosen (a fresh statement sees them under READ COMMITTED).
                List<UUID> roots = call(h, "retention.stillPurgeable", RetentionSql.stillPurgeable(policy), binds, candidates)
                        .list(sql.uuidColumn());
                add("conversations.skipped", candidates.size() - roots.size());
                if (roots.isEmpty()) {
                    return more;
                }
                List<UUID> ids = withDescendants(h, roots);
                if (!db.dialect().forUpdate().isEmpty()) {
                    // The messages the detach below updates first, as a hard delete takes a message before its assets'
                    // executions (Newcomer39cContract#hardDeleteOfAMessageHoldingAPurgedExecutionsImageRacingThatPurgeBothComplete).
                    call(h, "retention.lockDetachedMessages", q.lockDetachedMessages(), binds, ids).list(sql.uuidColumn());
                    call(h, "retention.lockExecutions", q.lockExecutions(), binds, ids).list(sql.uuidColumn());
                    call(h, "retention.lockExecutionAssets", q.lockAssetsOf(RetentionPlan.EXECUTIONS), binds, ids).list(sql.uuidColumn());
                }
                claimBlobs(h, "retention.purgedBlobKeys", RetentionPlan.PURGED_BLOB_KEYS, ids, keys);
                deleteParts(h, RetentionPlan.CONVERSATION_ATTACHMENTS, ids, keys);
                call(h, "retention.keepOneActive", RetentionSql.DETACH_KEEPING_ONE_ACTIVE, binds, ids).update();
                add("messages.detached", call(h, "retention.countDetached", RetentionSql.countDetached(policy), binds, ids).one(Sql.LONG));
                call(h, "retention.detach", RetentionSql.DETACH, binds, ids).update();
                add("voice_calls.unlinked", call(h, "retention.countUnlinkedVoiceCalls", RetentionSql.countUnlinkedVoiceCalls(policy),
                        binds, ids).one(Sql.LONG));
                call(h, "retention.detachVoiceCalls", RetentionSql.DETACH_VOICE_CALLS, binds, ids).update();
                deleteChildren(h, RetentionPlan.CONVERSATION_CHILDREN, ids);
                // One statement for the whole tree: the parent_conversation_id foreign key is
                // checked at the end of the statement on both databases.
                delete(h, "conversations", ids);
                return more;
            });
        }

        /**
         * Locks the candidates and every tool thread below them for this transaction (together,
         * in id order: see below; a thread committed below a tree while it was being locked is
         * locked next, until none is left). Candidates are chosen without a lock, and until now an append could still
         * reopen one, write into one of its tool threads or create a tool thread below it (an
         * append takes its conversation's row lock to allocate the sequence; a new tool thread
         * takes a share lock on its parent through the foreign key). From here on those wait for
         * the purge and then find no conversation, so the purge's own deletes can no longer meet
         * a row it did not see. SQLite's single writer already excludes them.
         *
         * <p>The trees are locked together, in id order: a tool thread's id may sort before its
         * parent's (an instance whose clock lags made it), so locking the candidates first and the
         * threads below them next deadlocked with another instance's purge that chose a thread and
         * its parent together, as candidates in id order.
         */
        private void lockTrees(Handle h, List<UUID> candidates) {
            if (db.dialect().forUpdate().isEmpty()) {
                return;
            }
            Set<UUID> locked = new HashSet<>();
            List<UUID> pending = withDescendants(h, candidates);
            while (!pending.isEmpty()) {
                locked.addAll(pending);
                call(h, "retention.lock", q.lock(), binds, pending).list(sql.uuidColumn());
                // A tool thread created below a child before that child was locked: lock it too.
                pending = withDescendants(h, candidates).stream().filter(id -> !locked.contains(id)).toList();
            }
        }

        /**
         * The next conversations to purge in one transaction, bounded by the rows their trees carry
         * (about two per message: the message and its audit event; and their executions' steps,
         * tool calls and assets; their tool threads' too), not by their count: on SQLite
         * a batch holds the only write lock, so a batch of long conversations would stall every
         * append for its whole length. At least one conversation, however long.
         *
         * <p>Each row read costs a walk of its tool threads (the rule's quiet-tree half), so the
         * query asks for about as many conversations as the last batch used, not for
         * {@code batchSize}: with 10-message conversations, reading 500 to use 23 made the
         * PostgreSQL purge 3.5 times slower.
         */
        private List<UUID> purgeBatch(Handle h) {
            int asked = want;
            Dialect d = db.dialect();
            // A conversation of a few messages may carry long tool loops: 5 such of 242 execution rows each, counted as 3 rows,
            // made one SQLite batch of 7,700 rows holding the write lock 260 ms (RetentionContract#purgeBatchesAreSizedByTheExecutionRowsToo).
            List<Map.Entry<UUID, Long>> candidates = call(h, "retention.purgeBatch", RetentionSql.purgeBatch(policy), binds, List.of())
                    .bind("want", asked).list((rs, ctx) -> Map.entry(d.uuid(rs, "id"), rs.getLong("tree_rows")));
            List<UUID> roots = new ArrayList<>();
            want = taken(candidates, asked, roots);
            drained = candidates.size() < asked && roots.size() == candidates.size();
            return roots;
        }

        /**
         * Adds to {@code taken} the first of {@code candidates} (ids with their rows) whose rows fit in {@link #batch}, at least
         * one; returns how many candidates the next batch should read: about as many as this one took when it was full, else
         * twice as many as it read ({@code asked}), at most {@link #batch}.
         */
        private int taken(List<Map.Entry<UUID, Long>> candidates, int asked, List<UUID> taken) {
            long rows = 0;
            boolean full = false;
            for (Map.Entry<UUID, Long> c : candidates) {
                long size = c.getValue();
                if (!taken.isEmpty() && rows + size > batch) {
                    full = true;
                    break;
                }
                taken.add(c.getKey());
                rows += size;
            }
            int next = full ? Math.max(1, taken.size() + taken.size() / 2 + 1) : Math.min(batch, asked * 2);
            return Math.min(batch, next);
        }

        /**
         * The next detached executions to purge in one transaction, bounded by the rows they carry (themselves, their steps,
         * tool calls and assets), as {@link #purgeBatch} bounds conversations: 500 executions of long tool loops were one
         * transaction of any size. At least one execution, however long.
         */
        private List<UUID> executionBatch(Handle h, Map<String, Object> b, String select) {
            int asked = wantExecutions;
            Dialect d = db.dialect();
            List<Map.Entry<UUID, Long>> candidates = call(h, "retention.select.executions", RetentionSql.sizedExecutions(select), b, List.of())
                    .bind("want", asked).list((rs, ctx) -> Map.entry(d.uuid(rs, "id"), rs.getLong("execution_rows")));
            List<UUID> ids = new ArrayList<>();
            wantExecutions = taken(candidates, asked, ids);
            drained = candidates.size() < asked && ids.size() == candidates.size();
            return ids;
        }

        // ---- detached executions, finished tasks, deleted assets ----------------------------

        /**
         * Messages may name an execution that has no conversation (an application links them
         * itself): they keep their content and lose the link, as in the conversation purge.
         */
        void purgeDetachedExecutions(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            String select = RetentionSql.detachedExecutions("cutoff");
            if (policy.dryRun()) {
                countPages(select, "id", b, RetentionSql.EXECUTION_ROWS, "executions", page -> {
                    add("messages.detached", db.read(h -> call(h, "retention.countDetachedFromExecutions",
                            RetentionSql.countDetachedFromExecutions(policy), b, page).one(Sql.LONG)));
                    add("voice_calls.unlinked", db.read(h -> call(h, "retention.countUnlinkedVoiceCallsOfExecutions",
                            RetentionSql.countUnlinkedVoiceCallsOfExecutions(policy), b, page).one(Sql.LONG)));
                    countAssets(db.read(h -> call(h, "retention.assetsOfExecutions", RetentionPlan.ASSETS_OF_EXECUTIONS, b, page)
                            .list(sql.uuidColumn())));
                });
                return;
            }
            repeat(1, (h, keys) -> {
                List<UUID> ids = executionBatch(h, b, select);
                if (ids.isEmpty()) {
                    return 0;
                }
                if (!db.dialect().forUpdate().isEmpty()) {
                    // An append or upload naming one of them share-locks it: it commits first (and its
                    // row is unlinked or deleted below) or waits and then finds no execution. The messages the
                    // detach updates come first, as in the conversation purge
                    // (Newcomer39cContract#hardDeleteOfAMessageHoldingADetachedExecutionsImageRacingItsPurgeBothComplete).
                    call(h, "retention.lockMessagesOfExecutions", q.lockMessagesOfExecutions(), b, ids).list(sql.uuidColumn());
                    call(h, "retention.lockDetachedExecutions", q.lockExecutionsById(), b, ids).list(sql.uuidColumn());
                    call(h, "retention.lockDetachedAssets", q.lockAssetsOf("<ids>"), b, ids).list(sql.uuidColumn());
                }
                claimBlobs(h, "retention.blobKeys.executions", RetentionSql.EXECUTION_BLOB_KEYS, ids, keys);
                add("voice_calls.unlinked", call(h, "retention.unlink.executions", RetentionSql.UNLINK_VOICE_CALLS, b, ids).update());
                call(h, "retention.keepOneActiveOfExecutions", RetentionSql.DETACH_FROM_EXECUTIONS_KEEPING_ONE_ACTIVE, b, ids).update();
                add("messages.detached", call(h, "retention.detachFromExecutions", RetentionSql.DETACH_FROM_EXECUTIONS, b, ids).update());
                deleteChildren(h, RetentionPlan.EXECUTION_CHILDREN, ids);
                delete(h, "executions", ids);
                return drained ? 0 : ids.size();
            });
        }

        void purgeFinishedTasks(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            if (policy.dryRun()) {
                countPages(RetentionSql.FINISHED_TASKS, "id", b, List.of(), "tasks", null);
                return;
            }
            batches("retention.select.tasks", RetentionSql.FINISHED_TASKS, b, (h, ids, keys) ->
                    add("tasks.deleted", call(h, "retention.purge.tasks", RetentionSql.DELETE_FINISHED_TASKS, b, ids).update()));
        }

        /**
         * Finished voice calls of no conversation, not written since the cut-off. The delete
         * checks the rule again on each row: a summary that committed since the SELECT
         * (PostgreSQL re-reads an updated row before deleting it) keeps its call.
         */
        void purgeDetachedVoiceCalls(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            if (policy.dryRun()) {
                countPages(RetentionSql.DETACHED_VOICE_CALL_IDS, "id", b, List.of(), "voice_calls", null);
                return;
            }
            batches("retention.select.voice_calls", RetentionSql.DETACHED_VOICE_CALL_IDS, b, (h, ids, keys) ->
                    add("voice_calls.deleted", call(h, "retention.purge.voice_calls", RetentionSql.DELETE_DETACHED_VOICE_CALLS, b, ids).update()));
        }

        /** Long-deleted assets, a batch per transaction (see {@link #deleteAssets}). */
        void purgeDeletedAssets(Instant cutoff) {
            Map<String, Object> b = with(cutoff);
            String select = RetentionSql.deletedAssets(policy);
            if (policy.dryRun()) {
                pages("retention.page.assets", select, "id", b, this::countAssets);
                return;
            }
            String lock = q.lockDeletedAssets(policy);
            batches("retention.select.assets", select, b, (h, chosen, keys) ->
                    deleteAssets(h, "retention.lockDeletedAssets", lock, b, chosen, keys));
        }

        /**
         * Deletes the assets {@code chosen} that {@code lock} (bound as {@code <ids>}) still finds, with their
         * attachments and vectors, claiming their blob keys into {@code keys}. On PostgreSQL every path that
         * deletes assets takes its locks in one order: the assets' executions (share-locked here; the purges of
         * executions lock them for update before the executions' assets), then the assets in id order
         * ({@code lock} checks the rule again under the locks), then their attachments, and only then the blob
         * keys, which a discard or an erase records holding its asset. An attach share-locks its asset before it
         * adds the attachment: it commits first and its attachment is deleted here (deleted before the lock, it
         * was missed and the asset's delete failed on its foreign key), or it waits and then finds no asset. A
         * detach takes the attachment alone, never the asset: one deleting the attachment first is waited for.
         */
        private void deleteAssets(Handle h, String lockName, String lock, Map<String, Object> binds, List<UUID> chosen,
                                  List<String> keys) {
            deleteAssets(h, lockName, lock, binds, chosen, keys, null);
        }

        /** {@link #deleteAssets}, keeping those of the locked assets that {@code kept}, read once they are locked, names. */
        private void deleteAssets(Handle h, String lockName, String lock, Map<String, Object> binds, List<UUID> chosen,
                                  List<String> keys, java.util.function.@Nullable Supplier<Set<UUID>> kept) {
            boolean locks = !db.dialect().forUpdate().isEmpty();
            if (locks) {
                call(h, "retention.shareExecutionsOfAssets", q.shareExecutionsOfAssets(), binds, chosen).list(sql.uuidColumn());
            }
            List<UUID> ids = locks ? call(h, lockName, lock, binds, chosen).list(sql.uuidColumn()) : chosen;
            if (kept != null) {
                Set<UUID> held = kept.get();
                ids = ids.stream().filter(id -> !held.contains(id)).toList();
            }
            if (ids.isEmpty()) {
                return;
            }
            deleteChildren(h, List.of(RetentionPlan.ASSET_ATTACHMENTS), ids);
            List<String> claimed = call(h, "retention.blobKeys.assets", RetentionSql.ASSET_BLOB_KEYS, binds, ids).list(Sql.STRING);
            BlobReaper.recordPurged(sql, h, claimed, db.now());
            keys.addAll(claimed);
            deleteChildren(h, List.of(RetentionPlan.ASSET_VECTORS), ids);
            delete(h, "assets", ids);
        }

        /**
         * Deletes the rows of {@code table} {@code select} finds with their children, a batch per
         * transaction (a dry run counts them); the blob keys {@code blobKeys} names are claimed in
         * that transaction and their bytes deleted after it commits. {@code unlink} runs before
         * the children go.
         */
        private void purge(String table, String select, Map<String, Object> binds, List<ChildTable> children,
                           @Nullable String blobKeys, @Nullable String unlink) {
            purge(table, select, binds, children, blobKeys, unlink, null, null);
        }

        /**
         * {@link #purge}, each batch taking {@code guard}'s parent locks first (see {@link #batches(String, String, Map, Work, Guard)})
         * and deleting the assets that are parts of its rows, found by {@code attachments} (see {@link #deleteParts}).
         */
        private void purge(String table, String select, Map<String, Object> binds, List<ChildTable> children,
                           @Nullable String blobKeys, @Nullable String unlink, @Nullable Guard guard, @Nullable String attachments) {
            String keysName = "retention.blobKeys." + table;
            if (policy.dryRun()) {
                countPages(select, "id", binds, children, table, blobKeys == null ? null : page -> countBlobs(keysName, blobKeys, page));
                return;
            }
            batches("retention.select." + table, select, binds, (h, ids, keys) -> {
                if (blobKeys != null) {
                    claimBlobs(h, keysName, blobKeys, ids, keys);
                }
                if (unlink != null) {
                    call(h, "retention.unlink." + table, unlink, binds, ids).update();
                }
                if (attachments != null) {
                    deleteParts(h, attachments, ids, keys);
                }
                deleteChildren(h, children, ids);
                delete(h, table, ids);
            }, guard);
        }

        // ---- assets that are parts of messages ------------------------------------------------

        /**
         * The assets attached to the parents {@code ids}, each once, in the order read, each with whether any of the parents holds
         * it as a part of its message ({@link AttachedAsset#PART}). The mark is read here, not in SQL: neither database's JSON
         * operators are used anywhere else, and a batch's attachments are few.
         */
        private Map<UUID, Boolean> attachedAssets(Handle h, String attachments, List<UUID> ids) {
            Dialect d = db.dialect();
            Map<UUID, Boolean> assets = new LinkedHashMap<>();
            for (Object[] a : call(h, "retention.attachments", attachments, binds, ids).list((rs, ctx) -> new Object[] {
                    d.uuid(rs, "asset_id"), Boolean.TRUE.equals(Json.readMap(rs.getString("metadata")).get(AttachedAsset.PART))})) {
                assets.merge((UUID) a[0], (Boolean) a[1], Boolean::logicalOr);
            }
            return assets;
        }

        /** The assets attached to the parents {@code ids} as parts of their messages, each once (see {@link #attachedAssets}). */
        private List<UUID> parts(Handle h, String attachments, List<UUID> ids) {
            List<UUID> parts = new ArrayList<>();
            attachedAssets(h, attachments, ids).forEach((asset, part) -> {
                if (part) {
                    parts.add(asset);
                }
            });
            return parts;
        }

        /**
         * Of the assets attached to the parents {@code ids}, those a message outside them also holds (the same image
         * forwarded to another message, perhaps another owner's): a part stays for that message.
         */
        private Set<UUID> heldElsewhere(Handle h, String attachments, List<UUID> ids) {
            String elsewhere = attachments.equals(RetentionPlan.MESSAGE_ATTACHMENTS) ? RetentionPlan.MESSAGE_PARTS_HELD_ELSEWHERE
                    : RetentionPlan.CONVERSATION_PARTS_HELD_ELSEWHERE;
            return new HashSet<>(call(h, "retention.partsHeldElsewhere", elsewhere, binds, ids).list(sql.uuidColumn()));
        }

        /**
         * {@link #parts} without those a message the run keeps also holds: what a dry run counts as deleted with the
         * parents. Not {@link #heldElsewhere}: a holder outside the page that a later page or rule deletes keeps nothing
         * in the real run, which deletes the part with its last holder (see {@link #takeOverParts}).
         */
        private List<UUID> partsAlone(Handle h, String attachments, List<UUID> ids) {
            boolean ofConversations = !attachments.equals(RetentionPlan.MESSAGE_ATTACHMENTS);
            Set<UUID> kept = new HashSet<>(call(h, "retention.partsHeldByKeptMessages",
                    RetentionSql.partsHeldByKeptMessages(policy, ofConversations), binds, ids).list(sql.uuidColumn()));
            return parts(h, attachments, ids).stream().filter(id -> !kept.contains(id)).toList();
        }

        /**
         * Deletes the assets that are parts of the parents {@code ids} (an image inline in a message,
         * a message kept as a file), with their vectors and every attachment, claiming their blob
         * keys into {@code keys}: they go with their message, as an execution's assets go with its
         * conversation, unless a message outside the parents also holds them ({@link #heldElsewhere}):
         * then they stay for it, and only the parents' attachments go. Runs before the parents' own
         * attachments are deleted, which name them.
         */
        private void deleteParts(Handle h, String attachments, List<UUID> ids, List<String> keys) {
            // On PostgreSQL every asset the parents hold is locked, part or not, and which of them are parts is read again then.
            // Another run taking a part over from its purged holder marks the parents' attachment under that lock: read only
            // before it, the attachment was a plain upload, this batch deleted the holder without its part while the other run
            // kept the part for this holder, and the part outlived both
            // (Newcomer39cContract#secondRunDeletingThePartsOtherHolderMeanwhileLeavesNoPartBehind). A part read before stays
            // one: an erase that deleted its holder's attachment meanwhile leaves the part to this batch
            // (PostgresRetentionRaceTest#eraseRacingConversationPurgeOfItsParts).
            boolean locks = !db.dialect().forUpdate().isEmpty();
            Map<UUID, Boolean> read = attachedAssets(h, attachments, ids);
            Set<UUID> partsRead = new HashSet<>();
            read.forEach((asset, part) -> {
                if (part) {
                    partsRead.add(asset);
                }
            });
            List<UUID> candidates = inLockOrder(locks ? read.keySet() : partsRead);
            String lock = q.lockAssets();
            for (int i = 0; i < candidates.size(); i += PARTS_CHUNK) {
                // Read under the assets' locks (PostgreSQL): an attach elsewhere that committed before them is seen here and
                // keeps its asset; one that comes later waits for them and then finds the asset gone.
                List<UUID> chunk = candidates.subList(i, Math.min(candidates.size(), i + PARTS_CHUNK));
                deleteAssets(h, "retention.lockParts", lock, binds, chunk, keys, () -> {
                    Set<UUID> parts = new HashSet<>(partsRead);
                    if (locks) {
                        attachedAssets(h, attachments, ids).forEach((asset, part) -> {
                            if (part) {
                                parts.add(asset);
                            }
                        });
                    }
                    Set<UUID> held = heldElsewhere(h, attachments, ids);
                    takeOverParts(h, chunk.stream().filter(id -> parts.contains(id) && held.contains(id)).toList());
                    Set<UUID> kept = new HashSet<>(held);
                    chunk.stream().filter(id -> !parts.contains(id)).forEach(kept::add);
                    return kept;
                });
            }
        }

        /**
         * Marks {@link AttachedAsset#PART} the attachments of the parts {@code kept} (held by a message outside the batch,
         * locked) that messages the run deletes hold, in the batch's transaction: the part then goes with the last of them,
         * whatever order the batches and rules take, and a run that stops (a signal, a lost lease, a failure) before their
         * batch leaves the mark for the next run, which deletes the part with them; held as a plain upload, it stayed for
         * ever without a holder. The attachments of messages the run keeps are left as they are (their metadata is the
         * application's): such a message keeps the part as an upload. Nothing of the run is held in memory between batches.
         */
        private void takeOverParts(Handle h, List<UUID> kept) {
            if (kept.isEmpty()) {
                return;
            }
            Dialect d = db.dialect();
            List<Object[]> marked = new ArrayList<>();
            for (Object[] a : call(h, "retention.partHolders", RetentionSql.partHoldersTheRunDeletes(policy), binds, kept)
                    .list((rs, ctx) -> new Object[] {d.uuid(rs, "id"), rs.getString("metadata")})) {
                Map<String, Object> metadata = new LinkedHashMap<>(Json.readMap((String) a[1]));
                if (!Boolean.TRUE.equals(metadata.get(AttachedAsset.PART))) {
                    metadata.put(AttachedAsset.PART, true);
                    marked.add(new Object[] {a[0], Json.internal(metadata)});
                }
            }
            if (marked.isEmpty()) {
                return;
            }
            Sql.Call update = sql.on(h, q.takeOverPart);
            for (Object[] m : marked) {
                update.bind("id", m[0]).bind("metadata", m[1]).add();
            }
            update.batch();
        }

        /**
         * The assets this dry run counted as deleted, by any rule: the real run deletes each once, with the first rule that takes
         * it (a purged conversation's execution or message part, a hard-deleted message's part, a purged detached execution, a
         * long-deleted asset), so no later page or rule counts it again. As many ids as assets the run would delete.
         */
        private final Set<UUID> countedAssets = new HashSet<>();

        /**
         * What the real run deletes with the assets {@code ids} (see {@link #deleteAssets}, and the execution rules' children): the
         * rows, their vectors and every attachment, and their bytes, each asset once per run. The attachments of messages the run
         * deletes and the vectors of purged conversations are counted with those ({@link RetentionSql#countAssetChild}).
         */
        private void countAssets(List<UUID> ids) {
            List<UUID> fresh = ids.stream().filter(countedAssets::add).toList();
            for (int i = 0; i < fresh.size(); i += PARTS_CHUNK) {
                List<UUID> chunk = fresh.subList(i, Math.min(fresh.size(), i + PARTS_CHUNK));
                add("assets.deleted", chunk.size());
                for (ChildTable child : RetentionPlan.ASSET_CHILDREN) {
                    add(child.table() + ".deleted", db.read(h -> call(h, "retention.countAsset." + child.table(),
                            RetentionSql.countAssetChild(child, policy), binds, chunk).one(Sql.LONG)));
                }
                countBlobs("retention.assetBlobKeys", RetentionSql.ASSET_BLOB_KEYS, chunk);
            }
        }

        // ---- blobs ---------------------------------------------------------------------------

        /** Adds the keys {@code blobKeys} names for {@code ids} to {@code keys}, recorded as claimed in this transaction. */
        private void claimBlobs(Handle h, String name, String blobKeys, List<UUID> ids, List<String> keys) {
            keys.addAll(call(h, name, blobKeys, binds, ids).list(Sql.STRING));
            BlobReaper.recordPurged(sql, h, keys, db.now());
        }

        /**
         * Bytes go only after their rows are committed: a failed purge keeps both. A blob that
         * cannot be deleted now keeps the claimed intent the purge recorded, so
         * {@code AssetStore.cleanupOrphanBlobs} removes it; one another row still names stays.
         */
        private void deleteBlobs(List<String> keys) {
            add("asset_blobs.deleted", BlobReaper.deleteUnnamed(sql, blobs, keys, (key, failure, e) ->
                    LOG.warn("could not delete purged asset blob {}; cleanupOrphanBlobs will retry: {}", key, failure)).size());
        }

        /** The rows whose bytes this dry run counted so far: a key's rows in several batches leave it unnamed with the last. */
        private final BlobReaper.Going goingBlobs = new BlobReaper.Going();

        /**
         * What {@link #deleteBlobs} would report for the keys {@code blobKeys} names for {@code ids}, with the rows of the batches
         * counted before gone too.
         */
        private void countBlobs(String name, String blobKeys, List<UUID> ids) {
            add("asset_blobs.deleted", db.read(h -> BlobReaper.unnamedAfter(sql, h, call(h, name, blobKeys, binds, ids).list(Sql.STRING),
                    goingBlobs)));
        }

        // ---- children and dry-run pages ------------------------------------------------------

        /** Pages of {@code batch} ids of {@code select} in id order, so a dry run holds no more ids in memory than a real batch does. */
        private void pages(String name, String select, String idColumn, Map<String, Object> binds, Consumer<List<UUID>> perPage) {
            UUID last = null;
            while (!stopping()) {
                UUID after = last;
                List<UUID> page = db.read(h -> {
                    Sql.Call call = call(h, name, RetentionSql.page(select, idColumn, after == null), binds, List.of()).bind("batch", batch);
                    return (after == null ? call : call.bind("after", after)).list(sql.uuidColumn());
                });
                if (page.isEmpty()) {
                    return;
                }
                perPage.accept(page);
                last = page.get(page.size() - 1);
            }
        }

        /** Counts the rows of {@code table} {@code select} finds and their children, a page at a time. */
        private void countPages(String select, String idColumn, Map<String, Object> binds, List<ChildTable> children, String table,
                                @Nullable Consumer<List<UUID>> perPage) {
            pages("retention.page." + table, select, idColumn, binds, page -> {
                countChildren(children, page, true);
                add(table + ".deleted", page.size());
                if (perPage != null) {
                    perPage.accept(page);
                }
            });
        }

        private void deleteChildren(Handle h, List<ChildTable> children, List<UUID> ids) {
            for (ChildTable child : children) {
                add(child.table() + ".deleted", call(h, "retention.delete." + child.table(), child.deleteSql(), binds, ids).update());
            }
        }

        private void countChildren(List<ChildTable> children, List<UUID> ids, boolean afterPurge) {
            for (ChildTable child : children) {
                add(child.table() + ".deleted", db.read(h -> call(h, "retention.count." + child.table(),
                        RetentionSql.countChild(child, policy, afterPurge), binds, ids).one(Sql.LONG)));
            }
        }
    }
}
