package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer41eContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer41eTest extends Newcomer41eContract {
    SqliteNewcomer41eTest() {
        super(new SqliteTestDatabase());
    }
}
