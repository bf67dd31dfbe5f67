package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38bContract;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;

/** {@link Newcomer38bContract} on PostgreSQL with pgvector (semantic search through the HNSW path); skipped without {@code ATLAS_PGVECTOR_URL}. */
class PgvectorNewcomer38bTest extends Newcomer38bContract {
    PgvectorNewcomer38bTest() {
        super(new PgvectorTestDatabase());
    }
}
