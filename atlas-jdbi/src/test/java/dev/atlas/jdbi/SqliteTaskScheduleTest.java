package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TaskScheduleContract;

class SqliteTaskScheduleTest extends TaskScheduleContract {
    SqliteTaskScheduleTest() {
        super(new SqliteTestDatabase());
    }
}
