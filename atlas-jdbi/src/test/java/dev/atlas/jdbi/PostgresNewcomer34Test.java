package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer34Contract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer34Test extends Newcomer34Contract {
    PostgresNewcomer34Test() {
        super(new PostgresTestDatabase());
    }
}
