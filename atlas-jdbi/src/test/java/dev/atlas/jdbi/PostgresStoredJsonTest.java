package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.StoredJsonContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresStoredJsonTest extends StoredJsonContract {
    PostgresStoredJsonTest() {
        super(new PostgresTestDatabase());
    }
}
