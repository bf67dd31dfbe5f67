package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38cContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer38cTest extends Newcomer38cContract {
    SqliteNewcomer38cTest() {
        super(new SqliteTestDatabase());
    }
}
