package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ConversationEventsContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteConversationEventsTest extends ConversationEventsContract {
    SqliteConversationEventsTest() {
        super(new SqliteTestDatabase());
    }
}
