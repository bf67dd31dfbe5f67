package dev.atlas.jdbi.internal.portability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's plans (EXPLAIN QUERY PLAN, no statistics, as an application's database has) of the erase's choices of a
 * conversation's or an owner's attachments, assets, voice calls, tasks and executions, and of the uploads only the scope's
 * messages hold: each table is searched by an index on more than the tenant, never scanned nor read over the tenant's whole
 * range. The uploads' choice read the tenant's attachments whole, twice (SQLite preferred the covering unique index on the
 * tenant alone for the check of each attachment's other holders). The recursive step of a scope's tool threads is left out:
 * it is older than these statements.
 */
class SqliteErasePlanTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;

    @BeforeEach
    void open() {
        atlas = database.open();
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    @Test
    @DisplayName("an erase's batch of a scope's attachments, assets, voice calls, tasks and executions, and its choice of the uploads"
            + " only the scope's messages hold, search each table by index, never over the tenant's whole range")
    void eraseSearchesTheScopesRowsByIndex() throws SQLException {
        Map<String, String> statements = new LinkedHashMap<>();
        for (Scope scope : List.of(Scope.conversation(UUID.randomUUID()), Scope.owner(Owner.user("alice")))) {
            Scope closed = scope.withUploads(List.of(UUID.randomUUID())).closed();
            for (String table : List.of("message_assets", "assets", "voice_calls", "tasks", "executions")) {
                statements.put(table + " of " + scope.kind, "SELECT x.id FROM <p>" + table + " x WHERE x.tenant_id = :t AND "
                        + closed.condition(table, false) + " LIMIT " + JdbiPortability.BATCH);
            }
            statements.put("uploads of " + scope.kind, PortabilitySql.exclusiveUploadsText(scope));
        }
        for (Map.Entry<String, String> statement : statements.entrySet()) {
            List<String> plan = database.plan(statement.getValue().replace("<p>", "atlas_").replaceAll(":[a-z]+[0-9]*\\b", "?"));
            String all = statement.getKey() + "\n" + String.join("\n", plan);
            assertThat(plan).as(all).anyMatch(line -> line.startsWith("SEARCH "));
            assertThat(plan).as(all).noneMatch(line -> line.startsWith("SCAN ") && !line.equals("SCAN tree"));
            assertThat(plan).as(all).noneMatch(line -> line.startsWith("SEARCH ") && line.endsWith("(tenant_id=?)")
                    && !line.contains("INDEX atlas_conversations_"));
        }
    }
}
