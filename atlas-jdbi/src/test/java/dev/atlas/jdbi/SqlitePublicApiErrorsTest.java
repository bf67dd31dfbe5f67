package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PublicApiErrorsContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqlitePublicApiErrorsTest extends PublicApiErrorsContract {
    SqlitePublicApiErrorsTest() {
        super(new SqliteTestDatabase());
    }
}
