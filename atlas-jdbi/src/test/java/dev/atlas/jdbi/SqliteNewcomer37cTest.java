package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37cContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer37cTest extends Newcomer37cContract {
    SqliteNewcomer37cTest() {
        super(new SqliteTestDatabase());
    }
}
