package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PriceAndUsageContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresPriceAndUsageTest extends PriceAndUsageContract {
    PostgresPriceAndUsageTest() {
        super(new PostgresTestDatabase());
    }
}
