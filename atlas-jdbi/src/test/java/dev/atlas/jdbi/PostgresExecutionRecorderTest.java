package dev.atlas.jdbi;

import dev.atlas.ConflictException;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.ExecutionRecorderContract;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PostgresExecutionRecorderTest extends ExecutionRecorderContract {
    PostgresExecutionRecorderTest() {
        super(new PostgresTestDatabase());
    }

    /** PostgreSQL only: SQLite's single writer cannot hold one write transaction while another instance commits. */
    @Test
    @DisplayName("a handle's complete() inside its write transaction while another Atlas instance cancels the run (both finishing one"
            + " execution at once) is refused with the ConflictException naming the execution as cancelled; the stored record is the"
            + " cancel's, with the finished steps' usage, not the handle's")
    void completeRacingACancelOnAnotherInstance() throws Exception {
        ExecutionRecorder other = reopen(b -> b.clock(clock)).tenant("acme").executions();
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        h.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
        h.usage(Usage.of(500, 50));
        Db db = ((JdbiAtlas) atlas).db();
        AtomicReference<Thread> completer = new AtomicReference<>();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        // The completing thread stops at its price look-up, inside its write transaction, until the other instance cancelled.
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == completer.get() && name.equals("prices.at")) {
                inside.countDown();
                try {
                    cancelled.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<Throwable> completed = CompletableFuture.supplyAsync(() -> {
                completer.set(Thread.currentThread());
                try {
                    h.complete();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
            Execution byOther;
            try {
                byOther = other.cancel(h.id());
            } finally {
                cancelled.countDown();
            }
            assertThat(byOther.status()).isEqualTo(ExecutionStatus.CANCELLED);
            assertThat(byOther.usage()).isEqualTo(Usage.of(100, 10));
            assertThat(completed.get(10, TimeUnit.SECONDS)).isExactlyInstanceOf(ConflictException.class)
                    .hasMessageContaining("execution " + h.id() + " is cancelled")
                    .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("executionId"));
            assertThat(recorder.require(h.id())).isEqualTo(byOther);
        } finally {
            db.statementListener(null);
        }
        assertThatThrownBy(() -> h.usage(Usage.of(1, 1))).isInstanceOf(ConflictException.class);
    }

    /** PostgreSQL only: SQLite's single writer runs the cancel wholly before or after the start. */
    @Test
    @DisplayName("a queued tool call's cancel() on another thread waiting for its start() to commit (start's update done, not"
            + " committed) ends it cancelled, timed from its start: the duration is the record's completedAt - startedAt, never"
            + " counted from its recording")
    void toolCallCancelWaitingForItsStart() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle.ToolCallHandle call = h.step().toolCall(NewToolCall.of("c1", "lookup", "{}").queued());
        Db db = ((JdbiAtlas) atlas).db();
        AtomicReference<Thread> starter = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // The starting thread stops after its update, inside its write transaction, until the cancel waits for its row.
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == starter.get() && name.equals("executions.startToolCall")) {
                started.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        clock.advanceMicros(30_000);
        Instant startedAt = clock.instant();
        try (Connection probe = database.dataSource().getConnection()) {
            CompletableFuture<Void> start = CompletableFuture.runAsync(() -> {
                starter.set(Thread.currentThread());
                call.start();
            });
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            clock.advanceMicros(20_000);
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(call::cancel);
            PostgresLockWaits.await(probe, 1, cancel);
            assertThat(cancel.isDone()).as("the cancel waits for the start's row").isFalse();
            release.countDown();
            start.get(10, TimeUnit.SECONDS);
            cancel.get(10, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            db.statementListener(null);
        }
        assertThat(recorder.tree(h.id()).orElseThrow().steps().get(0).toolCalls()).singleElement()
                .returns(ExecutionStatus.CANCELLED, ToolCall::status).returns(startedAt, ToolCall::startedAt)
                .returns(clock.instant(), ToolCall::completedAt).returns(20L, ToolCall::durationMs);
    }
}
