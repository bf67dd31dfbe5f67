package dev.atlas.spring.ai;

import dev.atlas.InvalidInputException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.internal.ListenerCalls;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.ai.chat.client.ChatClientMessageAggregator;
import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.core.Ordered;
import reactor.core.publisher.Flux;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Records every {@code ChatClient} call that reaches the model as an Atlas execution (it starts with
 * the call's first model round: a call refused before, such as a chat memory refusing a closed
 * conversation, records none): provider, model, one step per model
 * round trip with its tool calls and their results, usage from each {@link ChatResponse}'s
 * metadata (the execution's usage is the sum of its steps), cost from the tenant's prices, and
 * timing. The execution belongs to the conversation of the chat memory (the same
 * {@link ChatMemory#CONVERSATION_ID} key, through {@link AtlasChatMemoryRepository}), and every
 * assistant message the model returns carries its execution and step ids in its metadata, so the
 * chat memory stores it linked to them.
 *
 * <p>It is two advisors: this one, outermost ({@link #ORDER}), opens the execution's scope and
 * completes or fails it when the call returns or throws; {@link #modelCalls()}, innermost
 * ({@link #MODEL_CALL_ORDER}, just before the model), records each round trip. Between them sit
 * {@code ToolCallAdvisor} (whose loop passes through the inner advisor once per round) and
 * {@code MessageChatMemoryAdvisor}. Register both ({@link #advisors()}); the Spring Boot
 * auto-configuration does. Registered twice on one client, they still record each call once. Without a {@code ToolCallAdvisor} a model that runs tools internally
 * is one round, so its tool calls are not seen.
 *
 * <p>Streamed calls are recorded alike, as {@code stream} executions: each round is aggregated
 * from its chunks and the time to the first chunk is kept; every chunk carries the ids, so the
 * message {@code MessageChatMemoryAdvisor} aggregates is linked too. A stream that fails or is
 * cancelled by its subscriber mid-round fails its step and fails (or, cancelled, cancels) the execution, whose usage then
 * includes what the round's chunks reported so far (the latest count of each kind, as Spring AI's
 * aggregator counts them): those tokens are billed. The answer text the round streamed before (what the
 * caller may have shown) is the failed step's metadata {@code partialContent}, at most 32,768 characters
 * ({@code partialContentTruncated} {@code true} when cut), as the LangChain4j listener keeps it.
 *
 * <p>What the model returns never fails the call through the recording: text, keys and tool
 * arguments Atlas cannot store as sent (a NUL, an unpaired surrogate, too long, arguments that are
 * no storable JSON) are recorded as cleaned copies (U+FFFD, cut; arguments as
 * {@code {"unparsed": ...}}), and the caller gets the answer unchanged. The assistant messages it
 * records, and the tool results {@link AtlasToolLoopAdvisor} sends on, carry the execution and step
 * ids, by which {@link AtlasChatMemoryRepository} stores them as cleaned copies too.
 *
 * <p>A tool round whose results Spring AI's loop hands to no chat memory (tools that return
 * directly; a call that fails or is cancelled while its tools run) would leave the memory ending on
 * a tool call without results, which providers refuse in the next turn: when the memory's latest
 * message is that round's answer, {@link AtlasChatMemoryRepository} gets the results, as sent or
 * as recorded (the tool's error, else {@code interrupted: ...}).
 *
 * <p>Why an advisor and not a {@code ChatModel} observation handler: observations exist only when
 * the model implementation emits them and do not carry the chat id, while the advisor chain has
 * the call's {@link ChatMemory#CONVERSATION_ID}, sees each round of the tool loop, and holds the
 * assistant message before the chat memory stores it.
 *
 * <p>{@link #close()} fails the calls still in flight ({@link #SHUT_DOWN}; their awaited tool calls
 * {@code interrupted: ...}), which would otherwise
 * stay processing once Atlas closes; the Spring Boot bean is closed with the context, before Atlas.
 */
public final class AtlasRecordingAdvisor implements CallAdvisor, StreamAdvisor, AutoCloseable {
    /** Outermost: before every Spring AI advisor, whose defaults start at {@code HIGHEST_PRECEDENCE + 300}. */
    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;
    /** Innermost: after every Spring AI advisor, just before the model call ({@code LOWEST_PRECEDENCE}). */
    public static final int MODEL_CALL_ORDER = Ordered.LOWEST_PRECEDENCE - 100;
    /** The error of a call {@link #close()} found in flight: its execution and open step fail with it. */
    public static final String SHUT_DOWN = "the application shut down during the call";

    /**
     * What a tool call the model asked for in a call that turned internal tool execution off (Spring AI 1.1) was
     * failed with before this version.
     *
     * @deprecated no longer recorded: such a call is left to the caller to run, so Atlas records it queued and
     *             cancels it when the call ends ({@code cancelled}, no error, no duration), as an agent closes a tool
     *             call it does not run; removed in the next minor release
     */
    @Deprecated(forRemoval = true)
    public static final String LEFT_TO_CALLER = "left to the caller: the call turned internal tool execution off";

    /**
     * The metadata key of a failed streamed round's step holding the answer text streamed before it failed or was
     * cancelled (at most 32,768 characters; {@code partialContentTruncated} {@code true} when cut), as the LangChain4j
     * listener keeps it.
     */
    static final String PARTIAL_CONTENT = "partialContent";
    /** The most characters of {@link #PARTIAL_CONTENT} kept. */
    static final int MAX_PARTIAL = 32_768;

    static final String RUN = "atlas_execution_run";
    /** Set on a round's request once a {@link ModelCalls} advisor records it: a second copy inside passes it on. */
    static final String ROUND = "atlas_round_recorded";

    /**
     * The error a failed call's execution and its failed round's step store: the exception's message, or its text (its
     * class name) when it has none, which a step stored as the text {@code "null"}.
     */
    private static String errorText(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private final Tenant tenant;
    private final AtlasChatMemoryRepository conversations;
    private final String provider;
    private final String agent;
    private final ModelCalls modelCalls = new ModelCalls();
    /** The calls with an execution not yet ended, for {@link #close()}. */
    private final java.util.Set<Run> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private AtlasRecordingAdvisor(Tenant tenant, AtlasChatMemoryRepository conversations, String provider, String agent) {
        this.tenant = dev.atlas.Limits.requireNonNull("tenant", tenant);
        if (conversations != null && !conversations.tenant().id().equals(tenant.id())) {
            // Else every call naming a conversation would fail: its conversation is in the other tenant.
            throw new InvalidInputException("conversations", "is the chat memory of tenant " + conversations.tenant().id()
                    + ", not of " + tenant.id());
        }
        this.conversations = conversations;
        this.provider = dev.atlas.Limits.requireKey("provider", provider);
        this.agent = agent == null ? null : dev.atlas.Limits.requireKey("agent", agent);
    }

    /**
     * Records calls on {@code tenant} under {@code provider} (for example {@code "openai"}), in the
     * conversations of {@code conversations} (may be null: executions then have no conversation),
     * which must be {@code tenant}'s: another tenant's is refused, naming {@code conversations}.
     */
    public static AtlasRecordingAdvisor of(Tenant tenant, AtlasChatMemoryRepository conversations, String provider, String agent) {
        return new AtlasRecordingAdvisor(tenant, conversations, provider, agent);
    }

    /** The advisor that records each model round trip; register it with this one. */
    public CallAdvisor modelCalls() {
        return modelCalls;
    }

    /** Both advisors, for {@code ChatClient.Builder.defaultAdvisors(...)}. */
    public List<Advisor> advisors() {
        return List.of(this, modelCalls);
    }

    @Override
    public String getName() {
        return "AtlasRecordingAdvisor";
    }

    /**
     * Fails every call in flight: its execution, and the step of a model round it is waiting on, with
     * the error {@link #SHUT_DOWN}; the tool calls whose results it awaits (running in the tool loop,
     * or not yet run) with {@code interrupted: java.lang.IllegalStateException: } followed by
     * {@link #SHUT_DOWN} (an awaited tool call left to the caller is cancelled instead: it never ran
     * here). Call it while Atlas is still open. The calls go on: what they do afterwards (their
     * tools, their next model rounds) is not recorded, and their answers still reach their callers.
     * Closing again does nothing more. A call is in flight here once the execution listeners heard its
     * {@code started}, so they never hear its {@code failed} first: a call whose start they are still
     * hearing (a listener waiting in {@code started} for this close()) goes on and is recorded as it ends.
     */
    @Override
    public void close() {
        for (Run run : running) {
            try {
                // The call goes on (its tools may still send their results on): its memory is left as it is.
                run.fail(new IllegalStateException(SHUT_DOWN), false);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(AtlasRecordingAdvisor.class)
                        .warn("could not fail execution {} at shutdown", run.execution.id(), e);
            }
        }
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        if (request.context().get(RUN) instanceof Run) {
            // Registered twice (the auto-configuration's and the application's own): the outer copy records.
            return chain.nextCall(request);
        }
        Run run = new Run();
        ChatClientResponse response;
        try {
            response = chain.nextCall(request.mutate().context(RUN, run).build());
        } catch (RuntimeException | Error e) {
            run.fail(e);
            throw e;
        }
        run.complete();
        return response;
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        if (request.context().get(RUN) instanceof Run) {
            return chain.nextStream(request);
        }
        return Flux.defer(() -> {
            Run run = new Run();
            run.stream = true;
            return chain.nextStream(request.mutate().context(RUN, run).build())
                    .doOnComplete(run::complete)
                    .doOnError(run::fail)
                    .doOnCancel(() -> run.fail(new java.util.concurrent.CancellationException("the stream was cancelled")));
        });
    }

    /** Told by the tool loop ({@link ToolFailureRecorder}) how the call's tools ran, as they run. */
    interface ToolOutcomes {
        /** The call {@code callId} (may be null: some providers send none) of tool {@code name} threw {@code error}. */
        void toolFailed(String callId, String name, String error);

        /**
         * The results of a round's tools, as the loop sends them on: to the model's next round, or
         * straight back to the caller when the tools return directly (no next round would tell them).
         */
        void toolResults(List<Message> history);

        /** The call turned internal tool execution off: its tool calls go back to the caller, unrun. */
        void toolsLeftToCaller();

        /** The round's tools returned directly: {@code results} go to the caller, and no chat memory is handed them. */
        void returnedDirectly(ToolResponseMessage results);
    }

    /**
     * One ChatClient call: the execution, its latest step and the tool calls awaiting results.
     *
     * <p>Its monitor is the one lock of the run: {@link #complete}, {@link #fail} (also run by {@link #close()} on
     * another thread), the tool outcomes, and a round's bookkeeping (recording the results in its prompt, checking
     * {@link #ended} and opening its step; recording its answer) hold it. So "the run ended" and "a round recorded
     * results or opened a step" exclude each other: a close() landing in a round either comes first (the round
     * records nothing) or waits for the round's step to be open (and fails it); never a step left processing, a
     * result recorded as interrupted, a write on an ended execution failing the caller's call, or {@link #pending}
     * changed while close() walks it. The model call and the tools run outside the lock, and so do the execution
     * listeners: every section holding it is inside a {@link ListenerCalls#defer()} scope, whose events are delivered,
     * in order and on the same thread, once the lock is released (a listener waiting for a close() on another thread
     * would otherwise stall both).
     */
    private final class Run implements ToolOutcomes {
        ExecutionHandle execution;
        /** Where the application called (this run is made there): its execution's listeners hear the start in that context. */
        final Object caller = dev.atlas.internal.CallerContext.capture();
        /** Completed or failed, by its caller or by {@link #close()}: whichever comes second records nothing. */
        final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        boolean stream;
        /** The usage of the rounds recorded so far (the steps' sum). */
        volatile Usage recorded = Usage.NONE;
        /**
         * The step of the round being streamed and the usage its chunks reported so far: a stream cancelled
         * by its subscriber is heard here (outermost) before the inner advisor, so the run closes them.
         */
        volatile StepHandle open;
        volatile Usage cut = Usage.NONE;
        /** What the chunks of rounds that failed reported: a failed step stores no usage, yet those tokens are billed. */
        volatile Usage lost = Usage.NONE;
        /** The step of the latest round recorded: the one whose tool calls the tool loop runs next. */
        volatile StepHandle asked;
        /** Tool calls go back to the caller ({@link ToolOutcomes#toolsLeftToCaller}). */
        volatile boolean leftToCaller;
        /** The chat memory's id of the execution's conversation; null when it has none. */
        volatile String conversation;

        /**
         * Spring AI's loop returns a {@code returnDirect} round's results to the caller without a next
         * round, so no chat memory advisor stores them: the memory would end on the answer asking for
         * the tools, a dangling tool call that providers refuse in the next turn's prompt. They are
         * appended to the memory when it holds that answer as its latest message (a memory advisor
         * stored it in this call); never failing the call, whose answer is the caller's already.
         */
        @Override
        public void returnedDirectly(ToolResponseMessage results) {
            closeRound(asked, results);
        }

        /** The tool calls of the latest round recorded ({@link #asked}), and the error of each that failed. */
        volatile List<AssistantMessage.ToolCall> roundCalls = List.of();
        volatile String[] roundErrors = new String[0];
        /** The results of that round's tools, once the loop sent them on. */
        volatile ToolResponseMessage roundResults;

        /**
         * The call failed or was cancelled after the chat memory stored the latest round's answer,
         * before its tools' results went on to a next round (a tool rethrowing, a stream cancelled
         * while the tools ran): the memory gets the round's results, as sent or, where none was, as
         * recorded (the tool's error, else interrupted), so the next turn is no dangling tool call.
         */
        private void closeRound(Throwable e) {
            StepHandle step = asked;
            List<AssistantMessage.ToolCall> calls = roundCalls;
            if (step == null || calls.isEmpty()) {
                return;
            }
            ToolResponseMessage results = roundResults;
            if (results == null) {
                String[] errors = roundErrors;
                List<ToolResponseMessage.ToolResponse> responses = new java.util.ArrayList<>();
                for (int k = 0; k < calls.size(); k++) {
                    String error = k < errors.length && errors[k] != null ? errors[k] : "interrupted: " + e;
                    responses.add(new ToolResponseMessage.ToolResponse(calls.get(k).id(), calls.get(k).name(), error));
                }
                // Tagged as the round's: linked to its step, and stored as a cleaned copy where it must be.
                results = ToolResponseMessage.builder().responses(responses).metadata(Map.of(SpringMessages.EXECUTION_ID,
                        execution.id().toString(), SpringMessages.STEP_ID, step.id().toString())).build();
            }
            closeRound(step, results);
        }

        /** Appends {@code results} when the memory's latest message is {@code step}'s answer; never fails the call. */
        private void closeRound(StepHandle step, ToolResponseMessage results) {
            if (conversations == null || conversation == null || step == null) {
                return;
            }
            try {
                conversations.closeToolRound(conversation, step.id(), results);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(AtlasRecordingAdvisor.class)
                        .warn("tool results of step {} not kept in conversation {}", step.id(), conversation, e);
            }
        }

        @Override
        public void toolsLeftToCaller() {
            leftToCaller = true;
        }

        /** The answer text the round being streamed sent so far, at most {@link #MAX_PARTIAL} characters; guarded by itself. */
        final StringBuilder partial = new StringBuilder();
        /** Whether {@link #partial} was cut at {@link #MAX_PARTIAL}; guarded by {@link #partial}. */
        boolean partialCut;

        /** A round's stream starts: nothing streamed yet. */
        void roundStarts() {
            synchronized (partial) {
                partial.setLength(0);
                partialCut = false;
            }
        }

        /** A chunk of the round being streamed brought {@code text}. */
        void streamed(String text) {
            synchronized (partial) {
                if (text != null && !partialCut) {
                    int room = MAX_PARTIAL - partial.length();
                    partialCut = text.length() > room;
                    partial.append(text, 0, Math.min(room, text.length()));
                }
            }
        }

        /**
         * A streamed round failed: its step fails now (an advisor may retry it), its reported usage is kept, and the
         * answer text streamed before (what the caller may have shown) in its metadata as {@code partialContent}.
         */
        void roundFailed(StepHandle step, Throwable e) {
            open = null;
            lost = lost.plus(cut);
            cut = Usage.NONE;
            Map<String, Object> kept = null;
            synchronized (partial) {
                if (partial.length() > 0) {
                    kept = new LinkedHashMap<>();
                    // storable also replaces a surrogate pair the cut split.
                    kept.put(PARTIAL_CONTENT, dev.atlas.Limits.storable(partial.toString()));
                    if (partialCut) {
                        kept.put(PARTIAL_CONTENT + "Truncated", true);
                    }
                    partial.setLength(0);
                    partialCut = false;
                }
            }
            if (kept != null) {
                try {
                    step.metadata(kept);
                } catch (RuntimeException refused) {
                    // The failure itself matters more than the text before it.
                    org.slf4j.LoggerFactory.getLogger(AtlasRecordingAdvisor.class)
                            .warn("partial content of step {} not kept: {}", step.id(), refused.toString());
                }
            }
            step.fail(errorText(e));
        }

        /** Sets the execution's usage when rounds that failed reported some: else it is the steps' sum. */
        private void keepLostUsage(Throwable cause) {
            Usage unrecorded = lost.plus(cut);
            if (!unrecorded.isEmpty()) {
                try {
                    execution.usage(recorded.plus(unrecorded));
                } catch (RuntimeException refused) {
                    if (cause == null) {
                        throw refused;
                    }
                    cause.addSuppressed(refused);
                }
            }
        }
        // Calls awaiting results by provider call id, in request order: a provider that sends no ids
        // (or repeats one) gets its results matched one each, in the order the tool loop sends them.
        final Map<String, java.util.ArrayDeque<Awaited>> pending = new LinkedHashMap<>();

        void await(AssistantMessage.ToolCall call, StepHandle.ToolCallHandle handle, boolean queued) {
            pending.computeIfAbsent(String.valueOf(call.id()), k -> new java.util.ArrayDeque<>()).addLast(new Awaited(call.name(), handle, queued));
        }

        private List<Awaited> awaiting() {
            return pending.values().stream().flatMap(java.util.Collection::stream).toList();
        }

        /**
         * The tool threw: the call fails now, with the error, whatever result the tool loop then sends
         * the model (Spring AI's exception processor sends the error text as the tool's result).
         */
        @Override
        public void toolFailed(String callId, String name, String error) {
            try (var deferred = deferred()) { // listeners run once the run's lock is released
                toolFailedLocked(callId, name, error);
            }
        }

        private synchronized void toolFailedLocked(String callId, String name, String error) {
            java.util.ArrayDeque<Awaited> calls = pending.get(String.valueOf(callId));
            if (calls == null) {
                return;
            }
            // Calls sharing an id (none sent): the first of this tool's awaiting ones, as the loop runs them in order.
            Awaited call = calls.stream().filter(a -> java.util.Objects.equals(a.name(), name)).findFirst().orElse(null);
            if (call == null) {
                return;
            }
            calls.remove(call);
            if (calls.isEmpty()) {
                pending.remove(String.valueOf(callId));
            }
            List<AssistantMessage.ToolCall> round = roundCalls;
            String[] errors = roundErrors;
            for (int k = 0; k < round.size() && k < errors.length; k++) {
                if (errors[k] == null && java.util.Objects.equals(round.get(k).id(), callId) && java.util.Objects.equals(round.get(k).name(), name)) {
                    errors[k] = error;
                    break;
                }
            }
            call.handle().fail(error);
        }

        void start(ChatClientRequest request, String model) {
            ExecutionSpec spec = ExecutionSpec.of(stream ? ExecutionType.STREAM : ExecutionType.TEXT, provider, model);
            if (agent != null) {
                spec = spec.agent(agent);
            }
            Object key = request.context().get(ChatMemory.CONVERSATION_ID);
            if (key != null && conversations != null) {
                Conversation c = conversations.ensureConversation(key.toString());
                spec = spec.conversation(c.id());
                conversation = key.toString();
            }
            ExecutionSpec started = spec;
            execution = dev.atlas.internal.CallerContext.callIn(caller, () -> tenant.executions().start(started));
            starter = Thread.currentThread();
            // Known to close() once its started is heard: see deferred().
        }

        /** Whether the listeners heard the run's started (it is in {@link #running} then, unless it ended first). */
        private volatile boolean announced;
        /** The thread that started the execution, and delivers its started; guarded by the run's lock. */
        private Thread starter;
        /**
         * An end another thread asked for while {@link #starter} was still delivering the started (a stream its subscriber
         * cancels as its first round starts), and whether to close its round: the starter records it once the listeners
         * heard the start ({@link #announce()}), so none hears the end first. Guarded by the run's lock.
         */
        private Throwable endAsked;
        private boolean endAskedRound;

        /**
         * A {@link ListenerCalls#defer()} scope for a section holding the run's lock: closing it delivers the section's
         * events, then makes a run started in it known to {@link #close()}, and records an end another thread asked for
         * meanwhile. So close() fails a call only once every listener heard its {@code started}, and listeners never hear
         * an execution's end before its start (a listener that waits, in {@code started}, for a close() on another thread
         * leaves that call to go on as recorded; for a cancel on another thread, the cancel is recorded after it returns).
         */
        ListenerCalls.Deferral deferred() {
            ListenerCalls.Deferral events = ListenerCalls.defer();
            return () -> {
                try {
                    events.close();
                } finally {
                    announce();
                }
            };
        }

        private void announce() {
            if (announced) {
                return;
            }
            Throwable end;
            boolean round;
            synchronized (this) {
                // Only the starter knows its listeners heard the start: another thread's section may close meanwhile.
                if (execution == null || announced || Thread.currentThread() != starter) {
                    return;
                }
                announced = true;
                end = endAsked;
                round = endAskedRound;
                endAsked = null;
                if (end == null && !ended.get()) {
                    running.add(this);
                }
            }
            if (end != null) {
                try {
                    fail(end, round);
                } catch (RuntimeException e) {
                    // As the thread that asked for it would have: its caller (a cancel) was not to be failed by it.
                    org.slf4j.LoggerFactory.getLogger(AtlasRecordingAdvisor.class)
                            .warn("could not end execution {}: {}", execution.id(), end.toString(), e);
                }
            }
        }

        /**
         * The step of a call that failed before any response named its model (the prompt named
         * none): a failed call is recorded too, as model {@code unknown}.
         */
        StepHandle unknownModelStep(ChatClientRequest request) {
            if (execution == null) {
                start(request, "unknown");
            }
            return execution.step();
        }

        @Override
        public void toolResults(List<Message> history) {
            try (var deferred = deferred()) { // listeners run once the run's lock is released
                toolResultsLocked(history);
            }
        }

        private synchronized void toolResultsLocked(List<Message> history) {
            Message last = history.isEmpty() ? null : history.get(history.size() - 1);
            StepHandle step = asked;
            if (last instanceof ToolResponseMessage && execution != null && step != null) {
                // Tagged as the round's, as the answer asking for the tools is: the chat memory stores both
                // as cleaned copies where Atlas cannot store them as sent, instead of failing the call.
                last.getMetadata().put(SpringMessages.EXECUTION_ID, execution.id().toString());
                last.getMetadata().put(SpringMessages.STEP_ID, step.id().toString());
                roundResults = (ToolResponseMessage) last;
            }
            results(last == null ? List.of() : List.of(last));
        }

        /** Completes the calls answered by tool responses in the prompt the model is about to get. */
        synchronized void results(List<Message> instructions) {
            if (pending.isEmpty()) {
                return;
            }
            for (Message m : instructions) {
                if (m instanceof ToolResponseMessage tool) {
                    for (ToolResponseMessage.ToolResponse r : tool.getResponses()) {
                        java.util.ArrayDeque<Awaited> calls = pending.get(String.valueOf(r.id()));
                        Awaited call = calls == null ? null : calls.pollFirst();
                        if (calls != null && calls.isEmpty()) {
                            pending.remove(String.valueOf(r.id()));
                        }
                        if (call != null) {
                            call.handle().complete(r.responseData() == null ? "" : dev.atlas.Limits.storable(r.responseData()));
                        }
                    }
                }
            }
        }

        void complete() {
            try (var deferred = deferred()) { // listeners run once the run's lock is released
                completeLocked();
            }
        }

        private synchronized void completeLocked() {
            if (execution == null || !ended.compareAndSet(false, true)) {
                return;
            }
            running.remove(this);
            // Never run by this call (left to its caller, or no tool loop ran them): cancelled, as an agent closes a call it
            // will not run; one left to the caller was recorded queued, so it has no duration.
            for (Awaited call : awaiting()) {
                call.handle().cancel();
            }
            pending.clear();
            keepLostUsage(null);
            execution.complete();
        }

        void fail(Throwable e) {
            fail(e, true);
        }

        /** Fails the call; {@code round}: and closes its latest tool round in the memory ({@link #closeRound(Throwable)}). */
        void fail(Throwable e, boolean round) {
            try (var deferred = deferred()) { // listeners run once the run's lock is released
                failLocked(e, round);
            }
        }

        private synchronized void failLocked(Throwable e, boolean round) {
            if (execution == null || ended.get()) {
                return;
            }
            if (!announced && Thread.currentThread() != starter) {
                // The starter is still delivering the started: it records this end once the listeners heard it (announce()).
                if (endAsked == null) {
                    endAsked = e;
                    endAskedRound = round;
                }
                return;
            }
            ended.set(true);
            if (round) {
                closeRound(e);
            }
            running.remove(this);
            for (Awaited call : awaiting()) {
                if (call.queued()) {
                    call.handle().cancel(); // left to the caller: it never ran here, so nothing interrupted it
                } else {
                    call.handle().fail("interrupted: " + e);
                }
            }
            pending.clear();
            StepHandle step = open;
            if (step != null) {
                // A stream cancelled by its subscriber: heard here before the round's own advisor.
                try {
                    roundFailed(step, e);
                } catch (RuntimeException closed) {
                    e.addSuppressed(closed);
                }
            }
            keepLostUsage(e);
            if (e instanceof java.util.concurrent.CancellationException) {
                // Its subscriber stopped the stream: cancelled, as ExecutionRecorder.record records a cancelled call.
                execution.cancel();
            } else {
                execution.fail(errorText(e));
            }
        }
    }

    /** The innermost advisor: one step per model round trip. */
    private final class ModelCalls implements CallAdvisor, StreamAdvisor {
        @Override
        public String getName() {
            return "AtlasRecordingAdvisor.modelCalls";
        }

        @Override
        public int getOrder() {
            return MODEL_CALL_ORDER;
        }

        @Override
        public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
            if (Boolean.TRUE.equals(request.context().get(ROUND))) {
                return chain.nextCall(request);
            }
            request = request.mutate().context(ROUND, true).build();
            Run run = request.context().get(RUN) instanceof Run r ? r : null;
            boolean own = run == null;
            if (own) {
                run = new Run();
            }
            String model = request.prompt().getOptions() == null ? null : request.prompt().getOptions().getModel();
            StepHandle step;
            try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                synchronized (run) { // the run's lock: see Run
                    if (run.execution == null && model != null) {
                        run.start(request, model);
                    }
                    run.results(request.prompt().getInstructions());
                    // A call close() ended goes on unrecorded: a next round (after a tool ran) opens no step in its failed execution.
                    step = run.execution == null || run.ended.get() ? null : run.execution.step();
                    run.open = step; // for close(): a call waiting on its model has this step open
                }
            }
            ChatClientResponse response;
            try {
                response = chain.nextCall(request);
            } catch (RuntimeException | Error e) {
                try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                    synchronized (run) {
                        run.open = null;
                        if (run.ended.get()) {
                            throw e;
                        }
                        if (step == null) {
                            step = run.unknownModelStep(request);
                        }
                        step.fail(errorText(e));
                        if (own) {
                            run.fail(e);
                        }
                    }
                }
                throw e;
            }
            try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                synchronized (run) {
                    run.open = null;
                    if (run.ended.get()) {
                        return response;
                    }
                    ChatResponse chat = response.chatResponse();
                    if (run.execution == null) {
                        // The prompt named no model: take the one the provider reports (timing starts here).
                        run.start(request, reported(chat));
                        step = run.execution.step();
                    }
                    record(run, step, chat, usage(chat));
                    if (own) {
                        run.complete();
                    }
                }
            }
            return response;
        }

        @Override
        public Flux<ChatClientResponse> adviseStream(ChatClientRequest given, StreamAdvisorChain chain) {
            if (Boolean.TRUE.equals(given.context().get(ROUND))) {
                return chain.nextStream(given);
            }
            ChatClientRequest request = given.mutate().context(ROUND, true).build();
            return Flux.defer(() -> {
                Run found = request.context().get(RUN) instanceof Run r ? r : null;
                boolean own = found == null;
                Run run = own ? new Run() : found;
                run.stream = true;
                String model = request.prompt().getOptions() == null ? null : request.prompt().getOptions().getModel();
                AtomicReference<StepHandle> step = new AtomicReference<>();
                try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                    synchronized (run) { // the run's lock: see Run
                        if (run.execution == null && model != null) {
                            run.start(request, model);
                        }
                        run.results(request.prompt().getInstructions());
                        step.set(run.execution == null || run.ended.get() ? null : run.execution.step());
                        run.open = step.get();
                        run.cut = Usage.NONE;
                        run.roundStarts();
                    }
                }
                Flux<ChatClientResponse> chunks = chain.nextStream(request).map(chunk -> {
                    try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                        synchronized (run) {
                            if (run.ended.get()) {
                                return chunk;
                            }
                            ChatResponse chat = chunk.chatResponse();
                            if (chat != null) {
                                run.cut = latest(run.cut, chat);
                                // The text Spring AI's aggregator makes the answer of: the first generation's.
                                if (chat.getResult() != null && chat.getResult().getOutput() != null) {
                                    run.streamed(chat.getResult().getOutput().getText());
                                }
                            }
                            if (run.execution == null) {
                                run.start(request, reported(chat));
                                step.set(run.execution.step());
                                run.open = step.get();
                            }
                            run.execution.firstToken();
                            if (chat != null) {
                                // MessageChatMemoryAdvisor aggregates the chunks itself, merging their metadata: tag each.
                                for (Generation g : chat.getResults()) {
                                    g.getOutput().getMetadata().put(SpringMessages.EXECUTION_ID, run.execution.id().toString());
                                    g.getOutput().getMetadata().put(SpringMessages.STEP_ID, step.get().id().toString());
                                }
                            }
                            return chunk;
                        }
                    }
                });
                return new ChatClientMessageAggregator().aggregateChatClientResponse(chunks, aggregated -> {
                    try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                        synchronized (run) {
                            if (run.ended.get()) {
                                return;
                            }
                            run.open = null;
                            Usage streamed = run.cut;
                            run.cut = Usage.NONE;
                            if (step.get() != null) {
                                record(run, step.get(), aggregated.chatResponse(), streamed);
                            }
                            if (own) {
                                run.complete();
                            }
                        }
                    }
                }).doOnError(e -> {
                    try (var deferred = run.deferred()) { // listeners run once the run's lock is released
                        synchronized (run) {
                            if (run.ended.get()) {
                                return;
                            }
                            // No open step but one made: the round was recorded, what failed came after it.
                            StepHandle failing = run.open != null ? run.open : step.get() == null ? run.unknownModelStep(request) : null;
                            if (failing != null) {
                                run.roundFailed(failing, e);
                            }
                            if (own) {
                                run.fail(e);
                            }
                        }
                    }
                }).doOnCancel(() -> {
                    if (own) {
                        run.fail(new java.util.concurrent.CancellationException("the stream was cancelled"));
                    }
                });
            });
        }

        private void record(Run run, StepHandle step, ChatResponse chat, Usage usage) {
            if (chat == null || chat.getResults().isEmpty()) {
                step.finish("", null, FinishReason.STOP, usage);
                run.recorded = run.recorded.plus(usage);
                return;
            }
            Generation first = chat.getResult();
            AssistantMessage out = first.getOutput();
            for (Generation g : chat.getResults()) {
                for (AssistantMessage.ToolCall call : g.getOutput().getToolCalls()) {
                    run.await(call, toolCall(step, call, run.leftToCaller), run.leftToCaller);
                }
            }
            String id = dev.atlas.Limits.storableKey(chat.getMetadata() == null ? null : chat.getMetadata().getId());
            if (id != null) {
                run.execution.providerResponseId(id);
            }
            // A model may send what a text column cannot hold as is (a NUL): recorded as a storable copy.
            step.finish(out.getText() == null ? "" : dev.atlas.Limits.storable(out.getText()), null, finishReason(first), usage);
            run.recorded = run.recorded.plus(usage);
            List<AssistantMessage.ToolCall> calls = new java.util.ArrayList<>();
            chat.getResults().forEach(g -> calls.addAll(g.getOutput().getToolCalls()));
            run.roundResults = null;
            run.roundErrors = new String[calls.size()];
            run.roundCalls = List.copyOf(calls);
            run.asked = step;
            for (Generation g : chat.getResults()) {
                g.getOutput().getMetadata().put(SpringMessages.EXECUTION_ID, run.execution.id().toString());
                g.getOutput().getMetadata().put(SpringMessages.STEP_ID, step.id().toString());
            }
        }
    }

    /** A tool call awaiting its result, the tool it names, and whether it was recorded queued (left to the caller). */
    private record Awaited(String name, StepHandle.ToolCallHandle handle, boolean queued) {
    }

    /** The model the response reports, as a key Atlas stores; {@code unknown} when it reports none. */
    private static String reported(ChatResponse chat) {
        String model = dev.atlas.Limits.storableKey(chat == null || chat.getMetadata() == null ? null : chat.getMetadata().getModel());
        return model == null ? "unknown" : model;
    }

    /**
     * Records {@code call} with what the model sent, as storable copies where Atlas cannot store it as
     * sent: the recording must not fail a call the model answered; {@code queued} when this call will not run
     * it (left to the caller), processing otherwise (the tool loop runs it now). Arguments Atlas does not store as
     * JSON (not one JSON document, a NUL escape, too deep, too long) are kept as {@link #unparsed}.
     */
    private static StepHandle.ToolCallHandle toolCall(StepHandle step, AssistantMessage.ToolCall call, boolean queued) {
        String name = dev.atlas.Limits.storableKey(call.name());
        String id = dev.atlas.Limits.storableKey(call.id());
        String raw = call.arguments();
        String arguments = arguments(raw);
        try {
            NewToolCall asked = NewToolCall.of(id, name == null ? "unnamed" : name, arguments);
            return step.toolCall(queued ? asked.queued() : asked);
        } catch (InvalidInputException e) {
            if (!"arguments".equals(e.field()) || raw == null || !arguments.equals(raw)) {
                throw e;
            }
            NewToolCall asked = NewToolCall.of(id, name == null ? "unnamed" : name, unparsed(raw));
            return step.toolCall(queued ? asked.queued() : asked);
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectReader ONE_DOCUMENT = new com.fasterxml.jackson.databind.ObjectMapper()
            .reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The arguments as sent when they are one storable JSON document, {@code {}} when none, else {@link #unparsed}. */
    private static String arguments(String raw) {
        if (raw == null || raw.isBlank()) {
            return "{}";
        }
        try {
            ONE_DOCUMENT.readTree(raw);
            // A NUL escape parses, but no database stores it in a JSON column: kept as text instead.
            if (!raw.contains("\\u0000") && dev.atlas.Limits.storable(raw) == raw) {
                return raw;
            }
        } catch (java.io.IOException e) {
            // kept as text below
        }
        return unparsed(raw);
    }

    /**
     * {@code raw} as {@code {"unparsed": ...}} (as the LangChain4j adapter stores it): a storable copy,
     * cut short with {@code "truncated": true} until its JSON fits a tool call.
     */
    private static String unparsed(String raw) {
        int max = dev.atlas.Limits.MAX_CONTENT_LENGTH;
        int keep = Math.min(raw.length(), max - 32);
        while (true) {
            Map<String, Object> doc = new LinkedHashMap<>();
            // storable replaces a surrogate pair the cut splits, so the text stays valid.
            doc.put("unparsed", dev.atlas.Limits.storable(raw.substring(0, keep)));
            if (keep < raw.length()) {
                doc.put("truncated", true);
            }
            String out = SpringMessages.write(doc);
            if (out.length() <= max) {
                return out;
            }
            // In proportion: a text whose escaping doubles its length keeps about half, not next to nothing.
            keep = (int) Math.min(keep - 1L, (long) keep * (max - 64) / out.length());
        }
    }


    private static FinishReason finishReason(Generation g) {
        String reason = g.getMetadata() == null ? null : g.getMetadata().getFinishReason();
        if (reason != null) {
            switch (reason.toLowerCase(Locale.ROOT)) {
                case "stop", "end_turn", "stop_sequence":
                    return FinishReason.STOP;
                case "tool_calls", "tool_use", "function_call":
                    return FinishReason.TOOL_CALLS;
                case "length", "max_tokens", "model_length":
                    return FinishReason.LENGTH;
                // OpenAI/Azure; Bedrock; Anthropic; Gemini's safety, recitation and policy stops.
                case "content_filter", "content_filtered", "guardrail_intervened", "refusal", "safety", "recitation",
                     "blocklist", "prohibited_content", "spii", "image_safety":
                    return FinishReason.CONTENT_FILTER;
                case "error", "malformed_function_call":
                    return FinishReason.ERROR;
                default:
                    break;
            }
        }
        return g.getOutput().hasToolCalls() ? FinishReason.TOOL_CALLS : FinishReason.STOP;
    }

    /**
     * The usage as Atlas bills it. Spring AI's {@code Usage} carries prompt and completion counts;
     * the prompt-cache and reasoning counts are in the provider's native usage
     * ({@code getNativeUsage()}), read by its accessors' names since the provider modules are not
     * dependencies: {@code cacheReadInputTokens()} with {@code cacheCreationInputTokens()} (Anthropic)
     * or {@code cacheWriteInputTokens()} (Bedrock), not part of the prompt count; else
     * {@code promptTokensDetails().cachedTokens()} (OpenAI), {@code promptCacheHitTokens()}
     * (DeepSeek) or {@code cachedContentTokenCount()} (Gemini), part of the prompt count, so taken
     * out of it; {@code completionTokenDetails()} or {@code completionTokensDetails()}
     * {@code .reasoningTokens()} (OpenAI), part of the output; and {@code thoughtsTokenCount()}
     * (Gemini), which Google bills as output but Spring AI's completion count (its candidates
     * count) leaves out, so added to it. Each is also read as a bean getter ({@code getThoughtsTokenCount()},
     * as Vertex AI's protobuf usage has it). Optional results are unwrapped. A
     * count Atlas cannot hold (negative, too large) is unknown rather than failing the record.
     */
    static Usage usage(ChatResponse chat) {
        org.springframework.ai.chat.metadata.Usage u = chat == null || chat.getMetadata() == null ? null : chat.getMetadata().getUsage();
        if (u == null) {
            return Usage.NONE;
        }
        Long in = count(u.getPromptTokens());
        Object reported = u.getNativeUsage();
        Long out = count(u.getCompletionTokens());
        Long reasoning = count(accessor(accessor(reported, "completionTokenDetails"), "reasoningTokens"));
        if (reasoning == null) {
            reasoning = count(accessor(accessor(reported, "completionTokensDetails"), "reasoningTokens"));
        }
        if (reasoning == null) {
            Long thoughts = count(accessor(reported, "thoughtsTokenCount"));
            if (thoughts != null) {
                reasoning = thoughts;
                out = out == null ? null : count(out + thoughts);
            }
        }
        Long cacheRead = count(accessor(reported, "cacheReadInputTokens"));
        Long cacheWrite = count(accessor(reported, "cacheCreationInputTokens"));
        if (cacheWrite == null) {
            cacheWrite = count(accessor(reported, "cacheWriteInputTokens"));
        }
        if (cacheRead == null) {
            Long cached = count(accessor(accessor(reported, "promptTokensDetails"), "cachedTokens"));
            if (cached == null) {
                cached = count(accessor(reported, "promptCacheHitTokens"));
            }
            if (cached == null) {
                cached = count(accessor(reported, "cachedContentTokenCount"));
            }
            if (cached != null) {
                cacheRead = cached;
                in = in == null ? null : Math.max(0, in - cached);
            }
        }
        return new Usage(in, out, reasoning, cacheRead, cacheWrite);
    }

    private static Long count(Object n) {
        return n instanceof Number c && c.longValue() >= 0 && c.longValue() <= dev.atlas.Limits.MAX_TOKEN_COUNT ? c.longValue() : null;
    }

    /** Public no-argument methods by class and name, looked up once. */
    private static final ClassValue<Map<String, java.util.Optional<java.lang.reflect.Method>>> ACCESSORS = new ClassValue<>() {
        @Override
        protected Map<String, java.util.Optional<java.lang.reflect.Method>> computeValue(Class<?> type) {
            return new java.util.concurrent.ConcurrentHashMap<>();
        }
    };

    /** What {@code target}'s public no-argument method {@code name} returns (an Optional unwrapped); null when none. */
    private static Object accessor(Object target, String name) {
        if (target == null) {
            return null;
        }
        java.util.Optional<java.lang.reflect.Method> method = ACCESSORS.get(target.getClass()).computeIfAbsent(name, n -> {
            // The bare name (records, the vendor SDKs), else the bean getter (protobuf messages such as
            // Vertex AI's UsageMetadata, which Spring AI's vertex-ai-gemini model reports).
            for (String candidate : List.of(n, "get" + Character.toUpperCase(n.charAt(0)) + n.substring(1))) {
                try {
                    java.lang.reflect.Method m = target.getClass().getMethod(candidate);
                    return m.trySetAccessible() ? java.util.Optional.of(m) : java.util.Optional.empty();
                } catch (NoSuchMethodException | SecurityException none) {
                    // the next candidate
                }
            }
            return java.util.Optional.empty();
        });
        try {
            Object value = method.isPresent() ? method.get().invoke(target) : null;
            if (value instanceof java.util.Optional<?> o) {
                return o.orElse(null);
            }
            if (value instanceof java.util.OptionalLong o) {
                return o.isPresent() ? o.getAsLong() : null;
            }
            if (value instanceof java.util.OptionalInt o) {
                return o.isPresent() ? o.getAsInt() : null;
            }
            return value;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The usage a stream reported up to {@code chunk}: as Spring AI's aggregator counts it, the
     * latest positive count of each kind (providers report running totals, some only at the end).
     * Kept here, not taken from the aggregated response, whose usage has no native counts.
     */
    static Usage latest(Usage before, ChatResponse chunk) {
        org.springframework.ai.chat.metadata.Usage u = chunk.getMetadata() == null ? null : chunk.getMetadata().getUsage();
        if (u == null) {
            return before;
        }
        Usage now = usage(chunk);
        Long in = u.getPromptTokens() != null && u.getPromptTokens() > 0 ? now.inputTokens() : before.inputTokens();
        Long out = u.getCompletionTokens() != null && u.getCompletionTokens() > 0 ? now.outputTokens() : before.outputTokens();
        return new Usage(in, out, positive(now.reasoningTokens(), before.reasoningTokens()), positive(now.cachedTokens(), before.cachedTokens()),
                positive(now.cacheWriteTokens(), before.cacheWriteTokens()));
    }

    private static Long positive(Long now, Long before) {
        return now != null && now > 0 ? now : before;
    }

    static UUID executionOf(Message m) {
        return SpringMessages.uuid(m, SpringMessages.EXECUTION_ID);
    }
}
