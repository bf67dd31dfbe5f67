package dev.atlas.migrations;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Runs Atlas's schema migrations on a {@link DataSource}, with Atlas's own Flyway history table
 * ({@code <prefix>schema_history}) so it coexists with the host application's Flyway.
 *
 * <pre>{@code
 * AtlasMigrations.of(dataSource).tablePrefix("atlas_").migrate();
 * }</pre>
 *
 * A host that runs its own Flyway can instead add {@link #location(Dialect)} to its locations
 * and set the placeholder {@code prefix} (see the README).
 */
public final class AtlasMigrations {

    /** The databases Atlas has migrations for. */
    public enum Dialect {
        SQLITE("sqlite"),
        POSTGRESQL("postgresql");

        private final String folder;

        Dialect(String folder) {
            this.folder = folder;
        }

        /** Detects the dialect from the connection's metadata; fails for any other database. */
        public static Dialect detect(DataSource dataSource) {
            try (Connection c = dataSource.getConnection()) {
                String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
                if (product.contains("sqlite")) {
                    return SQLITE;
                }
                if (product.contains("postgres")) {
                    return POSTGRESQL;
                }
                throw new IllegalStateException("Atlas supports SQLite and PostgreSQL; the data source is " + product);
            } catch (SQLException e) {
                throw new IllegalStateException("could not connect to detect the database: " + e.getMessage(), e);
            }
        }
    }

    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,29}");

    private final DataSource dataSource;
    private Dialect dialect;
    private String prefix = "atlas_";

    private AtlasMigrations(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static AtlasMigrations of(DataSource dataSource) {
        if (dataSource == null) {
            throw new IllegalArgumentException("dataSource must not be null");
        }
        return new AtlasMigrations(dataSource);
    }

    /** The classpath location of a dialect's migrations, for a host's own Flyway configuration. */
    public static String location(Dialect dialect) {
        return "classpath:dev/atlas/migrations/" + dialect.folder;
    }

    public AtlasMigrations dialect(Dialect dialect) {
        this.dialect = dialect;
        return this;
    }

    public AtlasMigrations tablePrefix(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("tablePrefix '" + prefix + "' is invalid: use 1 to 30 characters of lowercase letters,"
                    + " digits and underscores, starting with a letter");
        }
        this.prefix = prefix;
        return this;
    }

    /** The configured Flyway instance, for validate/info or anything else Flyway offers. */
    public Flyway flyway() {
        Dialect d = dialect != null ? dialect : Dialect.detect(dataSource);
        return Flyway.configure(AtlasMigrations.class.getClassLoader())
                .dataSource(dataSource)
                .locations(location(d))
                .table(prefix + "schema_history")
                .placeholders(Map.of("prefix", prefix))
                // Atlas usually joins a database that already holds the host's tables (or another
                // Atlas schema under another prefix). Its own history table is new there, so
                // Flyway would refuse a "non-empty schema"; a baseline at version 0 starts Atlas's
                // history empty and every Atlas version still runs.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .validateMigrationNaming(true)
                .cleanDisabled(true)
                .load();
    }

    /** Applies pending migrations; returns how many were applied (0 when up to date). */
    public int migrate() {
        MigrateResult result = flyway().migrate();
        return result.migrationsExecuted;
    }
}
