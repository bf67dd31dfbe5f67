package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application's own meters under Atlas's names (an application named Atlas, another library): a registry keys a
 * meter by name and tags, so a meter of the same id but another type refuses Atlas's registration, and one of the same
 * type is shared, keeping the description and unit of whoever registered it first.
 */
class Newcomer41MetricsCollisionTest {
    @TempDir
    Path dir;

    @Test
    void aMeterOfAnotherTypeUnderOneOfAtlassIdsLeavesAtlassOtherMetersCounting() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Gauge.builder("atlas.executions", () -> 7).tags("provider", "openai", "model", "gpt-4o", "status", "completed").register(registry);
        Counter.builder("atlas.tokens").description("the application's").baseUnit("calls")
                .tags("provider", "openai", "model", "gpt-4o", "type", "output").register(registry).increment(1000);
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).executionListener(new AtlasMetrics(registry)).build()) {
            for (int i = 0; i < 2; i++) {
                atlas.tenant("acme").executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
        }
        // The application's gauge stays as it is; Atlas's other meters of the same executions count.
        assertThat(registry.get("atlas.executions").gauge().value()).isEqualTo(7.0);
        assertThat(registry.get("atlas.execution.duration").timer().count()).isEqualTo(2);
        assertThat(registry.get("atlas.tokens").tag("type", "input").counter().count()).isEqualTo(20.0);
        // Same id, same type: one meter, the first registration's description and unit, both counts in it.
        Counter output = registry.get("atlas.tokens").tag("type", "output").counter();
        assertThat(output.count()).isEqualTo(1002.0);
        assertThat(output.getId().getDescription()).isEqualTo("the application's");
        assertThat(output.getId().getBaseUnit()).isEqualTo("calls");
    }
}
