package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** pgvector's statements: its schema additions and indexes, the embedding column's back-fill, the search settings and the search. */
final class PgVectorSql {
    final Catalogue catalogue;
    final Statement available;
    final Statement installed;
    final Statement createExtension;
    final Statement hasColumn;
    final Statement catalogState;
    final Statement unembeddedIndex;
    final Statement backfillTenants;
    final Statement backfillBatch;
    final Statement settings;
    final Statement indexValid;
    final Statement clearEmbeddingOf;

    PgVectorSql(Catalogue c) {
        catalogue = c;
        available = c.sql("pgvector.available", "SELECT COUNT(*) FROM pg_available_extensions WHERE name = 'vector'");
        // Asked before CREATE EXTENSION and again after it failed: IF NOT EXISTS does not see another session's uncommitted
        // CREATE EXTENSION, so two instances starting at once on a database without it both ran it and the one that waited
        // failed (23505 on pg_extension_name_index) while the extension was there (PgvectorStartupLocksTest).
        // Its schema, quoted: the type, operator and operator class are named by it, so an extension a DBA installed in a
        // schema the connection's search path lacks serves all the same. Unqualified, an instance without that schema on
        // its path failed at start-up (searching exactly), or, where another instance had added the column, failed every
        // upsertVector with "type vector does not exist" (PgvectorSchemasTest).
        installed = c.sql("pgvector.installed", "SELECT quote_ident(n.nspname) FROM pg_extension e"
                + " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'");
        createExtension = c.sql("pgvector.createExtension", "CREATE EXTENSION IF NOT EXISTS vector");
        // ALTER TABLE takes ACCESS EXCLUSIVE even when the column exists (IF NOT EXISTS is decided under the lock): every
        // instance's first vector use queued behind any reader of the table, stalled every reader queued behind it, and
        // deadlocked with another instance's CREATE INDEX CONCURRENTLY, which waits for the ALTER's older snapshot
        // (PgvectorStartupLocksTest). Asking the catalogue first takes no lock on the table.
        hasColumn = c.sql("pgvector.hasColumn", "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass(" + c.nameLiteral("vectors") + ")"
                + " AND attname = 'embedding' AND NOT attisdropped");
        // What the choice of index rests on, in one statement: the extension's schema (quoted; null without it) and whether the
        // embedding column exists. Asked again at most once a minute, and when a statement fails as if one of them vanished
        // (PgVectorIndex#forDb, #reconsider): before, a DROP EXTENSION ... CASCADE failed every vector call, and an extension
        // installed later was not used, until a restart (PgvectorLifetimeTest).
        catalogState = c.sql("pgvector.catalogState", "SELECT (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n"
                + " ON n.oid = e.extnamespace WHERE e.extname = 'vector'), (SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass("
                + c.nameLiteral("vectors") + ") AND attname = 'embedding' AND NOT attisdropped)");
        // The rows a search scores exactly besides the HNSW hits (and the back-fill's work list): without this index
        // every search read the whole table to find that there are none.
        unembeddedIndex = c.sql("pgvector.unembeddedIndex", "CREATE INDEX CONCURRENTLY IF NOT EXISTS <p>vectors_unembedded"
                + " ON <p>vectors (tenant_id, model, dimension) WHERE embedding IS NULL");
        backfillTenants = c.crossTenant("pgvector.backfillTenants", "start-up maintenance: finds the tenants with vectors stored before"
                + " pgvector was installed; each is then back-filled by tenant-bound statements",
                "SELECT DISTINCT tenant_id FROM <p>vectors WHERE embedding IS NULL AND dimension <= " + PgVectorIndex.MAX_INDEXED_DIMENSION);
        // Locks its rows here, skipping those another transaction holds (one deleting or rewriting them, which leaves nothing to
        // fill): its updates then never wait. Before, each update waited for its row while the batch's earlier rows stayed
        // locked, and an erase deleting the tenant's vectors in id order deadlocked with it; PostgreSQL aborted the erase
        // (PgvectorSearchTest#eraseDuringAnImportsBackfillIsNeverAborted).
        backfillBatch = c.sql("pgvector.backfillBatch", "SELECT id, vector, model FROM <p>vectors WHERE tenant_id = :t AND embedding IS NULL"
                + " AND dimension <= " + PgVectorIndex.MAX_INDEXED_DIMENSION + " LIMIT :limit FOR UPDATE SKIP LOCKED");
        // Run by an instance searching exactly beside pgvector ones (forced exact, or pgvector unusable by its role): the
        // upsert rewrites only the bytes, and the embedding of the vector it replaced misled their index for good.
        clearEmbeddingOf = c.sql("pgvector.clearEmbeddingOf", "UPDATE <p>vectors SET embedding = NULL WHERE tenant_id = :t"
                + " AND model = :model AND target_type = :type AND target_id = :id AND embedding IS NOT NULL");
        // Named columns: two unnamed set_config columns would share one name.
        settings = c.sql("pgvector.settings", "SELECT set_config('hnsw.ef_search', :ef, true) AS ef_search,"
                + " set_config('hnsw.iterative_scan', 'strict_order', true) AS iterative_scan");
        // The index of that name on this installation's vectors table (the one the search path resolves, as CREATE INDEX
        // does), with its schema for the drop: by name alone, an installation in another schema with the same prefix
        // took the other's index for its own and never built one (PgvectorSchemasTest).
        // And whether another session builds it now: CREATE INDEX CONCURRENTLY commits the index invalid before it builds,
        // so invalid alone is a failed build or one in progress, which a drop waited for and then threw away
        // (PgvectorStartupLocksTest#indexInProgressIsLeftToItsBuilder). The progress view hides the columns of another
        // role's sessions from a user without pg_read_all_stats, but pg_locks needs no privilege: CREATE INDEX CONCURRENTLY
        // holds SHARE UPDATE EXCLUSIVE on its table, as a session lock, from start to end (none on the index itself). So a
        // hidden build counts as this index's only when its session holds that lock on this vectors table; before, any
        // hidden build in the database did, and a failed index waited for a later start to be rebuilt
        // (PgvectorStartupLocksTest#hiddenBuildOfAnotherTableKeepsNoFailedIndex).
        indexValid = c.sql("pgvector.indexValid", "SELECT i.indisvalid, quote_ident(n.nspname) || '.' || quote_ident(x.relname),"
                + " EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.pid <> pg_backend_pid() AND (p.index_relid = x.oid"
                + " OR (p.relid IS NULL AND p.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())"
                + " AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = p.pid AND l.locktype = 'relation' AND l.database = p.datid"
                + " AND l.relation = i.indrelid AND l.mode = 'ShareUpdateExclusiveLock' AND l.granted))))"
                + " FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_namespace n ON n.oid = x.relnamespace"
                + " WHERE i.indrelid = to_regclass(" + c.nameLiteral("vectors") + ") AND x.relname = :name");
    }

