package dev.atlas.migrations;

import dev.atlas.AtlasConfig;
import dev.atlas.ConfigurationException;
import dev.atlas.StorageException;
import dev.atlas.internal.Redaction;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs Atlas's schema migrations on a {@link DataSource}, with Atlas's own Flyway history table
 * ({@code <prefix>schema_history}) so it coexists with the host application's Flyway.
 *
 * <pre>{@code
 * AtlasMigrations.of(dataSource).tablePrefix("atlas_").migrate();
 * }</pre>
 *
 * Beside a host's own Flyway (its default history table {@code flyway_schema_history}), run the
 * host's migrations first and Atlas's second, as the README shows; do not add Atlas's
 * location to the host's Flyway (both start at version 1). Every failure is an
 * {@link dev.atlas.AtlasException}: {@link ConfigurationException} for bad arguments or an
 * unsupported database, {@link StorageException} when the database or a migration fails.
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
            try (Connection c = firstConnection(dataSource)) {
                String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
                if (product.contains("sqlite")) {
                    return SQLITE;
                }
                if (product.contains("postgres")) {
                    return POSTGRESQL;
                }
                throw new ConfigurationException("Atlas supports SQLite and PostgreSQL; the data source is " + product);
            } catch (SQLException e) {
                // Drivers quote the URL, password included ("No suitable driver found for jdbc:...?password=...").
                List<String> secrets = new ArrayList<>();
                for (Throwable t = e; t != null; t = t.getCause()) {
                    secrets.addAll(Redaction.secretsOf(t.getMessage()));
                }
                throw new StorageException("could not connect to detect the database: " + Redaction.text(e.getMessage(), secrets),
                        e.getSQLState(), e.getSQLState() != null && e.getSQLState().startsWith("08"), scrubbed(e, secrets));
            }
        }

        /**
         * A host's SQLite pool in WAL mode switches a new file to WAL as each connection opens, and
         * two connections meeting in that switch get SQLITE_BUSY at once, not after the busy
         * timeout (instances started together on one pool). Only that answer is tried again, for
         * as long as Atlas's own pool tries an open: once one connection is through, the file is
         * in WAL and the others open.
         */
        private static Connection firstConnection(DataSource dataSource) throws SQLException {
            long giveUp = System.nanoTime() + BUSY_AT_OPEN.toNanos();
            while (true) {
                try {
                    return dataSource.getConnection();
                } catch (SQLException e) {
                    if (!dev.atlas.internal.SqliteErrors.busy(e) || System.nanoTime() > giveUp) {
                        throw e;
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }

        private static final java.time.Duration BUSY_AT_OPEN = java.time.Duration.ofSeconds(10);

        /**
         * {@code e} itself when no message in its cause chain quotes a secret; otherwise a copy of the
         * chain with masked messages and the original stack traces, so a stack trace in the logs does
         * not print the driver's message as a cause.
         */
        private static Throwable scrubbed(Throwable e, List<String> secrets) {
            if (e == null) {
                return null;
            }
            boolean mentions = false;
            for (Throwable t = e; t != null && !mentions; t = t.getCause()) {
                String m = String.valueOf(t.getMessage());
                mentions = !Redaction.text(m, secrets).equals(m);
            }
            if (!mentions) {
                return e;
            }
            RuntimeException copy = new RuntimeException(e.getClass().getName() + ": " + Redaction.text(e.getMessage(), secrets),
                    scrubbed(e.getCause(), secrets));
            copy.setStackTrace(e.getStackTrace());
            return copy;
        }
    }

    private static final boolean SLF4J_PRESENT = present("org.slf4j.LoggerFactory");

    private final DataSource dataSource;
    private Dialect dialect;
    private String prefix = "atlas_";

    private AtlasMigrations(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static AtlasMigrations of(DataSource dataSource) {
        if (dataSource == null) {
            throw new ConfigurationException("dataSource must not be null");
        }
        return new AtlasMigrations(dataSource);
    }

    /**
     * The classpath location of a dialect's migrations. Run them through {@link #migrate()} (Atlas's
     * own history table), not through a host's Flyway: their versions start at 1 like the host's.
     */
    public static String location(Dialect dialect) {
        return "classpath:dev/atlas/migrations/" + dialect.folder;
    }

    public AtlasMigrations dialect(Dialect dialect) {
        this.dialect = dialect;
        return this;
    }

    public AtlasMigrations tablePrefix(String prefix) {
        this.prefix = AtlasConfig.checkTablePrefix(prefix);
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
                // Through SLF4J, the logging API Atlas and its pool already use: without an SLF4J
                // provider Flyway would otherwise fall back to java.util.logging and print its
                // progress to stderr on every open of an application that configured no logging.
                .loggers(SLF4J_PRESENT ? "slf4j" : "auto")
                .load();
    }

    /**
     * Applies pending migrations; returns how many were applied (0 when up to date).
     *
     * <p>Two cases skip Flyway, whose start costs about half a second of class loading and class
     * path scanning: when Atlas's history table records, as its latest row, a successful run of
     * the newest migration bundled in this jar and no failed row, the database is up to date (one
     * {@code SELECT}); and a new, empty SQLite database gets the bundled scripts and the history
     * Flyway would write in one transaction, without Flyway. Anything else (a pending or failed
     * version, a database newer than this jar, an existing database without Atlas's history)
     * goes through Flyway. The up-to-date check trusts the recorded history:
     * {@code flyway().validate()} still compares checksums on demand.
     *
     * <p>Several instances may call this at once on one database (replicas starting together): a
     * new SQLite file is migrated under the write lock, and a Flyway run that lost a race to another
     * migrator (its attempt failed while the history grew) runs again. Migrating PostgreSQL holds
     * two connections of the data source at once.
     */
    public int migrate() {
        Dialect d = dialect != null ? dialect : Dialect.detect(dataSource);
        ClassLoader loader = AtlasMigrations.class.getClassLoader();
        String folder = location(d).substring("classpath:".length());
        List<Bundled.Script> scripts = Bundled.scripts(loader, folder);
        if (scripts != null) {
            if (UpToDate.check(dataSource, d, prefix, scripts.get(scripts.size() - 1).version())) {
                return 0;
            }
            if (d == Dialect.SQLITE) {
                int applied = FreshSqlite.apply(dataSource, loader, folder, scripts, prefix);
                if (applied >= 0) {
                    return applied;
                }
                // The file was new at the first look: another process may have migrated it while
                // this one waited for the write lock, and then it is current without Flyway.
                if (UpToDate.check(dataSource, d, prefix, scripts.get(scripts.size() - 1).version())) {
                    return 0;
                }
            }
        }
        dialect = d;
        return migrateRetryingLostRaces(d);
    }

    /**
     * Flyway, run again when it lost a race to another migrator. Flyway locks its migrations but
     * not its first look at the database: on PostgreSQL an instance that found no history table
     * and then a schema no longer empty (another instance had just created its history table)
     * tried to baseline it and failed. Flyway's SQLite support has no lock at all; on a pool whose
     * transactions begin DEFERRED (a host's pool; Atlas's own begins IMMEDIATE), a migration that
     * read the history before another process committed one fails with SQLITE_BUSY. Either failed
     * attempt is rolled back whole (PostgreSQL's DDL is transactional). It runs again while the
     * history has grown during the failed attempt (a migrator committed, usually another one), so
     * the retries end (the history cannot grow past the bundled versions); on SQLite also, for
     * about ten seconds, after an SQLITE_BUSY that came before the other migrator committed. A failure of this
     * migrator's own making (a version that cannot apply) is retried at most once, when versions
     * before it committed in the failed attempt, and then fails as before. No extra connection is
     * held, so a pool that could migrate alone still can.
     */
    private int migrateRetryingLostRaces(Dialect d) {
        int busyRetries = 0;
        while (true) {
            long before = UpToDate.lastRank(dataSource, d, prefix);
            try {
                return FlywayRun.migrate(this);
            } catch (StorageException e) {
                if (d == Dialect.SQLITE) {
                    // SQLITE_BUSY can also come at once, before the other migrator committed
                    // anything (a DEFERRED transaction cannot wait to upgrade its read lock): a
                    // few more attempts, a moment apart, let that migrator finish.
                    if (!dev.atlas.internal.SqliteErrors.busy(e) || UpToDate.lastRank(dataSource, d, prefix) <= before && ++busyRetries > SQLITE_BUSY_RETRIES) {
                        throw e;
                    }
                    pause();
                } else if (UpToDate.lastRank(dataSource, d, prefix) <= before) {
                    throw e;
                }
            }
        }
    }

    /** Attempts after an SQLITE_BUSY that no committed migration paid for, {@link #pause} apart: about 10 s in all. */
    private static final int SQLITE_BUSY_RETRIES = 100;

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("Atlas's migrations were interrupted while another instance migrated", null, false, e);
        }
    }


    /**
     * Fails with a {@link ConfigurationException} unless every bundled migration has run
     * successfully: what Atlas checks when it opens with migrations off, so an application whose
     * deployment forgot the migration step stops at start-up, naming the versions, instead of
     * failing on every later call with "no such table". A database newer than this jar passes
     * (an older instance during a rolling upgrade). Costs one {@code SELECT} when up to date.
     */
    public void requireCurrent() {
        Dialect d = dialect != null ? dialect : Dialect.detect(dataSource);
        List<Bundled.Script> scripts = Bundled.scripts(AtlasMigrations.class.getClassLoader(),
                location(d).substring("classpath:".length()));
        if (scripts != null && UpToDate.check(dataSource, d, prefix, scripts.get(scripts.size() - 1).version())) {
            return;
        }
        dialect = d;
        FlywayRun.requireCurrent(this);
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, AtlasMigrations.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Flyway's part, in its own class so that the up-to-date path never loads Flyway's classes. */
    private static final class FlywayRun {
        static int migrate(AtlasMigrations migrations) {
            try {
                MigrateResult result = migrations.flyway().migrate();
                return result.migrationsExecuted;
            } catch (FlywayException e) {
                SQLException sql = null;
                for (Throwable t = e; t != null && sql == null; t = t.getCause()) {
                    sql = t instanceof SQLException s ? s : null;
                }
                throw new StorageException("Atlas's migrations failed: " + e.getMessage(), sql == null ? null : sql.getSQLState(), false, e);
            }
        }

        static void requireCurrent(AtlasMigrations migrations) {
            org.flywaydb.core.api.MigrationInfoService info;
            try {
                info = migrations.flyway().info();
            } catch (FlywayException e) {
                throw new StorageException("could not read Atlas's migration history: " + e.getMessage(), null, false, e);
            }
            String advice = ": run the migrations first (AtlasMigrations.of(dataSource).tablePrefix(\"" + migrations.prefix
                    + "\").migrate(), or 'atlas migrate'), or open Atlas with migrate(true)";
            for (org.flywaydb.core.api.MigrationInfo m : info.all()) {
                if (m.getState().isFailed()) {
                    throw new ConfigurationException("Atlas's migration " + m.getVersion() + " (prefix " + migrations.prefix
                            + ") failed and was not repaired" + advice);
                }
            }
            org.flywaydb.core.api.MigrationInfo[] pending = info.pending();
            if (pending.length > 0) {
                org.flywaydb.core.api.MigrationInfo current = info.current();
                String at = current == null || "0".equals(current.getVersion().getVersion()) ? "has no Atlas tables"
                        : "is at schema version " + current.getVersion();
                throw new ConfigurationException("migrate is off and the database (prefix " + migrations.prefix + ") " + at
                        + ", this Atlas needs version " + pending[pending.length - 1].getVersion() + advice);
            }
        }
    }
}
