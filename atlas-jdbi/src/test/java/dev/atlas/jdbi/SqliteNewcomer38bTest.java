package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38bContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer38bTest extends Newcomer38bContract {
    SqliteNewcomer38bTest() {
        super(new SqliteTestDatabase());
    }
}
