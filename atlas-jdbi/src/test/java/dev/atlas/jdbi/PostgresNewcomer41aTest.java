package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer41aContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer41aTest extends Newcomer41aContract {
    PostgresNewcomer41aTest() {
        super(new PostgresTestDatabase());
    }
}
