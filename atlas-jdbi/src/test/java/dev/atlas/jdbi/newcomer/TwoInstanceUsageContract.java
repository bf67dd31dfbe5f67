package dev.atlas.jdbi.newcomer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.retention.RetentionPolicy;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two Atlas instances on one database (as two JVMs would be) writing usage and costs while one of them runs retention,
 * and a price created while a run is in flight. Every outcome is exact: the writes of both instances all land, retention
 * removes exactly the old finished detached executions, and the report adds up to the records.
 */
public abstract class TwoInstanceUsageContract extends AtlasContract {
    private static final Instant JAN = Instant.parse("2026-01-01T00:00:00Z");

    protected TwoInstanceUsageContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("two instances record 2 x 40 executions with usage while the second purges old detached executions: every new one"
            + " kept with its exact cost, every old finished one purged, the old run still in flight kept and billed at the price"
            + " created while it ran; the report equals the records")
    void twoInstancesWriteUsageWhileOneRunsRetention() throws Exception {
        clock.set(JAN.plus(Duration.ofDays(1)));
        Tenant a = atlas.tenant("acme");
        a.prices().create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        List<Execution> old = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ExecutionHandle h = a.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
            h.usage(Usage.of(1000, 10));
            old.add(h.complete());
        }
        ExecutionHandle inFlight = a.executions().start(ExecutionSpec.text("anthropic", "claude"));
        Instant started = clock.instant();
        clock.set(JAN.plus(Duration.ofDays(40)));
        Atlas second = reopen(b -> b.clock(clock));
        Tenant b = second.tenant("acme");
        // A price for the in-flight run's model, valid from before it started, created while it runs.
        b.prices().create(ModelPrice.of("anthropic", "claude", "3", "15", JAN));
        CyclicBarrier go = new CyclicBarrier(3);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<List<Execution>>> writers = new ArrayList<>();
            for (Tenant t : List.of(a, b)) {
                writers.add(pool.submit(() -> {
                    go.await(30, TimeUnit.SECONDS);
                    List<Execution> done = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        ExecutionHandle h = t.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
                        h.usage(Usage.of(1234, 567));
                        done.add(h.complete());
                    }
                    return done;
                }));
            }
            Future<Integer> purged = pool.submit(() -> {
                go.await(30, TimeUnit.SECONDS);
                int n = 0;
                for (int i = 0; i < 5; i++) {
                    n += (int) b.retention().runRetention(RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofDays(30)))
                            .count("executions.deleted");
                }
                return n;
            });
            List<Execution> fresh = new ArrayList<>();
            for (Future<List<Execution>> w : writers) {
                fresh.addAll(w.get(120, TimeUnit.SECONDS));
            }
            assertThat(purged.get(120, TimeUnit.SECONDS)).isEqualTo(10);
            for (Execution e : old) {
                assertThat(a.executions().get(e.id())).isEmpty();
            }
            for (Execution e : fresh) {
                assertThat(b.executions().require(e.id()).cost().toPlainString()).isEqualTo("0.008755");
            }
        } finally {
            pool.shutdownNow();
        }
        inFlight.usage(Usage.of(1_000_000, 0));
        Execution billed = inFlight.complete();
        assertThat(billed.createdAt()).isEqualTo(started);
        assertThat(billed.cost().toPlainString()).isEqualTo("3");
        List<UsageRow> report = a.executions().usageReport(UsageGroup.MODEL, JAN, clock.instant().plusSeconds(1));
        assertThat(report).extracting(UsageRow::group, UsageRow::executions, r -> r.cost().toPlainString())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("anthropic/claude", 1L, "3"),
                        org.assertj.core.groups.Tuple.tuple("openai/gpt-4o", 80L, new BigDecimal("0.008755").multiply(BigDecimal.valueOf(80)).stripTrailingZeros().toPlainString()));
    }
}
