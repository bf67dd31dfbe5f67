package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ExecutionRecorderContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteExecutionRecorderTest extends ExecutionRecorderContract {
    SqliteExecutionRecorderTest() {
        super(new SqliteTestDatabase());
    }
}
