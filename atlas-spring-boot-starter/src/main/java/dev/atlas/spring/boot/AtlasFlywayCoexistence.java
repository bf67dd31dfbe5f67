package dev.atlas.spring.boot;

import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lets the application adopt Flyway on a database where Atlas created its tables first.
 *
 * <p>Flyway refuses to migrate a schema that holds tables but no history table of its own, and
 * its usual remedy, {@code baseline-on-migrate}, baselines at version 1 and so silently skips the
 * application's V1. When the schema holds nothing but Atlas's tables (every table starts with
 * Atlas's prefix) and the application's history table does not exist yet, this customizer
 * baselines at version 0 instead, so the application's V1 and everything after it run. In any
 * other situation it changes nothing: a schema with tables of unknown origin still fails as
 * Flyway intends, and an application that configured baselining itself keeps its settings.
 *
 * <p>It implements no Boot type: the starter registers it as Boot 3.5's
 * {@code org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer} or as Boot 4's
 * {@code org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer}, whichever the application has.
 */
final class AtlasFlywayCoexistence {
    private static final Logger log = LoggerFactory.getLogger(AtlasFlywayCoexistence.class);
    private final String atlasPrefix;

    AtlasFlywayCoexistence(String atlasPrefix) {
        this.atlasPrefix = atlasPrefix.toLowerCase(Locale.ROOT);
    }

    /**
     * Baselines at version 0 when the schema holds only Atlas's tables and no history table of the application's.
     *
     * @param configuration the application's Flyway configuration, changed in place
     */
    void customize(FluentConfiguration configuration) {
        if (configuration.isBaselineOnMigrate() || configuration.getDataSource() == null) {
            return;
        }
        List<String> tables;
        try {
            tables = tables(configuration);
        } catch (SQLException e) {
            log.debug("could not list tables before Flyway runs; leaving Flyway's settings unchanged", e);
            return;
        }
        String history = configuration.getTable().toLowerCase(Locale.ROOT);
        boolean onlyAtlas = !tables.isEmpty() && tables.stream().allMatch(t -> t.startsWith(atlasPrefix));
        if (onlyAtlas && !tables.contains(history)) {
            log.info("The schema holds only Atlas's tables ({} with prefix {}); Flyway baselines at version 0 so the application's"
                    + " migrations all run", tables.size(), atlasPrefix);
            configuration.baselineOnMigrate(true).baselineVersion("0")
                    .baselineDescription("<< baseline: schema held only Atlas tables >>");
        }
    }

    /**
     * Migrates with the application's Flyway unless it has no migration at all, neither found at its locations nor
     * applied before: Atlas brings flyway-core to the class path, which turns Spring Boot's Flyway on for every
     * application with a DataSource. Without this, an application that never used Flyway failed to start on a database
     * already holding its tables ({@code Found non-empty schema(s) ... but no schema history table}), and on an empty one
     * got an empty {@code flyway_schema_history} table and a warning ({@code No migrations found}) at every start.
     * Atlas migrates its own tables with its own history table either way.
     *
     * @param flyway the application's Flyway, as Boot configured it
     */
    static void migrateIfAny(org.flywaydb.core.Flyway flyway) {
        if (flyway.info().all().length == 0) {
            log.info("The application has no Flyway migrations (Flyway is on the class path as Atlas's dependency): Spring Boot's"
                    + " Flyway leaves the database alone");
            return;
        }
        flyway.migrate();
    }

    private static List<String> tables(FluentConfiguration configuration) throws SQLException {
        DataSource ds = configuration.getDataSource();
        try (Connection c = ds.getConnection()) {
            String schema = configuration.getDefaultSchema();
            if (schema == null && configuration.getSchemas().length > 0) {
                schema = configuration.getSchemas()[0];
            }
            if (schema == null) {
                schema = c.getSchema();
            }
            DatabaseMetaData meta = c.getMetaData();
            List<String> names = new ArrayList<>();
            try (ResultSet rs = meta.getTables(c.getCatalog(), schema, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String name = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                    if (!name.startsWith("sqlite_")) {
                        names.add(name);
                    }
                }
            }
            return names;
        }
    }
}
