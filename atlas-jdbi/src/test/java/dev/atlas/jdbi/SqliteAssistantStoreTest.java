package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.AssistantStoreContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteAssistantStoreTest extends AssistantStoreContract {
    SqliteAssistantStoreTest() {
        super(new SqliteTestDatabase());
    }
}
