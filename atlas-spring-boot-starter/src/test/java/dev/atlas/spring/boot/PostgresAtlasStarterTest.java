package dev.atlas.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresAtlasStarterTest extends AtlasStarterContract {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @Override
    protected String freshDatabase() {
        return PostgresTestDatabase.createDatabase("starter_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
    }

    @Override
    protected String migratedDatabase() {
        return PostgresTestDatabase.server().getJdbcUrl("postgres",
                PostgresTestDatabase.createMigratedDatabase("starter_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet()));
    }

    @Override
    protected List<String> credentials() {
        return List.of("spring.datasource.username=postgres", "spring.datasource.password=postgres");
    }

    /** An application whose DataSource bean hands out the connection bound to its transaction. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class BoundApp {
        static volatile boolean autoCommit = true;
        static final java.util.List<java.util.UUID> COMPLETED = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Bean
        dev.atlas.execution.ExecutionListener completedExecutions() {
            return new dev.atlas.execution.ExecutionListener() {
                @Override
                public void completed(String tenantId, dev.atlas.execution.Execution execution) {
                    COMPLETED.add(execution.id());
                }
            };
        }

        @Bean
        DataSource dataSource(org.springframework.core.env.Environment env) {
            HikariDataSource pool = new HikariDataSource();
            pool.setJdbcUrl(env.getProperty("spring.datasource.url"));
            pool.setUsername("postgres");
            pool.setPassword("postgres");
            pool.setAutoCommit(autoCommit);
            return new TransactionAwareDataSourceProxy(pool);
        }
    }

    @ParameterizedTest(name = "app row first: {0}, pool auto-commit: {1}")
    @CsvSource({"false,true", "true,true", "true,false", "false,false"})
    @DisplayName("a TransactionAwareDataSourceProxy DataSource bean: Atlas's writes inside @Transactional work (create, a plain append, an append with a client id) roll back with it, also when Atlas's write is the transaction's first statement; on a pool with auto-commit off a transaction is recognised from its first statement only, so Atlas's writes before it are kept (README)")
    void boundDataSourceRollsBackWithTheApplication(boolean appRowFirst, boolean poolAutoCommit) {
        BoundApp.autoCommit = poolAutoCommit;
        // Auto-commit off: Atlas migrates through that pool, as an application meets it.
        String url = poolAutoCommit ? migratedDatabase() : freshDatabase();
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(BoundApp.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false").run()) {
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            tx.executeWithoutResult(status -> jdbc.execute("CREATE TABLE app_orders (id int)"));
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation kept = tenant.conversations().create(NewConversation.of(Owner.user("42")));
            tx.executeWithoutResult(status -> {
                if (appRowFirst) {
                    jdbc.update("INSERT INTO app_orders VALUES (1)");
                }
                tenant.conversations().append(kept.id(), NewMessage.user("plain"));
                tenant.conversations().append(kept.id(), NewMessage.user("with id").clientId("c-1"));
                tenant.conversations().create(NewConversation.of(Owner.user("42")));
                jdbc.update("INSERT INTO app_orders VALUES (2)");
                status.setRollbackOnly();
            });
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
            if (!appRowFirst && !poolAutoCommit) {
                assertThat(tenant.conversations().history(kept.id())).extracting(dev.atlas.conversation.Message::content)
                        .containsExactly("plain", "with id");
                assertThat(jdbc.queryForObject("SELECT count(*) FROM atlas_conversations", Integer.class)).isEqualTo(2);
                return;
            }
            assertThat(jdbc.queryForObject("SELECT count(*) FROM atlas_messages", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT count(*) FROM atlas_conversations", Integer.class)).isOne();
            assertThat(tenant.conversations().history(kept.id())).isEmpty();
            // The conversation's sequence was rolled back too: the next append is number 1.
            assertThat(tenant.conversations().append(kept.id(), NewMessage.user("after")).sequence()).isEqualTo(1);
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a TransactionAwareDataSourceProxy DataSource bean: an Atlas write refused inside @Transactional work (a client id re-sent with other content) leaves nothing of itself in the application's transaction, which still commits its own row and Atlas's earlier write; the sequence has no gap")
    void refusedWriteInsideBoundTransactionLeavesNothing() {
        BoundApp.autoCommit = true;
        String url = migratedDatabase();
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(BoundApp.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false").run()) {
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            tx.executeWithoutResult(status -> jdbc.execute("CREATE TABLE app_orders (id int)"));
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("42")));
            java.time.Instant before = tenant.conversations().get(c.id()).orElseThrow().updatedAt();
            tx.executeWithoutResult(status -> {
                tenant.conversations().append(c.id(), NewMessage.user("first").clientId("c-1"));
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> tenant.conversations().append(c.id(), NewMessage.user("other").clientId("c-1")))
                        .isInstanceOf(dev.atlas.ConflictException.class);
                jdbc.update("INSERT INTO app_orders VALUES (1)");
            });
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isOne();
            assertThat(tenant.conversations().history(c.id())).extracting(dev.atlas.conversation.Message::content).containsExactly("first");
            assertThat(tenant.conversations().append(c.id(), NewMessage.user("next")).sequence()).isEqualTo(2);
            assertThat(before).isNotNull();
        }
    }

    @ParameterizedTest(name = "app row first: {0}")
    @CsvSource({"false", "true"})
    @DisplayName("a TransactionAwareDataSourceProxy DataSource bean: a read of several statements (an execution's tree) inside @Transactional work reads in the application's transaction and leaves it writable: the application's rows and Atlas's write commit")
    void consistentReadInsideBoundTransaction(boolean appRowFirst) {
        BoundApp.autoCommit = true;
        String url = migratedDatabase();
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(BoundApp.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false").run()) {
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            tx.executeWithoutResult(status -> jdbc.execute("CREATE TABLE app_orders (id int)"));
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("42")));
            tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> "hi");
            java.util.UUID execution = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0).id();
            tx.executeWithoutResult(status -> {
                if (appRowFirst) {
                    jdbc.update("INSERT INTO app_orders VALUES (1)");
                }
                assertThat(tenant.executions().tree(execution)).isPresent();
                tenant.conversations().append(c.id(), NewMessage.user("inside"));
                jdbc.update("INSERT INTO app_orders VALUES (2)");
            });
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isEqualTo(appRowFirst ? 2 : 1);
            assertThat(tenant.conversations().history(c.id())).extracting(dev.atlas.conversation.Message::content).containsExactly("inside");
        }
    }

    @ParameterizedTest(name = "pool auto-commit: {0}")
    @CsvSource({"true", "false"})
    @DisplayName("the application's plain DataSource: Atlas's writes inside @Transactional work that rolls back (create, a plain append, an append with a client id) are kept, as the README says, also on a pool with auto-commit off; the application's row is rolled back")
    void plainDataSourceKeepsAtlasWritesOnRollback(boolean poolAutoCommit) {
        // Auto-commit off: Atlas migrates through that pool, as an application meets it.
        String url = poolAutoCommit ? migratedDatabase() : freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false",
                "spring.datasource.hikari.auto-commit=" + poolAutoCommit)) {
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            tx.executeWithoutResult(status -> jdbc.execute("CREATE TABLE app_orders (id int)"));
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("42")));
            tx.executeWithoutResult(status -> {
                jdbc.update("INSERT INTO app_orders VALUES (1)");
                tenant.conversations().append(c.id(), NewMessage.user("plain"));
                tenant.conversations().append(c.id(), NewMessage.user("with id").clientId("c-1"));
                tenant.conversations().create(NewConversation.of(Owner.user("42")));
                status.setRollbackOnly();
            });
            assertThat(jdbc.queryForObject("SELECT count(*) FROM app_orders", Integer.class)).isZero();
            assertThat(tenant.conversations().history(c.id())).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("plain", "with id");
            assertThat(jdbc.queryForObject("SELECT count(*) FROM atlas_conversations", Integer.class)).isEqualTo(2);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
                    Integer.class)).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("a TransactionAwareDataSourceProxy DataSource bean: an execution recorded inside @Transactional work that rolls back is heard by the ExecutionListener beans when record returns, and is not stored after the rollback (README)")
    void listenersHearJoinedWritesBeforeTheApplicationsCommit() {
        BoundApp.autoCommit = true;
        BoundApp.COMPLETED.clear();
        String url = migratedDatabase();
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(BoundApp.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=" + url, "spring.liquibase.enabled=false", "spring.flyway.enabled=false").run()) {
            TransactionTemplate tx = new TransactionTemplate(ctx.getBean(PlatformTransactionManager.class));
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("42")));
            tx.executeWithoutResult(status -> {
                tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> "hi");
                assertThat(BoundApp.COMPLETED).hasSize(1);
                status.setRollbackOnly();
            });
            assertThat(BoundApp.COMPLETED).hasSize(1);
            assertThat(tenant.executions().get(BoundApp.COMPLETED.get(0))).isEmpty();
        }
    }

    /**
     * A database that does not answer (down, behind a lost network, or a table locked by a migration) kept the health
     * check waiting: on a server that is down, up to the pool's connection timeout (HikariCP's 30 s), while a Kubernetes
     * probe gives up after 1 s and the check's thread stays blocked. The check answers within {@code atlas.health-timeout}
     * (a lock on the table it reads is the database not answering, here), DOWN with a reason naming the timeout, and a
     * check asked while the one before still waits joins it instead of blocking one more thread.
     */
    @org.junit.jupiter.api.Test
    @DisplayName("the atlas health component answers within atlas.health-timeout: DOWN naming it while the database does not answer"
            + " (its table locked), then UP again once it does")
    void healthAnswersWithinItsTimeout() throws Exception {
        String url = migratedDatabase();
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.autoconfigure.exclude=org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
                        "atlas.url=" + url, "atlas.health-timeout=200ms").run()) {
            org.springframework.boot.actuate.health.HealthIndicator health =
                    ctx.getBean("atlasHealthIndicator", org.springframework.boot.actuate.health.HealthIndicator.class);
            // Each call waits 200 ms at most; the first read of a cold JVM on a busy machine may need more than one.
            assertThat(upWithin100Checks(health)).isEqualTo(org.springframework.boot.actuate.health.Status.UP);
            try (java.sql.Connection lock = java.sql.DriverManager.getConnection(url)) {
                lock.setAutoCommit(false);
                try (java.sql.Statement s = lock.createStatement()) {
                    s.execute("LOCK TABLE atlas_conversations IN ACCESS EXCLUSIVE MODE");
                }
                for (int i = 0; i < 2; i++) {
                    org.springframework.boot.actuate.health.Health down = health.health();
                    assertThat(down.getStatus()).isEqualTo(org.springframework.boot.actuate.health.Status.DOWN);
                    assertThat(down.getDetails()).containsExactly(java.util.Map.entry("database", "postgresql"),
                            java.util.Map.entry("error", "the database did not answer within 200ms (atlas.health-timeout)"));
                }
                lock.rollback();
            }
            // The read that waited gets its answer once the lock is gone.
            assertThat(upWithin100Checks(health)).isEqualTo(org.springframework.boot.actuate.health.Status.UP);
        }
    }

    private static org.springframework.boot.actuate.health.Status upWithin100Checks(org.springframework.boot.actuate.health.HealthIndicator health) {
        org.springframework.boot.actuate.health.Status status = null;
        for (int i = 0; i < 100 && status != org.springframework.boot.actuate.health.Status.UP; i++) {
            status = health.health().getStatus();
        }
        return status;
    }
}
