package dev.atlas.spring.ai;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;

class PostgresSpringAiChatMemoryTest extends SpringAiChatMemoryContract {
    private final TestDatabase db = new PostgresTestDatabase();

    @Override
    protected TestDatabase database() {
        return db;
    }
}
