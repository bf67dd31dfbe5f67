package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import org.assertj.core.util.Throwables;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.sqlite.SQLiteDataSource;

import java.nio.file.Path;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Which database Atlas picks when the application declares several DataSources. */
class AtlasStarterDataSourcesTest {
    @TempDir
    static Path dir;

    static DataSource sqlite(String name) {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve(name) + "?journal_mode=WAL");
        return ds;
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class TwoDataSources {
        @Bean
        DataSource orders() {
            return sqlite("orders.db");
        }

        @Bean
        DataSource billing() {
            return sqlite("billing.db");
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class TwoWithPrimary {
        @Bean
        @Primary
        DataSource main() {
            return sqlite("main.db");
        }

        @Bean
        DataSource reporting() {
            return sqlite("reporting.db");
        }
    }

    /** Boot's DataSource (spring.datasource.url) and a second one for explicit injection only, as Boot's how-to writes it. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class SecondNotADefaultCandidate {
        @Bean(defaultCandidate = false)
        DataSource reporting() {
            return sqlite("second.db");
        }
    }

    private static ConfigurableApplicationContext start(Class<?> app, String... properties) {
        return new SpringApplicationBuilder(app).web(WebApplicationType.NONE)
                .properties("spring.liquibase.enabled=false", "spring.flyway.enabled=false", "spring.sql.init.mode=never")
                .properties(properties).run();
    }

    @Test
    void twoDataSourcesWithoutAPrimaryAreRefusedInsteadOfFallingBackToAFile() {
        Path fallback = AtlasAutoConfiguration.DEFAULT_SQLITE.toAbsolutePath();
        boolean existedBefore = fallback.toFile().exists();
        Throwable failure = catchThrowable(() -> start(TwoDataSources.class).close());
        assertThat(Throwables.getRootCause(failure)).isInstanceOf(ConfigurationException.class)
                .hasMessage("the application has 2 DataSource beans (billing, orders) and none is @Primary:"
                        + " mark the one Atlas should use @Primary, or give Atlas its own with atlas.url or atlas.sqlite-path");
        assertThat(fallback.toFile().exists()).isEqualTo(existedBefore);
    }

    @Test
    void thePrimaryDataSourceIsUsed() {
        try (ConfigurableApplicationContext ctx = start(TwoWithPrimary.class)) {
            Atlas atlas = ctx.getBean(Atlas.class);
            atlas.conversations().create(NewConversation.of(Owner.user("1")));
            Integer rows = new JdbcTemplate(ctx.getBean("main", DataSource.class))
                    .queryForObject("SELECT COUNT(*) FROM atlas_conversations", Integer.class);
            assertThat(rows).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("Boot's DataSource and a second one declared @Bean(defaultCandidate = false) (Boot's how-to for two DataSources):"
            + " Atlas runs on Boot's, the one injected by type, and leaves the second alone")
    void aSecondDataSourceThatIsNoDefaultCandidateIsLeftAlone() {
        try (ConfigurableApplicationContext ctx = start(SecondNotADefaultCandidate.class, "spring.datasource.url=jdbc:sqlite:" + dir.resolve("boots.db"))) {
            ctx.getBean(Atlas.class).conversations().create(NewConversation.of(Owner.user("1")));
            assertThat(new JdbcTemplate(ctx.getBean("dataSource", DataSource.class))
                    .queryForObject("SELECT COUNT(*) FROM atlas_conversations", Integer.class)).isEqualTo(1);
            assertThat(new JdbcTemplate(ctx.getBean("reporting", DataSource.class))
                    .queryForObject("SELECT COUNT(*) FROM sqlite_master", Integer.class)).isZero();
        }
    }

    @Test
    void ownPoolSettingsWinOverSeveralDataSources() {
        Path own = dir.resolve("own.db");
        try (ConfigurableApplicationContext ctx = start(TwoDataSources.class, "atlas.sqlite-path=" + own)) {
            ctx.getBean(Atlas.class).conversations().create(NewConversation.of(Owner.user("1")));
        }
        assertThat(own).exists();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class OneDataSource {
        @Bean
        DataSource app() {
            return sqlite("app.db");
        }
    }

    @Test
    @DisplayName("atlas.max-pool-size when Atlas runs on the application's DataSource fails start-up naming it, instead of being ignored")
    void maxPoolSizeOnTheApplicationsDataSourceIsRefused() {
        Throwable t = catchThrowable(() -> start(OneDataSource.class, "atlas.max-pool-size=50").close());
        assertThat(Throwables.getRootCause(t)).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.max-pool-size sizes a pool Atlas owns (atlas.url, atlas.sqlite-path), but Atlas runs on the"
                        + " application's DataSource: size that pool instead, or remove atlas.max-pool-size");
    }

    @Test
    void badAtlasPropertiesAreNamedAsPropertiesAtStartUp() {
        Throwable tenant = catchThrowable(() -> start(OneDataSource.class, "atlas.tenant= ").close());
        assertThat(Throwables.getRootCause(tenant)).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: must not be blank");
        Throwable settings = catchThrowable(() -> start(OneDataSource.class, "atlas.history-limit=0", "atlas.table-prefix=Bad").close());
        assertThat(Throwables.getRootCause(settings)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("atlas.history-limit must be between 1 and 1000, was 0")
                .hasMessageContaining("atlas.table-prefix 'Bad' is invalid");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class UntouchedDataSource {
        @Bean
        DataSource app() {
            return sqlite("untouched.db");
        }
    }

    @Test
    @DisplayName("a bad atlas.tenant fails start-up before Atlas writes to the application's database: no Atlas table is created")
    void badTenantLeavesTheApplicationsDatabaseUntouched() {
        Throwable tenant = catchThrowable(() -> start(UntouchedDataSource.class, "atlas.tenant=acme\t").close());
        assertThat(Throwables.getRootCause(tenant)).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: must not start or end with white space");
        assertThat(new JdbcTemplate(sqlite("untouched.db")).queryForList("SELECT name FROM sqlite_master", String.class)).isEmpty();
    }

    /** A TransactionAwareDataSourceProxy over an SQLite HikariCP pool with auto-commit off. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class BoundSqliteAutoCommitOff {
        // The pool is a bean of its own so that Spring closes it when start-up fails: inside the
        // proxy it was never closed, and its housekeeper opened connections (files) in the
        // temporary directory while JUnit deleted it.
        @Bean
        com.zaxxer.hikari.HikariDataSource pool() {
            com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource();
            pool.setJdbcUrl("jdbc:sqlite:" + dir.resolve("bound.db") + "?journal_mode=WAL");
            pool.setAutoCommit(false);
            return pool;
        }

        @Bean
        @Primary
        DataSource app(com.zaxxer.hikari.HikariDataSource pool) {
            return new org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy(pool);
        }
    }

    /**
     * README: on SQLite, Atlas's write inside the application's transaction on such a DataSource
     * commits the application's pending work (auto-commit off, Atlas cannot tell that transaction
     * from a fresh connection). It started and did so silently; it now fails start-up saying how
     * to fix it, before Atlas writes anything.
     */
    @Test
    @DisplayName("a TransactionAwareDataSourceProxy over an SQLite pool with auto-commit off fails start-up saying why, Atlas's tables not created")
    void boundSqlitePoolWithAutoCommitOffIsRefused() {
        Throwable t = catchThrowable(() -> start(BoundSqliteAutoCommitOff.class).close());
        assertThat(Throwables.getRootCause(t)).isInstanceOf(ConfigurationException.class)
                .hasMessage("the application's DataSource joins its transactions (TransactionAwareDataSourceProxy) over an SQLite pool with"
                        + " auto-commit off: Atlas cannot tell the application's transaction from a fresh connection, and its writes would"
                        + " commit the application's pending work. Leave the pool in auto-commit mode (spring.datasource.hikari.auto-commit,"
                        + " Boot's default), or give Atlas a database of its own with atlas.sqlite-path");
        assertThat(new JdbcTemplate(sqlite("bound.db")).queryForList("SELECT name FROM sqlite_master WHERE name LIKE 'atlas%'", String.class))
                .isEmpty();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class UnmigratedDataSource {
        @Bean
        DataSource app() {
            return sqlite("unmigrated.db");
        }
    }

    @Test
    @DisplayName("atlas.migrate=false on an unmigrated database stops start-up naming atlas.migrate, with the advice intact")
    void migrateOffOnAnUnmigratedDatabaseStopsStartUpWithTheAdviceIntact() {
        Throwable off = catchThrowable(() -> start(UnmigratedDataSource.class, "atlas.migrate=false").close());
        assertThat(Throwables.getRootCause(off)).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("atlas.migrate is false and the database (prefix atlas_) has no Atlas tables")
                .hasMessageContaining("AtlasMigrations.of(dataSource).tablePrefix(\"atlas_\").migrate()")
                .hasMessageEndingWith(", or set atlas.migrate=true");
    }
}
