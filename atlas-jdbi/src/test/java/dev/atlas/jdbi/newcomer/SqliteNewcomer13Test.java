package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer13Test extends Newcomer13Contract {
    SqliteNewcomer13Test() {
        super(new SqliteTestDatabase());
    }
}
