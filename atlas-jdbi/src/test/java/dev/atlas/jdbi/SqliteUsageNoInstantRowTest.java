package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.UnreadableRowException;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.UsageGroup;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SQLite only (PostgreSQL's timestamptz holds nothing but instants): a usage report group holding two executions
 * whose created_at is no instant, one text and one a blob, names one of them with the type that row holds. The report
 * read the least id and the least value of the group apart, so it named the blob's row as "stored as text".
 */
class SqliteUsageNoInstantRowTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;
    private Tenant acme;

    @BeforeEach
    void open() {
        atlas = database.open(b -> b);
        acme = atlas.tenant("acme");
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    private void setCreatedAt(UUID execution, String value) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_executions SET created_at = " + value + " WHERE id = '" + execution + "'")).isEqualTo(1);
        }
    }

    private UUID execution() {
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        h.complete();
        return h.id();
    }

    @Test
    @DisplayName("the row a usage report names for a created_at that is no instant is the row whose type it names: the lesser id a blob,"
            + " the greater text, in the tenant's and the operator's report, for every grouping")
    void namesTheRowWithItsOwnType() throws SQLException {
        UUID blob = execution();
        UUID text = execution();
        assertThat(blob.toString()).isLessThan(text.toString());
        setCreatedAt(blob, "X'00'");
        setCreatedAt(text, "'2026-01-01T00:00:00Z'");
        Instant from = Instant.parse("2000-01-01T00:00:00Z");
        Instant to = Instant.parse("2100-01-01T00:00:00Z");
        for (UsageGroup g : UsageGroup.values()) {
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable report : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> acme.executions().usageReport(g, from, to), () -> atlas.usageReport(g, from, to))) {
                assertThatThrownBy(report).as(g.toString()).isInstanceOf(UnreadableRowException.class)
                        .hasMessageContaining("created_at: stored as a blob")
                        .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("executions"))
                        .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(blob.toString()));
            }
        }
    }

    @Test
    @DisplayName("the lesser id text and the greater a blob: the text row is named as text")
    void namesTheTextRowAsText() throws SQLException {
        UUID text = execution();
        UUID blob = execution();
        setCreatedAt(text, "'12abc'");
        setCreatedAt(blob, "X'0102'");
        Instant from = Instant.parse("2000-01-01T00:00:00Z");
        Instant to = Instant.parse("2100-01-01T00:00:00Z");
        for (UsageGroup g : UsageGroup.values()) {
            assertThatThrownBy(() -> acme.executions().usageReport(g, from, to)).as(g.toString()).isInstanceOf(UnreadableRowException.class)
                    .hasMessageContaining("created_at: stored as text")
                    .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(text.toString()));
        }
    }
}
