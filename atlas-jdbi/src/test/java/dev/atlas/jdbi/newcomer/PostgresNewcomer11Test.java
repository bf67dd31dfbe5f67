package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer11Test extends Newcomer11Contract {
    PostgresNewcomer11Test() {
        super(new PostgresTestDatabase());
    }
}
