package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.TaskScheduleContract;

class PostgresTaskScheduleTest extends TaskScheduleContract {
    PostgresTaskScheduleTest() {
        super(new PostgresTestDatabase());
    }
}
