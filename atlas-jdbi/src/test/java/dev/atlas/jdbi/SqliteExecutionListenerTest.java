package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ExecutionListenerContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteExecutionListenerTest extends ExecutionListenerContract {
    SqliteExecutionListenerTest() {
        super(new SqliteTestDatabase());
    }
}
