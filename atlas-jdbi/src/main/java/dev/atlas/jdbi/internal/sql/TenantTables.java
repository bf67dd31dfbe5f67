package dev.atlas.jdbi.internal.sql;

import java.util.Set;

/**
 * Atlas's tables by distribution role, without the table prefix. {@code PostgresCitusReadinessTest}
 * proves this list against the migrated catalog, so the declaration check of {@link TenantPredicate}
 * cannot miss a table added later.
 */
public final class TenantTables {
    private TenantTables() {}

    /** Every table with a tenant_id column: distributed by tenant_id on Citus. */
    public static final Set<String> TENANT = Set.of(
            "conversations", "messages", "message_events",
            "executions", "execution_steps", "execution_tool_calls", "model_prices",
            "assets", "message_assets", "voice_calls", "blob_intents",
            "memories", "memory_tags", "memory_revisions", "graph_nodes", "graph_edges",
            "vector_models", "vectors",
            "assistants", "assistant_revisions", "credentials", "tasks",
            "settings", "settings_revisions", "leases", "task_schedules",
            // SQLite only: the full-text keys and index (PostgreSQL indexes the rows themselves), and the
            // vector set versions its vector cache checks (V19).
            "search_keys", "search_fts", "vector_sets");

    /** Tables without a tenant: reference tables on Citus (one copy on every node). */
    public static final Set<String> REFERENCE = Set.of("installation", "schema_history");
}
