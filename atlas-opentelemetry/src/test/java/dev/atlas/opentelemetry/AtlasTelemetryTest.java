package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCallType;
import dev.atlas.execution.Usage;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Spans and metrics of a real SQLite Atlas, read from the OpenTelemetry SDK's in-memory exporters. */
class AtlasTelemetryTest {
    private static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123456Z");

    /** A clock the test moves by hand, so every stored time (and span time) is exact. */
    static final class HandClock extends Clock {
        volatile Instant now = T0;

        void advanceMillis(long ms) {
            now = now.plusMillis(ms);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** An SDK with in-memory span and metric exporters. */
    static final class Sdk implements AutoCloseable {
        final InMemorySpanExporter spans = InMemorySpanExporter.create();
        final InMemoryMetricReader metrics = InMemoryMetricReader.create();
        final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .build();

        SpanData span(String name) {
            return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).reduce((a, b) -> {
                throw new AssertionError("two spans named " + name);
            }).orElseThrow(() -> new AssertionError("no span named " + name + " in " + spans.getFinishedSpanItems()));
        }

        MetricData metric(String name) {
            return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no metric " + name));
        }

        @Override
        public void close() {
            otel.close();
        }
    }

    @TempDir
    Path dir;
    final HandClock clock = new HandClock();
    final Sdk sdk = new Sdk();
    AtlasTelemetry telemetry;
    Atlas atlas;
    Tenant acme;

    @BeforeEach
    void open() {
        telemetry = AtlasTelemetry.create(sdk.otel);
        atlas = Atlas.builder().sqlite(dir.resolve("atlas.db")).clock(clock).executionListener(telemetry).build();
        acme = atlas.tenant("acme");
        acme.prices().set(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
    }

    @AfterEach
    void close() {
        atlas.close();
        sdk.close();
    }

    private static long nanos(Instant t) {
        return TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
    }

    /** The tool loop of docs/executions.md: one tool call in step 1, the answer in step 2. 100 ms in all. */
    private UUID toolLoop(Conversation c) {
        UUID[] id = new UUID[1];
        acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(c.id()), exec -> {
            id[0] = exec.id();
            StepHandle step = exec.step();
            clock.advanceMillis(40);
            StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup_order", "{\"order\":1234}");
            clock.advanceMillis(10);
            call.complete("{\"status\":\"shipped\"}");
            step.finish(null, FinishReason.TOOL_CALLS);
            StepHandle last = exec.step();
            clock.advanceMillis(50);
            last.finish("It shipped.", FinishReason.STOP);
            exec.usage(Usage.of(1200, 30).cached(800).reasoning(10));
            exec.providerResponseId("chatcmpl-42");
            return "It shipped.";
        });
        return id[0];
    }

    @Test
    @DisplayName("an execution's end heard before its start (another thread cancelled it between the start's commit and its"
            + " listeners): one span, ended; none left running")
    void endHeardBeforeStart() {
        dev.atlas.execution.ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        dev.atlas.execution.Execution started = acme.executions().get(run.id()).orElseThrow(); // as its started carries it
        clock.advanceMillis(5);
        run.cancel();
        dev.atlas.execution.Execution cancelled = acme.executions().get(run.id()).orElseThrow();

        // Another listener, told the two events the other way round.
        try (Sdk late = new Sdk()) {
            AtlasTelemetry heard = AtlasTelemetry.create(late.otel);
            heard.cancelled("acme", cancelled);
            heard.started("acme", started);

            assertThat(heard.runningSpans()).isZero();
            assertThat(late.spans.getFinishedSpanItems()).extracting(s -> s.getName() + " " + s.getAttributes().get(GenAi.ATLAS_EXECUTION_STATUS))
                    .containsExactly("chat gpt-4o cancelled");
        }
    }

