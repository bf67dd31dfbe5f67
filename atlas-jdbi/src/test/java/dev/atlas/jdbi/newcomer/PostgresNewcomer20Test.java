package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer20Test extends Newcomer20Contract {
    PostgresNewcomer20Test() {
        super(new PostgresTestDatabase());
    }
}
