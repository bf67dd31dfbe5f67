package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.MigrationContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteMigrationTest extends MigrationContract {
    SqliteMigrationTest() {
        super(new SqliteTestDatabase());
    }
}
