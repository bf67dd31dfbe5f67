package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.HostileInputContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteHostileInputTest extends HostileInputContract {
    SqliteHostileInputTest() {
        super(new SqliteTestDatabase());
    }
}
