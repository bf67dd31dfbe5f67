package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.asset.BlobStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.RetentionPlan.ChildTable;
import dev.atlas.retention.Retention;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    private final String tenant;
    private final BlobStore blobs;

    public JdbiRetention(Db db, String tenant, BlobStore blobs) {
        this.db = db;
        this.tenant = tenant;
        this.blobs = blobs;
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
        counts.values().removeIf(v -> v == 0);
        return new RetentionReport(policy.dryRun(), counts);
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

        long count(String sql, Map<String, Object> binds) {
            return db.read(h -> h.createQuery(sql).bindMap(binds).bind("t", tenant).mapTo(Long.class).one());
        }

        // ---- archive idle conversations ----------------------------------------------------

        void archiveIdle(Instant cutoff) {
            String idle = "status = 'open' AND deleted_at IS NULL AND activity_at < :cutoff";
            if (policy.dryRun()) {
                add("conversations.archived", count("SELECT COUNT(*) FROM <p>conversations WHERE tenant_id = :t AND " + idle,
                        Map.of("cutoff", cutoff)));
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<String> ids = h.createQuery("SELECT id FROM <p>conversations WHERE tenant_id = :t AND " + idle + " LIMIT :batch")
                            .bind("t", tenant).bind("cutoff", cutoff).bind("batch", batch).mapTo(String.class).list();
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    // The rule again on the row being updated: an append that committed since the
                    // SELECT (PostgreSQL) made the conversation active, and it stays open.
                    add("conversations.archived", h.createUpdate("UPDATE <p>conversations SET status = 'archived', archived_at = :now,"
                                    + " updated_at = :now WHERE tenant_id = :t AND id IN (<ids>) AND " + idle)
                            .bind("t", tenant).bind("now", now).bind("cutoff", cutoff).bindList("ids", typed(ids)).execute());
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
        private List<String> withDescendants(Handle h, List<String> roots) {
            return h.createQuery("WITH RECURSIVE tree (id) AS (SELECT id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)"
                            + " UNION SELECT c.id FROM <p>conversations c JOIN tree ON c.tenant_id = :t AND c.parent_conversation_id = tree.id)"
                            + " SELECT id FROM tree")
                    .bind("t", tenant).bindList("ids", typed(roots)).mapTo(String.class).list();
        }

        /**
         * Of the given purgeable conversations, those with a purgeable ancestor: they go with
         * that ancestor's tree, so a dry run counts them there and only there.
         */
        private Set<String> purgedWithAncestor(Handle h, List<String> roots, Map<String, Object> binds) {
            return new HashSet<>(h.createQuery("WITH RECURSIVE up (start_id, id) AS ("
                            + "SELECT id, parent_conversation_id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)"
                            + " AND parent_conversation_id IS NOT NULL"
                            + " UNION SELECT up.start_id, c.parent_conversation_id FROM <p>conversations c JOIN up"
                            + " ON c.tenant_id = :t AND c.id = up.id WHERE c.parent_conversation_id IS NOT NULL)"
                            + " SELECT DISTINCT up.start_id FROM up JOIN <p>conversations a ON a.tenant_id = :t AND a.id = up.id"
                            + " WHERE " + purgeRule("a"))
                    .bindMap(binds).bind("t", tenant).bindList("ids", typed(roots)).mapTo(String.class).list());
        }

        void purgeConversations() {
            Map<String, Object> binds = purgeBinds();
            if (policy.dryRun()) {
                // Pages of roots by id; memory stays bounded by the batch size however many
                // conversations would go. Trees are disjoint once nested roots are left to their
                // topmost purgeable ancestor, so nothing is counted twice.
                String last = null;
                while (true) {
                    String after = last;
                    List<String> page = db.read(h -> {
                        var query = h.createQuery(purgeable() + (after == null ? "" : " AND a.id > :after") + " ORDER BY a.id LIMIT :batch")
                                .bindMap(binds).bind("t", tenant).bind("batch", batch);
                        if (after != null) {
                            query.bind("after", typedOne(after));
                        }
                        return query.mapTo(String.class).list();
                    });
                    if (page.isEmpty()) {
                        break;
                    }
                    last = page.get(page.size() - 1);
                    List<String> ids = db.read(h -> {
                        Set<String> nested = purgedWithAncestor(h, page, binds);
                        List<String> roots = page.stream().filter(id -> !nested.contains(id)).toList();
                        return roots.isEmpty() ? List.<String>of() : withDescendants(h, roots);
                    });
                    if (!ids.isEmpty()) {
                        countChildren(RetentionPlan.CONVERSATION_CHILDREN, ids);
                        add("conversations.deleted", ids.size());
                    }
                }
                return;
            }
            while (true) {
                List<String> purgedBlobs = new ArrayList<>();
                int n = db.write(h -> {
                    purgedBlobs.clear();
                    List<String> candidates = purgeBatch(h, binds);
                    if (candidates.isEmpty()) {
                        return 0;
                    }
                    lockTrees(h, candidates);
                    List<String> roots = stillPurgeable(h, candidates, binds);
                    add("conversations.skipped", candidates.size() - roots.size());
                    if (roots.isEmpty()) {
                        return candidates.size();
                    }
                    List<String> ids = withDescendants(h, roots);
                    purgedBlobs.addAll(h.createQuery(RetentionPlan.PURGED_BLOB_KEYS).bind("t", tenant).bindList("ids", typed(ids))
                            .mapTo(String.class).list());
                    JdbiAssetStore.recordPurgedBlobs(h, tenant, purgedBlobs, db.now());
                    deleteChildren(h, RetentionPlan.CONVERSATION_CHILDREN, ids);
                    // One statement for the whole tree: the parent_conversation_id foreign key is
                    // checked at the end of the statement on both databases.
                    add("conversations.deleted", h.createUpdate("DELETE FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)")
                            .bind("t", tenant).bindList("ids", typed(ids)).execute());
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
        private void lockTrees(Handle h, List<String> candidates) {
            if (db.dialect().forUpdate().isEmpty()) {
                return;
            }
            Set<String> locked = new HashSet<>();
            List<String> pending = candidates;
            while (!pending.isEmpty()) {
                locked.addAll(pending);
                h.createQuery("SELECT id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id" + db.dialect().forUpdate())
                        .bind("t", tenant).bindList("ids", typed(pending)).mapTo(String.class).list();
                // A tool thread created below a child before that child was locked: lock it too.
                pending = withDescendants(h, candidates).stream().filter(id -> !locked.contains(id)).toList();
            }
        }

        /**
         * The candidates that are still purgeable now that their trees are locked: the rule is
         * evaluated again on what concurrent appends, restores and tool threads committed since
         * the candidates were chosen (a fresh statement sees them under READ COMMITTED).
         */
        private List<String> stillPurgeable(Handle h, List<String> candidates, Map<String, Object> binds) {
            return h.createQuery(purgeable() + " AND a.id IN (<ids>)")
                    .bindMap(binds).bind("t", tenant).bindList("ids", typed(candidates)).mapTo(String.class).list();
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
        private List<String> purgeBatch(Handle h, Map<String, Object> binds) {
            int asked = want;
            List<Map.Entry<String, Long>> candidates = h.createQuery(purgeable().replace("SELECT a.id FROM", "SELECT a.id, a.last_sequence FROM")
                            + " LIMIT :want")
                    .bindMap(binds).bind("t", tenant).bind("want", asked)
                    .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getLong("last_sequence"))).list();
            List<String> roots = new ArrayList<>();
            long rows = 0;
            boolean full = false;
            for (Map.Entry<String, Long> c : candidates) {
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
         * {@code AssetStore.cleanupOrphanBlobs} removes it.
         */
        private void deleteBlobs(List<String> keys) {
            long deleted = 0;
            List<String> gone = new ArrayList<>();
            for (String key : keys) {
                try {
                    if (blobs.delete(key)) {
                        deleted++;
                    }
                    gone.add(key);
                } catch (IOException | RuntimeException e) {
                    LOG.warn("could not delete purged asset blob {}; cleanupOrphanBlobs will retry: {}", key, e.toString());
                }
            }
            JdbiAssetStore.forgetIntents(db, tenant, gone);
            add("asset_blobs.deleted", deleted);
        }

        // ---- messages ----------------------------------------------------------------------

        void softDeleteMessages(Instant cutoff) {
            String where = " FROM <p>messages WHERE tenant_id = :t AND deleted_at IS NULL AND created_at < :cutoff";
            if (policy.dryRun()) {
                add("messages.soft_deleted", count("SELECT COUNT(*)" + where, Map.of("cutoff", cutoff)));
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<Map<String, Object>> rows = h.createQuery("SELECT id, conversation_id" + where + " LIMIT :batch")
                            .bind("t", tenant).bind("cutoff", cutoff).bind("batch", batch).mapToMap().list();
                    if (rows.isEmpty()) {
                        return 0;
                    }
                    List<String> ids = rows.stream().map(r -> String.valueOf(r.get("id"))).toList();
                    // Only rows still live: a user's delete that committed since the SELECT keeps
                    // its own time and its own single audit event.
                    List<Map<String, Object>> changed = h.createQuery("UPDATE <p>messages SET deleted_at = :now, updated_at = :now"
                                    + " WHERE tenant_id = :t AND id IN (<ids>) AND deleted_at IS NULL RETURNING id, conversation_id")
                            .bind("t", tenant).bind("now", now).bindList("ids", typed(ids)).mapToMap().list();
                    if (changed.isEmpty()) {
                        return rows.size();
                    }
                    var events = h.prepareBatch("INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                            + " VALUES (:t, :id, :c, :m, 'deleted', :details, :now)");
                    JsonDoc details = Json.internal(Map.of("by", "retention"));
                    for (Map<String, Object> r : changed) {
                        events.bind("t", tenant).bind("id", Ids.next(db.clock())).bind("c", typedOne(String.valueOf(r.get("conversation_id"))))
                                .bind("m", typedOne(String.valueOf(r.get("id")))).bind("details", details).bind("now", now).add();
                    }
                    events.execute();
                    add("messages.soft_deleted", changed.size());
                    return rows.size();
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
                dryRunPages("SELECT m.id" + where, "m.id", Map.of("cutoff", cutoff), RetentionPlan.MESSAGE_CHILDREN, "messages.deleted");
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<String> ids = h.createQuery("SELECT m.id" + where + " ORDER BY m.created_at DESC, m.sequence DESC LIMIT :batch")
                            .bind("t", tenant).bind("cutoff", cutoff).bind("batch", batch).mapTo(String.class).list();
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    deleteChildren(h, RetentionPlan.MESSAGE_CHILDREN, ids);
                    add("messages.deleted", h.createUpdate("DELETE FROM <p>messages WHERE tenant_id = :t AND id IN (<ids>)")
                            .bind("t", tenant).bindList("ids", typed(ids)).execute());
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
                dryRunPages(select, "id", binds, RetentionPlan.MEMORY_CHILDREN, "memories.deleted");
                return;
            }
            while (true) {
                int n = db.write(h -> {
                    List<String> ids = h.createQuery(select + " LIMIT :batch").bindMap(binds).bind("t", tenant).bind("batch", batch)
                            .mapTo(String.class).list();
                    if (ids.isEmpty()) {
                        return 0;
                    }
                    deleteChildren(h, RetentionPlan.MEMORY_CHILDREN, ids);
                    add("memories.deleted", h.createUpdate("DELETE FROM <p>memories WHERE tenant_id = :t AND id IN (<ids>)")
                            .bind("t", tenant).bindList("ids", typed(ids)).execute());
                    return ids.size();
                });
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
        private void dryRunPages(String select, String idColumn, Map<String, Object> binds, List<ChildTable> children, String key) {
            String last = null;
            while (true) {
                String after = last;
                List<String> page = db.read(h -> {
                    var query = h.createQuery(select + (after == null ? "" : " AND " + idColumn + " > :after")
                                    + " ORDER BY " + idColumn + " LIMIT :batch")
                            .bindMap(binds).bind("t", tenant).bind("batch", batch);
                    if (after != null) {
                        query.bind("after", typedOne(after));
                    }
                    return query.mapTo(String.class).list();
                });
                if (page.isEmpty()) {
                    return;
                }
                countChildren(children, page);
                add(key, page.size());
                last = page.get(page.size() - 1);
            }
        }

        private void deleteChildren(Handle h, List<ChildTable> children, List<String> ids) {
            for (ChildTable child : children) {
                add(child.table() + ".deleted", h.createUpdate(child.deleteSql()).bind("t", tenant).bindList("ids", typed(ids)).execute());
            }
        }

        private void countChildren(List<ChildTable> children, List<String> ids) {
            for (ChildTable child : children) {
                add(child.table() + ".deleted", db.read(h -> h.createQuery(child.countSql()).bind("t", tenant)
                        .bindList("ids", typed(ids)).mapTo(Long.class).one()));
            }
        }

        /** Ids read as text, bound back with the dialect's id type. */
        private List<Object> typed(List<String> ids) {
            List<Object> out = new ArrayList<>(ids.size());
            for (String id : ids) {
                out.add(typedOne(id));
            }
            return out;
        }

        private Object typedOne(String id) {
            return java.util.UUID.fromString(id);
        }
    }
}
