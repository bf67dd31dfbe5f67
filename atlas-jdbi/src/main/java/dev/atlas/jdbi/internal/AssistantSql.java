package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The assistant store's statements; its revisions are {@link VersionedDocuments}. */
final class AssistantSql {
    static final String COLUMNS = "tenant_id, id, slug, name, description, is_active, is_public, owner_type, owner_id,"
            + " default_model, temperature, top_p, max_output_tokens, tools, metadata, last_revision, current_revision_id,"
            + " created_at, updated_at, deleted_at, version";
    // The join reads the current revision's number in the same query (no N+1 in list).
    private static final String A = "SELECT a." + COLUMNS.replace(", ", ", a.") + ", cr.number AS current_revision_number"
            + " FROM <p>assistants a LEFT JOIN <p>assistant_revisions cr ON cr.tenant_id = a.tenant_id AND cr.id = a.current_revision_id"
            + " WHERE a.tenant_id = :t AND a.deleted_at IS NULL";
    private static final String SPEC = "slug = :slug, name = :name, description = :description, is_active = :active,"
            + " is_public = :public, owner_type = :ownerType, owner_id = :ownerId, default_model = :model,"
            + " temperature = :temperature, top_p = :topP, max_output_tokens = :maxTokens, tools = :tools, metadata = :metadata";

    private final Catalogue c;
    final Statement insert;
    final Statement byId;
    final Statement bySlug;
    final Statement update;
    final Statement updateExpecting;
    final Statement delete;
    final VersionedDocuments.Statements revisions;

    AssistantSql(Catalogue c) {
        this.c = c;
        // A new assistant has no revision yet, so the row returned is the whole answer.
        insert = c.sql("assistants.insert", "INSERT INTO <p>assistants (tenant_id, id, slug, name, description, is_active, is_public,"
                + " owner_type, owner_id, default_model, temperature, top_p, max_output_tokens, tools, metadata, last_revision, created_at,"
                + " updated_at) VALUES (:t, :id, :slug, :name, :description, :active, :public, :ownerType, :ownerId, :model, :temperature,"
                + " :topP, :maxTokens, :tools, :metadata, 0, :now, :now) RETURNING " + COLUMNS + ", 0 AS current_revision_number");
        byId = c.sql("assistants.byId", A + " AND a.id = :id");
        bySlug = c.sql("assistants.bySlug", A + " AND a.slug = :slug");
        // version is an int column: it stops at Integer.MAX_VALUE instead of overflowing, which
        // PostgreSQL refuses and SQLite would store and read back wrapped to a negative number.
        String update = "UPDATE <p>assistants SET " + SPEC + ", version = version + 1, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND version < " + Integer.MAX_VALUE;
        this.update = c.sql("assistants.update", update);
        // The guard is in the UPDATE itself: a concurrent update that commits first leaves this one matching no row.
        updateExpecting = c.sql("assistants.updateExpecting", update + " AND version = :expected");
        delete = c.sql("assistants.delete", "UPDATE <p>assistants SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        revisions = new VersionedDocuments.Statements(c, "assistants", "assistant_revisions", "assistant_id", "system_prompt", "settings");
    }

    /** The listing with the optional filters {@code where} renders, keyed by slug. */
    Statement list(String where) {
        return c.render("assistants.list", A + where + " ORDER BY " + c.dialect().binary("a.slug") + " LIMIT :limit");
    }
}
