package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer35Contract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer35Test extends Newcomer35Contract {
    SqliteNewcomer35Test() {
        super(new SqliteTestDatabase());
    }
}
