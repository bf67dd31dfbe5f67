package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.AtlasConfig;
import dev.atlas.ConfigurationException;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.JdbiSearch;
import dev.atlas.migrations.AtlasMigrations;
import dev.atlas.spi.AtlasFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

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

    @Override
    public Atlas open(AtlasConfig config) {
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
            if (config.migrate()) {
                AtlasMigrations.of(dataSource)
                        .dialect(dialect == Dialect.SQLITE ? AtlasMigrations.Dialect.SQLITE : AtlasMigrations.Dialect.POSTGRESQL)
                        .tablePrefix(config.tablePrefix())
                        .migrate();
            }
            Db db = new Db(dataSource, dialect, config.tablePrefix(), config.clock());
            if (config.migrate()) {
                // Rows from before migration V8 have no search column yet; only Java can compute it.
                JdbiSearch.indexPending(db);
            }
            return new JdbiAtlas(config, db, owned);
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            if (e instanceof ConfigurationException) {
                throw e;
            }
            throw new ConfigurationException("could not open Atlas on " + describe(config) + ": " + e.getMessage(), e);
        }
    }

    private static String describe(AtlasConfig config) {
        if (config.sqliteFile() != null) {
            return config.sqliteFile().toString();
        }
        return config.jdbcUrl() != null ? config.jdbcUrl() : "the supplied data source";
    }

    static Dialect detect(DataSource dataSource) {
        return switch (AtlasMigrations.Dialect.detect(dataSource)) {
            case SQLITE -> Dialect.SQLITE;
            case POSTGRESQL -> Dialect.POSTGRESQL;
        };
    }

    private static HikariDataSource createPool(AtlasConfig config) {
        String url = config.jdbcUrl();
        if (config.sqliteFile() != null) {
            Path file = config.sqliteFile().toAbsolutePath();
            try {
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
            } catch (IOException e) {
                throw new ConfigurationException("cannot create the directory for SQLite file " + file + ": " + e.getMessage(), e);
            }
            url = "jdbc:sqlite:" + file;
        }
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("atlas");
        hc.setMaximumPoolSize(config.maxPoolSize());
        if (url.startsWith("jdbc:sqlite:")) {
            url = withSqliteDefaults(url);
            hc.setDriverClassName("org.sqlite.JDBC");
            if (url.contains(":memory:") || url.contains("mode=memory")) {
                // Each connection to an in-memory SQLite database is a database of its own: keep
                // exactly one, forever, or a second connection would see no tables at all.
                hc.setMaximumPoolSize(1);
                hc.setMinimumIdle(1);
                hc.setMaxLifetime(0);
                hc.setIdleTimeout(0);
            }
        } else {
            hc.setDriverClassName("org.postgresql.Driver");
        }
        hc.setJdbcUrl(url);
        if (config.username() != null) {
            hc.setUsername(config.username());
        }
        if (config.password() != null) {
            hc.setPassword(config.password());
        }
        try {
            return new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new ConfigurationException("could not open a connection pool for " + describe(config) + ": " + e.getMessage(), e);
        }
    }

    /** Adds each of {@link #SQLITE_DEFAULTS} the URL does not set itself. */
    static String withSqliteDefaults(String url) {
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
