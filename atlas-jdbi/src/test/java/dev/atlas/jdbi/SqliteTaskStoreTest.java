package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TaskStoreContract;

class SqliteTaskStoreTest extends TaskStoreContract {
    SqliteTaskStoreTest() {
        super(new SqliteTestDatabase());
    }
}
