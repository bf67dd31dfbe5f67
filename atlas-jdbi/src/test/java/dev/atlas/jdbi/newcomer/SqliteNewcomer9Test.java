package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer9Test extends Newcomer9Contract {
    SqliteNewcomer9Test() {
        super(new SqliteTestDatabase());
    }
}
