package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer22Test extends Newcomer22Contract {
    PostgresNewcomer22Test() {
        super(new PostgresTestDatabase());
    }
}
