package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** pgvector's statements: its schema additions, the embedding column's back-fill and the search settings. */
final class PgVectorSql {
    final Catalogue catalogue;
    final Statement available;
    final Statement createExtension;
    final Statement addColumn;
    final Statement unembeddedIndex;
    final Statement backfillTenants;
    final Statement backfillBatch;
    final Statement writeEmbedding;
    final Statement writeEmbeddingOf;
    final Statement settings;
    final Statement indexValid;

    PgVectorSql(Catalogue c) {
        catalogue = c;
        available = c.sql("pgvector.available", "SELECT COUNT(*) FROM pg_available_extensions WHERE name = 'vector'");
        createExtension = c.sql("pgvector.createExtension", "CREATE EXTENSION IF NOT EXISTS vector");
        addColumn = c.sql("pgvector.addColumn", "ALTER TABLE <p>vectors ADD COLUMN IF NOT EXISTS embedding vector");
        // The rows a search scores exactly besides the HNSW hits (and the back-fill's work list): without this index
        // every search read the whole table to find that there are none.
        unembeddedIndex = c.sql("pgvector.unembeddedIndex", "CREATE INDEX CONCURRENTLY IF NOT EXISTS <p>vectors_unembedded"
                + " ON <p>vectors (tenant_id, model, dimension) WHERE embedding IS NULL");
        backfillTenants = c.crossTenant("pgvector.backfillTenants", "start-up maintenance: finds the tenants with vectors stored before"
                + " pgvector was installed; each is then back-filled by tenant-bound statements",
                "SELECT DISTINCT tenant_id FROM <p>vectors WHERE embedding IS NULL AND dimension <= " + PgVectorIndex.MAX_INDEXED_DIMENSION);
        backfillBatch = c.sql("pgvector.backfillBatch", "SELECT id, vector, model FROM <p>vectors WHERE tenant_id = :t AND embedding IS NULL"
                + " AND dimension <= " + PgVectorIndex.MAX_INDEXED_DIMENSION + " LIMIT :limit");
        writeEmbedding = c.sql("pgvector.writeEmbedding", "UPDATE <p>vectors SET embedding = CAST(:v AS vector)"
                + " WHERE tenant_id = :t AND id = :id");
        writeEmbeddingOf = c.sql("pgvector.writeEmbeddingOf", "UPDATE <p>vectors SET embedding = CAST(:v AS vector)"
                + " WHERE tenant_id = :t AND model = :model AND target_type = :type AND target_id = :id");
        // Named columns: two unnamed set_config columns would share one name.
        settings = c.sql("pgvector.settings", "SELECT set_config('hnsw.ef_search', :ef, true) AS ef_search,"
                + " set_config('hnsw.iterative_scan', 'strict_order', true) AS iterative_scan");
        indexValid = c.sql("pgvector.indexValid", "SELECT i.indisvalid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                + " WHERE x.relname = :name");
    }
}
