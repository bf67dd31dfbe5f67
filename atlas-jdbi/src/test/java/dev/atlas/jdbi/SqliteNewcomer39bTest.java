package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39bContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

/** {@link Newcomer39bContract} on SQLite. */
class SqliteNewcomer39bTest extends Newcomer39bContract {
    SqliteNewcomer39bTest() {
        super(new SqliteTestDatabase());
    }
}
