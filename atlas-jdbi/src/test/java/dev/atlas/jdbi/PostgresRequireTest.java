package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.RequireContract;

class PostgresRequireTest extends RequireContract {
    PostgresRequireTest() {
        super(new PostgresTestDatabase());
    }
}
