package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.opentelemetry.AtlasTelemetryTest.HandClock;
import dev.atlas.opentelemetry.AtlasTelemetryTest.Sdk;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a production user of {@link AtlasTelemetry} relies on beyond the happy path: spans closed by
 * the sweep, metrics equal to the usage report, listeners that throw, other threads, a shared SDK,
 * no content or secrets in telemetry, and bounded metric attributes. Real SQLite, real SDK.
 */
class AtlasTelemetryProductionTest {
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("atlas.execution.status");
    private static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    private static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey("atlas.execution.id");
    private static final AttributeKey<Double> COST = AttributeKey.doubleKey("atlas.cost");

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

    private SpanData spanOf(UUID executionId) {
        return sdk.spans.getFinishedSpanItems().stream().filter(s -> executionId.toString().equals(s.getAttributes().get(EXECUTION_ID)))
                .reduce((a, b) -> {
                    throw new AssertionError("two spans of " + executionId);
                }).orElseThrow(() -> new AssertionError("no span of " + executionId + " in " + sdk.spans.getFinishedSpanItems()));
    }

    @Test
    @DisplayName("the sweep of a stale running execution ends its span as ERROR and records its duration; a swept never-started one makes no span")
    void sweepEndsTheSpanOfAStaleExecution() {
        Span app = sdk.otel.getTracer("app").spanBuilder("request").startSpan();
        ExecutionHandle stale;
        try (Scope ignored = app.makeCurrent()) {
            stale = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        } finally {
            app.end();
        }
        Execution pending = acme.executions().create(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMillis(Duration.ofHours(2).toMillis());

        assertThat(acme.executions().sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(2);

        SpanData span = spanOf(stale.id());
        Execution stored = acme.executions().get(stale.id()).orElseThrow();
        assertThat(stored.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(span.getParentSpanId()).isEqualTo(sdk.span("request").getSpanId());
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(span.getStatus().getDescription()).isEmpty(); // the stored error is exported only when asked for
        assertThat(span.getAttributes().get(ERROR_TYPE)).isEqualTo("_OTHER");
        assertThat(span.getAttributes().get(STATUS)).isEqualTo("failed");
        assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(Duration.ofHours(2).toNanos());
        assertThat(sdk.spans.getFinishedSpanItems().stream().filter(s -> pending.id().toString().equals(s.getAttributes().get(EXECUTION_ID))))
                .isEmpty();
        HistogramPointData duration = sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints().iterator().next();
        assertThat(duration.getCount()).isEqualTo(1);
        assertThat(duration.getSum()).isEqualTo(7200.0);
        assertThat(duration.getAttributes().get(ERROR_TYPE)).isEqualTo("_OTHER");
    }

    @Test
    @DisplayName("the tool call a stale run was waiting on, failed by the sweep, is an ERROR tool span inside the execution's span,"
            + " as replay exports it")
    void sweepExportsTheToolCallItFailed() {
        ExecutionHandle stale = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = stale.step();
        clock.advanceMillis(10);
        step.toolCall("call_7", "charge_card", "{}"); // the process dies while the tool runs
        clock.advanceMillis(Duration.ofHours(2).toMillis());

        assertThat(acme.executions().sweepInterrupted(Duration.ofHours(1)).toolCalls()).isEqualTo(1);

        SpanData chat = spanOf(stale.id());
        SpanData tool = sdk.span("execute_tool charge_card");
        assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
        assertThat(tool.getTraceId()).isEqualTo(chat.getTraceId());
        assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(tool.getAttributes().get(ERROR_TYPE)).isEqualTo("_OTHER");
        assertThat(tool.getEndEpochNanos() - tool.getStartEpochNanos()).isEqualTo(Duration.ofHours(2).toNanos());

        Sdk backfill = new Sdk();
        try (backfill) {
            assertThat(AtlasTelemetry.create(backfill.otel).replay(acme, clock.instant().minusSeconds(86_400), clock.instant())).isEqualTo(1);
            SpanData replayed = backfill.span("execute_tool charge_card");
            assertThat(replayed.getAttributes()).isEqualTo(tool.getAttributes());
            assertThat(replayed.getStatus()).isEqualTo(tool.getStatus());
            assertThat(replayed.getStartEpochNanos()).isEqualTo(tool.getStartEpochNanos());
            assertThat(replayed.getEndEpochNanos()).isEqualTo(tool.getEndEpochNanos());
        }
    }

    @Test
    @DisplayName("a tool call that never ran (cancelled while queued, or queued when the sweep failed it) makes no tool span, live or"
            + " replayed; one cancelled while it ran is a tool span from its start to its cancel, not ERROR")
    void toolCallsThatNeverRanMakeNoToolSpan() {
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = run.step();
        StepHandle.ToolCallHandle declined = step.toolCall(dev.atlas.execution.NewToolCall.of("call_1", "declined_tool", "{}").queued());
        StepHandle.ToolCallHandle stopped = step.toolCall("call_2", "stopped_tool", "{}");
        step.toolCall(dev.atlas.execution.NewToolCall.of("call_3", "left_tool", "{}").queued());
        clock.advanceMillis(250);
        declined.cancel();
        stopped.cancel();
        step.finish("done", null, FinishReason.STOP, Usage.of(10, 2));
        run.complete();
        clock.advanceMillis(1_000);
        assertThat(acme.executions().sweepInterrupted(Duration.ofHours(1)).toolCalls()).isEqualTo(1); // left_tool, failed as interrupted

        SpanData chat = spanOf(run.id());
        assertThat(sdk.spans.getFinishedSpanItems().stream().map(SpanData::getName).filter(n -> n.startsWith("execute_tool")))
                .containsExactly("execute_tool stopped_tool");
        SpanData tool = sdk.span("execute_tool stopped_tool");
        assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
        assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(tool.getEndEpochNanos() - tool.getStartEpochNanos()).isEqualTo(Duration.ofMillis(250).toNanos());

        Sdk backfill = new Sdk();
        try (backfill) {
            assertThat(AtlasTelemetry.create(backfill.otel).replay(acme, clock.instant().minusSeconds(86_400), clock.instant())).isEqualTo(1);
            assertThat(backfill.spans.getFinishedSpanItems().stream().map(SpanData::getName).filter(n -> n.startsWith("execute_tool")))
                    .containsExactly("execute_tool stopped_tool");
            SpanData replayed = backfill.span("execute_tool stopped_tool");
            assertThat(replayed.getStartEpochNanos()).isEqualTo(tool.getStartEpochNanos());
            assertThat(replayed.getEndEpochNanos()).isEqualTo(tool.getEndEpochNanos());
        }
    }

    @Test
    @DisplayName("error.type follows the stored status, not the error column: a replayed completed execution imported with an error text"
            + " has none, a failed one imported without an error text has _OTHER")
    void errorTypeFollowsTheStatus() {
        Instant from = clock.instant();
        ExecutionHandle ok = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMillis(10);
        ok.complete();
        ExecutionHandle bad = acme.executions().start(ExecutionSpec.text("anthropic", "claude-sonnet-4"));
        clock.advanceMillis(10);
        bad.fail("provider said 500");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        acme.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
        // A migration script's file: a completed call that kept a warning in error, a failed one without a message.
        String file = out.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
                .map(l -> !l.startsWith("{\"type\":\"execution\"") ? l : l.replace("\"error\":\"provider said 500\",", "")
                        .replace("\"model\":\"gpt-4o\",", "\"error\":\"retried once\",\"model\":\"gpt-4o\","))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertThat(file).contains("retried once").doesNotContain("provider said 500");
        Tenant copy = atlas.tenant("copy");
        copy.portability().importFrom(new java.io.ByteArrayInputStream(file.getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        try (Sdk backfill = new Sdk()) {
            assertThat(AtlasTelemetry.create(backfill.otel).replay(copy, from, clock.instant().plusSeconds(1))).isEqualTo(2);
            SpanData completed = backfill.span("chat gpt-4o");
            SpanData failed = backfill.span("chat claude-sonnet-4");
            assertThat(completed.getAttributes().get(STATUS)).isEqualTo("completed");
            assertThat(completed.getAttributes().get(ERROR_TYPE)).isNull();
            assertThat(completed.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(failed.getAttributes().get(STATUS)).isEqualTo("failed");
            assertThat(failed.getAttributes().get(ERROR_TYPE)).isEqualTo("_OTHER");
            assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        }
    }

    @Test
    @DisplayName("replay exports a tool call made outside any step (a voice session's) as the live export did")
    void replayIncludesToolCallsOutsideSteps() {
        Instant from = clock.instant();
        ExecutionHandle voice = acme.executions().start(ExecutionSpec.of(dev.atlas.execution.ExecutionType.VOICE, "openai", "gpt-realtime"));
        clock.advanceMillis(10);
        StepHandle.ToolCallHandle call = voice.toolCall(new dev.atlas.execution.NewToolCall("call_7", "book_table",
                dev.atlas.execution.ToolCallType.LOCAL, "{}"));
        clock.advanceMillis(15);
        call.complete("{}");
        clock.advanceMillis(5);
        voice.complete();
        SpanData liveTool = sdk.span("execute_tool book_table");
        SpanData liveCall = sdk.span("generate_content gpt-realtime");
        assertThat(liveTool.getParentSpanId()).isEqualTo(liveCall.getSpanId());

        try (Sdk backfill = new Sdk()) {
            assertThat(AtlasTelemetry.create(backfill.otel).replay(acme, from, clock.instant().plusSeconds(1))).isEqualTo(1);
            SpanData tool = backfill.span("execute_tool book_table");
            assertThat(tool.getParentSpanId()).isEqualTo(backfill.span("generate_content gpt-realtime").getSpanId());
            assertThat(tool.getAttributes()).isEqualTo(liveTool.getAttributes());
            assertThat(tool.getStartEpochNanos()).isEqualTo(liveTool.getStartEpochNanos());
            assertThat(tool.getEndEpochNanos()).isEqualTo(liveTool.getEndEpochNanos());
        }
    }

    @Test
    @DisplayName("token metrics and span costs equal what the usage report sums from the stored executions, failed and cancelled ones included;"
            + " a cancelled run records no duration")
    void metricsEqualTheUsageReport() {
        Instant from = clock.instant();
        record(Usage.of(1200, 30).cached(800).reasoning(10), null);
        record(Usage.of(7, 3).cacheWrite(500), null);
        record(Usage.of(99, 1), "provider said 500");
        record(Usage.of(123_456, 7_890).cached(1).cacheWrite(2).reasoning(3), null);
        // Stopped by the user mid-stream: the tokens spent are stored and billed (the usage report counts them).
        ExecutionHandle stopped = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMillis(25);
        stopped.usage(Usage.of(40_000, 600).cached(5));
        stopped.cancel();
        Instant to = clock.instant().plusSeconds(1);

        List<UsageRow> report = acme.executions().usageReport(UsageGroup.MODEL, from, to);
        assertThat(report).hasSize(1);
        UsageRow row = report.get(0);
        Attributes common = Attributes.builder().put("gen_ai.operation.name", "chat").put("gen_ai.provider.name", "openai")
                .put("gen_ai.request.model", "gpt-4o").put("gen_ai.response.model", "gpt-4o").build();
        List<HistogramPointData> tokens = List.copyOf(sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints());
        HistogramPointData input = point(tokens, common.toBuilder().put("gen_ai.token.type", "input").build());
        HistogramPointData output = point(tokens, common.toBuilder().put("gen_ai.token.type", "output").build());
        assertThat((long) input.getSum()).isEqualTo(row.inputTokens() + row.cachedTokens() + row.cacheWriteTokens());
        assertThat(input.getCount()).isEqualTo(row.executions());
        assertThat((long) output.getSum()).isEqualTo(row.outputTokens());

        List<HistogramPointData> durations = List.copyOf(sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints());
        assertThat(durations.stream().mapToLong(HistogramPointData::getCount).sum()).isEqualTo(row.executions() - 1);
        assertThat(point(durations, common.toBuilder().put("error.type", "_OTHER").build()).getCount()).isEqualTo(row.failures());

        BigDecimal spanCosts = BigDecimal.ZERO;
        for (SpanData s : sdk.spans.getFinishedSpanItems()) {
            Execution e = acme.executions().get(UUID.fromString(s.getAttributes().get(EXECUTION_ID))).orElseThrow();
            assertThat(s.getAttributes().get(COST)).isEqualTo(e.cost().doubleValue());
            spanCosts = spanCosts.add(e.cost());
        }
        assertThat(spanCosts).isEqualByComparingTo(row.cost());
    }

    private void record(Usage usage, String error) {
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMillis(25);
        h.usage(usage);
        if (error == null) {
            h.complete();
        } else {
            h.fail(error);
        }
    }

    private static HistogramPointData point(List<HistogramPointData> points, Attributes attributes) {
        return points.stream().filter(p -> p.getAttributes().equals(attributes)).findFirst()
                .orElseThrow(() -> new AssertionError("no point with " + attributes + " in " + points));
    }

    /** Throws from every callback, as a broken exporter would. */
    static final class Throwing implements ExecutionListener {
        @Override
        public void started(String tenantId, Execution execution) {
            throw new IllegalStateException("listener broke on started");
        }

        @Override
        public void stepFinished(String tenantId, ExecutionStep step) {
            throw new IllegalStateException("listener broke on step");
        }

        @Override
        public void toolCallFinished(String tenantId, ToolCall toolCall) {
            throw new IllegalStateException("listener broke on tool call");
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            throw new IllegalStateException("listener broke on completed");
        }

        @Override
        public void failed(String tenantId, Execution execution) {
            throw new IllegalStateException("listener broke on failed");
        }
    }

    @Test
    @DisplayName("a listener that throws on every event before the telemetry changes neither what is stored nor what is exported")
    void aThrowingListenerBreaksNothing() {
        try (Sdk other = new Sdk();
             Atlas both = Atlas.builder().sqlite(dir.resolve("both.db")).clock(clock).executionListener(new Throwing())
                     .executionListener(AtlasTelemetry.create(other.otel)).build()) {
            Tenant t = both.tenant("acme");
            String answer = t.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                StepHandle step = exec.step();
                step.toolCall("call_1", "lookup_order", "{}").complete("{}");
                step.finish("done", FinishReason.STOP);
                return "done";
            });
            assertThat(answer).isEqualTo("done");
            ExecutionTree tree = t.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().stream()
                    .map(e -> t.executions().tree(e.id()).orElseThrow()).findFirst().orElseThrow();
            assertThat(tree.execution().status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(tree.steps()).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(ExecutionStatus.COMPLETED));
            assertThat(tree.toolCalls()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.COMPLETED));
            assertThat(other.spans.getFinishedSpanItems()).extracting(SpanData::getName)
                    .containsExactlyInAnyOrder("execute_tool lookup_order", "chat gpt-4o");
            assertThat(other.span("execute_tool lookup_order").getParentSpanId()).isEqualTo(other.span("chat gpt-4o").getSpanId());
        }
    }

    @Test
    @DisplayName("an execution started under a request span and finished on another thread stays under that request span")
    void finishedOnAnotherThread() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Span app = sdk.otel.getTracer("app").spanBuilder("request").startSpan();
            List<ExecutionHandle> handles = new ArrayList<>();
            try (Scope ignored = app.makeCurrent()) {
                for (int i = 0; i < 4; i++) {
                    handles.add(acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")));
                }
            } finally {
                app.end();
            }
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (ExecutionHandle h : handles) {
                done.add(CompletableFuture.runAsync(() -> {
                    Span unrelated = sdk.otel.getTracer("app").spanBuilder("worker").startSpan();
                    try (Scope ignored = unrelated.makeCurrent()) {
                        StepHandle step = h.step();
                        step.toolCall(null, "lookup_order", "{}").complete("{}");
                        step.finish("ok", FinishReason.STOP);
                        h.usage(Usage.of(10, 2));
                        h.complete();
                    } finally {
                        unrelated.end();
                    }
                }, pool));
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get();
            String request = sdk.span("request").getSpanId();
            for (ExecutionHandle h : handles) {
                SpanData chat = spanOf(h.id());
                assertThat(chat.getParentSpanId()).isEqualTo(request);
                assertThat(chat.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"))).containsExactly("stop");
                assertThat(sdk.spans.getFinishedSpanItems().stream().filter(s -> s.getName().startsWith("execute_tool")
                        && s.getParentSpanId().equals(chat.getSpanId()))).hasSize(1);
            }
            HistogramPointData input = sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints().stream()
                    .filter(p -> "input".equals(p.getAttributes().get(AttributeKey.stringKey("gen_ai.token.type")))).findFirst().orElseThrow();
            assertThat(input.getCount()).isEqualTo(4);
            assertThat(input.getSum()).isEqualTo(40.0);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("two Atlas instances exporting through one OpenTelemetry add up in the same metric points and keep their spans apart")
    void twoAtlasShareOneOpenTelemetry() {
        try (Atlas second = Atlas.builder().sqlite(dir.resolve("second.db")).clock(clock)
                .executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
            Tenant other = second.tenant("acme");
            record(Usage.of(100, 10), null);
            ExecutionHandle h = other.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
            h.usage(Usage.of(5, 1));
            h.complete();
            assertThat(sdk.spans.getFinishedSpanItems()).hasSize(2);
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getTraceId).doesNotHaveDuplicates();
            HistogramPointData input = sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints().stream()
                    .filter(p -> "input".equals(p.getAttributes().get(AttributeKey.stringKey("gen_ai.token.type")))).findFirst().orElseThrow();
            assertThat(input.getCount()).isEqualTo(2);
            assertThat(input.getSum()).isEqualTo(105.0);
        }
    }

    @Test
    @DisplayName("no message content, prompt, completion, tool argument or result, metadata value, error text or title reaches a span or a metric"
            + " (span names, attributes, events and status descriptions)")
    void nothingSensitiveIsExported() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "SECRET-TITLE"));
        for (int i = 0; i < 3; i++) {
            int n = i;
            try {
                acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).agent("support")
                        .metadata(Map.of("customer", "SECRET-METADATA-" + n)), exec -> {
                    exec.metadata(Map.of("k", "SECRET-EXEC-METADATA"));
                    StepHandle step = exec.step();
                    StepHandle.ToolCallHandle call = step.toolCall("call_" + n, "lookup_order", "{\"q\":\"SECRET-ARGUMENTS\"}");
                    call.complete("{\"r\":\"SECRET-RESULT\"}");
                    step.toolCall("call_e" + n, "lookup_order", "{}").fail("SECRET-TOOL-ERROR-" + n);
                    step.metadata(Map.of("k", "SECRET-STEP-METADATA"));
                    step.finish("SECRET-COMPLETION", "SECRET-REASONING", FinishReason.STOP, Usage.of(3, 4));
                    exec.reply(step, "SECRET-REPLY");
                    if (n == 2) {
                        throw new IllegalStateException("ERROR-TEXT-" + n);
                    }
                    return null;
                });
            } catch (IllegalStateException expected) {
                // the third fails
            }
        }
        StringBuilder spans = new StringBuilder();
        for (SpanData s : sdk.spans.getFinishedSpanItems()) {
            spans.append(s.getName()).append(s.getAttributes()).append(s.getResource().getAttributes()).append(s.getStatus());
            for (EventData e : s.getEvents()) {
                spans.append(e.getName()).append(e.getAttributes());
            }
        }
        assertThat(spans.toString()).doesNotContain("SECRET").doesNotContain("ERROR-TEXT");
        StringBuilder metrics = new StringBuilder();
        for (MetricData m : sdk.metrics.collectAllMetrics()) {
            metrics.append(m);
        }
        assertThat(metrics.toString()).doesNotContain("SECRET").doesNotContain("ERROR-TEXT").doesNotContain(c.id().toString())
                .doesNotContain("acme");
    }

