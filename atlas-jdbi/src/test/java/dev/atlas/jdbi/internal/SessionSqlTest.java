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
        assertThat(sql.terminate.jdbc()).isEqualTo("SELECT pg_terminate_backend(?)");
        assertThat(sql.present.name()).isEqualTo("session.present");
        assertThat(sql.present.jdbc()).isEqualTo("SELECT 1 FROM pg_stat_activity WHERE pid = ?");
        for (Statement s : new Statement[] {sql.terminate, sql.present}) {
            assertThat(s.parameters()).as(s.name()).containsExactly("pid");
            assertThat(s.crossTenantReason()).as(s.name()).startsWith("tenant-less session control");
        }
    }
}
