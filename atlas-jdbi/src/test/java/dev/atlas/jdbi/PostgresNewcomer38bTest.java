package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer38bContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer38bTest extends Newcomer38bContract {
    PostgresNewcomer38bTest() {
        super(new PostgresTestDatabase());
    }
}
