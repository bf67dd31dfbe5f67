package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer12Test extends Newcomer12Contract {
    SqliteNewcomer12Test() {
        super(new SqliteTestDatabase());
    }
}