    @Test
    @DisplayName("an execution imported into another tenant keeps its id: both running at once, each has its own span"
            + " (its tenant, status, finish reasons) and its own tool calls under it, one finishing after its execution too")
    void sameExecutionIdInTwoTenants() {
        Tenant globex = atlas.tenant("globex");
        UUID id = acme.executions().create(ExecutionSpec.text("openai", "gpt-4o")).id();
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        acme.portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
        globex.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray()));

        dev.atlas.execution.ExecutionHandle a = acme.executions().resume(id);
        dev.atlas.execution.ExecutionHandle g = globex.executions().resume(id);
        StepHandle stepA = a.step();
        StepHandle.ToolCallHandle callA = stepA.toolCall("call_a", "lookup_order", "{}");
        StepHandle.ToolCallHandle lateA = stepA.toolCall("call_a2", "lookup_order", "{}");
        StepHandle stepG = g.step();
        StepHandle.ToolCallHandle callG = stepG.toolCall("call_g", "lookup_order", "{}");
        clock.advanceMillis(10);
        callA.complete("\"a\"");
        stepA.finish(null, FinishReason.TOOL_CALLS);
        a.complete();
        callG.complete("\"g\"");
        stepG.finish("done", FinishReason.STOP);
        g.fail("boom");
        lateA.complete("\"a2\""); // after both executions ended, as LangChain4j's tool calls complete

