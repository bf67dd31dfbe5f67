package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer24Test extends Newcomer24Contract {
    PostgresNewcomer24Test() {
        super(new PostgresTestDatabase());
    }
}
