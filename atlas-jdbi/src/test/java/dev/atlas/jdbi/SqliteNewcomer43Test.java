package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer43Contract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer43Test extends Newcomer43Contract {
    SqliteNewcomer43Test() {
        super(new SqliteTestDatabase());
    }
}
