package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer15Test extends Newcomer15Contract {
    PostgresNewcomer15Test() {
        super(new PostgresTestDatabase());
    }
}
