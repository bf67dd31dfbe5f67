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
    /** Emptied databases, schema exactly as migrated, each waiting for its next test. */
    private static final java.util.Deque<String> EMPTIED = new java.util.ArrayDeque<>();

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
        String emptied;
        synchronized (EMPTIED) {
            emptied = EMPTIED.poll();
        }
        database = emptied != null ? emptied : "atlas_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        String url = server().getJdbcUrl("postgres", database);
        AtlasBuilder builder = customize.apply(Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(12));
        reusable = Templates.wanted(builder, c -> url.equals(c.jdbcUrl()));
        if (reusable && emptied == null) {
            // FILE_COPY copies the template's files instead of logging every page (WAL_LOG, the
            // default since PostgreSQL 15): half the time for a small template.
            execute("CREATE DATABASE " + database + " TEMPLATE " + template() + " STRATEGY FILE_COPY");
        } else if (!reusable) {
            if (emptied != null) {
                execute("DROP DATABASE " + database + " WITH (FORCE)");
            }
            createDatabase(database);
        }
        if (reusable) {
            Templates.newInstallationId(dataSource());
        }
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
    /** {@link #SCHEMA_DIGEST} of the template: a used database with another digest is dropped. */
    private static String templateDigest;

    /** The migrated database every test database is copied from, made on first use. */
    private static synchronized String template() {
        if (template == null) {
            String name = "atlas_template_" + ProcessHandle.current().pid();
            // Migrated without a pool, so no session is left on it: CREATE DATABASE ... TEMPLATE needs none.
            createDatabase(name);
            DataSource source = server().getDatabase("postgres", name);
            dev.atlas.migrations.AtlasMigrations.of(source).migrate();
            templateDigest = schemaDigest(source);
            template = name;
        }
        return template;
    }

    /**
     * Everything a test could change besides rows: tables, columns, defaults, indexes,
     * constraints, triggers, functions, views, policies, schemas, extensions, database settings,
     * the migration history and the installation row. A query on the catalog, a few milliseconds.
     */
    private static final String SCHEMA_DIGEST = """
            SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
              SELECT 'c ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text
                     || ' ' || c.relrowsecurity || ' ' || coalesce(c.relacl::text, '') || ' ' || coalesce(c.reloptions::text, '')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              UNION ALL
              SELECT 'a ' || a.attrelid::regclass || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                     || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attcollation
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0 AND NOT a.attisdropped
              UNION ALL
              SELECT 'i ' || pg_get_indexdef(i.indexrelid) || ' ' || i.indisvalid || ' ' || i.indisready
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              UNION ALL
              SELECT 'k ' || k.conrelid::regclass || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) || ' ' || k.convalidated
                FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
              UNION ALL
              SELECT 't ' || t.tgrelid::regclass || ' ' || t.tgname || ' ' || t.tgenabled::text FROM pg_trigger t WHERE NOT t.tgisinternal
              UNION ALL
              SELECT 'p ' || p.oid::regprocedure || ' ' || md5(coalesce(p.prosrc, ''))
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              UNION ALL
              SELECT 'v ' || v.schemaname || '.' || v.viewname || ' ' || md5(v.definition)
                FROM pg_views v WHERE v.schemaname NOT IN ('pg_catalog', 'information_schema')
              UNION ALL
              SELECT 'o ' || p.polrelid::regclass || ' ' || p.polname FROM pg_policy p
              UNION ALL
              SELECT 'n ' || nspname || ' ' || coalesce(nspacl::text, '') FROM pg_namespace
              UNION ALL
              SELECT 'e ' || extname || ' ' || extversion FROM pg_extension
              UNION ALL
              SELECT 'g ' || evtname FROM pg_event_trigger
              UNION ALL
              SELECT 's ' || coalesce(array_to_string(s.setconfig, ','), '') FROM pg_db_role_setting s
               WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
              UNION ALL
              SELECT 'h ' || installed_rank || ' ' || coalesce(version, '') || ' ' || coalesce(checksum::text, '') || ' ' || success
                FROM atlas_schema_history
              UNION ALL
              SELECT 'r ' || count(*) FROM atlas_installation
            ) digest(x)
            """;

    private static String schemaDigest(DataSource source) {
        try (Connection c = source.getConnection(); Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(SCHEMA_DIGEST)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Ends every other session on the used database, then, if its schema is still the template's,
     * deletes every row but the migration history and the installation row and returns true.
     */
    private static boolean emptiedForReuse(String name) {
        execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "' AND pid <> pg_backend_pid()");
        DataSource source = server().getDatabase("postgres", name);
        try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
            if (!templateDigest.equals(schemaDigest(source))) {
                return false;
            }
            java.util.List<String> tables = new java.util.ArrayList<>();
            try (java.sql.ResultSet rs = s.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    + " AND tablename NOT IN ('atlas_schema_history', 'atlas_installation')")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            // DELETE, not TRUNCATE: on these small tables it is a tenth of the time (TRUNCATE makes
            // new files for every table and index). Replica role skips the foreign-key triggers;
            // every table is emptied, so none is left pointing anywhere.
            c.setAutoCommit(false);
            s.execute("SET LOCAL session_replication_role = replica");
            for (String table : tables) {
                s.execute("DELETE FROM " + table);
            }
            c.commit();
            return true;
        } catch (SQLException | IllegalStateException e) {
            return false;
        }
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
        if (reusable && emptiedForReuse(used)) {
            synchronized (EMPTIED) {
                EMPTIED.push(used);
            }
            return;
        }
        execute("DROP DATABASE IF EXISTS " + used + " WITH (FORCE)");
    }

    @Override
    public String name() {
        return "PostgreSQL";
    }
}
