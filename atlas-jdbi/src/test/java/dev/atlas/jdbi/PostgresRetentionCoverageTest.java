package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RetentionCoverageContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresRetentionCoverageTest extends RetentionCoverageContract {
    PostgresRetentionCoverageTest() {
        super(new PostgresTestDatabase());
    }
}
