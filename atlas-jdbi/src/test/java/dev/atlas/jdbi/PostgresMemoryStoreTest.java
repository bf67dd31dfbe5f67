package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.MemoryStoreContract;

class PostgresMemoryStoreTest extends MemoryStoreContract {
    PostgresMemoryStoreTest() {
        super(new PostgresTestDatabase());
    }
}
