package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer21Test extends Newcomer21Contract {
    PostgresNewcomer21Test() {
        super(new PostgresTestDatabase());
    }
}
