package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38jContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer38jTest extends Newcomer38jContract {
    PostgresNewcomer38jTest() {
        super(new PostgresTestDatabase());
    }
}
