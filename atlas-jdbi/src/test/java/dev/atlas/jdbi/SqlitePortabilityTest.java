package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PortabilityContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqlitePortabilityTest extends PortabilityContract {
    SqlitePortabilityTest() {
        super(new SqliteTestDatabase());
    }
}
