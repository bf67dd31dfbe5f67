package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.MigrationContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresMigrationTest extends MigrationContract {
    PostgresMigrationTest() {
        super(new PostgresTestDatabase());
    }
}