    /**
     * Whether this connection may use the extension's type and operator in schema {@code ext} (quoted): without USAGE on
     * that schema every statement naming them fails, and where another role had added the embedding column every
     * upsertVector failed with "permission denied for schema" (PgvectorStartupLocksTest#extensionSchemaWithoutUsageIsExactNotFailing).
     */
    Statement usable(String ext) {
        return catalogue.render("pgvector.usable", "SELECT CAST('[1]' AS " + ext + ".vector) OPERATOR(" + ext + ".<=>) CAST('[1]' AS "
                + ext + ".vector)");
    }

    /** Adds the embedding column of type vector of the extension's schema {@code ext} (quoted). */
    Statement addColumn(String ext) {
        return catalogue.render("pgvector.addColumn", "ALTER TABLE <p>vectors ADD COLUMN IF NOT EXISTS embedding " + ext + ".vector");
    }

    /** Writes the embedding {@code :v} of the vector row {@code :id}; {@code ext} is the extension's schema, quoted. */
    Statement writeEmbedding(String ext) {
        return catalogue.render("pgvector.writeEmbedding", "UPDATE <p>vectors SET embedding = CAST(:v AS " + ext + ".vector)"
                + " WHERE tenant_id = :t AND id = :id");
    }

    /** Writes the embedding {@code :v} of the vector of (model, target type, target id); {@code ext} as above. */
    Statement writeEmbeddingOf(String ext) {
        return catalogue.render("pgvector.writeEmbeddingOf", "UPDATE <p>vectors SET embedding = CAST(:v AS " + ext + ".vector)"
                + " WHERE tenant_id = :t AND model = :model AND target_type = :type AND target_id = :id");
    }

