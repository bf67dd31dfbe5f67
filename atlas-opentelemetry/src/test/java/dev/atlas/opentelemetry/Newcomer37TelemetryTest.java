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
import java.util.Collection;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An app that lets its users pick the model records each typed name as the execution's model. docs/opentelemetry.md
 * promises bounded metric attributes, but {@code gen_ai.request.model} / {@code gen_ai.response.model} and
 * {@code gen_ai.provider.name} took every name as it was: one histogram series per name a user typed, kept by the SDK
 * until its cardinality limit (2,000 per instrument) folds every later series, the legitimate ones too, into one
 * overflow point.
 */
class Newcomer37TelemetryTest {
    @TempDir
    Path dir;

    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("gen_ai.token.type");

    @Test
    void modelAndProviderAttributesOfMetricsAreBounded() {
        try (Sdk sdk = new Sdk();
             Atlas atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
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
            Collection<HistogramPointData> tokens = sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints();
            List<String> models = tokens.stream().map(p -> p.getAttributes().get(MODEL)).distinct().sorted().toList();
            // The first 100 distinct names as they are, every later one as the conventions' "_OTHER".
            assertThat(models).hasSize(101).contains("gpt-4o", "model-0", "model-98", "_OTHER").doesNotContain("model-99", "model-149");
            assertThat(tokens).allSatisfy(p -> assertThat(p.getAttributes().get(RESPONSE_MODEL)).isEqualTo(p.getAttributes().get(MODEL)));
            List<String> providers = tokens.stream().map(p -> p.getAttributes().get(PROVIDER)).distinct().sorted().toList();
            assertThat(providers).hasSize(101).contains("openai", "provider-0", "provider-98", "_OTHER").doesNotContain("provider-99");
            // Nothing is lost: every execution's tokens are counted.
            assertThat(tokens.stream().filter(p -> "input".equals(p.getAttributes().get(TYPE))).mapToDouble(HistogramPointData::getSum).sum())
                    .isEqualTo(2710.0);
            assertThat(tokens.stream().filter(p -> "input".equals(p.getAttributes().get(TYPE)) && "_OTHER".equals(p.getAttributes().get(MODEL)))
                    .mapToLong(HistogramPointData::getCount).sum()).isEqualTo(51L);
            assertThat(tokens.stream().filter(p -> "input".equals(p.getAttributes().get(TYPE)) && "_OTHER".equals(p.getAttributes().get(PROVIDER)))
                    .mapToLong(HistogramPointData::getCount).sum()).isEqualTo(21L);
            Collection<HistogramPointData> durations = sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints();
            assertThat(durations.stream().mapToLong(HistogramPointData::getCount).sum()).isEqualTo(271L);
            assertThat(durations).hasSize(201);
        }
    }
}
