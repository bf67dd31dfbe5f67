package dev.atlas.jdbi.internal;

import java.util.List;

/**
 * The tables that hang off a conversation, a message and a memory, in the order their rows are
 * deleted before the parent row. Retention (purges and hard deletes) reads only these lists, so
 * a new table that references conversations or messages is covered by adding one line here.
 * Each condition selects the child rows of the parents whose ids are bound as {@code <ids>};
 * {@code :t} is the tenant.
 */
public final class RetentionPlan {
    private RetentionPlan() {}

    /** One child table: rows of {@code table} matching {@code condition} are deleted (or counted). */
    public record ChildTable(String table, String condition) {
        /** Children found by a column holding the parent's id. */
        public static ChildTable byColumn(String table, String column) {
            return new ChildTable(table, column + " IN (<ids>)");
        }

        String deleteSql() {
            return "DELETE FROM <p>" + table + " WHERE tenant_id = :t AND " + condition;
        }

        String countSql() {
            return "SELECT COUNT(*) FROM <p>" + table + " WHERE tenant_id = :t AND " + condition;
        }
    }

    /** The executions of the conversations being purged. */
    static final String EXECUTIONS = "SELECT id FROM <p>executions WHERE tenant_id = :t AND conversation_id IN (<ids>)";

    /** Assets produced by those executions (a tool call's asset always carries its execution). */
    static final String EXECUTION_ASSETS = "SELECT id FROM <p>assets WHERE tenant_id = :t AND execution_id IN (" + EXECUTIONS + ")";

    /** Blob keys of {@link #EXECUTION_ASSETS}, removed from the blob store after the purge commits. */
    static final String PURGED_BLOB_KEYS = "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND execution_id IN (" + EXECUTIONS + ")";

    /**
     * Deleted, in this order, before the conversations (and their descendant tool threads)
     * themselves when a conversation is purged: children before parents. Assets a user uploaded
     * (no execution) lose their attachments to the purged messages but stay; they belong to
     * their owner and are deleted through {@code AssetStore}. Assets attached as parts of the
     * messages ({@link #CONVERSATION_ATTACHMENTS}) go before these, in {@code JdbiRetention}.
     */
    public static final List<ChildTable> CONVERSATION_CHILDREN = List.of(
            new ChildTable("vectors", "(conversation_id IN (<ids>) OR (target_type = 'asset' AND target_id IN (" + EXECUTION_ASSETS + ")))"),
            ChildTable.byColumn("message_events", "conversation_id"),
            new ChildTable("message_assets", "(message_id IN (SELECT id FROM <p>messages WHERE tenant_id = :t AND conversation_id IN (<ids>))"
                    + " OR asset_id IN (" + EXECUTION_ASSETS + "))"),
            ChildTable.byColumn("voice_calls", "conversation_id"),
            ChildTable.byColumn("messages", "conversation_id"),
            new ChildTable("assets", "execution_id IN (" + EXECUTIONS + ")"),
            new ChildTable("execution_tool_calls", "execution_id IN (" + EXECUTIONS + ")"),
            new ChildTable("execution_steps", "execution_id IN (" + EXECUTIONS + ")"),
            ChildTable.byColumn("executions", "conversation_id"));

    /**
     * Messages whose links are cleared, before {@link #CONVERSATION_CHILDREN} are deleted, on rows
     * that stay: a message of a conversation that is not purged may name an execution (and its
     * step) of one that is. It keeps its content and loses the link that would dangle, as a
     * foreign key's ON DELETE SET NULL would (PostgreSQL 13, the oldest supported, cannot null
     * only some columns of a composite key, and the keys are tenant-first). Reported as
     * {@code messages.detached} when there were any.
     */
    static final String DETACHED_MESSAGES = "execution_id IN (" + EXECUTIONS + ") AND conversation_id NOT IN (<ids>)";

    /**
     * Run before the messages matching {@code detached} (a condition on unqualified columns of
     * {@code messages}, read in a subquery over its rows alone) lose
     * their execution: the answers of one execution to one parent are active together, but once
     * unlinked each is its own group, and only one answer without an execution may be active per
     * (conversation, parent, role) (the index of V15). So an active one becomes inactive when a
     * later answer of its group is active, or when an answer already unlinked (an earlier batch)
     * is: the last of each group stays active, whatever order the batches unlink them in. The
     * turns below an answer made inactive (reached through parents) become inactive with it, as
     * switching branches hides them, so history stays one chain: a tool result answering the
     * hidden answer no longer shows between the question and the answer kept. One statement, its
     * set read before it writes on both databases.
     */
    public static String keepOneActive(String detached) {
        String hidden = "SELECT m.id FROM <p>messages m WHERE m.tenant_id = :t AND " + detached + " AND m.is_active = TRUE"
                + " AND m.parent_id IS NOT NULL AND m.deleted_at IS NULL AND EXISTS (SELECT 1 FROM <p>messages o WHERE o.tenant_id = :t"
                + " AND o.conversation_id = m.conversation_id AND o.parent_id = m.parent_id"
                + " AND o.role = m.role AND o.is_active = TRUE AND o.deleted_at IS NULL AND o.id <> m.id"
                + " AND (o.execution_id IS NULL OR o.execution_id = m.execution_id AND o.sequence > m.sequence))";
        return "UPDATE <p>messages SET is_active = FALSE WHERE tenant_id = :t AND is_active = TRUE AND id IN (WITH RECURSIVE below (id) AS ("
                + hidden + " UNION SELECT d.id FROM <p>messages d JOIN below ON d.tenant_id = :t AND d.parent_id = below.id)"
                + " SELECT id FROM below)";
    }

