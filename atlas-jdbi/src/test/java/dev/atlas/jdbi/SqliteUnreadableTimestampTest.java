package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.UnreadableRowException;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.portability.ExportScope;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SQLite keeps a value of another type in a timestamp column (text, a fraction): the reads outside a store's row mapper
 * (an execution's last write, the sweep's running runs, an export) name the table, the row and the column of such a
 * value, where they threw an UnreadableRowException naming nothing.
 */
class SqliteUnreadableTimestampTest {
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

    private int update(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            return s.executeUpdate(sql);
        }
    }

    private String status(UUID execution) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT status FROM atlas_executions WHERE id = '" + execution + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    @Test
    @DisplayName("finishing a run whose step's updated_at is stored as text fails naming the execution and updated_at, writing nothing")
    void finishWithATextStepTimestampNamesTheExecution() throws SQLException {
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        run.step().finish(null, null, FinishReason.STOP, Usage.of(10, 1));
        assertThat(update("UPDATE atlas_execution_steps SET updated_at = '12abc' WHERE execution_id = '" + run.id() + "'")).isEqualTo(1);
        assertThatThrownBy(run::complete).isInstanceOf(UnreadableRowException.class).hasMessageContaining("updated_at")
                .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("executions"))
                .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(run.id().toString()));
        assertThat(status(run.id())).isEqualTo("processing");
    }

    @Test
    @DisplayName("the sweep fails a running run whose created_at is stored as text, without its usage, instead of failing the whole sweep")
    void sweepFailsARunWithATextCreatedAt() throws SQLException {
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle other = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        assertThat(update("UPDATE atlas_executions SET created_at = '12abc' WHERE id = '" + run.id() + "'")).isEqualTo(1);
        java.io.PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(acme.executions().sweepInterrupted(Duration.ZERO).executions()).isEqualTo(2);
        } finally {
            System.setErr(original);
        }
        String warnings = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(warnings.lines().filter(l -> l.contains("WARN") && l.contains(run.id().toString()) && l.contains("created_at")).count())
                .as(warnings).isEqualTo(1);
        assertThat(status(run.id())).isEqualTo("failed");
        assertThat(status(other.id())).isEqualTo("failed");
    }

    @Test
    @DisplayName("a usage report over a tenant with an execution whose created_at is stored as text fails naming executions, its id and"
            + " created_at, in the tenant's and the operator's report, for every grouping; another tenant's report is unaffected")
    void usageReportNamesAnExecutionWithATextCreatedAt() throws SQLException {
        ExecutionHandle counted = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        counted.usage(Usage.of(10, 1));
        counted.complete();
        ExecutionHandle text = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        text.usage(Usage.of(1000, 100));
        text.complete();
        Tenant other = atlas.tenant("other");
        ExecutionHandle theirs = other.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        theirs.complete();
        assertThat(update("UPDATE atlas_executions SET created_at = '2026-01-01T00:00:00Z' WHERE id = '" + text.id() + "'")).isEqualTo(1);
        java.time.Instant from = java.time.Instant.parse("2000-01-01T00:00:00Z");
        java.time.Instant to = java.time.Instant.parse("2100-01-01T00:00:00Z");
        for (dev.atlas.execution.UsageGroup g : dev.atlas.execution.UsageGroup.values()) {
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable report : java.util.List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> acme.executions().usageReport(g, from, to), () -> atlas.usageReport(g, from, to),
                    // The daily report reads the executions of no instant too, whatever its days (DAY is refused there).
                    () -> acme.executions().dailyUsageReport(g == dev.atlas.execution.UsageGroup.DAY ? dev.atlas.execution.UsageGroup.MODEL : g,
                            java.time.LocalDate.parse("2026-01-01"), java.time.LocalDate.parse("2026-01-02"), java.time.ZoneId.of("Europe/Berlin")))) {
                assertThatThrownBy(report).as(g.toString()).isInstanceOf(UnreadableRowException.class).hasMessageContaining("created_at")
                        .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("executions"))
                        .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(text.id().toString()));
            }
            assertThat(other.executions().usageReport(g, from, to)).as(g.toString()).hasSize(1)
                    .allSatisfy(r -> assertThat(r.executions()).isEqualTo(1));
        }
    }

    @Test
    @DisplayName("an export meeting a task whose created_at is stored as text fails naming tasks, the task's id and created_at")
    void exportNamesTheRowOfATextTimestamp() throws SQLException {
        Task t = acme.tasks().create(NewTask.of("email", Map.of()));
        assertThat(update("UPDATE atlas_tasks SET created_at = '12abc' WHERE id = '" + t.id() + "'")).isEqualTo(1);
        assertThatThrownBy(() -> acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.tenant()))
                .isInstanceOf(UnreadableRowException.class).hasMessageContaining("created_at")
                .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("tasks"))
                .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(t.id().toString()));
    }

    @Test
    @DisplayName("a vector for a message whose edited_at is stored as text ('12abc') is refused as unreadable, naming messages, the"
            + " message's id and the column, before any write")
    void messageEditTimeStoredAsTextIsUnreadable() throws SQLException {
        dev.atlas.conversation.Conversation c = acme.conversations().create(
                dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("alice")));
        dev.atlas.conversation.Message m = acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("hello"));
        assertThat(update("UPDATE atlas_messages SET edited_at = '12abc' WHERE id = '" + m.id() + "'")).isEqualTo(1);
        java.util.List<org.junit.jupiter.api.function.Executable> writes = java.util.List.of(
                () -> acme.search().upsertVector(dev.atlas.search.SearchTarget.MESSAGE, m.id(), "m", new float[] {1, 0, 0}),
                () -> acme.search().embed(dev.atlas.search.SearchTarget.MESSAGE, m.id(), "m", text -> new float[] {1, 0, 0}));
        for (org.junit.jupiter.api.function.Executable write : writes) {
            assertThat(org.junit.jupiter.api.Assertions.assertThrows(UnreadableRowException.class, write))
                    .hasMessageContaining("edited_at")
                    .satisfies(e -> assertThat(e.table()).isEqualTo("messages"))
                    .satisfies(e -> assertThat(e.rowId()).isEqualTo(m.id().toString()));
        }
        assertThat(acme.search().similar(dev.atlas.search.SemanticQuery.of(dev.atlas.search.SearchTarget.MESSAGE, "m",
                new float[] {1, 0, 0}))).isEmpty();
    }

    @Test
    @DisplayName("a credential whose created_at is stored as text ('12abc') fails list (whole and paged) and upsert with"
            + " UnreadableRowException naming credentials, its id and created_at (it named no table nor row, so one bad row hid which"
            + " of the owner's credentials to fix), the upsert writing nothing; get still reads it; once it is deleted, a row whose"
            + " updated_at is a fraction of a microsecond fails the listing the same way, and upserting it (at a later time) repairs it")
    void credentialWithAnUnreadableTimeIsNamed() throws SQLException {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Atlas keyed = database.open(b -> b.credentialKeys(dev.atlas.credential.CredentialKeys.of("k1", key)));
        try {
            dev.atlas.credential.CredentialStore store = keyed.tenant("acme").credentials();
            dev.atlas.Owner owner = dev.atlas.Owner.user("7");
            for (String name : java.util.List.of("a-text", "b-fraction", "c-fine")) {
                store.upsert(owner, name, "secret of " + name);
            }
            assertThat(update("UPDATE atlas_credentials SET created_at = '12abc' WHERE name = 'a-text'")).isEqualTo(1);
            assertThat(update("UPDATE atlas_credentials SET updated_at = updated_at + 0.5 WHERE name = 'b-fraction'")).isEqualTo(1);
            String text = credentialId("a-text");
            assertNamed(() -> store.list(owner), text, "created_at");
            assertNamed(() -> store.list(owner, 10, null), text, "created_at");
            assertNamed(() -> store.upsert(owner, "a-text", "replaced"), text, "created_at");
            assertThat(store.require(owner, "a-text").reveal()).isEqualTo("secret of a-text");
            store.delete(owner, "a-text");
            assertNamed(() -> store.list(owner), credentialId("b-fraction"), "updated_at");
            store.upsert(owner, "b-fraction", "replaced");
            assertThat(store.list(owner)).extracting(dev.atlas.credential.CredentialInfo::name).containsExactly("b-fraction", "c-fine");
            assertThat(store.require(owner, "b-fraction").reveal()).isEqualTo("replaced");
        } finally {
            keyed.close();
        }
    }

    private String credentialId(String name) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM atlas_credentials WHERE name = '" + name + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static void assertNamed(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String rowId, String column) {
        assertThatThrownBy(call).isInstanceOfSatisfying(UnreadableRowException.class, e -> {
            assertThat(e.table()).isEqualTo("credentials");
            assertThat(e.rowId()).isEqualTo(rowId);
            assertThat(e.getMessage()).contains(column);
        });
    }
}
