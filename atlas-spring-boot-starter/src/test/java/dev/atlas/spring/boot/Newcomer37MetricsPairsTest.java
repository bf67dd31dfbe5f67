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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An app taking both the provider and the model from its users: each stays within its own bound of 100 names, yet every
 * provider-model combination was a meter of its own (30 providers by 30 models, 900 per status and token type, and
 * 101 by 101 at the bounds). The combinations are bounded too: the first 300 as they are, the model of any later one
 * {@code (other)} under its provider, every execution still counted.
 */
class Newcomer37MetricsPairsTest {
    @TempDir
    Path dir;

    @Test
    void providerModelCombinationsAreBounded() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).executionListener(new AtlasMetrics(registry)).build()) {
            Tenant tenant = atlas.tenant("acme");
            for (int p = 0; p < 30; p++) {
                for (int m = 0; m < 30; m++) {
                    tenant.executions().record(ExecutionSpec.text("provider-" + p, "model-" + m), exec -> {
                        exec.usage(Usage.of(10, 1));
                        return null;
                    });
                }
            }
        }
        List<String> combinations = registry.find("atlas.executions").counters().stream()
                .map(c -> c.getId().getTag("provider") + " " + c.getId().getTag("model")).distinct().toList();
        // Providers 0 to 9 with all their models (300), then providers 10 to 29 with their models under (other).
        assertThat(combinations).hasSize(320).contains("provider-9 model-29", "provider-10 (other)", "provider-29 (other)")
                .doesNotContain("provider-10 model-0");
        assertThat(registry.find("atlas.executions").counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(900.0);
        assertThat(registry.get("atlas.executions").tags("provider", "provider-29", "model", "(other)", "status", "completed")
                .counter().count()).isEqualTo(30.0);
    }
}
