package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer22Test extends Newcomer22Contract {
    SqliteNewcomer22Test() {
        super(new SqliteTestDatabase());
    }
}
