package dev.atlas.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.Dialect;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A database server (or SQLite directory) the benchmarks create fresh databases on. Atlas and
 * every baseline in one benchmark share one {@link Opened} pool, so they run on the same file or
 * database with the same settings.
 */
public abstract class BenchDatabase implements AutoCloseable {

    /** Pool size for every benchmark pool: Atlas's default {@code maxPoolSize}. */
    static final int POOL_SIZE = 10;

    /** "SQLite" or "PostgreSQL", as printed in the report. */
    public abstract String label();

    public abstract Dialect dialect();

    /** An empty database named {@code name}, its pool, and Atlas (migrated) on that pool. */
    public Opened open(String name) {
        HikariDataSource ds = pool(name);
        try {
            Atlas atlas = Atlas.builder().dataSource(ds).build();
            return new Opened(this, name, ds, atlas, atlas);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
    }

    /**
     * Like {@link #open}, but Atlas opened the way an application opens it, on its own pool (issue
     * 17): on SQLite {@code Atlas.builder().jdbcUrl(..)}, so its write combiner keeps one write
     * connection with its statements prepared once and leaves WAL checkpoints to a background
     * thread, as it does for {@code Atlas.sqlite(file)}. On a host's pool (what {@link #open}
     * measures) Atlas borrows a connection and prepares its statements per write. Atlas gets its
     * own file, the raw sides keep the benchmark's pool on another: on one file each side's commits
     * would run the checkpoints of the other's pages (SQLite's default checkpoints on the commit
     * that takes the log past 1,000 pages), so the raw sides would pay for Atlas's writes.
     * PostgreSQL has no held connection, so it is the same as {@link #open}.
     */
    public Opened openOwnPool(String name) {
        String url = ownPoolUrl(name + "_atlas");
        if (url == null) {
            return open(name);
        }
        Opened raw = open(name);
        try {
            Atlas atlas = Atlas.builder().jdbcUrl(url).build();
            return new Opened(this, name, raw.dataSource(), atlas, raw.atlas());
        } catch (RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** A pool on a new empty database. */
    protected abstract HikariDataSource pool(String name);

    /** The JDBC URL for Atlas's own pool on database {@code name}, or null to use {@link #open}'s shared pool. */
    protected String ownPoolUrl(String name) {
        return null;
    }

    /** A separate connection for bulk seeding (PostgreSQL: with batched-insert rewriting). */
    public abstract Connection seedConnection(String name) throws SQLException;

    /** Version and durability settings, for the report. */
    public abstract Map<String, String> describe(Opened any) throws SQLException;

    /** Stops the server or deletes the files. */
    @Override
    public abstract void close();

    static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * One benchmark database: the raw sides' pool ({@code dataSource}), Atlas, and {@code rawAtlas}
     * on the raw sides' pool (to create their conversations). Usually one database, {@code atlas ==
     * rawAtlas}; from {@link #openOwnPool} on SQLite, Atlas has its own file. Closing drops nothing;
     * files are temporary.
     */
    public record Opened(BenchDatabase database, String name, HikariDataSource dataSource, Atlas atlas, Atlas rawAtlas)
            implements AutoCloseable {
        public Dialect dialect() {
            return database.dialect();
        }

        /**
         * On PostgreSQL, gathers planner statistics, as autovacuum has on any database in use. Run
         * after a warm-up: plans made while the tables were empty (a foreign-key check scanning the
         * whole messages table) would otherwise stay cached, slowing every side alike as the tables
         * grow, until autovacuum's first visit a minute or so later.
         */
        public void analyze() {
            if (dialect() != Dialect.POSTGRESQL) {
                return;
            }
            try (java.sql.Connection c = dataSource.getConnection(); java.sql.Statement s = c.createStatement()) {
                s.execute("ANALYZE");
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("ANALYZE failed", e);
            }
        }

        /** The pool Atlas's rows are in: for row checks of the Atlas side. */
        public javax.sql.DataSource atlasDataSource() {
            return ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db().dataSource();
        }

        @Override
        public void close() {
            try {
                atlas.close();
                if (rawAtlas != atlas) {
                    rawAtlas.close();
                }
            } finally {
                dataSource.close();
            }
        }
    }

    // ---- SQLite ---------------------------------------------------------------------------

    static final class Sqlite extends BenchDatabase {
        /**
         * The settings Atlas applies to SQLite files it opens itself (JdbiAtlasFactory.SQLITE_DEFAULTS,
         * package-private there): WAL, synchronous=NORMAL, busy timeout, foreign keys, IMMEDIATE.
         */
        static final String PRAGMAS = "journal_mode=WAL&synchronous=NORMAL&busy_timeout=10000&foreign_keys=true&transaction_mode=IMMEDIATE";

        private final Path dir;

        Sqlite() {
            try {
                dir = Files.createTempDirectory("atlas-bench-sqlite");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String url(String name) {
            return "jdbc:sqlite:" + dir.resolve(name + ".db") + "?" + PRAGMAS;
        }

        @Override
        public String label() {
            return "SQLite";
        }

        @Override
        public Dialect dialect() {
            return Dialect.SQLITE;
        }

        @Override
        protected HikariDataSource pool(String name) {
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("bench-" + name);
            hc.setDriverClassName("org.sqlite.JDBC");
            hc.setJdbcUrl(url(name));
            hc.setMaximumPoolSize(POOL_SIZE);
            return new HikariDataSource(hc);
        }

        @Override
        protected String ownPoolUrl(String name) {
            return url(name);
        }

        @Override
        public Connection seedConnection(String name) throws SQLException {
            return DriverManager.getConnection(url(name));
        }

        @Override
        public Map<String, String> describe(Opened any) throws SQLException {
            Map<String, String> m = new LinkedHashMap<>();
            try (Connection c = any.dataSource().getConnection()) {
                m.put("version", scalar(c, "SELECT sqlite_version()"));
                m.put("journal_mode", scalar(c, "PRAGMA journal_mode"));
                String sync = scalar(c, "PRAGMA synchronous");
                m.put("synchronous", switch (sync) {
                    case "0" -> "OFF";
                    case "1" -> "NORMAL";
                    case "2" -> "FULL";
                    case "3" -> "EXTRA";
                    default -> sync;
                });
            }
            m.put("driver", "sqlite-jdbc " + org.sqlite.SQLiteJDBCLoader.getVersion());
            m.put("files", dir.toString());
            return m;
        }

        @Override
        public void close() {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // temporary directory; the OS cleans it eventually
            }
        }
    }

    // ---- PostgreSQL -----------------------------------------------------------------------

    static final class Postgres extends BenchDatabase {
        private final EmbeddedPostgres server;

        Postgres() {
            try {
                // The embedded server's defaults trade durability for speed; benchmark a durable one.
                server = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "on")
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
        }

        @Override
        public String label() {
            return "PostgreSQL";
        }

        @Override
        public Dialect dialect() {
            return Dialect.POSTGRESQL;
        }

        @Override
        protected HikariDataSource pool(String name) {
            try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("could not create database " + name, e);
            }
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("bench-" + name);
            hc.setDriverClassName("org.postgresql.Driver");
            hc.setJdbcUrl(server.getJdbcUrl("postgres", name));
            hc.setUsername("postgres");
            hc.setPassword("postgres");
            hc.setMaximumPoolSize(POOL_SIZE);
            return new HikariDataSource(hc);
        }

        @Override
        public Connection seedConnection(String name) throws SQLException {
            return DriverManager.getConnection(server.getJdbcUrl("postgres", name) + "&reWriteBatchedInserts=true", "postgres", "postgres");
        }

        @Override
        public Map<String, String> describe(Opened any) throws SQLException {
            Map<String, String> m = new LinkedHashMap<>();
            try (Connection c = any.dataSource().getConnection()) {
                m.put("version", scalar(c, "SHOW server_version"));
                m.put("fsync", scalar(c, "SHOW fsync"));
                m.put("synchronous_commit", scalar(c, "SHOW synchronous_commit"));
                m.put("full_page_writes", scalar(c, "SHOW full_page_writes"));
                m.put("wal_sync_method", scalar(c, "SHOW wal_sync_method"));
                m.put("shared_buffers", scalar(c, "SHOW shared_buffers"));
                m.put("driver", "pgjdbc " + c.getMetaData().getDriverVersion());
                m.put("data directory", scalar(c, "SHOW data_directory"));
            }
            return m;
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException e) {
                throw new UncheckedIOException("stopping embedded PostgreSQL failed", e);
            }
        }
    }

    // ---- PostgreSQL with pgvector (external server) -----------------------------------------

    /**
     * A PostgreSQL server with the pgvector extension named by {@code ATLAS_PGVECTOR_URL} (the
     * embedded server has no pgvector), e.g. started by {@code pgvector-server.sh}. Each
     * {@link #open} drops and recreates its database; {@link #close} drops the databases it made.
     */
    static final class Pgvector extends BenchDatabase {
        /** The environment variable naming the server, as for the pgvector test suites. */
        static final String URL_VARIABLE = "ATLAS_PGVECTOR_URL";

        private final String url;
        private final java.util.Set<String> created = new java.util.LinkedHashSet<>();

        private Pgvector(String url) {
            this.url = url;
        }

        /** The server named by {@value #URL_VARIABLE}, or null when the variable is unset or blank. */
        static Pgvector fromEnvironment() {
            String url = System.getenv(URL_VARIABLE);
            return url == null || url.isBlank() ? null : new Pgvector(url.trim());
        }

        /** The server's URL with its database replaced by {@code name}. */
        String url(String name) {
            return url.replaceFirst("/[^/?]*(\\?|$)", "/" + name + "$1");
        }

        @Override
        public String label() {
            return "PostgreSQL+pgvector";
        }

        @Override
        public Dialect dialect() {
            return Dialect.POSTGRESQL;
        }

        @Override
        protected HikariDataSource pool(String name) {
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                s.execute("CREATE DATABASE " + name);
                created.add(name);
            } catch (SQLException e) {
                throw new IllegalStateException("could not create database " + name + " on " + URL_VARIABLE, e);
            }
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("bench-" + name);
            hc.setDriverClassName("org.postgresql.Driver");
            hc.setJdbcUrl(url(name));
            hc.setMaximumPoolSize(POOL_SIZE);
            return new HikariDataSource(hc);
        }

        @Override
        public Connection seedConnection(String name) throws SQLException {
            String u = url(name);
            return DriverManager.getConnection(u + (u.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true");
        }

        @Override
        public Map<String, String> describe(Opened any) throws SQLException {
            Map<String, String> m = new LinkedHashMap<>();
            try (Connection c = any.dataSource().getConnection()) {
                m.put("version", scalar(c, "SHOW server_version"));
                m.put("pgvector", scalar(c, "SELECT COALESCE((SELECT extversion FROM pg_extension WHERE extname = 'vector'),"
                        + " (SELECT default_version FROM pg_available_extensions WHERE name = 'vector'), 'absent')"));
                m.put("shared_buffers", scalar(c, "SHOW shared_buffers"));
                m.put("maintenance_work_mem", scalar(c, "SHOW maintenance_work_mem"));
                m.put("max_parallel_maintenance_workers", scalar(c, "SHOW max_parallel_maintenance_workers"));
                m.put("fsync", scalar(c, "SHOW fsync"));
                m.put("driver", "pgjdbc " + c.getMetaData().getDriverVersion());
            }
            return m;
        }

        @Override
        public void close() {
            if (Boolean.getBoolean("atlas.bench.pgvector.keep")) {
                Env.log("kept the pgvector benchmark databases %s (-Datlas.bench.pgvector.keep)", created);
                return;
            }
            try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                for (String name : created) {
                    s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                }
            } catch (SQLException e) {
                Env.log("could not drop the pgvector benchmark databases %s: %s", created, e.getMessage());
            }
        }
    }
}
