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
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
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
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Day one of a Spring Boot team adding the starter to an app that already has its SQLite {@code DataSource} and Flyway,
 * by README.md alone, under {@code spring.main.lazy-initialization=true}, with devtools-style restarts (the context
 * closed and started again in one JVM): every restart finds the app's data and Atlas's, health is UP from the start, and
 * a closed context leaves no thread of Atlas's behind (a restart loop must not grow the JVM).
 */
class Newcomer36StarterTest {
    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private ConfigurableApplicationContext start() {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(
                "spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"),
                "spring.flyway.locations=classpath:db/migration",
                "spring.main.lazy-initialization=true", "spring.liquibase.enabled=false",
                "atlas.data-directory=" + dir.resolve("blobs")).run();
    }

    /** Threads of Atlas's own (its pools, checkpoints, health reads) alive now. */
    private static Set<String> atlasThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("atlas") || n.contains("-migrations")).collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    @Test
    void restartsInOneJvmKeepEverythingAndLeaveNoThreadBehind() {
        Set<String> before = atlasThreads();
        for (int run = 0; run < 2; run++) {
            try (ConfigurableApplicationContext context = start()) {
                JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
                jdbc.update("INSERT INTO app_orders (item) VALUES (?)", "item " + run);
                assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isEqualTo(run + 1);

                Tenant tenant = context.getBean(Tenant.class);
                Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
                tenant.conversations().append(c.id(), NewMessage.user("turn " + run));
                assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(m -> m.content())
                        .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, run).mapToObj(i -> "turn " + i).toList());

                HealthIndicator health = context.getBean("atlasHealthIndicator", HealthIndicator.class);
                assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            }
            assertThat(atlasThreads()).as("threads of Atlas alive after close, run " + run).isEqualTo(before);
        }
    }

    /**
     * A service method {@code @Transactional(readOnly = true)} that reads the app's tables and calls Atlas (a chat turn):
     * on a plain {@code spring.datasource.url=jdbc:sqlite:} pool its transaction reads, and takes no write lock. The
     * starter gave that pool {@code transaction_mode=IMMEDIATE}, so every transaction of the app, read-only ones too,
     * began with SQLite's write lock: Atlas's append inside (or beside) it waited the busy timeout and failed with
     * "database is locked", and so did every other writer of the app meanwhile.
     */
    @Test
    void aReadOnlyTransactionOfTheApplicationTakesNoWriteLock() throws Exception {
        try (ConfigurableApplicationContext context = start()) {
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            TransactionTemplate readOnly = new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
            readOnly.setReadOnly(true);
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().ensure("chat-1", NewConversation.of(Owner.of("user", "42"), "support"));
            CountDownLatch reading = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            ExecutorService thread = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> orders = thread.submit(() -> readOnly.execute(status -> {
                    Integer n = jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class);
                    reading.countDown();
                    try {
                        done.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return n;
                }));
                assertThat(reading.await(30, TimeUnit.SECONDS)).isTrue();
                // Another writer of the database, which must not wait at all: no one holds the write lock.
                try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("app.db") + "?busy_timeout=0");
                     Statement s = other.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                    s.execute("ROLLBACK");
                }
                // The chat turn while the read-only transaction is open.
                assertThat(tenant.conversations().append(c.id(), NewMessage.user("hello")).sequence()).isEqualTo(1);
                done.countDown();
                assertThat(orders.get(30, TimeUnit.SECONDS)).isZero();
            } finally {
                done.countDown();
                thread.shutdown();
            }
            // The app's read-write transactions still write, and Atlas after them.
            new TransactionTemplate(context.getBean(PlatformTransactionManager.class)).executeWithoutResult(status ->
                    jdbc.update("INSERT INTO app_orders (item) VALUES (?)", "x"));
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isOne();
            assertThat(tenant.conversations().append(c.id(), NewMessage.user("after")).sequence()).isEqualTo(2);
        }
    }
}
