package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer37bContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer37bTest extends Newcomer37bContract {
    PostgresNewcomer37bTest() {
        super(new PostgresTestDatabase());
    }
}
