package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37Contract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer37Test extends Newcomer37Contract {
    PostgresNewcomer37Test() {
        super(new PostgresTestDatabase());
    }
}
