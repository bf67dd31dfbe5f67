package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.internal.sql.TenantTables;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Citus needs to distribute every tenant table on tenant_id, read from the catalog of a
 * freshly migrated PostgreSQL database (not run on Citus; see docs/scaling.md): the distribution
 * column in every primary key, unique constraint, unique index and foreign key (and a foreign key
 * pairs tenant_id with tenant_id, so referencing rows live on the referenced row's shard), one
 * column type for it everywhere (colocation), and only the listed tables without it.
 */
class PostgresCitusReadinessTest {
    private static final PostgresTestDatabase DATABASE = new PostgresTestDatabase();
    private static Atlas atlas;

    @BeforeAll
    static void migrate() {
        atlas = DATABASE.open();
    }

    @AfterAll
    static void drop() {
        atlas.close();
        DATABASE.cleanup();
    }

    @Test
    @DisplayName("the tables with tenant_id are exactly the tenant tables; the tenant-less ones are exactly the expected reference tables")
    void tablesSplitIntoTenantAndReference() throws SQLException {
        Set<String> withTenant = new TreeSet<>(strings("SELECT substr(c.relname, 7) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'atlas\\_%'"
                + " AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)"));
        Set<String> without = new TreeSet<>(strings("SELECT substr(c.relname, 7) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'atlas\\_%'"
                + " AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)"));
        Set<String> expectedTenant = new TreeSet<>(TenantTables.TENANT);
        expectedTenant.removeAll(Set.of("search_keys", "search_fts", "vector_sets"));
        assertThat(withTenant).isEqualTo(expectedTenant);
        assertThat(without).isEqualTo(new TreeSet<>(TenantTables.REFERENCE));
    }

    @Test
    @DisplayName("tenant_id is NOT NULL text in every tenant table, so all of them colocate")
    void oneDistributionColumnType() throws SQLException {
        List<String> off = strings("SELECT c.relname || ': ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN '' ELSE ' NULL' END"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid"
                + " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname LIKE 'atlas\\_%' AND a.attname = 'tenant_id'"
                + " AND (a.atttypid <> 'text'::regtype OR NOT a.attnotnull)");
        assertThat(off).isEmpty();
    }

    @Test
    @DisplayName("every primary key, unique constraint and foreign key of a tenant table includes tenant_id; a foreign key pairs it with the referenced tenant_id")
    void constraintsIncludeTenant() throws SQLException {
        Map<String, String> offenders = new LinkedHashMap<>();
        int checked = 0;
        String sql = "SELECT con.conname, con.contype, c.relname,"
                + " (SELECT array_position(con.conkey, a.attnum) FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attname = 'tenant_id') AS pos,"
                + " CASE WHEN con.contype = 'f' THEN (SELECT array_position(con.confkey, a.attnum) FROM pg_attribute a"
                + "   WHERE a.attrelid = con.confrelid AND a.attname = 'tenant_id') END AS fpos,"
                + " con.confrelid::regclass::text AS referenced"
                + " FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = current_schema() AND c.relname LIKE 'atlas\\_%' AND con.contype IN ('p', 'u', 'f', 'x')"
                + " ORDER BY con.conname";
        try (Connection c = DATABASE.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                String table = rs.getString("relname").substring("atlas_".length());
                if (TenantTables.REFERENCE.contains(table)) {
                    continue;
                }
                checked++;
                String name = rs.getString("conname");
                Integer pos = (Integer) rs.getObject("pos");
                if (pos == null) {
                    offenders.put(name, "does not include tenant_id");
                } else if (rs.getString("contype").equals("f")) {
                    Integer fpos = (Integer) rs.getObject("fpos");
                    String referenced = rs.getString("referenced").replace("\"", "");
                    if (!pos.equals(fpos)) {
                        offenders.put(name, "pairs tenant_id with another column of " + referenced);
                    } else if (!TenantTables.TENANT.contains(referenced.substring("atlas_".length()))) {
                        offenders.put(name, "references a table that is not a tenant table: " + referenced);
                    }
                }
            }
        }
        assertThat(offenders).isEmpty();
        // 24 tables' primary keys, their unique constraints and foreign keys, V12's five references among them.
        assertThat(checked).isGreaterThan(50);
        assertThat(strings("SELECT conname FROM pg_constraint WHERE conname LIKE 'atlas\\_%\\_fk' ORDER BY conname")).containsExactly(
                "atlas_conversations_assistant_fk", "atlas_conversations_revision_fk", "atlas_executions_revision_fk",
                "atlas_messages_execution_fk", "atlas_messages_step_fk");
        // docs/scaling.md sets this one aside while assistants and their revisions are distributed.
        assertThat(strings("SELECT conname FROM pg_constraint WHERE conrelid = 'atlas_assistants'::regclass AND contype = 'f'"))
                .containsExactly("atlas_assistants_tenant_id_current_revision_id_fkey");
    }

    @Test
    @DisplayName("every unique index of a tenant table (partial ones too) includes tenant_id")
    void uniqueIndexesIncludeTenant() throws SQLException {
        List<String> offenders = new ArrayList<>();
        List<String> unique = strings("SELECT i.relname || CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = x.indrelid"
                + "   AND a.attname = 'tenant_id' AND a.attnum = ANY (x.indkey)) THEN '' ELSE ' MISSING' END"
                + " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
                + " JOIN pg_namespace n ON n.oid = t.relnamespace"
                + " WHERE n.nspname = current_schema() AND t.relname LIKE 'atlas\\_%' AND x.indisunique"
                + " AND substr(t.relname, 7) NOT IN ('installation', 'schema_history') ORDER BY i.relname");
        for (String u : unique) {
            if (u.endsWith(" MISSING")) {
                offenders.add(u);
            }
        }
        assertThat(offenders).isEmpty();
        assertThat(unique).contains("atlas_assistants_slug", "atlas_conversations_external_key", "atlas_messages_one_active_sibling");
    }

    private static List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DATABASE.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
