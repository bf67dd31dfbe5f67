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

    /**
     * A pool, as an application's: the kit's data source opens a new server connection (a new PostgreSQL process) for each
     * statement, which was most of twoAtlasInstancesOnOneMemory's time.
     */
    @Override
    protected javax.sql.DataSource secondInstanceDataSource() {
        com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
        pool.setDataSource(super.secondInstanceDataSource());
        return pool;
    }
}
