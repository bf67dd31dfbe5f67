package dev.atlas.spring.ai.compat;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter on Spring Boot 4 itself, with the application's DataSource and Flyway (Boot 4's own
 * auto-configurations, modules spring-boot-jdbc and spring-boot-flyway) and Actuator's health
 * (spring-boot-health): what the starter's tests assert on Boot 3.5 and with stand-ins of Boot 4's
 * types, here with the real ones. Compiled on this build only.
 */
class Boot4StarterTest {
    @TempDir
    Path dir;

    private ApplicationContextRunner app(Path db) throws IOException {
        Path migrations = Files.createDirectories(dir.resolve("migration"));
        Files.writeString(migrations.resolve("V1__orders.sql"), "CREATE TABLE app_orders (id INTEGER PRIMARY KEY, item TEXT);\n");
        return new ApplicationContextRunner()
                // Atlas listed first on purpose: the order comes from the starter's afterName, not from this list.
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, DataSourceAutoConfiguration.class,
                        FlywayAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:sqlite:" + db, "spring.flyway.locations=filesystem:" + migrations);
    }

    private static java.util.List<String> applied(JdbcTemplate jdbc) {
        return jdbc.queryForList("SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL ORDER BY installed_rank",
                String.class);
    }

    @Test
    void theApplicationsFlywayRunsBeforeAtlasOnItsDataSource() throws IOException {
        Path db = dir.resolve("app.db");
        app(db).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanFactory().getBeanDefinition("atlas").getDependsOn()).contains("flywayInitializer");
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(applied(jdbc)).containsExactly("1");
            Tenant tenant = context.getBean(Tenant.class);
            tenant.conversations().create(NewConversation.of(Owner.user("42"), "support"));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM app_orders", Long.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM atlas_conversations", Long.class)).isEqualTo(1L);
        });
    }

    @Test
    void flywayAdoptedAfterAtlasBaselinesAndAppliesTheApplicationsV1() throws IOException {
        Path db = dir.resolve("adopted.db");
        ApplicationContextRunner app = app(db);
        app.withPropertyValues("spring.flyway.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            context.getBean(Tenant.class).conversations().create(NewConversation.of(Owner.user("42"), "support"));
        });
        app.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanNamesForType(FlywayConfigurationCustomizer.class)).contains("atlasFlywayCoexistence");
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(applied(jdbc)).containsExactly("0", "1");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM atlas_conversations", Long.class)).isEqualTo(1L);
        });
    }

    /**
     * An application that never used Flyway, on its existing database: Boot 4's Flyway, there as Atlas's dependency,
     * leaves it alone (it refused the schema, non-empty and without a history table) and Atlas adds its tables.
     */
    @Test
    void anApplicationWithoutMigrationsStartsOnItsExistingDatabase() throws Exception {
        Path db = dir.resolve("existing.db");
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE TABLE shop_orders (id INTEGER PRIMARY KEY, status TEXT)");
        }
        Path none = Files.createDirectories(dir.resolve("no-migrations"));
        app(db).withPropertyValues("spring.flyway.locations=filesystem:" + none).run(context -> {
            assertThat(context).hasNotFailed();
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForList("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN"
                    + " ('shop_orders', 'flyway_schema_history', 'atlas_conversations') ORDER BY name", String.class))
                    .containsExactly("atlas_conversations", "shop_orders");
        });
    }

    /** An application's own migration strategy, from its configuration: Boot 4's Flyway uses it, the starter's stays out. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class OwnStrategy {
        static final java.util.concurrent.atomic.AtomicInteger CALLS = new java.util.concurrent.atomic.AtomicInteger();

        @org.springframework.context.annotation.Bean
        org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy ownStrategy() {
            return flyway -> {
                CALLS.incrementAndGet();
                flyway.migrate();
            };
        }
    }

    @Test
    void theApplicationsOwnMigrationStrategyIsTheOneBoot4Uses() throws Exception {
        OwnStrategy.CALLS.set(0);
        app(dir.resolve("own.db")).withUserConfiguration(OwnStrategy.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanNamesForType(org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy.class))
                    .containsExactly("ownStrategy");
            assertThat(OwnStrategy.CALLS).hasValue(1);
            assertThat(applied(new JdbcTemplate(context.getBean(DataSource.class)))).containsExactly("1");
        });
    }

    /** Two strategies of the application's, one {@code @Primary}: Boot 4's Flyway takes that one, the starter's stays out. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TwoStrategies {
        static final java.util.List<String> CALLED = new java.util.concurrent.CopyOnWriteArrayList<>();

        @org.springframework.context.annotation.Bean
        @org.springframework.context.annotation.Primary
        org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy mainStrategy() {
            return flyway -> {
                CALLED.add("main");
                flyway.migrate();
            };
        }

        @org.springframework.context.annotation.Bean
        org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy otherStrategy() {
            return flyway -> CALLED.add("other");
        }
    }

    @Test
    void theApplicationsPrimaryOfTwoMigrationStrategiesIsTheOneBoot4Uses() throws Exception {
        TwoStrategies.CALLED.clear();
        app(dir.resolve("two.db")).withUserConfiguration(TwoStrategies.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanNamesForType(org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy.class))
                    .containsExactlyInAnyOrder("mainStrategy", "otherStrategy");
            assertThat(TwoStrategies.CALLED).containsExactly("main");
            assertThat(applied(new JdbcTemplate(context.getBean(DataSource.class)))).containsExactly("1");
        });
    }

    @Test
    void atlasIsABoot4HealthContributorNamedAtlas() {
        ApplicationContextRunner app = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                        HealthContributorRegistryAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("health.db"));
        app.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanNamesForType(HealthIndicator.class)).contains("atlasHealthIndicator");
            HealthIndicator atlas = (HealthIndicator) context.getBean(HealthContributorRegistry.class).getContributor("atlas");
            assertThat(atlas).isSameAs(context.getBean("atlasHealthIndicator"));
            Health up = atlas.health(true);
            assertThat(up.getStatus()).isEqualTo(Status.UP);
            assertThat(up.getDetails()).containsExactly(Map.entry("database", "sqlite"));
            context.getBean(Atlas.class).close();
            Health down = atlas.health();
            assertThat(down.getStatus()).isEqualTo(Status.DOWN);
            assertThat(down.getDetails().keySet()).containsExactly("error", "database");
            assertThat(String.valueOf(down.getDetails().get("error"))).startsWith("dev.atlas.AtlasClosedException: ");
        });
        app.withPropertyValues("management.health.atlas.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBeanNamesForType(HealthIndicator.class)).doesNotContain("atlasHealthIndicator");
            assertThat(context.getBean(HealthContributorRegistry.class).getContributor("atlas")).isNull();
        });
    }
}
