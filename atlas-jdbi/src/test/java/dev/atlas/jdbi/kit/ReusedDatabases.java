package dev.atlas.jdbi.kit;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * PostgreSQL databases a test used and left with its template's schema, emptied for the next
 * test: copying a template (CREATE DATABASE ... TEMPLATE) costs most of a short test, deleting a
 * test's few rows a few milliseconds.
 */
final class ReusedDatabases {
    /**
     * Everything a test could change besides rows: tables, columns, defaults, indexes,
     * constraints, triggers, functions, views, policies, schemas, extensions, database settings,
     * the migration history and the installation row. A query on the catalog, a few milliseconds.
     */
    private static final String DIGEST = """
            SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
              SELECT 'c ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text
                     || ' ' || c.relrowsecurity || ' ' || coalesce(c.relacl::text, '') || ' ' || coalesce(c.reloptions::text, '')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%temp\\_%'
              UNION ALL
              SELECT 'a ' || a.attrelid::regclass || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                     || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attcollation
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%temp\\_%' AND a.attnum > 0 AND NOT a.attisdropped
              UNION ALL
              SELECT 'i ' || pg_get_indexdef(i.indexrelid) || ' ' || i.indisvalid || ' ' || i.indisready
                FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%temp\\_%'
              UNION ALL
              SELECT 'k ' || k.conrelid::regclass || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid) || ' ' || k.convalidated
                FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%temp\\_%'
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
              SELECT 'n ' || nspname || ' ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%temp\\_%'
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

    private final Deque<String> emptied = new ArrayDeque<>();
    private String templateDigest;
    /** SQL run on a used database before its digest is compared, putting back what may be undone without a copy; or null. */
    private final String restore;
    /** Whether tables of more than {@link #LARGE} bytes are emptied by TRUNCATE rather than DELETE. */
    private final boolean truncate;
    /** 8 pages: a few hundred rows; the seeds of the tests that count rows read are thousands. */
    private static final long LARGE = 65_536;

    ReusedDatabases() {
        this(null, false);
    }

    /**
     * Databases emptied after {@code restore} (one statement, run after the other sessions ended) undid the schema
     * changes a test may leave that can be undone exactly; the digest still decides whether the database is reused.
     * With {@code truncate}, tables larger than a few pages are emptied by TRUNCATE: new, empty files and no planner
     * estimate of their size (relpages 0, reltuples -1), as on a fresh copy. DELETE left a test's thousands of bulk rows
     * as dead rows and pages, and the next test's plans changed with what ran before it (PgvectorSearchTest's stale
     * statistics test read 6,423 rows per search instead of 1,422). TRUNCATE of every table cost twice the DELETE.
     */
    ReusedDatabases(String restore, boolean truncate) {
        this.restore = restore;
        this.truncate = truncate;
    }

    /** Records the template's digest: a used database with another one is not reused. */
    synchronized void template(DataSource template) {
        templateDigest = digest(template);
    }

    /** An emptied database with a new installation id to open the next test on, or null. */
    synchronized String take() {
        return emptied.poll();
    }

    /**
     * Ends every other session on the used database, then, if its schema is still the template's,
     * deletes every row but the migration history and the installation row, gives the installation
     * row a new id and keeps the database for {@link #take}; false when the caller must drop it.
     */
    boolean giveBack(String name, DataSource used) {
        String expected;
        synchronized (this) {
            expected = templateDigest;
        }
        if (expected == null) {
            return false;
        }
        try (Connection c = used.getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
            if (restore != null) {
                s.execute(restore);
            }
            if (!expected.equals(digest(c))) {
                return false;
            }
            List<String> tables = new ArrayList<>();
            List<String> large = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT tablename, " + (truncate ? "pg_relation_size(format('public.%I', tablename)::regclass)" : "0")
                    + " FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('atlas_schema_history', 'atlas_installation')")) {
                while (rs.next()) {
                    (truncate && rs.getLong(2) > LARGE ? large : tables).add(rs.getString(1));
                }
            }
            // DELETE, not TRUNCATE, for the small tables (every table, unless truncate): a tenth of the time
            // (TRUNCATE makes new files for every table and index). The replica role skips the foreign-key
            // triggers; every table is emptied, so no row is left pointing anywhere.
            c.setAutoCommit(false);
            if (!large.isEmpty()) {
                // CASCADE: a table whose foreign key points into one of them is emptied with it (all are emptied anyway).
                s.execute("TRUNCATE " + String.join(", ", large) + " CASCADE");
            }
            s.execute("SET LOCAL session_replication_role = replica");
            for (String table : tables) {
                s.execute("DELETE FROM " + table);
            }
            // The next test's installation id, set here rather than when it opens: in this session and
            // transaction instead of a new session of its own (a new session was a fifth of a short test's set-up).
            Templates.newInstallationId(c);
            c.commit();
        } catch (SQLException e) {
            return false;
        }
        synchronized (this) {
            emptied.push(name);
        }
        return true;
    }

    private static String digest(DataSource source) {
        try (Connection c = source.getConnection()) {
            return digest(c);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String digest(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(DIGEST)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
