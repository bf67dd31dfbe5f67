package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer42tContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresNewcomer42tTest extends Newcomer42tContract {
    PostgresNewcomer42tTest() {
        super(new PostgresTestDatabase());
    }
}
