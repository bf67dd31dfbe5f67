package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PriceAndUsageContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqlitePriceAndUsageTest extends PriceAndUsageContract {
    SqlitePriceAndUsageTest() {
        super(new SqliteTestDatabase());
    }
}
