package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38jContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer38jTest extends Newcomer38jContract {
    SqliteNewcomer38jTest() {
        super(new SqliteTestDatabase());
    }
}
