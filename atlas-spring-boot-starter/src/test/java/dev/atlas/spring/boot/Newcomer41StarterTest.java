package dev.atlas.spring.boot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.sqlite.SQLiteDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the starter does to the application's own Flyway and Hibernate, which Atlas's presence reaches: an application
 * with a migration strategy of its own keeps it, and the Hibernate setting only fills a gap on SQLite.
 * (An application without migrations on its existing database: {@code WebAppContract} in examples/spring-ai-web-app.)
 */
class Newcomer41StarterTest {
    @TempDir
    Path dir;

    @Test
    void theApplicationsFlywayMigrationStrategyIsTheOneBootUses() throws Exception {
        Path migrations = Files.createDirectories(dir.resolve("migration"));
        Files.writeString(migrations.resolve("V1__orders.sql"), "CREATE TABLE app_orders (id INTEGER PRIMARY KEY);\n");
        AtomicInteger called = new AtomicInteger();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, DataSourceAutoConfiguration.class,
                        FlywayAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"),
                        "spring.flyway.locations=filesystem:" + migrations)
                .withBean(FlywayMigrationStrategy.class, () -> flyway -> {
                    called.incrementAndGet();
                    flyway.migrate();
                })
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBeanNamesForType(FlywayMigrationStrategy.class)).hasSize(1).doesNotContain("atlasFlywayMigrationStrategy");
                    assertThat(called).hasValue(1);
                    assertThat(tables(context.getBean(DataSource.class))).contains("app_orders", "flyway_schema_history", "atlas_conversations");
                });
    }

    @Test
    void hibernateReadsEntityTablesOneByOneOnSqliteOnlyAndKeepsTheApplicationsChoice() {
        SQLiteDataSource sqlite = new SQLiteDataSource();
        sqlite.setUrl("jdbc:sqlite:" + dir.resolve("jpa.db"));
        Map<String, Object> properties = new HashMap<>();
        AtlasHibernateSettings.customize(properties, sqlite);
        assertThat(properties).containsExactly(Map.entry("hibernate.hbm2ddl.jdbc_metadata_extraction_strategy", "individually"));

        Map<String, Object> chosen = new HashMap<>(Map.of("hibernate.hbm2ddl.jdbc_metadata_extraction_strategy", "grouped"));
        AtlasHibernateSettings.customize(chosen, sqlite);
        assertThat(chosen).containsExactly(Map.entry("hibernate.hbm2ddl.jdbc_metadata_extraction_strategy", "grouped"));

        Map<String, Object> postgres = new HashMap<>();
        AtlasHibernateSettings.customize(postgres, dev.atlas.jdbi.kit.PostgresTestDatabase.server().getPostgresDatabase());
        assertThat(postgres).isEmpty();

        // Atlas on a pool of its own: the setting only when that pool opens the application's file, however spelt.
        Map<String, Object> sameFile = new HashMap<>();
        AtlasHibernateSettings.customize(sameFile, sqlite, false, dir.resolve(".").resolve("jpa.db"));
        assertThat(sameFile).containsExactly(Map.entry("hibernate.hbm2ddl.jdbc_metadata_extraction_strategy", "individually"));
        // A symbolic link to it, and an in-memory database of Atlas's (no file: not the application's).
        Map<String, Object> linked = new HashMap<>();
        try {
            AtlasHibernateSettings.customize(linked, sqlite, false,
                    java.nio.file.Files.createSymbolicLink(dir.resolve("link.db"), dir.resolve("jpa.db")));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(linked).containsExactly(Map.entry("hibernate.hbm2ddl.jdbc_metadata_extraction_strategy", "individually"));
        Map<String, Object> memory = new HashMap<>();
        AtlasHibernateSettings.customize(memory, sqlite, false,
                dev.atlas.internal.SqliteUrls.file("jdbc:sqlite:file:jpa.db?mode=memory").orElse(null));
        assertThat(memory).isEmpty();
        Map<String, Object> otherFile = new HashMap<>();
        AtlasHibernateSettings.customize(otherFile, sqlite, false, dir.resolve("atlas.db"));
        assertThat(otherFile).isEmpty();
        Map<String, Object> notSqlite = new HashMap<>();
        AtlasHibernateSettings.customize(notSqlite, sqlite, false, null);
        assertThat(notSqlite).isEmpty();

        Map<String, Object> none = new HashMap<>();
        AtlasHibernateSettings.customize(none, null);
        assertThat(none).isEmpty();
    }

    private static List<String> tables(DataSource dataSource) throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                names.add(rs.getString("TABLE_NAME"));
            }
        }
        return names;
    }
}
