package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.TenantPredicateContract;

class PostgresTenantPredicateTest extends TenantPredicateContract {
    PostgresTenantPredicateTest() {
        super(new PostgresTestDatabase());
    }
}
