package dev.atlas.jdbi;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.portability.EraseReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Erase racing a write still in flight on another connection, with PostgreSQL's real row locks:
 * the writer's transaction is held open by hand while the erase runs into it. SQLite's single
 * writer cannot interleave them (PortabilityContract covers the orders between transactions).
 */
class PostgresEraseRaceTest extends AtlasContract {
    PostgresEraseRaceTest() {
        super(new PostgresTestDatabase());
    }

    private static long count(Connection c, String sql, UUID id) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    @DisplayName("a step insert still uncommitted when eraseConversation reaches its execution (before: the erase deleted the steps"
            + " without it, then failed on its foreign key): the erase waits for it and deletes it with the execution")
    void eraseWaitsForAStepInFlightAndDeletesIt() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        acme.conversations().append(c, NewMessage.user("go"));
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c));
        run.step();
        try (Connection writer = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            // What a step insert does: share-locks its running execution, then inserts the step.
            try (PreparedStatement ps = writer.prepareStatement("SELECT 1 FROM atlas_executions WHERE tenant_id = 'acme' AND id = ?"
                    + " AND status = 'processing' FOR SHARE")) {
                ps.setObject(1, run.id());
                assertThat(ps.executeQuery().next()).isTrue();
            }
            try (PreparedStatement ps = writer.prepareStatement("INSERT INTO atlas_execution_steps (tenant_id, id, execution_id, sequence,"
                    + " status, started_at, created_at, updated_at) VALUES ('acme', ?, ?, 2, 'processing', now(), now(), now())")) {
                ps.setObject(1, UUID.randomUUID());
                ps.setObject(2, run.id());
                ps.executeUpdate();
            }
            CompletableFuture<EraseReport> erase = CompletableFuture.supplyAsync(() -> acme.portability().eraseConversation(c, false));
            awaitLockWaitOrDone(probe, erase);
            writer.commit();
            EraseReport report = erase.get(60, TimeUnit.SECONDS);
            assertThat(report.counts()).containsEntry("executions", 1L).containsEntry("execution_steps", 2L).containsEntry("conversations", 1L);
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_execution_steps WHERE execution_id = ?", run.id())).isZero();
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_executions WHERE id = ?", run.id())).isZero();
        }
    }

    @Test
    @DisplayName("an execution started while an erase's soft-delete of its conversation is still uncommitted waits for it and is"
            + " refused NotFoundException (conversation), so no execution lands in a conversation being erased (before: it read the"
            + " last committed, live row and was stored)")
    void executionStartWaitsForTheErasesSoftDelete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        try (Connection eraser = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            eraser.setAutoCommit(false);
            // What an erase's first transaction does: soft-delete the scope's conversations.
            try (PreparedStatement ps = eraser.prepareStatement("UPDATE atlas_conversations SET deleted_at = now()"
                    + " WHERE tenant_id = 'acme' AND id = ?")) {
                ps.setObject(1, c);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            CompletableFuture<ExecutionHandle> start = CompletableFuture.supplyAsync(
                    () -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c)));
            awaitLockWaitOrDone(probe, start);
            eraser.commit();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> start.get(60, TimeUnit.SECONDS)))
                    .hasCauseInstanceOf(dev.atlas.NotFoundException.class).cause()
                    .satisfies(e -> assertThat(((dev.atlas.NotFoundException) e).entity()).isEqualTo("conversation"));
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_executions WHERE conversation_id = ?", c)).isZero();
        }
    }

    /** Waits (up to 30 s) until a session waits on a row lock, or {@code call} has finished without waiting. */
    private static void awaitLockWaitOrDone(Connection probe, CompletableFuture<?> call) throws Exception {
        for (int i = 0; i < 3000 && !call.isDone(); i++) {
            try (PreparedStatement ps = probe.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= 1) {
                    return;
                }
            }
            Thread.sleep(10);
        }
    }
}
