package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.AssetStoreContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteAssetStoreTest extends AssetStoreContract {
    SqliteAssetStoreTest() {
        super(new SqliteTestDatabase());
    }
}
