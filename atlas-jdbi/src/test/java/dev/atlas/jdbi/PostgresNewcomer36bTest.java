package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer36bContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer36bTest extends Newcomer36bContract {
    PostgresNewcomer36bTest() {
        super(new PostgresTestDatabase());
    }
}
