package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.ConversationEventsContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresConversationEventsTest extends ConversationEventsContract {
    PostgresConversationEventsTest() {
        super(new PostgresTestDatabase());
    }
}
