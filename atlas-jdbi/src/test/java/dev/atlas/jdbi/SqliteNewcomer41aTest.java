package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer41aContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer41aTest extends Newcomer41aContract {
    SqliteNewcomer41aTest() {
        super(new SqliteTestDatabase());
    }
}
