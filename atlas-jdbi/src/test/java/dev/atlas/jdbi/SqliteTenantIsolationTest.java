package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.TenantIsolationContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteTenantIsolationTest extends TenantIsolationContract {
    SqliteTenantIsolationTest() {
        super(new SqliteTestDatabase());
    }
}
