package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer19Test extends Newcomer19Contract {
    PostgresNewcomer19Test() {
        super(new PostgresTestDatabase());
    }
}
