package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer15Test extends Newcomer15Contract {
    SqliteNewcomer15Test() {
        super(new SqliteTestDatabase());
    }
}
