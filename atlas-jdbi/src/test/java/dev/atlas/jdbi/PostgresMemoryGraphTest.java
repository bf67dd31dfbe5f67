package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.MemoryGraphContract;

class PostgresMemoryGraphTest extends MemoryGraphContract {
    PostgresMemoryGraphTest() {
        super(new PostgresTestDatabase());
    }
}
