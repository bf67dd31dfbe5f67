package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

class Newcomer23PostgresCrossFrameworkTest extends Newcomer23CrossFrameworkContract {
    Newcomer23PostgresCrossFrameworkTest() {
        super(new PostgresTestDatabase());
    }

    /** A pool, as an application's (the kit's data source opens a server connection per statement). */
    @Override
    protected javax.sql.DataSource secondInstanceDataSource() {
        com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
        pool.setDataSource(super.secondInstanceDataSource());
        return pool;
    }
}
