package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The session control Atlas.close() runs on PostgreSQL comes from a statement catalogue like every
 * other statement, marked as touching no tenant's rows (it names server processes, not rows).
 */
class SessionSqlTest {
    @Test
    void closesAdminStatementsAreDeclaredOnceAndMarkedTenantLess() {
        SessionSql sql = new SessionSql(new Catalogue(Dialect.POSTGRESQL, "atlas_"));
        assertThat(sql.terminate.name()).isEqualTo("session.terminate");
        // A process id alone may name a later session by the time it is ended: its start time too.
        assertThat(sql.terminate.jdbc()).isEqualTo("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ?"
                + " AND CAST(EXTRACT(EPOCH FROM backend_start) * 1000000 AS bigint) = ? AND pid <> pg_backend_pid()");
        assertThat(sql.terminate.parameters()).containsExactly("pid", "started");
        assertThat(sql.present.name()).isEqualTo("session.present");
        assertThat(sql.present.jdbc()).isEqualTo("SELECT CAST(EXTRACT(EPOCH FROM backend_start) * 1000000 AS bigint)"
                + " FROM pg_stat_activity WHERE pid = ? AND pid <> pg_backend_pid()");
        assertThat(sql.present.parameters()).containsExactly("pid");
        for (Statement s : new Statement[] {sql.terminate, sql.present}) {
            assertThat(s.crossTenantReason()).as(s.name()).startsWith("tenant-less session control");
        }
    }
}
