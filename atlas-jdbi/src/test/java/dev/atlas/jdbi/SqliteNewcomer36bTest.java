package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer36bContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer36bTest extends Newcomer36bContract {
    SqliteNewcomer36bTest() {
        super(new SqliteTestDatabase());
    }
}
