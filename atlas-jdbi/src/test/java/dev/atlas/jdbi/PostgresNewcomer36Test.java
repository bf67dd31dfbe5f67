package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer36Contract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer36Test extends Newcomer36Contract {
    PostgresNewcomer36Test() {
        super(new PostgresTestDatabase());
    }
}
