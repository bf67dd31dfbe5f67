package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer35OpsContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer35OpsTest extends Newcomer35OpsContract {
    SqliteNewcomer35OpsTest() {
        super(new SqliteTestDatabase());
    }
}
