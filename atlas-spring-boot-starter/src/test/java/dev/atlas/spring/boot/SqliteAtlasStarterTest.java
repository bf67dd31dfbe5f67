package dev.atlas.spring.boot;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

class SqliteAtlasStarterTest extends AtlasStarterContract {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    @TempDir
    Path dir;

    @Override
    protected String freshDatabase() {
        return "jdbc:sqlite:" + dir.resolve("app-" + COUNTER.incrementAndGet() + ".db");
    }

    @Override
    protected List<String> credentials() {
        return List.of();
    }
}
