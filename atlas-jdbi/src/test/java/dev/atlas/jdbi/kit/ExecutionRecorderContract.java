package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.StorageException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationType;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.SweepResult;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.execution.ToolCallType;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** The behaviour every {@link ExecutionRecorder} implementation must have, on every database. */
public abstract class ExecutionRecorderContract extends AtlasContract {
    protected Tenant acme;
    protected Tenant globex;
    protected ExecutionRecorder recorder;

    protected ExecutionRecorderContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void tenants() {
        acme = atlas.tenant("acme");
        globex = atlas.tenant("globex");
        recorder = acme.executions();
    }

    private Conversation convo() {
        return acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
    }

    private long rows(String table) {
        return AdHoc.count(atlas, table);
    }

    private void advance(long millis) {
        clock.advanceMicros(millis * 1000);
    }

    // ---- recording ----------------------------------------------------------------------

    @Test
    @DisplayName("record runs the lambda as one completed execution with timed steps, tool calls and usage")
    void recordCompletes() {
        Conversation c = convo();
        String answer = recorder.record(ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(c.id()), exec -> {
            StepHandle step = exec.step();
            advance(40);
            StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup_order", "{\"order\":1234}");
            advance(10);
            call.complete("{\"status\":\"shipped\"}");
            step.finish(null, FinishReason.TOOL_CALLS);
            StepHandle second = exec.step();
            advance(50);
            second.finish("It shipped.", FinishReason.STOP);
            exec.usage(Usage.of(1200, 30));
            return "It shipped.";
        });
        assertThat(answer).isEqualTo("It shipped.");
        Execution e = recorder.list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(e.usage()).isEqualTo(Usage.of(1200, 30));
        assertThat(e.durationMs()).isEqualTo(100);
        assertThat(e.agent()).isEqualTo("support");
        assertThat(e.conversationId()).isEqualTo(c.id());
        ExecutionTree tree = recorder.tree(e.id()).orElseThrow();
        assertThat(tree.steps()).extracting(s -> s.sequence()).containsExactly(1, 2);
        assertThat(tree.steps().get(0).finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(tree.steps().get(0).durationMs()).isEqualTo(50);
        assertThat(tree.steps().get(1).content()).isEqualTo("It shipped.");
        assertThat(tree.toolCalls()).singleElement().satisfies(tc -> {
            assertThat(tc.name()).isEqualTo("lookup_order");
            assertThat(tc.providerCallId()).isEqualTo("call_1");
            assertThat(tc.type()).isEqualTo(ToolCallType.LOCAL);
            assertThat(tc.result()).isEqualTo("{\"status\":\"shipped\"}");
            assertThat(tc.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(tc.durationMs()).isEqualTo(10);
        });
    }

    @Test
    @DisplayName("a lambda throwing a checked exception leaves a failed execution with its message and the same instance reaches the caller")
    void recordFailsWithCheckedException() {
        IOException boom = new IOException("provider timed out after 30s");
        Throwable thrown = null;
        try {
            recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                exec.step();
                throw boom;
            });
        } catch (IOException e) {
            thrown = e;
        }
        assertThat(thrown).isSameAs(boom);
        assertThat(boom.getSuppressed()).isEmpty();
        Execution e = recorder.list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("provider timed out after 30s");
        assertThat(e.completedAt()).isNotNull();
    }

