package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SearchContract;

class PostgresSearchTest extends SearchContract {
    PostgresSearchTest() {
        super(new PostgresTestDatabase());
    }
}
