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

    /** Asks the server to end process {@code :pid}. */
    final Statement terminate;
    /** One row while process {@code :pid} is still there (its transaction not yet over). */
    final Statement present;

    SessionSql(Catalogue c) {
        terminate = c.crossTenant("session.terminate", TENANT_LESS, "SELECT pg_terminate_backend(:pid)");
        present = c.crossTenant("session.present", TENANT_LESS, "SELECT 1 FROM pg_stat_activity WHERE pid = :pid");
    }
}
