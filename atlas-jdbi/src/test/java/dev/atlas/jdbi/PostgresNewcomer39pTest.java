package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39pContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer39pTest extends Newcomer39pContract {
    PostgresNewcomer39pTest() {
        super(new PostgresTestDatabase());
    }
}
