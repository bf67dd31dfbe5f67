package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.StatementCacheContract;

class SqliteStatementCacheTest extends StatementCacheContract {
    SqliteStatementCacheTest() {
        super(new SqliteTestDatabase());
    }
}
