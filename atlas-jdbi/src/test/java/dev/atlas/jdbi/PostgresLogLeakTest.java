package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.LogLeakContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresLogLeakTest extends LogLeakContract {
    PostgresLogLeakTest() {
        super(new PostgresTestDatabase());
    }
}
