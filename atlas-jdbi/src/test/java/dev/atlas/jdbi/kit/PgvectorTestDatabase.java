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
    /**
     * What Atlas's first vector call adds to a migrated database (the embedding column, the index of vectors without one)
     * and its HNSW index per model, dropped so the database can be emptied and reused instead of dropped and copied
     * again (a copy and a drop, each with a checkpoint on this fsync'ing server, were a third of PgvectorSearchTest's
     * time): the next test's first vector call adds them again, as on a fresh copy. A dropped column stays in the
     * catalogue as a dropped attribute, which no statement, no row and the digest see.
     */
    private static final String UNDO_PGVECTOR_START = """
            DO $$
            DECLARE
              index_name text;
            BEGIN
              FOR index_name IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                 WHERE n.nspname = 'public' AND c.relkind = 'i' AND c.relname LIKE 'atlas\\_vectors\\_hnsw\\_%'
              LOOP
                EXECUTE format('DROP INDEX public.%I', index_name);
              END LOOP;
              DROP INDEX IF EXISTS public.atlas_vectors_unembedded;
              IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'public.atlas_vectors'::regclass AND attname = 'embedding'
                         AND NOT attisdropped) THEN
                ALTER TABLE public.atlas_vectors DROP COLUMN embedding;
              END IF;
            END $$
            """;
    private static final ReusedDatabases REUSED = new ReusedDatabases(UNDO_PGVECTOR_START, true);

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
    /** Whether the next {@link #open} gets a new copy of the template even when an emptied database is at hand. */
    private boolean freshNext;

    /**
     * The next {@link #open} gets a new copy of the template, never a database another test used: for tests whose
     * assertions depend on the planner (rows read per search), which must not depend on what ran before them.
     */
    public void freshCopyNext() {
        freshNext = true;
    }

    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        String emptied = freshNext ? null : REUSED.take();
        freshNext = false;
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
