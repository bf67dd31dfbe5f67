package dev.atlas.spring.boot;

import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallType;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AtlasMetrics} keeps the registries a composite reaches between events, rather than looking each one's bounds
 * up under a lock on every event: a member added to the composite (also inside a nested composite) or removed from it
 * after the first events must still be what the next event's bounds are checked against.
 */
class Newcomer40MetricsMembersTest {

    private static ToolCall call(String name) {
        return new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, name, ToolCallType.LOCAL, "{}", "ok",
                ExecutionStatus.COMPLETED, null, Instant.EPOCH, Instant.EPOCH, 0L, Map.of());
    }

    private static void calls(AtlasMetrics metrics, int first, int last) {
        IntStream.rangeClosed(first, last).forEach(i -> metrics.toolCallFinished("acme", call("tool-" + i)));
    }

    private static Set<String> tools(MeterRegistry registry) {
        return registry.find("atlas.tool.calls").meters().stream().map(m -> m.getId().getTag("tool")).collect(Collectors.toSet());
    }

    private static Set<String> names(int first, int last) {
        return IntStream.rangeClosed(first, last).mapToObj(i -> "tool-" + i).collect(Collectors.toCollection(HashSet::new));
    }

    @Test
    void membersAddedAndRemovedAfterTheFirstEventsBoundTheNextOnes() {
        CompositeMeterRegistry outer = new CompositeMeterRegistry();
        CompositeMeterRegistry nested = new CompositeMeterRegistry();
        outer.add(nested);
        AtlasMetrics throughOuter = new AtlasMetrics(outer);
        calls(throughOuter, 0, 9);

        // A registry another Atlas filled with 100 names of its own joins the nested composite.
        SimpleMeterRegistry full = new SimpleMeterRegistry();
        calls(new AtlasMetrics(full), 100, 199);
        nested.add(full);
        calls(throughOuter, 10, 19);
        // It received the composite's meters of tools 0 to 9 when it joined: past its bound, since those meters exist.
        Set<String> fullNames = names(100, 199);
        fullNames.addAll(names(0, 9));
        fullNames.add(AtlasMetrics.OTHER);
        assertThat(tools(full)).isEqualTo(fullNames);
        assertThat(full.get("atlas.tool.calls").tag("tool", AtlasMetrics.OTHER).counter().count()).isEqualTo(10.0);

        // Once it left, the composite has room again for its own 100.
        nested.remove(full);
        calls(throughOuter, 20, 29);
        assertThat(tools(outer)).containsAll(names(0, 9)).containsAll(names(20, 29)).doesNotContainAnyElementsOf(names(10, 19));
        assertThat(tools(full)).isEqualTo(fullNames);
    }
}
