package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.Usage;
import dev.atlas.opentelemetry.AtlasTelemetryTest.Sdk;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.DoubleGaugeBuilder;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounterBuilder;
import io.opentelemetry.api.metrics.LongUpDownCounterBuilder;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metric bounds per meter provider (docs/opentelemetry.md) with an {@code OpenTelemetry} that hands out a new
 * {@link Meter} on every {@code getMeter}, as the OpenTelemetry Java agent's bridge does for an application's
 * {@code GlobalOpenTelemetry} ({@code ApplicationMeterProvider}: {@code new ApplicationMeter(...)} per call): a context
 * restarted on it, or a second Atlas, still shares the names admitted, so the provider holds 101 model names, not 160.
 */
class Newcomer38TelemetryBridgeTest {
    @TempDir
    Path dir;

    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("gen_ai.request.model");
    private static final AttributeKey<String> TYPE = AttributeKey.stringKey("gen_ai.token.type");

    /** A meter of the application's API wrapping the SDK's, a new one per call, as the agent's bridge makes them. */
    private record Bridged(Meter sdk) implements Meter {
        @Override
        public LongCounterBuilder counterBuilder(String name) {
            return sdk.counterBuilder(name);
        }

        @Override
        public LongUpDownCounterBuilder upDownCounterBuilder(String name) {
            return sdk.upDownCounterBuilder(name);
        }

        @Override
        public DoubleHistogramBuilder histogramBuilder(String name) {
            return sdk.histogramBuilder(name);
        }

        @Override
        public DoubleGaugeBuilder gaugeBuilder(String name) {
            return sdk.gaugeBuilder(name);
        }

        // A record's equals would make two wrappers of one SDK meter equal; the agent's wrappers are not.
        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(this);
        }
    }

    /** The agent's application OpenTelemetry: one meter provider, whose meters are new wrappers each time. */
    private static OpenTelemetry bridged(Sdk sdk) {
        MeterProvider provider = name -> new MeterBuilder() {
            private final MeterBuilder delegate = sdk.otel.getMeterProvider().meterBuilder(name);

            @Override
            public MeterBuilder setSchemaUrl(String schemaUrl) {
                delegate.setSchemaUrl(schemaUrl);
                return this;
            }

            @Override
            public MeterBuilder setInstrumentationVersion(String version) {
                delegate.setInstrumentationVersion(version);
                return this;
            }

            @Override
            public Meter build() {
                return new Bridged(delegate.build());
            }
        };
        return new OpenTelemetry() {
            @Override
            public TracerProvider getTracerProvider() {
                return sdk.otel.getTracerProvider();
            }

            @Override
            public MeterProvider getMeterProvider() {
                return provider;
            }

            @Override
            public ContextPropagators getPropagators() {
                return sdk.otel.getPropagators();
            }
        };
    }

    private static void run(Path db, OpenTelemetry otel, int first, int last) {
        try (Atlas atlas = Atlas.builder().sqlite(db).executionListener(AtlasTelemetry.create(otel)).build()) {
            Tenant tenant = atlas.tenant("acme");
            for (int m = first; m <= last; m++) {
                tenant.executions().record(ExecutionSpec.text("provider", "model-" + m), exec -> {
                    exec.usage(Usage.of(10, 1));
                    return null;
                });
            }
        }
    }

    @Test
    void boundsHoldAcrossInstancesWhenEveryGetMeterGivesANewMeter() {
        try (Sdk sdk = new Sdk()) {
            OpenTelemetry otel = bridged(sdk);
            assertThat(otel.getMeter("x")).isNotSameAs(otel.getMeter("x"));
            run(dir.resolve("a.db"), otel, 0, 99);
            run(dir.resolve("a.db"), otel, 100, 159);
            Set<String> models = sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints().stream()
                    .filter(p -> "input".equals(p.getAttributes().get(TYPE))).map(p -> p.getAttributes().get(MODEL))
                    .collect(Collectors.toSet());
            assertThat(models).hasSize(101).contains("model-0", "model-99", "_OTHER").doesNotContain("model-100");
        }
    }
}
