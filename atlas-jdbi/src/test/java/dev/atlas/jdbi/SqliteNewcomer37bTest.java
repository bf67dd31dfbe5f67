package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37bContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer37bTest extends Newcomer37bContract {
    SqliteNewcomer37bTest() {
        super(new SqliteTestDatabase());
    }
}
