package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ReferencesContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresReferencesTest extends ReferencesContract {
    PostgresReferencesTest() {
        super(new PostgresTestDatabase());
    }
}
