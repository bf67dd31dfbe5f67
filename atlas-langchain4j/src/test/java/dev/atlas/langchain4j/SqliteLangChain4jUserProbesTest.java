package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteLangChain4jUserProbesTest extends LangChain4jUserProbesContract {
    SqliteLangChain4jUserProbesTest() {
        super(new SqliteTestDatabase());
    }
}