    /**
     * Voice calls outside the conversations being purged (or in none) that name one of their
     * executions: they belong to their own conversation and keep their row, losing the link, as
     * erasing the conversation does. Cleared before {@link #CONVERSATION_CHILDREN} are deleted.
     */
    static final String DETACHED_VOICE_CALLS = "execution_id IN (" + EXECUTIONS + ")"
            + " AND (conversation_id IS NULL OR conversation_id NOT IN (<ids>))";

    /** Assets produced by the executions whose ids are bound as {@code <ids>}. */
    static final String ASSETS_OF_EXECUTIONS = "SELECT id FROM <p>assets WHERE tenant_id = :t AND execution_id IN (<ids>)";

    /**
     * Deleted, in this order, before finished executions without a conversation are removed. Voice
     * calls that point at one keep their row and lose the link (see {@code JdbiRetention}).
     */
    public static final List<ChildTable> EXECUTION_CHILDREN = List.of(
            new ChildTable("vectors", "target_type = 'asset' AND target_id IN (" + ASSETS_OF_EXECUTIONS + ")"),
            new ChildTable("message_assets", "asset_id IN (" + ASSETS_OF_EXECUTIONS + ")"),
            ChildTable.byColumn("assets", "execution_id"),
            ChildTable.byColumn("execution_tool_calls", "execution_id"),
            ChildTable.byColumn("execution_steps", "execution_id"));

    /**
     * The attachments (asset id and attachment metadata) of the messages of the conversations
     * being purged; those marked {@code AttachedAsset.PART} name assets that go with them.
     */
    static final String CONVERSATION_ATTACHMENTS = "SELECT asset_id, metadata FROM <p>message_assets WHERE tenant_id = :t AND message_id IN"
            + " (SELECT id FROM <p>messages WHERE tenant_id = :t AND conversation_id IN (<ids>))";

    /** The attachments of the messages being hard-deleted; see {@link #CONVERSATION_ATTACHMENTS}. */
    static final String MESSAGE_ATTACHMENTS = "SELECT asset_id, metadata FROM <p>message_assets WHERE tenant_id = :t AND message_id IN (<ids>)";

    /**
     * Of the assets attached to the messages of the conversations being purged, those a message outside them also
     * holds: a part of a purged message stays for that other message, losing only the purged message's attachment.
     */
    static final String CONVERSATION_PARTS_HELD_ELSEWHERE = "SELECT DISTINCT asset_id FROM <p>message_assets WHERE tenant_id = :t"
            + " AND asset_id IN (SELECT asset_id FROM <p>message_assets WHERE tenant_id = :t AND message_id IN (SELECT id FROM <p>messages"
            + " WHERE tenant_id = :t AND conversation_id IN (<ids>))) AND message_id NOT IN (SELECT id FROM <p>messages WHERE tenant_id = :t"
            + " AND conversation_id IN (<ids>))";

    /** {@link #CONVERSATION_PARTS_HELD_ELSEWHERE} for the messages being hard-deleted. */
    static final String MESSAGE_PARTS_HELD_ELSEWHERE = "SELECT DISTINCT asset_id FROM <p>message_assets WHERE tenant_id = :t"
            + " AND asset_id IN (SELECT asset_id FROM <p>message_assets WHERE tenant_id = :t AND message_id IN (<ids>))"
            + " AND message_id NOT IN (<ids>)";

    /** The attachments of the assets bound as {@code <ids>}. */
    static final ChildTable ASSET_ATTACHMENTS = ChildTable.byColumn("message_assets", "asset_id");

    /** The vectors of the assets bound as {@code <ids>}. */
    static final ChildTable ASSET_VECTORS = new ChildTable("vectors", "target_type = 'asset' AND target_id IN (<ids>)");

    /**
     * The rows that go with an asset row (its bytes go after the commit): a dry run counts them; a real
     * run deletes the attachments and then the vectors once it has locked the asset (see {@code JdbiRetention}).
     */
    public static final List<ChildTable> ASSET_CHILDREN = List.of(ASSET_VECTORS, ASSET_ATTACHMENTS);

    /** Deleted, in this order, before a soft-deleted message is hard-deleted. */
    public static final List<ChildTable> MESSAGE_CHILDREN = List.of(
            new ChildTable("vectors", "target_type = 'message' AND target_id IN (<ids>)"),
            ChildTable.byColumn("message_events", "message_id"),
            ChildTable.byColumn("message_assets", "message_id"));

    /** Deleted, in this order, before an expired or long-deleted memory is removed. */
    public static final List<ChildTable> MEMORY_CHILDREN = List.of(
            new ChildTable("vectors", "target_type = 'memory' AND target_id IN (<ids>)"),
            ChildTable.byColumn("memory_tags", "memory_id"),
            ChildTable.byColumn("memory_revisions", "memory_id"));
}
