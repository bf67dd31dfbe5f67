package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.TaskStoreContract;

class PostgresTaskStoreTest extends TaskStoreContract {
    PostgresTaskStoreTest() {
        super(new PostgresTestDatabase());
    }
}
