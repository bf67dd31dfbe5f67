package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PublicApiErrorsContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresPublicApiErrorsTest extends PublicApiErrorsContract {
    PostgresPublicApiErrorsTest() {
        super(new PostgresTestDatabase());
    }
}
