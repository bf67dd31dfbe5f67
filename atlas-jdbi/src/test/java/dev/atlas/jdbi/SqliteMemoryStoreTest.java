package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.MemoryStoreContract;

class SqliteMemoryStoreTest extends MemoryStoreContract {
    SqliteMemoryStoreTest() {
        super(new SqliteTestDatabase());
    }
}
