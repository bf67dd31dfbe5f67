package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer17Test extends Newcomer17Contract {
    SqliteNewcomer17Test() {
        super(new SqliteTestDatabase());
    }
}
