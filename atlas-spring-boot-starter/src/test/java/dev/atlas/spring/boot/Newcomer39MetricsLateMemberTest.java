package dev.atlas.spring.boot;

import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallType;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A registry added to a composite after Atlas reported through it receives the composite's meters, 100 tool names of
 * them: those names count against its bound, whether the Atlas using that registry directly was built before the add or
 * after it. Otherwise the registry held the composite's 100 names and 100 more of its own.
 */
class Newcomer39MetricsLateMemberTest {

    private static ToolCall call(String name) {
        return new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, name, ToolCallType.LOCAL, "{}", "ok",
                ExecutionStatus.COMPLETED, null, Instant.EPOCH, Instant.EPOCH, 0L, Map.of());
    }

    private static Set<String> tools(MeterRegistry registry) {
        return registry.find("atlas.tool.calls").meters().stream().map(m -> m.getId().getTag("tool")).collect(Collectors.toSet());
    }

    private static Set<String> expected() {
        Set<String> names = IntStream.range(0, 100).mapToObj(i -> "tool-" + i).collect(Collectors.toSet());
        return java.util.stream.Stream.concat(names.stream(), java.util.stream.Stream.of(AtlasMetrics.OTHER)).collect(Collectors.toSet());
    }

    @Test
    void aRegistryAddedToACompositeCountsTheNamesItReceives() {
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        AtlasMetrics throughComposite = new AtlasMetrics(composite);
        IntStream.range(0, 100).forEach(i -> throughComposite.toolCallFinished("acme", call("tool-" + i)));

        SimpleMeterRegistry before = new SimpleMeterRegistry();
        AtlasMetrics builtBefore = new AtlasMetrics(before);
        composite.add(before);
        IntStream.range(100, 150).forEach(i -> builtBefore.toolCallFinished("acme", call("tool-" + i)));
        assertThat(tools(before)).isEqualTo(expected());

        SimpleMeterRegistry after = new SimpleMeterRegistry();
        composite.add(after);
        AtlasMetrics builtAfter = new AtlasMetrics(after);
        IntStream.range(100, 150).forEach(i -> builtAfter.toolCallFinished("acme", call("tool-" + i)));
        assertThat(tools(after)).isEqualTo(expected());
        assertThat(after.get("atlas.tool.calls").tag("tool", AtlasMetrics.OTHER).counter().count()).isEqualTo(50.0);
    }
}
