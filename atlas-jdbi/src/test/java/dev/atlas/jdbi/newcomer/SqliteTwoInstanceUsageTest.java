package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteTwoInstanceUsageTest extends TwoInstanceUsageContract {
    SqliteTwoInstanceUsageTest() {
        super(new SqliteTestDatabase());
    }
}
