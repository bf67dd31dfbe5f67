package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer20Test extends Newcomer20Contract {
    SqliteNewcomer20Test() {
        super(new SqliteTestDatabase());
    }
}
