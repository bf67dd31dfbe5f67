package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ReferencesContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteReferencesTest extends ReferencesContract {
    SqliteReferencesTest() {
        super(new SqliteTestDatabase());
    }
}
