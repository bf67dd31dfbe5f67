package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ExecutionListenerContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresExecutionListenerTest extends ExecutionListenerContract {
    PostgresExecutionListenerTest() {
        super(new PostgresTestDatabase());
    }
}
