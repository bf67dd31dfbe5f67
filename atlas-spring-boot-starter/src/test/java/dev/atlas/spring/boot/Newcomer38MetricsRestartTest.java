package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bounds on model, provider, pair and tool tags hold per registry: a context restarted in one JVM on a shared
 * {@link MeterRegistry}, or a second Atlas reporting to the same registry, builds a new {@link AtlasMetrics}, which
 * counted its own 100 names again, so the registry held 200 model names (and 200 tool names) where 100 were promised.
 */
class Newcomer38MetricsRestartTest {
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

    @Test
    void boundsHoldAcrossInstancesOnOneRegistry() {
        MeterRegistry registry = new SimpleMeterRegistry();
        run(dir.resolve("a.db"), registry, 0, 99);      // the first context: 100 names, all as they are
        run(dir.resolve("a.db"), registry, 50, 149);    // restarted on the same registry: 50 known, 50 new
        run(dir.resolve("b.db"), registry, 150, 159);   // another Atlas on the registry: all new

        Set<String> models = tag(registry, "atlas.executions", "model");
        assertThat(models).hasSize(101).contains("model-0", "model-99", AtlasMetrics.OTHER).doesNotContain("model-100", "model-150");
        assertThat(tag(registry, "atlas.executions", "provider")).hasSize(101).contains("provider-99", AtlasMetrics.OTHER)
                .doesNotContain("provider-100");
        assertThat(tag(registry, "atlas.tool.calls", "tool")).hasSize(101).contains("name-0", "name-99", AtlasMetrics.OTHER)
                .doesNotContain("name-100");
        // Every execution and tool call still counted: 100 + 100 + 10.
        assertThat(registry.find("atlas.executions").counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(210.0);
        assertThat(registry.find("atlas.tool.calls").counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(210.0);
        // The names the first context admitted stay as they are after the restart (model-50..99 ran twice).
        assertThat(registry.get("atlas.executions").tags("model", "model-60", "status", "completed").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("atlas.executions").tags("provider", AtlasMetrics.OTHER, "model", AtlasMetrics.OTHER)
                .counter().count()).isEqualTo(60.0);
    }

    @Test
    void aNewRegistryStartsItsOwnBound() {
        run(dir.resolve("a.db"), new SimpleMeterRegistry(), 0, 99);
        MeterRegistry fresh = new SimpleMeterRegistry();
        run(dir.resolve("a.db"), fresh, 100, 199);
        assertThat(tag(fresh, "atlas.executions", "model")).hasSize(100).contains("model-100", "model-199");
    }
}
