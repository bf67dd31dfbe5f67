package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
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
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link ExecutionListener} registered on the builder hears, on every database: the
 * stored records, in order, after each commit, and nothing from a write that failed.
 */
public abstract class ExecutionListenerContract extends AtlasContract {

    /** One callback as heard, with the row's status as a new connection saw it at that moment. */
    protected record Event(String name, String tenantId, Object record, String committedStatus) {}

    /** Records every callback; reads the row through a connection of its own, outside Atlas. */
    protected final class Recording implements ExecutionListener {
        final List<Event> events = Collections.synchronizedList(new ArrayList<>());

        private void add(String name, String tenantId, Object record, String table, UUID id) {
            events.add(new Event(name, tenantId, record, statusOnNewConnection(table, id)));
        }

        @Override
        public void started(String tenantId, Execution execution) {
            add("started", tenantId, execution, "executions", execution.id());
        }

        @Override
        public void stepFinished(String tenantId, ExecutionStep step) {
            add("stepFinished", tenantId, step, "execution_steps", step.id());
        }

        @Override
        public void toolCallFinished(String tenantId, ToolCall toolCall) {
            add("toolCallFinished", tenantId, toolCall, "execution_tool_calls", toolCall.id());
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            add("completed", tenantId, execution, "executions", execution.id());
        }

        @Override
        public void failed(String tenantId, Execution execution) {
            add("failed", tenantId, execution, "executions", execution.id());
        }

        @Override
        public void cancelled(String tenantId, Execution execution) {
            add("cancelled", tenantId, execution, "executions", execution.id());
        }

        List<String> names() {
            return events.stream().map(Event::name).toList();
        }
    }

    /** Throws from every callback. */
    protected static final class Throwing implements ExecutionListener {
        int calls;

        private void boom() {
            calls++;
            throw new IllegalStateException("listener bug");
        }

        @Override
        public void started(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void stepFinished(String tenantId, ExecutionStep step) {
            boom();
        }

        @Override
        public void toolCallFinished(String tenantId, ToolCall toolCall) {
            boom();
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void failed(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void cancelled(String tenantId, Execution execution) {
            boom();
        }
    }

    protected final Throwing throwing = new Throwing();
    protected final Recording heard = new Recording();

    protected ExecutionListenerContract(TestDatabase database) {
        super(database);
    }

    /** A throwing listener first, so every test also proves it does not stop the next one. */
    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).executionListener(throwing).executionListener(heard);
    }

