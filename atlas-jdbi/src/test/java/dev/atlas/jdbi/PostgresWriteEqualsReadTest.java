package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.WriteEqualsReadContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresWriteEqualsReadTest extends WriteEqualsReadContract {
    PostgresWriteEqualsReadTest() {
        super(new PostgresTestDatabase());
    }
}
