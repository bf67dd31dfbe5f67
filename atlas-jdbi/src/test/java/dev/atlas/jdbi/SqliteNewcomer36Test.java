package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer36Contract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer36Test extends Newcomer36Contract {
    SqliteNewcomer36Test() {
        super(new SqliteTestDatabase());
    }
}
