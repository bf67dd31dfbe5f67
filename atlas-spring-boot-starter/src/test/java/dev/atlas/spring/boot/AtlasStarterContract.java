package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Spring Boot application (every auto-configuration on the class path, the starter found
 * through its imports file) on a fresh database: the application's own Flyway V1, Liquibase
 * change set or schema.sql, and Atlas beside them, in every order a real application meets.
 * Dialect subclasses only say how to get a fresh database URL.
 */
abstract class AtlasStarterContract {

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    /** Where a test puts a database of Atlas's own (atlas.sqlite-path). */
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path ownDirectory;

    /** A JDBC URL of a new, empty database. */
    protected abstract String freshDatabase();

    /**
     * A JDBC URL of a new database that already holds Atlas's tables as Atlas migrates them, for tests whose subject
     * is not the migration (on PostgreSQL a copy of a migrated template: migrating from scratch was most of such a
     * test's time). A test on an application pool with auto-commit off keeps {@link #freshDatabase}, so Atlas still
     * migrates through that pool.
     */
    protected String migratedDatabase() {
        return freshDatabase();
    }

    /** spring.datasource.* settings beyond the URL (credentials). */
    protected abstract List<String> credentials();

    protected ConfigurableApplicationContext start(String url, String... properties) {
        List<String> all = new ArrayList<>(credentials());
        all.add("spring.datasource.url=" + url);
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties(all.toArray(String[]::new)).run();
    }

    private static final String FLYWAY_ONLY = "spring.liquibase.enabled=false";
    private static final String LIQUIBASE_ONLY = "spring.flyway.enabled=false";

