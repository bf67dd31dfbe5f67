package dev.atlas.spring.boot;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallType;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
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
 * A {@link MeterFilter} that renames Atlas's meters or their tags (an application prefixing its meters, or a tag
 * renamed to its backend's convention) must neither stop the bounded names from being released once their meters are
 * gone, nor release names whose meters are still there. Atlas knew its meters by their names and tag keys: a renamed
 * meter's removal went unnoticed, so after a restart on a cleared registry every new model or tool counted under
 * {@code (other)}; and a renamed tag key read as no name at all, so a release dropped every name still in use and the
 * registry took 100 more.
 */
class Newcomer40MetricsFilterTest {

    private static final MeterFilter PREFIX = new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id id) {
            return id.getName().startsWith("atlas.") ? id.withName("app." + id.getName()) : id;
        }
    };

    private static ToolCall call(String name) {
        return new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, name, ToolCallType.LOCAL, "{}", "ok",
                ExecutionStatus.COMPLETED, null, Instant.EPOCH, Instant.EPOCH, 0L, Map.of());
    }

    private static Execution execution(String provider, String model) {
        Instant t = Instant.parse("2026-12-07T10:00:00Z");
        return new Execution(UUID.randomUUID(), "acme", null, null, ExecutionType.TEXT, provider, model, null,
                ExecutionStatus.COMPLETED, Usage.of(10, 1), null, null, Map.of(), null, t, t.plusMillis(5), 5L, null, t, t);
    }

    private static void run(AtlasMetrics metrics, int first, int last) {
        for (int i = first; i <= last; i++) {
            metrics.completed("acme", execution("provider-" + i, "model-" + i));
            metrics.toolCallFinished("acme", call("tool-" + i));
        }
    }

    private static Set<String> tag(MeterRegistry registry, String meter, String tag) {
        return registry.find(meter).meters().stream().map(m -> m.getId().getTag(tag)).collect(Collectors.toSet());
    }

    private static Set<String> names(String prefix, int first, int last) {
        return IntStream.rangeClosed(first, last).mapToObj(i -> prefix + i).collect(Collectors.toCollection(HashSet::new));
    }

    private static Set<String> withOther(Set<String> names) {
        names.add(AtlasMetrics.OTHER);
        return names;
    }

    @Test
    void renamedMetersReleaseTheirNamesOnceRemoved() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(PREFIX);
        run(new AtlasMetrics(registry), 0, 99);
        assertThat(tag(registry, "app.atlas.executions", "model")).isEqualTo(names("model-", 0, 99));

        // A context restarted on the shared registry, which cleared its meters.
        registry.clear();
        run(new AtlasMetrics(registry), 200, 299);
        assertThat(tag(registry, "app.atlas.executions", "model")).isEqualTo(names("model-", 200, 299));
        assertThat(tag(registry, "app.atlas.executions", "provider")).isEqualTo(names("provider-", 200, 299));
        assertThat(tag(registry, "app.atlas.tool.calls", "tool")).isEqualTo(names("tool-", 200, 299));
    }

    @Test
    void metersRenamedWithoutTheirDescriptionReleaseTheirNames() {
        // A filter building a new id (its own naming scheme) keeps neither the name nor the description.
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().startsWith("atlas.")
                        ? new Meter.Id("app." + id.getName(), Tags.of(id.getTags()), id.getBaseUnit(), null, id.getType())
                        : id;
            }
        });
        run(new AtlasMetrics(registry), 0, 99);
        registry.clear();
        run(new AtlasMetrics(registry), 200, 299);
        assertThat(tag(registry, "app.atlas.executions", "model")).isEqualTo(names("model-", 200, 299));
        assertThat(tag(registry, "app.atlas.tool.calls", "tool")).isEqualTo(names("tool-", 200, 299));
    }

    @Test
    void renamedMetersOfACompositeMemberReleaseTheirNames() {
        SimpleMeterRegistry member = new SimpleMeterRegistry();
        member.config().meterFilter(PREFIX);
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(member);
        run(new AtlasMetrics(composite), 0, 99);

        // The member cleared (a backend's registry reset), the composite's meters removed with it.
        member.clear();
        composite.clear();
        run(new AtlasMetrics(composite), 200, 299);
        assertThat(tag(member, "app.atlas.executions", "model")).isEqualTo(names("model-", 200, 299));
        assertThat(tag(member, "app.atlas.tool.calls", "tool")).isEqualTo(names("tool-", 200, 299));
    }

    @Test
    void renamedTagKeysKeepTheBoundWhileTheirMetersLive() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.config().meterFilter(MeterFilter.renameTag("atlas", "model", "gen_ai.request.model"));
        registry.config().meterFilter(MeterFilter.renameTag("atlas", "tool", "gen_ai.tool.name"));
        AtlasMetrics metrics = new AtlasMetrics(registry);
        run(metrics, 0, 99);
        // The meters of models and tools 0 to 49 removed: 50 names are free, the other 50 are still in use.
        Set<String> gone = names("model-", 0, 49);
        Set<String> goneTools = names("tool-", 0, 49);
        registry.getMeters().stream()
                .filter(m -> gone.contains(m.getId().getTag("gen_ai.request.model")) || goneTools.contains(m.getId().getTag("gen_ai.tool.name")))
                .toList().forEach(registry::remove);

        run(metrics, 100, 199);
        assertThat(tag(registry, "atlas.executions", "gen_ai.request.model")).isEqualTo(withOther(names("model-", 50, 149)));
        assertThat(tag(registry, "atlas.tool.calls", "gen_ai.tool.name")).isEqualTo(withOther(names("tool-", 50, 149)));
        assertThat(registry.get("atlas.executions").tag("gen_ai.request.model", AtlasMetrics.OTHER).counters())
                .singleElement().satisfies(c -> assertThat(c.count()).isEqualTo(50.0));
    }

    @Test
    void renamedTagKeysInACompositeMemberReleaseTheirNames() {
        // Spring Boot's layout with two backends: the MeterFilters on each registry inside the composite, not on it.
        SimpleMeterRegistry member = new SimpleMeterRegistry();
        member.config().meterFilter(MeterFilter.renameTag("atlas", "model", "gen_ai.request.model"));
        member.config().meterFilter(MeterFilter.renameTag("atlas", "tool", "gen_ai.tool.name"));
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(member);
        AtlasMetrics metrics = new AtlasMetrics(composite);
        run(metrics, 0, 99);
        // The meters of models and tools 0 to 49 removed through the composite (so from the member too).
        Set<String> gone = names("model-", 0, 49);
        Set<String> goneTools = names("tool-", 0, 49);
        composite.getMeters().stream()
                .filter(m -> gone.contains(m.getId().getTag("model")) || goneTools.contains(m.getId().getTag("tool")))
                .toList().forEach(composite::remove);
        assertThat(tag(member, "atlas.executions", "gen_ai.request.model")).isEqualTo(names("model-", 50, 99));

        run(metrics, 100, 199);
        assertThat(tag(member, "atlas.executions", "gen_ai.request.model")).isEqualTo(withOther(names("model-", 50, 149)));
        assertThat(tag(member, "atlas.tool.calls", "gen_ai.tool.name")).isEqualTo(withOther(names("tool-", 50, 149)));
        assertThat(tag(composite, "atlas.executions", "model")).isEqualTo(withOther(names("model-", 50, 149)));
    }

    @Test
    void theApplicationsMetersWithoutADescriptionComeAndGo() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        run(new AtlasMetrics(registry), 0, 0);
        // Most meters have no description: knowing Atlas's by theirs must not break the application's registrations.
        registry.counter("app.requests", "uri", "/chat").increment();
        registry.remove(registry.get("app.requests").counter());
        registry.clear();
        run(new AtlasMetrics(registry), 1, 1);
        assertThat(registry.find("app.requests").meters()).isEmpty();
        assertThat(tag(registry, "atlas.executions", "model")).containsExactly("model-1");
    }
}
