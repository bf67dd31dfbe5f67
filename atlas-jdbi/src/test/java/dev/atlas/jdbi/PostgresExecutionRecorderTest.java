package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ExecutionRecorderContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresExecutionRecorderTest extends ExecutionRecorderContract {
    PostgresExecutionRecorderTest() {
        super(new PostgresTestDatabase());
    }
}
