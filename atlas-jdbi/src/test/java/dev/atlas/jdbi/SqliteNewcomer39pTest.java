package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer39pContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer39pTest extends Newcomer39pContract {
    SqliteNewcomer39pTest() {
        super(new SqliteTestDatabase());
    }
}
