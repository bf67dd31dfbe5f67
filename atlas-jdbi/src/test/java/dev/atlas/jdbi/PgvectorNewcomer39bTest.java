package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39bContract;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;

/** {@link Newcomer39bContract} on PostgreSQL with pgvector (semantic search through the HNSW path); skipped without {@code ATLAS_PGVECTOR_URL}. */
class PgvectorNewcomer39bTest extends Newcomer39bContract {
    PgvectorNewcomer39bTest() {
        super(new PgvectorTestDatabase());
    }
}
