package dev.atlas.jdbi;

import dev.atlas.ConflictException;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.ExecutionRecorderContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

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
}
