package dev.atlas.jdbi;

import dev.atlas.AtlasBuilder;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;

/** {@link PostgresEraseRaces} on a PostgreSQL server with pgvector, where vector writes also fill the embedding column; skipped unless ATLAS_PGVECTOR_URL is set. */
class PgvectorEraseRaceTest extends PostgresEraseRaces {
    PgvectorEraseRaceTest() {
        super(new PgvectorTestDatabase());
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).pgvectorIndex(24, 100);
    }
}
