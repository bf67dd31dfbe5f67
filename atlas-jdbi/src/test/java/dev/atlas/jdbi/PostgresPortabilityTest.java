package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PortabilityContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresPortabilityTest extends PortabilityContract {
    PostgresPortabilityTest() {
        super(new PostgresTestDatabase());
    }
}
