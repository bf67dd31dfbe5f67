package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The settings store's statements; its revisions are {@link VersionedDocuments}, as for assistants. */
final class SettingsSql {
    private static final String COLUMNS = "tenant_id, id, slug, name, owner_type, owner_id, last_revision, current_revision_id,"
            + " created_at, updated_at";
    // The join reads the current revision's number in the same query (no N+1 in list).
    private static final String S = "SELECT s." + COLUMNS.replace(", ", ", s.") + ", cr.number AS current_revision_number"
            + " FROM <p>settings s LEFT JOIN <p>settings_revisions cr ON cr.tenant_id = s.tenant_id AND cr.id = s.current_revision_id"
            + " WHERE s.tenant_id = :t AND s.deleted_at IS NULL";

    final Statement insert;
    final Statement byId;
    final Statement bySlug;
    final Statement delete;
    final Statement rename;
    final Statement renameFrom;
    final VersionedDocuments.Statements revisions;
    private final Catalogue c;

    SettingsSql(Catalogue c) {
        this.c = c;
        insert = c.sql("settings.insert", "INSERT INTO <p>settings (tenant_id, id, slug, name, owner_type, owner_id, last_revision,"
                + " created_at, updated_at) VALUES (:t, :id, :slug, :name, :ownerType, :ownerId, 0, :now, :now)"
                + " RETURNING " + COLUMNS + ", 0 AS current_revision_number");
        byId = c.sql("settings.byId", S + " AND s.id = :id");
        bySlug = c.sql("settings.bySlug", S + " AND s.slug = :slug");
        rename = c.sql("settings.rename", "UPDATE <p>settings SET slug = :slug, name = :name, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        renameFrom = c.sql("settings.renameFrom", "UPDATE <p>settings SET slug = :slug, name = :name, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND slug = :readSlug AND name = :readName");
        // As rename: a writer whose clock is behind never dates the delete before the last change.
        delete = c.sql("settings.delete", "UPDATE <p>settings SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        revisions = new VersionedDocuments.Statements(c, "settings", "settings_revisions", "settings_id", "value");
    }

    /** The listing with the optional owner filter and cursor {@code where} renders, keyed by slug. */
    Statement list(String where) {
        return c.render("settings.list", S + where + " ORDER BY " + c.dialect().binary("s.slug") + " LIMIT :limit");
    }
}
