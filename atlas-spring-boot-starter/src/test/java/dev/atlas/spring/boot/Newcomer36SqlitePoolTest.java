package dev.atlas.spring.boot;

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
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the starter does to the application's own {@code spring.datasource.url=jdbc:sqlite:} pool, seen from the
 * application: its data as durable as SQLite makes it by default, and its {@code @Transactional} work beside Atlas.
 */
class Newcomer36SqlitePoolTest {
    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private ConfigurableApplicationContext start(String query) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(
                "spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db") + query,
                "spring.flyway.locations=classpath:db/migration", "spring.liquibase.enabled=false",
                "atlas.data-directory=" + dir.resolve("blobs")).run();
    }

    /**
     * WAL makes synchronous=NORMAL crash-safe for the process, not for power loss: a committed order of the application
     * can be gone after the machine loses power. That trade is Atlas's to make for the files it opens, not the
     * application's database it shares: the pool keeps SQLite's default (FULL, 2), also after Atlas borrowed its
     * connections, and a URL that names synchronous keeps it.
     */
    @Test
    void theApplicationsPoolKeepsSqlitesDurability() throws Exception {
        try (ConfigurableApplicationContext context = start("")) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            tenant.conversations().append(c.id(), NewMessage.user("hello"));
            for (int i = 0; i < 3; i++) { // every pooled connection, not only the first one
                assertThat(jdbc.queryForObject("PRAGMA synchronous", Integer.class)).as("synchronous").isEqualTo(2);
            }
        }
        try (ConfigurableApplicationContext context = start("?synchronous=NORMAL")) {
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("PRAGMA synchronous", Integer.class)).isEqualTo(1);
        }
    }

    /**
     * A read-write {@code @Transactional} method reads the application's table, another writer (another instance of the
     * application) commits, then the method records a chat turn: Atlas writes in a transaction of its own, waiting for
     * no one, and the application's transaction commits. With the starter's former transaction_mode=IMMEDIATE the
     * method held the write lock from its first read and Atlas's append waited on it for the busy timeout, then failed.
     */
    @Test
    void aReadWriteTransactionThatReadsThenCallsAtlasAfterAnotherWriterCommits() throws Exception {
        try (ConfigurableApplicationContext context = start("")) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            long sequence = tx.execute(status -> {
                assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
                try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("app.db") + "?busy_timeout=0");
                     Statement s = other.createStatement()) {
                    s.execute("INSERT INTO app_orders (item) VALUES ('other')");
                } catch (java.sql.SQLException e) {
                    throw new AssertionError("the other writer waited on a transaction that had only read", e);
                }
                return tenant.conversations().append(c.id(), NewMessage.user("hello")).sequence();
            });
            assertThat(sequence).isEqualTo(1);
            assertThat(jdbc.queryForList("SELECT item FROM app_orders", String.class)).containsExactly("other");
            assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(m -> m.content()).containsExactly("hello");
        }
    }

    /**
     * README: on the deferred pool Atlas's append inside the application's transaction commits on its own, so it is the
     * "other writer" of that transaction: a write of the application after it fails (SQLITE_BUSY_SNAPSHOT) at once, and
     * the transaction's read and Atlas's turn stay as they were.
     */
    @Test
    void readAtlasWriteThenTheApplicationsWriteInOneTransaction() {
        try (ConfigurableApplicationContext context = start("")) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> tx.executeWithoutResult(status -> {
                jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class);
                tenant.conversations().append(c.id(), NewMessage.user("hello"));
                jdbc.update("INSERT INTO app_orders (item) VALUES ('mine')");
            })).isInstanceOf(org.springframework.dao.DataAccessException.class).hasMessageContaining("SQLITE_BUSY_SNAPSHOT");
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
            assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(m -> m.content()).containsExactly("hello");
        }
    }

    /** The README's joining DataSource: a TransactionAwareDataSourceProxy over the application's HikariCP pool bean. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class JoiningApp {
        @org.springframework.context.annotation.Bean
        com.zaxxer.hikari.HikariDataSource pool(org.springframework.core.env.Environment env) {
            com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
            pool.setJdbcUrl(env.getProperty("app.url"));
            return pool;
        }

        @org.springframework.context.annotation.Bean
        @org.springframework.context.annotation.Primary
        javax.sql.DataSource dataSource(com.zaxxer.hikari.HikariDataSource pool) {
            return new org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy(pool);
        }
    }

    /**
     * On a DataSource that joins the application's transactions, Atlas's append inside a read-write transaction that
     * has read is a write of that transaction. Another instance of the application writes meanwhile (its insert waits
     * in SQLite's busy handler, or has committed, when the chat turn is recorded): the chat turn must be recorded, and
     * the other write too. A deferred transaction cannot take the write lock after another writer committed
     * (SQLITE_BUSY_SNAPSHOT), so the pool's transactions must begin IMMEDIATE here.
     */
    @Test
    void aJoinedReadWriteTransactionThatReadsThenCallsAtlasWhileAnotherInstanceWrites() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("joined.db");
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(JoiningApp.class).web(WebApplicationType.NONE)
                .properties("app.url=" + url, "spring.flyway.locations=classpath:db/migration", "spring.liquibase.enabled=false",
                        "atlas.data-directory=" + dir.resolve("blobs")).run()) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            TransactionTemplate tx = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            CountDownLatch otherWaitsOrCommitted = new CountDownLatch(1);
            ExecutorService otherInstance = Executors.newSingleThreadExecutor();
            try {
                java.util.concurrent.atomic.AtomicReference<Future<?>> other = new java.util.concurrent.atomic.AtomicReference<>();
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
