package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37cContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer37cTest extends Newcomer37cContract {
    PostgresNewcomer37cTest() {
        super(new PostgresTestDatabase());
    }
}
