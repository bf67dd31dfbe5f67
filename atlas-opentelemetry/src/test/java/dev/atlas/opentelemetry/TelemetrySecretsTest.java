package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A credential's plaintext, revealed and then carried by an execution as an application might (in its tool arguments and
 * result, a step's text, failure texts and metadata), reaches no exported span or metric with the default telemetry: no
 * span name, attribute, status description, event or link, and no metric point's attributes. The SQLite URL's parameter
 * marked secret (a password parameter) reaches none either.
 */
class TelemetrySecretsTest {
    static final String PLAINTEXT = "sk-Zq9otelPlain";
    static final String URL_SECRET = "Zq9otelUrlPw";

    @TempDir
    Path dir;

    @Test
    void noSpanOrMetricCarriesACredentialsPlaintextOrTheUrlsSecret() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        try (AtlasTelemetryTest.Sdk sdk = new AtlasTelemetryTest.Sdk();
             Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite:" + dir.resolve("atlas.db") + "?password=" + URL_SECRET)
                     .credentialKeys(CredentialKeys.of("k1", key)).executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
            Tenant acme = atlas.tenant("acme");
            acme.credentials().upsert(Owner.user("alice"), "openai", PLAINTEXT);
            String secret = acme.credentials().require(Owner.user("alice"), "openai").reveal();
            assertThat(secret).isEqualTo(PLAINTEXT);
            acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").agent("support").metadata(java.util.Map.of("key", secret)), exec -> {
                StepHandle step = exec.step();
                step.toolCall("call_" + 1, "lookup", "{\"key\":\"" + secret + "\"}").complete("{\"echo\":\"" + secret + "\"}");
                step.toolCall("call_2", "charge", "{}").fail("401 for key " + secret);
                step.finish(secret, secret, FinishReason.TOOL_CALLS, Usage.of(10, 2));
                return null;
            });
            try {
                acme.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                    exec.step().fail("step failed with " + secret);
                    throw new IllegalStateException("provider refused " + secret);
                });
            } catch (IllegalStateException expected) {
                // the execution is recorded as failed
            }
            List<SpanData> spans = sdk.spans.getFinishedSpanItems();
            assertThat(spans).as("the executions and tool calls are traced").hasSizeGreaterThanOrEqualTo(4);
            List<String> shown = new ArrayList<>();
            for (SpanData s : spans) {
                shown.add(s.getName());
                shown.add(s.getAttributes().toString());
                shown.add(s.getStatus().toString());
                shown.add(s.getEvents().toString());
                shown.add(s.getLinks().toString());
                shown.add(s.getResource().toString());
            }
            sdk.metrics.collectAllMetrics().forEach(m -> shown.add(m.toString()));
            assertThat(String.join("\n", shown)).as("the spans are of the executions").contains("gpt-4o", "lookup")
                    .doesNotContain(PLAINTEXT).doesNotContain(URL_SECRET);
        }
    }
}
