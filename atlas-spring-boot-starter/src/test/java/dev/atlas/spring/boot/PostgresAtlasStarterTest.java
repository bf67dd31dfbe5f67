package dev.atlas.spring.boot;

import dev.atlas.jdbi.kit.PostgresTestDatabase;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

class PostgresAtlasStarterTest extends AtlasStarterContract {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @Override
    protected String freshDatabase() {
        return PostgresTestDatabase.createDatabase("starter_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
    }

    @Override
    protected List<String> credentials() {
        return List.of("spring.datasource.username=postgres", "spring.datasource.password=postgres");
    }
}
