package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39cContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer39cTest extends Newcomer39cContract {
    SqliteNewcomer39cTest() {
        super(new SqliteTestDatabase());
    }
}
