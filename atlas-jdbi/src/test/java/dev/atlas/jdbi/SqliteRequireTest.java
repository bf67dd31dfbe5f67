package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.RequireContract;

class SqliteRequireTest extends RequireContract {
    SqliteRequireTest() {
        super(new SqliteTestDatabase());
    }
}
