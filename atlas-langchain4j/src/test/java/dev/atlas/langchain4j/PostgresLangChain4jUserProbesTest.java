package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresLangChain4jUserProbesTest extends LangChain4jUserProbesContract {
    PostgresLangChain4jUserProbesTest() {
        super(new PostgresTestDatabase());
    }
}
