package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.StoredJsonContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteStoredJsonTest extends StoredJsonContract {
    SqliteStoredJsonTest() {
        super(new SqliteTestDatabase());
    }
}
