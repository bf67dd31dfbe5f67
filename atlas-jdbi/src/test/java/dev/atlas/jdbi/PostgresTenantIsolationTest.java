package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.TenantIsolationContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresTenantIsolationTest extends TenantIsolationContract {
    PostgresTenantIsolationTest() {
        super(new PostgresTestDatabase());
    }
}