        List<SpanData> runs = sdk.spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("chat gpt-4o"))
                .sorted(Comparator.comparing(s -> s.getAttributes().get(GenAi.ATLAS_TENANT_ID))).toList();
        assertThat(runs).extracting(s -> s.getAttributes().get(GenAi.ATLAS_TENANT_ID) + " " + s.getAttributes().get(GenAi.ATLAS_EXECUTION_ID)
                + " " + s.getAttributes().get(GenAi.ATLAS_EXECUTION_STATUS) + " " + s.getAttributes().get(GenAi.RESPONSE_FINISH_REASONS)
                + " " + s.getStatus().getStatusCode())
                .containsExactly("acme " + id + " completed [tool_calls] UNSET", "globex " + id + " failed [stop] ERROR");
        assertThat(runs.get(0).getSpanId()).isNotEqualTo(runs.get(1).getSpanId());
        List<SpanData> tools = sdk.spans.getFinishedSpanItems().stream().filter(s -> s.getAttributes().get(GenAi.TOOL_CALL_ID) != null)
                .sorted(Comparator.comparing(s -> s.getAttributes().get(GenAi.TOOL_CALL_ID))).toList();
        assertThat(tools).extracting(s -> s.getAttributes().get(GenAi.TOOL_CALL_ID) + " " + s.getAttributes().get(GenAi.ATLAS_TENANT_ID)
                + " " + s.getParentSpanId())
                .containsExactly("call_a acme " + runs.get(0).getSpanId(), "call_a2 acme " + runs.get(0).getSpanId(),
                        "call_g globex " + runs.get(1).getSpanId());
        assertThat(telemetry.runningSpans()).isZero();
    }

    @Test
    @DisplayName("a tool loop is one CLIENT span under the application's span, with a tool span inside, at the stored times")
    void liveSpans() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Span app = sdk.otel.getTracer("app").spanBuilder("handle request").startSpan();
        UUID id;
        try (Scope ignored = app.makeCurrent()) {
            id = toolLoop(c);
        } finally {
            app.end();
        }
        SpanData appSpan = sdk.span("handle request");
        SpanData chat = sdk.span("chat gpt-4o");
        SpanData tool = sdk.span("execute_tool lookup_order");
        assertThat(sdk.spans.getFinishedSpanItems()).hasSize(3);

        assertThat(chat.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(chat.getTraceId()).isEqualTo(appSpan.getTraceId());
        assertThat(chat.getParentSpanId()).isEqualTo(appSpan.getSpanId());
        assertThat(chat.getStartEpochNanos()).isEqualTo(nanos(T0));
        assertThat(chat.getEndEpochNanos()).isEqualTo(nanos(T0.plusMillis(100)));
        assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(chat.getInstrumentationScopeInfo().getName()).isEqualTo("dev.atlas.opentelemetry");
        assertThat(chat.getAttributes().asMap()).isEqualTo(Attributes.builder()
                .put("gen_ai.operation.name", "chat")
                .put("gen_ai.provider.name", "openai")
                .put("gen_ai.request.model", "gpt-4o")
                .put("gen_ai.response.model", "gpt-4o")
                .put("gen_ai.response.id", "chatcmpl-42")
                .put("gen_ai.response.finish_reasons", new String[] {"tool_calls", "stop"})
                .put("gen_ai.usage.input_tokens", 2000L)
                .put("gen_ai.usage.output_tokens", 30L)
                .put("gen_ai.usage.cache_read.input_tokens", 800L)
                .put("gen_ai.usage.reasoning.output_tokens", 10L)
                .put("gen_ai.conversation.id", c.id().toString())
                .put("gen_ai.agent.name", "support")
                .put("atlas.cost", 0.0053)
                .put("atlas.tenant.id", "acme")
                .put("atlas.execution.id", id.toString())
                .put("atlas.execution.type", "text")
                .put("atlas.execution.status", "completed")
                .build().asMap());

        assertThat(tool.getKind()).isEqualTo(SpanKind.INTERNAL);
        assertThat(tool.getTraceId()).isEqualTo(appSpan.getTraceId());
        assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
        assertThat(tool.getStartEpochNanos()).isEqualTo(nanos(T0.plusMillis(40)));
        assertThat(tool.getEndEpochNanos()).isEqualTo(nanos(T0.plusMillis(50)));
        assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        UUID callId = acme.executions().tree(id).orElseThrow().toolCalls().get(0).id();
        assertThat(tool.getAttributes().asMap()).isEqualTo(Attributes.builder()
                .put("gen_ai.operation.name", "execute_tool")
                .put("gen_ai.tool.name", "lookup_order")
                .put("gen_ai.tool.call.id", "call_1")
                .put("gen_ai.tool.type", "function")
                .put("atlas.tenant.id", "acme")
                .put("atlas.tool_call.id", callId.toString())
                .build().asMap());
    }

    @Test
    @DisplayName("a failed execution and a failed tool call are ERROR spans, with the stored error as description only when"
            + " create(openTelemetry, maxRunningSpans, true) asked for it; no current span makes a root span")
    void failedSpans() {
        IOException boom = new IOException("provider timed out");
        assertThatThrownBy(() -> acme.executions().record(ExecutionSpec.of(dev.atlas.execution.ExecutionType.EMBED, "openai",
                "text-embedding-3-small"), exec -> {
            StepHandle step = exec.step();
            clock.advanceMillis(5);
            step.toolCall(new NewToolCall(null, "web_search", ToolCallType.PROVIDER, "{}")).fail("quota exceeded");
            clock.advanceMillis(20);
            throw boom;
        })).isSameAs(boom);

        SpanData call = sdk.span("embeddings text-embedding-3-small");
        assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(call.getParentSpanContext().isValid()).isFalse();
        assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(call.getStatus().getDescription()).isEmpty();
        assertThat(call.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("error.type"))).isEqualTo("_OTHER");
        assertThat(call.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("atlas.execution.status"))).isEqualTo("failed");
        assertThat(call.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("gen_ai.usage.input_tokens"))).isNull();
        assertThat(call.getEndEpochNanos()).isEqualTo(nanos(T0.plusMillis(25)));

        SpanData tool = sdk.span("execute_tool web_search");
        assertThat(tool.getParentSpanId()).isEqualTo(call.getSpanId());
        assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(tool.getStatus().getDescription()).isEmpty();
        assertThat(tool.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("gen_ai.tool.type"))).isEqualTo("extension");
        assertThat(tool.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("gen_ai.tool.call.id"))).isNull();
        assertThat(tool.getStartEpochNanos()).isEqualTo(nanos(T0.plusMillis(5)));
        assertThat(tool.getEndEpochNanos()).isEqualTo(nanos(T0.plusMillis(5)));

        HistogramPointData failedDuration = sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints().iterator().next();
        assertThat(failedDuration.getAttributes()).isEqualTo(Attributes.builder()
                .put("gen_ai.operation.name", "embeddings")
                .put("gen_ai.provider.name", "openai")
                .put("gen_ai.request.model", "text-embedding-3-small")
                .put("gen_ai.response.model", "text-embedding-3-small")
                .put("error.type", "_OTHER")
                .build());
        assertThat(failedDuration.getSum()).isEqualTo(0.025);

        // Asked for, the stored errors are the descriptions (live and replayed alike: one code path).
        try (Sdk backfill = new Sdk()) {
            AtlasTelemetry withErrors = AtlasTelemetry.create(backfill.otel, AtlasTelemetry.DEFAULT_MAX_RUNNING_SPANS, true);
            assertThat(withErrors.replay(acme, T0, T0.plusSeconds(1))).isEqualTo(1);
            assertThat(backfill.span("embeddings text-embedding-3-small").getStatus().getDescription()).isEqualTo("provider timed out");
            assertThat(backfill.span("execute_tool web_search").getStatus().getDescription()).isEqualTo("quota exceeded");
        }
    }

    @Test
    @DisplayName("gen_ai.client.token.usage by token type and gen_ai.client.operation.duration in seconds, per finished call")
    void metrics() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        toolLoop(c);
        toolLoop(c);
        Attributes common = Attributes.builder()
                .put("gen_ai.operation.name", "chat")
                .put("gen_ai.provider.name", "openai")
                .put("gen_ai.request.model", "gpt-4o")
                .put("gen_ai.response.model", "gpt-4o")
                .build();

        MetricData tokens = sdk.metric("gen_ai.client.token.usage");
        assertThat(tokens.getUnit()).isEqualTo("{token}");
        Collection<HistogramPointData> points = tokens.getHistogramData().getPoints();
        assertThat(points).hasSize(2);
        HistogramPointData input = point(points, common.toBuilder().put("gen_ai.token.type", "input").build());
        HistogramPointData output = point(points, common.toBuilder().put("gen_ai.token.type", "output").build());
        assertThat(input.getCount()).isEqualTo(2);
        assertThat(input.getSum()).isEqualTo(4000.0);
        assertThat(output.getCount()).isEqualTo(2);
        assertThat(output.getSum()).isEqualTo(60.0);
        assertThat(input.getBoundaries()).containsExactly(1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0,
                1048576.0, 4194304.0, 16777216.0, 67108864.0);

        MetricData duration = sdk.metric("gen_ai.client.operation.duration");
        assertThat(duration.getUnit()).isEqualTo("s");
        HistogramPointData d = duration.getHistogramData().getPoints().iterator().next();
        assertThat(duration.getHistogramData().getPoints()).hasSize(1);
        assertThat(d.getAttributes()).isEqualTo(common);
        assertThat(d.getCount()).isEqualTo(2);
        assertThat(d.getSum()).isEqualTo(0.2);
        assertThat(d.getBoundaries()).containsExactly(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                40.96, 81.92);
    }

    private static HistogramPointData point(Collection<HistogramPointData> points, Attributes attributes) {
        return points.stream().filter(p -> p.getAttributes().equals(attributes)).findFirst()
                .orElseThrow(() -> new AssertionError("no point with " + attributes + " in " + points));
    }

    @Test
    @DisplayName("replay exports the stored executions of a time range exactly as the live export did, under the current span")
    void replay() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        toolLoop(c);                                               // created at T0
        clock.advanceMillis(1000);
        Instant second = clock.instant();
        toolLoop(c);                                               // created at T0 + 1.1 s
        clock.advanceMillis(1000);
        toolLoop(c);                                               // created at T0 + 2.2 s: outside the range below
        acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));   // still running: skipped
        List<SpanData> live = sdk.spans.getFinishedSpanItems().subList(2, 4);   // the second loop's tool and chat spans

        try (Sdk backfill = new Sdk()) {
            AtlasTelemetry replaying = AtlasTelemetry.create(backfill.otel);
            Span job = backfill.otel.getTracer("app").spanBuilder("backfill").startSpan();
            int exported;
            try (Scope ignored = job.makeCurrent()) {
                exported = replaying.replay(acme, second, second.plusMillis(1000));
            } finally {
                job.end();
            }
            assertThat(exported).isEqualTo(1);
            List<SpanData> replayed = backfill.spans.getFinishedSpanItems();
            assertThat(replayed).hasSize(3);
            SpanData jobSpan = backfill.span("backfill");
            SpanData chat = backfill.span("chat gpt-4o");
            SpanData tool = backfill.span("execute_tool lookup_order");
            assertThat(chat.getParentSpanId()).isEqualTo(jobSpan.getSpanId());
            assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
            for (SpanData l : live) {
                SpanData r = l.getName().equals(chat.getName()) ? chat : tool;
                assertThat(r.getKind()).isEqualTo(l.getKind());
                assertThat(r.getAttributes().asMap()).isEqualTo(l.getAttributes().asMap());
                assertThat(r.getStartEpochNanos()).isEqualTo(l.getStartEpochNanos());
                assertThat(r.getEndEpochNanos()).isEqualTo(l.getEndEpochNanos());
                assertThat(r.getStatus()).isEqualTo(l.getStatus());
            }
            assertThat(chat.getStartEpochNanos()).isEqualTo(nanos(second));
            assertThat(backfill.metrics.collectAllMetrics()).isEmpty();
        }
    }

    @Test
    @DisplayName("a cancelled run is a span with status cancelled; one cancelled before it started makes none")
    void cancelled() {
        var running = acme.executions().start(ExecutionSpec.text("anthropic", "claude-sonnet-4"));
        clock.advanceMillis(7);
        running.cancel();
        var pending = acme.executions().create(ExecutionSpec.text("anthropic", "claude-sonnet-4"));
        acme.executions().cancel(pending.id());

        assertThat(sdk.spans.getFinishedSpanItems()).hasSize(1);
        SpanData span = sdk.span("chat claude-sonnet-4");
        assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(7));
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("atlas.execution.status")))
                .isEqualTo("cancelled");
        assertThat(sdk.metrics.collectAllMetrics()).isEmpty();
    }

    /**
     * An empty range [t, t) exports nothing (it threw "to: must be after from", though replay
     * refuses only a {@code to} before {@code from}); a range wider than the storable years
     * (Instant.MIN to Instant.MAX, "everything") covers every stored execution instead of being
     * refused; one wholly outside them exports nothing.
     */
    @Test
    void emptyAndUnboundedRangesReplay() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        toolLoop(c);
        clock.advanceMillis(1000);
        toolLoop(c);
        try (Sdk backfill = new Sdk()) {
            AtlasTelemetry replaying = AtlasTelemetry.create(backfill.otel);
            assertThat(replaying.replay(acme, T0, T0)).isZero();
            assertThat(replaying.replay(acme, Instant.MAX, Instant.MAX)).isZero();
            assertThat(replaying.replay(acme, Instant.MIN, Instant.MIN)).isZero();
            assertThat(replaying.replay(acme, dev.atlas.Limits.MAX_INSTANT.plusNanos(1), Instant.MAX)).isZero();
            assertThat(replaying.replay(acme, Instant.MIN, dev.atlas.Limits.MIN_INSTANT)).isZero();
            assertThat(backfill.spans.getFinishedSpanItems()).isEmpty();
            assertThat(replaying.replay(acme, Instant.MIN, Instant.MAX)).isEqualTo(2);
            assertThat(backfill.spans.getFinishedSpanItems()).hasSize(4);
            assertThat(replaying.replay(acme, Instant.EPOCH, Instant.MAX)).isEqualTo(2);
            assertThat(replaying.replay(acme, Instant.MIN, T0.plusNanos(1_000))).isEqualTo(1);
        }
    }

    @Test
    void badArgumentsAreNamedBeforeAnythingIsExported() {
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-02T00:00:00Z");
        assertThatThrownBy(() -> AtlasTelemetry.create(null))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("openTelemetry"));
        assertThatThrownBy(() -> telemetry.replay(null, from, to))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("tenant"));
        assertThatThrownBy(() -> telemetry.replay(acme, to, from))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("to"))
                .hasMessage("to: must not be before from (2026-03-02T00:00:00Z), was 2026-03-01T00:00:00Z");
        assertThat(sdk.spans.getFinishedSpanItems()).isEmpty();
    }

    @Test
    @DisplayName("a tool call finished after its execution (LangChain4j completes tools once their results are stored) is still a child of the execution's span")
    void toolCallFinishedAfterItsExecution() {
        dev.atlas.execution.ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = exec.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_9", "lookup_order", "{}");
        clock.advanceMillis(20);
        step.finish(null, FinishReason.TOOL_CALLS);
        exec.complete();
        // On another thread with its own current span, as a tool result may arrive.
        Span other = sdk.otel.getTracer("app").spanBuilder("unrelated request").startSpan();
        try (Scope ignored = other.makeCurrent()) {
            clock.advanceMillis(30);
            call.complete("{\"status\":\"shipped\"}");
        } finally {
            other.end();
        }
        SpanData chat = sdk.span("chat gpt-4o");
        SpanData tool = sdk.span("execute_tool lookup_order");
        assertThat(tool.getTraceId()).isEqualTo(chat.getTraceId());
        assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
        assertThat(tool.getStartEpochNanos()).isEqualTo(nanos(T0));
        assertThat(tool.getEndEpochNanos()).isEqualTo(nanos(T0.plusMillis(50)));
    }

    @Test
    @DisplayName("with no SDK installed (the API's no-op, GlobalOpenTelemetry unset) every event and a replay run without error,"
            + " store the same and keep no span open")
    void noSdkInstalled() {
        io.opentelemetry.api.GlobalOpenTelemetry.resetForTest();
        for (io.opentelemetry.api.OpenTelemetry otel : List.of(io.opentelemetry.api.OpenTelemetry.noop(),
                io.opentelemetry.api.GlobalOpenTelemetry.get())) {
            AtlasTelemetry noop = AtlasTelemetry.create(otel);
            try (Atlas other = Atlas.builder().sqlite(dir.resolve("noop-" + System.identityHashCode(otel) + ".db")).clock(clock)
                    .executionListener(noop).build()) {
                Tenant t = other.tenant("acme");
                Conversation c = t.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                UUID done = t.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                    StepHandle step = exec.step();
                    step.toolCall("call_1", "lookup_order", "{}").fail("no such order");
                    step.finish(null, FinishReason.TOOL_CALLS);
                    exec.usage(Usage.of(10, 2));
                    return exec.id();
                });
                var failed = t.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
                failed.fail("provider said 500");
                var cancelled = t.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
                cancelled.usage(Usage.of(5, 1));
                cancelled.cancel();
                assertThat(noop.runningSpans()).isZero();
                assertThat(noop.replay(t, T0.minusSeconds(1), T0.plusSeconds(1))).isEqualTo(3);
                assertThat(t.executions().require(done).usage().inputTokens()).isEqualTo(10L);
            }
        }
        io.opentelemetry.api.GlobalOpenTelemetry.resetForTest();
    }
}
