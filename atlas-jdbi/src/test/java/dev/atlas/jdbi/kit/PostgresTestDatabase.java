package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A real PostgreSQL server (embedded binaries from Maven), one per test JVM, and a fresh
 * database on it per test. A test that opens Atlas with the default settings gets a database
 * another test used and emptied, when that test left its schema exactly as migrated: copying
 * the template took most of the time of a short test.
 */
public final class PostgresTestDatabase implements TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres server;

    private String database;
    /** Whether {@link #database} started as a migrated copy, so it may be emptied and reused. */
    private boolean reusable;
    private static final ReusedDatabases REUSED = new ReusedDatabases();

    /** The shared server, started on first use and stopped when the JVM exits. */
    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                // A test server keeps nothing across a crash, so it skips the flushes that make
                // commits durable; they were most of the time of the write-heavy tests.
                server = EmbeddedPostgres.builder().setServerConfig("fsync", "off")
                        .setServerConfig("full_page_writes", "off").start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start embedded PostgreSQL", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // the JVM is exiting; the server's directory is temporary
                }
            }));
        }
        return server;
    }

    /** Creates an empty database and returns its JDBC URL. */
    public static String createDatabase(String name) {
        try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().getJdbcUrl("postgres", name);
    }

    /**
     * Opens Atlas on a new database. With the default prefix and migrations on, the database is
     * created from a template migrated once per JVM ({@code CREATE DATABASE ... TEMPLATE}, then a
     * new installation id), so Atlas finds nothing to apply; otherwise it starts empty.
     */
    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        String emptied = REUSED.take();
        database = emptied != null ? emptied : "atlas_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        String url = server().getJdbcUrl("postgres", database);
        AtlasBuilder builder = customize.apply(Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(12));
        reusable = Templates.wanted(builder, c -> url.equals(c.jdbcUrl()));
        if (reusable && emptied == null) {
            // FILE_COPY copies the template's files instead of logging every page (WAL_LOG, the
            // default since PostgreSQL 15): half the time for a small template.
            execute("CREATE DATABASE " + database + " TEMPLATE " + template() + " STRATEGY FILE_COPY");
            Templates.newInstallationId(dataSource());
        } else if (!reusable) {
            if (emptied != null) {
                execute("DROP DATABASE " + database + " WITH (FORCE)");
            }
            createDatabase(database);
        }
        // An emptied database got its new installation id when it was given back (ReusedDatabases#giveBack).
        return builder.build();
    }

    /** Creates a database migrated to the latest version (a copy of the template) and returns its name. */
    public static String createMigratedDatabase(String name) {
        execute("CREATE DATABASE " + name + " TEMPLATE " + template() + " STRATEGY FILE_COPY");
        Templates.newInstallationId(server().getDatabase("postgres", name));
        return name;
    }

    @Override
    public DataSource empty() {
        reusable = false;
        database = "atlas_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        createDatabase(database);
        return dataSource();
    }

    private static String template;

    /** The migrated database every test database is copied from, made on first use. */
    private static synchronized String template() {
        if (template == null) {
            String name = "atlas_template_" + ProcessHandle.current().pid();
            // Migrated without a pool, so no session is left on it: CREATE DATABASE ... TEMPLATE needs none.
            createDatabase(name);
            DataSource source = server().getDatabase("postgres", name);
            dev.atlas.migrations.AtlasMigrations.of(source).migrate();
            REUSED.template(source);
            template = name;
        }
        return template;
    }

    private static void execute(String sql) {
        try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public DataSource dataSource() {
        return server().getDatabase("postgres", database);
    }

    @Override
    public void cleanup() {
        if (database == null) {
            return;
        }
        String used = database;
        database = null;
        if (reusable && REUSED.giveBack(used, server().getDatabase("postgres", used))) {
            return;
        }
        execute("DROP DATABASE IF EXISTS " + used + " WITH (FORCE)");
    }

    @Override
    public String name() {
        return "PostgreSQL";
    }
}
