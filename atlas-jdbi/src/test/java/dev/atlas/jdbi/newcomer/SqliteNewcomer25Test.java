package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer25Test extends Newcomer25Contract {
    SqliteNewcomer25Test() {
        super(new SqliteTestDatabase());
    }
}
