package dev.atlas.opentelemetry;

import dev.atlas.Atlas;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.opentelemetry.AtlasTelemetryTest.HandClock;
import dev.atlas.opentelemetry.AtlasTelemetryTest.Sdk;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operations team wiring OpenTelemetry into several instances of one application, following
 * docs/opentelemetry.md as written ("Several nodes on one database", the sweep of the next process).
 */
class Newcomer18TelemetryTest {
    private static final AttributeKey<String> EXECUTION_ID = AttributeKey.stringKey("atlas.execution.id");
    private static final AttributeKey<String> STATUS = AttributeKey.stringKey("atlas.execution.status");
    private static final AttributeKey<Boolean> EVICTED = AttributeKey.booleanKey("atlas.span.evicted");
    private static final AttributeKey<List<String>> FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");

    @TempDir
    Path dir;
    final HandClock clock = new HandClock();

    private static long nanos(Instant i) {
        return TimeUnit.SECONDS.toNanos(i.getEpochSecond()) + i.getNano();
    }

    @Test
    @DisplayName("opentelemetry.md: a process that dies loses its running spans and the sweep of the next one exports them, under the"
            + " span current where the sweep runs, with the tool call the sweep failed inside the execution's span; a call the sweep"
            + " fails after its run ended goes under the sweep's span when the sweeping thread next reports anything, its next sweep"
            + " included, or when any thread does once the sweeping one ended")
    void theNextProcessesSweepExportsTheDeadOnesRun() throws InterruptedException {
        Path file = dir.resolve("app.db");
        Instant startedAt = clock.instant();
        try (Atlas dead = Atlas.builder().sqlite(file).clock(clock).build()) {
            ExecutionHandle run = dead.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o"));
            StepHandle step = run.step();
            clock.advanceMillis(10);
            step.toolCall("call_1", "charge_card", "{}");
            // A second run dies in its second step, with a call outside any step; a third completed with its tool still running.
            ExecutionHandle other = dead.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o-mini"));
            other.step().finish("calling", FinishReason.TOOL_CALLS);
            other.step();
            other.toolCall(dev.atlas.execution.NewToolCall.of(null, "send_mail", "{}"));
            ExecutionHandle done = dead.tenant("acme").executions().start(ExecutionSpec.text("openai", "o3"));
            StepHandle doneStep = done.step();
            doneStep.toolCall("call_9", "lookup", "{}");
            doneStep.finish("calling", FinishReason.TOOL_CALLS);
            done.complete();
            var globex = dead.tenant("globex").executions();
            ExecutionHandle ended = globex.start(ExecutionSpec.text("openai", "o3"));
            ended.step().toolCall("call_8", "fetch", "{}");
            ended.complete();
            // Another instance, whose clock runs 5 h ahead, ended a run with its step open: the sweep stamps that step's end
            // with its own (later) start, not with the sweep's time.
            Instant before = clock.instant();
            clock.advanceMillis(Duration.ofHours(5).toMillis());
            ExecutionHandle ahead = dead.tenant("acme").executions().start(ExecutionSpec.text("openai", "o4-mini"));
            ahead.step();
            ahead.complete();
            clock.now = before;
            // In globex, 90 min later a run dies with its tool running, and 20 min later another ends with its tool running.
            clock.advanceMillis(Duration.ofMinutes(90).toMillis());
            globex.start(ExecutionSpec.text("openai", "gpt-5")).step().toolCall("call_6", "notify", "{}");
            clock.advanceMillis(Duration.ofMinutes(20).toMillis());
            ExecutionHandle endedLater = globex.start(ExecutionSpec.text("openai", "o3"));
            endedLater.step().toolCall("call_7", "render", "{}");
            endedLater.complete(); // the process dies here
        }
        clock.advanceMillis(Duration.ofMinutes(10).toMillis());
        try (Sdk sdk = new Sdk(); Atlas next = Atlas.builder().sqlite(file).clock(clock)
                .executionListener(AtlasTelemetry.create(sdk.otel)).build()) {
            // A first sweep of globex fails the call of its first ended run and no run: the call waits, as a run may follow.
            var globex = next.tenant("globex").executions();
            Span first = sdk.otel.getTracer("ops").spanBuilder("first sweep").startSpan();
            try (Scope ignored = first.makeCurrent()) {
                assertThat(globex.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new dev.atlas.execution.SweepResult(0, 2, 1));
            } finally {
                first.end();
            }
            clock.advanceMillis(Duration.ofHours(1).toMillis());
            Span second = sdk.otel.getTracer("ops").spanBuilder("second sweep").startSpan();
            try (Scope ignored = second.makeCurrent()) {
                assertThat(globex.sweepInterrupted(Duration.ofMinutes(80)).executions()).isEqualTo(1);
            } finally {
                second.end();
            }
            assertThat(sdk.span("execute_tool notify").getParentSpanId()).isEqualTo(sdk.span("chat gpt-5").getSpanId());
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getName).as("exported by the next sweep").contains("execute_tool fetch");
            assertThat(sdk.span("execute_tool fetch").getParentSpanId()).isEqualTo(first.getSpanContext().getSpanId());

            Span sweepSpan = sdk.otel.getTracer("ops").spanBuilder("nightly sweep").startSpan();
            try (Scope ignored = sweepSpan.makeCurrent()) {
                assertThat(next.tenant("acme").executions().sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(2);
            } finally {
                sweepSpan.end();
            }
            SpanData chat = sdk.span("chat gpt-4o");
            SpanData tool = sdk.span("execute_tool charge_card");
            assertThat(chat.getParentSpanId()).isEqualTo(sdk.span("nightly sweep").getSpanId());
            assertThat(chat.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(chat.getStartEpochNanos()).isEqualTo(nanos(startedAt));
            assertThat(chat.getEndEpochNanos()).isEqualTo(nanos(clock.instant()));
            assertThat(chat.getAttributes().get(STATUS)).isEqualTo("failed");
            assertThat(tool.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(tool.getStartEpochNanos()).isEqualTo(nanos(startedAt.plusMillis(10)));
            assertThat(tool.getEndEpochNanos()).isEqualTo(nanos(clock.instant()));
            // The table: a tool span's parent is "the execution's span".
            assertThat(tool.getParentSpanId()).as("the tool span's parent").isEqualTo(chat.getSpanId());
            assertThat(tool.getTraceId()).isEqualTo(chat.getTraceId());
            SpanData mini = sdk.span("chat gpt-4o-mini");
            assertThat(mini.getParentSpanId()).isEqualTo(sdk.span("nightly sweep").getSpanId());
            assertThat(sdk.span("execute_tool send_mail").getParentSpanId()).isEqualTo(mini.getSpanId());
            // This process heard neither run's earlier steps: their finish reasons are unknown here, so none is claimed.
            assertThat(chat.getAttributes().get(FINISH_REASONS)).isNull();
            assertThat(mini.getAttributes().get(FINISH_REASONS)).isNull();
            // The third run's span was the dead process's: the call the sweep failed after it is exported under the sweep's span
            // once the sweeping thread reports anything else (it cannot know sooner that no failed run of its own follows).
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getName).doesNotContain("execute_tool lookup");
            // A sweep at start-up on a thread that then ends (an application's main thread) never reports again: the call it
            // holds goes out when any thread next reports anything.
            Thread startUp = new Thread(() -> globex.sweepInterrupted(Duration.ofHours(1)));
            startUp.start();
            startUp.join();
            assertThat(sdk.spans.getFinishedSpanItems()).extracting(SpanData::getName).doesNotContain("execute_tool render");
            next.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4.1")).complete();
            assertThat(sdk.span("execute_tool lookup").getParentSpanId()).isEqualTo(sdk.span("nightly sweep").getSpanId());
            assertThat(sdk.span("execute_tool lookup").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(sdk.span("execute_tool render").getParentSpanId()).as("exported once the sweeping thread ended")
                    .isEqualTo(SpanId.getInvalid());
        }
    }

    @Test
    @DisplayName("opentelemetry.md, several nodes: an execution whose span was evicted and that then finishes in this process exports a"
            + " complete span of its own then, with the steps' finish reasons as every execution span has them")
    void anEvictedExecutionFinishingHereExportsItsCompleteSpan() {
        try (Sdk sdk = new Sdk()) {
            AtlasTelemetry telemetry = AtlasTelemetry.create(sdk.otel, 1);
            try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("app.db")).clock(clock).executionListener(telemetry).build()) {
                Instant firstStart = clock.instant();
                ExecutionHandle first = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o"));
                first.step().finish("calling a tool", FinishReason.TOOL_CALLS);
                clock.advanceMillis(100);
                Instant secondStart = clock.instant();
                ExecutionHandle second = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o-mini"));
                assertThat(telemetry.runningSpans()).isEqualTo(1);
                clock.advanceMillis(100);
                first.step().finish("done", FinishReason.STOP);
                first.complete();
                // Two steps finished out of their order: the reasons are in step order, as replay reads them.
                StepHandle asking = second.step();
                StepHandle answering = second.step();
                answering.finish("done", FinishReason.STOP);
                asking.finish("calling", FinishReason.TOOL_CALLS);
                second.complete();

                List<SpanData> ofFirst = sdk.spans.getFinishedSpanItems().stream()
                        .filter(s -> first.id().toString().equals(s.getAttributes().get(EXECUTION_ID))).toList();
                assertThat(ofFirst).hasSize(2);
                SpanData evicted = ofFirst.get(0);
                assertThat(evicted.getAttributes().get(EVICTED)).isTrue();
                assertThat(evicted.getEndEpochNanos()).isEqualTo(nanos(secondStart));
                SpanData complete = ofFirst.get(1);
                assertThat(complete.getAttributes().get(EVICTED)).isNull();
                assertThat(complete.getAttributes().get(STATUS)).isEqualTo("completed");
                assertThat(complete.getStartEpochNanos()).isEqualTo(nanos(firstStart));
                assertThat(complete.getEndEpochNanos()).isEqualTo(nanos(clock.instant()));
                assertThat(sdk.span("chat gpt-4o-mini").getAttributes().get(FINISH_REASONS)).containsExactly("tool_calls", "stop");
                assertThat(complete.getAttributes().get(FINISH_REASONS)).as("finish reasons of the complete span").containsExactly("tool_calls", "stop");

                // An evicted run this process's own sweep fails: its tool call stays under its (evicted) span, and its complete
                // span has every step's reason, the swept one's error included.
                ExecutionHandle third = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4.1"));
                third.step().finish("calling", FinishReason.TOOL_CALLS);
                third.step().toolCall("call_2", "refund", "{}");
                clock.advanceMillis(10);
                atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "o3")); // evicts the third
                clock.advanceMillis(Duration.ofHours(2).toMillis());
                assertThat(atlas.tenant("acme").executions().sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(2);
                List<SpanData> ofThird = sdk.spans.getFinishedSpanItems().stream()
                        .filter(s -> third.id().toString().equals(s.getAttributes().get(EXECUTION_ID))).toList();
                assertThat(ofThird).hasSize(2);
                assertThat(ofThird.get(0).getAttributes().get(EVICTED)).isTrue();
                assertThat(sdk.span("execute_tool refund").getParentSpanId()).isEqualTo(ofThird.get(0).getSpanId());
                assertThat(ofThird.get(1).getAttributes().get(STATUS)).isEqualTo("failed");
                assertThat(ofThird.get(1).getAttributes().get(FINISH_REASONS)).containsExactly("tool_calls", "error");
            }
        }
    }
}
