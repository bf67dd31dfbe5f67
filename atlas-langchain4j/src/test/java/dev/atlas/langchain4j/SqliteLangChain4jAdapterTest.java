package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteLangChain4jAdapterTest extends LangChain4jAdapterContract {
    SqliteLangChain4jAdapterTest() {
        super(new SqliteTestDatabase());
    }
}
