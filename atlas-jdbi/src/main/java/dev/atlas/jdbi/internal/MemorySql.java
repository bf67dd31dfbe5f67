package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The memory store's statements. */
final class MemorySql {
    static final String COLUMNS = "tenant_id, id, owner_type, owner_id, agent, kind, content, metadata, importance, conversation_id,"
            + " message_id, tool_call_id, expires_at, revision, created_at, updated_at";
    /** A memory is readable while neither deleted nor expired; binds :now. */
    static final String VISIBLE = "deleted_at IS NULL AND (expires_at IS NULL OR expires_at > :now)";
    /** The listing's rows; its optional filters are rendered per call after it. */
    static final String LIST_FROM = " FROM <p>memories m WHERE tenant_id = :t AND " + VISIBLE;
    /**
     * The listing with a tag: driven by the tag index (tenant_id, tag, memory_id), newest first, each
     * memory then read by key. As an EXISTS per memory, SQLite walked every memory of the tenant,
     * so a rare tag cost a scan of the whole tenant. Binds :tag; the filters that follow are
     * unambiguous (memory_tags has no other column of theirs).
     */
    static final String TAGGED_COLUMNS = java.util.Arrays.stream(COLUMNS.split(",\\s*")).map(c -> "m." + c + " AS " + c)
            .collect(java.util.stream.Collectors.joining(", "));
    /** See {@link #TAGGED_COLUMNS}. */
    static final String TAGGED_FROM = " FROM <p>memory_tags g CROSS JOIN <p>memories m"
            + " WHERE g.tenant_id = :t AND g.tag = :tag AND m.tenant_id = g.tenant_id AND m.id = g.memory_id AND " + VISIBLE;

    final Catalogue catalogue;
    /** A memory's tags as a JSON array, read with its row ({@code tags}): one statement, one snapshot. */
    final String tagsColumn;
    final Statement insert;
    final Statement conversationExists;
    final Statement messageExists;
    final Statement insertTag;
    final Statement deleteTags;
    final Statement find;
    /**
     * PostgreSQL: locks a visible memory's row for an update, reading nothing else; null on SQLite, whose single writer
     * serialises. The update reads the memory with {@link #find} after it: the tags subquery of a locking read keeps the
     * snapshot it began with while it waits for the lock (READ COMMITTED re-reads the locked row only), so it would show
     * the tags of before a concurrent update that it waited for, with that update's content.
     */
    final @org.jspecify.annotations.Nullable Statement lock;
    final Statement findAny;
    final Statement insertRevision;
    final Statement deleteVectors;
    final Statement update;
    final Statement delete;
    final Statement revisions;
    final Statement revisionsPage;
    final Statement byClientKey;
    final Statement firstContent;
    final Statement freeClientKey;
    /** PostgreSQL: a transaction-scoped advisory lock per (tenant, client key); null on SQLite, whose single writer serialises. */
    final @org.jspecify.annotations.Nullable Statement keyLock;

