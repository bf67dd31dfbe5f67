package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.RetentionPlan.ChildTable;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.retention.RetentionPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Retention's statements. Most depend on the policy (which rules combine) and on how many ids a
 * batch holds, so they are {@link #render rendered}; the plan's child and detach statements are
 * also declared here once, with one id, so the catalogue test checks every table they touch.
 */
public final class RetentionSql {
    private final Catalogue c;
    final Statement takeLease;
    final Statement releaseLease;
    final Statement renewLease;
    final Statement deletedEvent;
    final Statement takeOverPart;

    RetentionSql(Catalogue c) {
        this.c = c;
        // Taken on the database's clock, as task leases are: every process measures it the same way.
        takeLease = c.sql("retention.takeLease", "INSERT INTO <p>leases (tenant_id, name, holder, expires_at) VALUES (:t, :name, :holder, "
                + c.dialect().databaseNowPlusMicros("micros") + ") ON CONFLICT (tenant_id, name) DO UPDATE"
                + " SET holder = excluded.holder, expires_at = excluded.expires_at WHERE <p>leases.expires_at < " + c.dialect().databaseNow());
        // Each batch renews its run's lease in its own transaction: the lease must outlast a batch, not a run.
        renewLease = c.sql("retention.renewLease", "UPDATE <p>leases SET expires_at = " + c.dialect().databaseNowPlusMicros("micros")
                + " WHERE tenant_id = :t AND name = :name AND holder = :holder");
        releaseLease = c.sql("retention.releaseLease", "DELETE FROM <p>leases WHERE tenant_id = :t AND name = :name AND holder = :holder");
        deletedEvent = c.sql("retention.deletedEvent", "INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type,"
                + " details, created_at) VALUES (:t, :id, :c, :m, 'deleted', :details, " + MessageSql.laterEventTime(c.dialect(), ":m") + ")");
        takeOverPart = c.sql("retention.takeOverPart", "UPDATE <p>message_assets SET metadata = :metadata WHERE tenant_id = :t AND id = :id");
        for (List<ChildTable> plan : List.of(RetentionPlan.CONVERSATION_CHILDREN, RetentionPlan.EXECUTION_CHILDREN,
                RetentionPlan.ASSET_CHILDREN, RetentionPlan.MESSAGE_CHILDREN, RetentionPlan.MEMORY_CHILDREN)) {
            for (ChildTable child : plan) {
                c.sql("retention.delete." + child.table(), withIds(child.deleteSql(), 1));
                c.sql("retention.count." + child.table(), withIds(child.countSql(), 1));
            }
        }
        c.sql("retention.detach", withIds(DETACH, 1));
        c.sql("retention.detachVoiceCalls", withIds(DETACH_VOICE_CALLS, 1));
        c.sql("retention.keepOneActive", withIds(DETACH_KEEPING_ONE_ACTIVE, 1));
        c.sql("retention.detachFromExecutions", withIds(DETACH_FROM_EXECUTIONS, 1));
        c.sql("retention.keepOneActiveOfExecutions", withIds(DETACH_FROM_EXECUTIONS_KEEPING_ONE_ACTIVE, 1));
    }

    /** {@code text} with its {@code <ids>} list made {@code n} markers long. */
    static String withIds(String text, int n) {
        return text.replace("<ids>", InList.marks("ids", n));
    }

    /** {@code text} (binding {@code <ids>} to {@code ids}, if it has them), checked and kept the first time it is seen. */
    Statement render(String name, String text, List<UUID> ids) {
        return c.render(name, withIds(text, ids.size()));
    }

    // ---- the rules' texts, rendered per call: they depend on the policy and on a batch's ids ----

    private static final String IDLE_RULE = "status = 'open' AND deleted_at IS NULL AND activity_at < :cutoff";
    static final String COUNT_IDLE = "SELECT COUNT(*) FROM <p>conversations WHERE tenant_id = :t AND " + IDLE_RULE;
    static final String IDLE = "SELECT id FROM <p>conversations WHERE tenant_id = :t AND " + IDLE_RULE;
    /**
     * The rule again on the row being updated: an append that committed since the SELECT
     * (PostgreSQL) made the conversation active, and it stays open.
     */
    static final String ARCHIVE = "UPDATE <p>conversations SET status = 'archived', archived_at = " + Dialect.LATER + ","
            + " updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id IN (<ids>) AND " + IDLE_RULE;

    private static final String OLD_MESSAGES = " FROM <p>messages WHERE tenant_id = :t AND deleted_at IS NULL AND created_at < :cutoff";
    /**
     * What the soft delete changes, counted by a dry run: the conversation purge before it deletes the messages of the
     * trees it purges, so those are not soft-deleted (counted as deleted there).
     */
    static String countOldMessages(RetentionPolicy p) {
        return "SELECT COUNT(*)" + OLD_MESSAGES + (purges(p) ? " AND NOT " + purgedConversation(p, "<p>messages.conversation_id") : "");
    }
    static final String OLD_MESSAGE_IDS = "SELECT id" + OLD_MESSAGES;
    /** Only rows still live: a user's delete that committed since the SELECT keeps its own time and its own single audit event. */
    static final String SOFT_DELETE = "UPDATE <p>messages SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER
            + " WHERE tenant_id = :t AND id IN (<ids>) AND deleted_at IS NULL RETURNING id, conversation_id";

    /**
     * Row {@code x} was deleted before the cut-off, written so that no index on {@code deleted_at}
     * serves it: the walk below a message must look replies up by their parent, the walk's rows
     * first (SQLite's CROSS JOIN keeps that order). With the plain form and a JOIN, SQLite read
     * every long-deleted message, or every message of the tenant, at every step.
     */
    private static final String LONG_DELETED = "COALESCE(x.deleted_at, :cutoff) < :cutoff";

    /**
     * Long-deleted messages that no message staying references: every message below one (its
     * replies, theirs, and so on) is long-deleted too, so a reply kept (live, or deleted since the
     * cut-off) keeps the deleted answer it replies to and that answer's own parent, as soft-deleted
     * rows, until it goes. The walk goes down only through long-deleted replies and stops at the
     * first one that stays. A reply's sequence is above its parent's (an append numbers it after
     * the parent exists; an import refuses any other), so batches in descending sequence order
     * ({@link #REPLIES_FIRST}) take a reply before or with its parent, never after it, whatever
     * the rows' times: an instance whose clock lags dates a reply before its question.
     */
    static final String HARD_DELETABLE = "SELECT m.id FROM <p>messages m WHERE m.tenant_id = :t AND m.deleted_at IS NOT NULL AND m.deleted_at < :cutoff"
            + " AND NOT EXISTS (WITH RECURSIVE below (id) AS (SELECT m.id UNION SELECT r.id FROM below CROSS JOIN <p>messages r"
            + " WHERE r.tenant_id = :t AND r.parent_id = below.id AND " + LONG_DELETED.replace("x.", "r.") + ")"
            + " SELECT 1 FROM below CROSS JOIN <p>messages ch WHERE ch.tenant_id = :t AND ch.parent_id = below.id"
            + " AND NOT " + LONG_DELETED.replace("x.", "ch.") + ")";
    static final String REPLIES_FIRST = " ORDER BY m.sequence DESC, m.id DESC";

    /** Expired memories (binds :now) and long-deleted ones (binds :deletedCutoff), as the policy asks. */
    static String memories(RetentionPolicy p) {
        List<String> rules = new ArrayList<>();
        if (p.dropExpiredMemories()) {
            rules.add("(expires_at IS NOT NULL AND expires_at <= :now)");
        }
        if (p.hardDeleteAfter() != null) {
            rules.add("(deleted_at IS NOT NULL AND deleted_at < :deletedCutoff)");
        }
        return "SELECT id FROM <p>memories WHERE tenant_id = :t AND (" + String.join(" OR ", rules) + ")";
    }

    /** Finished executions without a conversation created before {@code :<cutoff>}. */
    static String detachedExecutions(String cutoff) {
        return "SELECT id FROM <p>executions WHERE tenant_id = :t AND conversation_id IS NULL"
                + " AND status IN ('completed', 'failed', 'cancelled') AND created_at < :" + cutoff;
    }

    /**
     * The rows a purge deletes with execution {@code x}: itself, its steps, tool calls and assets, each looked up by index (by
     * which a purge batch is sized).
     */
    private static String executionRows(String x) {
        String of = " FROM <p>%s r WHERE r.tenant_id = :t AND r.execution_id = " + x + ".id)";
        return "1 + (SELECT COUNT(*)" + of.formatted("execution_steps") + " + (SELECT COUNT(*)" + of.formatted("execution_tool_calls")
                + " + (SELECT COUNT(*)" + of.formatted("assets");
    }

    /** {@code detachedExecutions}, at most {@code :want}, with each execution's rows ({@code execution_rows}, {@link #executionRows}). */
    static String sizedExecutions(String detached) {
        return detached.replace("SELECT id FROM <p>executions WHERE", "SELECT x.id, " + executionRows("x") + " AS execution_rows FROM"
                + " <p>executions x WHERE") + " LIMIT :want";
    }

    static final String EXECUTION_BLOB_KEYS = "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND execution_id IN (<ids>)";
    /** A voice call outlives the execution it pointed at: keep the call, drop the link. */
    static final String DETACH_VOICE_CALLS = "UPDATE <p>voice_calls SET execution_id = NULL WHERE tenant_id = :t AND "
            + RetentionPlan.DETACHED_VOICE_CALLS;
    static final String UNLINK_VOICE_CALLS = "UPDATE <p>voice_calls SET execution_id = NULL WHERE tenant_id = :t AND execution_id IN (<ids>)";

    /**
     * The voice calls a conversation purge keeps without their execution, reported as
     * {@code voice_calls.unlinked}: not those of a conversation the same run purges (in another
     * batch), which go with it and are counted as deleted there, whichever batch comes first.
     */
    static String countUnlinkedVoiceCalls(RetentionPolicy p) {
        return countOutsidePurged(p, "<p>voice_calls", RetentionPlan.DETACHED_VOICE_CALLS);
    }

    /**
     * How many rows of {@code table} match {@code rows} outside the conversations this run purges (or in none). Counted per
     * conversation first: the walk up to a purged ancestor then runs once per conversation holding such a row, after the
     * rows are found (a plain filter let PostgreSQL walk for every row of the tenant, a purge batch then taking seconds:
     * PostgresRetentionCountPlanTest). A grouped subquery is not merged into the outer query on either database.
     */
    private static String countOutsidePurged(RetentionPolicy p, String table, String rows) {
        return "SELECT CAST(COALESCE(SUM(g.n), 0) AS BIGINT) FROM (SELECT conversation_id, COUNT(*) AS n FROM " + table
                + " WHERE tenant_id = :t AND " + rows + " GROUP BY conversation_id) g WHERE g.conversation_id IS NULL OR NOT "
                + purgedConversation(p, "g.conversation_id");
    }

    /**
     * What the detached-execution purge unlinks, counted by a dry run: the conversation purge
     * before it deletes the voice calls of purged conversations.
     */
    static String countUnlinkedVoiceCallsOfExecutions(RetentionPolicy p) {
        return "SELECT COUNT(*) FROM <p>voice_calls WHERE tenant_id = :t AND execution_id IN (<ids>)" + (purges(p)
                ? " AND (conversation_id IS NULL OR NOT " + purgedConversation(p, "<p>voice_calls.conversation_id") + ")" : "");
    }
    private static final String FINISHED_TASK_RULE = " AND status IN ('completed', 'failed', 'cancelled') AND finished_at < :cutoff";
    static final String FINISHED_TASKS = "SELECT id FROM <p>tasks WHERE tenant_id = :t" + FINISHED_TASK_RULE;
    /**
     * Deletes the chosen tasks that still match the rule: an operator's requeue that committed
     * since the SELECT (PostgreSQL re-reads an updated row before deleting it) keeps its task.
     */
    static final String DELETE_FINISHED_TASKS = delete("tasks") + FINISHED_TASK_RULE;
    /**
     * Finished voice calls of no conversation whose last write (the end, or a later summary) is
     * before the cut-off: {@code updated_at} is never before {@code completed_at}.
     */
    private static final String DETACHED_VOICE_CALL_RULE = " AND conversation_id IS NULL AND status IN ('completed', 'failed')"
            + " AND updated_at < :cutoff";
    static final String DETACHED_VOICE_CALL_IDS = "SELECT id FROM <p>voice_calls WHERE tenant_id = :t" + DETACHED_VOICE_CALL_RULE;
    /** Deletes the chosen calls that still match the rule: a summary that committed since the SELECT keeps its call. */
    static final String DELETE_DETACHED_VOICE_CALLS = delete("voice_calls") + DETACHED_VOICE_CALL_RULE;
    static final String ASSET_BLOB_KEYS = "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND id IN (<ids>)";

    /** The assets bound as {@code <ids>} that exist, in id order: with the dialect's lock, the locks taken in that order. */

    /**
     * Long-deleted assets; for a dry run without those an execution an earlier rule purges
     * produced: they are counted there, with their bytes (binds :detachedCutoff when that rule runs).
     */
    static String deletedAssets(RetentionPolicy p) {
        String select = "SELECT id FROM <p>assets WHERE tenant_id = :t AND deleted_at IS NOT NULL AND deleted_at < :cutoff";
        if (!p.dryRun()) {
            return select;
        }
        String gone = "SELECT e.id FROM <p>executions e WHERE e.tenant_id = :t AND e.conversation_id IS NOT NULL AND "
                + purgedConversation(p, "e.conversation_id");
        if (p.purgeDetachedExecutionsAfter() != null) {
            gone += " UNION " + detachedExecutions("detachedCutoff");
        }
        return select + " AND (execution_id IS NULL OR execution_id NOT IN (" + gone + "))";
    }

    static final String DETACH = "UPDATE <p>messages SET execution_id = NULL, step_id = NULL WHERE tenant_id = :t AND "
            + RetentionPlan.DETACHED_MESSAGES;
    /**
     * The messages a conversation purge keeps without their execution, reported as {@code messages.detached}: not those of
     * a conversation the same run purges (in another batch), which go with it and are counted as deleted there, whichever
     * batch comes first (as {@link #countUnlinkedVoiceCalls}). Counted before {@link #DETACH}, which unlinks them all.
     */
    static String countDetached(RetentionPolicy p) {
        return countOutsidePurged(p, "<p>messages", RetentionPlan.DETACHED_MESSAGES);
    }
    static final String DETACH_KEEPING_ONE_ACTIVE = RetentionPlan.keepOneActive(RetentionPlan.DETACHED_MESSAGES);
    /** Messages of any conversation that name an execution being purged (bound as {@code <ids>}). */
    static final String MESSAGES_OF_EXECUTIONS = "execution_id IN (<ids>)";
    static final String DETACH_FROM_EXECUTIONS = "UPDATE <p>messages SET execution_id = NULL, step_id = NULL WHERE tenant_id = :t AND "
            + MESSAGES_OF_EXECUTIONS;
    /**
     * What the real run unlinks, counted by a dry run: the rules before it delete the messages of
     * purged conversations and the hard-deletable ones, so those are not unlinked.
     */
    static String countDetachedFromExecutions(RetentionPolicy p) {
        return "SELECT COUNT(*) FROM <p>messages WHERE tenant_id = :t AND " + MESSAGES_OF_EXECUTIONS
                + (purges(p) ? " AND NOT " + purgedConversation(p, "<p>messages.conversation_id") : "")
                + (p.hardDeleteAfter() == null ? "" : " AND id NOT IN (" + HARD_DELETABLE.replace(":cutoff", ":deletedCutoff") + ")");
    }

    /** Locks the executions bound as {@code <ids>}, in id order, then nothing else (PostgreSQL only). */
    String lockExecutionsById() {
        return "SELECT id FROM <p>executions WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id" + c.dialect().forUpdate();
    }

    /** Locks the assets bound as {@code <ids>}, in id order (PostgreSQL only): a message's parts. */
    String lockAssets() {
        return "SELECT id FROM <p>assets WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id" + c.dialect().forUpdate();
    }

    /**
     * Locks the long-deleted assets ({@link #deletedAssets} of a run that writes) among those bound as
     * {@code <ids>}, in id order, checking the rule again under the locks (PostgreSQL only).
     */
    String lockDeletedAssets(RetentionPolicy p) {
        return deletedAssets(p) + " AND id IN (<ids>) ORDER BY id" + c.dialect().forUpdate();
    }

    /**
     * Share-locks the executions of the assets bound as {@code <ids>}, in id order (PostgreSQL
     * only): the purges of executions lock them for update before the executions' assets.
     */
    String shareExecutionsOfAssets() {
        return shareExecutionsOfAssets(c.dialect(), "<ids>");
    }

    /**
     * {@link #shareExecutionsOfAssets()} for the assets whose ids are the markers {@code ids}: every path that deletes assets
     * (retention's, an erase's) takes this lock before the assets' own, so it is declared here once.
     */
    public static String shareExecutionsOfAssets(Dialect d, String ids) {
        return "SELECT id FROM <p>executions WHERE tenant_id = :t AND id IN (SELECT execution_id FROM <p>assets WHERE tenant_id = :t"
                + " AND id IN (" + ids + ")) ORDER BY id" + d.forShare();
    }

    /**
     * Locks the assets the executions {@code executions} (a query over {@code <ids>}) produced, in
     * id order (PostgreSQL only): an attach share-locks its asset, so one racing the purge either
     * commits first (its attachment is then deleted with the asset) or finds no asset.
     */
    String lockAssetsOf(String executions) {
        return lockAssetsOf(c.dialect(), executions);
    }

    /** {@link #lockAssetsOf(String)}, for an erase's executions too: declared here once. */
    public static String lockAssetsOf(Dialect d, String executions) {
        return "SELECT id FROM <p>assets WHERE tenant_id = :t AND execution_id IN (" + executions + ") ORDER BY id" + d.forUpdate();
    }
    static final String DETACH_FROM_EXECUTIONS_KEEPING_ONE_ACTIVE = RetentionPlan.keepOneActive(MESSAGES_OF_EXECUTIONS);

    /** Deletes the rows of {@code table} whose ids are bound as {@code <ids>}. */
    static String delete(String table) {
        return "DELETE FROM <p>" + table + " WHERE tenant_id = :t AND id IN (<ids>)";
    }

    // ---- conversation purge --------------------------------------------------------------

    static boolean purges(RetentionPolicy p) {
        return p.purgeArchivedAfter() != null || p.hardDeleteAfter() != null;
    }

    /**
     * The purge rules on the conversation row aliased {@code a}: archived (or deleted) before
     * the cutoff, and nothing in it or its tool threads written since the cutoff. The second
     * half is what keeps a message appended to a tool thread (which does not reopen the
     * conversation above it) from going with that conversation. Binds :archivedCutoff and
     * :deletedCutoff, as the policy asks.
     */
    private static String purgeRule(RetentionPolicy p, String a) {
        return "(" + String.join(" OR ", purgeRules(p, a)) + ")";
    }

    /** The terms of {@link #purgeRule}, one per rule the policy sets. */
    private static List<String> purgeRules(RetentionPolicy p, String a) {
        List<String> rules = new ArrayList<>();
        if (p.purgeArchivedAfter() != null) {
            rules.add("(" + a + ".status = 'archived' AND " + a + ".archived_at < :archivedCutoff AND "
                    + quietTree(a, "archivedCutoff") + ")");
        }
        if (p.hardDeleteAfter() != null) {
            rules.add("(" + a + ".deleted_at IS NOT NULL AND " + a + ".deleted_at < :deletedCutoff AND "
                    + quietTree(a, "deletedCutoff") + ")");
        }
        return rules;
    }

    /**
     * No conversation in the tree below {@code a} (itself included) has activity at or after
     * {@code :cutoff}. The walk carries each row's activity: the walk's rows come first (SQLite's CROSS JOIN keeps that
     * order), so each step looks tool threads up by parent; with a plain JOIN SQLite read the tenant's whole range of an index
     * at every step of every candidate (RetentionQueryPlanTest). Each row's activity was read again by id, and PostgreSQL's
     * generic plan read it from the activity index instead (it holds tenant, activity and id): a range scan of the tenant's
     * recent conversations for every row of every walk, before PostgreSQL 18's skip scan (PostgresRetentionBatchPlanTest).
     */
    private static String quietTree(String a, String cutoff) {
        return "NOT EXISTS (WITH RECURSIVE subtree (id, activity_at) AS (SELECT " + a + ".id, " + a + ".activity_at"
                + " UNION SELECT x.id, x.activity_at FROM subtree CROSS JOIN <p>conversations x WHERE x.tenant_id = :t"
                + " AND x.parent_conversation_id = subtree.id) SELECT 1 FROM subtree WHERE subtree.activity_at >= :" + cutoff + ")";
    }

    /**
     * For a dry run, whose later rules still see the rows the earlier rules would delete: the
     * conversation {@code conversation} goes with a purged tree (it or an ancestor is
     * purgeable), so its rows are already counted there. Each ancestor is read by id (a plain JOIN
     * made SQLite read all of the tenant's archived and deleted conversations per row counted).
     */
    static String purgedConversation(RetentionPolicy p, String conversation) {
        if (!purges(p)) {
            return "1 = 0";
        }
        return "EXISTS (WITH RECURSIVE anc (id) AS (SELECT " + conversation + " UNION SELECT z.parent_conversation_id FROM <p>conversations z"
                + " JOIN anc ON z.tenant_id = :t AND z.id = anc.id WHERE z.parent_conversation_id IS NOT NULL)"
                + " SELECT 1 FROM anc CROSS JOIN <p>conversations pa WHERE pa.tenant_id = :t AND pa.id = anc.id AND " + purgeRule(p, "pa") + ")";
    }

    static String purgeable(RetentionPolicy p) {
        return "SELECT a.id FROM <p>conversations a WHERE a.tenant_id = :t AND " + purgeRule(p, "a");
    }

    /**
     * The next candidates with their sizes, at most {@code :want}: {@code tree_rows}, the rows the purge of the candidate's
     * tree deletes, about two per message (the message and its audit event) and one per conversation, and the rows of their
     * executions (each execution with its steps, tool calls and assets, {@link #executionRows}), in the candidate and in every
     * tool thread below it, which go with it: counting the candidate's own alone, conversations whose tool threads held
     * long tool loops went many to a transaction (RetentionContract#purgeBatchesCountTheToolThreadsToo). One lookup of
     * each conversation's executions by index, each execution's rows looked up from it: a conversation without executions
     * (the common case) costs one probe, not one per child table (three probes made the 500-candidate query twice as long on
     * PostgreSQL), and an execution without a tool loop still counts as a row.
     *
     * <p>With both rules, each rule picks at most {@code :want} candidates from its own index, with their sizes, and the
     * batch takes {@code :want} of them: one {@code OR} of the two made PostgreSQL read both partial indexes into one bitmap, every
     * purgeable conversation of the tenant for each batch (PostgresRetentionBatchPlanTest).
     */
    static String purgeBatch(RetentionPolicy p) {
        String rows = "(WITH RECURSIVE tree (id, last_sequence) AS (SELECT a.id, a.last_sequence UNION SELECT x.id, x.last_sequence"
                + " FROM tree CROSS JOIN <p>conversations x WHERE x.tenant_id = :t AND x.parent_conversation_id = tree.id)"
                + " SELECT COALESCE(SUM(2 * tree.last_sequence + 1 + (SELECT COALESCE(SUM(" + executionRows("e") + "), 0)"
                + " FROM <p>executions e WHERE e.tenant_id = :t AND e.conversation_id = tree.id)), 0) FROM tree)";
        List<String> picks = new ArrayList<>();
        for (String rule : purgeRules(p, "a")) {
            picks.add("SELECT a.id, " + rows + " AS tree_rows FROM <p>conversations a WHERE a.tenant_id = :t AND " + rule + " LIMIT :want");
        }
        if (picks.size() == 1) {
            return picks.get(0);
        }
        List<String> branches = new ArrayList<>();
        for (int i = 0; i < picks.size(); i++) {
            branches.add("SELECT r" + i + ".id, r" + i + ".tree_rows FROM (" + picks.get(i) + ") r" + i);
        }
        // UNION: a conversation both rules pick (archived, then deleted) comes once, with the same size from each.
        return "SELECT u.id, u.tree_rows FROM (" + String.join(" UNION ", branches) + ") u LIMIT :want";
    }

    static String stillPurgeable(RetentionPolicy p) {
        return purgeable(p) + " AND a.id IN (<ids>)";
    }

    /** The given conversations and every tool thread below them, which must go with them (found by parent, see {@link #quietTree}). */
    static final String WITH_DESCENDANTS = "WITH RECURSIVE tree (id) AS (SELECT id FROM <p>conversations WHERE tenant_id = :t"
            + " AND id IN (<ids>) UNION SELECT c.id FROM tree CROSS JOIN <p>conversations c WHERE c.tenant_id = :t"
            + " AND c.parent_conversation_id = tree.id) SELECT id FROM tree";

    /**
     * Of the given purgeable conversations, those with a purgeable ancestor: they go with
     * that ancestor's tree, so a dry run counts them there and only there.
     */
    static String purgedWithAncestor(RetentionPolicy p) {
        return "WITH RECURSIVE up (start_id, id) AS ("
                + "SELECT id, parent_conversation_id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>)"
                + " AND parent_conversation_id IS NOT NULL"
                + " UNION SELECT up.start_id, c.parent_conversation_id FROM <p>conversations c JOIN up"
                + " ON c.tenant_id = :t AND c.id = up.id WHERE c.parent_conversation_id IS NOT NULL)"
                + " SELECT DISTINCT up.start_id FROM up JOIN <p>conversations a ON a.tenant_id = :t AND a.id = up.id"
                + " WHERE " + purgeRule(p, "a");
    }

    /**
     * Locks the conversations of the messages bound as {@code <ids>}, in id order (PostgreSQL
     * only): every message write (append, restore, edit) takes its conversation's lock first.
     */
    String lockConversationsOfMessages() {
        return "SELECT id FROM <p>conversations WHERE tenant_id = :t AND id IN (SELECT conversation_id FROM <p>messages"
                + " WHERE tenant_id = :t AND id IN (<ids>)) ORDER BY id" + c.dialect().forUpdate();
    }

    /**
     * Locks the executions of the conversations bound as {@code <ids>}, in id order (PostgreSQL
     * only), before their steps are deleted: a step closing takes its execution's share lock and
     * then the step's row, so deleting the steps first and the execution last would deadlock with it.
     */
    String lockExecutions() {
        return RetentionPlan.EXECUTIONS + " ORDER BY id" + c.dialect().forUpdate();
    }

    /**
     * Locks the messages of other conversations that name the executions of the conversations bound as {@code <ids>}
     * ({@link RetentionPlan#DETACHED_MESSAGES}, which the purge detaches), in id order, before those executions (PostgreSQL
     * only). A hard delete of such a message holds it and then share-locks the executions of the assets it holds: taken only
     * by the detach, after the executions and their assets, the message deadlocked with it. No key update, the detach's own
     * lock: an append naming the message as its parent is not waited for.
     */
    String lockDetachedMessages() {
        return "SELECT id FROM <p>messages WHERE tenant_id = :t AND " + RetentionPlan.DETACHED_MESSAGES + " ORDER BY id"
                + (c.dialect().forUpdate().isEmpty() ? "" : " FOR NO KEY UPDATE");
    }

    /**
     * Locks the messages that name the executions bound as {@code <ids>} (purged without a conversation), in id order, before
     * those executions (PostgreSQL only), for the reason of {@link #lockDetachedMessages}: a hard delete of such a message
     * holds it and then share-locks the executions of the assets it holds.
     */
    String lockMessagesOfExecutions() {
        return "SELECT id FROM <p>messages WHERE tenant_id = :t AND " + MESSAGES_OF_EXECUTIONS + " ORDER BY id"
                + (c.dialect().forUpdate().isEmpty() ? "" : " FOR NO KEY UPDATE");
    }

    /** Locks the conversations bound as {@code <ids>}, in id order (PostgreSQL only). */
    String lock() {
        return "SELECT id FROM <p>conversations WHERE tenant_id = :t AND id IN (<ids>) ORDER BY id" + c.dialect().forUpdate();
    }

    // ---- dry runs --------------------------------------------------------------------------

    /**
     * What a dry run counts for a purged conversation tree besides the assets its executions produced and the parts of its
     * messages, which the run counts once each with their own vectors and attachments ({@link #countAssetChild}): the
     * vectors of the tree (by conversation), the attachments of its messages (by message), and the other rows
     * {@link RetentionPlan#CONVERSATION_CHILDREN} deletes.
     */
    static final List<ChildTable> CONVERSATION_ROWS = RetentionPlan.CONVERSATION_CHILDREN.stream()
            .filter(child -> !child.table().equals("assets"))
            .map(child -> switch (child.table()) {
                case "vectors" -> ChildTable.byColumn("vectors", "conversation_id");
                case "message_assets" -> new ChildTable("message_assets",
                        "message_id IN (SELECT id FROM <p>messages WHERE tenant_id = :t AND conversation_id IN (<ids>))");
                default -> child;
            }).toList();

    /** What a dry run counts for a purged detached execution besides its assets (counted as assets, see {@link #countAssetChild}). */
    static final List<ChildTable> EXECUTION_ROWS = RetentionPlan.EXECUTION_CHILDREN.stream()
            .filter(child -> !List.of("vectors", "message_assets", "assets").contains(child.table())).toList();

    /**
     * Counts the rows of {@code child} (one of {@link RetentionPlan#ASSET_CHILDREN}) of the assets bound as {@code <ids>}
     * that no other rule of a dry run counts: not the vectors of a purged conversation (counted with its tree), nor the
     * attachments of a message the run deletes (a purged tree's, counted with it; a hard-deletable one, counted with it;
     * binds :deletedCutoff when that rule runs).
     */
    static String countAssetChild(ChildTable child, RetentionPolicy p) {
        String t = "<p>" + child.table();
        if (child.table().equals("vectors")) {
            return child.countSql() + (purges(p) ? " AND (" + t + ".conversation_id IS NULL OR NOT "
                    + purgedConversation(p, t + ".conversation_id") + ")" : "");
        }
        String deleted = deletedByRun(p, "mm");
        return child.countSql() + (deleted == null ? "" : " AND NOT EXISTS (SELECT 1 FROM <p>messages mm WHERE mm.tenant_id = :t"
                + " AND mm.id = " + t + ".message_id AND " + deleted + ")");
    }

    /**
     * For a dry run: the message row aliased {@code m} is one the run deletes (its tree is purged, or it is
     * hard-deletable; binds :deletedCutoff when that rule runs), or null when no rule of {@code p} deletes messages.
     */
    static @org.jspecify.annotations.Nullable String deletedByRun(RetentionPolicy p, String m) {
        List<String> deleted = new ArrayList<>();
        if (purges(p)) {
            deleted.add(purgedConversation(p, m + ".conversation_id"));
        }
        if (p.hardDeleteAfter() != null) {
            deleted.add(m + ".id IN (" + HARD_DELETABLE.replace(":cutoff", ":deletedCutoff") + ")");
        }
        return deleted.isEmpty() ? null : "(" + String.join(" OR ", deleted) + ")";
    }

    /**
     * For a dry run: of the assets attached to the messages bound as {@code <ids>} (with {@code ofConversations}, to the messages
     * of the conversations bound so), messages the run deletes, those a message the run keeps also holds. The real run deletes a
     * part once no message holds it any more, in the batch that deletes its last holder, whichever batch or rule that is (see
     * {@link #partHoldersTheRunDeletes}): a holder outside the page that a later batch or rule deletes keeps nothing.
     */
    static String partsHeldByKeptMessages(RetentionPolicy p, boolean ofConversations) {
        String messages = ofConversations ? "SELECT id FROM <p>messages WHERE tenant_id = :t AND conversation_id IN (<ids>)" : "<ids>";
        String deleted = deletedByRun(p, "mm");
        return "SELECT DISTINCT ma.asset_id FROM <p>message_assets ma WHERE ma.tenant_id = :t AND ma.asset_id IN (SELECT asset_id"
                + " FROM <p>message_assets WHERE tenant_id = :t AND message_id IN (" + messages + "))"
                + " AND NOT EXISTS (SELECT 1 FROM <p>messages mm WHERE mm.tenant_id = :t AND mm.id = ma.message_id AND " + deleted + ")";
    }

    /**
     * The attachments (id and metadata) of the assets bound as {@code <ids>} held by messages the run deletes (by any of its
     * rules, in a later batch or rule; those of the batch itself too): when a part's holder goes and such messages still hold
     * it, their attachments are marked parts in the same transaction, so the part goes with the last of them, in this run or,
     * when this one stops first, in the next.
     */
    static String partHoldersTheRunDeletes(RetentionPolicy p) {
        return "SELECT ma.id, ma.metadata FROM <p>message_assets ma WHERE ma.tenant_id = :t AND ma.asset_id IN (<ids>)"
                + " AND EXISTS (SELECT 1 FROM <p>messages mm WHERE mm.tenant_id = :t AND mm.id = ma.message_id AND " + deletedByRun(p, "mm") + ")";
    }

    /** A page of the ids {@code select} finds, in {@code idColumn} order, after {@code :after} unless it is the first. */
    static String page(String select, String idColumn, boolean first) {
        return select + (first ? "" : " AND " + idColumn + " > :after") + " ORDER BY " + idColumn + " LIMIT :batch";
    }

    /**
     * Counts the rows of {@code child} of the parents bound as {@code <ids>}; with
     * {@code afterPurge}, for a rule after the conversation purge, without the rows a purged tree
     * takes with it (counted by the purge).
     */
    static String countChild(ChildTable child, RetentionPolicy p, boolean afterPurge) {
        String t = "<p>" + child.table();
        return child.countSql() + (!afterPurge || !purges(p) ? "" : switch (child.table()) {
            case "message_assets" -> " AND NOT EXISTS (SELECT 1 FROM <p>messages mm WHERE mm.tenant_id = :t AND mm.id = " + t
                    + ".message_id AND " + purgedConversation(p, "mm.conversation_id") + ")";
            case "message_events" -> " AND NOT " + purgedConversation(p, t + ".conversation_id");
            case "vectors" -> " AND (" + t + ".conversation_id IS NULL OR NOT " + purgedConversation(p, t + ".conversation_id") + ")";
            default -> "";
        });
    }
}
