package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.SettingsStoreContract;

class SqliteSettingsStoreTest extends SettingsStoreContract {
    SqliteSettingsStoreTest() {
        super(new SqliteTestDatabase());
    }
}
