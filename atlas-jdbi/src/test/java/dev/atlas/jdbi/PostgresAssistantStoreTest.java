package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.AssistantStoreContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresAssistantStoreTest extends AssistantStoreContract {
    PostgresAssistantStoreTest() {
        super(new PostgresTestDatabase());
    }
}
