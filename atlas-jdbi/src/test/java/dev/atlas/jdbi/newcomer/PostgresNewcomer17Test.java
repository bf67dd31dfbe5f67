package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer17Test extends Newcomer17Contract {
    PostgresNewcomer17Test() {
        super(new PostgresTestDatabase());
    }
}
