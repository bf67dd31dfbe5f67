package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresTwoInstanceUsageTest extends TwoInstanceUsageContract {
    PostgresTwoInstanceUsageTest() {
        super(new PostgresTestDatabase());
    }
}
