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

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.DisplayName("an application without a DataSource gets Atlas on atlas.sqlite-path, closed with the context")
    void ownPoolOnSqlitePath() {
        Path file = dir.resolve("own.db");
        dev.atlas.Atlas atlas;
        try (var ctx = new org.springframework.boot.builder.SpringApplicationBuilder(App.class)
                .web(org.springframework.boot.WebApplicationType.NONE)
                .properties("spring.autoconfigure.exclude=org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
                        "atlas.sqlite-path=" + file)
                .run()) {
            org.assertj.core.api.Assertions.assertThat(ctx.getBeanNamesForType(javax.sql.DataSource.class)).isEmpty();
            atlas = ctx.getBean(dev.atlas.Atlas.class);
            var c = atlas.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("1")));
            atlas.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("hi"));
            org.assertj.core.api.Assertions.assertThat(atlas.conversations().history(c.id())).hasSize(1);
        }
        org.assertj.core.api.Assertions.assertThat(file).exists();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> atlas.conversations().list(dev.atlas.conversation.ConversationQuery.all()))
                .isInstanceOf(dev.atlas.AtlasException.class);
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.DisplayName("a plain spring.datasource.url=jdbc:sqlite: pool gets Atlas's settings; switched off, Atlas refuses it naming WAL")
    void sqlitePoolSettings() {
        String url = freshDatabase();
        try (var ctx = start(url, "spring.liquibase.enabled=false")) {
            var jdbc = new org.springframework.jdbc.core.JdbcTemplate(ctx.getBean(javax.sql.DataSource.class));
            org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject("PRAGMA journal_mode", String.class)).isEqualTo("wal");
            org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject("PRAGMA busy_timeout", Integer.class)).isEqualTo(10000);
        }
        String other = freshDatabase();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(
                () -> start(other, "spring.liquibase.enabled=false", "atlas.configure-sqlite-pool=false").close());
        org.assertj.core.api.Assertions.assertThat(org.assertj.core.util.Throwables.getRootCause(failure))
                .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("journal_mode=WAL");
    }
}
