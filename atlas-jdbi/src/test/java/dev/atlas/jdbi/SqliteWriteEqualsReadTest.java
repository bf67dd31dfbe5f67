package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.WriteEqualsReadContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteWriteEqualsReadTest extends WriteEqualsReadContract {
    SqliteWriteEqualsReadTest() {
        super(new SqliteTestDatabase());
    }
}
