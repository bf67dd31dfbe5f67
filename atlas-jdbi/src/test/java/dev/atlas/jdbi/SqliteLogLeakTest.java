package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.LogLeakContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteLogLeakTest extends LogLeakContract {
    SqliteLogLeakTest() {
        super(new SqliteTestDatabase());
    }
}
