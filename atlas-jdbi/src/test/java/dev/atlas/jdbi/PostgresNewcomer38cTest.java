package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38cContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer38cTest extends Newcomer38cContract {
    PostgresNewcomer38cTest() {
        super(new PostgresTestDatabase());
    }
}
