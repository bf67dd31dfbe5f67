package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SettingsStoreContract;

class PostgresSettingsStoreTest extends SettingsStoreContract {
    PostgresSettingsStoreTest() {
        super(new PostgresTestDatabase());
    }
}
