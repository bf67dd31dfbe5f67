package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class Newcomer23SqliteCrossFrameworkTest extends Newcomer23CrossFrameworkContract {
    Newcomer23SqliteCrossFrameworkTest() {
        super(new SqliteTestDatabase());
    }
}
