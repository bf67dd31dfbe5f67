package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.SearchContract;

/** The search suite on a PostgreSQL server with pgvector; skipped unless ATLAS_PGVECTOR_URL is set. */
class PgvectorSearchTest extends SearchContract {
    PgvectorSearchTest() {
        super(new PgvectorTestDatabase());
    }
}
