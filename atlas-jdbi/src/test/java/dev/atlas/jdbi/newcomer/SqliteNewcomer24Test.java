package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer24Test extends Newcomer24Contract {
    SqliteNewcomer24Test() {
        super(new SqliteTestDatabase());
    }
}
