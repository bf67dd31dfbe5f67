package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.AssetStoreContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresAssetStoreTest extends AssetStoreContract {
    PostgresAssetStoreTest() {
        super(new PostgresTestDatabase());
    }
}