    /** The status column of a row, read through a new connection that is not Atlas's. */
    private String statusOnNewConnection(String table, UUID id) {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT status FROM atlas_" + table + " WHERE id = ?")) {
            ((JdbiAtlas) atlas).db().dialect().bindUuid(ps, 1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : "(no row)";
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private Conversation convo() {
        return atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
    }

    private void advance(long millis) {
        clock.advanceMicros(millis * 1000);
    }

    @Test
    @DisplayName("a recorded tool loop is heard in order: started, tool call, steps, completed, each as stored and committed")
    void eventsInOrderWithStoredValues() {
        var acme = atlas.tenant("acme");
        acme.prices().set(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        Conversation c = convo();
        Instant t0 = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        UUID[] id = new UUID[1];
        acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(c.id()), exec -> {
            id[0] = exec.id();
            StepHandle step = exec.step();
            advance(40);
            StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup_order", "{\"order\":1234}");
            advance(10);
            call.complete("{\"status\":\"shipped\"}");
            step.finish(null, FinishReason.TOOL_CALLS);
            StepHandle second = exec.step();
            advance(50);
            second.finish("It shipped.", null, FinishReason.STOP, Usage.of(1200, 30).cached(100));
            exec.providerResponseId("resp_1");
            return "It shipped.";
        });
        ExecutionTree tree = acme.executions().tree(id[0]).orElseThrow();
        Execution stored = tree.execution();

        assertThat(heard.names()).containsExactly("started", "toolCallFinished", "stepFinished", "stepFinished", "completed");
        assertThat(heard.events).extracting(Event::tenantId).containsOnly("acme");
        assertThat(heard.events).extracting(Event::committedStatus)
                .containsExactly("processing", "completed", "completed", "completed", "completed");

        Execution started = (Execution) heard.events.get(0).record();
        assertThat(started.id()).isEqualTo(stored.id());
        assertThat(started.status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(started.startedAt()).isEqualTo(t0);
        assertThat(started.createdAt()).isEqualTo(t0);
        assertThat(started.completedAt()).isNull();
        assertThat(started.usage()).isEqualTo(Usage.NONE);
        assertThat(started.conversationId()).isEqualTo(c.id());
        assertThat(started.agent()).isEqualTo("support");
        assertThat(started.metadata()).isEmpty();

        assertThat(heard.events.get(1).record()).isEqualTo(tree.toolCalls().get(0));
        assertThat(heard.events.get(2).record()).isEqualTo(tree.steps().get(0));
        assertThat(((ExecutionStep) heard.events.get(2).record()).toolCalls()).hasSize(1);
        assertThat(heard.events.get(3).record()).isEqualTo(tree.steps().get(1));
        assertThat(heard.events.get(4).record()).isEqualTo(stored);
        assertThat(stored.usage()).isEqualTo(Usage.of(1200, 30).cached(100));
        assertThat(stored.cost()).isEqualByComparingTo("0.00355");
        assertThat(stored.durationMs()).isEqualTo(100);
        assertThat(stored.providerResponseId()).isEqualTo("resp_1");
        assertThat(throwing.calls).isEqualTo(5);
    }

    @Test
    @DisplayName("a listener that throws on every event changes nothing: the call returns, the rows are stored, the next listener hears all")
    void throwingListenerDoesNotBreakRecording() throws Exception {
        var recorder = atlas.tenant("acme").executions();
        String answer = recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            StepHandle step = exec.step();
            step.toolCall("call_1", "lookup", "{}").fail("timeout");
            step.fail("tool failed");
            return "done";
        });
        assertThat(answer).isEqualTo("done");
        String async = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"),
                exec -> java.util.concurrent.CompletableFuture.completedFuture("later")).get();
        assertThat(async).isEqualTo("later");

        assertThat(recorder.list(dev.atlas.execution.ExecutionQuery.all()).items())
                .extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED);
        assertThat(heard.names()).containsExactly("started", "toolCallFinished", "stepFinished", "completed", "started", "completed");
        assertThat(((ToolCall) heard.events.get(1).record()).status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(((ToolCall) heard.events.get(1).record()).error()).isEqualTo("timeout");
        assertThat(((ExecutionStep) heard.events.get(2).record()).status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(((ExecutionStep) heard.events.get(2).record()).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(throwing.calls).isEqualTo(6);
    }

    /** Recurses until its stack overflows on every event: a listener bug (a cyclic toString, say), not a broken JVM. */
    private static final class Overflowing implements ExecutionListener {
        final java.util.concurrent.atomic.AtomicInteger overflows = new java.util.concurrent.atomic.AtomicInteger();

        private static long depth(long n) {
            return depth(n + 1) + 1;
        }

        private void boom() {
            try {
                depth(0);
            } catch (StackOverflowError e) {
                overflows.incrementAndGet();
                throw e;
            }
        }

        @Override
        public void started(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void stepFinished(String tenantId, ExecutionStep step) {
            boom();
        }

        @Override
        public void toolCallFinished(String tenantId, ToolCall toolCall) {
            boom();
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void failed(String tenantId, Execution execution) {
            boom();
        }

        @Override
        public void cancelled(String tenantId, Execution execution) {
            boom();
        }
    }

    @Test
    @DisplayName("a listener whose stack overflows on every event is logged like any listener that throws: the body runs, the call returns"
            + " its value (or the body's own exception), the rows are stored and the next listener hears all")
    void overflowingListenerDoesNotBreakRecording() throws Exception {
        Overflowing overflowing = new Overflowing();
        Recording after = new Recording();
        var recorder = reopen(b -> b.clock(clock).executionListener(overflowing).executionListener(after)).tenant("acme").executions();
        String answer = recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            StepHandle step = exec.step();
            step.toolCall("call_1", "lookup", "{}").complete("{}");
            step.finish("done", FinishReason.STOP);
            return "done";
        });
        assertThat(answer).isEqualTo("done");
        IOException boom = new IOException("provider timed out");
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"),
                exec -> java.util.concurrent.CompletableFuture.completedFuture("later")).get()).isEqualTo("later");

        assertThat(recorder.list(dev.atlas.execution.ExecutionQuery.all()).items()).extracting(Execution::status)
                .containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.COMPLETED);
        assertThat(after.names()).containsExactly("started", "toolCallFinished", "stepFinished", "completed", "started", "failed",
                "started", "completed");
        assertThat(overflowing.overflows.get()).isEqualTo(8);
    }

