package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresLangChain4jAdapterTest extends LangChain4jAdapterContract {
    PostgresLangChain4jAdapterTest() {
        super(new PostgresTestDatabase());
    }

    @Override
    protected dev.atlas.jdbi.kit.TestDatabase anotherDatabase() {
        return new PostgresTestDatabase();
    }
}
