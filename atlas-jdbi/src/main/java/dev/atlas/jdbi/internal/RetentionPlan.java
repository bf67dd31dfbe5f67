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

    /**
     * Deleted, in this order, before the conversations (and their descendant tool threads)
     * themselves when a conversation is purged. Executions, steps, tool calls, assets, message
     * assets and voice calls belong here once their tables exist, children before parents.
     */
    public static final List<ChildTable> CONVERSATION_CHILDREN = List.of(
            ChildTable.byColumn("vectors", "conversation_id"),
            ChildTable.byColumn("message_events", "conversation_id"),
            ChildTable.byColumn("messages", "conversation_id"));

    /** Deleted, in this order, before a soft-deleted message is hard-deleted. */
    public static final List<ChildTable> MESSAGE_CHILDREN = List.of(
            new ChildTable("vectors", "target_type = 'message' AND target_id IN (<ids>)"),
            ChildTable.byColumn("message_events", "message_id"));

    /** Deleted, in this order, before an expired or long-deleted memory is removed. */
    public static final List<ChildTable> MEMORY_CHILDREN = List.of(
            new ChildTable("vectors", "target_type = 'memory' AND target_id IN (<ids>)"),
            ChildTable.byColumn("memory_tags", "memory_id"),
            ChildTable.byColumn("memory_revisions", "memory_id"));
}
