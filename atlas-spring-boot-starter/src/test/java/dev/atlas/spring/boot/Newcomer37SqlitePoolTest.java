package dev.atlas.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The joining DataSource written the shortest way: the HikariCP pool built inside the proxy's bean method, not a bean of
 * its own, so no bean post-processor ever sees the pool itself. It must get what a pool bean behind the proxy gets (WAL,
 * busy timeout, foreign keys, transaction_mode=IMMEDIATE), or the application either fails to start (Atlas refuses a
 * rollback-journal database) or its joined transactions fail with SQLITE_BUSY_SNAPSHOT.
 */
class Newcomer37SqlitePoolTest {
    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class InlinePoolApp {
        @Bean
        @Primary
        DataSource dataSource(Environment env) {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl(env.getProperty("app.url"));
            return new TransactionAwareDataSourceProxy(pool);
        }
    }

    private ConfigurableApplicationContext start(String url) {
        return new SpringApplicationBuilder(InlinePoolApp.class).web(WebApplicationType.NONE)
                .properties("app.url=" + url, "spring.flyway.locations=classpath:db/migration", "spring.liquibase.enabled=false",
                        "atlas.data-directory=" + dir.resolve("blobs")).run();
    }

    @Test
    void aPoolBuiltInsideTheProxyBeanGetsAtlasSettings() {
        try (ConfigurableApplicationContext context = start("jdbc:sqlite:" + dir.resolve("inline.db"))) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            assertThat(jdbc.queryForObject("PRAGMA journal_mode", String.class)).isEqualTo("wal");
            assertThat(jdbc.queryForObject("PRAGMA foreign_keys", Integer.class)).isEqualTo(1);
            // SQLite's FULL: the application's durability is its own, as for a pool bean.
            assertThat(jdbc.queryForObject("PRAGMA synchronous", Integer.class)).isEqualTo(2);
            DataSource proxy = context.getBean(DataSource.class);
            HikariDataSource pool = (HikariDataSource) ((TransactionAwareDataSourceProxy) proxy).getTargetDataSource();
            assertThat(pool.getJdbcUrl()).contains("transaction_mode=IMMEDIATE");
        }
    }

    /** Newcomer36SqlitePoolTest's joined scenario on the inline pool: read, another instance writes, then the chat turn. */
    @Test
    void aJoinedTransactionOnTheInlinePoolReadsThenCallsAtlasWhileAnotherInstanceWrites() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("joined.db");
        try (ConfigurableApplicationContext context = start(url)) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            CountDownLatch otherWaitsOrCommitted = new CountDownLatch(1);
            ExecutorService otherInstance = Executors.newSingleThreadExecutor();
            try {
                AtomicReference<Future<?>> other = new AtomicReference<>();
                long sequence = tx.execute(status -> {
                    assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
                    other.set(otherInstance.submit(() -> {
                        try (Connection o = DriverManager.getConnection(url + "?busy_timeout=0"); Statement s = o.createStatement()) {
                            org.sqlite.BusyHandler.setHandler(o, new org.sqlite.BusyHandler() {
                                @Override
                                protected int callback(int attempts) {
                                    otherWaitsOrCommitted.countDown();
                                    Thread.onSpinWait();
                                    return attempts < 50_000_000 ? 1 : 0; // retry until the lock is free
                                }
                            });
                            s.execute("INSERT INTO app_orders (item) VALUES ('other')");
                        } finally {
                            otherWaitsOrCommitted.countDown();
                        }
                        return null;
                    }));
                    try {
                        assertThat(otherWaitsOrCommitted.await(30, TimeUnit.SECONDS)).isTrue();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    return tenant.conversations().append(c.id(), NewMessage.user("hello")).sequence();
                });
                other.get().get(30, TimeUnit.SECONDS);
                assertThat(sequence).isEqualTo(1);
            } finally {
                otherInstance.shutdown();
            }
            assertThat(jdbc.queryForList("SELECT item FROM app_orders", String.class)).containsExactly("other");
            assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(m -> m.content()).containsExactly("hello");
        }
    }
}
