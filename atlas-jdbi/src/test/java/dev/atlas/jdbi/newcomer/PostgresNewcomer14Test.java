package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer14Test extends Newcomer14Contract {
    PostgresNewcomer14Test() {
        super(new PostgresTestDatabase());
    }
}
