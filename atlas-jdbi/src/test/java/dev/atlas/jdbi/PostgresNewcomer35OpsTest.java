package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer35OpsContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer35OpsTest extends Newcomer35OpsContract {
    PostgresNewcomer35OpsTest() {
        super(new PostgresTestDatabase());
    }
}
