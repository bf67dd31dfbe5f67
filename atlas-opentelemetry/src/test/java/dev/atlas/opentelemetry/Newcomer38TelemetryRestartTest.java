package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.Usage;
import dev.atlas.opentelemetry.AtlasTelemetryTest.Sdk;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metric bounds (100 model names, 100 providers, 300 pairs, then {@code _OTHER}) hold per meter provider: an app
 * restarting its context in one JVM on a shared {@code OpenTelemetry}, or running two Atlas instances on it, creates
 * a second {@link AtlasTelemetry}, which counted 100 names of its own, so the SDK held 200 model names.
 */
class Newcomer38TelemetryRestartTest {
    @TempDir
    Path dir;

    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("gen_ai.token.type");

    private static void run(Path db, Sdk sdk, int first, int last) {
        try (Atlas atlas = Atlas.builder().sqlite(db).executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
            Tenant tenant = atlas.tenant("acme");
            for (int m = first; m <= last; m++) {
                tenant.executions().record(ExecutionSpec.text("provider-" + m, "model-" + m), exec -> {
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
        }
    }

    private static Set<String> values(Sdk sdk, AttributeKey<String> key) {
        return sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints().stream()
                .filter(p -> "input".equals(p.getAttributes().get(TYPE))).map(p -> p.getAttributes().get(key))
                .collect(Collectors.toSet());
    }

    @Test
    void boundsHoldAcrossInstancesOnOneMeterProvider() {
        try (Sdk sdk = new Sdk()) {
            run(dir.resolve("a.db"), sdk, 0, 99);
            run(dir.resolve("a.db"), sdk, 50, 149);
            run(dir.resolve("b.db"), sdk, 150, 159);
            assertThat(values(sdk, MODEL)).hasSize(101).contains("model-0", "model-99", "_OTHER").doesNotContain("model-100");
            assertThat(values(sdk, PROVIDER)).hasSize(101).contains("provider-99", "_OTHER").doesNotContain("provider-100");
            assertThat(sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints().stream()
                    .filter(p -> "input".equals(p.getAttributes().get(TYPE))).mapToLong(HistogramPointData::getCount).sum())
                    .isEqualTo(210L);
        }
    }

    @Test
    void aNewMeterProviderStartsItsOwnBound() {
        try (Sdk first = new Sdk()) {
            run(dir.resolve("a.db"), first, 0, 99);
        }
        try (Sdk fresh = new Sdk()) {
            run(dir.resolve("a.db"), fresh, 100, 199);
            assertThat(values(fresh, MODEL)).hasSize(100).contains("model-100", "model-199");
        }
    }
}