    @Test
    @DisplayName("a fresh database: the application's Flyway V1 runs, then Atlas migrates beside it and works")
    void appFlywayOnFreshDatabase() {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY)) {
            assertAppV1Applied(ctx);
            assertAtlasWorks(ctx, "first");
        }
    }

    @Test
    @DisplayName("a restart on an existing database starts cleanly and sees the data of the first run")
    void restartOnExistingDatabase() {
        String url = freshDatabase();
        Conversation first;
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY)) {
            first = assertAtlasWorks(ctx, "before restart");
        }
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY)) {
            assertAppV1Applied(ctx);
            Tenant tenant = ctx.getBean(Tenant.class);
            assertThat(tenant.conversations().history(first.id())).extracting(Message::content).containsExactly("before restart");
        }
    }

    @Test
    @DisplayName("Atlas first, the application's Flyway added later: the application's V1 still runs, nothing is skipped")
    void atlasFirstThenAppFlyway() {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, "spring.flyway.enabled=false", "spring.liquibase.enabled=false")) {
            assertAtlasWorks(ctx, "Atlas alone");
        }
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY)) {
            assertAppV1Applied(ctx);
            assertAtlasWorks(ctx, "with Flyway");
        }
    }

    @Test
    @DisplayName("the application's Liquibase change set runs, then Atlas")
    void appLiquibase() {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, LIQUIBASE_ONLY, "spring.liquibase.change-log=classpath:db/changelog/app.yaml")) {
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT count(*) FROM DATABASECHANGELOG", Integer.class)).isEqualTo(1);
            jdbc.update("INSERT INTO app_orders (id, item) VALUES (1, 'book')");
            assertAtlasWorks(ctx, "liquibase");
        }
    }

    @Test
    @DisplayName("no migration tool: the application's schema.sql runs, then Atlas")
    void noMigrationTool() {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, "spring.flyway.enabled=false", "spring.liquibase.enabled=false",
                "spring.sql.init.mode=always", "spring.sql.init.schema-locations=classpath:app-schema.sql")) {
            new JdbcTemplate(ctx.getBean(DataSource.class)).update("INSERT INTO app_orders (id, item) VALUES (1, 'book')");
            assertAtlasWorks(ctx, "schema.sql");
        }
    }

    @Test
    @DisplayName("atlas.table-prefix and atlas.tenant shape the beans; the health indicator is UP")
    void propertiesAndHealth() {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY, "atlas.table-prefix=agent_", "atlas.tenant=acme",
                // A timeout no cold first read on a busy machine reaches (PostgresAtlasStarterTest pins the timeout).
                "atlas.health-timeout=1m")) {
            Atlas atlas = ctx.getBean(Atlas.class);
            assertThat(atlas.config().tablePrefix()).isEqualTo("agent_");
            Conversation c = assertAtlasWorks(ctx, "prefixed");
            assertThat(c.tenantId()).isEqualTo("acme");
            assertThat(atlas.tenant("acme").conversations().get(c.id())).isPresent();
            assertThat(atlas.defaultTenant().conversations().get(c.id())).isEmpty();
            JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT count(*) FROM agent_conversations", Integer.class)).isEqualTo(1);
            HealthIndicator health = ctx.getBean("atlasHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        }
    }

    @Test
    @DisplayName("a schema with a table of unknown origin is left to Flyway, which refuses it as it always does")
    void foreignTableLeftToFlyway() throws Exception {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(url, "spring.flyway.enabled=false", "spring.liquibase.enabled=false")) {
            new JdbcTemplate(ctx.getBean(DataSource.class)).execute("CREATE TABLE legacy_things (id INTEGER PRIMARY KEY)");
        }
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> start(url, FLYWAY_ONLY).close());
        assertThat(failure).isNotNull();
        assertThat(org.assertj.core.util.Throwables.getRootCause(failure).getMessage()).contains("non-empty schema").contains("no schema history table");
    }

    @Test
    @DisplayName("an application without a migration of its own (Flyway there only as Atlas's dependency), on its existing"
            + " database without a Flyway history, starts and Boot's Flyway leaves that database alone; so with Atlas on a"
            + " database of its own (atlas.sqlite-path), where the application's empty database stays empty")
    void anApplicationWithoutMigrationsIsLeftAloneByBootsFlyway() throws Exception {
        String none = "spring.flyway.locations=classpath:db/no-migrations-here";
        // Atlas's tables there too (an earlier start), so no test time goes to migrating them: the application's table
        // is not Atlas's either way, and Flyway refused such a schema.
        String existing = migratedDatabase();
        execute(existing, "CREATE TABLE legacy_orders (id INTEGER PRIMARY KEY)");
        try (ConfigurableApplicationContext ctx = start(existing, FLYWAY_ONLY, none)) {
            assertAtlasWorks(ctx, "existing database");
            assertThat(tables(ctx.getBean(DataSource.class))).contains("legacy_orders", "atlas_conversations")
                    .doesNotContain("flyway_schema_history");
        }
        String empty = freshDatabase();
        try (ConfigurableApplicationContext ctx = start(empty, FLYWAY_ONLY, none, "atlas.sqlite-path=" + ownDirectory.resolve("atlas.db"))) {
            assertAtlasWorks(ctx, "own database");
            assertThat(tables(ctx.getBean(DataSource.class))).isEmpty();
        }
    }

    /** Runs {@code sql} on {@code url} as the application's own tools would, before it took Atlas. */
    private void execute(String url, String sql) throws Exception {
        java.util.Properties login = new java.util.Properties();
        for (String setting : credentials()) {
            String key = setting.substring("spring.datasource.".length(), setting.indexOf('='));
            login.setProperty(key.equals("username") ? "user" : key, setting.substring(setting.indexOf('=') + 1));
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(url, login); java.sql.Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static List<String> tables(DataSource dataSource) throws Exception {
        List<String> names = new ArrayList<>();
        try (java.sql.Connection c = dataSource.getConnection();
             java.sql.ResultSet rs = c.getMetaData().getTables(c.getCatalog(), c.getSchema(), "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                names.add(rs.getString("TABLE_NAME").toLowerCase(java.util.Locale.ROOT));
            }
        }
        return names;
    }

    @Test
    @DisplayName("credential keys come from atlas.credential-keys in Base64; a bad value fails start-up without echoing it; without a MeterRegistry bean, no Atlas meters")
    void credentialKeys() {
        String url = migratedDatabase();
        String key = java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));
        try (ConfigurableApplicationContext ctx = start(url, FLYWAY_ONLY, "atlas.credential-keys.k2026=" + key)) {
            // No MeterRegistry bean, no meters (micrometerMetrics: with one, every meter).
            assertThat(ctx.getBeanNamesForType(AtlasMetrics.class)).isEmpty();
            Tenant tenant = ctx.getBean(Tenant.class);
            tenant.credentials().upsert(Owner.user("42"), "openai", "sk-test");
            assertThat(tenant.credentials().get(Owner.user("42"), "openai").orElseThrow().reveal()).isEqualTo("sk-test");
        }
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> start(url, FLYWAY_ONLY, "atlas.credential-keys.k2026=not*base64!").close());
        Throwable root = org.assertj.core.util.Throwables.getRootCause(failure);
        assertThat(root).isInstanceOf(dev.atlas.ConfigurationException.class)
                .hasMessage("atlas.credential-keys.k2026 is not valid Base64");
    }

    /** The application's meter registry, as Actuator would declare it. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class Registry {
        @org.springframework.context.annotation.Bean
        io.micrometer.core.instrument.simple.SimpleMeterRegistry meterRegistry() {
            return new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        }
    }

    @Test
    @DisplayName("with a MeterRegistry, executions, durations, tokens, cost and tool calls are counted exactly (without one, no meters: credentialKeys)")
    void micrometerMetrics() {
        String url = migratedDatabase();
        List<String> all = new ArrayList<>(credentials());
        all.add("spring.datasource.url=" + url);
        all.add(FLYWAY_ONLY);
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class, Registry.class).web(WebApplicationType.NONE)
                .properties(all.toArray(String[]::new)).run()) {
            Tenant tenant = ctx.getBean(Tenant.class);
            tenant.prices().set(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", java.time.Instant.parse("2026-01-01T00:00:00Z")));
            var recorder = tenant.executions();
            UUID[] id = new UUID[1];
            recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                id[0] = exec.id();
                StepHandle step = exec.step();
                step.toolCall("call_1", "lookup_order", "{}").complete("{}");
                step.finish("done", null, FinishReason.STOP, Usage.of(1200, 30).cached(100));
                return "done";
            });
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                throw new IllegalStateException("provider down");
            })).hasMessage("provider down");
            Execution done = recorder.require(id[0]);

            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            assertThat(registry.get("atlas.executions").tags("status", "completed", "provider", "openai", "model", "gpt-4o").counter().count())
                    .isEqualTo(1.0);
            assertThat(registry.get("atlas.executions").tags("status", "failed", "provider", "openai", "model", "gpt-4o").counter().count())
                    .isEqualTo(1.0);
            Timer duration = registry.get("atlas.execution.duration").tags("status", "completed").timer();
            assertThat(duration.count()).isEqualTo(1);
            assertThat((long) duration.totalTime(TimeUnit.NANOSECONDS))
                    .isEqualTo(java.time.Duration.between(done.startedAt(), done.completedAt()).toNanos());
            assertThat(registry.get("atlas.tokens").tags("type", "input", "model", "gpt-4o").counter().count()).isEqualTo(1200.0);
            assertThat(registry.get("atlas.tokens").tags("type", "output", "model", "gpt-4o").counter().count()).isEqualTo(30.0);
            assertThat(registry.get("atlas.tokens").tags("type", "cached", "model", "gpt-4o").counter().count()).isEqualTo(100.0);
            assertThat(registry.find("atlas.tokens").tags("type", "reasoning").counter()).isNull();
            assertThat(done.cost()).isEqualByComparingTo("0.00355");
            assertThat(registry.get("atlas.cost").tags("provider", "openai", "model", "gpt-4o").counter().count()).isEqualTo(0.00355);
            assertThat(registry.get("atlas.tool.calls").tags("tool", "lookup_order", "status", "completed").counter().count()).isEqualTo(1.0);
        }
        // Without a MeterRegistry bean, no meters: credentialKeys, whose application is this one without the registry.
    }

    @Test
    @DisplayName("tool names come from the model (a hallucinated or injected name is recorded as asked): atlas.tool.calls tags"
            + " the first 100 distinct names and counts the calls of any later one under tool '(other)', so a model cannot grow"
            + " the registry without bound; a name already tagged keeps its own counter, by status (a call cancelled while queued"
            + " under cancelled)")
    void toolCallMetersAreBounded() {
        String url = migratedDatabase();
        List<String> all = new ArrayList<>(credentials());
        all.add("spring.datasource.url=" + url);
        all.add(FLYWAY_ONLY);
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class, Registry.class).web(WebApplicationType.NONE)
                .properties(all.toArray(String[]::new)).run()) {
            Tenant tenant = ctx.getBean(Tenant.class);
            tenant.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                StepHandle step = exec.step();
                for (int i = 0; i < 150; i++) {
                    step.toolCall("call_" + i, "tool_" + i, "{}").complete("{}");
                }
                step.toolCall("call_again", "tool_0", "{}").fail("no such tool");
                // A call the agent declined (cancelled while queued) is a finished call too, counted under its status.
                step.toolCall(dev.atlas.execution.NewToolCall.of("call_declined", "tool_0", "{}").queued()).cancel();
                step.finish("done", null, FinishReason.STOP, Usage.of(1, 1));
                return "done";
            });
            MeterRegistry registry = ctx.getBean(MeterRegistry.class);
            List<String> tools = registry.find("atlas.tool.calls").counters().stream().map(c -> c.getId().getTag("tool"))
                    .distinct().sorted().toList();
            assertThat(tools).hasSize(101).contains("tool_0", "tool_99", "(other)").doesNotContain("tool_100", "tool_149");
            assertThat(registry.get("atlas.tool.calls").tags("tool", "(other)", "status", "completed").counter().count()).isEqualTo(50.0);
            assertThat(registry.get("atlas.tool.calls").tags("tool", "tool_0", "status", "completed").counter().count()).isEqualTo(1.0);
            assertThat(registry.get("atlas.tool.calls").tags("tool", "tool_0", "status", "failed").counter().count()).isEqualTo(1.0);
            assertThat(registry.get("atlas.tool.calls").tags("tool", "tool_0", "status", "cancelled").counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    @DisplayName("spring.datasource.hikari.auto-commit=false: the application's Flyway and Atlas migrate, Atlas's writes are"
            + " committed (read back after a restart) and the pool's connections go back with auto-commit off; also with a pool"
            + " of one connection (without the application's Flyway, which needs two)")
    void applicationsPoolWithAutoCommitOff() {
        for (String size : new String[] {"10", "1"}) {
            String url = freshDatabase();
            String[] properties = {size.equals("1") ? "spring.flyway.enabled=false" : "spring.flyway.enabled=true", "spring.liquibase.enabled=false",
                    "spring.datasource.hikari.auto-commit=false", "spring.datasource.hikari.maximum-pool-size=" + size};
            Conversation c;
            try (ConfigurableApplicationContext ctx = start(url, properties)) {
                c = assertAtlasWorks(ctx, "auto-commit off, pool of " + size);
                Boolean autoCommit = new JdbcTemplate(ctx.getBean(DataSource.class)).execute((java.sql.Connection con) -> con.getAutoCommit());
                assertThat(autoCommit).as(size).isFalse();
            }
            try (ConfigurableApplicationContext ctx = start(url, properties)) {
                assertThat(ctx.getBean(Tenant.class).conversations().history(c.id())).as(size).extracting(Message::content)
                        .containsExactly("auto-commit off, pool of " + size);
            }
        }
    }

    private static void assertAppV1Applied(ConfigurableApplicationContext ctx) {
        JdbcTemplate jdbc = new JdbcTemplate(ctx.getBean(DataSource.class));
        assertThat(jdbc.queryForList("SELECT version FROM flyway_schema_history WHERE success = " + trueLiteral(jdbc)
                + " AND version IS NOT NULL ORDER BY installed_rank", String.class)).contains("1");
        jdbc.update("DELETE FROM app_orders");
        jdbc.update("INSERT INTO app_orders (id, item) VALUES (1, 'book')");
        assertThat(jdbc.queryForObject("SELECT item FROM app_orders WHERE id = 1", String.class)).isEqualTo("book");
    }

    private static String trueLiteral(JdbcTemplate jdbc) {
        String product = jdbc.execute((java.sql.Connection c) -> c.getMetaData().getDatabaseProductName());
        return "SQLite".equalsIgnoreCase(product) ? "1" : "true";
    }

    private static Conversation assertAtlasWorks(ConfigurableApplicationContext ctx, String text) {
        Tenant tenant = ctx.getBean(Tenant.class);
        Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().append(c.id(), NewMessage.user(text));
        assertThat(tenant.conversations().history(c.id())).extracting(Message::content).containsExactly(text);
        assertThat(tenant.conversations().list(ConversationQuery.all()).items()).extracting(Conversation::id).contains(c.id());
        return c;
    }
}