    @Test
    @DisplayName("a lambda throwing an unchecked exception without a message is rethrown unchanged and recorded with its class name")
    void recordFailsWithRuntimeException() {
        IllegalStateException boom = new IllegalStateException();
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw boom;
        })).isSameAs(boom);
        Execution e = recorder.list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    @DisplayName("an exception message with NUL and lone surrogates is stored sanitised instead of failing the recording")
    void hostileExceptionMessage() {
        RuntimeException boom = new RuntimeException("bad\u0000byte \uD800 end");
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(boom.getSuppressed()).isEmpty();
        assertThat(recorder.list(ExecutionQuery.all()).items().get(0).error()).isEqualTo("bad\uFFFDbyte \uFFFD end");
    }

    @Test
    @DisplayName("a lambda that cancels its own execution is left cancelled")
    void recordCancelledInside() {
        String r = recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            exec.cancel();
            return "stopped";
        });
        assertThat(r).isEqualTo("stopped");
        assertThat(recorder.list(ExecutionQuery.all()).items().get(0).status()).isEqualTo(ExecutionStatus.CANCELLED);
    }

    @Test
    @DisplayName("the async form completes after the execution is stored, with the body's value or its original exception")
    void recordAsync() throws Exception {
        CompletableFuture<String> ok = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"),
                exec -> CompletableFuture.supplyAsync(() -> "hi"));
        assertThat(ok.get()).isEqualTo("hi");
        IllegalArgumentException boom = new IllegalArgumentException("rate limited");
        CompletableFuture<String> bad = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"),
                exec -> CompletableFuture.supplyAsync(() -> {
                    throw boom;
                }));
        assertThatThrownBy(bad::get).isInstanceOf(ExecutionException.class).cause().isSameAs(boom);
        List<Execution> all = recorder.list(ExecutionQuery.all()).items();
        assertThat(all).extracting(Execution::status).containsExactly(ExecutionStatus.FAILED, ExecutionStatus.COMPLETED);
        assertThat(all.get(0).error()).isEqualTo("rate limited");
        // A body returning no future at all (a programming error) ends the run failed too, naming what was missing.
        CompletableFuture<String> none = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"), exec -> null);
        assertThat(none).isCompletedExceptionally();
        assertThatThrownBy(none::get).isInstanceOf(ExecutionException.class).cause().isExactlyInstanceOf(dev.atlas.InvalidInputException.class)
                .hasMessage("body result: is required").satisfies(e -> assertThat(((dev.atlas.InvalidInputException) e).field()).isEqualTo("body result"));
        assertThat(recorder.list(ExecutionQuery.all()).items().get(0)).returns(ExecutionStatus.FAILED, Execution::status)
                .returns("body result: is required", Execution::error);
    }

    @Test
    @DisplayName("recordAsync whose body throws a checked exception before returning its future (Kotlin, @SneakyThrows) stores the execution failed and returns that exception in the future, as for a runtime exception")
    void recordAsyncBodyThrowingChecked() {
        IOException io = new IOException("connection reset");
        CompletableFuture<String> f = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"), exec -> sneaky(io));
        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isSameAs(io);
        Execution e = recorder.list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("connection reset");
    }

    @Test
    @DisplayName("a CompletionException a body throws (a client's join of a failed future) is stored as its cause's message, as for a"
            + " returned future: recordAsync's body throwing it before returning fails the returned future with the cause itself;"
            + " record rethrows the very exception it caught")
    void wrappedFailuresAreStoredAsTheirCause() {
        IOException reset = new IOException("connection reset");
        java.util.concurrent.CompletionException wrapped = new java.util.concurrent.CompletionException(reset);
        CompletableFuture<String> f = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw wrapped;
        });
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause().isSameAs(reset);
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("connection reset", Execution::error);

        CompletableFuture<String> returned = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"),
                exec -> CompletableFuture.failedFuture(wrapped));
        assertThatThrownBy(returned::get).isInstanceOf(ExecutionException.class).cause().isSameAs(reset);
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("connection reset", Execution::error);

        CompletableFuture<String> client = CompletableFuture.failedFuture(reset);
        Throwable thrown = catchThrown(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> client.thenApply(String::trim).join()));
        assertThat(thrown).isExactlyInstanceOf(java.util.concurrent.CompletionException.class).hasCause(reset);
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("connection reset", Execution::error);
        Throwable got = catchThrown(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> client.get()));
        assertThat(got).isExactlyInstanceOf(ExecutionException.class).hasCause(reset);
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("connection reset", Execution::error);
    }

    @Test
    @DisplayName("a call that is cancelled is recorded cancelled, not failed, with its finished steps' usage: a body future cancelled, the future recordAsync returned cancelled by the caller (which cancels the body's future), a record body throwing CancellationException")
    void cancelledCallsAreRecordedCancelled() {
        CompletableFuture<String> call = new CompletableFuture<>();
        UUID[] ids = new UUID[3];
        CompletableFuture<String> f = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            ids[0] = exec.id();
            exec.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
            return call;
        });
        call.cancel(true);
        assertThat(f).isCancelled();
        Execution first = recorder.require(ids[0]);
        assertThat(first.status()).isEqualTo(ExecutionStatus.CANCELLED);
        assertThat(first.error()).isNull();
        assertThat(first.usage()).isEqualTo(Usage.of(100, 10));

        CompletableFuture<String> stream = new CompletableFuture<>();
        CompletableFuture<String> g = recorder.recordAsync(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            ids[1] = exec.id();
            return stream;
        });
        assertThat(g.cancel(true)).isTrue();
        assertThat(stream).isCancelled();
        assertThat(recorder.require(ids[1]).status()).isEqualTo(ExecutionStatus.CANCELLED);

        java.util.concurrent.CancellationException stop = new java.util.concurrent.CancellationException("user pressed stop");
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            ids[2] = exec.id();
            throw stop;
        })).isSameAs(stop);
        assertThat(recorder.require(ids[2]).status()).isEqualTo(ExecutionStatus.CANCELLED);
    }

    @Test
    @DisplayName("a record body waiting on a cancelled client future through a dependent stage (join: CompletionException, get:"
            + " ExecutionException, each wrapping the CancellationException) is recorded cancelled with its finished steps' usage, as"
            + " recordAsync records that future; the very exception reaches the caller")
    void recordBodyJoiningACancelledStageIsCancelled() {
        CompletableFuture<String> source = new CompletableFuture<>();
        CompletableFuture<String> reply = source.thenApply(String::trim); // a client's own stage after the HTTP call
        source.cancel(true);
        Throwable[] thrown = new Throwable[2];
        UUID[] ids = new UUID[2];
        thrown[0] = org.assertj.core.api.Assertions.catchThrowable(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            ids[0] = exec.id();
            exec.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
            return reply.join();
        }));
        thrown[1] = org.assertj.core.api.Assertions.catchThrowable(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            ids[1] = exec.id();
            exec.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
            return reply.get();
        }));
        assertThat(thrown[0]).isExactlyInstanceOf(java.util.concurrent.CompletionException.class)
                .hasCauseExactlyInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(thrown[1]).isExactlyInstanceOf(ExecutionException.class)
                .hasCauseExactlyInstanceOf(java.util.concurrent.CancellationException.class);
        for (int i = 0; i < 2; i++) {
            assertThat(thrown[i].getSuppressed()).isEmpty();
            Execution e = recorder.require(ids[i]);
            assertThat(e.status()).as(thrown[i].getClass().getSimpleName()).isEqualTo(ExecutionStatus.CANCELLED);
            assertThat(e.error()).isNull();
            assertThat(e.usage()).isEqualTo(Usage.of(100, 10));
        }
    }

    @Test
    @DisplayName("a record body that throws an Error (an AssertionError, its own stack overflowing) or throws with its thread interrupted"
            + " (the interrupt re-set, as code catching InterruptedException should) is stored failed with the message, or the class"
            + " name when there is none; the very throwable reaches the caller with nothing suppressed and the interrupt is kept")
    void bodyThrowingErrorsOrInterrupted() {
        AssertionError assertion = new AssertionError("bad state");
        assertThat(catchThrown(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            throw assertion;
        }))).isSameAs(assertion);
        assertThat(latest().error()).isEqualTo("bad state");

        Throwable overflow = catchThrown(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> recurse(0)));
        assertThat(overflow).isExactlyInstanceOf(StackOverflowError.class);
        assertThat(overflow.getSuppressed()).isEmpty();
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("java.lang.StackOverflowError", Execution::error);

        IllegalStateException stopped = new IllegalStateException("stopped");
        Throwable interrupted = catchThrown(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            exec.step().finish(null, null, FinishReason.STOP, Usage.of(10, 1));
            Thread.currentThread().interrupt();
            throw stopped;
        }));
        assertThat(Thread.interrupted()).isTrue();
        assertThat(interrupted).isSameAs(stopped);
        assertThat(stopped.getSuppressed()).isEmpty();
        assertThat(latest()).returns(ExecutionStatus.FAILED, Execution::status).returns("stopped", Execution::error)
                .returns(Usage.of(10, 1), Execution::usage);

        Thread.currentThread().interrupt(); // interrupted before the call, and the body returns normally
        String answer = recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            exec.usage(Usage.of(3, 4));
            return "ok";
        });
        assertThat(Thread.interrupted()).isTrue();
        assertThat(answer).isEqualTo("ok");
        assertThat(latest()).returns(ExecutionStatus.COMPLETED, Execution::status).returns(Usage.of(3, 4), Execution::usage);
    }

    private Execution latest() {
        return recorder.list(ExecutionQuery.all().limit(1)).items().get(0);
    }

    private static Throwable catchThrown(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return org.assertj.core.api.Assertions.catchThrowable(call);
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @SuppressWarnings("unchecked")
    private static <T, X extends Throwable> T sneaky(Throwable t) throws X {
        throw (X) t;
    }

    @Test
    @DisplayName("start and complete without a lambda; finishing twice is an illegal transition")
    void explicitHandle() {
        ExecutionHandle h = recorder.start(ExecutionSpec.of(ExecutionType.EMBED, "openai", "text-embedding-3-small"));
        assertThat(recorder.require(h.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        h.providerResponseId("resp_123");
        h.metadata(Map.of("batch", 7));
        advance(3);
        h.firstToken();
        advance(5);
        Execution done = h.complete();
        assertThat(done.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(done.type()).isEqualTo(ExecutionType.EMBED);
        assertThat(done.providerResponseId()).isEqualTo("resp_123");
        assertThat(done.metadata()).isEqualTo(Map.of("batch", 7));
        assertThat(done.firstTokenMs()).isEqualTo(3);
        assertThat(done.durationMs()).isEqualTo(8);
        assertThatThrownBy(h::complete).isInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> h.fail("late")).isInstanceOf(IllegalTransitionException.class);
        assertThat(recorder.require(h.id()).status()).isEqualTo(ExecutionStatus.COMPLETED);
    }

    @Test
    @DisplayName("pending → queued → processing → completed; cancelling a completed execution is illegal")
    void stateMachine() {
        Execution pending = recorder.create(ExecutionSpec.text("anthropic", "claude-sonnet"));
        assertThat(pending.status()).isEqualTo(ExecutionStatus.PENDING);
        assertThat(pending.startedAt()).isNull();
        assertThat(recorder.queue(pending.id()).status()).isEqualTo(ExecutionStatus.QUEUED);
        assertThatThrownBy(() -> recorder.queue(pending.id())).isInstanceOf(IllegalTransitionException.class);
        ExecutionHandle h = recorder.resume(pending.id());
        assertThat(recorder.require(h.id()).startedAt()).isNotNull();
        assertThatThrownBy(() -> recorder.resume(pending.id())).isInstanceOf(IllegalTransitionException.class);
        h.complete();
        assertThatThrownBy(() -> recorder.cancel(pending.id())).isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("none (final)");
        Execution other = recorder.create(ExecutionSpec.text("anthropic", "claude-sonnet"));
        assertThat(recorder.cancel(other.id()).status()).isEqualTo(ExecutionStatus.CANCELLED);
    }

    @Test
    @DisplayName("steps and tool calls are refused once the execution is no longer processing")
    void noStepsAfterFinish() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        h.fail("gave up");
        assertThatThrownBy(h::step).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> step.toolCall("c", "search", "{}")).isInstanceOf(ConflictException.class);
        assertThat(rows("execution_steps")).isEqualTo(1);
        assertThat(rows("execution_tool_calls")).isZero();
    }

    @Test
    @DisplayName("a reply retried with its clientId returns the stored reply; the same clientId and content from another execution or step"
            + " is a ConflictException on clientId, never a reply linked elsewhere, and nothing is written")
    void replyClientIdIsBoundToItsExecutionAndStep() {
        Conversation c = convo();
        ExecutionHandle first = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle step = first.step();
        Message stored = first.reply(step, NewMessage.assistant("It shipped.").clientId("turn-5"));
        assertThat(first.reply(step, NewMessage.assistant("It shipped.").clientId("turn-5"))).isEqualTo(stored);

        StepHandle later = first.step();
        // Refused by the conversation store's client-id check, which compares the reply's execution and step.
        assertThatThrownBy(() -> first.reply(later, NewMessage.assistant("It shipped.").clientId("turn-5")))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientId"))
                .hasMessage("clientId: 'turn-5' was already used for message " + stored.id() + " with a different stepId");
        ExecutionHandle retry = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle retryStep = retry.step();
        assertThatThrownBy(() -> retry.reply(retryStep, NewMessage.assistant("It shipped.").clientId("turn-5")))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientId"));
        assertThat(acme.conversations().history(c.id())).containsExactly(stored);
        assertThat(retry.reply(retryStep, NewMessage.assistant("It shipped.").clientId("turn-5b")).executionId()).isEqualTo(retry.id());
        // The clientId is shown escaped: a line break or bidi control in it forges no log line.
        String hostile = "turn-6\nERROR forged\u202e";
        Message hostileReply = retry.reply(retryStep, NewMessage.assistant("Later.").clientId(hostile));
        assertThatThrownBy(() -> first.reply(later, NewMessage.assistant("Later.").clientId(hostile)))
                .isInstanceOf(ConflictException.class).hasMessage("clientId: 'turn-6\\u000aERROR forged\\u202e' was already used for message "
                        + hostileReply.id() + " with a different executionId, stepId");
    }

    @Test
    @DisplayName("reply, metadata and the provider response id are refused once the execution finished, like usage: ConflictException on executionId, nothing written")
    void noReplyMetadataOrResponseIdAfterFinish() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("u")));
        for (boolean complete : new boolean[] {true, false}) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).metadata(Map.of("k", 1)));
            StepHandle step = h.step();
            step.finish("x", FinishReason.STOP);
            Execution done = complete ? h.complete() : h.fail("gave up");
            assertThatThrownBy(() -> h.reply(step, "late"))
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
            assertThatThrownBy(() -> h.metadata(Map.of("late", true)))
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
            assertThatThrownBy(() -> h.providerResponseId("resp-late"))
                    .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
            assertThat(recorder.require(h.id())).isEqualTo(done);
        }
        assertThat(acme.conversations().history(c.id())).isEmpty();
    }


    @Test
    @DisplayName("reply, metadata, the provider response id, a new step and a new tool call (in a step or outside) are refused once another Atlas on the same database cancelled or swept the execution: ConflictException on executionId, the record unchanged, no message")
    void noReplyMetadataOrResponseIdAfterAFinishElsewhere() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("u")));
        ExecutionRecorder elsewhere = reopen(b -> b).tenant("acme").executions();
        for (boolean cancel : new boolean[] {true, false}) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).metadata(Map.of("k", 1)));
            StepHandle step = h.step();
            Execution ended;
            if (cancel) {
                ended = elsewhere.cancel(h.id());
            } else {
                assertThat(elsewhere.sweepInterrupted(Duration.ZERO).executions()).isEqualTo(1);
                ended = elsewhere.require(h.id());
            }
            assertThatThrownBy(() -> h.providerResponseId("resp-late")).isInstanceOfSatisfying(ConflictException.class, e -> {
                assertThat(e.field()).isEqualTo("executionId");
                assertThat(e.getMessage()).contains(h.id().toString());
            });
            assertThatThrownBy(() -> h.metadata(Map.of("late", true))).isInstanceOfSatisfying(ConflictException.class, e -> {
                assertThat(e.field()).isEqualTo("executionId");
                assertThat(e.getMessage()).contains(h.id().toString());
            });
            assertThatThrownBy(() -> h.reply(step, "late")).isInstanceOfSatisfying(ConflictException.class, e -> {
                assertThat(e.field()).isEqualTo("executionId");
                assertThat(e.getMessage()).contains(h.id().toString());
            });
            // No new step nor tool call (in the open step or outside any) on the ended run, whichever instance ended it.
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable late : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    h::step, () -> step.toolCall("c", "lookup", "{}"), () -> h.toolCall(NewToolCall.of("c", "lookup", "{}").queued()))) {
                assertThatThrownBy(late).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("executionId: execution " + h.id() + " is not processing;"
                                + " steps and tool calls can only be recorded or started while it runs"));
            }
            // The open step: left open by the cancel, so its finish is the run's conflict; failed by the sweep with its run,
            // so its finish is the move a failed step cannot make (StepHandle.finish's Javadoc).
            if (cancel) {
                assertThatThrownBy(() -> step.finish("late", FinishReason.STOP)).isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.field()).isEqualTo("executionId"));
            } else {
                assertThatThrownBy(() -> step.finish("late", FinishReason.STOP)).isInstanceOfSatisfying(IllegalTransitionException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("status: cannot change from failed to completed; allowed from failed: none (final)"));
            }
            assertThat(recorder.require(h.id())).isEqualTo(ended);
            assertThat(recorder.tree(h.id()).orElseThrow().toolCalls()).isEmpty();
            assertThat(recorder.tree(h.id()).orElseThrow().steps()).singleElement().returns(null, ExecutionStep::content)
                    .returns(cancel ? ExecutionStatus.PROCESSING : ExecutionStatus.FAILED, ExecutionStep::status);
        }
        assertThat(acme.conversations().history(c.id())).isEmpty();
    }
    @Test
    @DisplayName("a step left open is not closed after its execution finished (its usage would be missing from the execution's): ConflictException on executionId, the step unchanged; a tool call's late result is still stored")
    void noStepClosingAfterFinish() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "lookup", "{}");
        Execution done = h.complete();
        assertThatThrownBy(() -> step.finish("late", null, FinishReason.STOP, Usage.of(10, 5)))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
        assertThatThrownBy(() -> step.fail("late"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
        // A tool runs after the model call that asked for it; its result may come after that call's execution ended.
        call.complete("late result");
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.execution()).isEqualTo(done);
        assertThat(t.steps()).singleElement().satisfies(st -> {
            assertThat(st.status()).isEqualTo(ExecutionStatus.PROCESSING);
            assertThat(st.usage()).isEqualTo(Usage.NONE);
            assertThat(st.content()).isNull();
        });
        assertThat(t.toolCalls()).singleElement().satisfies(c -> assertThat(c.result()).isEqualTo("late result"));
        assertThat(recorder.sweepInterrupted(Duration.ofDays(1))).isEqualTo(new SweepResult(0, 1, 0));
    }

    @Test
    @DisplayName("a step finishing while its execution completes from the steps' sum is refused (ConflictException on executionId), never completed but left out of the execution's usage")
    void stepFinishRacingComplete() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        Db db = ((JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> completer = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch summed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch stepTried = new java.util.concurrent.CountDownLatch(1);
        // The completing thread stops right after it summed the steps, until the step's finish has
        // returned or (when the finish waits for the completion's lock) until it is seen waiting (RaceWaits).
        java.util.concurrent.atomic.AtomicReference<Thread> stepper = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == completer.get() && name.equals("executions.stepUsage")) {
                summed.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(stepTried, stepper::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<Execution> completed = CompletableFuture.supplyAsync(() -> {
                completer.set(Thread.currentThread());
                return h.complete();
            });
            summed.await();
            CompletableFuture<Throwable> finished = CompletableFuture.supplyAsync(() -> {
                stepper.set(Thread.currentThread());
                try {
                    step.finish("answer", null, FinishReason.STOP, Usage.of(100, 20));
                    return null;
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    stepTried.countDown();
                }
            });
            Execution done = completed.get();
            assertThat(finished.get()).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
            assertThat(done.usage()).isEqualTo(Usage.NONE);
        } finally {
            db.statementListener(null);
        }
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.execution().status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(t.execution().usage()).isEqualTo(Usage.NONE);
        assertThat(t.steps()).singleElement().satisfies(st -> {
            assertThat(st.status()).isEqualTo(ExecutionStatus.PROCESSING);
            assertThat(st.usage()).isEqualTo(Usage.NONE);
        });
    }

    @Test
    @DisplayName("usage and the first-token time, stored when the execution finishes, are refused after it finished instead of being dropped")
    void usageAfterFinishIsRefused() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        Execution done = h.complete();
        assertThatThrownBy(() -> h.usage(Usage.of(10, 5))).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("executionId"));
        assertThatThrownBy(h::firstToken).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("executionId"));
        assertThat(recorder.require(h.id())).isEqualTo(done);
    }

    @Test
    @DisplayName("a handle's complete(), fail() or cancel() after its execution ended elsewhere (cancel(id) here, a cancel or the sweep"
            + " on another Atlas instance) is a ConflictException on executionId naming the execution, its stored status and that the"
            + " usage set on the handle was not stored; later usage is refused too and the stored record stays as ended; record() whose"
            + " body returns after such a cancel throws the same")
    void finishAfterAnEndElsewhereIsAConflictNamingIt() {
        ExecutionRecorder elsewhere = reopen(b -> b.clock(clock)).tenant("acme").executions();
        String[] enders = {"cancel here", "cancel there", "sweep there"};
        String[] finishes = {"complete", "fail", "cancel"};
        for (String ender : enders) {
            for (String finish : finishes) {
                ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
                h.usage(Usage.of(10, 5)); // set before the end elsewhere: that end cannot know it
                Execution ended = switch (ender) {
                    case "cancel here" -> recorder.cancel(h.id());
                    case "cancel there" -> elsewhere.cancel(h.id());
                    default -> {
                        advance(2);
                        assertThat(elsewhere.sweepInterrupted(Duration.ofMillis(1)).executions()).isEqualTo(1);
                        yield elsewhere.require(h.id());
                    }
                };
                String status = ender.startsWith("cancel") ? "cancelled" : "failed";
                h.usage(Usage.of(20, 5)); // still accepted: checking would cost a read per call; the finish says it was lost
                org.assertj.core.api.ThrowableAssert.ThrowingCallable call = switch (finish) {
                    case "complete" -> h::complete;
                    case "fail" -> () -> h.fail("late");
                    default -> h::cancel;
                };
                assertThatThrownBy(call).as(ender + " then " + finish).isExactlyInstanceOf(ConflictException.class)
                        .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("executionId"))
                        .hasMessageContaining("execution " + h.id() + " is " + status)
                        .hasMessageContaining("usage set on this handle was not stored");
                assertThatThrownBy(() -> h.usage(Usage.of(30, 5))).isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.field()).isEqualTo("executionId"));
                assertThatThrownBy(call).as("again").isExactlyInstanceOf(ConflictException.class);
                assertThat(recorder.require(h.id())).isEqualTo(ended);
                assertThat(ended.usage()).isEqualTo(Usage.NONE);
            }
        }
        // The handle learnt of the end from a refused metadata write first: its finish says the same.
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        elsewhere.cancel(h.id());
        assertThatThrownBy(() -> h.metadata(Map.of("k", 1))).isInstanceOf(ConflictException.class);
        assertThatThrownBy(h::complete).isExactlyInstanceOf(ConflictException.class).hasMessageContaining("is cancelled");
        // record(): the body's result cannot be returned as recorded.
        UUID[] id = new UUID[1];
        assertThatThrownBy(() -> recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            id[0] = exec.id();
            elsewhere.cancel(exec.id());
            return "answer";
        })).isExactlyInstanceOf(ConflictException.class).hasMessageContaining("is cancelled");
        assertThat(recorder.require(id[0]).status()).isEqualTo(ExecutionStatus.CANCELLED);
    }

    @Test
    @DisplayName("a tool call row cannot exist without its step: the schema refuses one")
    void toolCallNeedsStep() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        JdbiAtlas jdbi = (JdbiAtlas) atlas;
        assertThatThrownBy(() -> jdbi.db().write(x -> AdHoc.on(jdbi.db(), x, "INSERT INTO <p>execution_tool_calls (tenant_id, id, execution_id,"
                        + " step_id, call_index, name, type, arguments, status, started_at, created_at, updated_at) VALUES ('acme', :id, :e,"
                        + " :s, 0, 'x', 'local', :args, 'processing', :now, :now, :now)")
                .bind("id", UUID.randomUUID()).bind("e", h.id()).bind("s", UUID.randomUUID())
                .bind("args", "{}").bind("now", Instant.now()).update()))
                .isInstanceOf(dev.atlas.StorageException.class);
        assertThat(rows("execution_tool_calls")).isZero();
    }

    @Test
    @DisplayName("without an explicit usage the execution's usage is the sum of its steps' usage")
    void usageFromSteps() {
        Execution e = recorder.require(recorder.record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            exec.step().finish("a", null, FinishReason.TOOL_CALLS, Usage.of(100, 10).reasoning(4));
            exec.step().finish("b", "thinking", FinishReason.STOP, Usage.of(150, 20).cached(50));
            return exec.id();
        }));
        assertThat(e.usage()).isEqualTo(new Usage(250L, 30L, 4L, 50L, null));
        assertThat(recorder.tree(e.id()).orElseThrow().steps().get(1).reasoning()).isEqualTo("thinking");
    }

    @Test
    @DisplayName("a step can fail and its tool calls can fail, each with its error")
    void stepAndToolFailures() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall(NewToolCall.of("c1", "web_search", "{\"q\":\"x\"}").type(ToolCallType.PROVIDER));
        call.fail("quota exceeded");
        step.fail("tool failed");
        assertThatThrownBy(() -> call.complete("late")).isInstanceOf(IllegalTransitionException.class);
        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps().get(0).status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(tree.steps().get(0).finishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(tree.toolCalls().get(0).error()).isEqualTo("quota exceeded");
        assertThat(tree.toolCalls().get(0).type()).isEqualTo(ToolCallType.PROVIDER);

        // Every fail(error) records the failure whatever its text: a blank error is stored as given, as TaskStore.fail and
        // failAsOperator store it ...
        ExecutionHandle blank = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle blankStep = blank.step();
        StepHandle.ToolCallHandle blankCall = blankStep.toolCall("c2", "web_search", "{}");
        blankCall.fail("");
        blankStep.fail(" ");
        assertThat(blank.fail("\t").error()).isEqualTo("\t");
        ExecutionTree blankTree = recorder.tree(blank.id()).orElseThrow();
        assertThat(blankTree.toolCalls().get(0)).returns(ExecutionStatus.FAILED, ToolCall::status).returns("", ToolCall::error);
        assertThat(blankTree.steps().get(0)).returns(ExecutionStatus.FAILED, ExecutionStep::status).returns(" ", ExecutionStep::error);
        assertThat(recorder.require(blank.id())).returns(ExecutionStatus.FAILED, Execution::status).returns("\t", Execution::error);

        // ... null included (an exception's getMessage() is often null): the failure is recorded without a text, error()
        // null, as TaskStore.fail and failAsOperator record it; refusing it inside a failure path would leave the run open.
        ExecutionHandle none = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle noneStep = none.step();
        noneStep.toolCall("c3", "web_search", "{}").fail(null);
        noneStep.fail(null);
        assertThat(none.fail(null)).returns(ExecutionStatus.FAILED, Execution::status).returns(null, Execution::error);
        ExecutionTree noneTree = recorder.tree(none.id()).orElseThrow();
        assertThat(noneTree.toolCalls().get(0)).returns(ExecutionStatus.FAILED, ToolCall::status).returns(null, ToolCall::error);
        assertThat(noneTree.steps().get(0)).returns(ExecutionStatus.FAILED, ExecutionStep::status).returns(null, ExecutionStep::error)
                .returns(FinishReason.ERROR, ExecutionStep::finishReason);
        assertThat(recorder.require(none.id())).returns(ExecutionStatus.FAILED, Execution::status).returns(null, Execution::error);
    }

    @Test
    @DisplayName("the assistant revision id and a tool thread spawned by a tool call are recorded")
    void revisionAndToolThread() {
        Conversation c = convo();
        UUID assistant = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot")).id();
        UUID revision = acme.assistants().publish(assistant, dev.atlas.assistant.NewRevision.of("prompt", java.util.Map.of())).id();
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).assistantRevision(revision));
        StepHandle.ToolCallHandle call = h.step().toolCall("c1", "research", "{}");
        Conversation thread = call.thread(Owner.user("alice"), "researcher");
        assertThat(thread.type()).isEqualTo(ConversationType.TOOL);
        assertThat(thread.parentConversationId()).isEqualTo(c.id());
        assertThat(thread.parentToolCallId()).isEqualTo(call.id());
        assertThat(recorder.require(h.id()).assistantRevisionId()).isEqualTo(revision);
    }

    @Test
    @DisplayName("all 16 execution types of seed 002 (video_to_text, music and sfx included) are recorded, read back and filtered on")
    void everySeedExecutionType() {
        assertThat(java.util.Arrays.stream(ExecutionType.values()).map(ExecutionType::toString).toList()).containsExactlyInAnyOrder(
                "text", "structured", "stream", "image", "image_to_text", "audio", "audio_to_text", "video", "video_to_text",
                "music", "sfx", "speech", "embed", "moderate", "rerank", "voice");
        for (ExecutionType type : ExecutionType.values()) {
            Execution e = recorder.create(ExecutionSpec.of(type, "provider", "model-" + type));
            assertThat(recorder.require(e.id()).type()).isEqualTo(type);
            assertThat(recorder.list(ExecutionQuery.all().type(type)).items()).extracting(Execution::id).containsExactly(e.id());
            assertThat(ExecutionType.of(type.toString())).isEqualTo(type);
        }
    }

    @Test
    @DisplayName("the database itself refuses an execution type outside the 16, on insert and on update, and the row is unchanged")
    void typeColumnIsChecked() {
        JdbiAtlas jdbi = (JdbiAtlas) atlas;
        Execution e = recorder.create(ExecutionSpec.of(ExecutionType.MUSIC, "provider", "model"));
        assertThatThrownBy(() -> jdbi.db().write(x -> AdHoc.on(jdbi.db(), x, "UPDATE <p>executions SET type = 'telepathy' WHERE tenant_id = 'acme' AND id = :id")
                .bind("id", e.id()).update())).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> jdbi.db().write(x -> AdHoc.on(jdbi.db(), x, "INSERT INTO <p>executions (tenant_id, id, provider, model, type, status,"
                        + " metadata, created_at, updated_at) VALUES ('acme', :id, 'p', 'm', 'Music', 'pending', :metadata, :now, :now)")
                .bind("id", UUID.randomUUID()).bind("metadata", new dev.atlas.jdbi.internal.JsonDoc("{}")).bind("now", clock.instant())
                .update())).isInstanceOf(StorageException.class);
        // the same statement with an allowed type goes through: the type alone was refused
        UUID control = UUID.randomUUID();
        jdbi.db().write(x -> AdHoc.on(jdbi.db(), x, "INSERT INTO <p>executions (tenant_id, id, provider, model, type, status,"
                        + " metadata, created_at, updated_at) VALUES ('acme', :id, 'p', 'm', 'sfx', 'pending', :metadata, :now, :now)")
                .bind("id", control).bind("metadata", new dev.atlas.jdbi.internal.JsonDoc("{}")).bind("now", clock.instant()).update());
        assertThat(recorder.require(e.id()).type()).isEqualTo(ExecutionType.MUSIC);
        assertThat(recorder.require(control).type()).isEqualTo(ExecutionType.SFX);
        assertThat(recorder.list(ExecutionQuery.all()).items()).hasSize(2);
    }

    /** Runs {@code text} ({@code <p>} for the prefix, {@code :id} bound to {@code id}) as a hand edit would, expecting one row changed. */
    private void handEdit(String text, UUID id) {
        Db db = ((JdbiAtlas) atlas).db();
        int changed = db.write(x -> AdHoc.on(db, x, text).bind("id", id).update());
        assertThat(changed).isEqualTo(1);
    }

    /** {@code read} fails with UnreadableRowException naming {@code table} and {@code id}. */
    private static void unreadable(String table, UUID id, Runnable read) {
        assertThatThrownBy(read::run).isInstanceOfSatisfying(dev.atlas.UnreadableRowException.class, e -> {
            assertThat(e.table()).isEqualTo(table);
            assertThat(e.rowId()).isEqualTo(id.toString());
            assertThat(e.getMessage()).contains(table, id.toString());
        });
    }

    @Test
    @DisplayName("a step or tool call row Atlas cannot read (a finish reason or status of a newer version, metadata past the read limit)"
            + " fails tree, historyWithTools and toolCalls with UnreadableRowException naming its table and id, as an execution row does;"
            + " other executions still read, and the row reads again once repaired")
    void unreadableStepAndToolCallRowsAreNamed() {
        Conversation c = convo();
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup", "{}");
        call.complete("{\"ok\":true}");
        step.finish(null, FinishReason.TOOL_CALLS);
        h.reply(step, "done");
        h.complete();
        Execution good = recorder.start(ExecutionSpec.text("openai", "gpt-4o")).complete();

        // A finish reason a newer Atlas on the same database might write (the column has no CHECK).
        handEdit("UPDATE <p>execution_steps SET finish_reason = 'pause_turn' WHERE tenant_id = 'acme' AND id = :id", step.id());
        unreadable("execution_steps", step.id(), () -> recorder.tree(h.id()));
        unreadable("execution_steps", step.id(), () -> recorder.historyWithTools(c.id(), 10));
        assertThat(recorder.tree(good.id())).isPresent();
        handEdit("UPDATE <p>execution_steps SET finish_reason = 'tool_calls' WHERE tenant_id = 'acme' AND id = :id", step.id());

        // Metadata every database stores but no read accepts: an integer past the read limit.
        String unreadableJson = "'{\"n\": " + "1".repeat(1200) + "}'";
        handEdit("UPDATE <p>execution_tool_calls SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", call.id());
        unreadable("execution_tool_calls", call.id(), () -> recorder.tree(h.id()));
        unreadable("execution_tool_calls", call.id(), () -> recorder.toolCalls(ToolCallQuery.all()));
        unreadable("execution_tool_calls", call.id(), () -> recorder.historyWithTools(c.id(), 10));
        handEdit("UPDATE <p>execution_tool_calls SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", call.id());

        handEdit("UPDATE <p>execution_steps SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", step.id());
        unreadable("execution_steps", step.id(), () -> recorder.tree(h.id()));
        handEdit("UPDATE <p>execution_steps SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", step.id());

        ExecutionTree repaired = recorder.tree(h.id()).orElseThrow();
        assertThat(repaired.steps()).singleElement().returns(FinishReason.TOOL_CALLS, ExecutionStep::finishReason);
        assertThat(repaired.toolCalls()).extracting(ToolCall::id).containsExactly(call.id());
        assertThat(recorder.historyWithTools(c.id(), 10)).singleElement().satisfies(m -> assertThat(m.toolCalls()).hasSize(1));
    }

    @Test
    @DisplayName("metadata on a step and on a tool call is stored with it, replaced in any status, and read back exactly")
    void stepAndToolCallMetadata() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        step.metadata(Map.of("latency_ms", 120, "cache", Map.of("hit", true)));
        StepHandle.ToolCallHandle tagged = step.toolCall(NewToolCall.of("c1", "search", "{}").metadata(Map.of("source", "mcp", "server", "docs")));
        StepHandle.ToolCallHandle plain = step.toolCall("c2", "search", "{}");
        tagged.complete("found");
        tagged.metadata(Map.of("duration_ms", 42, "tokens", List.of(10, 20)));
        plain.complete("none");
        step.finish("done", FinishReason.STOP);
        ExecutionHandle other = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle cleared = other.step();
        cleared.metadata(Map.of("x", 1));
        cleared.metadata(null);

        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps().get(0).metadata()).isEqualTo(Map.of("latency_ms", 120, "cache", Map.of("hit", true)));
        assertThat(tree.toolCalls()).extracting(dev.atlas.execution.ToolCall::metadata)
                .containsExactly(Map.of("duration_ms", 42, "tokens", List.of(10, 20)), Map.of());
        assertThat(tree.steps().get(0).toolCalls()).isEqualTo(tree.toolCalls());
        assertThat(recorder.tree(other.id()).orElseThrow().steps().get(0).metadata()).isEqualTo(Map.of());
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search")).items())
                .containsExactlyInAnyOrderElementsOf(tree.toolCalls());
    }

    @Test
    @DisplayName("a tool call recorded queued waits, starts (queued → processing, timed from the start), then completes; other moves are refused")
    void queuedToolCall() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall(NewToolCall.of("c1", "render", "{}").queued());
        assertThat(recorder.tree(h.id()).orElseThrow().toolCalls()).singleElement()
                .satisfies(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.QUEUED));
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.all().status(ExecutionStatus.QUEUED)).items())
                .extracting(dev.atlas.execution.ToolCall::id).containsExactly(call.id());
        assertThatThrownBy(() -> call.complete("too early")).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.from()).isEqualTo("queued"));
        advance(30);
        Instant startedAt = clock.instant();
        call.start();
        assertThatThrownBy(call::start).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.from()).isEqualTo("processing"));
        advance(20);
        call.complete("done");
        assertThatThrownBy(call::start).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.from()).isEqualTo("completed"));
        dev.atlas.execution.ToolCall stored = recorder.tree(h.id()).orElseThrow().toolCalls().get(0);
        assertThat(stored).returns(ExecutionStatus.COMPLETED, dev.atlas.execution.ToolCall::status)
                .returns(startedAt, dev.atlas.execution.ToolCall::startedAt).returns(20L, dev.atlas.execution.ToolCall::durationMs)
                .returns("done", dev.atlas.execution.ToolCall::result);
        assertThatThrownBy(() -> new NewToolCall("c", "x", ToolCallType.LOCAL, "{}", Map.of(), ExecutionStatus.COMPLETED))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("initialStatus"));
    }

    @Test
    @DisplayName("a tool call the agent will not run is closed by cancel(): queued → cancelled with no duration, while its execution"
            + " runs or after another Atlas ended it (the sweep then finds nothing); a running one → cancelled timed from its start;"
            + " a queued one cannot fail; a final one refuses every move, each with its exact message, nothing written")
    void toolCallCancelClosesItWithoutRunningIt() {
        ExecutionRecorder elsewhere = reopen(b -> b.clock(clock)).tenant("acme").executions();
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        Instant created = clock.instant();
        StepHandle.ToolCallHandle declined = step.toolCall(NewToolCall.of("c1", "wire_money", "{}").queued());
        StepHandle.ToolCallHandle stopped = step.toolCall(NewToolCall.of("c2", "wire_money", "{}"));
        StepHandle.ToolCallHandle done = step.toolCall(NewToolCall.of("c3", "wire_money", "{}"));
        StepHandle.ToolCallHandle late = h.toolCall(NewToolCall.of("c4", "wire_money", "{}").queued());
        StepHandle.ToolCallHandle began = step.toolCall(NewToolCall.of("c5", "wire_money", "{}").queued());
        assertThatThrownBy(() -> declined.fail("not approved")).isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
            assertThat(e.field()).isEqualTo("status");
            assertThat(e.getMessage()).isEqualTo("status: cannot change from queued to failed; allowed from queued: [processing, cancelled]");
        });
        advance(4);
        Instant startedAt = clock.instant();
        began.start();
        advance(6);
        declined.cancel();
        stopped.cancel();
        done.complete("sent");
        // Started, then cancelled: timed from its start, not from its recording.
        began.cancel();
        Instant closed = clock.instant();
        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps().get(0).toolCalls()).extracting(ToolCall::id, ToolCall::status, ToolCall::startedAt, ToolCall::completedAt,
                        ToolCall::durationMs, ToolCall::error, ToolCall::result)
                .containsExactly(tuple(declined.id(), ExecutionStatus.CANCELLED, created, closed, null, null, null),
                        tuple(stopped.id(), ExecutionStatus.CANCELLED, created, closed, 10L, null, null),
                        tuple(done.id(), ExecutionStatus.COMPLETED, created, closed, 10L, null, "sent"),
                        tuple(began.id(), ExecutionStatus.CANCELLED, startedAt, closed, 6L, null, null));
        assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool("wire_money").status(ExecutionStatus.CANCELLED))))
                .containsExactly(began.id(), stopped.id(), declined.id());
        for (StepHandle.ToolCallHandle call : List.of(declined, stopped, done, began)) {
            String from = call == done ? "completed" : "cancelled";
            for (String move : List.of("start", "complete", "fail", "cancel")) {
                String to = switch (move) {
                    case "start" -> "processing";
                    case "complete" -> "completed";
                    case "fail" -> "failed";
                    default -> "cancelled";
                };
                assertThatThrownBy(() -> {
                    switch (move) {
                        case "start" -> call.start();
                        case "complete" -> call.complete("again");
                        case "fail" -> call.fail("again");
                        default -> call.cancel();
                    }
                }).isInstanceOfSatisfying(IllegalTransitionException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("status: cannot change from " + from + " to " + to + "; allowed from " + from + ": none (final)"));
            }
        }
        assertThat(recorder.tree(h.id()).orElseThrow()).isEqualTo(tree);
        step.finish(null, FinishReason.TOOL_CALLS);
        // Another Atlas ends the run; the queued call outside the step is closed after it, before any sweep.
        elsewhere.cancel(h.id());
        advance(5);
        late.cancel();
        assertThat(recorder.tree(h.id()).orElseThrow().outsideSteps()).singleElement()
                .returns(ExecutionStatus.CANCELLED, ToolCall::status).returns(null, ToolCall::durationMs)
                .returns(clock.instant(), ToolCall::completedAt).returns(null, ToolCall::error);
        assertThatThrownBy(late::start).isInstanceOfSatisfying(IllegalTransitionException.class, e -> assertThat(e.getMessage())
                .isEqualTo("status: cannot change from cancelled to processing; allowed from cancelled: none (final)"));
        assertThat(elsewhere.sweepInterrupted(Duration.ZERO)).isEqualTo(new SweepResult(0, 0, 0));
        assertThat(recorder.toolCalls(ToolCallQuery.forTool("wire_money").status(ExecutionStatus.QUEUED)).items()).isEmpty();
    }

    @Test
    @DisplayName("a tool call is refused on a step that already finished or failed while its execution runs: ConflictException on stepId naming the step and execution, nothing written, the step's calls unchanged")
    void noToolCallOnAFinishedStep() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle finished = h.step();
        finished.toolCall("c1", "lookup", "{}");
        finished.finish(null, FinishReason.TOOL_CALLS);
        StepHandle failed = h.step();
        failed.fail("provider error");
        for (StepHandle step : List.of(finished, failed)) {
            for (NewToolCall call : List.of(NewToolCall.of("late", "lookup", "{}"), NewToolCall.of("late", "lookup", "{}").queued())) {
                assertThatThrownBy(() -> step.toolCall(call)).isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.field()).isEqualTo("stepId");
                    assertThat(e.getMessage()).contains(step.id().toString()).contains(h.id().toString());
                });
            }
        }
        assertThat(rows("execution_tool_calls")).isEqualTo(1);
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps().get(0).toolCalls()).extracting(ToolCall::providerCallId).containsExactly("c1");
        assertThat(t.steps().get(1).toolCalls()).isEmpty();
        // The execution still runs: a new step takes tool calls as before.
        assertThat(h.step().toolCall("c2", "lookup", "{}")).isNotNull();
    }

    @Test
    @DisplayName("close() while a body records: every later call on its handles, usage() and firstToken() included (they write"
            + " nothing until the finish, which can no longer come), fails with AtlasClosedException; record() rethrows it and the"
            + " run stays processing for the next instance's sweep, with the finished step as stored")
    void closeDuringRecord() {
        Atlas closing = reopen(b -> b.clock(clock));
        ExecutionRecorder r = closing.tenant("acme").executions();
        UUID[] id = new UUID[1];
        List<String> outcomes = new ArrayList<>();
        Conversation c = convo();
        assertThatThrownBy(() -> r.record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), h -> {
            id[0] = h.id();
            StepHandle step = h.step();
            step.finish("partial", null, FinishReason.STOP, Usage.of(10, 1));
            StepHandle open = h.step();
            StepHandle.ToolCallHandle running = open.toolCall("c0", "n", "{}");
            closing.close();
            // Every method of the three handles but id(): the ExecutionHandle Javadoc's promise.
            for (Runnable call : List.<Runnable>of(() -> h.usage(Usage.of(1, 1)), h::firstToken, h::step,
                    () -> h.metadata(Map.of("k", "v")), () -> h.providerResponseId("resp"), () -> open.toolCall("c", "n", "{}"),
                    () -> open.finish("late", FinishReason.STOP), () -> h.toolCall(NewToolCall.of("c", "n", "{}")),
                    () -> h.reply(step, "late"), () -> h.reply(step, NewMessage.assistant("late").clientId("k")), h::complete,
                    () -> h.fail("late"), h::cancel, () -> open.finish("late", "why", FinishReason.STOP, Usage.of(1, 1)),
                    () -> open.fail("late"), () -> open.metadata(Map.of("k", "v")), running::start, () -> running.complete("r"),
                    () -> running.fail("e"), running::cancel, () -> running.metadata(Map.of("k", "v")), () -> running.thread(Owner.user("u"), "a"))) {
                outcomes.add(lateOutcome(call));
            }
            return "answer";
        })).isInstanceOf(dev.atlas.AtlasClosedException.class);
        assertThat(outcomes).allSatisfy(o -> assertThat(o).startsWith("AtlasClosedException")).hasSize(22);
        assertThat(acme.conversations().history(c.id(), 10)).isEmpty();
        ExecutionTree t = recorder.tree(id[0]).orElseThrow();
        assertThat(t.execution().status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(t.steps()).extracting(ExecutionStep::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.PROCESSING);
        advance(2 * 3_600_000L);
        recorder.sweepInterrupted(Duration.ofHours(1));
        assertThat(recorder.require(id[0])).returns(ExecutionStatus.FAILED, Execution::status).returns(Usage.of(10, 1), Execution::usage);
    }

    @Test
    @DisplayName("a tool call recorded while its step's finish is being committed is refused (ConflictException on stepId), never stored under the finished step")
    void toolCallRacingStepFinish() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        Db db = ((JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> finisher = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch tried = new java.util.concurrent.CountDownLatch(1);
        // The finishing thread stops after its update of the step, before the commit, until the
        // tool call returned or (when the insert waits for the finish's lock) until it is seen waiting (RaceWaits).
        java.util.concurrent.atomic.AtomicReference<Thread> caller = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == finisher.get() && name.equals("executions.finishStep")) {
                closed.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(tried, caller::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<Void> finished = CompletableFuture.runAsync(() -> {
                finisher.set(Thread.currentThread());
                step.finish("answer", FinishReason.STOP);
            });
            closed.await();
            CompletableFuture<Throwable> call = CompletableFuture.supplyAsync(() -> {
                caller.set(Thread.currentThread());
                try {
                    step.toolCall("late", "lookup", "{}");
                    return null;
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    tried.countDown();
                }
            });
            finished.get();
            assertThat(call.get()).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("stepId"));
        } finally {
            db.statementListener(null);
        }
        assertThat(recorder.tree(h.id()).orElseThrow().steps()).singleElement().satisfies(st -> {
            assertThat(st.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(st.toolCalls()).isEmpty();
        });
        assertThat(rows("execution_tool_calls")).isZero();
    }

    @Test
    @DisplayName("an execution's end (complete, fail, cancel through the handle, cancel(id) from another Atlas) leaves its tool calls as they are:"
            + " a running one still completes, a queued one stays queued and listed so, cannot start (ConflictException on executionId naming it)"
            + " nor fail (IllegalTransitionException), until a sweep of any age fails it; the sweep of a stale run fails its calls with it;"
            + " a pending call (an import's) is listed by status(PENDING) and swept by its age")
    void openToolCallsWhenTheirExecutionEnds() {
        ExecutionRecorder elsewhere = reopen(b -> b.clock(clock)).tenant("acme").executions();
        for (String end : List.of("complete", "fail", "cancel", "cancel(id)", "sweep")) {
            String tool = "render " + end;
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            StepHandle step = h.step();
            StepHandle.ToolCallHandle running = step.toolCall(NewToolCall.of("c0", tool, "{}"));
            StepHandle.ToolCallHandle inStep = step.toolCall(NewToolCall.of("c1", tool, "{}").queued());
            StepHandle.ToolCallHandle outside = h.toolCall(NewToolCall.of("c2", tool, "{}").queued());
            step.finish(null, FinishReason.TOOL_CALLS);
            switch (end) {
                case "complete" -> h.complete();
                case "fail" -> h.fail("model down");
                case "cancel" -> h.cancel();
                case "cancel(id)" -> elsewhere.cancel(h.id());
                default -> {
                    advance(1);
                    assertThat(elsewhere.sweepInterrupted(Duration.ZERO)).isEqualTo(new SweepResult(1, 0, 3));
                }
            }
            ExecutionTree before = recorder.tree(h.id()).orElseThrow();
            List<UUID> queued = List.of(outside.id(), inStep.id());
            if (end.equals("sweep")) { // the sweep failed the run's calls with it, the running one by its age
                assertThat(before.toolCalls()).extracting(ToolCall::status).containsOnly(ExecutionStatus.FAILED).hasSize(3);
                assertThat(before.outsideSteps()).extracting(ToolCall::status).containsExactly(ExecutionStatus.FAILED);
                assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.FAILED))))
                        .containsExactly(outside.id(), inStep.id(), running.id());
                for (StepHandle.ToolCallHandle call : List.of(inStep, outside)) {
                    assertThatThrownBy(call::start).isInstanceOfSatisfying(IllegalTransitionException.class,
                            e -> assertThat(e.from()).isEqualTo("failed"));
                }
                continue;
            }
            assertThat(before.steps().get(0).toolCalls()).extracting(ToolCall::status).containsExactly(ExecutionStatus.PROCESSING, ExecutionStatus.QUEUED);
            assertThat(before.outsideSteps()).extracting(ToolCall::status).containsExactly(ExecutionStatus.QUEUED);
            assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.QUEUED)))).containsExactlyElementsOf(queued);
            assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.PROCESSING)))).containsExactly(running.id());
            for (StepHandle.ToolCallHandle call : List.of(inStep, outside)) {
                assertThatThrownBy(call::start).isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.field()).isEqualTo("executionId");
                    assertThat(e.getMessage()).isEqualTo("executionId: execution " + h.id() + " is not processing;"
                            + " steps and tool calls can only be recorded or started while it runs");
                });
                assertThatThrownBy(() -> call.fail("never ran")).isInstanceOfSatisfying(IllegalTransitionException.class,
                        e -> assertThat(e.getMessage()).isEqualTo("status: cannot change from queued to failed; allowed from queued: [processing, cancelled]"));
            }
            assertThat(recorder.tree(h.id()).orElseThrow()).isEqualTo(before);
            // The running call's result comes after its execution ended (a framework's tool runs after the model call).
            running.complete("rendered");
            // A sweep fails the queued calls of a run that is over, whatever their age; the completed call stays.
            assertThat(recorder.sweepInterrupted(Duration.ofDays(1))).isEqualTo(new SweepResult(0, 0, 2));
            assertThat(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.QUEUED)).items()).isEmpty();
            assertThat(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.FAILED)).items()).extracting(ToolCall::id, ToolCall::error,
                    ToolCall::durationMs).containsExactly(tuple(outside.id(), "interrupted", null), tuple(inStep.id(), "interrupted", null));
            assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool(tool).status(ExecutionStatus.COMPLETED)))).containsExactly(running.id());
        }

        // The recorder never leaves a call pending (NewToolCall refuses that initial status); an import can bring one in.
        ExecutionHandle imported = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        UUID pending = UUID.randomUUID();
        JdbiAtlas jdbi = (JdbiAtlas) atlas;
        jdbi.db().write(x -> AdHoc.on(jdbi.db(), x, "INSERT INTO <p>execution_tool_calls (tenant_id, id, execution_id, call_index, name, type,"
                        + " arguments, status, metadata, started_at, created_at, updated_at) VALUES ('acme', :id, :execution, 0, 'imported', 'local',"
                        + " :json, 'pending', :json, :now, :now, :now)")
                .bind("id", pending).bind("execution", imported.id()).bind("json", new dev.atlas.jdbi.internal.JsonDoc("{}")).bind("now", clock.instant())
                .update());
        assertThat(ids(recorder.toolCalls(ToolCallQuery.all().status(ExecutionStatus.PENDING)))).containsExactly(pending);
        assertThat(ids(recorder.toolCalls(ToolCallQuery.forTool("imported").status(ExecutionStatus.PENDING)))).containsExactly(pending);
        for (ExecutionStatus other : List.of(ExecutionStatus.QUEUED, ExecutionStatus.PROCESSING)) {
            assertThat(recorder.toolCalls(ToolCallQuery.forTool("imported").status(other)).items()).isEmpty();
        }
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(0, 0, 0));
        advance(Duration.ofHours(2).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(1, 0, 1));
        assertThat(recorder.toolCalls(ToolCallQuery.all().status(ExecutionStatus.PENDING)).items()).isEmpty();
        assertThat(recorder.tree(imported.id()).orElseThrow().outsideSteps()).singleElement()
                .returns(ExecutionStatus.FAILED, ToolCall::status).returns("interrupted", ToolCall::error);
    }

    private static List<UUID> ids(Page<ToolCall> page) {
        return page.items().stream().map(ToolCall::id).toList();
    }

    @Test
    @DisplayName("a clock stepping back during a run (NTP, or another Atlas whose clock is behind) never stores a completion before the start: executions, steps and tool calls ended by their handles, by cancel or by the sweep complete at their start, with duration 0")
    void clockSteppingBackNeverEndsBeforeTheStart() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "lookup", "{}");
        StepHandle.ToolCallHandle queued = step.toolCall(NewToolCall.of("c2", "lookup", "{}").queued());
        StepHandle.ToolCallHandle cancelled = step.toolCall(NewToolCall.of("c3", "lookup", "{}").queued());
        StepHandle open = h.step();
        advance(-5_000);
        // Started on the clock stepped back: stored as starting at its recording (its last write); 20 ms later it ends there too.
        queued.start();
        cancelled.start();
        advance(20);
        queued.complete("ok");
        cancelled.cancel();
        call.complete("ok");
        step.finish("done", FinishReason.STOP);
        h.complete();
        ExecutionHandle cancelledRun = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        advance(-5_000);
        recorder.cancel(cancelledRun.id());
        assertThat(recorder.sweepInterrupted(Duration.ofDays(1)).steps()).isEqualTo(1); // the step left open under the completed run
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        for (Execution e : List.of(t.execution(), recorder.require(cancelledRun.id()))) {
            assertThat(e.completedAt()).isEqualTo(e.startedAt());
        }
        assertThat(t.execution().durationMs()).isZero();
        assertThat(t.steps()).allSatisfy(st -> assertThat(st.completedAt()).isEqualTo(st.startedAt()));
        assertThat(t.steps().get(0).durationMs()).isZero();
        assertThat(t.steps().get(1).id()).isEqualTo(open.id());
        // A duration is always its record's completedAt - startedAt, as the sweep stores it.
        assertThat(t.steps().get(0).toolCalls()).hasSize(3).allSatisfy(c -> {
            assertThat(c.completedAt()).isEqualTo(c.startedAt());
            assertThat(c.durationMs()).isZero();
        });
    }

    @Test
    @DisplayName("a stream's first token is never after its end: a clock stepping back between firstToken() and the finish (NTP)"
            + " ends the run at its first token, so durationMs is at least firstTokenMs, through complete, fail and cancel")
    void firstTokenIsNeverAfterTheEnd() {
        for (java.util.function.Function<ExecutionHandle, Execution> end : List.<java.util.function.Function<ExecutionHandle, Execution>>of(
                ExecutionHandle::complete, x -> x.fail("reset"), ExecutionHandle::cancel)) {
            ExecutionHandle h = recorder.start(ExecutionSpec.of(ExecutionType.STREAM, "openai", "gpt-4o"));
            Instant started = recorder.require(h.id()).startedAt();
            advance(500);
            h.firstToken();
            advance(-300); // stepped back: the finish's clock reads 200 ms after the start
            Execution e = end.apply(h);
            assertThat(e.firstTokenMs()).isEqualTo(500L);
            assertThat(e.durationMs()).isEqualTo(500L);
            assertThat(e.completedAt()).isEqualTo(started.plusMillis(500));
            assertThat(recorder.require(h.id())).isEqualTo(e);
            advance(1_000);
        }
    }

    @Test
    @DisplayName("updatedAt never moves back when a writer's clock is behind (another Atlas on the database, NTP): every change of an"
            + " execution, its steps and tool calls through handles, the recorder and the sweep keeps the later time; a run cancelled"
            + " or swept before it started ends no earlier than its creation")
    void updatedAtNeverMovesBack() {
        Execution waiting = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Execution pending = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "lookup", "{}");
        StepHandle.ToolCallHandle failing = step.toolCall("c2", "lookup", "{}");
        h.step(); // left open: the sweep fails it with its completed run
        ExecutionHandle other = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        other.step().toolCall("c3", "lookup", "{}"); // left running: the sweep fails it
        Execution toResume = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Instant t = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MICROS);

        advance(-60_000); // from now on the writer's clock is a minute behind the rows' writer
        Execution resumed = recorder.resume(toResume.id()).complete();
        assertThat(resumed.startedAt()).as("a resume never starts before the creation").isEqualTo(t);
        assertThat(resumed).returns(t, Execution::completedAt).returns(t, Execution::updatedAt).returns(0L, Execution::durationMs);
        recorder.queue(waiting.id());
        h.metadata(Map.of("k", "v"));
        h.providerResponseId("resp_1");
        step.metadata(Map.of("k", "v"));
        call.metadata(Map.of("k", "v"));
        call.complete("ok");
        failing.fail("boom");
        step.finish("done", FinishReason.STOP);
        Execution completed = h.complete();
        Execution cancelled = recorder.cancel(pending.id());
        Execution neverStarted = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));

        assertThat(recorder.require(waiting.id()).updatedAt()).isEqualTo(t);
        assertThat(completed.updatedAt()).isEqualTo(t);
        assertThat(recorder.require(h.id())).isEqualTo(completed);
        assertThat(cancelled.updatedAt()).isEqualTo(t);
        assertThat(cancelled.completedAt()).as("a run cancelled before it started ends at its creation at the earliest").isEqualTo(t);
        assertThat(recorder.require(pending.id())).isEqualTo(cancelled);

        // A write two hours ahead, then a sweep by a clock an hour behind it: the swept run keeps the later time.
        advance(2 * 3_600_000L);
        other.metadata(Map.of("k", "v"));
        Instant touched = recorder.require(other.id()).updatedAt();
        advance(-3_600_000L);
        assertThat(recorder.sweepInterrupted(Duration.ofMinutes(30))).returns(2, SweepResult::executions)
                .returns(2, SweepResult::steps).returns(1, SweepResult::toolCalls);
        assertThat(recorder.require(other.id())).returns(ExecutionStatus.FAILED, Execution::status).returns(touched, Execution::updatedAt);
        assertThat(recorder.require(neverStarted.id())).returns(ExecutionStatus.FAILED, Execution::status);
        Db db = ((JdbiAtlas) atlas).db();
        for (String table : List.of("executions", "execution_steps", "execution_tool_calls")) {
            long movedBack = db.read(x -> AdHoc.on(db, x, "SELECT COUNT(*) FROM <p>" + table + " WHERE updated_at < :before"
                    + " AND id <> :neverStarted").bind("before", t).bind("neverStarted", neverStarted.id())
                    .one(dev.atlas.jdbi.internal.sql.Sql.LONG));
            assertThat(movedBack).as(table).isZero();
        }
    }

    @Test
    @DisplayName("an execution's end is never dated before its last write, its steps' and tool calls' included: complete, fail and"
            + " cancel (handle or cancel(id)) from an instance an hour behind the one that wrote the step end at that write, with the"
            + " duration counted to it; a cancel of a run queued by an instance ahead and a sweep by one behind a step's writer likewise")
    void endIsNeverBeforeTheRunsLastWrite() {
        List<UUID> ends = new ArrayList<>();
        List<Instant> lastWrites = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            Instant started = recorder.require(h.id()).startedAt();
            advance(3_600_000L); // the next writes come from an instance an hour ahead
            StepHandle step = h.step();
            StepHandle.ToolCallHandle call = step.toolCall("c1", "lookup", "{}");
            advance(1_000);
            call.complete("ok");
            step.finish("done", FinishReason.TOOL_CALLS);
            Instant last = recorder.tree(h.id()).orElseThrow().steps().get(0).completedAt();
            advance(-3_600_000L - 1_000 + 5_000); // this instance: 5 s after the start by its own clock
            Execution e = switch (i) {
                case 0 -> h.complete();
                case 1 -> h.fail("boom");
                case 2 -> h.cancel();
                default -> recorder.cancel(h.id());
            };
            assertThat(e.completedAt()).as("end " + i).isEqualTo(last);
            assertThat(e.durationMs()).as("duration " + i).isEqualTo(Duration.between(started, last).toMillis());
            assertThat(recorder.require(h.id())).isEqualTo(e);
        }

        Execution waiting = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        advance(3_600_000L);
        Instant queuedAt = recorder.queue(waiting.id()).updatedAt();
        advance(-3_600_000L);
        assertThat(recorder.cancel(waiting.id()).completedAt()).isEqualTo(queuedAt);

        ExecutionHandle crashed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        advance(3 * 3_600_000L); // a step written by an instance three hours ahead, then the process dies
        StepHandle done = crashed.step();
        done.finish("done", null, FinishReason.TOOL_CALLS, Usage.of(10, 1));
        Instant stepEnd = recorder.tree(crashed.id()).orElseThrow().steps().get(0).completedAt();
        advance(-3_600_000L); // the sweeping instance: two hours after the start, an hour behind the step's writer
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(1);
        assertThat(recorder.require(crashed.id())).returns(ExecutionStatus.FAILED, Execution::status)
                .returns(stepEnd, Execution::completedAt);
    }

    @Test
    @DisplayName("the sweep fails a step only with its execution: a running execution's step stamped early by a clock behind"
            + " (another instance's) stays open, takes tool calls and finishes")
    void sweepLeavesTheStepsOfARunningExecution() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        advance(-2 * 3_600_000L); // the step is written by an instance two hours behind
        StepHandle step = h.step();
        advance(2 * 3_600_000L + 60_000);
        SweepResult swept = recorder.sweepInterrupted(Duration.ofHours(1));
        assertThat(swept).returns(0, SweepResult::executions).returns(0, SweepResult::steps);
        step.toolCall("c1", "lookup", "{}").complete("ok");
        step.finish("done", FinishReason.STOP);
        h.complete();
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps()).singleElement().returns(ExecutionStatus.COMPLETED, dev.atlas.execution.ExecutionStep::status);
        assertThat(t.toolCalls()).singleElement().returns(ExecutionStatus.COMPLETED, ToolCall::status);
    }

    @Test
    @DisplayName("the sweep leaves a queued tool call of a running execution alone and fails one whose execution is over")
    void sweepAndQueuedToolCalls() {
        ExecutionHandle running = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle.ToolCallHandle waiting = running.step().toolCall(NewToolCall.of("c1", "render", "{}").queued());
        ExecutionHandle finished = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle.ToolCallHandle orphan = finished.step().toolCall(NewToolCall.of("c2", "render", "{}").queued());
        finished.complete();
        advance(60_000);
        recorder.sweepInterrupted(Duration.ofHours(1));
        assertThat(recorder.tree(running.id()).orElseThrow().toolCalls().get(0).status()).isEqualTo(ExecutionStatus.QUEUED);
        assertThat(recorder.tree(finished.id()).orElseThrow().toolCalls().get(0))
                .returns(ExecutionStatus.FAILED, dev.atlas.execution.ToolCall::status)
                .returns("interrupted", dev.atlas.execution.ToolCall::error);
        assertThat(waiting.id()).isNotEqualTo(orphan.id());
    }

    @Test
    @DisplayName("a running tool call of a finished execution (a framework records the result after the model call ended) is left alone by a sweep of another Atlas until it is older than the age: its result is then stored")
    void sweepSparesAYoungToolCallOfAFinishedExecution() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle running = step.toolCall("c1", "lookup", "{}");
        step.finish(null, FinishReason.TOOL_CALLS);
        h.complete();
        ExecutionRecorder elsewhere = reopen(b -> b.clock(clock)).tenant("acme").executions();
        advance(60_000);
        assertThat(elsewhere.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(0, 0, 0));
        running.complete("found");
        assertThat(recorder.tree(h.id()).orElseThrow().toolCalls()).singleElement()
                .returns(ExecutionStatus.COMPLETED, ToolCall::status).returns("found", ToolCall::result);
        // One that outlived the age is interrupted, as any other.
        StepHandle.ToolCallHandle stuck = recorder.start(ExecutionSpec.text("openai", "gpt-4o")).step().toolCall("c2", "lookup", "{}");
        advance(Duration.ofHours(2).toMillis());
        assertThat(elsewhere.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(1, 1, 1));
        assertThatThrownBy(() -> stuck.complete("late")).isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    @DisplayName("paging tool calls never skips nor repeats one: a queued call started between two pages (its startedAt now the newest)"
            + " is listed once, in its place by creation, with and without the name and status filters; an older cursor still reads")
    void toolCallPagingSurvivesAStartBetweenPages() {
        List<ToolCallQuery> queries = List.of(ToolCallQuery.all(), ToolCallQuery.forTool("search"), ToolCallQuery.all().status(ExecutionStatus.QUEUED));
        for (int i = 0; i < queries.size(); i++) {
            ToolCallQuery query = queries.get(i).limit(1);
            ExecutionRecorder executions = atlas.tenant("paging-" + i).executions();
            StepHandle step = executions.start(ExecutionSpec.text("openai", "gpt-4o")).step();
            List<StepHandle.ToolCallHandle> calls = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                calls.add(step.toolCall(NewToolCall.of("c" + c, "search", "{}").queued()));
                advance(1);
            }
            Page<ToolCall> page = executions.toolCalls(query);
            List<UUID> seen = new ArrayList<>(page.items().stream().map(ToolCall::id).toList());
            // Between two pages the middle call starts: its startedAt is now the newest of the three.
            calls.get(1).start();
            while (page.nextCursor().isPresent()) {
                page = executions.toolCalls(query.after(page.nextCursor().orElseThrow()));
                page.items().forEach(c -> seen.add(c.id()));
            }
            // Newest first by creation; the status filter leaves out the call no longer queued.
            List<UUID> expected = query.status() == null ? List.of(calls.get(2).id(), calls.get(1).id(), calls.get(0).id())
                    : List.of(calls.get(2).id(), calls.get(0).id());
            assertThat(seen).as(query.toString()).containsExactlyElementsOf(expected);
        }
        // A cursor an instance of the previous version gave out (start time, then id) still reads the page after its call.
        ExecutionRecorder paged = atlas.tenant("paging-1").executions();
        List<ToolCall> all = paged.toolCalls(ToolCallQuery.forTool("search")).items();
        String older = dev.atlas.jdbi.internal.sql.Cursor.encode(dev.atlas.jdbi.internal.sql.Cursor.listing(
                new dev.atlas.jdbi.internal.sql.TenantId("paging-1"), "toolCalls", "search", null), all.get(0).startedAt(), all.get(0).id());
        assertThat(paged.toolCalls(ToolCallQuery.forTool("search").after(older)).items()).extracting(ToolCall::id)
                .containsExactly(all.get(1).id(), all.get(2).id());
    }

    @Test
    @DisplayName("the sweep stores each failed record's duration as fail() does: from its start to the end it stamps, for the run, its"
            + " open step and its running tool call; a run never started has none")
    void sweptRecordsHaveTheirDuration() {
        ExecutionHandle crashed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        advance(10);
        StepHandle step = crashed.step();
        advance(15);
        step.toolCall("c1", "slow_tool", "{}");
        Execution pending = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        // A queued call of a finished run never ran: its start is only its creation.
        ExecutionHandle done = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle doneStep = done.step();
        StepHandle.ToolCallHandle neverRan = doneStep.toolCall(NewToolCall.of("q1", "render", "{}").queued());
        doneStep.finish(null, FinishReason.TOOL_CALLS);
        done.complete();
        clock.advanceMicros(Duration.ofHours(2).toNanos() / 1000 + 1_777);
        Instant sweptAt = clock.instant();
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(2, 1, 2));
        assertThat(recorder.tree(done.id()).orElseThrow().toolCalls()).singleElement()
                .returns(neverRan.id(), ToolCall::id).returns(ExecutionStatus.FAILED, ToolCall::status)
                .returns(sweptAt, ToolCall::completedAt).returns(null, ToolCall::durationMs);
        ExecutionTree tree = recorder.tree(crashed.id()).orElseThrow();
        long total = Duration.ofHours(2).toMillis() + 1;
        assertThat(tree.execution()).returns(sweptAt, Execution::completedAt).returns(total + 25, Execution::durationMs);
        assertThat(tree.steps().get(0)).returns(sweptAt, ExecutionStep::completedAt).returns(total + 15, ExecutionStep::durationMs);
        assertThat(tree.toolCalls().get(0)).returns(sweptAt, ToolCall::completedAt).returns(total, ToolCall::durationMs);
        assertThat(recorder.require(pending.id())).returns(ExecutionStatus.FAILED, Execution::status).returns(null, Execution::durationMs);
    }

    @Test
    @DisplayName("toolCalls lists calls of one tool across executions, newest first, by status too, paged with each call once")
    void toolCallsByName() {
        List<UUID> searches = new ArrayList<>();
        UUID failedSearch = null;
        for (int e = 0; e < 3; e++) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            StepHandle step = h.step();
            StepHandle.ToolCallHandle s1 = step.toolCall("s" + e, "search", "{\"q\":" + e + "}");
            searches.add(s1.id());
            step.toolCall("w" + e, "weather", "{}").complete("sunny");
            StepHandle.ToolCallHandle s2 = step.toolCall("t" + e, "search", "{}");
            searches.add(s2.id());
            if (e == 1) {
                s1.fail("timeout");
                failedSearch = s1.id();
            } else {
                s1.complete("ok");
            }
            advance(1);
        }
        globex.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step().toolCall("g", "search", "{}");

        // Newest first by id (UUIDv7, creation order; text order on SQLite, uuid order on PostgreSQL: the same for these hex ids).
        List<UUID> newestFirst = new ArrayList<>(searches);
        newestFirst.sort((a, b) -> b.toString().compareTo(a.toString()));
        Page<dev.atlas.execution.ToolCall> all = recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search"));
        assertThat(all.items()).extracting(dev.atlas.execution.ToolCall::id).containsExactlyElementsOf(newestFirst);
        assertThat(all.items()).allSatisfy(c -> assertThat(c.name()).isEqualTo("search"));
        dev.atlas.execution.ToolCall failed = recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search")
                .status(ExecutionStatus.FAILED)).items().get(0);
        assertThat(failed).returns(failedSearch, dev.atlas.execution.ToolCall::id).returns("timeout", dev.atlas.execution.ToolCall::error);
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search").status(ExecutionStatus.FAILED)).items()).hasSize(1);
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search").status(ExecutionStatus.PROCESSING)).items())
                .hasSize(3);
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("weather")).items()).hasSize(3)
                .allSatisfy(c -> assertThat(c.result()).isEqualTo("sunny"));
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).hasSize(9);
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("nothing")).items()).isEmpty();

        List<UUID> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<dev.atlas.execution.ToolCall> p = recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("search").limit(4).after(cursor));
            p.items().forEach(c -> paged.add(c.id()));
            cursor = p.nextCursor().orElse(null);
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(2);
        assertThat(paged).containsExactlyElementsOf(newestFirst);
        // the same rows as the execution tree holds, field for field
        ExecutionTree tree = recorder.tree(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("weather").limit(1)).items().get(0)
                .executionId()).orElseThrow();
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("weather").limit(1)).items())
                .containsExactly(tree.toolCalls().stream().filter(c -> c.name().equals("weather")).findFirst().orElseThrow());

        // Every name and status filter, paged by 2, lists exactly what the trees hold in that name and status, newest first:
        // a name is matched exactly (Search is another tool), and the other tenant's call never shows.
        ExecutionHandle last = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        last.step().toolCall(NewToolCall.of("q", "search", "{}").queued());
        last.toolCall(NewToolCall.of("u", "Search", "{}"));
        List<ToolCall> stored = recorder.list(ExecutionQuery.all()).items().stream()
                .flatMap(e -> recorder.tree(e.id()).orElseThrow().toolCalls().stream())
                .sorted((a, b) -> b.id().toString().compareTo(a.id().toString())).toList();
        assertThat(stored).hasSize(11);
        List<ExecutionStatus> statuses = new ArrayList<>(java.util.Arrays.asList(ExecutionStatus.values()));
        statuses.add(null);
        for (String name : java.util.Arrays.asList(null, "search", "Search", "weather", "SEARCH", "g")) {
            for (ExecutionStatus status : statuses) {
                ToolCallQuery query = ToolCallQuery.all().name(name).status(status).limit(2);
                List<UUID> expected = stored.stream().filter(c -> (name == null || c.name().equals(name)) && (status == null || c.status() == status))
                        .map(ToolCall::id).toList();
                List<UUID> listed = new ArrayList<>();
                String next = null;
                do {
                    Page<ToolCall> p = recorder.toolCalls(query.after(next));
                    listed.addAll(ids(p));
                    next = p.nextCursor().orElse(null);
                } while (next != null);
                assertThat(listed).as(name + " " + status).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    @DisplayName("toolCalls never lists another tenant's calls; bad queries are refused naming the field")
    void toolCallsIsolationAndBadInput() {
        globex.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step().toolCall("g", "secret_tool", "{}");
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("secret_tool")).items()).isEmpty();
        assertThat(recorder.toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).isEmpty();
        assertThat(globex.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).hasSize(1);
        assertThatThrownBy(() -> recorder.toolCalls(null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("query"));
        for (Runnable bad : List.<Runnable>of(() -> dev.atlas.execution.ToolCallQuery.forTool(" "),
                () -> dev.atlas.execution.ToolCallQuery.forTool(null), () -> dev.atlas.execution.ToolCallQuery.all().name("a\u0000"))) {
            assertThatThrownBy(bad::run).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("name"));
        }
        assertThatThrownBy(() -> dev.atlas.execution.ToolCallQuery.all().limit(0)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> dev.atlas.execution.ToolCallQuery.all().limit(1001)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> recorder.toolCalls(dev.atlas.execution.ToolCallQuery.all().after("not-a-cursor")))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    }

    @Test
    @DisplayName("each step and tool call is committed as it is recorded, visible to another instance before the execution ends")
    void progressIsDurable() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        step.toolCall("c1", "search", "{\"q\":\"a\"}").complete("found");
        step.toolCall("c2", "search", "{\"q\":\"b\"}");
        ExecutionTree seen = reopen(b -> b).tenant("acme").executions().tree(h.id()).orElseThrow();
        assertThat(seen.execution().status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(seen.toolCalls()).extracting(t -> t.status()).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.PROCESSING);
    }

    @Test
    @DisplayName("a first step finishing while the sweep fails its run is refused (IllegalTransitionException: the sweep failed the step with its run), never completed and left out of the swept run's usage")
    void stepFinishRacingSweep() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        clock.advanceMicros(120_000_000);
        Db db = ((JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> sweeper = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch stepTried = new java.util.concurrent.CountDownLatch(1);
        // The sweeping thread stops just before it looks for the running runs to bill, until the
        // step's finish has returned or (when the finish waits for the sweep's lock) until it is seen waiting (RaceWaits).
        java.util.concurrent.atomic.AtomicReference<Thread> stepper = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == sweeper.get() && name.equals("executions.sweepRunningRuns")) {
                reading.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(stepTried, stepper::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<SweepResult> swept = CompletableFuture.supplyAsync(() -> {
                sweeper.set(Thread.currentThread());
                return recorder.sweepInterrupted(Duration.ofMinutes(1));
            });
            reading.await();
            CompletableFuture<Throwable> finished = CompletableFuture.supplyAsync(() -> {
                stepper.set(Thread.currentThread());
                try {
                    step.finish("answer", null, FinishReason.STOP, Usage.of(100, 20));
                    return null;
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    stepTried.countDown();
                }
            });
            assertThat(swept.get().executions()).isEqualTo(1);
            // The sweep failed the open step with its run: the finish finds the step itself final.
            assertThat(finished.get()).isInstanceOf(IllegalTransitionException.class);
        } finally {
            db.statementListener(null);
        }
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.execution().status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(t.execution().usage()).isEqualTo(Usage.NONE);
        assertThat(t.steps()).extracting(ExecutionStep::status).containsExactly(ExecutionStatus.FAILED);
    }

    @Test
    @DisplayName("concurrent tool calls of one step, of the execution outside any step (started, completed, failed, cancelled in parallel)"
            + " and concurrent steps finishing with their usage get distinct indexes and sequence numbers, each call as its thread"
            + " left it, and complete() sums every step's usage once")
    void concurrentRecording() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int n = i;
                futures.add(pool.submit(() -> step.toolCall("c" + n, "tool", "{\"n\":" + n + "}").complete("r" + n)));
                // Parallel tool calls outside a step (a voice session's), each closed one of three ways, and steps
                // finishing with their usage at the same time.
                if (n < 9) {
                    futures.add(pool.submit(() -> {
                        StepHandle.ToolCallHandle outside = h.toolCall(NewToolCall.of("o" + n, "side", "{}").queued());
                        switch (n % 3) {
                            case 0 -> outside.cancel();
                            case 1 -> {
                                outside.start();
                                outside.fail("e" + n);
                            }
                            default -> {
                                outside.start();
                                outside.complete("o" + n);
                            }
                        }
                    }));
                    futures.add(pool.submit(() -> h.step().finish("s" + n, null, FinishReason.STOP, Usage.of(n + 1, 1000L * (n + 1)))));
                } else {
                    futures.add(pool.submit(() -> h.step()));
                }
            }
            for (java.util.concurrent.Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps()).extracting(s -> s.sequence()).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 25).boxed().toList());
        assertThat(tree.steps().get(0).toolCalls()).extracting(t -> t.index())
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 24).boxed().toList());
        assertThat(tree.outsideSteps()).extracting(t -> t.index())
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 9).boxed().toList());
        assertThat(tree.outsideSteps()).allSatisfy(t -> {
            int n = Integer.parseInt(t.providerCallId().substring(1));
            assertThat(t.status()).isEqualTo(List.of(ExecutionStatus.CANCELLED, ExecutionStatus.FAILED, ExecutionStatus.COMPLETED).get(n % 3));
            assertThat(t.result()).isEqualTo(n % 3 == 2 ? "o" + n : null);
            assertThat(t.error()).isEqualTo(n % 3 == 1 ? "e" + n : null);
        });
        // Every finished step's usage is summed once: 1 + ... + 9 input tokens, 1000 times that output.
        assertThat(h.complete().usage()).isEqualTo(Usage.of(45, 45_000));
    }

    /**
     * Makes the database itself refuse every insert into {@code table} until the returned action
     * runs: a real failed write (on PostgreSQL with the retryable serialization-failure state),
     * not a mock.
     */
    private Runnable refuseInserts(String table) {
        Db db = ((JdbiAtlas) atlas).db();
        String p = db.prefix();
        if (db.dialect() == Dialect.SQLITE) {
            db.write(h -> AdHoc.execute(h, "CREATE TRIGGER " + p + "refuse BEFORE INSERT ON " + p + table
                    + " BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"));
        } else {
            db.write(h -> AdHoc.execute(h, "CREATE OR REPLACE FUNCTION " + p + "refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " RAISE EXCEPTION 'refused by test trigger' USING ERRCODE = 'serialization_failure'; END $$"));
            db.write(h -> AdHoc.execute(h, "CREATE TRIGGER " + p + "refuse BEFORE INSERT ON " + p + table
                    + " FOR EACH ROW EXECUTE FUNCTION " + p + "refuse()"));
        }
        return () -> db.write(h -> AdHoc.execute(h, db.dialect() == Dialect.SQLITE ? "DROP TRIGGER " + p + "refuse"
                : "DROP TRIGGER " + p + "refuse ON " + p + table));
    }

    @Test
    @DisplayName("a step or tool call whose write failed takes no number: the next ones are still step 1 and call index 0, without gaps")
    void numbersHaveNoGapsAfterFailedWrites() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        Runnable allowSteps = refuseInserts("execution_steps");
        assertThatThrownBy(h::step).isInstanceOf(StorageException.class).hasMessageContaining("refused by test trigger");
        assertThatThrownBy(h::step).isInstanceOf(StorageException.class);
        allowSteps.run();
        StepHandle first = h.step();
        assertThat(first.sequence()).isEqualTo(1);

        Runnable allowCalls = refuseInserts("execution_tool_calls");
        assertThatThrownBy(() -> first.toolCall("c1", "search", "{}")).isInstanceOf(StorageException.class)
                .hasMessageContaining("refused by test trigger");
        allowCalls.run();
        first.toolCall("c1", "search", "{}").complete("found");
        first.toolCall("c2", "search", "{}");
        assertThat(h.step().sequence()).isEqualTo(2);

        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps()).extracting(s -> s.sequence()).containsExactly(1, 2);
        assertThat(tree.steps().get(0).toolCalls()).extracting(t -> t.index()).containsExactly(0, 1);
        assertThat(tree.steps().get(0).toolCalls()).extracting(t -> t.providerCallId()).containsExactly("c1", "c2");
    }

    // ---- reads --------------------------------------------------------------------------

    @Test
    @DisplayName("record() of a conversation's execution with one step and one tool call runs nine statements on SQLite and ten on PostgreSQL, each counted")
    void recordQueryCount() {
        Conversation c = convo();
        StatementCounter.Counted<Object> counted = StatementCounter.count(atlas, () -> recorder.record(
                ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                    StepHandle step = exec.step();
                    step.toolCall("call_1", "lookup", "{}").complete("found");
                    step.finish("done", FinishReason.STOP);
                    return null;
                }));
        // Conversation check and insert; step insert; tool-call insert and completion; step finish;
        // completion: the run's last write (PostgreSQL locks the execution with it before summing its
        // steps: the sum then reads with a snapshot taken after any step that was closing has
        // committed), the steps' usage, the price, the guarded update returning the row.
        assertThat(counted.statements()).isEqualTo(10);
    }

    /**
     * Rounds of: an execution in {@code c} with a step holding an open tool call, an open call
     * outside the step and a reply linked to the step; then one sweep that fails the execution, the
     * step and both calls in one transaction. Two readers meanwhile read the latest execution and
     * return a description of any read that mixes the states before and after a sweep.
     */
    private void sweepWhileReading(Conversation c, java.util.function.Function<UUID, String> torn) throws Exception {
        java.util.concurrent.atomic.AtomicReference<UUID> current = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<String> first = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                readers.add(pool.submit(() -> {
                    while (!done.get()) {
                        UUID id = current.get();
                        if (id == null) {
                            Thread.onSpinWait();
                            continue;
                        }
                        String t = torn.apply(id);
                        reads.incrementAndGet();
                        if (t != null) {
                            first.compareAndSet(null, t);
                        }
                    }
                    return null;
                }));
            }
            try {
                for (int i = 0; i < 150 && first.get() == null; i++) {
                    ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
                    StepHandle step = h.step();
                    step.toolCall("in_" + i, "lookup", "{}");
                    h.toolCall(NewToolCall.of("out_" + i, "search", "{}"));
                    h.reply(step, "calling lookup " + i);
                    current.set(h.id());
                    clock.advanceMicros(1);
                    assertThat(recorder.sweepInterrupted(Duration.ZERO).executions()).isEqualTo(1);
                }
            } finally {
                done.set(true);
                for (var f : readers) {
                    f.get();
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(reads.get()).isPositive();
        assertThat(first.get()).as("a read mixing two committed states").isNull();
    }

    private static String mixed(String what, List<ExecutionStatus> statuses) {
        return statuses.stream().distinct().count() > 1 ? what + " " + statuses : null;
    }

    @Test
    @DisplayName("tree() is one committed state: a sweep committed while it reads never shows a processing execution with interrupted steps or calls")
    void treeIsOneSnapshot() throws Exception {
        sweepWhileReading(convo(), id -> {
            ExecutionTree t = recorder.tree(id).orElseThrow();
            List<ExecutionStatus> statuses = new ArrayList<>();
            statuses.add(t.execution().status());
            t.steps().forEach(st -> statuses.add(st.status()));
            t.toolCalls().forEach(tc -> statuses.add(tc.status()));
            return mixed("execution, step and tool calls", statuses);
        });
    }

    @Test
    @DisplayName("historyWithTools() is one committed state: a sweep committed while it reads never shows an interrupted step with processing calls")
    void historyWithToolsIsOneSnapshot() throws Exception {
        Conversation c = convo();
        sweepWhileReading(c, id -> {
            for (MessageWithTools m : recorder.historyWithTools(c.id(), 2)) {
                for (var st : m.toolSteps()) {
                    List<ExecutionStatus> statuses = new ArrayList<>();
                    statuses.add(st.status());
                    st.toolCalls().forEach(tc -> statuses.add(tc.status()));
                    String t = mixed("step and its tool calls", statuses);
                    if (t != null) {
                        return t;
                    }
                }
            }
            return null;
        });
    }

    @Test
    @DisplayName("the execution tree loads in three queries whatever the number of steps and tool calls")
    void treeQueryCount() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        for (int s = 0; s < 5; s++) {
            StepHandle step = h.step();
            for (int i = 0; i < 4; i++) {
                step.toolCall("c" + s + i, "tool" + i, "{\"i\":" + i + "}").complete("r" + i);
            }
            step.finish(null, FinishReason.TOOL_CALLS);
        }
        h.complete();
        StatementCounter.Counted<ExecutionTree> counted = StatementCounter.count(atlas, () -> recorder.tree(h.id()).orElseThrow());
        assertThat(counted.statements()).isEqualTo(3);
        ExecutionTree tree = counted.result();
        assertThat(tree.steps()).hasSize(5);
        assertThat(tree.steps()).allSatisfy(s -> assertThat(s.toolCalls()).extracting(t -> t.index()).containsExactly(0, 1, 2, 3));
        assertThat(tree.toolCalls()).hasSize(20);
    }

    @Test
    @DisplayName("history with tools gives a reply for a whole tool loop every round before it, and a reply per step its own round")
    void historyWithToolRounds() {
        Conversation c = convo();
        acme.conversations().append(c.id(), NewMessage.user("where is my order"));
        recorder.record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
            StepHandle first = exec.step();
            first.toolCall("call_1", "lookup", "{}").complete("shipped");
            first.finish("", FinishReason.TOOL_CALLS);
            StepHandle second = exec.step();
            second.toolCall("call_2", "map", "{}").complete("map.png");
            second.toolCall("call_3", "eta", "{}").complete("thursday");
            second.finish("let me check the route", FinishReason.TOOL_CALLS);
            StepHandle last = exec.step();
            last.finish("it ships thursday", FinishReason.STOP);
            return exec.reply(last, "it ships thursday");
        });
        acme.conversations().append(c.id(), NewMessage.user("and the invoice?"));
        recorder.record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
            StepHandle first = exec.step();
            first.toolCall("call_4", "invoice", "{}").complete("inv-9");
            first.finish("looking it up", FinishReason.TOOL_CALLS);
            exec.reply(first, "looking it up");
            StepHandle last = exec.step();
            last.finish("invoice inv-9 is attached", FinishReason.STOP);
            return exec.reply(last, "invoice inv-9 is attached");
        });

        List<MessageWithTools> history = recorder.historyWithTools(c.id(), 50);

        assertThat(history).extracting(m -> m.message().content()).containsExactly("where is my order", "it ships thursday",
                "and the invoice?", "looking it up", "invoice inv-9 is attached");
        MessageWithTools loop = history.get(1);
        assertThat(loop.toolSteps()).extracting(s -> s.sequence()).containsExactly(1, 2);
        assertThat(loop.toolSteps().get(1).content()).isEqualTo("let me check the route");
        assertThat(loop.toolCalls()).extracting(t -> t.providerCallId()).containsExactly("call_1", "call_2", "call_3");
        assertThat(loop.toolCalls()).extracting(t -> t.result()).containsExactly("shipped", "map.png", "thursday");
        assertThat(history.get(3).toolCalls()).extracting(t -> t.providerCallId()).containsExactly("call_4");
        assertThat(history.get(4).toolSteps()).isEmpty();
        assertThat(history.get(0).toolSteps()).isEmpty();
    }

    @Test
    @DisplayName("history with tools returns each assistant message with its step's tool calls and results, in three queries")
    void historyWithTools() {
        Conversation c = convo();
        List<UUID> stepIds = new ArrayList<>();
        for (int turn = 0; turn < 6; turn++) {
            acme.conversations().append(c.id(), NewMessage.user("question " + turn));
            int t = turn;
            recorder.record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                StepHandle step = exec.step();
                step.toolCall("call_" + t + "a", "lookup", "{\"turn\":" + t + "}").complete("result a" + t);
                step.toolCall("call_" + t + "b", "search", "{\"turn\":" + t + "}").complete("result b" + t);
                step.finish("calling tools", FinishReason.TOOL_CALLS);
                Message m = exec.reply(step, "answer " + t);
                assertThat(m.executionId()).isEqualTo(exec.id());
                assertThat(m.stepId()).isEqualTo(step.id());
                assertThat(m.role()).isEqualTo(Role.ASSISTANT);
                stepIds.add(step.id());
                return m;
            });
        }
        StatementCounter.Counted<List<MessageWithTools>> counted = StatementCounter.count(atlas,
                () -> recorder.historyWithTools(c.id(), 50));
        assertThat(counted.statements()).isEqualTo(3);
        List<MessageWithTools> history = counted.result();
        assertThat(history).hasSize(12);
        assertThat(history.get(0).message().content()).isEqualTo("question 0");
        assertThat(history.get(0).toolCalls()).isEmpty();
        MessageWithTools answer = history.get(11);
        assertThat(answer.message().content()).isEqualTo("answer 5");
        assertThat(answer.message().stepId()).isEqualTo(stepIds.get(5));
        assertThat(answer.toolCalls()).extracting(t -> t.providerCallId()).containsExactly("call_5a", "call_5b");
        assertThat(answer.toolCalls()).extracting(t -> t.arguments()).containsExactly("{\"turn\":5}", "{\"turn\":5}");
        assertThat(answer.toolCalls()).extracting(t -> t.result()).containsExactly("result a5", "result b5");
        assertThat(recorder.historyWithTools(c.id(), 3)).extracting(m -> m.message().content())
                .containsExactly("answer 4", "question 5", "answer 5");
    }

    @Test
    @DisplayName("historyWithTools: a round a framework stored as messages (a tool message linked to its step) is not attached again")
    void historyWithToolsFrameworkRounds() {
        Conversation c = convo();
        acme.conversations().append(c.id(), NewMessage.user("where is order 7?"));
        ExecutionHandle exec = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle first = exec.step();
        first.toolCall("call_1", "lookup", "{\"order\":7}").complete("shipped");
        first.finish("", FinishReason.TOOL_CALLS);
        // The framework's memory writes the tool-call turn and the tool result as messages, linked to the step.
        acme.conversations().append(c.id(), NewMessage.assistant("").execution(exec.id(), first.id())
                .metadata(Map.of("tool_calls", List.of(Map.of("id", "call_1")))));
        acme.conversations().append(c.id(), NewMessage.json(Role.TOOL, "[{\"id\":\"call_1\",\"result\":\"shipped\"}]")
                .execution(exec.id(), first.id()));
        StepHandle last = exec.step();
        last.finish("It shipped.", FinishReason.STOP);
        exec.reply(last, "It shipped.");
        exec.complete();

        List<MessageWithTools> history = recorder.historyWithTools(c.id(), 50);
        assertThat(history).extracting(m -> m.message().role())
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(history).allSatisfy(m -> assertThat(m.toolSteps()).isEmpty());
        // The execution still holds the round, for audit and cost.
        assertThat(recorder.tree(exec.id()).orElseThrow().steps().get(0).toolCalls()).hasSize(1);
    }

    @Test
    @DisplayName("historyWithTools never attaches the tool rounds of another conversation's execution, even when a message links to it")
    void historyWithToolsKeepsOtherConversationsRoundsOut() {
        Conversation alices = convo();
        Conversation bobs = convo();
        ExecutionHandle theirs = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(alices.id()));
        StepHandle secret = theirs.step();
        secret.toolCall("call_a", "lookup_card", "{\"user\":\"alice\"}").complete("alice's card ends 4242");
        secret.finish("", FinishReason.TOOL_CALLS);
        theirs.complete();
        ExecutionHandle loose = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle round = loose.step();
        round.toolCall("call_n", "weather", "{}").complete("sunny");
        round.finish("", FinishReason.TOOL_CALLS);
        loose.complete();
        acme.conversations().append(bobs.id(), NewMessage.assistant("linked to alice's run").execution(theirs.id(), secret.id()));
        acme.conversations().append(bobs.id(), NewMessage.assistant("linked to a run of no conversation").execution(loose.id(), round.id()));

        List<MessageWithTools> history = recorder.historyWithTools(bobs.id(), 50);

        assertThat(history).extracting(m -> m.message().content())
                .containsExactly("linked to alice's run", "linked to a run of no conversation");
        assertThat(history.get(0).message().executionId()).isEqualTo(theirs.id());
        assertThat(history.get(0).toolSteps()).isEmpty();
        assertThat(history.get(1).toolCalls()).extracting(ToolCall::result).containsExactly("sunny");
    }

    @Test
    @DisplayName("historyWithTools attaches only complete rounds: a failed step, a failed, cancelled or unfinished call would make the request unreplayable")
    void historyWithToolsAttachesOnlyCompleteRounds() {
        Conversation c = convo();
        acme.conversations().append(c.id(), NewMessage.user("book me a table"));
        ExecutionHandle exec = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle failedCall = exec.step();
        failedCall.toolCall("call_1", "find", "{}").complete("found 3");
        failedCall.toolCall("call_2", "book", "{}").fail("timeout");
        failedCall.finish("", FinishReason.TOOL_CALLS);
        StepHandle unfinished = exec.step();
        unfinished.toolCall("call_3", "book", "{}");
        unfinished.finish("", FinishReason.TOOL_CALLS);
        StepHandle failedStep = exec.step();
        failedStep.toolCall("call_4", "book", "{}").complete("booked?");
        failedStep.fail("rate limited");
        StepHandle complete = exec.step();
        complete.toolCall("call_5", "book", "{\"retry\":true}").complete("booked 19:00");
        complete.finish("retrying", FinishReason.TOOL_CALLS);
        StepHandle last = exec.step();
        last.finish("Booked for 19:00.", FinishReason.STOP);
        exec.reply(last, "Booked for 19:00.");

        List<MessageWithTools> history = recorder.historyWithTools(c.id(), 50);

        assertThat(history).extracting(m -> m.message().content()).containsExactly("book me a table", "Booked for 19:00.");
        assertThat(history.get(1).toolSteps()).extracting(ExecutionStep::sequence).containsExactly(complete.sequence());
        assertThat(history.get(1).toolCalls()).extracting(ToolCall::providerCallId, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("call_5", "booked 19:00"));
        // The execution keeps every round, for audit and cost.
        assertThat(recorder.tree(exec.id()).orElseThrow().toolCalls()).hasSize(5);
    }

    @Test
    @DisplayName("list filters by conversation, agent, provider, model, type, status and time range, newest first, keyset-paginated")
    void listFiltersAndPages() {
        Conversation c = convo();
        Instant t0 = clock.instant();
        for (int i = 0; i < 7; i++) {
            advance(1000);
            ExecutionSpec spec = ExecutionSpec.text(i % 2 == 0 ? "openai" : "anthropic", i % 2 == 0 ? "gpt-4o" : "claude")
                    .agent(i < 3 ? "support" : "sales");
            if (i == 4) {
                spec = spec.conversation(c.id());
            }
            ExecutionHandle h = recorder.start(spec);
            if (i == 6) {
                h.fail("x");
            } else {
                h.complete();
            }
        }
        recorder.create(ExecutionSpec.of(ExecutionType.IMAGE, "openai", "dall-e"));
        List<Execution> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<Execution> page = recorder.list(ExecutionQuery.all().limit(3).after(cursor));
            seen.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(seen).hasSize(8);
        assertThat(seen).extracting(Execution::createdAt).isSortedAccordingTo((a, b) -> b.compareTo(a));
        assertThat(recorder.list(ExecutionQuery.all().provider("anthropic")).items()).hasSize(3);
        assertThat(recorder.list(ExecutionQuery.all().model("gpt-4o").agent("support")).items()).hasSize(2);
        assertThat(recorder.list(ExecutionQuery.all().conversation(c.id())).items()).hasSize(1);
        assertThat(recorder.list(ExecutionQuery.all().type(ExecutionType.IMAGE)).items()).hasSize(1);
        assertThat(recorder.list(ExecutionQuery.all().status(ExecutionStatus.FAILED)).items()).hasSize(1);
        assertThat(recorder.list(ExecutionQuery.all().between(t0.plusSeconds(2), t0.plusSeconds(4))).items()).hasSize(2);
        assertThatThrownBy(() -> recorder.list(ExecutionQuery.all().after("not-a-cursor"))).isInstanceOf(InvalidInputException.class);

        // Each filter, and pairs of them, paged by 3, list exactly the executions that match, newest first, whatever their status.
        advance(1000);
        recorder.start(ExecutionSpec.text("openai", "gpt-4o").agent("sales").owner(Owner.user("alice")).project("p1")).cancel();
        advance(1000);
        recorder.queue(recorder.create(ExecutionSpec.text("anthropic", "claude").owner(Owner.user("alice")).conversation(c.id())).id());
        advance(1000);
        recorder.start(ExecutionSpec.text("openai", "gpt-4o").agent("support").project("p1").conversation(c.id()));
        globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").agent("sales").owner(Owner.user("alice")).project("p1")).complete();
        List<Execution> stored = recorder.list(ExecutionQuery.all()).items();
        assertThat(stored).hasSize(11).extracting(Execution::status).contains(ExecutionStatus.values());
        Instant from = t0.plusSeconds(3);
        Instant to = t0.plusSeconds(9);
        Map<String, java.util.function.UnaryOperator<ExecutionQuery>> filters = new java.util.LinkedHashMap<>();
        Map<String, java.util.function.Predicate<Execution>> matches = new java.util.LinkedHashMap<>();
        filters.put("conversation", q -> q.conversation(c.id()));
        matches.put("conversation", e -> c.id().equals(e.conversationId()));
        filters.put("agent", q -> q.agent("sales"));
        matches.put("agent", e -> "sales".equals(e.agent()));
        filters.put("provider", q -> q.provider("openai"));
        matches.put("provider", e -> e.provider().equals("openai"));
        filters.put("model", q -> q.model("claude"));
        matches.put("model", e -> e.model().equals("claude"));
        filters.put("type", q -> q.type(ExecutionType.TEXT));
        matches.put("type", e -> e.type() == ExecutionType.TEXT);
        filters.put("owner", q -> q.owner(Owner.user("alice")));
        matches.put("owner", e -> Owner.user("alice").equals(e.owner()));
        filters.put("project", q -> q.project("p1"));
        matches.put("project", e -> "p1".equals(e.project()));
        filters.put("between", q -> q.between(from, to));
        matches.put("between", e -> !e.createdAt().isBefore(from) && e.createdAt().isBefore(to));
        for (ExecutionStatus status : ExecutionStatus.values()) {
            filters.put(status.toString(), q -> q.status(status));
            matches.put(status.toString(), e -> e.status() == status);
        }
        List<String> names = new ArrayList<>(filters.keySet());
        for (int i = 0; i < names.size(); i++) {
            for (int j = i; j < names.size(); j++) {
                if (j != i && j >= 8) {
                    continue; // pairs of the eight filters other than status; each status alone
                }
                String a = names.get(i);
                String b = names.get(j);
                ExecutionQuery query = filters.get(b).apply(filters.get(a).apply(ExecutionQuery.all())).limit(3);
                List<UUID> expected = stored.stream().filter(matches.get(a).and(matches.get(b))).map(Execution::id).toList();
                List<UUID> listed = new ArrayList<>();
                String next = null;
                do {
                    Page<Execution> p = recorder.list(query.after(next));
                    p.items().forEach(e -> listed.add(e.id()));
                    next = p.nextCursor().orElse(null);
                } while (next != null);
                assertThat(listed).as(a + " and " + b).containsExactlyElementsOf(expected);
            }
        }
    }

    @Test
    @DisplayName("list bounds finer than a microsecond are exact, as the usage report's: an execution created at T is outside [T+1ns, …) and inside [… , T+1ns)")
    void listBoundsFinerThanAMicrosecond() {
        Execution e = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Instant t = e.createdAt();
        assertThat(recorder.list(ExecutionQuery.all().between(t.plusNanos(1), t.plusSeconds(1))).items()).isEmpty();
        assertThat(recorder.list(ExecutionQuery.all().between(t.minusSeconds(1), t.plusNanos(1))).items()).containsExactly(e);
        assertThat(recorder.list(ExecutionQuery.all().between(t, t.plusNanos(1))).items()).containsExactly(e);
        assertThat(recorder.list(ExecutionQuery.all().between(t.minusSeconds(1), t)).items()).isEmpty();
    }

    // ---- recovery -----------------------------------------------------------------------

    @Test
    @DisplayName("the sweep fails old pending and processing executions, steps and tool calls as interrupted and reports the counts")
    void sweepInterrupted() {
        ExecutionHandle crashed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = crashed.step();
        step.toolCall("c1", "slow_tool", "{}");
        step.toolCall("c2", "slow_tool", "{}").complete("done");
        Execution pending = recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Execution queued = recorder.queue(recorder.create(ExecutionSpec.text("openai", "gpt-4o")).id());
        ExecutionHandle finished = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        finished.complete();
        advance(Duration.ofHours(2).toMillis());
        ExecutionHandle fresh = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        fresh.step();
        ExecutionHandle otherTenant = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o"));

        SweepResult result = recorder.sweepInterrupted(Duration.ofHours(1));

        assertThat(result).isEqualTo(new SweepResult(2, 1, 1));
        Execution swept = recorder.require(crashed.id());
        assertThat(swept.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(swept.error()).isEqualTo("interrupted");
        assertThat(recorder.require(pending.id()).status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(recorder.require(queued.id()).status()).isEqualTo(ExecutionStatus.QUEUED);
        assertThat(recorder.require(finished.id()).status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(recorder.require(fresh.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(globex.executions().require(otherTenant.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        ExecutionTree tree = recorder.tree(crashed.id()).orElseThrow();
        assertThat(tree.steps().get(0).error()).isEqualTo("interrupted");
        assertThat(tree.toolCalls()).extracting(t -> t.status()).containsExactly(ExecutionStatus.FAILED, ExecutionStatus.COMPLETED);
        assertThatThrownBy(crashed::complete).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("executionId"));
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(0, 0, 0));
    }

    @Test
    @DisplayName("a step the sweep fails ends as one fail() ends: status failed, error interrupted, finish reason error")
    void sweptStepEndsAsAFailedOne() {
        ExecutionHandle crashed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        crashed.step().fail("boom");
        crashed.step();
        advance(Duration.ofHours(2).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(1, 1, 0));
        List<ExecutionStep> steps = recorder.tree(crashed.id()).orElseThrow().steps();
        assertThat(steps).extracting(ExecutionStep::status).containsExactly(ExecutionStatus.FAILED, ExecutionStatus.FAILED);
        assertThat(steps).extracting(ExecutionStep::error).containsExactly("boom", "interrupted");
        assertThat(steps).extracting(ExecutionStep::finishReason).containsExactly(FinishReason.ERROR, FinishReason.ERROR);
    }

    @Test
    @DisplayName("the sweep measures a running execution's age from its start, not its creation: one that waited in a queue"
            + " for hours and was just resumed is left running, and its steps go on")
    void sweepSparesAResumedExecution() {
        Execution queued = recorder.queue(recorder.create(ExecutionSpec.text("openai", "gpt-4o")).id());
        advance(Duration.ofHours(2).toMillis());
        ExecutionHandle resumed = recorder.resume(queued.id());
        advance(Duration.ofMinutes(5).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(0, 0, 0));
        assertThat(recorder.require(queued.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        resumed.step().finish("ok", null, FinishReason.STOP, Usage.of(1, 1));
        resumed.complete();
        assertThat(recorder.require(queued.id()).status()).isEqualTo(ExecutionStatus.COMPLETED);
        // Still swept once it has run longer than the limit since it started.
        ExecutionHandle stuck = recorder.resume(recorder.queue(recorder.create(ExecutionSpec.text("openai", "gpt-4o")).id()).id());
        advance(Duration.ofHours(2).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(1, 0, 0));
        assertThat(recorder.require(stuck.id()).status()).isEqualTo(ExecutionStatus.FAILED);
    }

    @Test
    @DisplayName("the sweep's age finer than a microsecond is exact: an execution started 1µs ago is older than 500ns and swept, one started now is not")
    void sweepAgeFinerThanAMicrosecond() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        assertThat(recorder.sweepInterrupted(Duration.ofNanos(500))).isEqualTo(new SweepResult(0, 0, 0));
        clock.advanceMicros(1);
        assertThat(recorder.sweepInterrupted(Duration.ofNanos(500))).isEqualTo(new SweepResult(1, 0, 0));
        assertThat(recorder.require(h.id()).status()).isEqualTo(ExecutionStatus.FAILED);
    }

    // ---- bad input and isolation --------------------------------------------------------

    private static void assertField(String field, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    @DisplayName("every method treats another tenant's executions and conversations as missing")
    void tenantIsolation() {
        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        globex.conversations().append(theirs.id(), NewMessage.user("secret"));
        Execution their = globex.executions().create(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id()));
        ExecutionHandle running = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        running.step();

        assertThat(recorder.get(their.id())).isEmpty();
        assertThat(recorder.tree(their.id())).isEmpty();
        assertThatThrownBy(() -> recorder.require(their.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> recorder.queue(their.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> recorder.resume(their.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> recorder.cancel(their.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id())))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> recorder.historyWithTools(theirs.id(), 10)).isInstanceOf(NotFoundException.class);
        assertThat(recorder.list(ExecutionQuery.all())).extracting(Page::items).asList().isEmpty();
        assertThat(recorder.list(ExecutionQuery.all().conversation(theirs.id())).items()).isEmpty();
        advance(Duration.ofDays(1).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ZERO)).isEqualTo(new SweepResult(0, 0, 0));
        assertThat(recorder.usageReport(dev.atlas.execution.UsageGroup.TENANT, Instant.EPOCH, clock.instant().plusSeconds(1))).isEmpty();
        assertThat(globex.executions().require(their.id()).status()).isEqualTo(ExecutionStatus.PENDING);
        assertThat(globex.executions().require(running.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        // Their running execution too, and every refusal worded exactly as for an id that exists nowhere.
        UUID unknown = UUID.randomUUID();
        List<java.util.function.Function<UUID, Object>> calls = List.of(recorder::require, recorder::queue, recorder::resume, recorder::cancel,
                id -> recorder.historyWithTools(id, 10), id -> recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(id)),
                id -> recorder.create(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(id)));
        for (java.util.function.Function<UUID, Object> call : calls) {
            for (UUID foreign : List.of(their.id(), running.id(), theirs.id())) {
                Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> call.apply(foreign));
                Throwable nowhere = org.assertj.core.api.Assertions.catchThrowable(() -> call.apply(unknown));
                assertThat(refused).isExactlyInstanceOf(NotFoundException.class).hasNoCause();
                assertThat(nowhere).isExactlyInstanceOf(NotFoundException.class);
                assertThat(refused.getMessage().replace(foreign.toString(), "ID")).isEqualTo(nowhere.getMessage().replace(unknown.toString(), "ID"));
                assertThat(((NotFoundException) refused).field()).isEqualTo(((NotFoundException) nowhere).field());
            }
        }
        assertThat(globex.executions().require(running.id()).status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(rows("executions")).isEqualTo(2);
    }

    @Test
    @DisplayName("start and create with a conversation that is unknown, another tenant's or deleted are a NotFoundException naming"
            + " conversationId, worded alike (as the assistant revision names assistantRevisionId); nothing written")
    void unknownConversationNamesConversationId() {
        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        Conversation deleted = convo();
        acme.conversations().delete(deleted.id());
        long before = rows("executions");
        for (UUID id : List.of(UUID.randomUUID(), theirs.id(), deleted.id())) {
            for (java.util.function.Function<ExecutionSpec, Object> call : List.<java.util.function.Function<ExecutionSpec, Object>>of(
                    recorder::start, recorder::create)) {
                assertThatThrownBy(() -> call.apply(ExecutionSpec.text("openai", "gpt-4o").conversation(id)))
                        .isInstanceOfSatisfying(NotFoundException.class, e -> {
                            assertThat(e.field()).contains("conversationId");
                            assertThat(e.entity()).isEqualTo("conversation");
                            assertThat(e.getMessage()).isEqualTo("conversationId: conversation " + id + " not found");
                        });
            }
        }
        assertThat(rows("executions")).isEqualTo(before);
    }

    @Test
    @DisplayName("start, create, record and recordAsync with a revision of a deleted assistant are a NotFoundException naming"
            + " assistantRevisionId, worded exactly as ConversationStore.create words it; nothing written, and the deleted assistant's"
            + " history stays readable")
    void revisionOfADeletedAssistantIsRefusedAsConversationsRefuseIt() {
        dev.atlas.assistant.AssistantStore assistants = acme.assistants();
        UUID assistant = assistants.create(dev.atlas.assistant.AssistantSpec.of("gone-bot", "Gone")).id();
        UUID revision = assistants.publish(assistant, dev.atlas.assistant.NewRevision.of("prompt", java.util.Map.of())).id();
        Conversation c = convo();
        ExecutionHandle before = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).assistantRevision(revision));
        before.complete();
        assistants.delete(assistant);
        long executions = rows("executions");
        Throwable byConversation = org.assertj.core.api.Assertions.catchThrowable(
                () -> acme.conversations().create(NewConversation.of(Owner.user("alice"), "support").assistantRevision(revision)));
        assertThat(byConversation).isExactlyInstanceOf(NotFoundException.class);
        ExecutionSpec spec = ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).assistantRevision(revision);
        List<java.util.function.Supplier<Object>> calls = List.of(() -> recorder.start(spec), () -> recorder.create(spec),
                () -> recorder.record(spec, h -> "never run"),
                () -> recorder.recordAsync(spec, h -> java.util.concurrent.CompletableFuture.completedFuture("never run")).join());
        for (java.util.function.Supplier<Object> call : calls) {
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(call::get);
            if (refused instanceof java.util.concurrent.CompletionException wrapped) {
                refused = wrapped.getCause();
            }
            assertThat(refused).isExactlyInstanceOf(NotFoundException.class).hasMessage(byConversation.getMessage());
            assertThat(((NotFoundException) refused).field()).contains("assistantRevisionId").isEqualTo(((NotFoundException) byConversation).field());
        }
        assertThat(rows("executions")).isEqualTo(executions);
        assertThat(recorder.require(before.id()).assistantRevisionId()).isEqualTo(revision);
        assertThat(assistants.getRevision(revision)).isPresent();
    }

    @Test
    @DisplayName("an execution started while its assistant revision's assistant is deleted is started before the delete: when"
            + " the delete returns the execution is there (PostgreSQL: the check share-locks the assistant), none starts after it")
    void executionRacingItsAssistantsDeleteIsStartedBeforeIt() throws Exception {
        dev.atlas.assistant.AssistantStore assistants = acme.assistants();
        UUID assistant = assistants.create(dev.atlas.assistant.AssistantSpec.of("racing-bot", "Racing")).id();
        UUID revision = assistants.publish(assistant, dev.atlas.assistant.NewRevision.of("prompt", java.util.Map.of())).id();
        Db db = ((JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> starter = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Thread> deleter = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch checked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch deleted = new java.util.concurrent.CountDownLatch(1);
        // The starting thread stops after its revision check, before its insert and commit, until the delete returned or
        // (when the delete waits for the check's lock) until it is seen waiting (RaceWaits).
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == starter.get() && name.equals("executions.revisionLiveForInsert")) {
                checked.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(deleted, deleter::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<UUID> started = CompletableFuture.supplyAsync(() -> {
                starter.set(Thread.currentThread());
                return recorder.create(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(revision)).id();
            });
            checked.await();
            CompletableFuture<Long> seenByDelete = CompletableFuture.supplyAsync(() -> {
                deleter.set(Thread.currentThread());
                try {
                    assistants.delete(assistant);
                    return recorder.list(ExecutionQuery.all()).items().stream().filter(e -> revision.equals(e.assistantRevisionId())).count();
                } finally {
                    deleted.countDown();
                }
            });
            UUID id = started.get();
            // Seen by the deleting call: the execution committed before the delete did, not after.
            assertThat(seenByDelete.get()).isEqualTo(1L);
            assertThat(recorder.require(id).assistantRevisionId()).isEqualTo(revision);
        } finally {
            db.statementListener(null);
        }
    }

    @Test
    @DisplayName("two Atlas instances sweeping the same 20 stale runs at once: each run, its open step and its running tool call is"
            + " swept by exactly one of them (the counts add up to 20 each), and each run keeps its finished step's usage and cost once")
    void twoInstancesSweepTheSameRunsAtOnce() throws Exception {
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        List<UUID> runs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            h.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(1000, 100));
            h.step().toolCall("call_" + i, "lookup", "{}");
            runs.add(h.id());
        }
        advance(Duration.ofHours(2).toMillis());
        ExecutionRecorder other = reopen(b -> b.clock(clock)).tenant("acme").executions();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<SweepResult>> sweeps = new ArrayList<>();
            for (ExecutionRecorder r : List.of(recorder, other)) {
                sweeps.add(pool.submit(() -> {
                    go.await();
                    return r.sweepInterrupted(Duration.ofHours(1));
                }));
            }
            go.countDown();
            SweepResult a = sweeps.get(0).get(60, java.util.concurrent.TimeUnit.SECONDS);
            SweepResult b = sweeps.get(1).get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(new SweepResult(a.executions() + b.executions(), a.steps() + b.steps(), a.toolCalls() + b.toolCalls()))
                    .isEqualTo(new SweepResult(20, 20, 20));
        } finally {
            pool.shutdownNow();
        }
        for (UUID id : runs) {
            assertThat(recorder.require(id)).returns(ExecutionStatus.FAILED, Execution::status).returns(Usage.of(1000, 100), Execution::usage)
                    .satisfies(e -> assertThat(e.cost()).isEqualByComparingTo("0.0035"));
        }
        assertThat(recorder.usageReport(dev.atlas.execution.UsageGroup.TENANT, Instant.EPOCH, clock.instant().plusSeconds(1)))
                .singleElement().satisfies(r -> {
                    assertThat(r.inputTokens()).isEqualTo(20_000);
                    assertThat(r.failures()).isEqualTo(20);
                    assertThat(r.cost()).isEqualByComparingTo("0.07");
                });
    }

    @Test
    @DisplayName("a priced run that ran but finished no step costs 0 however it ended: swept as when cancelled by id or failed"
            + " through its handle (no step, an open step, a failed step); a run that never ran costs nothing known (null) either way")
    void runWithoutFinishedStepsCostsTheSameHoweverItEnded() {
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        List<java.util.function.Consumer<ExecutionHandle>> shapes = List.of(x -> { }, x -> x.step(), x -> x.step().fail("timeout"));
        List<UUID> swept = new ArrayList<>();
        List<Execution> ended = new ArrayList<>();
        for (java.util.function.Consumer<ExecutionHandle> shape : shapes) {
            ExecutionHandle crashed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            shape.accept(crashed);
            swept.add(crashed.id());
            ExecutionHandle cancelled = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            shape.accept(cancelled);
            ended.add(recorder.cancel(cancelled.id()));
            ExecutionHandle failed = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            shape.accept(failed);
            ended.add(failed.fail("boom"));
        }
        UUID neverRan = recorder.create(ExecutionSpec.text("openai", "gpt-4o")).id();
        Execution neverRanCancelled = recorder.cancel(recorder.create(ExecutionSpec.text("openai", "gpt-4o")).id());
        advance(Duration.ofHours(2).toMillis());
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(4);

        for (Execution e : ended) {
            assertThat(e.usage()).isEqualTo(Usage.NONE);
            assertThat(e.cost()).as("ended by cancel or fail").isEqualByComparingTo("0");
        }
        for (UUID id : swept) {
            assertThat(recorder.require(id)).returns(ExecutionStatus.FAILED, Execution::status).returns(Usage.NONE, Execution::usage)
                    .satisfies(e -> assertThat(e.cost()).as("swept").isEqualByComparingTo("0"));
        }
        assertThat(neverRanCancelled.cost()).isNull();
        assertThat(recorder.require(neverRan)).returns(ExecutionStatus.FAILED, Execution::status).returns(null, Execution::cost);
    }

    @Test
    @DisplayName("a crashed run whose row Atlas cannot read (metadata past the read limit) never stops the sweep: it and the"
            + " other stale runs are failed, each billed its finished steps' usage, and the row reads so once repaired")
    void sweepIsNotStoppedByAnUnreadableRun() {
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        List<UUID> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
            h.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(1000, 100));
            h.step();
            runs.add(h.id());
        }
        handEdit("UPDATE <p>executions SET metadata = '{\"n\": " + "1".repeat(1200) + "}' WHERE tenant_id = 'acme' AND id = :id", runs.get(0));
        advance(Duration.ofHours(2).toMillis());

        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(2, 2, 0));

        // Again through an instance with a listener, which reads the swept runs back to tell it: the readable one is heard.
        List<UUID> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionRecorder listened = reopen(b -> b.clock(clock).executionListener(new dev.atlas.execution.ExecutionListener() {
            @Override
            public void failed(String tenantId, Execution execution) {
                heard.add(execution.id());
            }
        })).tenant("acme").executions();
        for (int i = 0; i < 2; i++) {
            ExecutionHandle h = listened.start(ExecutionSpec.text("openai", "gpt-4o"));
            h.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(1000, 100));
            runs.add(h.id());
        }
        handEdit("UPDATE <p>executions SET metadata = '{\"n\": " + "1".repeat(1200) + "}' WHERE tenant_id = 'acme' AND id = :id", runs.get(2));
        advance(Duration.ofHours(2).toMillis());
        assertThat(listened.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(2, 0, 0));
        assertThat(heard).containsExactly(runs.get(3));

        handEdit("UPDATE <p>executions SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", runs.get(0));
        handEdit("UPDATE <p>executions SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", runs.get(2));
        for (UUID id : runs) {
            assertThat(recorder.require(id)).returns(ExecutionStatus.FAILED, Execution::status).returns(Usage.of(1000, 100), Execution::usage)
                    .satisfies(e -> assertThat(e.cost()).isEqualByComparingTo("0.0035"));
        }
    }

    @Test
    @DisplayName("an open step and a running tool call Atlas cannot read never stop a sweep with listeners: both are failed and"
            + " counted with their run, the listeners hear the rest, and they read so once repaired")
    void sweepWithListenersIsNotStoppedByAnUnreadableStepOrCall() {
        List<UUID> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutionRecorder listened = reopen(b -> b.clock(clock).executionListener(new dev.atlas.execution.ExecutionListener() {
            @Override
            public void failed(String tenantId, Execution execution) {
                heard.add(execution.id());
            }
        })).tenant("acme").executions();
        ExecutionHandle h = listened.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup", "{}");
        String unreadableJson = "'{\"n\": " + "1".repeat(1200) + "}'";
        handEdit("UPDATE <p>execution_steps SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", step.id());
        handEdit("UPDATE <p>execution_tool_calls SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", call.id());
        advance(Duration.ofHours(2).toMillis());

        assertThat(listened.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(1, 1, 1));
        assertThat(heard).containsExactly(h.id());

        handEdit("UPDATE <p>execution_steps SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", step.id());
        handEdit("UPDATE <p>execution_tool_calls SET metadata = '{}' WHERE tenant_id = 'acme' AND id = :id", call.id());
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps()).singleElement().returns(ExecutionStatus.FAILED, ExecutionStep::status);
        assertThat(t.toolCalls()).singleElement().returns(ExecutionStatus.FAILED, ToolCall::status);
    }

    @Test
    @DisplayName("rows the sweep fails but cannot tell the listeners about (an unreadable run, step or tool call) are each named in"
            + " one WARN with its table, id and tenant, so an operator learns why a listener missed them; a readable run is not named")
    void unheardSweptRowsAreWarned() {
        ExecutionRecorder listened = reopen(b -> b.clock(clock).executionListener(new dev.atlas.execution.ExecutionListener() {
        })).tenant("acme").executions();
        ExecutionHandle unreadableRun = listened.start(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle readableRun = listened.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = readableRun.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup", "{}");
        String unreadableJson = "'{\"n\": " + "1".repeat(1200) + "}'";
        handEdit("UPDATE <p>executions SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", unreadableRun.id());
        handEdit("UPDATE <p>execution_steps SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", step.id());
        handEdit("UPDATE <p>execution_tool_calls SET metadata = " + unreadableJson + " WHERE tenant_id = 'acme' AND id = :id", call.id());
        advance(Duration.ofHours(2).toMillis());

        String log;
        try (LogCapture capture = LogCapture.start()) {
            assertThat(listened.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(2, 1, 1));
            log = capture.text();
        }
        List<String> warnings = log.lines().filter(l -> l.contains("WARN") && l.contains("without telling the execution listeners")).toList();
        assertThat(warnings).hasSize(3);
        assertThat(warnings).anySatisfy(l -> assertThat(l).contains("executions " + unreadableRun.id()).contains("tenant acme"));
        assertThat(warnings).anySatisfy(l -> assertThat(l).contains("execution_steps " + step.id()).contains("tenant acme"));
        assertThat(warnings).anySatisfy(l -> assertThat(l).contains("execution_tool_calls " + call.id()).contains("tenant acme"));
    }

    // ---- seed capabilities (issue 15) ---------------------------------------------------

    @Test
    @DisplayName("tool calls outside a step (seed 002 voice sessions): numbered per execution, in the tree, listed by name; refused once finished")
    void toolCallsOutsideAStep() {
        ExecutionHandle h = recorder.start(ExecutionSpec.of(dev.atlas.execution.ExecutionType.VOICE, "openai", "gpt-4o-realtime"));
        var lookup = h.toolCall(NewToolCall.of("c1", "lookup_order", "{\"order\":7}"));
        lookup.complete("shipped");
        StepHandle step = h.step();
        step.toolCall("s1", "search", "{}").complete("found");
        step.finish("ok", FinishReason.STOP);
        var hangup = h.toolCall(NewToolCall.of(null, "hang_up", "{}").queued());
        hangup.start();
        hangup.fail("caller gone");
        // Bad input names its field and writes nothing.
        long before = rows("execution_tool_calls");
        assertThatThrownBy(() -> h.toolCall(NewToolCall.of(null, "x", "{not json"))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("arguments"));
        // The parser quotes the token it stopped at; a control character in it is escaped, never raw in a message or a log.
        assertThatThrownBy(() -> h.toolCall(NewToolCall.of(null, "x", "[tru\u001b[31me]"))).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.getMessage()).contains("is not valid JSON: ").contains("'tru\\u001b'").doesNotContain("\u001b"));
        assertThatThrownBy(() -> h.toolCall(null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("call"));
        assertThat(rows("execution_tool_calls")).isEqualTo(before);
        h.complete();
        assertThatThrownBy(() -> h.toolCall(NewToolCall.of("c9", "late", "{}"))).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("executionId"));

        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.outsideSteps()).extracting(ToolCall::id).containsExactly(lookup.id(), hangup.id());
        assertThat(tree.outsideSteps()).extracting(ToolCall::index).containsExactly(0, 1);
        assertThat(tree.outsideSteps()).allSatisfy(c -> assertThat(c.stepId()).isNull());
        assertThat(tree.outsideSteps()).extracting(ToolCall::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED);
        assertThat(tree.outsideSteps().get(0).arguments()).isEqualTo("{\"order\":7}");
        assertThat(tree.outsideSteps().get(0).result()).isEqualTo("shipped");
        assertThat(tree.outsideSteps().get(1).error()).isEqualTo("caller gone");
        assertThat(tree.steps().get(0).toolCalls()).extracting(ToolCall::index).containsExactly(0);
        assertThat(tree.toolCalls()).extracting(ToolCall::name).containsExactly("search", "lookup_order", "hang_up");
        assertThat(recorder.toolCalls(ToolCallQuery.forTool("lookup_order")).items()).extracting(ToolCall::id).containsExactly(lookup.id());
        // Another tenant's id is an unknown id.
        assertThat(globex.executions().tree(h.id())).isEmpty();
        assertThat(globex.executions().toolCalls(ToolCallQuery.forTool("lookup_order")).items()).isEmpty();
    }

    @Test
    @DisplayName("executions attributed to an owner and a project (seed 003) read back and filter listings by owner, by project and both, paged")
    void listByOwnerAndProject() {
        Owner alice = Owner.user("alice");
        Execution e1 = recorder.create(ExecutionSpec.text("openai", "gpt-4o").owner(alice).project("web"));
        Execution e2 = recorder.create(ExecutionSpec.text("openai", "gpt-4o").owner(Owner.user("bob")).project("web"));
        Execution e3 = recorder.create(ExecutionSpec.text("openai", "gpt-4o").owner(alice));
        recorder.create(ExecutionSpec.text("openai", "gpt-4o"));
        Execution stored = recorder.get(e1.id()).orElseThrow();
        assertThat(stored.owner()).isEqualTo(alice);
        assertThat(stored.project()).isEqualTo("web");
        assertThat(stored).isEqualTo(e1);
        assertThat(recorder.get(e3.id()).orElseThrow().project()).isNull();

        assertThat(recorder.list(ExecutionQuery.all().owner(alice)).items()).extracting(Execution::id).containsExactly(e3.id(), e1.id());
        assertThat(recorder.list(ExecutionQuery.all().project("web")).items()).extracting(Execution::id).containsExactly(e2.id(), e1.id());
        assertThat(recorder.list(ExecutionQuery.all().owner(alice).project("web")).items()).extracting(Execution::id)
                .containsExactly(e1.id());
        Page<Execution> first = recorder.list(ExecutionQuery.all().owner(alice).limit(1));
        assertThat(first.items()).extracting(Execution::id).containsExactly(e3.id());
        Page<Execution> second = recorder.list(ExecutionQuery.all().owner(alice).limit(1).after(first.nextCursor().orElseThrow()));
        assertThat(second.items()).extracting(Execution::id).containsExactly(e1.id());
        assertThat(second.nextCursor()).isEmpty();

        assertThatThrownBy(() -> ExecutionSpec.text("openai", "gpt-4o").project(" ")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("project"));
        assertThatThrownBy(() -> ExecutionSpec.text("openai", "gpt-4o").owner(null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("owner"));
        assertThatThrownBy(() -> ExecutionQuery.all().project("")).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("project"));
        assertThat(globex.executions().list(ExecutionQuery.all().owner(alice)).items()).isEmpty();
        assertThat(globex.executions().list(ExecutionQuery.all().project("web")).items()).isEmpty();
    }

    @Test
    @DisplayName("list by owner matches the execution's own owner only: a call in alice's conversation without an owner of its own is"
            + " counted for alice by the OWNER report but not listed for her; conversation(id) lists it")
    void listByOwnerMatchesTheExecutionsOwnOnly() {
        Owner alice = Owner.user("alice");
        Conversation hers = convo(); // owned by alice
        Execution inHers = recorder.create(ExecutionSpec.text("openai", "gpt-4o").conversation(hers.id()));
        Execution standalone = recorder.create(ExecutionSpec.text("openai", "gpt-4o").owner(alice));
        Execution forBobInHers = recorder.create(ExecutionSpec.text("openai", "gpt-4o").conversation(hers.id()).owner(Owner.user("bob")));

        assertThat(recorder.list(ExecutionQuery.all().owner(alice)).items()).extracting(Execution::id).containsExactly(standalone.id());
        assertThat(recorder.list(ExecutionQuery.all().owner(Owner.user("bob"))).items()).extracting(Execution::id)
                .containsExactly(forBobInHers.id());
        assertThat(recorder.list(ExecutionQuery.all().conversation(hers.id())).items()).extracting(Execution::id)
                .containsExactly(forBobInHers.id(), inHers.id());
        assertThat(recorder.usageReport(dev.atlas.execution.UsageGroup.OWNER, Instant.EPOCH, clock.instant().plusSeconds(1)))
                .extracting(r -> r.group() + "=" + r.executions()).containsExactly("user:alice=2", "user:bob=1");
    }

    // ---- finishing once, reused ids, text and token limits --------------------------------

    @Test
    @DisplayName("a handle finishes once: a second complete(), or fail() or cancel() after it, is an IllegalTransitionException and the stored execution stays as completed")
    void handleFinishesOnce() throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        h.usage(Usage.of(10, 2));
        Execution done = h.complete();
        assertThatThrownBy(h::complete).isExactlyInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(() -> h.fail("late")).isExactlyInstanceOf(IllegalTransitionException.class);
        assertThatThrownBy(h::cancel).isExactlyInstanceOf(IllegalTransitionException.class);
        assertThat(recorder.require(h.id())).isEqualTo(done);
        // Two threads finishing one handle at once: one wins, the other is refused.
        ExecutionHandle raced = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        CompletableFuture<Object> a = CompletableFuture.supplyAsync(() -> { try { return raced.complete(); } catch (RuntimeException e) { return e; } });
        CompletableFuture<Object> b = CompletableFuture.supplyAsync(() -> { try { return raced.fail("x"); } catch (RuntimeException e) { return e; } });
        List<Object> outcomes = List.of(a.get(), b.get());
        assertThat(outcomes).filteredOn(o -> o instanceof Execution).singleElement()
                .satisfies(o -> assertThat(recorder.require(raced.id())).isEqualTo(o));
        assertThat(outcomes).filteredOn(o -> o instanceof IllegalTransitionException).hasSize(1);
    }

    @Test
    @DisplayName("a provider call id reused within a step and across steps is kept as given: each call its own row, read back in index order")
    void reusedProviderCallIds() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle first = h.step();
        first.toolCall("call_0", "a", "{}").complete("ra");
        first.toolCall("call_0", "b", "{}").complete("rb");
        first.finish(null, FinishReason.TOOL_CALLS);
        StepHandle second = h.step();
        second.toolCall("call_0", "c", "{}").complete("rc");
        second.finish("done", FinishReason.STOP);
        h.complete();
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps().get(0).toolCalls()).extracting(ToolCall::name, ToolCall::result, ToolCall::index)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", "ra", 0), org.assertj.core.groups.Tuple.tuple("b", "rb", 1));
        assertThat(t.steps().get(1).toolCalls()).extracting(ToolCall::name, ToolCall::providerCallId).containsExactly(
                org.assertj.core.groups.Tuple.tuple("c", "call_0"));
    }

    @Test
    @DisplayName("a tool result with NUL, a lone surrogate or over the content limit is refused naming 'result', the call stays processing; the largest allowed result and astral characters come back exact")
    void toolResultText() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "read", "{}");
        for (String bad : new String[] {"a\u0000b", "x\uD800", "\uDC00y", "z".repeat(10 * 1024 * 1024)}) {
            assertThatThrownBy(() -> call.complete(bad)).isInstanceOfSatisfying(InvalidInputException.class,
                    e -> assertThat(e.field()).isEqualTo("result"));
        }
        assertThat(recorder.tree(h.id()).orElseThrow().steps().get(0).toolCalls().get(0).status()).isEqualTo(ExecutionStatus.PROCESSING);
        String max = "\uD83D\uDE00" + "r".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH - 2);
        call.complete(max);
        assertThat(recorder.tree(h.id()).orElseThrow().steps().get(0).toolCalls().get(0).result()).isEqualTo(max);
    }

    @Test
    @DisplayName("step and tool call metadata written after retention purged the execution is a NotFoundException naming the execution, not a StorageException")
    void metadataAfterPurge() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "read", "{}");
        step.finish("x", FinishReason.STOP);
        h.complete();
        advance(Duration.ofDays(2).toMillis());
        acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofDays(1)));
        assertThat(recorder.get(h.id())).isEmpty();
        assertThatThrownBy(() -> step.metadata(Map.of("k", 1))).isInstanceOfSatisfying(NotFoundException.class, e -> {
            assertThat(e.field()).contains("executionId");
            assertThat(e.getMessage()).isEqualTo("executionId: execution " + h.id() + " not found");
        });
        assertThatThrownBy(() -> call.metadata(Map.of("k", 1))).isInstanceOfSatisfying(NotFoundException.class, e -> {
            assertThat(e.field()).contains("executionId");
            assertThat(e.getMessage()).isEqualTo("executionId: execution " + h.id() + " not found");
        });
        assertThatThrownBy(() -> call.complete("late")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> h.metadata(Map.of("k", 1))).isInstanceOf(ConflictException.class);
    }

    @Test
    @DisplayName("steps whose reasoning tokens together pass the token limit are refused at the step naming 'usage', so complete() still succeeds")
    void stepReasoningTokensOverTheLimit() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        long half = dev.atlas.Limits.MAX_TOKEN_COUNT / 2 + 1;
        StepHandle first = h.step();
        first.finish("a", null, FinishReason.STOP, new Usage(null, null, half, null, null));
        StepHandle second = h.step();
        assertThatThrownBy(() -> second.finish("b", null, FinishReason.STOP, new Usage(null, null, half, null, null)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("usage"));
        assertThat(h.complete().usage()).isEqualTo(new Usage(null, null, half, null, null));
    }

    @Test
    @DisplayName("two steps of one handle finishing at the same moment never pass the token limit together: the one checked second is refused naming 'usage', nothing written, and complete() stores the first's tokens")
    void concurrentStepsCannotPassTheTokenLimit() throws Exception {
        long most = dev.atlas.Limits.MAX_TOKEN_COUNT * 3 / 5;
        stepsFinishingTogether(Usage.of(most, 0), Usage.of(most, 0));
        // A small step alone needs no check; finishing beside a large one it is checked all the same.
        stepsFinishingTogether(Usage.of(dev.atlas.Limits.MAX_TOKEN_COUNT - 2, 0), Usage.of(5, 0));
    }

    /** Finishes a step with {@code first} and, while that finish is inside its write, another with {@code second}, which must be refused. */
    private void stepsFinishingTogether(Usage firstUsage, Usage secondUsage) throws Exception {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle first = h.step();
        StepHandle second = h.step();
        Db db = ((JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> firstThread = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean paused = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch summed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch secondTried = new java.util.concurrent.CountDownLatch(1);
        // The first step's finish stops right after it summed the finished steps, until the second's
        // finish has returned or (when that waits for the first's transaction) until it is seen waiting (RaceWaits).
        Thread secondThread = Thread.currentThread();
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == firstThread.get() && name.equals("executions.stepUsage") && paused.compareAndSet(false, true)) {
                summed.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(secondTried, () -> secondThread, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            CompletableFuture<Throwable> a = CompletableFuture.supplyAsync(() -> {
                firstThread.set(Thread.currentThread());
                try {
                    first.finish("a", null, FinishReason.STOP, firstUsage);
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            summed.await();
            Throwable b;
            try {
                second.finish("b", null, FinishReason.STOP, secondUsage);
                b = null;
            } catch (RuntimeException e) {
                b = e;
            } finally {
                secondTried.countDown();
            }
            assertThat(a.get()).isNull();
            assertThat(b).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("usage"));
        } finally {
            db.statementListener(null);
        }
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps()).extracting(ExecutionStep::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.PROCESSING);
        assertThat(t.steps().get(1).usage()).isEqualTo(Usage.NONE);
        assertThat(h.complete().usage()).isEqualTo(firstUsage);
    }

    @Test
    @DisplayName("a provider call id repeated in one step (or outside steps) is kept as sent: two calls with their own ids and indexes, each result on its own handle whatever order they end in")
    void repeatedProviderCallIdsAreKeptAsSent() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        StepHandle.ToolCallHandle first = step.toolCall("call_1", "lookup", "{\"n\":1}");
        StepHandle.ToolCallHandle second = step.toolCall("call_1", "lookup", "{\"n\":2}");
        StepHandle.ToolCallHandle outA = h.toolCall(NewToolCall.of("v", "hangup", "{}"));
        StepHandle.ToolCallHandle outB = h.toolCall(NewToolCall.of("v", "hangup", "{}"));
        second.complete("two");
        outB.complete("b");
        first.fail("timeout");
        outA.complete("a");
        step.finish(null, FinishReason.TOOL_CALLS);
        h.complete();
        ExecutionTree t = recorder.tree(h.id()).orElseThrow();
        assertThat(t.steps().get(0).toolCalls()).extracting(ToolCall::id, ToolCall::providerCallId, ToolCall::index, ToolCall::arguments,
                        ToolCall::status, ToolCall::result, ToolCall::error)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(first.id(), "call_1", 0, "{\"n\":1}", ExecutionStatus.FAILED, null, "timeout"),
                        org.assertj.core.groups.Tuple.tuple(second.id(), "call_1", 1, "{\"n\":2}", ExecutionStatus.COMPLETED, "two", null));
        assertThat(t.outsideSteps()).extracting(ToolCall::id, ToolCall::index, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(outA.id(), 0, "a"), org.assertj.core.groups.Tuple.tuple(outB.id(), 1, "b"));
    }

    @Test
    @DisplayName("historyWithTools leaves out a round whose calls repeat a provider call id (a provider refuses it replayed; which result answers which call is unknown): it stays in the tree; rounds with distinct or no ids are attached")
    void historyWithToolsLeavesOutRepeatedProviderCallIds() {
        Conversation c = convo();
        acme.conversations().append(c.id(), NewMessage.user("where are orders 7 and 8?"));
        ExecutionHandle exec = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle repeated = exec.step();
        repeated.toolCall("call_1", "lookup", "{\"order\":7}").complete("shipped");
        repeated.toolCall("call_1", "lookup", "{\"order\":8}").complete("pending");
        repeated.finish("", FinishReason.TOOL_CALLS);
        StepHandle unnamed = exec.step();
        unnamed.toolCall(null, "lookup", "{\"order\":7}").complete("shipped");
        unnamed.toolCall(null, "lookup", "{\"order\":8}").complete("pending");
        unnamed.finish("", FinishReason.TOOL_CALLS);
        StepHandle distinct = exec.step();
        distinct.toolCall("call_2", "lookup", "{\"order\":7}").complete("shipped");
        distinct.toolCall("call_3", "lookup", "{\"order\":8}").complete("pending");
        distinct.finish("", FinishReason.TOOL_CALLS);
        StepHandle last = exec.step();
        last.finish("7 shipped, 8 pending", FinishReason.STOP);
        exec.reply(last, "7 shipped, 8 pending");
        exec.complete();
        List<MessageWithTools> history = recorder.historyWithTools(c.id(), 10);
        assertThat(history).hasSize(2);
        assertThat(history.get(1).toolSteps()).extracting(ExecutionStep::id).containsExactly(unnamed.id(), distinct.id());
        assertThat(recorder.tree(exec.id()).orElseThrow().steps().get(0).toolCalls()).hasSize(2);
    }

    @Test
    @DisplayName("tool call arguments PostgreSQL's jsonb cannot hold (an escaped lone surrogate, a number past numeric's range) are refused naming arguments on both databases, nothing written; the extremes it holds, and documents jsonb would normalise (whitespace, a repeated key, -0, 1E+2), are kept byte-exact")
    void argumentsJsonbCannotHoldAreRefused() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        long before = rows("execution_tool_calls");
        for (String bad : List.of("{\"lone\":\"\\ud800\"}", "[\"\\udc00x\"]", "{\"\\ud800\\u0041\":1}", "{\"n\":1e131072}",
                "[-9.9e131072]", "[1e-16384]", "[1.5e-16383]", "[0e-16384]", "[1e2147483648]", "[1e-2147483649]",
                "[" + "9".repeat(131_073) + "]", "[0." + "1".repeat(16_384) + "]", "\ufeff{}", "{\"a\":01}", "{\"a\":1}//c")) {
            assertThatThrownBy(() -> step.toolCall("c", "n", bad)).as(bad)
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("arguments"));
            assertThatThrownBy(() -> h.toolCall(NewToolCall.of("c", "n", bad))).as(bad)
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("arguments"));
        }
        assertThat(rows("execution_tool_calls")).isEqualTo(before);
        List<String> held = List.of("{\"pair\":\"\\ud83d\\ude00\",\"\\udbff\\udfff\":0}", "[1e131071, -9.9E+131071, 1e-16383, 0e200000]",
                "[0.5e-16382, 1E-1, 123456789012345678901234567890]",
                // As sent, never normalised (jsonb would drop the whitespace and the first "a", and write -0 and 1E+2 otherwise):
                // whitespace around and inside, a repeated key, a document that is a string holding invalid JSON, null, -0.
                " {\"a\" : 1 ,\"a\":2}\n", "\"{not json}\"", "null", "-0", "[-0.0, 1E+2, 1e-400, 1e400]",
                // Written out in full, as a model may send them: any length numeric holds, not only Jackson's default 1,000 digits.
                "{\"n\":" + "9".repeat(1500) + ",\"x\":-" + "9".repeat(131_072) + "." + "1".repeat(16_383) + "}");
        for (String json : held) {
            step.toolCall("c", "n", json);
        }
        assertThat(recorder.tree(h.id()).orElseThrow().steps().get(0).toolCalls()).extracting(ToolCall::arguments)
                .containsExactlyElementsOf(held);
    }

    @Test
    @DisplayName("tool arguments and results at their documented limits (1,048,576 characters, JSON 64 levels deep) are kept byte-exact;"
            + " one over, a raw NUL, a lone surrogate, invalid, empty or blank JSON are refused naming the field before any write")
    void toolCallInputAtAndOverItsLimits() {
        int max = dev.atlas.Limits.MAX_CONTENT_LENGTH;
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        String deepest = "[".repeat(64) + "]".repeat(64);
        // A JSON string of exactly the limit, one character of it a surrogate pair (two chars, as Java counts).
        String atLimit = "{\"q\":\"\ud83d\ude00" + "x".repeat(max - 10) + "\"}";
        assertThat(atLimit).hasSize(max);
        long callsBefore = rows("execution_tool_calls");
        long stepsBefore = rows("execution_steps");
        for (String bad : List.of("[".repeat(65) + "]".repeat(65), "{\"q\":\"" + "x".repeat(max - 7) + "\"}", "{\"a\":\"nul\u0000\"}",
                "{\"a\":\"\ud800\"}", "{\"a\":\"x\udc00\"}", "{\"a\":", "", " ", "{} []", "{\"a\":1,}", "'a'", "NaN")) {
            assertField("arguments", () -> step.toolCall("c", "n", bad));
            assertField("arguments", () -> h.toolCall(NewToolCall.of("c", "n", bad)));
        }
        assertThat(rows("execution_tool_calls")).isEqualTo(callsBefore);

        StepHandle.ToolCallHandle deep = step.toolCall("c1", "n", deepest);
        StepHandle.ToolCallHandle big = step.toolCall("c2", "n", atLimit);
        String resultAtLimit = "\ud83d\ude00" + "r\t\u2028".repeat((max - 2) / 3) + "e".repeat((max - 2) % 3);
        assertThat(resultAtLimit).hasSize(max);
        for (String bad : List.of(resultAtLimit + "e", "nul\u0000", "\ud800", "x\udc00y", "\ud83d")) {
            assertField("result", () -> deep.complete(bad));
            assertField("content", () -> step.finish(bad, FinishReason.STOP));
            assertField("reasoning", () -> step.finish("ok", bad, FinishReason.STOP, null));
        }
        deep.complete(resultAtLimit);
        big.complete("");
        step.finish(resultAtLimit, resultAtLimit, FinishReason.TOOL_CALLS, null);
        assertThat(rows("execution_steps")).isEqualTo(stepsBefore);
        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps().get(0).toolCalls()).extracting(ToolCall::arguments).containsExactly(deepest, atLimit);
        assertThat(tree.steps().get(0).toolCalls()).extracting(ToolCall::result).containsExactly(resultAtLimit, "");
        assertThat(tree.steps().get(0).content()).isEqualTo(resultAtLimit);
        assertThat(tree.steps().get(0).reasoning()).isEqualTo(resultAtLimit);
    }

    @Test
    @DisplayName("two Atlas instances on one database (two JVMs) recording into one conversation while both list it: every run and reply"
            + " stored once, every page of either listing holds each execution once, newest first; then one sweeps while the other"
            + " finishes: each run is either completed by its handle or swept, never both, and a completed run is never reopened")
    void twoInstancesRecordListAndSweepOneConversation() throws Exception {
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        Conversation c = convo();
        ExecutionRecorder other = reopen(b -> b.clock(clock)).tenant("acme").executions();
        List<ExecutionRecorder> both = List.of(recorder, other);
        int perInstance = 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        List<UUID> recorded = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
            List<java.util.concurrent.Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                ExecutionRecorder r = both.get(w);
                int n = w;
                writers.add(pool.submit(() -> {
                    go.await();
                    for (int k = 0; k < perInstance; k++) {
                        int i = k;
                        String text = "answer " + n + "." + i;
                        recorded.add(r.record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                            StepHandle step = exec.step();
                            step.toolCall("call_" + n + "_" + i, "lookup", "{\"i\":" + i + "}").complete("r" + i);
                            step.finish(null, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
                            StepHandle last = exec.step();
                            last.finish(text, null, FinishReason.STOP, Usage.of(200, 20));
                            exec.reply(last, NewMessage.assistant(text).clientId("reply-" + n + "-" + i));
                            return exec.id();
                        }));
                    }
                    return null;
                }));
            }
            List<java.util.concurrent.Future<List<String>>> readers = new ArrayList<>();
            for (ExecutionRecorder r : both) {
                readers.add(pool.submit(() -> {
                    go.await();
                    List<String> problems = new ArrayList<>();
                    do {
                        List<UUID> seen = new ArrayList<>();
                        String cursor = null;
                        do {
                            Page<Execution> page = r.list(ExecutionQuery.all().conversation(c.id()).limit(3).after(cursor));
                            page.items().forEach(e -> seen.add(e.id()));
                            cursor = page.nextCursor().orElse(null);
                        } while (cursor != null);
                        if (seen.size() != new java.util.HashSet<>(seen).size()) {
                            problems.add("repeated: " + seen);
                        }
                        List<UUID> sorted = new ArrayList<>(seen);
                        sorted.sort(java.util.Comparator.reverseOrder());
                        if (!sorted.equals(seen)) {
                            problems.add("out of order: " + seen);
                        }
                    } while (writing.get());
                    return problems;
                }));
            }
            go.countDown();
            for (java.util.concurrent.Future<?> f : writers) {
                f.get(120, java.util.concurrent.TimeUnit.SECONDS);
            }
            writing.set(false);
            for (java.util.concurrent.Future<List<String>> f : readers) {
                assertThat(f.get(120, java.util.concurrent.TimeUnit.SECONDS)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
        List<Execution> all = other.list(ExecutionQuery.all().conversation(c.id()).limit(100)).items();
        assertThat(all).extracting(Execution::id).containsExactlyInAnyOrderElementsOf(recorded).hasSize(2 * perInstance);
        assertThat(all).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(e.usage()).isEqualTo(Usage.of(300, 30));
            assertThat(recorder.tree(e.id()).orElseThrow().steps()).extracting(ExecutionStep::sequence).containsExactly(1, 2);
        });
        assertThat(acme.conversations().history(c.id(), 100)).extracting(Message::executionId)
                .containsExactlyInAnyOrderElementsOf(recorded);

        // One instance sweeps while the other finishes its stale runs.
        List<ExecutionHandle> stale = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
            h.step().finish(null, null, FinishReason.TOOL_CALLS, Usage.of(1000, 100));
            stale.add(h);
        }
        advance(Duration.ofHours(2).toMillis());
        java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<Object> outcomes = new ArrayList<>();
        SweepResult swept;
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.Future<List<Object>> finishing = two.submit(() -> {
                go.await();
                List<Object> out = new ArrayList<>();
                for (ExecutionHandle h : stale) {
                    h.usage(Usage.of(1500, 150));
                    try {
                        out.add(h.complete());
                    } catch (ConflictException lost) {
                        out.add(lost);
                    }
                }
                return out;
            });
            java.util.concurrent.Future<SweepResult> sweeping = two.submit(() -> {
                go.await();
                return other.sweepInterrupted(Duration.ofHours(1));
            });
            go.countDown();
            outcomes.addAll(finishing.get(60, java.util.concurrent.TimeUnit.SECONDS));
            swept = sweeping.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            two.shutdownNow();
        }
        int completed = 0;
        for (int i = 0; i < stale.size(); i++) {
            Execution stored = recorder.require(stale.get(i).id());
            if (outcomes.get(i) instanceof Execution e) {
                completed++;
                assertThat(stored).isEqualTo(e);
                assertThat(stored.status()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(stored.usage()).isEqualTo(Usage.of(1500, 150));
                assertThat(stored.error()).isNull();
            } else {
                assertThat(((ConflictException) outcomes.get(i)).getMessage()).contains("is failed: it was ended elsewhere");
                assertThat(stored.status()).isEqualTo(ExecutionStatus.FAILED);
                assertThat(stored.error()).isEqualTo("interrupted");
                assertThat(stored.usage()).isEqualTo(Usage.of(1000, 100));
            }
        }
        assertThat(swept).isEqualTo(new SweepResult(stale.size() - completed, 0, 0));
        // Nothing left to sweep, and a second sweep reopens or changes nothing.
        assertThat(recorder.sweepInterrupted(Duration.ofHours(1))).isEqualTo(new SweepResult(0, 0, 0));
    }
}
