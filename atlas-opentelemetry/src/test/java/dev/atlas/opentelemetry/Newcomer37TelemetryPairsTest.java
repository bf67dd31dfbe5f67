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
 * An app taking both the provider and the model from its users: each attribute stays within its bound of 100 names, yet
 * their combinations were series of their own, 101 by 101 at the bounds, five times the SDK's cardinality limit of
 * 2,000 per instrument, past which every new series, legitimate ones too, folds into one overflow point. The
 * combinations are bounded too: the first 300 as they are, the model of any later one {@code _OTHER}.
 */
class Newcomer37TelemetryPairsTest {
    @TempDir
    Path dir;

    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("gen_ai.token.type");

    @Test
    void providerModelCombinationsOfMetricsAreBounded() {
        try (Sdk sdk = new Sdk();
             Atlas atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
            Tenant tenant = atlas.tenant("acme");
            for (int p = 0; p < 30; p++) {
                for (int m = 0; m < 30; m++) {
                    tenant.executions().record(ExecutionSpec.text("provider-" + p, "model-" + m), exec -> {
                        exec.usage(Usage.of(10, 1));
                        return null;
                    });
                }
            }
            Collection<HistogramPointData> tokens = sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints();
            List<String> combinations = tokens.stream().filter(p -> "input".equals(p.getAttributes().get(TYPE)))
                    .map(p -> p.getAttributes().get(PROVIDER) + " " + p.getAttributes().get(MODEL)).distinct().toList();
            // Providers 0 to 9 with all their models (300), then providers 10 to 29 with their models as _OTHER.
            assertThat(combinations).hasSize(320).contains("provider-9 model-29", "provider-10 _OTHER", "provider-29 _OTHER")
                    .doesNotContain("provider-10 model-0");
            assertThat(tokens.stream().filter(p -> "input".equals(p.getAttributes().get(TYPE))).mapToLong(HistogramPointData::getCount).sum())
                    .isEqualTo(900L);
            assertThat(sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints()).hasSize(320);
        }
    }
}
