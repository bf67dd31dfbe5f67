package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39bContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

/** {@link Newcomer39bContract} on embedded PostgreSQL (exact semantic search). */
class PostgresNewcomer39bTest extends Newcomer39bContract {
    PostgresNewcomer39bTest() {
        super(new PostgresTestDatabase());
    }
}
