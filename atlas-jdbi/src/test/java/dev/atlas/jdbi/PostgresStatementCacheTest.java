package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresStatementCacheTest extends SqliteStatementCacheTest {
    PostgresStatementCacheTest() {
        super(new PostgresTestDatabase());
    }
}
