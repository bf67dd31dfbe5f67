package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

/** {@link PostgresEraseRaces} on embedded PostgreSQL. */
class PostgresEraseRaceTest extends PostgresEraseRaces {
    PostgresEraseRaceTest() {
        super(new PostgresTestDatabase());
    }
}
