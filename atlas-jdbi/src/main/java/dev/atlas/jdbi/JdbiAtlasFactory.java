package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.AtlasConfig;
import dev.atlas.ConfigurationException;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.Drivers;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.PgSessions;
import dev.atlas.jdbi.internal.SearchBackfill;
import dev.atlas.jdbi.internal.SqliteSettings;
import dev.atlas.internal.Redaction;
import dev.atlas.migrations.AtlasMigrations;
import dev.atlas.spi.AtlasFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens {@link Atlas} on Jdbi. Found by {@link dev.atlas.AtlasBuilder#build()} through
 * {@link java.util.ServiceLoader}; applications use {@code Atlas.sqlite(...)} or
 * {@code Atlas.builder()} instead of this class.
 */
public final class JdbiAtlasFactory implements AtlasFactory {

    /**
     * SQLite settings Atlas applies to files it opens: WAL so readers never block the writer,
     * a busy timeout for writers in other processes, foreign keys on, and write transactions
     * that take the write lock at BEGIN (a read-then-write transaction that starts deferred can
     * fail with SQLITE_BUSY instead of waiting). synchronous=NORMAL is crash-safe in WAL mode;
     * pass synchronous=FULL in a jdbc:sqlite: URL to also survive power loss.
     */
    static final Map<String, String> SQLITE_DEFAULTS = Map.of(
            "journal_mode", "WAL",
            "synchronous", "NORMAL",
            "busy_timeout", "10000",
            "foreign_keys", "true",
            "transaction_mode", "IMMEDIATE");

    /** Idle connections Atlas's own pool keeps open, beyond SQLite's held write connection. */
    static final int MIN_IDLE = 2;

    /**
     * The default blob store creates its directory at the first asset: a data directory that is a file, or under one,
     * would build and then fail that asset's write (a StorageException, "Not a directory"), so the build fails instead,
     * before a pool opens. (The default beside an SQLite file under a file is the database's own open failure.)
     */
    private static void requireDataDirectoryPossible(Path dataDirectory, Path assets) {
        for (Path p = assets.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new ConfigurationException("dataDirectory " + dataDirectory.toAbsolutePath() + " cannot hold Atlas's files: " + p
                            + " is a file, not a directory");
                }
                return;
            }
        }
    }

    /** Connections Flyway holds at once while it migrates PostgreSQL. */
    private static final int MIGRATION_CONNECTIONS = 2;

    /** For {@link java.util.ServiceLoader}, which needs a public no-argument constructor. */
    public JdbiAtlasFactory() {
    }

    @Override
    public Atlas open(AtlasConfig config) {
        if (config.blobStore() == null && config.dataDirectory() != null) {
            requireDataDirectoryPossible(config.dataDirectory(), config.assetDirectory());
        }
        HikariDataSource owned = null;
        DataSource dataSource;
        if (config.dataSource() != null) {
            dataSource = config.dataSource();
        } else {
            owned = createPool(config);
            dataSource = owned;
        }
        try {
            Dialect dialect = detect(dataSource);
            Optional<java.util.function.Consumer<Db>> suppliedPoolSettings = config.dataSource() == null ? Optional.empty()
                    : dialect == Dialect.SQLITE ? SqliteSettings.forSuppliedPool(dataSource) : PgSessions.forSuppliedPool(dataSource);
            // Migrating PostgreSQL takes two connections at once; a pool of one would wait for itself
            // until the pool's timeout.
            HikariDataSource migrationPool = dialect == Dialect.POSTGRESQL ? migrationPoolLike(dataSource) : null;
            try {
                AtlasMigrations migrations = AtlasMigrations.of(migrationPool != null ? migrationPool : dataSource)
                        .dialect(dialect == Dialect.SQLITE ? AtlasMigrations.Dialect.SQLITE : AtlasMigrations.Dialect.POSTGRESQL)
                        .tablePrefix(config.tablePrefix());
                if (config.migrate()) {
                    migrations.migrate();
                } else {
                    migrations.requireCurrent();
                }
            } finally {
                if (migrationPool != null) {
                    migrationPool.close();
                }
            }
            Db db = new Db(dataSource, dialect, config.tablePrefix(), config.clock());
            suppliedPoolSettings.ifPresent(install -> install.accept(db));
            if (config.dataSource() != null && dialect == Dialect.SQLITE && SqliteSettings.defaultsToAutoCommit(dataSource)) {
                db.autoCommitOffIsApplications();
            }
            if (owned != null && owned.getMaximumPoolSize() > 1) {
                // One connection stays with the writer; readers share the rest (an in-memory database has only one).
                db.holdWriteConnection();
            }
            if (config.migrate()) {
                // Rows from before migration V8 have no search column yet; only Java can compute it.
                SearchBackfill.run(db);
            }
            // The instance keeps no password and no URL secret: Atlas.config() hands out this copy.
            return new JdbiAtlas(config.withoutSecrets(), db, owned);
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            if (e instanceof ConfigurationException && scrubbed(e, secrets(config)) == e) {
                throw e;
            }
            throw new ConfigurationException("could not open Atlas on " + describe(config) + ": "
                    + Redaction.text(e.getMessage(), secrets(config)), scrubbed(e, secrets(config)));
        }
    }

    /**
     * The database as the application named it, its URL's secrets masked. Never scrubbed of literal
     * secrets as the driver's text is: a password that is also a word of the URL ({@code postgres})
     * would mask the scheme, user or database, and the gaps would tell the password.
     */
    private static String describe(AtlasConfig config) {
        if (config.sqliteFile() != null) {
            return config.sqliteFile().toString();
        }
        return config.jdbcUrl() != null ? Redaction.url(config.jdbcUrl()) : "the supplied data source";
    }

    /** The literal secrets of {@code config}: the password and any secret written into the URL. */
    private static List<String> secrets(AtlasConfig config) {
        List<String> secrets = new ArrayList<>(Redaction.secretsOf(config.jdbcUrl()));
        if (config.password() != null) {
            secrets.add(config.password().reveal());
        }
        return secrets;
    }

    /**
     * {@code e} itself when no message of its chain quotes a secret; otherwise a copy with the
     * secrets masked and the original stack traces, because a driver or pool message that quotes
     * the URL would otherwise reach the application's logs as a cause.
     */
    private static Throwable scrubbed(Throwable e, List<String> secrets) {
        return java.util.Objects.requireNonNull(dev.atlas.jdbi.internal.ShownFailures.scrubbed(e, m -> Redaction.text(m, secrets)));
    }

    /**
     * For a HikariCP pool of one connection (Atlas's own with {@code maxPoolSize} 1, or an
     * application's), a temporary pool of two with its settings, for the migration only; otherwise
     * null. It registers no meters or health checks: they would outlive it in the application's registries.
     * Its connections come from the pool's own data source, so it logs none of the settings that built it.
     */
    private static @org.jspecify.annotations.Nullable HikariDataSource migrationPoolLike(DataSource supplied) {
        HikariDataSource pool;
        try {
            if (!supplied.isWrapperFor(HikariDataSource.class)) {
                return null;
            }
            pool = supplied.unwrap(HikariDataSource.class);
        } catch (java.sql.SQLException e) {
            return null;
        }
        if (pool.getMaximumPoolSize() >= MIGRATION_CONNECTIONS) {
            return null;
        }
        HikariConfig config = new HikariConfig();
        pool.copyStateTo(config);
        if (pool.getHikariPoolMXBean() instanceof com.zaxxer.hikari.pool.HikariPool started) {
            // The copy opens its connections through the pool's own data source (the one its jdbcUrl or data source class
            // built, or the application's), not from the URL and properties again: HikariCP logs a new pool's configuration
            // at DEBUG masking only "password", so an sslpassword property or a URL's factory argument was logged a second time.
            config.setDataSource(started.getUnwrappedDataSource());
            config.setJdbcUrl(null);
            config.setDataSourceClassName(null);
            config.setDataSourceJNDI(null);
            config.getDataSourceProperties().clear(); // setDataSourceProperties adds to them
        }
        config.setPoolName((pool.getPoolName() == null ? "application" : pool.getPoolName()) + "-migrations");
        config.setMaximumPoolSize(MIGRATION_CONNECTIONS);
        config.setMinimumIdle(0);
        // HikariCP takes a metrics tracker factory or a metric registry, never both.
        if (config.getMetricsTrackerFactory() != null) {
            config.setMetricsTrackerFactory(null);
        } else {
            config.setMetricRegistry(null);
        }
        config.setHealthCheckRegistry(null);
        return new HikariDataSource(config);
    }

    static Dialect detect(DataSource dataSource) {
        return switch (AtlasMigrations.Dialect.detect(dataSource)) {
            case SQLITE -> Dialect.SQLITE;
            case POSTGRESQL -> Dialect.POSTGRESQL;
        };
    }

    private static HikariDataSource createPool(AtlasConfig config) {
        int maxPoolSize = config.maxPoolSize();
        String url = config.sqliteFile() != null ? sqliteUrl(config.sqliteFile().toAbsolutePath()) : config.jdbcUrl();
        // A missing driver is reported before anything is created on disk.
        Drivers driver = Drivers.forUrl(url);
        String driverClass = driver.requireDriverClass();
        String pathProblem = driver == Drivers.SQLITE && config.sqliteFile() == null ? Drivers.sqlitePathParameterProblem(url) : null;
        if (pathProblem != null) {
            throw new ConfigurationException("jdbcUrl " + dev.atlas.internal.Redaction.url(url) + ": " + pathProblem);
        }
        Path file = config.sqliteFile() != null ? config.sqliteFile().toAbsolutePath()
                : driver == Drivers.SQLITE ? dev.atlas.internal.SqliteUrls.file(url).map(Path::toAbsolutePath).orElse(null) : null;
        Path created = file != null && createOwnerOnly(file) ? file : null;
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("atlas");
        hc.setMaximumPoolSize(maxPoolSize);
        // HikariCP's minimumIdle defaults to the maximum, so every instance would open all its
        // connections at start (a fleet of replicas taking a PostgreSQL server's connection slots
        // before any load). Two stay ready (a write and a read, or a migration's two); the pool grows
        // to maxPoolSize under load and retires what it added after HikariCP's 10 idle minutes.
        hc.setMinimumIdle(Math.min(maxPoolSize, MIN_IDLE));
        hc.setDriverClassName(driverClass);
        if (driver == Drivers.SQLITE) {
            url = withSqliteDefaults(url);
            if (config.sqliteFile() == null && dev.atlas.internal.SqliteUrls.file(config.jdbcUrl()).isEmpty()) {
                // Each connection to an in-memory SQLite database (and to the temporary one an empty
                // path names, jdbc:sqlite:) is a database of its own: keep exactly one, forever, or
                // a second connection would see no tables at all.
                hc.setMaximumPoolSize(1);
                hc.setMinimumIdle(1);
                hc.setMaxLifetime(0);
                hc.setIdleTimeout(0);
            }
        } else {
            // Atlas orders its writers with row locks, which READ COMMITTED waits on; a database or
            // role whose default is SERIALIZABLE would fail the same writes with serialization errors.
            hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
            // pgjdbc quotes a failed batch row's values and a constraint's key values in its errors,
            // which reach whoever logs the exception: stored content must not. A URL parameter still wins.
            hc.addDataSourceProperty("logServerErrorDetail", "false");
            // HikariCP bounds a connection attempt with DriverManager's login timeout, which pgjdbc 42.7 ignores (its own
            // loginTimeout property defaults to 0): a server that accepts and never answers held build(), and each new
            // connection of the pool, forever. A URL's loginTimeout still wins.
            hc.addDataSourceProperty("loginTimeout", String.valueOf(java.util.concurrent.TimeUnit.MILLISECONDS.toSeconds(hc.getConnectionTimeout())));
        }
        // The user-info, a password= parameter and the other secrets pgjdbc reads (sslpassword, sslfactoryarg ...) leave the URL
        // the pool and the driver log; a password= parameter still wins over the credentials given beside the URL, as in pgjdbc.
        Drivers.SplitUrl split = driver.split(url, config.username(), config.password() == null ? null : config.password().reveal(), "jdbcUrl");
        hc.setJdbcUrl(split.driverUrl());
        hc.setUsername(split.user());
        hc.setPassword(split.password());
        if (!split.properties().isEmpty()) {
            // A data source of the pool's own kind is logged by its class name.
            java.util.Properties properties = new java.util.Properties();
            properties.putAll(hc.getDataSourceProperties());
            properties.putAll(split.properties());
            hc.setDataSource(new com.zaxxer.hikari.util.DriverDataSource(split.driverUrl(), driverClass, properties, hc.getUsername(), hc.getPassword()));
        }
        long giveUp = System.nanoTime() + SQLITE_BUSY_AT_OPEN.toNanos();
        while (true) {
            try {
                firstConnection(hc);
                return new HikariDataSource(hc);
            } catch (RuntimeException e) {
                // Switching a file to WAL needs it to itself, and SQLite answers SQLITE_BUSY at
                // once rather than waiting while another process (an instance starting beside
                // this one) has it open mid-migration: try again for a while.
                if (driver != Drivers.SQLITE || !dev.atlas.internal.SqliteErrors.busy(e) || System.nanoTime() > giveUp) {
                    discardEmpty(created);
                    throw new ConfigurationException("could not open a connection pool for " + describe(config) + ": "
                            + Redaction.text(poolFailure(e, hc.getJdbcUrl()), secrets(config)), scrubbed(e, secrets(config)));
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    discardEmpty(created);
                    throw new ConfigurationException("interrupted while opening a connection pool for " + describe(config), e);
                }
            }
        }
    }

    /**
     * Opens and closes one connection the way the pool will (its driver, URL, properties, user and
     * password, or the data source holding them, and the login timeout HikariCP derives from its connection timeout), failing as the
     * pool would: a {@link com.zaxxer.hikari.pool.HikariPool.PoolInitializationException} over the
     * driver's exception. HikariCP's own start-up check sleeps a second after a failed first
     * connection before it gives up (HikariPool.checkFailFast), so a wrong password, an unknown
     * database or a refused port stalled every build() by a second; this fails at once.
     */
    private static void firstConnection(HikariConfig hc) {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(hc.getDataSourceProperties());
        DataSource driver = hc.getDataSource() != null ? hc.getDataSource() : new com.zaxxer.hikari.util.DriverDataSource(hc.getJdbcUrl(),
                hc.getDriverClassName(), properties, hc.getUsername(), hc.getPassword());
        try {
            // As HikariCP's PoolBase sets it (it is DriverManager's, for every driver of the JVM).
            driver.setLoginTimeout(Math.max(1, (int) java.util.concurrent.TimeUnit.MILLISECONDS.toSeconds(500L + hc.getConnectionTimeout())));
            driver.getConnection().close();
        } catch (java.sql.SQLException e) {
            throw new com.zaxxer.hikari.pool.HikariPool.PoolInitializationException(e);
        }
    }

    /**
     * Hikari's message, with the root cause's when it adds to it: the SQLite driver says only
     * "Error opening connection", and logs why, where an application may not look. pgjdbc's "The connection
     * attempt failed." is followed by the reason its cause tells (an unknown host, a timeout).
     */
    private static String poolFailure(RuntimeException e, String url) {
        String message = String.valueOf(e.getMessage());
        String withReason = Drivers.withConnectionFailureReason(message, e, url);
        if (!withReason.equals(message)) {
            // A host that does not resolve, a timeout: said after the driver's "The connection attempt failed.".
            return withReason;
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += ": " + root.getMessage();
        }
        if (root.getClass().getName().equals("org.sqlite.NativeLibraryNotFoundException")) {
            message += "; sqlite-jdbc extracts its native library into "
                    + System.getProperty("org.sqlite.tmpdir", System.getProperty("java.io.tmpdir"))
                    + " (system property org.sqlite.tmpdir, else java.io.tmpdir): it must be a writable directory";
        }
        return message;
    }

    /**
     * The {@code jdbc:sqlite:} URL of {@code file}. A '?' in a plain path starts the driver's
     * settings, so the data went to another file ({@code a?b/agent.db} became {@code a?b/agent.db=}):
     * such a path is given as an SQLite URI, percent-encoded. Others stay plain paths, which the
     * driver takes as written ('#', '%', spaces and all).
     */
    static String sqliteUrl(Path file) {
        String path = file.toString();
        if (path.indexOf('?') < 0) {
            return "jdbc:sqlite:" + path;
        }
        String uriPath = path.replace("%", "%25").replace("?", "%3F").replace("#", "%23");
        return "jdbc:sqlite:file:" + (uriPath.startsWith("/") ? "" : "/") + uriPath.replace('\\', '/');
    }

    /** How long opening a pool on a SQLite file another process holds is tried again. */
    private static final java.time.Duration SQLITE_BUSY_AT_OPEN = java.time.Duration.ofSeconds(10);

    /**
     * Creates a missing SQLite database file readable by its owner only (0600, like the blob
     * files). SQLite itself would create it 0644 (less the umask), and it gives the -wal, -shm
     * and -journal files the database file's permissions, so they follow. An existing file keeps
     * the permissions it has.
     *
     * @return whether this call created the file
     */
    static boolean createOwnerOnly(Path file) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (Files.exists(file)) {
                return false;
            }
            if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
            return true;
        } catch (FileAlreadyExistsException raced) {
            // Another process created it between the check and here; it decided the permissions.
            return false;
        } catch (IOException e) {
            throw new ConfigurationException("cannot create SQLite file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the file {@link #createOwnerOnly} created for a pool that then could not open, while
     * it is still empty: a failed open leaves nothing behind. One another process has written to
     * meanwhile is kept.
     */
    private static void discardEmpty(Path created) {
        try {
            if (created != null && Files.size(created) == 0) {
                Files.deleteIfExists(created);
            }
        } catch (IOException ignored) {
            // Best effort: the open's own failure is what the caller is told.
        }
    }

    /**
     * A {@code jdbc:sqlite:} URL with Atlas's SQLite settings (WAL, busy timeout, foreign keys,
     * immediate write transactions) added where the URL does not set them itself: what a host
     * application's own SQLite pool should use when Atlas shares it.
     */
    public static String withSqliteDefaults(String url) {
        int q = url.indexOf('?');
        String base = q < 0 ? url : url.substring(0, q);
        Map<String, String> params = new LinkedHashMap<>();
        if (q >= 0) {
            for (String kv : url.substring(q + 1).split("&")) {
                if (!kv.isEmpty()) {
                    int eq = kv.indexOf('=');
                    params.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
                }
            }
        }
        SQLITE_DEFAULTS.forEach(params::putIfAbsent);
        StringBuilder sb = new StringBuilder(base).append('?');
        params.forEach((k, v) -> sb.append(k).append('=').append(v).append('&'));
        sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
