package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37Contract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer37Test extends Newcomer37Contract {
    SqliteNewcomer37Test() {
        super(new SqliteTestDatabase());
    }
}
