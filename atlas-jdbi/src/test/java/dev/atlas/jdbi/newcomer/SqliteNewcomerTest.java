package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomerTest extends NewcomerContract {
    SqliteNewcomerTest() {
        super(new SqliteTestDatabase());
    }
}
