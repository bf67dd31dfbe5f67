package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39jContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer39jTest extends Newcomer39jContract {
    PostgresNewcomer39jTest() {
        super(new PostgresTestDatabase());
    }
}
