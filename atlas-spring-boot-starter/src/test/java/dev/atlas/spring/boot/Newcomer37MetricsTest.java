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
 * A Spring Boot app that lets its users pick the model ({@code ChatOptions.builder().model(request.model())}) and the
 * provider: every name a user types is recorded as the execution's model (a call the provider refuses is recorded too,
 * failed). {@code AtlasMetrics} tagged each name as it is, so users could grow the {@code MeterRegistry} without bound
 * (each distinct tag set is a meter kept for the JVM's life, and a time series in the monitoring backend).
 */
class Newcomer37MetricsTest {
    @TempDir
    Path dir;

    @Test
    void modelAndProviderTagsAreBounded() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).executionListener(new AtlasMetrics(registry)).build()) {
            Tenant tenant = atlas.tenant("acme");
            tenant.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                exec.usage(Usage.of(10, 1));
                return null;
            });
            for (int i = 0; i < 150; i++) {
                int n = i;
                tenant.executions().record(ExecutionSpec.text("openai", "model-" + n), exec -> {
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
            for (int i = 0; i < 120; i++) {
                int n = i;
                tenant.executions().record(ExecutionSpec.text("provider-" + n, "gpt-4o"), exec -> {
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
        }
        List<String> models = registry.find("atlas.executions").counters().stream().map(c -> c.getId().getTag("model"))
                .distinct().sorted().toList();
        // The first 100 distinct model names as they are, every later one under "(other)".
        assertThat(models).hasSize(101).contains("model-0", "model-98", "gpt-4o", "(other)").doesNotContain("model-99", "model-149");
        List<String> providers = registry.find("atlas.executions").counters().stream().map(c -> c.getId().getTag("provider"))
                .distinct().sorted().toList();
        assertThat(providers).hasSize(101).contains("openai", "provider-0", "provider-98", "(other)").doesNotContain("provider-99");
        // Nothing is lost: every execution and token is still counted.
        assertThat(registry.find("atlas.executions").counters().stream().mapToDouble(c -> c.count()).sum()).isEqualTo(271.0);
        assertThat(registry.find("atlas.tokens").tag("type", "input").counters().stream().mapToDouble(c -> c.count()).sum())
                .isEqualTo(2710.0);
        assertThat(registry.get("atlas.executions").tags("provider", "openai", "model", "(other)", "status", "completed")
                .counter().count()).isEqualTo(51.0);
        assertThat(registry.get("atlas.executions").tags("provider", "(other)", "model", "gpt-4o", "status", "completed")
                .counter().count()).isEqualTo(21.0);
        assertThat(registry.get("atlas.execution.duration").tags("provider", "openai", "model", "(other)", "status", "completed")
                .timer().count()).isEqualTo(51L);
        assertThat(registry.find("atlas.tokens").meters()).hasSizeLessThanOrEqualTo(2 * 101 * 2);
    }
}
