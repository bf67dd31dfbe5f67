package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer25Test extends Newcomer25Contract {
    PostgresNewcomer25Test() {
        super(new PostgresTestDatabase());
    }
}