    @Test
    @DisplayName("metric points are keyed by bounded attributes only: one point per model and outcome, whatever the ids and errors")
    void metricAttributesAreBounded() {
        for (int i = 0; i < 5; i++) {
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("user-" + i), "title " + i));
            ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).agent("agent"));
            h.usage(Usage.of(1, 1));
            h.fail("error number " + i + " for " + c.id());
        }
        Set<String> allowed = Set.of("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
                "gen_ai.token.type", "error.type");
        for (MetricData m : sdk.metrics.collectAllMetrics()) {
            for (HistogramPointData p : m.getHistogramData().getPoints()) {
                assertThat(p.getAttributes().asMap().keySet().stream().map(AttributeKey::getKey).collect(Collectors.toSet()))
                        .isSubsetOf(allowed);
            }
        }
        assertThat(sdk.metric("gen_ai.client.operation.duration").getHistogramData().getPoints()).hasSize(1);
        assertThat(sdk.metric("gen_ai.client.token.usage").getHistogramData().getPoints()).hasSize(2);
    }

    @Test
    @DisplayName("executions another node finishes are never heard here: the running spans stay at the cap, the oldest ended as evicted at the start of the one that pushed it out")
    void runningSpansAreBoundedWhenAnotherNodeFinishesTheExecutions() {
        AttributeKey<Boolean> evicted = AttributeKey.booleanKey("atlas.span.evicted");
        try (Sdk node = new Sdk()) {
            AtlasTelemetry capped = AtlasTelemetry.create(node.otel, 3);
            try (Atlas a = Atlas.builder().sqlite(dir.resolve("nodes.db")).clock(clock).executionListener(capped).build();
                 Atlas b = Atlas.builder().sqlite(dir.resolve("nodes.db")).clock(clock).build()) {
                List<ExecutionHandle> started = new ArrayList<>();
                List<Instant> startedAt = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    startedAt.add(clock.instant());
                    started.add(a.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o")));
                    clock.advanceMillis(10);
                }
                // Node b fails them all (its sweep); node a's listener hears none of it, and a's own complete is refused.
                clock.advanceMillis(Duration.ofHours(2).toMillis());
                assertThat(b.tenant("acme").executions().sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(5);
                for (ExecutionHandle h : started) {
                    assertThatThrownBy(h::complete).isInstanceOf(dev.atlas.AtlasException.class);
                }
                assertThat(capped.runningSpans()).isEqualTo(3);

                List<SpanData> ended = node.spans.getFinishedSpanItems();
                assertThat(ended).hasSize(2);
                for (int i = 0; i < 2; i++) {
                    SpanData s = ended.get(i);
                    assertThat(s.getAttributes().get(EXECUTION_ID)).isEqualTo(started.get(i).id().toString());
                    assertThat(s.getStartEpochNanos()).isEqualTo(nanos(startedAt.get(i)));
                    // Ended when the execution that pushed it out started: the last moment this node knew it running.
                    assertThat(s.getEndEpochNanos()).isEqualTo(nanos(startedAt.get(i + 3)));
                    assertThat(s.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
                    assertThat(s.getAttributes().get(evicted)).isTrue();
                    assertThat(s.getAttributes().get(STATUS)).isEqualTo("processing");
                    assertThat(s.getAttributes().get(ERROR_TYPE)).isNull();
                }
                assertThat(node.metrics.collectAllMetrics()).isEmpty();
            }
        }
    }

    @Test
    void aCapBelowOneIsRefusedNamingIt() {
        assertThatThrownBy(() -> AtlasTelemetry.create(sdk.otel, 0))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("maxRunningSpans"));
    }

    /** A tool call the sweep at {@code sweptAt} failed after it ran an hour (its run ended before, elsewhere). */
    private static ToolCall swept(String name, Instant sweptAt) {
        return new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, name, dev.atlas.execution.ToolCallType.LOCAL, "{}", null,
                ExecutionStatus.FAILED, "interrupted", sweptAt.minusSeconds(3600), sweptAt, 3_600_000L, Map.of());
    }

    @Test
    @DisplayName("tool calls a sweep failed after their runs ended wait for a run that never comes, bounded: at most 10,000 wait, the"
            + " eldest beyond that exported at once under the span current where the sweep ran; none goes out while the sweeping"
            + " thread lives and reports nothing more (another thread's events release none); all go out at the next event once it ended")
    void heldSweptToolCallsAreBoundedAndReleased() throws Exception {
        AtlasTelemetry listener = AtlasTelemetry.create(sdk.otel);
        Instant sweptAt = Instant.parse("2026-03-01T12:00:00Z");
        java.util.concurrent.CountDownLatch reported = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
        Span sweep = sdk.otel.getTracer("ops").spanBuilder("periodic sweep").startSpan();
        Thread sweeper = new Thread(() -> {
            try (Scope ignored = sweep.makeCurrent()) {
                for (int i = 0; i <= 10_000; i++) {
                    listener.toolCallFinished("acme", swept("t" + i, sweptAt));
                }
            }
            reported.countDown();
            try {
                end.await(); // a scheduler's thread: alive, its next sweeps find nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sweeper.start();
        try {
            assertThat(reported.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("execute_tool t0");
            assertThat(sdk.span("execute_tool t0").getParentSpanId()).isEqualTo(sweep.getSpanContext().getSpanId());
            // Another thread's events: the sweeping thread may still report the runs its calls wait for.
            listener.toolCallFinished("acme", new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, "live",
                    dev.atlas.execution.ToolCallType.LOCAL, "{}", "ok", ExecutionStatus.COMPLETED, null, sweptAt, sweptAt.plusSeconds(1), 1000L,
                    Map.of()));
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getName).containsExactly("execute_tool t0", "execute_tool live");
        } finally {
            end.countDown();
            sweeper.join();
            sweep.end();
        }
        listener.toolCallFinished("acme", new ToolCall(UUID.randomUUID(), UUID.randomUUID(), null, null, 0, "next",
                dev.atlas.execution.ToolCallType.LOCAL, "{}", "ok", ExecutionStatus.COMPLETED, null, sweptAt, sweptAt.plusSeconds(1), 1000L,
                Map.of()));
        List<SpanData> tools = sdk.spans.getFinishedSpanItems().stream().filter(s -> s.getName().matches("execute_tool t\\d+")).toList();
        assertThat(tools).hasSize(10_001).extracting(SpanData::getName).doesNotHaveDuplicates();
        assertThat(tools).allSatisfy(t -> {
            assertThat(t.getParentSpanId()).isEqualTo(sweep.getSpanContext().getSpanId());
            assertThat(t.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(t.getEndEpochNanos()).isEqualTo(nanos(sweptAt));
        });
    }

    private static long nanos(Instant t) {
        return java.util.concurrent.TimeUnit.SECONDS.toNanos(t.getEpochSecond()) + t.getNano();
    }
}
