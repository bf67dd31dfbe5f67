package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer34Contract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer34Test extends Newcomer34Contract {
    SqliteNewcomer34Test() {
        super(new SqliteTestDatabase());
    }
}
