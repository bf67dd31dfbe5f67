package dev.atlas.spring.boot;

import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallType;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Releasing the names no meter carries must spare a name another thread has just admitted and not yet registered.
 * Released in that moment, its meter still appears, so the registry holds one name over the bound for good, and every
 * later call of that tool is counted under {@code (other)} beside the tool's own meter: one tool split in two series.
 */
class Newcomer39MetricsReleaseRaceTest {

    private static ToolCall call(String name) {
        return new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, name, ToolCallType.LOCAL, "{}", "ok",
                ExecutionStatus.COMPLETED, null, Instant.EPOCH, Instant.EPOCH, 0L, Map.of());
    }

    private static Set<String> tools(MeterRegistry registry) {
        return registry.find("atlas.tool.calls").meters().stream().map(m -> m.getId().getTag("tool")).collect(Collectors.toSet());
    }

    private static void removeTool(MeterRegistry registry, String tool) {
        registry.getMeters().stream().filter(m -> tool.equals(m.getId().getTag("tool"))).toList().forEach(registry::remove);
    }

    @Test
    void aNameAdmittedWhileAnotherThreadReleasesKeepsItsMeterAndItsBound() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CountDownLatch registering = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        AtomicBoolean armed = new AtomicBoolean(true);
        // Holds the first registration of tool "x" between its admission and its meter landing in the registry.
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if ("x".equals(id.getTag("tool")) && armed.compareAndSet(true, false)) {
                    registering.countDown();
                    try {
                        go.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return id;
            }
        });
        AtlasMetrics metrics = new AtlasMetrics(registry);
        IntStream.range(0, 100).forEach(i -> metrics.toolCallFinished("acme", call("tool-" + i)));
        removeTool(registry, "tool-0");

        Thread first = new Thread(() -> metrics.toolCallFinished("acme", call("x")));
        first.start();
        assertThat(registering.await(30, TimeUnit.SECONDS)).isTrue();
        // "x" took the room tool-0 left; tool-1 leaves room for exactly one more name.
        removeTool(registry, "tool-1");
        metrics.toolCallFinished("acme", call("y"));
        metrics.toolCallFinished("acme", call("z"));
        go.countDown();
        first.join(30_000);
        assertThat(first.isAlive()).isFalse();
        metrics.toolCallFinished("acme", call("x"));

        Set<String> expected = IntStream.range(2, 100).mapToObj(i -> "tool-" + i).collect(Collectors.toCollection(HashSet::new));
        expected.addAll(Set.of("x", "y", AtlasMetrics.OTHER));
        assertThat(tools(registry)).isEqualTo(expected);
        assertThat(registry.get("atlas.tool.calls").tag("tool", "x").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("atlas.tool.calls").tag("tool", AtlasMetrics.OTHER).counter().count()).isEqualTo(1.0);
    }
}
