package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.CredentialStoreContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresCredentialStoreTest extends CredentialStoreContract {
    PostgresCredentialStoreTest() {
        super(new PostgresTestDatabase());
    }
}
