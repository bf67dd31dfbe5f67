package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.RetentionContract;

/** The retention suite with pgvector's extra column present; skipped unless ATLAS_PGVECTOR_URL is set. */
class PgvectorRetentionTest extends RetentionContract {
    PgvectorRetentionTest() {
        super(new PgvectorTestDatabase());
    }
}
