package dev.atlas.examples.springai.web;

import dev.atlas.Atlas;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;

class SqliteWebAppTest extends WebAppContract {
    @TempDir
    Path dir;

    @Override
    protected List<String> database() {
        return List.of("spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"));
    }

    @Override
    protected Connection connect() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("app.db"));
    }

    @Override
    protected Atlas reopen() {
        return Atlas.sqlite(dir.resolve("app.db"));
    }
}
