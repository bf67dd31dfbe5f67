package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.RetentionContract;

class SqliteRetentionTest extends RetentionContract {
    SqliteRetentionTest() {
        super(new SqliteTestDatabase());
    }
}
