package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.StatementCacheContract;

class PostgresStatementCacheTest extends StatementCacheContract {
    PostgresStatementCacheTest() {
        super(new PostgresTestDatabase());
    }
}
