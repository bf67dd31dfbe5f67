package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.RetentionContract;

class PostgresRetentionTest extends RetentionContract {
    PostgresRetentionTest() {
        super(new PostgresTestDatabase());
    }
}
