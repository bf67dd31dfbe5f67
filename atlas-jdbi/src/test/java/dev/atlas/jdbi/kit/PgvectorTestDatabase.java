package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A PostgreSQL server with the pgvector extension, given by the environment variable
 * {@code ATLAS_PGVECTOR_URL} (a JDBC URL with user and password parameters, on a database the
 * user may create databases from, e.g. {@code jdbc:postgresql://localhost:5432/postgres?user=postgres&password=pw}).
 * The embedded test server has no pgvector, so without the variable these tests are skipped.
 */
public final class PgvectorTestDatabase implements TestDatabase {
    public static final String ENV = "ATLAS_PGVECTOR_URL";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private String database;
    /** Whether {@link #database} started as a migrated copy, so it may be emptied and reused. */
    private boolean reusable;
    private static final ReusedDatabases REUSED = new ReusedDatabases();

    private static String adminUrl() {
        String url = System.getenv(ENV);
        Assumptions.assumeTrue(url != null && !url.isBlank(),
                ENV + " is not set: pgvector tests need a PostgreSQL server with the vector extension (the embedded server has none)");
        return url;
    }

    private static String urlFor(String adminUrl, String db) {
        int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = adminUrl.indexOf('?');
        return adminUrl.substring(0, slash + 1) + db + (query < 0 ? "" : adminUrl.substring(query));
    }

    private static String template;

    /**
     * Opens Atlas on a new database: with the default prefix and migrations on, a copy of a template
     * that has the extension and every migration, made once per JVM and dropped at exit, with a new
     * installation id; otherwise an empty database with the extension.
     */
    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        String emptied = REUSED.take();
        database = emptied != null ? emptied : "atlas_pgv_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        String url = urlFor(adminUrl(), database);
        AtlasBuilder builder = customize.apply(Atlas.builder().jdbcUrl(url).maxPoolSize(8));
        reusable = Templates.wanted(builder, c -> url.equals(c.jdbcUrl()));
        if (reusable && emptied == null) {
            create(database, template());
            Templates.newInstallationId(dataSource());
        } else if (!reusable) {
            if (emptied != null) {
                drop(database);
            }
            create(database, null);
        }
        // An emptied database got its new installation id when it was given back (ReusedDatabases#giveBack).
        return builder.build();
    }

    @Override
    public DataSource empty() {
        reusable = false;
        database = create("atlas_pgv_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet(), null);
        return dataSource();
    }

    /**
     * A new database, a copy of {@code template} or empty with the extension. Its sessions commit
     * without waiting for the WAL flush (a test database keeps nothing across a crash; the embedded
     * server runs with fsync off for the same reason). Its index builds get the memory to build a
     * 50,000-vector HNSW graph in memory (pgvector's build of PgvectorSearchTest's 80,000 rows outgrew
     * the default 64MB at 68,062 and went on on disk, a third slower). The server's own settings stay as they are.
     */
    private static String create(String name, String template) {
        String admin = adminUrl();
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name + (template == null ? "" : " TEMPLATE " + template));
            s.execute("ALTER DATABASE " + name + " SET synchronous_commit = off");
            s.execute("ALTER DATABASE " + name + " SET maintenance_work_mem = '256MB'");
        } catch (SQLException e) {
            throw new IllegalStateException("could not create a database on " + ENV, e);
        }
        if (template == null) {
            try (Connection c = DriverManager.getConnection(urlFor(admin, name)); Statement s = c.createStatement()) {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            } catch (SQLException e) {
                throw new IllegalStateException("the server at " + ENV + " has no usable pgvector extension", e);
            }
        }
        return name;
    }

    /** The migrated database every copy is made from (CREATE DATABASE ... TEMPLATE, WAL_LOG: FILE_COPY's checkpoints cost more on a server with fsync on). */
    private static synchronized String template() {
        if (template == null) {
            String admin = adminUrl();
            String name = create("atlas_pgv_template_" + ProcessHandle.current().pid(), null);
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setUrl(urlFor(admin, name));
            // Migrated without a pool, so no session is left on it: CREATE DATABASE ... TEMPLATE needs none.
            dev.atlas.migrations.AtlasMigrations.of(ds).migrate();
            REUSED.template(ds);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                    s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
                } catch (SQLException ignored) {
                    // the JVM is exiting; a left template is dropped with the server's data directory
                }
            }));
            template = name;
        }
        return template;
    }

    @Override
    public DataSource dataSource() {
        return dataSourceOf(database);
    }

    private static DataSource dataSourceOf(String name) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(urlFor(adminUrl(), name));
        return ds;
    }

    @Override
    public void cleanup() {
        if (database == null) {
            return;
        }
        String used = database;
        database = null;
        if (reusable && REUSED.giveBack(used, dataSourceOf(used))) {
            return;
        }
        drop(used);
    }

    private static void drop(String name) {
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return "PostgreSQL+pgvector";
    }
}
