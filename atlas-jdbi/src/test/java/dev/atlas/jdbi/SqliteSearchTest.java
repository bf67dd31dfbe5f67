package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.SearchContract;

class SqliteSearchTest extends SearchContract {
    SqliteSearchTest() {
        super(new SqliteTestDatabase());
    }
}
