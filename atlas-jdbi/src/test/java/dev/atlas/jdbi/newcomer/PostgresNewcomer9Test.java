package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer9Test extends Newcomer9Contract {
    PostgresNewcomer9Test() {
        super(new PostgresTestDatabase());
    }
}
