package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer12Test extends Newcomer12Contract {
    PostgresNewcomer12Test() {
        super(new PostgresTestDatabase());
    }
}
