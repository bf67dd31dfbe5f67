package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.Retention;
import dev.atlas.RetentionPolicy;
import dev.atlas.RetentionReport;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.RetentionPlan.ChildTable;
import dev.atlas.asset.BlobStore;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
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

        Run(RetentionPolicy policy, Instant now, Map<String, Long> counts) {
            this.policy = policy;
            this.now = now;
            this.counts = counts;
            this.batch = policy.batchSize();
        }

        void add(String key, long n) {
            counts.merge(key, n, Long::sum);
        }

        long count(String sql, Map<String, Object> binds) {
            return db.read(h -> h.createQuery(sql).bindMap(binds).bind("t", tenant).mapTo(Long.class).one());
        }

        // ---- archive idle conversations ----------------------------------------------------

        void archiveIdle(Instant cutoff) {
            String where = " FROM <p>conversations WHERE tenant_id = :t AND status = 'open' AND deleted_at IS NULL AND activity_at < :cutoff";
            if (policy.dryRun()) {
                add("conversations.archived", count("SELECT COUNT(*)" + where, Map.of("cutoff", cutoff)));
                return;
            }
            while (true) {
                int n = db.write(h -> h.createUpdate("UPDATE <p>conversations SET status = 'archived', archived_at = :now, updated_at = :now"
                                + " WHERE tenant_id = :t AND id IN (SELECT id" + where + " LIMIT :batch)")
                        .bind("t", tenant).bind("now", now).bind("cutoff", cutoff).bind("batch", batch).execute());
                add("conversations.archived", n);
                if (n < batch) {
                    return;
                }
            }
        }

        // ---- purge conversations -----------------------------------------------------------

        private String purgeable() {
            List<String> rules = new ArrayList<>();
            if (policy.purgeArchivedAfter() != null) {
                rules.add("(status = 'archived' AND archived_at < :archivedCutoff)");
            }
            if (policy.hardDeleteAfter() != null) {
                rules.add("(deleted_at IS NOT NULL AND deleted_at < :deletedCutoff)");
            }
            return "SELECT id FROM <p>conversations WHERE tenant_id = :t AND (" + String.join(" OR ", rules) + ")";
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

        void purgeConversations() {
            Map<String, Object> binds = purgeBinds();
            if (policy.dryRun()) {
                Set<String> seen = new LinkedHashSet<>();
                String last = null;
                while (true) {
                    String after = last;
                    List<String> roots = db.read(h -> {
                        var query = h.createQuery(purgeable() + (after == null ? "" : " AND id > :after") + " ORDER BY id LIMIT :batch")
                                .bindMap(binds).bind("t", tenant).bind("batch", batch);
                        if (after != null) {
                            query.bind("after", typedOne(after));
                        }
                        return query.mapTo(String.class).list();
                    });
                    if (roots.isEmpty()) {
                        break;
                    }
                    last = roots.get(roots.size() - 1);
                    List<String> ids = db.read(h -> withDescendants(h, roots));
                    List<String> fresh = ids.stream().filter(seen::add).toList();
                    if (!fresh.isEmpty()) {
                        countChildren(RetentionPlan.CONVERSATION_CHILDREN, fresh);
                        add("conversations.deleted", fresh.size());
                    }
                }
                return;
            }
            while (true) {
                List<String> purgedBlobs = new ArrayList<>();
                int n = db.write(h -> {
                    purgedBlobs.clear();
                    List<String> roots = purgeBatch(h, binds);
                    if (roots.isEmpty()) {
                        return 0;
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
                    return roots.size();
                });
                deleteBlobs(purgedBlobs);
                if (n == 0) {
                    return;
                }
            }
        }

        /**
         * The next conversations to purge in one transaction, bounded by the rows they carry
         * (about two per message: the message and its audit event), not by their count: on SQLite
         * a batch holds the only write lock, so a batch of long conversations would stall every
         * append for its whole length. At least one conversation, however long.
         */
        private List<String> purgeBatch(Handle h, Map<String, Object> binds) {
            List<Map.Entry<String, Long>> candidates = h.createQuery(purgeable().replace("SELECT id FROM", "SELECT id, last_sequence FROM")
                            + " LIMIT :batch")
                    .bindMap(binds).bind("t", tenant).bind("batch", batch)
                    .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getLong("last_sequence"))).list();
            List<String> roots = new ArrayList<>();
            long rows = 0;
            for (Map.Entry<String, Long> c : candidates) {
                long size = 2 * c.getValue() + 1;
                if (!roots.isEmpty() && rows + size > batch) {
                    break;
                }
                roots.add(c.getKey());
                rows += size;
            }
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
                    int changed = h.createUpdate("UPDATE <p>messages SET deleted_at = :now, updated_at = :now WHERE tenant_id = :t AND id IN (<ids>)")
                            .bind("t", tenant).bind("now", now).bindList("ids", typed(ids)).execute();
                    var events = h.prepareBatch("INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                            + " VALUES (:t, :id, :c, :m, 'deleted', :details, :now)");
                    JsonDoc details = Json.internal(Map.of("by", "retention"));
                    for (Map<String, Object> r : rows) {
                        events.bind("t", tenant).bind("id", Ids.next(db.clock())).bind("c", typedOne(String.valueOf(r.get("conversation_id"))))
                                .bind("m", typedOne(String.valueOf(r.get("id")))).bind("details", details).bind("now", now).add();
                    }
                    events.execute();
                    add("messages.soft_deleted", changed);
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
                List<String> all = db.read(h -> h.createQuery("SELECT m.id" + where).bind("t", tenant).bind("cutoff", cutoff)
                        .mapTo(String.class).list());
                for (int i = 0; i < all.size(); i += batch) {
                    List<String> ids = all.subList(i, Math.min(all.size(), i + batch));
                    countChildren(RetentionPlan.MESSAGE_CHILDREN, ids);
                }
                add("messages.deleted", all.size());
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
                List<String> all = db.read(h -> h.createQuery(select).bindMap(binds).bind("t", tenant).mapTo(String.class).list());
                for (int i = 0; i < all.size(); i += batch) {
                    countChildren(RetentionPlan.MEMORY_CHILDREN, all.subList(i, Math.min(all.size(), i + batch)));
                }
                add("memories.deleted", all.size());
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
