package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer43Contract;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;

/** {@link Newcomer43Contract} on PostgreSQL with pgvector (semantic search through the HNSW path); skipped without {@code ATLAS_PGVECTOR_URL}. */
class PgvectorNewcomer43Test extends Newcomer43Contract {
    PgvectorNewcomer43Test() {
        super(new PgvectorTestDatabase());
    }
}
