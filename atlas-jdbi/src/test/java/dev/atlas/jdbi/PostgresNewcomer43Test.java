package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer43Contract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer43Test extends Newcomer43Contract {
    PostgresNewcomer43Test() {
        super(new PostgresTestDatabase());
    }
}
