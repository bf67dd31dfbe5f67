package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer19Test extends Newcomer19Contract {
    SqliteNewcomer19Test() {
        super(new SqliteTestDatabase());
    }
}
