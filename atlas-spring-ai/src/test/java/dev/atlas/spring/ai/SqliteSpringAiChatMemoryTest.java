package dev.atlas.spring.ai;

import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;

class SqliteSpringAiChatMemoryTest extends SpringAiChatMemoryContract {
    private final TestDatabase db = new SqliteTestDatabase();

    @Override
    protected TestDatabase database() {
        return db;
    }
}
