package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ConversationStoreContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteConversationStoreTest extends ConversationStoreContract {
    SqliteConversationStoreTest() {
        super(new SqliteTestDatabase());
    }
}
