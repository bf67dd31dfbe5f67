package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;

/** {@link FilteredSearchParityTest} against PostgreSQL with pgvector's HNSW index; skipped unless ATLAS_PGVECTOR_URL is set. */
class PgvectorFilteredSearchParityTest extends FilteredSearchParityTest {
    @Override
    protected TestDatabase other() {
        return new PgvectorTestDatabase();
    }
}