    /**
     * Drops the invalid index {@code qualifiedName} (a build that failed, which no session is running; schema-qualified,
     * quoted) so it can be built again.
     */
    Statement dropInvalidIndex(String qualifiedName) {
        return catalogue.render("pgvector.dropInvalidIndex", "DROP INDEX CONCURRENTLY IF EXISTS " + qualifiedName);
    }

    /**
     * The HNSW index {@code name} of (model, dimension): cosine distance over the embedding cast to its dimension, the type
     * and operator class named by the extension's schema {@code ext} (quoted). The search's expression names the same type,
     * so the planner matches it (by the type's oid, whatever the search path).
     */
    Statement createIndex(String ext, String name, String model, int dimension, int m, int efConstruction) {
        return catalogue.render("pgvector.createIndex", "CREATE INDEX CONCURRENTLY IF NOT EXISTS " + name
                + " ON <p>vectors USING hnsw ((embedding::" + ext + ".vector(" + dimension + ")) " + ext + ".vector_cosine_ops)"
                + " WITH (m = " + m + ", ef_construction = " + efConstruction + ")"
                + " WHERE model = " + quote(model) + " AND dimension = " + dimension);
    }

    /**
     * The search, one statement (one snapshot): the candidates ({@code fromWhere}, vectors aliased {@code v}, binding
     * {@code :t}, {@code :model}, {@code :type}, {@code :dim} and the filters' values) of a {@code d}-dimensional query
     * {@code :qv}. Columns: target id, conversation, the stored bytes, the index's float32 distance (null where not ranked by
     * the index) and which branch gave the row: 0 the index's {@code asked} nearest with an embedding, 1 every candidate
     * without one, 2 every candidate with one, only when the index returned fewer than {@code asked} (a one-time filter on
     * the count of the materialized index rows). {@code ext} is the extension's schema, quoted.
     */
    Statement nearest(String ext, String fromWhere, String conversationExpr, String model, int d, int asked) {
        String type = ext + ".vector(" + d + ")";
        String distance = "(v.embedding::" + type + " OPERATOR(" + ext + ".<=>) CAST(:qv AS " + type + "))";
        String columns = "SELECT v.target_id AS target_id, " + conversationExpr + " AS conv, v.vector AS vector, %s AS distance, "
                + "%d AS unembedded " + fromWhere;
        String nothing = "CAST(NULL AS double precision)";
        // The model literal repeats the bound filter so the planner can prove the partial index applies.
        return catalogue.render("pgvector.nearest", "WITH idx AS MATERIALIZED (" + columns.formatted(distance, 0) + " AND v.model = "
                + quote(model) + " AND v.dimension = " + d + " AND v.embedding IS NOT NULL ORDER BY " + distance + " LIMIT " + asked + ")"
                + " SELECT * FROM idx UNION ALL (" + columns.formatted(nothing, 1) + " AND v.embedding IS NULL)"
                + " UNION ALL (" + columns.formatted(nothing, 2) + " AND v.embedding IS NOT NULL"
                + " AND (SELECT COUNT(*) FROM idx) < " + asked + ")");
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }
}
