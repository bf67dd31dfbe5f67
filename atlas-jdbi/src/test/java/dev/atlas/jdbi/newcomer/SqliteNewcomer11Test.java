package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer11Test extends Newcomer11Contract {
    SqliteNewcomer11Test() {
        super(new SqliteTestDatabase());
    }
}
