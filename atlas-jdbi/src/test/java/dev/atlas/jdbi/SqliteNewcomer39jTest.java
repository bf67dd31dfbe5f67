package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39jContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer39jTest extends Newcomer39jContract {
    SqliteNewcomer39jTest() {
        super(new SqliteTestDatabase());
    }
}
