package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The 100-name bounds hold for what a registry holds. A {@link CompositeMeterRegistry} and a registry inside it were
 * two bounds, so an app reporting through the composite beside another Atlas (or a library) using the registry directly
 * put 200 model names in it; and names admitted were never released, so once the meters of old models were removed
 * (a context restarted on a shared registry that it cleared), every new model landed under {@code (other)}.
 */
class Newcomer39MetricsBoundsTest {
    @TempDir
    Path dir;

    private static void run(Path db, MeterRegistry registry, int firstModel, int lastModel) {
        try (Atlas atlas = Atlas.builder().sqlite(db).executionListener(new AtlasMetrics(registry)).build()) {
            Tenant tenant = atlas.tenant("acme");
            for (int m = firstModel; m <= lastModel; m++) {
                String name = "name-" + m;
                tenant.executions().record(ExecutionSpec.text("provider-" + m, "model-" + m), exec -> {
                    exec.step().toolCall("c1", name, "{}").complete("ok");
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
        }
    }

    private static Set<String> tag(MeterRegistry registry, String meter, String tag) {
        return registry.find(meter).meters().stream().map(m -> m.getId().getTag(tag)).collect(Collectors.toSet());
    }

    private static Set<String> names(String prefix, int first, int last) {
        return IntStream.rangeClosed(first, last).mapToObj(i -> prefix + i).collect(Collectors.toSet());
    }

    @Test
    void aCompositeAndARegistryInsideItShareOneBound() {
        SimpleMeterRegistry inner = new SimpleMeterRegistry();
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(inner);
        run(dir.resolve("a.db"), composite, 0, 99);
        run(dir.resolve("b.db"), inner, 100, 149);
        assertThat(tag(inner, "atlas.executions", "model")).hasSize(101).contains("model-0", "model-99", AtlasMetrics.OTHER)
                .doesNotContain("model-100");
        assertThat(tag(inner, "atlas.tool.calls", "tool")).hasSize(101).doesNotContain("name-100");
        assertThat(tag(inner, "atlas.executions", "provider")).hasSize(101).doesNotContain("provider-100");
        assertThat(inner.get("atlas.executions").tags("model", AtlasMetrics.OTHER).counter().count()).isEqualTo(50.0);
    }

    @Test
    void aCompositeOverAFullRegistryAdmitsNoMoreNamesIntoIt() {
        SimpleMeterRegistry inner = new SimpleMeterRegistry();
        run(dir.resolve("a.db"), inner, 0, 99);
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        composite.add(inner);
        run(dir.resolve("b.db"), composite, 100, 149);
        assertThat(tag(inner, "atlas.executions", "model")).hasSize(101).doesNotContain("model-100");
        assertThat(tag(composite, "atlas.executions", "model")).containsExactly(AtlasMetrics.OTHER);
        assertThat(tag(inner, "atlas.tool.calls", "tool")).hasSize(101).doesNotContain("name-149");
    }

    @Test
    void namesWhoseMetersWereRemovedAreReleased() {
        MeterRegistry registry = new SimpleMeterRegistry();
        run(dir.resolve("a.db"), registry, 0, 99);
        // The meters of models 0 to 49 (and their tools) removed, as a context going away on a shared registry may do.
        Set<String> gone = names("model-", 0, 49);
        Set<String> goneTools = names("name-", 0, 49);
        List<Meter> removed = registry.getMeters().stream()
                .filter(m -> gone.contains(m.getId().getTag("model")) || goneTools.contains(m.getId().getTag("tool"))).toList();
        removed.forEach(registry::remove);
        run(dir.resolve("a.db"), registry, 100, 149);
        assertThat(tag(registry, "atlas.executions", "model")).hasSize(100).containsAll(names("model-", 50, 149));
        assertThat(tag(registry, "atlas.tool.calls", "tool")).hasSize(100).containsAll(names("name-", 50, 149));

        registry.clear();
        run(dir.resolve("a.db"), registry, 200, 299);
        assertThat(tag(registry, "atlas.executions", "model")).isEqualTo(names("model-", 200, 299));
        assertThat(tag(registry, "atlas.executions", "provider")).isEqualTo(names("provider-", 200, 299));
        assertThat(tag(registry, "atlas.tool.calls", "tool")).isEqualTo(names("name-", 200, 299));
    }
}
