package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TenantPredicateContract;

class SqliteTenantPredicateTest extends TenantPredicateContract {
    SqliteTenantPredicateTest() {
        super(new SqliteTestDatabase());
    }
}
