package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.MemoryGraphContract;

class SqliteMemoryGraphTest extends MemoryGraphContract {
    SqliteMemoryGraphTest() {
        super(new SqliteTestDatabase());
    }
}
