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

    /** An application whose DataSource bean hands out the connection bound to its transaction. */
    @org.springframework.boot.SpringBootConfiguration
    @org.springframework.boot.autoconfigure.EnableAutoConfiguration
    static class BoundApp {
        @org.springframework.context.annotation.Bean
        javax.sql.DataSource dataSource(org.springframework.core.env.Environment env) {
            com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
            pool.setJdbcUrl(env.getProperty("spring.datasource.url") + "?journal_mode=WAL&busy_timeout=10000&foreign_keys=true&transaction_mode=IMMEDIATE");
            return new ClosingProxy(pool);
        }
    }

    /**
     * Spring closes a DataSource bean only when it is closeable; a bare proxy left its Hikari pool open after the
     * context closed, and the pool's background fill could reopen (recreate) the database file while JUnit deleted
     * the test's directory (CI failed once on "Failed to close extension context").
     */
    static final class ClosingProxy extends org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy implements AutoCloseable {
        private final com.zaxxer.hikari.HikariDataSource pool;

        ClosingProxy(com.zaxxer.hikari.HikariDataSource pool) {
            super(pool);
            this.pool = pool;
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.DisplayName("a TransactionAwareDataSourceProxy DataSource bean on SQLite: Atlas's writes inside @Transactional work join it (never committing the application's pending row): a rollback takes back both; a refused write leaves nothing and the transaction commits; a read of several statements reads in it")
    void boundSqliteDataSourceNeverCommitsTheApplicationsWork() {
        String url = freshDatabase();
        ClosingProxy pool;
        try (var ctx = new org.springframework.boot.builder.SpringApplicationBuilder(BoundApp.class)
                .web(org.springframework.boot.WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false").run()) {
            var jdbc = new org.springframework.jdbc.core.JdbcTemplate(ctx.getBean(javax.sql.DataSource.class));
            var tx = new org.springframework.transaction.support.TransactionTemplate(ctx.getBean(org.springframework.transaction.PlatformTransactionManager.class));
            tx.executeWithoutResult(status -> jdbc.execute("CREATE TABLE app_orders (id int)"));
            dev.atlas.Tenant tenant = ctx.getBean(dev.atlas.Tenant.class);
            var c = tenant.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("42")));
            tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> "hi");
            java.util.UUID execution = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0).id();
            tx.executeWithoutResult(status -> {
                // Atlas's write first, then the application's row, then Atlas again.
                tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("plain"));
                jdbc.update("INSERT INTO app_orders VALUES (1)");
                tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("with id").clientId("c-1"));
                status.setRollbackOnly();
            });
            org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
            org.assertj.core.api.Assertions.assertThat(tenant.conversations().history(c.id())).isEmpty();
            tx.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO app_orders VALUES (2)");
                org.assertj.core.api.Assertions.assertThat(tenant.executions().tree(execution)).isPresent();
                tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("first").clientId("c-2"));
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> tenant.conversations().append(c.id(),
                        dev.atlas.conversation.NewMessage.user("other").clientId("c-2"))).isInstanceOf(dev.atlas.ConflictException.class);
            });
            org.assertj.core.api.Assertions.assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isOne();
            org.assertj.core.api.Assertions.assertThat(tenant.conversations().history(c.id())).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("first");
            org.assertj.core.api.Assertions.assertThat(tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("next")).sequence())
                    .isEqualTo(2);
            pool = (ClosingProxy) ctx.getBean(javax.sql.DataSource.class);
        }
        org.assertj.core.api.Assertions.assertThat(pool.pool.isClosed()).isTrue();
    }
}