    @Test
    @DisplayName("a body that throws is heard as failed with the stored error; the caller gets its own exception")
    void failedExecutionIsHeard() {
        IOException boom = new IOException("provider timed out");
        var recorder = atlas.tenant("globex").executions();
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(heard.names()).containsExactly("started", "failed");
        assertThat(heard.events).extracting(Event::tenantId).containsOnly("globex");
        Execution failed = (Execution) heard.events.get(1).record();
        assertThat(failed).isEqualTo(recorder.require(failed.id()));
        assertThat(failed.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(failed.error()).isEqualTo("provider timed out");
        assertThat(heard.events.get(1).committedStatus()).isEqualTo("failed");
    }

    @Test
    @DisplayName("a record whose automatic complete() is refused (its cost cannot be stored) is heard once as failed, as stored, after started")
    void refusedCompleteIsHeardAsFailed() {
        var acme = atlas.tenant("acme");
        var recorder = acme.executions();
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("big", "model"), exec -> {
            exec.usage(new Usage(9_223_373L, 0L, null, null, null)); // 9,223,373 × 1,000,000 per million: past 2^63-1 pico-units
            acme.prices().create(ModelPrice.of("big", "model", "1000000", "0", Instant.parse("2026-01-01T00:00:00Z")));
            return "answer";
        })).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("usage"));
        assertThat(heard.names()).containsExactly("started", "failed");
        Execution failed = (Execution) heard.events.get(1).record();
        assertThat(failed).isEqualTo(recorder.require(failed.id()));
        assertThat(failed.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(heard.events.get(1).committedStatus()).isEqualTo("failed");
    }

    @Test
    @DisplayName("resume is heard as started and cancel as cancelled; create and queue are not heard")
    void resumeAndCancelAreHeard() {
        var recorder = atlas.tenant("acme").executions();
        Execution pending = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        recorder.queue(pending.id());
        assertThat(heard.events).isEmpty();
        ExecutionHandle running = recorder.resume(pending.id());
        Execution cancelled = running.cancel();
        Execution other = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Execution otherCancelled = recorder.cancel(other.id());

        assertThat(heard.names()).containsExactly("started", "cancelled", "cancelled");
        assertThat(heard.events).extracting(Event::committedStatus).containsExactly("processing", "cancelled", "cancelled");
        Execution resumed = (Execution) heard.events.get(0).record();
        assertThat(resumed.id()).isEqualTo(pending.id());
        assertThat(resumed.status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(resumed.startedAt()).isEqualTo(recorder.require(pending.id()).startedAt()).isNotNull();
        assertThat(heard.events.get(1).record()).isEqualTo(cancelled);
        assertThat(heard.events.get(2).record()).isEqualTo(otherCancelled);
        assertThat(otherCancelled).isEqualTo(recorder.require(other.id()));
    }

    @Test
    @DisplayName("an execution's end with a tool call running, one queued and its step open is heard as that end alone; the running"
            + " call's later result as toolCallFinished, as is a queued call cancelled then; the next sweep, of any age, as toolCallFinished for the queued call then"
            + " stepFinished for the step, never as the execution's end again")
    void openToolCallsAtTheEndAreHeardWhenTheyEnd() {
        var recorder = atlas.tenant("acme").executions();
        for (String end : List.of("completed", "failed", "cancelled")) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            StepHandle step = h.step();
            StepHandle.ToolCallHandle running = step.toolCall("call_1", "lookup", "{}");
            StepHandle.ToolCallHandle queued = step.toolCall(dev.atlas.execution.NewToolCall.of("call_2", "render", "{}").queued());
            StepHandle.ToolCallHandle declined = step.toolCall(dev.atlas.execution.NewToolCall.of("call_3", "render", "{}").queued());
            heard.events.clear();
            Execution ended = switch (end) {
                case "completed" -> h.complete();
                case "failed" -> h.fail("model down");
                default -> recorder.cancel(h.id());
            };
            assertThat(heard.names()).containsExactly(end);
            assertThat(heard.events.get(0).record()).isEqualTo(ended);
            running.complete("found");
            assertThat(heard.names()).containsExactly(end, "toolCallFinished");
            assertThat((ToolCall) heard.events.get(1).record()).isEqualTo(recorder.tree(h.id()).orElseThrow().toolCalls().get(0))
                    .returns(ExecutionStatus.COMPLETED, ToolCall::status);
            // A queued call the agent closes after the end is heard as it is cancelled, and the sweep leaves it.
            declined.cancel();
            assertThat(heard.names()).containsExactly(end, "toolCallFinished", "toolCallFinished");
            assertThat((ToolCall) heard.events.get(2).record()).isEqualTo(recorder.tree(h.id()).orElseThrow().toolCalls().get(2))
                    .returns(ExecutionStatus.CANCELLED, ToolCall::status).returns(null, ToolCall::durationMs);
            heard.events.clear();
            assertThat(recorder.sweepInterrupted(java.time.Duration.ofDays(1))).isEqualTo(new dev.atlas.execution.SweepResult(0, 1, 1));
            ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
            assertThat(heard.names()).containsExactly("toolCallFinished", "stepFinished");
            assertThat((ToolCall) heard.events.get(0).record()).isEqualTo(tree.toolCalls().get(1))
                    .returns(queued.id(), ToolCall::id).returns(ExecutionStatus.FAILED, ToolCall::status).returns("interrupted", ToolCall::error);
            assertThat((ExecutionStep) heard.events.get(1).record()).isEqualTo(tree.steps().get(0)).returns(ExecutionStatus.FAILED, ExecutionStep::status);
            assertThat(heard.events).extracting(Event::committedStatus).containsOnly("failed");
            assertThat(tree.execution()).isEqualTo(ended);
        }
    }

    @Test
    @DisplayName("the sweep is heard as toolCallFinished for each tool call it failed, then stepFinished for each step it failed (as"
            + " a step's fail() is heard, with its calls), then failed for each execution it failed, as stored and committed, and only"
            + " in its tenant")
    void sweepIsHeardAsFailed() {
        var recorder = atlas.tenant("acme").executions();
        ExecutionHandle stale = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        stale.step().toolCall("call_1", "charge_card", "{}"); // the process dies while the tool runs
        Execution pending = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle foreign = atlas.tenant("globex").executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        advance(2 * 3_600_000L);
        ExecutionHandle fresh = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        heard.events.clear();
        int thrownBefore = throwing.calls;

        dev.atlas.execution.SweepResult swept = recorder.sweepInterrupted(java.time.Duration.ofHours(1));
        assertThat(swept.executions()).isEqualTo(2);
        assertThat(swept.toolCalls()).isEqualTo(1);

        assertThat(heard.names()).containsExactly("toolCallFinished", "stepFinished", "failed", "failed");
        assertThat(heard.events).extracting(Event::tenantId).containsOnly("acme");
        assertThat(heard.events).extracting(Event::committedStatus).containsOnly("failed");
        ExecutionTree staleTree = recorder.tree(stale.id()).orElseThrow();
        assertThat(heard.events.get(0).record()).isEqualTo(staleTree.toolCalls().get(0));
        assertThat((ExecutionStep) heard.events.get(1).record()).isEqualTo(staleTree.steps().get(0))
                .returns(FinishReason.ERROR, ExecutionStep::finishReason).returns("interrupted", ExecutionStep::error);
        assertThat(heard.events.subList(2, 4)).extracting(Event::record)
                .containsExactlyInAnyOrder(recorder.require(stale.id()), recorder.require(pending.id()));
        assertThat(recorder.require(stale.id()).error()).isEqualTo("interrupted");
        assertThat(recorder.require(fresh.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(atlas.tenant("globex").executions().require(foreign.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(throwing.calls - thrownBefore).isEqualTo(4);
        heard.events.clear();
        assertThat(recorder.sweepInterrupted(java.time.Duration.ofHours(1)).executions()).isZero();
        assertThat(heard.events).isEmpty();
    }

    @Test
    @DisplayName("two Atlas instances on one database: each instance's listeners hear exactly the writes that instance stored, so an"
            + " execution started on one and cancelled, swept or resumed and completed on the other is heard as started on the first"
            + " and as ended on the second only; the first's late complete is refused and heard nowhere")
    void eachInstanceHearsItsOwnWrites() {
        Recording there = new Recording();
        var here = atlas.tenant("acme").executions();
        var other = reopen(b -> b.clock(clock).executionListener(there)).tenant("acme").executions();

        ExecutionHandle cancelledThere = here.start(ExecutionSpec.text("openai", "gpt-4o"));
        Execution cancelled = other.cancel(cancelledThere.id());
        ExecutionHandle sweptThere = here.start(ExecutionSpec.text("openai", "gpt-4o"));
        sweptThere.step().toolCall("call_1", "lookup", "{}");
        advance(2 * 3_600_000L);
        assertThat(other.sweepInterrupted(java.time.Duration.ofHours(1)).executions()).isEqualTo(1);
        Execution created = here.create(ExecutionSpec.text("openai", "gpt-4o"));
        Execution completed = other.resume(created.id()).complete();
        assertThatThrownBy(cancelledThere::complete).isInstanceOf(ConflictException.class);
        assertThatThrownBy(sweptThere::complete).isInstanceOf(ConflictException.class);

        assertThat(heard.names()).containsExactly("started", "started");
        assertThat(heard.events).extracting(e -> ((Execution) e.record()).id()).containsExactly(cancelledThere.id(), sweptThere.id());
        assertThat(there.names()).containsExactly("cancelled", "toolCallFinished", "stepFinished", "failed", "started", "completed");
        assertThat(there.events.get(0).record()).isEqualTo(cancelled).isEqualTo(here.require(cancelledThere.id()));
        assertThat(there.events.get(1).record()).isEqualTo(here.tree(sweptThere.id()).orElseThrow().toolCalls().get(0));
        assertThat(there.events.get(2).record()).isEqualTo(here.tree(sweptThere.id()).orElseThrow().steps().get(0));
        assertThat(there.events.get(3).record()).isEqualTo(here.require(sweptThere.id()));
        assertThat(there.events.get(5).record()).isEqualTo(completed).isEqualTo(here.require(created.id()));
        assertThat(there.events).extracting(Event::committedStatus)
                .containsExactly("cancelled", "failed", "failed", "failed", "processing", "completed");
    }

    /** On an end event, sets usage and the first token on the handle that ended the execution, then asks a second thread to. */
    private static final class LateUsage implements ExecutionListener {
        volatile ExecutionHandle handle;
        final List<String> outcomes = Collections.synchronizedList(new ArrayList<>());

        private void late() {
            outcomes.add(lateOutcome(() -> handle.usage(Usage.of(5, 5))));
            outcomes.add(lateOutcome(handle::firstToken));
            try {
                // Another thread of the application, the listener waiting for it: the handle must not be held by the event.
                outcomes.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> lateOutcome(() -> handle.usage(Usage.of(7, 7))))
                        .get(60, java.util.concurrent.TimeUnit.SECONDS));
            } catch (Exception e) {
                outcomes.add(e.toString());
            }
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            late();
        }

        @Override
        public void failed(String tenantId, Execution execution) {
            late();
        }

        @Override
        public void cancelled(String tenantId, Execution execution) {
            late();
        }
    }

    @Test
    @DisplayName("usage or a first token set on the handle by a listener of its own end (or by a thread it waits for) is refused with"
            + " ConflictException on executionId, not silently lost: the stored usage is the one the end stored")
    void usageFromAnEndListenerIsRefused() {
        LateUsage late = new LateUsage();
        var recorder = reopen(b -> b.clock(clock).executionListener(late)).tenant("acme").executions();
        String refused = "ConflictException: executionId: execution %s has finished; its usage and first-token time are stored when it finishes,"
                + " so set them before complete, fail or cancel";
        for (java.util.function.Function<ExecutionHandle, Execution> end : List.<java.util.function.Function<ExecutionHandle, Execution>>of(
                ExecutionHandle::complete, h -> h.fail("boom"), ExecutionHandle::cancel)) {
            late.outcomes.clear();
            ExecutionHandle exec = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            late.handle = exec;
            exec.usage(Usage.of(100, 10));
            Execution ended = end.apply(exec);
            String message = refused.formatted(exec.id());
            assertThat(late.outcomes).containsExactly(message, message, message);
            assertThat(recorder.require(exec.id())).isEqualTo(ended);
            assertThat(ended.usage()).isEqualTo(Usage.of(100, 10));
            assertThat(ended.firstTokenMs()).isNull();
        }
    }

    @Test
    @DisplayName("writes that are refused or rolled back are not heard")
    void refusedWritesAreNotHeard() {
        var acme = atlas.tenant("acme");
        var recorder = acme.executions();
        Conversation foreign = atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        ExecutionHandle exec = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = exec.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup", "{}");
        call.complete("ok");
        step.finish("done", FinishReason.STOP);
        exec.complete();
        heard.events.clear();
        int thrownBefore = throwing.calls;

        // Each of these runs a statement inside a transaction that then rolls back.
        assertThatThrownBy(() -> recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(foreign.id())))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(exec::complete).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> exec.fail("late")).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(exec::cancel).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> step.finish("again", FinishReason.STOP)).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> step.fail("again")).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> call.complete("again")).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(exec::step).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> recorder.resume(exec.id())).isInstanceOf(IllegalTransitionException.class);

        assertThat(heard.events).isEmpty();
        assertThat(throwing.calls).isEqualTo(thrownBefore);
    }

    /**
     * Re-enters Atlas from acme's events: reads the execution being recorded, records another
     * tenant's execution from inside started, and blocks in toolCallFinished until another thread
     * recorded a whole execution through the same instance.
     */
    private static final class Reentrant implements ExecutionListener {
        volatile dev.atlas.Atlas atlas;
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void started(String tenantId, Execution execution) {
            if (!tenantId.equals("acme")) {
                return;
            }
            ExecutionTree t = atlas.tenant("acme").executions().tree(execution.id()).orElseThrow();
            seen.add("started: " + t.execution().status() + ", " + t.steps().size() + " steps");
            atlas.tenant("audit").executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o-mini"), x -> {
                x.step().finish("logged", FinishReason.STOP);
                return null;
            });
        }

        @Override
        public void toolCallFinished(String tenantId, ToolCall toolCall) {
            if (!tenantId.equals("acme")) {
                return;
            }
            try {
                // Another request of the application, on another thread, while this listener blocks.
                java.util.concurrent.CompletableFuture<Execution> other = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    var r = atlas.tenant("other").executions();
                    java.util.UUID id = r.record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"), x -> {
                        x.step().finish("done", FinishReason.STOP);
                        return x.id();
                    });
                    return r.require(id);
                });
                seen.add("other: " + other.get(60, java.util.concurrent.TimeUnit.SECONDS).status());
            } catch (Exception e) {
                seen.add("other: " + e);
            }
        }

        @Override
        public void stepFinished(String tenantId, ExecutionStep step) {
            if (tenantId.equals("acme")) {
                ExecutionTree t = atlas.tenant("acme").executions().tree(step.executionId()).orElseThrow();
                seen.add("stepFinished: " + t.steps().get(step.sequence() - 1).equals(step) + ", " + t.execution().status());
            }
        }

        @Override
        public void completed(String tenantId, Execution execution) {
            if (tenantId.equals("acme")) {
                seen.add("completed: " + atlas.tenant("acme").executions().require(execution.id()).equals(execution));
            }
        }
    }

    @Test
    @DisplayName("listeners that re-enter Atlas (read the execution being recorded, record another tenant's from inside started) or"
            + " block while another thread records through the same instance never break the recording: every event is heard"
            + " once, each nested recording's events where it ran, and every row is stored as without them")
    void reentrantAndBlockingListenersNeverBreakTheRecording() {
        Reentrant reentrant = new Reentrant();
        Recording after = new Recording();
        dev.atlas.Atlas a = reopen(b -> b.clock(clock).executionListener(reentrant).executionListener(after));
        reentrant.atlas = a;
        var recorder = a.tenant("acme").executions();
        java.util.UUID id = recorder.record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            StepHandle step = exec.step();
            step.toolCall("call_1", "lookup", "{}").complete("ok");
            step.finish("answer", FinishReason.STOP);
            return exec.id();
        });

        assertThat(reentrant.seen).containsExactly("started: processing, 0 steps", "other: completed", "stepFinished: true, processing",
                "completed: true");
        assertThat(after.events).extracting(e -> e.tenantId() + ":" + e.name()).containsExactly(
                "audit:started", "audit:stepFinished", "audit:completed", "acme:started",
                "other:started", "other:stepFinished", "other:completed",
                "acme:toolCallFinished", "acme:stepFinished", "acme:completed");
        ExecutionTree tree = recorder.tree(id).orElseThrow();
        assertThat(tree.execution().status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(tree.steps()).singleElement().satisfies(st -> {
            assertThat(st.content()).isEqualTo("answer");
            assertThat(st.toolCalls()).extracting(ToolCall::result).containsExactly("ok");
        });
        assertThat(after.events.get(9).record()).isEqualTo(tree.execution());
        for (String tenant : List.of("audit", "other")) {
            assertThat(a.tenant(tenant).executions().list(dev.atlas.execution.ExecutionQuery.all()).items())
                    .extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED);
        }
    }

    @Test
    @DisplayName("one instance sweeping while another completes its stale runs: each run is heard ended once, as completed on the"
            + " instance whose complete stored it or as failed on the sweeping one, with the record as stored; a refused complete is"
            + " heard nowhere")
    void sweepRacingCompletesIsHeardOncePerRun() throws Exception {
        Recording there = new Recording();
        var here = atlas.tenant("acme").executions();
        var other = reopen(b -> b.clock(clock).executionListener(there)).tenant("acme").executions();
        List<ExecutionHandle> runs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ExecutionHandle h = here.start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
            h.step().finish("round " + i, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
            runs.add(h);
        }
        heard.events.clear();
        advance(2 * 3_600_000L);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<UUID> completed = new ArrayList<>();
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.Future<List<UUID>> finishing = pool.submit(() -> {
                go.await();
                List<UUID> done = new ArrayList<>();
                for (ExecutionHandle h : runs) {
                    try {
                        done.add(h.complete().id());
                    } catch (ConflictException sweptFirst) {
                        // heard as failed on the sweeping instance
                    }
                }
                return done;
            });
            java.util.concurrent.Future<dev.atlas.execution.SweepResult> sweeping = pool.submit(() -> {
                go.await();
                return other.sweepInterrupted(java.time.Duration.ofHours(1));
            });
            go.countDown();
            completed.addAll(finishing.get(60, java.util.concurrent.TimeUnit.SECONDS));
            assertThat(sweeping.get(60, java.util.concurrent.TimeUnit.SECONDS).executions()).isEqualTo(runs.size() - completed.size());
        } finally {
            pool.shutdownNow();
        }
        assertThat(heard.names()).hasSize(completed.size()).allMatch("completed"::equals);
        assertThat(there.names()).hasSize(runs.size() - completed.size()).allMatch("failed"::equals);
        List<UUID> heardEnded = new ArrayList<>();
        for (Event e : heard.events) {
            Execution x = (Execution) e.record();
            assertThat(x).isEqualTo(here.require(x.id())).returns(ExecutionStatus.COMPLETED, Execution::status);
            heardEnded.add(x.id());
        }
        for (Event e : there.events) {
            Execution x = (Execution) e.record();
            assertThat(x).isEqualTo(here.require(x.id())).returns(ExecutionStatus.FAILED, Execution::status);
            heardEnded.add(x.id());
        }
        assertThat(heardEnded.subList(0, completed.size())).containsExactlyElementsOf(completed);
        assertThat(heardEnded).containsExactlyInAnyOrderElementsOf(runs.stream().map(ExecutionHandle::id).toList());
    }
}
