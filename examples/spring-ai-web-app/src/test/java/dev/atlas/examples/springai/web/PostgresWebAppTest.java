package dev.atlas.examples.springai.web;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

class PostgresWebAppTest extends WebAppContract {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private String url;

    private String url() {
        if (url == null) {
            url = PostgresTestDatabase.createDatabase("web_app_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
        }
        return url;
    }

    @Override
    protected List<String> database() {
        return List.of("spring.datasource.url=" + url(), "spring.datasource.username=postgres", "spring.datasource.password=postgres");
    }

    @Override
    protected Connection connect() throws Exception {
        return DriverManager.getConnection(url(), "postgres", "postgres");
    }

    @Override
    protected Atlas reopen() {
        return Atlas.builder().jdbcUrl(url()).credentials("postgres", "postgres").build();
    }
}
