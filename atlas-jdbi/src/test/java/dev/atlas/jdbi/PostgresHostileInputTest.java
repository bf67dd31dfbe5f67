package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.HostileInputContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresHostileInputTest extends HostileInputContract {
    PostgresHostileInputTest() {
        super(new PostgresTestDatabase());
    }
}
