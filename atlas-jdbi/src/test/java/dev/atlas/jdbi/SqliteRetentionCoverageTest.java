package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RetentionCoverageContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteRetentionCoverageTest extends RetentionCoverageContract {
    SqliteRetentionCoverageTest() {
        super(new SqliteTestDatabase());
    }
}
