package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer35Contract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer35Test extends Newcomer35Contract {
    PostgresNewcomer35Test() {
        super(new PostgresTestDatabase());
    }
}
