package dev.atlas.spring.ai;

import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;

class PostgresSpringAiChatMemoryTest extends SpringAiChatMemoryContract {
    private final TestDatabase db = new PostgresTestDatabase();

    @Override
    protected TestDatabase database() {
        return db;
    }

    /**
     * A pool, as an application's: the kit's data source opens a new server connection (a new PostgreSQL process) for each
     * statement, which was most of twoInstancesTakeTurnsOnOneConversation's time, and of statementsPerTurn's (the counting
     * tests count above the pool, so the counts are Atlas's statements, the same as without it).
     */
    @Override
    protected javax.sql.DataSource secondInstanceDataSource() {
        com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
        pool.setDataSource(super.secondInstanceDataSource());
        return pool;
    }
}
