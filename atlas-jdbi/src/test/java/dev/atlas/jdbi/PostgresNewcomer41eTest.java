package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer41eContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer41eTest extends Newcomer41eContract {
    PostgresNewcomer41eTest() {
        super(new PostgresTestDatabase());
    }
}
