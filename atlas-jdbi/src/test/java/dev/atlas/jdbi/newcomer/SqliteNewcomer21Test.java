package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer21Test extends Newcomer21Contract {
    SqliteNewcomer21Test() {
        super(new SqliteTestDatabase());
    }
}
