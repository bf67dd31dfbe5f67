package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/**
 * PostgreSQL session control run by Atlas.close() (Db's session end): it names server processes,
 * not rows, so it binds no tenant; declared on every dialect, run only on PostgreSQL.
 */
final class SessionSql {
    private static final String TENANT_LESS = "tenant-less session control: Atlas.close() ends the server sessions of its own"
            + " connections it closed while their writes were committing; names a process id, reads or writes no tenant's rows";

    /** A session's start, in microseconds since 1970: a bigint, so it is compared exactly whatever the session's time zone. */
    private static final String STARTED = "CAST(EXTRACT(EPOCH FROM backend_start) * 1000000 AS bigint)";

    /**
     * Asks the server to end process {@code :pid} if its session is still the one that started at
     * {@code :started} ({@link #present}'s value): a process id is reused once its process exits.
     */
    final Statement terminate;
    /**
     * While process {@code :pid} is there, one row: its session's start; none for the asking
     * session itself (whose id may be the reused id of a session that is gone).
     */
    final Statement present;

    /**
     * The asking session's own process id and start: read when Atlas first uses a connection, while
     * its session is surely the connection's, so close() can later name it exactly without reading
     * anything about it once it is stuck. Reads no Atlas table, so it binds no tenant.
     */
    final Statement own;

    SessionSql(Catalogue c) {
        own = c.sql("session.own", "SELECT pg_backend_pid(), " + STARTED + " FROM pg_stat_activity WHERE pid = pg_backend_pid()");
        terminate = c.crossTenant("session.terminate", TENANT_LESS, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                + " WHERE pid = :pid AND " + STARTED + " = :started AND pid <> pg_backend_pid()");
        present = c.crossTenant("session.present", TENANT_LESS, "SELECT " + STARTED + " FROM pg_stat_activity"
                + " WHERE pid = :pid AND pid <> pg_backend_pid()");
    }
}
