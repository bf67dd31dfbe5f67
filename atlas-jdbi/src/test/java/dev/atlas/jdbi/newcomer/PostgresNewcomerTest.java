package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomerTest extends NewcomerContract {
    PostgresNewcomerTest() {
        super(new PostgresTestDatabase());
    }
}
