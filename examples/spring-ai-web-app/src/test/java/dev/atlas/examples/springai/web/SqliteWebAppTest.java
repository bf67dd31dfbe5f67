package dev.atlas.examples.springai.web;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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

    /**
     * Atlas on a pool of its own naming the application's own file ({@code atlas.sqlite-path}, then {@code atlas.url}
     * spelt another way): Atlas's full-text tables are in the database Hibernate's {@code ddl-auto=update} reads, so the
     * restarts need Hibernate's one-by-one extraction as much as the shared DataSource does.
     */
    @Test
    void atlasOnItsOwnPoolOfTheApplicationsFileRestarts() throws Exception {
        Path file = dir.resolve("app.db");
        try (ConfigurableApplicationContext app = start(Map.of(), spring -> { }, "atlas.sqlite-path=" + file)) {
            assertThat(send(app, "POST", "/chats/own-1", "Hello!").body()).isEqualTo("echo: Hello!");
        }
        try (ConfigurableApplicationContext app = start(Map.of(), spring -> { }, "atlas.sqlite-path=" + file)) {
            assertThat(send(app, "POST", "/chats/own-1", "Again").body()).isEqualTo("echo: Again");
        }
        try (ConfigurableApplicationContext app = start(Map.of(), spring -> { },
                "atlas.url=jdbc:sqlite:" + dir.resolve(".").resolve("app.db") + "?busy_timeout=5000")) {
            assertThat(send(app, "POST", "/chats/own-1", "Third").body()).isEqualTo("echo: Third");
            Tenant tenant = app.getBean(Tenant.class);
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("own-1").id(), 0, 100))
                    .extracting(m -> m.content()).containsExactly("Hello!", "echo: Hello!", "Again", "echo: Again", "Third", "echo: Third");
        }
    }
}
