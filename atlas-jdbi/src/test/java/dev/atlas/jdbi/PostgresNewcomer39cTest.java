package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39cContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer39cTest extends Newcomer39cContract {
    PostgresNewcomer39cTest() {
        super(new PostgresTestDatabase());
    }
}
