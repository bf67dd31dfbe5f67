package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@link Retention} on Jdbi. Every rule works in batches: select at most {@code batchSize}
 * parent rows, change them and their children, commit, repeat. Each batch is its own
 * {@link Db#write} transaction, so on SQLite appends from other threads interleave between
 * batches instead of waiting for the whole run.
 *
 * <p>Rules run in this order: archive idle conversations, purge conversations, soft-delete old
 * messages, hard-delete long-deleted messages, drop expired (and long-deleted) memories. A dry
 * run counts what each rule would touch in the current state, rule by rule.
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

    private Sql.Call call(Handle h, String name, String text, Map<String, ?> binds) {
        return call(h, name, text, binds, List.of());
    }

    @Override
    public RetentionReport runRetention(RetentionPolicy policy) {
        Check.notNull("policy", policy);
        Instant now = db.now();
        Map<String, Long> counts = new LinkedHashMap<>();
        Run run = new Run(policy, now, counts);
        if (policy.archiveIdleAfter() != null) {
            run.archiveIdle(now.minus(policy.archiveIdleAfter()));
        }
        if (policy.purgeArchivedAfter() != null || policy.hardDeleteAfter() != null) {
            run.purgeConversations();
        }
        if (policy.deleteMessagesAfter() != null) {
            run.softDeleteMessages(now.minus(policy.deleteMessagesAfter()));
        }
        if (policy.hardDeleteAfter() != null) {
            run.hardDeleteMessages(now.minus(policy.hardDeleteAfter()));
        }
        if (policy.dropExpiredMemories() || policy.hardDeleteAfter() != null) {
            run.dropMemories();
        }
        if (policy.purgeDetachedExecutionsAfter() != null) {
            run.purgeDetachedExecutions(now.minus(policy.purgeDetachedExecutionsAfter()));
        }
        if (policy.purgeFinishedTasksAfter() != null) {
            run.purgeFinishedTasks(now.minus(policy.purgeFinishedTasksAfter()));
        }
        if (policy.purgeDeletedAssetsAfter() != null) {
            run.purgeDeletedAssets(now.minus(policy.purgeDeletedAssetsAfter()));
        }
        counts.values().removeIf(v -> v == 0);
        return new RetentionReport(policy.dryRun(), counts);
    }

    private static final String LEASE = "retention";

    @Override
    public java.util.Optional<RetentionReport> runExclusive(RetentionPolicy policy, java.time.Duration lease) {
        Check.notNull("policy", policy);
        Check.notNull("lease", lease);
        if (lease.isNegative() || lease.isZero() || lease.compareTo(java.time.Duration.ofDays(1)) > 0) {
            throw new dev.atlas.InvalidInputException("lease", "must be positive and at most one day, was " + lease);
        }
        String holder = java.util.UUID.randomUUID().toString();
        long micros = lease.toNanos() / 1_000;
        int taken = db.write(h -> sql.on(h, q.takeLease).bind("name", LEASE).bind("holder", holder).bind("micros", micros).update());
        if (taken == 0) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(runRetention(policy));
        } finally {
            db.write(h -> sql.on(h, q.releaseLease).bind("name", LEASE).bind("holder", holder).update());
        }
    }

    private final class Run {
        final RetentionPolicy policy;
        final Instant now;
        final Map<String, Long> counts;
        final int batch;
        /** Conversations the next purge batch reads (see {@link #purgeBatch}). */
        int want;

        Run(RetentionPolicy policy, Instant now, Map<String, Long> counts) {
            this.policy = policy;
            this.now = now;
            this.counts = counts;
            this.batch = policy.batchSize();
            this.want = Math.min(batch, 32);
        }

        void add(String key, long n) {
            counts.merge(key, n, Long::sum);
        }

        long count(String name, String text, Map<String, Object> binds) {
            return db.read(h -> call(h, name, text, binds).one(Sql.LONG));
        }

        // ---- archive idle conversations ----------------------------------------------------

        void archiveIdle(Instant cutoff) {
            String idle = "status = 'open' AND deleted_at IS NULL AND activity_at < :cutoff";
            if (policy.dryRun()) {
                add("conversations.archived", count("retention.countIdle", "SELECT COUNT(*) FROM <p>conversations WHERE tenant_id = :t AND " + idle,
                        Map.of("cutoff", cutoff)));
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<UUID> ids = call(h, "retention.idle", "SELECT id FROM <p>conversations WHERE tenant_id = :t AND " + idle + " LIMIT :batch",
                            Map.of("cutoff", cutoff, "batch", batch)).list(sql.uuidColumn());
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    // The rule again on the row being updated: an append that committed since the
                    // SELECT (PostgreSQL) made the conversation active, and it stays open.
                    add("conversations.archived", call(h, "retention.archive", "UPDATE <p>conversations SET status = 'archived', archived_at = :now,"
                            + " updated_at = :now WHERE tenant_id = :t AND id IN (<ids>) AND " + idle, Map.of("now", now, "cutoff", cutoff), ids).update());
                    return ids.size();
                });
                if (n < batch) {
                    return;
                }
            }
        }

        // ---- purge conversations -----------------------------------------------------------

        /**
         * The purge rules on the conversation row aliased {@code a}: archived (or deleted) before
         * the cutoff, and nothing in it or its tool threads written since the cutoff. The second
         * half is what keeps a message appended to a tool thread (which does not reopen the
         * conversation above it) from going with that conversation.
         */
        private String purgeRule(String a) {
            List<String> rules = new ArrayList<>();
            if (policy.purgeArchivedAfter() != null) {
                rules.add("(" + a + ".status = 'archived' AND " + a + ".archived_at < :archivedCutoff AND "
                        + quietTree(a, "archivedCutoff") + ")");
            }
            if (policy.hardDeleteAfter() != null) {
                rules.add("(" + a + ".deleted_at IS NOT NULL AND " + a + ".deleted_at < :deletedCutoff AND "
                        + quietTree(a, "deletedCutoff") + ")");
            }
            return "(" + String.join(" OR ", rules) + ")";
        }

        /** No conversation in the tree below {@code a} (itself included) has activity at or after {@code :cutoff}. */
        private static String quietTree(String a, String cutoff) {
            return "NOT EXISTS (WITH RECURSIVE subtree (id) AS (SELECT " + a + ".id"
                    + " UNION SELECT x.id FROM <p>conversations x JOIN subtree ON x.tenant_id = :t AND x.parent_conversation_id = subtree.id)"
                    + " SELECT 1 FROM subtree JOIN <p>conversations y ON y.tenant_id = :t AND y.id = subtree.id"
                    + " WHERE y.activity_at >= :" + cutoff + ")";
        }

        /**
         * For a dry run, whose later rules still see the rows the earlier rules would delete: the
         * conversation {@code conversation} goes with a purged tree (it or an ancestor is
         * purgeable), so its rows are already counted there. Uses {@link #purgeBinds}.
         */
        private String purgedConversation(String conversation) {
            if (policy.purgeArchivedAfter() == null && policy.hardDeleteAfter() == null) {
                return "1 = 0";
            }
            return "EXISTS (WITH RECURSIVE anc (id) AS (SELECT " + conversation + " UNION SELECT z.parent_conversation_id FROM <p>conversations z"
                    + " JOIN anc ON z.tenant_id = :t AND z.id = anc.id WHERE z.parent_conversation_id IS NOT NULL)"
                    + " SELECT 1 FROM anc JOIN <p>conversations pa ON pa.tenant_id = :t AND pa.id = anc.id WHERE " + purgeRule("pa") + ")";
        }

        private String purgeable() {
            return "SELECT a.id FROM <p>conversations a WHERE a.tenant_id = :t AND " + purgeRule("a");
        }

        private Map<String, Object> purgeBinds() {
            Map<String, Object> binds = new LinkedHashMap<>();
            if (policy.purgeArchivedAfter() != null) {
                binds.put("archivedCutoff", now.minus(policy.purgeArchivedAfter()));
            }
            if (policy.hardDeleteAfter() != null) {
                binds.put("deletedCutoff", now.minus(policy.hardDeleteAfter()));
            }
            return binds;
        }

        /** The given conversations and every tool thread below them, which must go with them. */
        private List<UUID> withDescendants(Handle h, List<UUID> roots) {
            return call(h, "retention.withDescendants", "WITH RECURSIVE tree (id) AS (SELECT id FROM <p>conversations WHERE tenant_id = :t"
                    + " AND id IN (<ids>) UNION SELECT c.id FROM <p>conversations c JOIN tree ON c.tenant_id = :t"
                    + " AND c.parent_conversation_id = tree.id) SELECT id FROM tree", Map.of(), roots).list(sql.uuidColumn());
        }

        /**
         * Of the given purgeable conversations, those with a purgeable ancestor: they go with
         * that ancestor's tree, so a dry run counts them there and only there.
         */
        private Set<UUID> purgedWithAncestor(Handle h, List<UUID> roots, Map<String, Object> binds) {
            return new HashSet<>(call(h, "retention.purgedWithAncestor", "WITH RECURSIVE up (start_id, id) AS ("
                            + "SELECT id, parent_conversation_id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)"
                            + " AND parent_conversation_id IS NOT NULL"
                            + " UNION SELECT up.start_id, c.parent_conversation_id FROM <p>conversations c JOIN up"
                            + " ON c.tenant_id = :t AND c.id = up.id WHERE c.parent_conversation_id IS NOT NULL)"
                            + " SELECT DISTINCT up.start_id FROM up JOIN <p>conversations a ON a.tenant_id = :t AND a.id = up.id"
                            + " WHERE " + purgeRule("a"), binds, roots).list(sql.uuidColumn()));
        }

        void purgeConversations() {
            Map<String, Object> binds = purgeBinds();
            if (policy.dryRun()) {
                // Pages of roots by id; memory stays bounded by the batch size however many
                // conversations would go. Trees are disjoint once nested roots are left to their
                // topmost purgeable ancestor, so nothing is counted twice.
                UUID last = null;
                while (true) {
                    UUID after = last;
                    List<UUID> page = db.read(h -> {
                        Sql.Call call = call(h, "retention.purgeablePage", purgeable() + (after == null ? "" : " AND a.id > :after")
                                + " ORDER BY a.id LIMIT :batch", binds).bind("batch", batch);
                        return (after == null ? call : call.bind("after", after)).list(sql.uuidColumn());
                    });
                    if (page.isEmpty()) {
                        break;
                    }
                    last = page.get(page.size() - 1);
                    List<UUID> ids = db.read(h -> {
                        Set<UUID> nested = purgedWithAncestor(h, page, binds);
                        List<UUID> roots = page.stream().filter(id -> !nested.contains(id)).toList();
                        return roots.isEmpty() ? List.<UUID>of() : withDescendants(h, roots);
                    });
                    if (!ids.isEmpty()) {
                        countDetached(RetentionPlan.CONVERSATION_DETACH, ids);
                        countChildren(RetentionPlan.CONVERSATION_CHILDREN, ids, false);
                        countBlobs("retention.purgedBlobKeys", RetentionPlan.PURGED_BLOB_KEYS, ids);
                        add("conversations.deleted", ids.size());
                    }
                }
                return;
            }
            while (true) {
                List<String> purgedBlobs = new ArrayList<>();
                int n = db.write(h -> {
                    purgedBlobs.clear();
                    List<UUID> candidates = purgeBatch(h, binds);
                    if (candidates.isEmpty()) {
                        return 0;
                    }
                    lockTrees(h, candidates);
                    List<UUID> roots = stillPurgeable(h, candidates, binds);
                    add("conversations.skipped", candidates.size() - roots.size());
                    if (roots.isEmpty()) {
                        return candidates.size();
                    }
                    List<UUID> ids = withDescendants(h, roots);
                    purgedBlobs.addAll(call(h, "retention.purgedBlobKeys", RetentionPlan.PURGED_BLOB_KEYS, Map.of(), ids).list(Sql.STRING));
                    JdbiAssetStore.recordPurgedBlobs(sql, h, purgedBlobs, db.now());
                    detach(h, RetentionPlan.CONVERSATION_DETACH, ids);
                    deleteChildren(h, RetentionPlan.CONVERSATION_CHILDREN, ids);
                    // One statement for the whole tree: the parent_conversation_id foreign key is
                    // checked at the end of the statement on both databases.
                    add("conversations.deleted", call(h, "retention.deleteConversations",
                            "DELETE FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)", Map.of(), ids).update());
                    return candidates.size();
                });
                deleteBlobs(purgedBlobs);
                if (n == 0) {
                    return;
                }
            }
        }

        /**
         * Locks the candidates and every tool thread below them, in that order, for this
         * transaction. Candidates are chosen without a lock, and until now an append could still
         * reopen one, write into one of its tool threads or create a tool thread below it (an
         * append takes its conversation's row lock to allocate the sequence; a new tool thread
         * takes a share lock on its parent through the foreign key). From here on those wait for
         * the purge and then find no conversation, so the purge's own deletes can no longer meet
         * a row it did not see. SQLite's single writer already excludes them.
         */
        private void lockTrees(Handle h, List<UUID> candidates) {
            if (db.dialect().forUpdate().isEmpty()) {
                return;
            }
            Set<UUID> locked = new HashSet<>();
            List<UUID> pending = candidates;
            while (!pending.isEmpty()) {
                locked.addAll(pending);
                call(h, "retention.lock", "SELECT id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id"
                        + db.dialect().forUpdate(), Map.of(), pending).list(sql.uuidColumn());
                // A tool thread created below a child before that child was locked: lock it too.
                pending = withDescendants(h, candidates).stream().filter(id -> !locked.contains(id)).toList();
            }
        }

        /**
         * The candidates that are still purgeable now that their trees are locked: the rule is
         * evaluated again on what concurrent appends, restores and tool threads committed since
         * the candidates were chosen (a fresh statement sees them under READ COMMITTED).
         */
        private List<UUID> stillPurgeable(Handle h, List<UUID> candidates, Map<String, Object> binds) {
            return call(h, "retention.stillPurgeable", purgeable() + " AND a.id IN (<ids>)", binds, candidates).list(sql.uuidColumn());
        }

        /**
         * The next conversations to purge in one transaction, bounded by the rows they carry
         * (about two per message: the message and its audit event), not by their count: on SQLite
         * a batch holds the only write lock, so a batch of long conversations would stall every
         * append for its whole length. At least one conversation, however long.
         *
         * <p>Each row read costs a walk of its tool threads (the rule's quiet-tree half), so the
         * query asks for about as many conversations as the last batch used, not for
         * {@code batchSize}: with 10-message conversations, reading 500 to use 23 made the
         * PostgreSQL purge 3.5 times slower.
         */
        private List<UUID> purgeBatch(Handle h, Map<String, Object> binds) {
            int asked = want;
            Dialect d = db.dialect();
            List<Map.Entry<UUID, Long>> candidates = call(h, "retention.purgeBatch",
                    purgeable().replace("SELECT a.id FROM", "SELECT a.id, a.last_sequence FROM") + " LIMIT :want", binds)
                    .bind("want", asked).list((rs, ctx) -> Map.entry(d.uuid(rs, "id"), rs.getLong("last_sequence")));
            List<UUID> roots = new ArrayList<>();
            long rows = 0;
            boolean full = false;
            for (Map.Entry<UUID, Long> c : candidates) {
                long size = 2 * c.getValue() + 1;
                if (!roots.isEmpty() && rows + size > batch) {
                    full = true;
                    break;
                }
                roots.add(c.getKey());
                rows += size;
            }
            want = full ? Math.max(1, roots.size() + roots.size() / 2 + 1) : Math.min(batch, asked * 2);
            want = Math.min(batch, want);
            return roots;
        }

        /**
         * Bytes go only after their rows are committed: a failed purge keeps both. A blob that
         * cannot be deleted now keeps the claimed intent the purge recorded, so
         * {@code AssetStore.cleanupOrphanBlobs} removes it; one another row still names stays.
         */
        private void deleteBlobs(List<String> keys) {
            add("asset_blobs.deleted", JdbiAssetStore.deleteUnnamedBlobs(sql, blobs, keys, (key, e) ->
                    LOG.warn("could not delete purged asset blob {}; cleanupOrphanBlobs will retry: {}", key, e.toString())).size());
        }

        /** What {@link #deleteBlobs} would report for the keys {@code blobKeys} names for {@code ids}. */
        private void countBlobs(String name, String blobKeys, List<UUID> ids) {
            add("asset_blobs.deleted", db.read(h -> JdbiAssetStore.unnamedAfter(sql, h, call(h, name, blobKeys, Map.of(), ids).list(Sql.STRING))));
        }

        // ---- messages ----------------------------------------------------------------------

        void softDeleteMessages(Instant cutoff) {
            String where = " FROM <p>messages WHERE tenant_id = :t AND deleted_at IS NULL AND created_at < :cutoff";
            if (policy.dryRun()) {
                add("messages.soft_deleted", count("retention.countOldMessages", "SELECT COUNT(*)" + where, Map.of("cutoff", cutoff)));
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<UUID> ids = call(h, "retention.oldMessages", "SELECT id" + where + " LIMIT :batch", Map.of("cutoff", cutoff, "batch", batch))
                            .list(sql.uuidColumn());
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    // Only rows still live: a user's delete that committed since the SELECT keeps
                    // its own time and its own single audit event.
                    Dialect d = db.dialect();
                    List<UUID[]> changed = call(h, "retention.softDelete", "UPDATE <p>messages SET deleted_at = :now, updated_at = :now"
                                    + " WHERE tenant_id = :t AND id IN (<ids>) AND deleted_at IS NULL RETURNING id, conversation_id", Map.of("now", now), ids)
                            .list((rs, ctx) -> new UUID[] {d.uuid(rs, "id"), d.uuid(rs, "conversation_id")});
                    if (changed.isEmpty()) {
                        return ids.size();
                    }
                    Sql.Call events = sql.on(h, q.deletedEvent);
                    JsonDoc details = Json.internal(Map.of("by", "retention"));
                    for (UUID[] r : changed) {
                        events.bind("id", Ids.next(db.clock())).bind("c", r[1]).bind("m", r[0]).bind("details", details).bind("now", now).add();
                    }
                    events.batch();
                    add("messages.soft_deleted", changed.size());
                    return ids.size();
                });
                if (n < batch) {
                    return;
                }
            }
        }

        void hardDeleteMessages(Instant cutoff) {
            // A message still referenced as the parent of a message that is not going too stays
            // (as a soft-deleted row) until that child goes. Children sort after their parents, so
            // newest-first batches never delete a parent before its child.
            String where = " FROM <p>messages m WHERE m.tenant_id = :t AND m.deleted_at IS NOT NULL AND m.deleted_at < :cutoff"
                    + " AND NOT EXISTS (SELECT 1 FROM <p>messages ch WHERE ch.tenant_id = :t AND ch.parent_id = m.id"
                    + " AND NOT (ch.deleted_at IS NOT NULL AND ch.deleted_at < :cutoff))";
            if (policy.dryRun()) {
                Map<String, Object> binds = purgeBinds();
                binds.put("cutoff", cutoff);
                dryRunPages("SELECT m.id" + where + " AND NOT " + purgedConversation("m.conversation_id"), "m.id", binds,
                        RetentionPlan.MESSAGE_CHILDREN, "messages.deleted", null);
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<UUID> ids = call(h, "retention.hardDeletable", "SELECT m.id" + where + " ORDER BY m.created_at DESC, m.sequence DESC"
                            + " LIMIT :batch", Map.of("cutoff", cutoff, "batch", batch)).list(sql.uuidColumn());
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    deleteChildren(h, RetentionPlan.MESSAGE_CHILDREN, ids);
                    add("messages.deleted", call(h, "retention.deleteMessages", "DELETE FROM <p>messages WHERE tenant_id = :t AND id IN (<ids>)",
                            Map.of(), ids).update());
                    return ids.size();
                });
                if (n < batch) {
                    return;
                }
            }
        }

        // ---- memories ----------------------------------------------------------------------

        void dropMemories() {
            List<String> rules = new ArrayList<>();
            Map<String, Object> binds = new LinkedHashMap<>();
            if (policy.dropExpiredMemories()) {
                rules.add("(expires_at IS NOT NULL AND expires_at <= :now)");
                binds.put("now", now);
            }
            if (policy.hardDeleteAfter() != null) {
                rules.add("(deleted_at IS NOT NULL AND deleted_at < :deletedCutoff)");
                binds.put("deletedCutoff", now.minus(policy.hardDeleteAfter()));
            }
            String select = "SELECT id FROM <p>memories WHERE tenant_id = :t AND (" + String.join(" OR ", rules) + ")";
            if (policy.dryRun()) {
                dryRunPages(select, "id", binds, RetentionPlan.MEMORY_CHILDREN, "memories.deleted", null);
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<UUID> ids = call(h, "retention.memories", select + " LIMIT :batch", binds).bind("batch", batch).list(sql.uuidColumn());
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    deleteChildren(h, RetentionPlan.MEMORY_CHILDREN, ids);
                    add("memories.deleted", call(h, "retention.deleteMemories", "DELETE FROM <p>memories WHERE tenant_id = :t AND id IN (<ids>)",
                            Map.of(), ids).update());
                    return ids.size();
                });
                if (n < batch) {
                    return;
                }
            }
        }

        // ---- detached executions, finished tasks, deleted assets ----------------------------

        /** Finished executions without a conversation created before {@code :<cutoff>}. */
        private static String detachedExecutions(String cutoff) {
            return "SELECT id FROM <p>executions WHERE tenant_id = :t AND conversation_id IS NULL"
                    + " AND status IN ('completed', 'failed', 'cancelled') AND created_at < :" + cutoff;
        }

        void purgeDetachedExecutions(Instant cutoff) {
            String select = detachedExecutions("cutoff");
            purgeWithBlobs(select, Map.of("cutoff", cutoff), RetentionPlan.EXECUTION_CHILDREN, "executions",
                    "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND execution_id IN (<ids>)",
                    // A voice call outlives the execution it pointed at: keep the call, drop the link.
                    "UPDATE <p>voice_calls SET execution_id = NULL WHERE tenant_id = :t AND execution_id IN (<ids>)");
        }

        void purgeFinishedTasks(Instant cutoff) {
            String select = "SELECT id FROM <p>tasks WHERE tenant_id = :t AND status IN ('completed', 'failed', 'cancelled')"
                    + " AND finished_at < :cutoff";
            purgeWithBlobs(select, Map.of("cutoff", cutoff), List.of(), "tasks", null, null);
        }

        void purgeDeletedAssets(Instant cutoff) {
            String select = "SELECT id FROM <p>assets WHERE tenant_id = :t AND deleted_at IS NOT NULL AND deleted_at < :cutoff";
            Map<String, Object> binds = new LinkedHashMap<>(Map.of("cutoff", cutoff));
            if (policy.dryRun()) {
                // Produced by an execution an earlier rule purges: counted there, with its bytes.
                binds.putAll(purgeBinds());
                String gone = "SELECT e.id FROM <p>executions e WHERE e.tenant_id = :t AND e.conversation_id IS NOT NULL AND "
                        + purgedConversation("e.conversation_id");
                if (policy.purgeDetachedExecutionsAfter() != null) {
                    gone += " UNION " + detachedExecutions("detachedCutoff");
                    binds.put("detachedCutoff", now.minus(policy.purgeDetachedExecutionsAfter()));
                }
                select += " AND (execution_id IS NULL OR execution_id NOT IN (" + gone + "))";
            }
            purgeWithBlobs(select, binds, RetentionPlan.ASSET_CHILDREN, "assets",
                    "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND id IN (<ids>)", null);
        }

        /**
         * Deletes the rows {@code select} finds with their children, a batch per transaction; the
         * blob keys {@code blobKeys} names are recorded as claimed in that transaction and their
         * bytes deleted after it commits. {@code unlink} runs before the children go.
         */
        private void purgeWithBlobs(String select, Map<String, Object> binds, List<ChildTable> children, String table, String blobKeys,
                                    String unlink) {
            if (policy.dryRun()) {
                if (blobKeys == null) {
                    dryRunPages(select, "id", binds, children, table + ".deleted", null);
                    return;
                }
                dryRunPages(select, "id", binds, children, table + ".deleted", page -> countBlobs("retention.blobKeys." + table, blobKeys, page));
                return;
            }
            while (true) {
                List<String> keys = new ArrayList<>();
                int n = db.write(h -> {
                    keys.clear();
                    List<UUID> ids = call(h, "retention.select." + table, select + " LIMIT :batch", binds).bind("batch", batch)
                            .list(sql.uuidColumn());
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    if (blobKeys != null) {
                        keys.addAll(call(h, "retention.blobKeys." + table, blobKeys, Map.of(), ids).list(Sql.STRING));
                        JdbiAssetStore.recordPurgedBlobs(sql, h, keys, db.now());
                    }
                    if (unlink != null) {
                        call(h, "retention.unlink." + table, unlink, Map.of(), ids).update();
                    }
                    deleteChildren(h, children, ids);
                    add(table + ".deleted", call(h, "retention.delete." + table, "DELETE FROM <p>" + table + " WHERE tenant_id = :t AND id IN (<ids>)",
                            Map.of(), ids).update());
                    return ids.size();
                });
                deleteBlobs(keys);
                if (n < batch) {
                    return;
                }
            }
        }

        // ---- children ----------------------------------------------------------------------

        /**
         * Counts the rows {@code select} finds and their children, a page of {@code batch} ids at a
         * time in id order, so a dry run holds no more ids in memory than a real batch does.
         */
        private void dryRunPages(String select, String idColumn, Map<String, Object> binds, List<ChildTable> children, String key,
                                 java.util.function.@org.jspecify.annotations.Nullable Consumer<List<UUID>> perPage) {
            UUID last = null;
            while (true) {
                UUID after = last;
                List<UUID> page = db.read(h -> {
                    Sql.Call call = call(h, "retention.page." + key, select + (after == null ? "" : " AND " + idColumn + " > :after")
                            + " ORDER BY " + idColumn + " LIMIT :batch", binds).bind("batch", batch);
                    return (after == null ? call : call.bind("after", after)).list(sql.uuidColumn());
                });
                if (page.isEmpty()) {
                    return;
                }
                countChildren(children, page, true);
                add(key, page.size());
                if (perPage != null) {
                    perPage.accept(page);
                }
                last = page.get(page.size() - 1);
            }
        }

        private void deleteChildren(Handle h, List<ChildTable> children, List<UUID> ids) {
            for (ChildTable child : children) {
                add(child.table() + ".deleted", call(h, "retention.delete." + child.table(), child.deleteSql(), Map.of(), ids).update());
            }
        }

        private void detach(Handle h, RetentionPlan.Detach detach, List<UUID> ids) {
            int n = call(h, "retention.detach", detach.updateSql(), Map.of(), ids).update();
            if (n > 0) {
                add(detach.reportKey(), n);
            }
        }

        private void countDetached(RetentionPlan.Detach detach, List<UUID> ids) {
            long n = db.read(h -> call(h, "retention.countDetached", detach.countSql(), Map.of(), ids).one(Sql.LONG));
            if (n > 0) {
                add(detach.reportKey(), n);
            }
        }

        /**
         * Counts the children of {@code ids}; those of a rule after the conversation purge leave
         * out the rows a purged tree takes with it (counted by the purge).
         */
        private void countChildren(List<ChildTable> children, List<UUID> ids, boolean afterPurge) {
            boolean purges = afterPurge && (policy.purgeArchivedAfter() != null || policy.hardDeleteAfter() != null);
            for (ChildTable child : children) {
                String text = child.countSql();
                String t = "<p>" + child.table();
                text += !purges ? "" : switch (child.table()) {
                    case "message_assets" -> " AND NOT EXISTS (SELECT 1 FROM <p>messages mm WHERE mm.tenant_id = :t AND mm.id = " + t
                            + ".message_id AND " + purgedConversation("mm.conversation_id") + ")";
                    case "message_events" -> " AND NOT " + purgedConversation(t + ".conversation_id");
                    case "vectors" -> " AND (" + t + ".conversation_id IS NULL OR NOT " + purgedConversation(t + ".conversation_id") + ")";
                    default -> "";
                };
                String sqlText = text;
                add(child.table() + ".deleted", db.read(h -> call(h, "retention.count." + child.table(), sqlText, purges ? purgeBinds() : Map.of(), ids)
                        .one(Sql.LONG)));
            }
        }
    }
}
