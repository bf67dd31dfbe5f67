package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.CredentialStoreContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteCredentialStoreTest extends CredentialStoreContract {
    SqliteCredentialStoreTest() {
        super(new SqliteTestDatabase());
    }
}
