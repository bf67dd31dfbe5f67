package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ConversationStoreContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresConversationStoreTest extends ConversationStoreContract {
    PostgresConversationStoreTest() {
        super(new PostgresTestDatabase());
    }
}
