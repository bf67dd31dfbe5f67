package dev.atlas.jdbi.reliability;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL server goes away while writers run (two appending messages, one recording whole
 * executions): calls fail with a retryable {@link StorageException}, the pool recovers by itself
 * once the server is back, and nothing acknowledged is lost.
 */
class PostgresOutageTest {
    @TempDir
    Path dir;

    private static EmbeddedPostgres start(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                .setRegisterShutdownHook(true).start();
    }

    private static void await(BooleanSupplier condition, Duration max, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(max);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    @Test
    @DisplayName("a server restart under load gives retryable errors, then the same Atlas recovers with nothing lost")
    void restartUnderLoad() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = dir.resolve("pgdata");
        EmbeddedPostgres pg = start(data, port);
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:postgresql://localhost:" + port + "/postgres");
        hc.setUsername("postgres");
        hc.setConnectionTimeout(1000);
        hc.setValidationTimeout(500);
        hc.setMaximumPoolSize(4);
        hc.setInitializationFailTimeout(-1);
        AtomicBoolean stop = new AtomicBoolean();
        Set<UUID> acked = ConcurrentHashMap.newKeySet();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        AtomicInteger retryable = new AtomicInteger();
        Set<UUID> ackedExecutions = ConcurrentHashMap.newKeySet();
        AtomicInteger executionRetryable = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(3);
        try (HikariDataSource pool = new HikariDataSource(hc); Atlas atlas = Atlas.builder().dataSource(pool).build()) {
            ConversationStore store = atlas.tenant("outage").conversations();
            UUID conversation = store.create(NewConversation.of(Owner.user("1"))).id();
            AtomicInteger counter = new AtomicInteger();
            for (int w = 0; w < 2; w++) {
                writers.submit(() -> {
                    while (!stop.get()) {
                        try {
                            acked.add(store.append(conversation, NewMessage.user("m").clientId("c" + counter.incrementAndGet())).id());
                        } catch (StorageException e) {
                            if (e.isRetryable() || e.isOutcomeUnknown()) {
                                retryable.incrementAndGet();
                            } else {
                                unexpected.add(e);
                            }
                        } catch (Throwable t) {
                            unexpected.add(t);
                        }
                    }
                });
            }
            // A third writer records whole executions (execution, step, tool call, usage) through record().
            ExecutionRecorder recorder = atlas.tenant("outage").executions();
            writers.submit(() -> {
                while (!stop.get()) {
                    try {
                        ackedExecutions.add(recorder.record(ExecutionSpec.text("openai", "gpt-4o").conversation(conversation), e -> {
                            StepHandle step = e.step();
                            step.toolCall("call-1", "lookup", "{}").complete("ok");
                            step.finish("done", FinishReason.STOP);
                            e.usage(Usage.of(10, 5));
                            return e.id();
                        }));
                    } catch (StorageException e) {
                        if (e.isRetryable() || e.isOutcomeUnknown()) {
                            executionRetryable.incrementAndGet();
                        } else {
                            unexpected.add(e);
                        }
                    } catch (Throwable t) {
                        unexpected.add(t);
                    }
                }
            });
            await(() -> acked.size() >= 100 && ackedExecutions.size() >= 20, Duration.ofSeconds(30), "writes before the outage");
            pg.close();
            await(() -> retryable.get() >= 5 && executionRetryable.get() >= 2, Duration.ofSeconds(30), "retryable errors during the outage");
            int ackedDuringOutage = acked.size();
            int executionsDuringOutage = ackedExecutions.size();
            pg = start(data, port);
            await(() -> acked.size() >= ackedDuringOutage + 100 && ackedExecutions.size() >= executionsDuringOutage + 20,
                    Duration.ofSeconds(60), "writes after the restart");
            stop.set(true);
            writers.shutdown();
            assertThat(writers.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

            // A write cut off while committing is outcome-unknown (not retryable): the writers use client ids, so either is expected.
            assertThat(unexpected).as("only retryable or outcome-unknown StorageExceptions are allowed").isEmpty();
            assertThat(retryable.get()).isGreaterThanOrEqualTo(5);
            assertThat(executionRetryable.get()).isGreaterThanOrEqualTo(2);
            for (UUID id : ackedExecutions) {
                ExecutionTree tree = recorder.tree(id).orElseThrow(() -> new AssertionError("acknowledged execution " + id));
                assertThat(tree.execution().status()).as("acknowledged execution " + id).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(tree.steps()).singleElement().satisfies(st -> {
                    assertThat(st.status()).isEqualTo(ExecutionStatus.COMPLETED);
                    assertThat(st.toolCalls()).singleElement().extracting(ToolCall::result).isEqualTo("ok");
                });
            }
            // Executions cut off by the outage are closed by the sweep; nothing stays processing.
            recorder.sweepInterrupted(Duration.ZERO);
            assertThat(recorder.list(ExecutionQuery.all().status(ExecutionStatus.PROCESSING)).items()).isEmpty();
            for (UUID id : acked) {
                assertThat(store.getMessage(id)).as("acknowledged " + id).isPresent();
            }
            long last = store.require(conversation).lastSequence();
            assertThat(store.messages(conversation, 0, 1000).size() + (last > 1000 ? store.messages(conversation, 1000, 1000).size() : 0))
                    .isEqualTo((int) Math.min(last, 2000));
        } finally {
            stop.set(true);
            writers.shutdownNow();
            pg.close();
        }
    }
}
