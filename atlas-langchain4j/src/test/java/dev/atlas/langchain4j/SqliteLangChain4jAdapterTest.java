package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteLangChain4jAdapterTest extends LangChain4jAdapterContract {
    SqliteLangChain4jAdapterTest() {
        super(new SqliteTestDatabase());
    }

    @Override
    protected dev.atlas.jdbi.kit.TestDatabase anotherDatabase() {
        return new SqliteTestDatabase();
    }
}