    MemorySql(Catalogue c) {
        catalogue = c;
        tagsColumn = tags(c.dialect(), "m");
        insert = c.sql("memories.insert", "INSERT INTO <p>memories (" + COLUMNS + ", search_text, client_key) VALUES (:t, :id, :ownerType,"
                + " :ownerId, :agent, :kind, :content, :metadata, :importance, :conversation, :message, :toolCall, :expiresAt, 1, :now, :now,"
                + " :searchText, :clientKey)");
        // The memory holding a client key: not deleted (the unique index's rows); visible or not, the caller decides.
        byClientKey = c.sql("memories.byClientKey", "SELECT " + COLUMNS + ", " + tagsColumn + " FROM <p>memories m WHERE tenant_id = :t"
                + " AND client_key = :clientKey"
                + " AND deleted_at IS NULL");
        firstContent = c.sql("memories.firstContent", "SELECT content FROM <p>memory_revisions WHERE tenant_id = :t AND memory_id = :m"
                + " AND revision = 1");
        freeClientKey = c.sql("memories.freeClientKey", "UPDATE <p>memories SET client_key = NULL WHERE tenant_id = :t AND id = :id");
        keyLock = c.dialect() == Dialect.POSTGRESQL ? c.sql("memories.keyLock", PgSessions.XACT_KEY_LOCK) : null;
        // Provenance columns have no foreign keys (purging a conversation must not be blocked by its
        // memories, see V3), so these checks refuse another tenant's id exactly like an unknown one.
        conversationExists = c.sql("memories.conversationExists", "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id"
                + " AND deleted_at IS NULL");
        messageExists = c.sql("memories.messageExists", "SELECT x.conversation_id FROM <p>messages x JOIN <p>conversations c ON c.tenant_id = x.tenant_id"
                + " AND c.id = x.conversation_id WHERE x.tenant_id = :t AND x.id = :id AND x.deleted_at IS NULL AND c.deleted_at IS NULL");
        insertTag = c.sql("memories.insertTag", "INSERT INTO <p>memory_tags (tenant_id, memory_id, tag) VALUES (:t, :m, :tag)");
        deleteTags = c.sql("memories.deleteTags", "DELETE FROM <p>memory_tags WHERE tenant_id = :t AND memory_id = :m");
        String byId = "SELECT " + COLUMNS + ", " + tagsColumn + " FROM <p>memories m WHERE tenant_id = :t AND id = :id";
        find = c.sql("memories.find", byId + " AND " + VISIBLE);
        lock = c.dialect() == Dialect.POSTGRESQL ? c.sql("memories.lock", "SELECT 1 FROM <p>memories WHERE tenant_id = :t AND id = :id"
                + " AND " + VISIBLE + c.dialect().forUpdate()) : null;
        findAny = c.sql("memories.findAny", byId);
        insertRevision = c.sql("memories.insertRevision", "INSERT INTO <p>memory_revisions (tenant_id, id, memory_id, revision, content,"
                + " replaced_at) VALUES (:t, :id, :m, :revision, :content, :now)");
        deleteVectors = c.sql("memories.deleteVectors", "DELETE FROM <p>vectors WHERE tenant_id = :t AND target_type = 'memory'"
                + " AND target_id = :m");
        // One statement for every patch: an absent part binds null and keeps the column.
        update = c.sql("memories.update", "UPDATE <p>memories SET updated_at = " + Dialect.LATER + ", content = COALESCE(:content, content),"
                + " search_text = COALESCE(:searchText, search_text), revision = revision + :bump, metadata = COALESCE(:metadata, metadata),"
                + " importance = COALESCE(:importance, importance),"
                + " expires_at = CASE WHEN :setExpiry = 1 THEN :expiresAt ELSE expires_at END WHERE tenant_id = :t AND id = :id");
        delete = c.sql("memories.delete", "UPDATE <p>memories SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id"
                + " AND " + VISIBLE);
        // The trail with its memory's visibility in one statement (one snapshot, one round trip): no row is no visible memory
        // of this tenant (NotFoundException, as get), a row of NULL revision is a memory without revisions.
        String trail = "SELECT m.id AS memory_id, r.id AS revision_id, r.revision, r.content, r.replaced_at FROM <p>memories m LEFT JOIN <p>memory_revisions r"
                + " ON r.tenant_id = m.tenant_id AND r.memory_id = m.id";
        String visible = " WHERE m.tenant_id = :t AND m.id = :m AND " + VISIBLE; // memory_revisions has neither of its columns
        revisions = c.sql("memories.revisions", trail + visible + " ORDER BY r.revision");
        revisionsPage = c.sql("memories.revisionsPage", trail + " AND r.revision > :after" + visible + " ORDER BY r.revision LIMIT :limit");
    }

    /**
     * The tags of the memory row {@code alias} as a JSON array, named {@code tags}: NULL (PostgreSQL) or {@code []} (SQLite)
     * for none. In no given order (the reader sorts them by code point): an ordered aggregate costs SQLite a temporary
     * B-tree per row. A scalar subquery in the select list of
     * a listing ordered by an index is evaluated for the rows returned only (PostgreSQL also defers it past the sort and
     * limit): {@code SqliteQueryPlanTest#tagListingUsesTagIndex}.
     */
    private static String tags(Dialect d, String alias) {
        return "(SELECT " + d.jsonArrayOf("mt.tag") + " FROM <p>memory_tags mt WHERE mt.tenant_id = " + alias
                + ".tenant_id AND mt.memory_id = " + alias + ".id) AS tags";
    }

    Statement list(String where) {
        return catalogue.render("memories.list", "SELECT " + COLUMNS + ", " + tagsColumn + LIST_FROM + where + " ORDER BY id DESC LIMIT :limit");
    }

    Statement listTagged(String where) {
        return catalogue.render("memories.listTagged", "SELECT " + TAGGED_COLUMNS + ", " + tagsColumn + TAGGED_FROM + where
                + " ORDER BY g.memory_id DESC LIMIT :limit");
    }
}
