package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer13Test extends Newcomer13Contract {
    PostgresNewcomer13Test() {
        super(new PostgresTestDatabase());
    }
}
