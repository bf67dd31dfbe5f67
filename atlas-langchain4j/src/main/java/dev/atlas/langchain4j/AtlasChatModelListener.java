package dev.atlas.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A LangChain4j {@link ChatModelListener} that records every model call as an Atlas execution:
 * started when the request leaves ({@code onRequest}), completed when the response arrives
 * ({@code onResponse}) or failed with the error ({@code onError}), so its timings are the call's
 * own. Each call is one execution with one step holding the answer, the reasoning ("thinking"),
 * the finish reason, the usage and the tool calls the model asked for; provider, requested model,
 * the provider's response id and usage land on the execution, and its cost is computed from the
 * tenant's {@linkplain Tenant#prices() price table} when a price is set for that provider and model.
 * The responding model is kept in the execution's metadata ({@code responseModel}) when it differs.
 *
 * <p><b>Which tenant.</b> A listener built with a {@link Tenant} ({@link #of(Tenant)},
 * {@link #builder(Tenant)}) records every call into it. One built with an {@link Atlas}
 * ({@link #builder(Atlas)}) serves many tenants and picks each call's tenant in {@code onRequest},
 * on the calling thread, in this order: the listener attribute {@link #TENANT_ID}; the
 * {@linkplain Builder#tenantResolver resolver}'s answer; the tenant of the {@link AtlasChatMemoryStore}
 * (of the same Atlas) whose memory the request continues (see below). A call none of them names is
 * recorded in no tenant: Atlas never guesses a tenant. {@code AiServices} caches each chat memory by
 * memory id, so give each tenant its own AI service (or memory ids unique across tenants).
 *
 * <p><b>Which conversation.</b> LangChain4j gives a listener no memory id. A call is tied to a
 * conversation when the request's {@linkplain dev.langchain4j.model.chat.ChatRequestOptions listener
 * attributes} carry {@link #MEMORY_ID}; otherwise, when an {@link AtlasChatMemoryStore} of the same
 * tenant last touched a memory on this thread and the request contains that memory's newest
 * message, the very instance the store handed out or was given (not merely an equal one, so a
 * pooled thread's old memory never claims an unrelated call), which is how {@code AiServices} calls
 * a model (it reads the memory, then calls the model with that list, on the same thread). Other
 * calls are recorded without a conversation.
 *
 * <p><b>Tool calls</b> are recorded in status processing and completed (or failed, for a result
 * with {@code isError}) when the {@link AtlasChatMemoryStore} stores their
 * {@code ToolExecutionResultMessage}, so their timing spans the tool's run. A result completes a call
 * of the response it follows in the memory (by call id, or for providers that send none, by tool name
 * in request order), never a call of an earlier response the app abandoned. The answer the store
 * then saves is linked to the execution (see {@link AtlasChatMemoryStore}). Without an Atlas memory
 * ({@code AiServices} without chat memory, say), a call is completed when a later request carries
 * its result after the very response recorded here.
 *
 * <p>Streaming models work the same way: LangChain4j calls {@code onRequest} on the calling thread
 * and {@code onResponse} on the streaming thread; state travels in the context's attributes.
 * A stream failing midway is failed with its error and no usage: LangChain4j's
 * {@link ChatModelErrorContext} carries no partial response, and its streaming handlers are given
 * text, thinking and tool-call fragments but never token usage before the complete response.
 *
 * <p><b>Abandoned calls.</b> A call LangChain4j drops with neither a response nor an error (a
 * streaming model throwing before it streams, which LangChain4j reports to no listener; a cancelled
 * stream) is failed with {@link #ABANDONED}, at the earliest of: its context being garbage collected;
 * the next request through this listener, or {@link #failAbandoned()}, once it has run longer than
 * {@link Builder#abandonAfter} (default {@link #DEFAULT_ABANDON_AFTER}); {@link #close()}. So no
 * execution stays processing, and none for much longer than the bound.
 *
 * <p><b>Tool rounds</b> waiting for their results belong to the Atlas instance, not to the listener that recorded
 * them: an application building its model, and so its listener, per request, whose listener is collected before the
 * request that stores the results, still has them completed. A round waits at most its listener's
 * {@link Builder#abandonAfter} (from the response, or from its latest result) and is one of at most 10,000 per Atlas
 * instance (past it the oldest of the tenant with the most waiting goes, so one tenant's tool loops that never end do not
 * push out another's); past either bound its calls are failed with {@link #ABANDONED_TOOL_CALL} by the next
 * request through any listener of that Atlas (or {@link #failAbandoned()}), and a result stored later leaves them so.
 */
public final class AtlasChatModelListener implements ChatModelListener, AutoCloseable {
    /**
     * Listener attribute naming the chat memory a call belongs to, when the thread cannot tell: a
     * memory id of any type, mapped to its memory as {@link AtlasChatMemoryStore} maps it. One the
     * store refuses fails {@code onRequest} with {@link InvalidInputException} on {@code memoryId}
     * (LangChain4j logs it; the call is not recorded).
     */
    public static final String MEMORY_ID = "atlas.memoryId";

    /**
     * Listener attribute naming (a {@code String}) the tenant a call is recorded in, for a listener
     * built with {@link #builder(Atlas)}. A listener built with a tenant records a call naming
     * another tenant nowhere (its {@code onRequest} fails with {@link InvalidInputException} on this
     * attribute, which LangChain4j logs).
     */
    public static final String TENANT_ID = "atlas.tenantId";

    /**
     * The error of a call that ended with neither a response nor an error: LangChain4j called
     * {@code onRequest}, then dropped the call's context without calling {@code onResponse} or
     * {@code onError} (a streaming model throwing before it streams, a cancelled stream), or the
     * call outlived {@link Builder#abandonAfter}, or the listener was closed while it ran.
     */
    public static final String ABANDONED =
            "the model call ended with neither a response nor an error (cancelled, or the model failed before it streamed)";

    /**
     * The error of a tool call whose result never reached Atlas: the model asked for it, and no
     * {@link AtlasChatMemoryStore} of the Atlas instance stored its {@code ToolExecutionResultMessage}
     * (nor did a later request carry it) within {@link Builder#abandonAfter} of the listener that recorded
     * it (counted from the response, or from the round's latest result), or its round was pushed out by the
     * bound of 10,000 rounds waiting in that Atlas instance (the oldest of the tenant with the most waiting).
     */
    public static final String ABANDONED_TOOL_CALL =
            "the tool call's result never reached Atlas (the tool loop stopped, or the result came after abandonAfter)";

    /**
     * How long a call may run before it counts as abandoned, unless {@link Builder#abandonAfter}
     * says otherwise: one hour, well above an HTTP client's usual timeout and a long stream.
     */
    public static final Duration DEFAULT_ABANDON_AFTER = Duration.ofHours(1);

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AtlasChatModelListener.class);
    // StreamingChatModel.chat calls onRequest, then doChat without a catch, and a cancelled stream
    // calls nothing more: such a call's context (its attributes map) is dropped with no word to any
    // listener. Its execution is failed once that map is collected, instead of staying processing.
    private static final java.lang.ref.Cleaner DROPPED_CALLS = java.lang.ref.Cleaner.create();

    // This listener's own key: LangChain4j hands every listener of a model one attributes map per
    // call, and another Atlas listener on the model (another Atlas, another tenant) keeps its call there too.
    private final String runningKey = AtlasChatModelListener.class.getName() + ".running@" + UUID.randomUUID();
    // Escaped as JSON (6 characters for a control character) it still fits a step's metadata.
    private static final int MAX_PARTIAL = 32_768;
    private static final ObjectMapper JSON = new ObjectMapper();
    // Atlas refuses arguments with anything after the document ("" "), which readTree alone accepts.
    // Without Jackson's default read limits: a number of 1,001 digits or more is JSON the model sent,
    // kept as sent (Atlas refuses only what jsonb cannot hold), not taken for text.
    private static final com.fasterxml.jackson.databind.ObjectReader ONE_DOCUMENT = new ObjectMapper(
            com.fasterxml.jackson.core.JsonFactory.builder().streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxNumberLength(Integer.MAX_VALUE).maxStringLength(Integer.MAX_VALUE).maxNameLength(Integer.MAX_VALUE).build()).build())
            .reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Tenant fixedTenant;
    private final Atlas atlas;
    private final Function<ChatModelRequestContext, String> tenantResolver;
    private final String provider;
    private final String agent;
    private final Duration abandonAfter;
    private final Clock clock;
    // The Atlas instance this listener's calls are recorded in, whose tool rounds it fails past their bound: the one its
    // tenants name, which the Atlas it was built from may only stand for (a proxy, as Spring's @Lazy injection makes).
    private volatile Atlas instance;
    // The calls in flight, for the bound and close(); a call leaves it when it ends, however.
    private final Set<Call> running = ConcurrentHashMap.newKeySet();
    // The call onRequest just started on this thread, for streaming(model)'s doChat, which
    // StreamingChatModel.chat runs right after the listeners on the same thread. Weak: the thread
    // of a model not wrapped keeps nothing.
    private final ThreadLocal<java.lang.ref.WeakReference<Call>> starting = new ThreadLocal<>();

    private AtlasChatModelListener(Builder b) {
        this.fixedTenant = b.tenant;
        this.atlas = b.tenant != null ? b.tenant.atlas() : b.atlas;
        this.tenantResolver = b.tenantResolver;
        this.provider = b.provider;
        this.agent = b.agent;
        this.abandonAfter = b.abandonAfter;
        this.clock = b.clock;
        this.instance = atlas;
    }

    /**
     * Records into {@code tenant}, naming the provider after the model's {@link ModelProvider}.
     *
     * @param tenant the tenant every call is recorded in
     * @return the listener
     * @throws InvalidInputException naming {@code tenant} when it is {@code null}
     */
    public static AtlasChatModelListener of(Tenant tenant) {
        return builder(Limits.requireNonNull("tenant", tenant)).build();
    }

    /**
     * Like {@link #of(Tenant)} with a fixed provider name (matching the price table) and an agent key.
     *
     * @param tenant the tenant every call is recorded in
     * @param provider a key, 1 to 255 characters
     * @param agent a key, or null for none
     * @return the listener
     * @throws InvalidInputException naming the argument that is {@code null} or not a valid key (arguments, where the
     *         builder's settings are {@link dev.atlas.ConfigurationException}s)
     */
    public static AtlasChatModelListener of(Tenant tenant, String provider, String agent) {
        Limits.requireNonNull("tenant", tenant);
        Limits.requireKey("provider", provider);
        if (agent != null) {
            Limits.requireKey("agent", agent);
        }
        return builder(tenant).provider(provider).agent(agent).build();
    }

    /**
     * A listener recording every call into {@code tenant}.
     *
     * @param tenant the tenant every call is recorded in
     * @return a builder
     * @throws ConfigurationException when {@code tenant} is {@code null}, as for every invalid setting of the builder
     *         (settings are not arguments: docs/api.md, "Null arguments")
     */
    public static Builder builder(Tenant tenant) {
        return new Builder(present("tenant", tenant), null);
    }

    /**
     * A listener for an application serving many tenants from one JVM: each call is recorded in the
     * tenant of {@code atlas} named by the listener attribute {@link #TENANT_ID}, else by the
     * {@linkplain Builder#tenantResolver resolver}, else by the Atlas memory the call continues;
     * a call none of them names is recorded nowhere (logged by LangChain4j as the listener's error).
     *
     * @param atlas the Atlas whose tenants the calls are recorded in
     * @return a builder
     * @throws ConfigurationException when {@code atlas} is {@code null}
     */
    public static Builder builder(Atlas atlas) {
        return new Builder(null, present("atlas", atlas));
    }

    private static <T> T present(String setting, T value) {
        if (value == null) {
            throw new ConfigurationException(setting + " must not be null");
        }
        return value;
    }

    /** A setting's key checked as Atlas checks keys, refused as a setting: "provider must not be blank". */
    private static String settingKey(String setting, String value) {
        present(setting, value);
        try {
            return Limits.requireKey(setting, value);
        } catch (InvalidInputException e) {
            throw new ConfigurationException(setting + " " + e.getMessage().substring(e.field().length() + 2));
        }
    }

    /**
     * Options of an {@link AtlasChatModelListener}; {@link #build()} makes it. A {@code null} or invalid setting is a
     * {@link ConfigurationException} naming it, thrown at once, as atlas-core's builders refuse one.
     */
    public static final class Builder {
        private final Tenant tenant;
        private final Atlas atlas;
        private Function<ChatModelRequestContext, String> tenantResolver;
        private String provider;
        private String agent;
        private Duration abandonAfter = DEFAULT_ABANDON_AFTER;
        private Clock clock = Clock.systemUTC();

        private Builder(Tenant tenant, Atlas atlas) {
            LangChain4jVersion.require();
            this.tenant = tenant;
            this.atlas = atlas;
        }

        /**
         * The provider name every call is recorded with (matching the price table), instead of the
         * name of the model's {@link ModelProvider} ({@code openai}, {@code anthropic}, ...).
         *
         * @param provider a key, 1 to 255 characters
         * @return this builder
         * @throws ConfigurationException naming {@code provider} when it is {@code null} or not a valid key
         */
        public Builder provider(String provider) {
            this.provider = settingKey("provider", provider);
            return this;
        }

        /**
         * The agent key every call is recorded with.
         *
         * @param agent a key, or null for none
         * @return this builder
         * @throws ConfigurationException naming {@code agent} when it is not a valid key
         */
        public Builder agent(String agent) {
            this.agent = agent == null ? null : settingKey("agent", agent);
            return this;
        }

        /**
         * Names each call's tenant id, for a listener built with {@link #builder(Atlas)}: called in
         * {@code onRequest} on the thread that calls the model (the app's request thread, where
         * its tenant context lives), only when the call has no {@link #TENANT_ID} attribute. It may
         * return null: the tenant of the Atlas memory the call continues is then taken, if any.
         *
         * @param tenantResolver the call's tenant id, or null when it cannot tell
         * @return this builder
         * @throws ConfigurationException naming {@code tenantResolver} for a listener built with a tenant, or when it is {@code null}
         */
        public Builder tenantResolver(Function<ChatModelRequestContext, String> tenantResolver) {
            if (tenant != null) {
                throw new ConfigurationException("tenantResolver is for a listener built with an Atlas (builder(atlas)); this one records into tenant "
                        + dev.atlas.internal.Check.escaped(tenant.id()));
            }
            this.tenantResolver = present("tenantResolver", tenantResolver);
            return this;
        }

        /**
         * How long a call may go without a response or an error before it is failed with
         * {@link #ABANDONED} (by the next request through the listener or by
         * {@link AtlasChatModelListener#failAbandoned()}). Choose it above the longest call the
         * models make, a whole stream included: the listener sees no tokens, and a response that
         * arrives after its call was failed is not recorded. It also bounds how long the tool calls of a
         * response wait for their results (from the response, or from the round's latest result): choose it
         * above the longest a tool runs, or a user takes to approve a call, too. A bound no clock reaches
         * ({@code ChronoUnit.FOREVER.getDuration()}, say) means never: only {@link AtlasChatModelListener#close()}
         * and a call's context being garbage collected then end such a call, and only the 10,000 rounds bound such
         * a tool call.
         *
         * @param abandonAfter a positive duration (default {@link #DEFAULT_ABANDON_AFTER})
         * @return this builder
         * @throws ConfigurationException naming {@code abandonAfter} when it is {@code null}, zero or negative
         */
        public Builder abandonAfter(Duration abandonAfter) {
            if (abandonAfter == null || abandonAfter.isNegative() || abandonAfter.isZero()) {
                throw new ConfigurationException("abandonAfter must be positive, was " + abandonAfter);
            }
            this.abandonAfter = abandonAfter;
            return this;
        }

        /**
         * The clock {@link #abandonAfter} is measured with (default: system UTC); the executions'
         * own timestamps come from Atlas's clock.
         *
         * @param clock the clock
         * @return this builder
         * @throws ConfigurationException naming {@code clock} when it is {@code null}
         */
        public Builder clock(Clock clock) {
            this.clock = present("clock", clock);
            return this;
        }

        /** @return the listener */
        public AtlasChatModelListener build() {
            return new AtlasChatModelListener(this);
        }
    }

    /**
     * A running call, carried from onRequest to onResponse or onError in the attributes map and
     * held by the listener until it ends; refers to nothing of the call's context, so the context
     * can be collected (the cleaner's trigger) while the call is in flight.
     */
    private final class Call {
        final Tenant tenant;
        final ExecutionHandle execution;
        final StepHandle step;
        final UUID conversationId;
        final String model;
        final AtomicBoolean ended = new AtomicBoolean();
        /** The OpenTelemetry context the call started in; null without OpenTelemetry. */
        Object context;
        volatile java.lang.ref.Cleaner.Cleanable dropped;
        // When the call started or, through streaming(model), last sent a fragment; and its text so far.
        volatile Instant lastEvent;
        private final StringBuilder partial = new StringBuilder();
        private boolean streamed;
        private boolean cut;

        Call(Tenant tenant, ExecutionHandle execution, StepHandle step, UUID conversationId, String model, Instant started) {
            this.tenant = tenant;
            this.execution = execution;
            this.step = step;
            this.conversationId = conversationId;
            this.model = model;
            this.lastEvent = started;
        }

        AtlasChatModelListener listener() {
            return AtlasChatModelListener.this;
        }

        /** A streamed fragment arrived, with {@code text} when it is answer text. */
        void streamed(String text) {
            lastEvent = clock.instant();
            synchronized (this) {
                if (!streamed) {
                    streamed = true;
                    try {
                        execution.firstToken();
                    } catch (RuntimeException e) {
                        // Ended meanwhile (abandoned): the stream goes on for the app regardless.
                        LOG.debug("first token of execution {} not recorded: {}", execution.id(), e.toString());
                    }
                }
                if (text != null && !cut) {
                    int room = MAX_PARTIAL - partial.length();
                    cut = text.length() > room;
                    partial.append(text, 0, Math.min(room, text.length()));
                }
            }
        }

        /** Keeps the text streamed before the call failed on its step, as {@code partialContent}. */
        void keepPartial() {
            Map<String, Object> kept;
            synchronized (this) {
                if (partial.length() == 0) {
                    return;
                }
                kept = new java.util.LinkedHashMap<>();
                // storable also replaces a surrogate pair the cut split.
                kept.put("partialContent", Limits.storable(partial.toString()));
                if (cut) {
                    kept.put("partialContentTruncated", true);
                }
            }
            try {
                step.metadata(kept);
            } catch (RuntimeException e) {
                // The failure itself matters more than the text before it.
                LOG.warn("partial content of execution {} not kept: {}", execution.id(), e.toString());
            }
        }

        /** Whether this caller ends the call (the first to try); unregisters it. */
        boolean end() {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            running.remove(this);
            java.lang.ref.Cleaner.Cleanable d = dropped;
            if (d != null) {
                d.clean();
            }
            return true;
        }

        /** Fails the call with {@link #ABANDONED} unless it ended already; whether it did. */
        boolean abandon() {
            if (!end()) {
                return false;
            }
            try {
                keepPartial();
                step.fail(ABANDONED);
                execution.fail(ABANDONED);
            } catch (RuntimeException e) {
                // Atlas closed meanwhile, or the sweep closed it: executions().sweepInterrupted covers the rest.
                LOG.warn("execution {} of an abandoned model call not failed: {}", execution.id(), e.toString());
            }
            return true;
        }
    }

    @Override
    public void onRequest(ChatModelRequestContext context) {
        starting.remove();
        failAbandoned();
        ChatRequest request = context.chatRequest();
        Tenant tenant = tenant(context);
        if (instance != tenant.atlas()) {
            instance = tenant.atlas();
        }
        completeAnswered(tenant, request.messages());
        UUID conversationId = conversation(tenant, context.attributes(), request.messages());
        // A model name or response id a key cannot hold (an OpenAI-compatible server's blank one) is
        // recorded as a storable copy, or none, rather than leaving the call unrecorded.
        String requested = Limits.storableKey(request.modelName());
        String model = requested == null ? "unknown" : requested;
        ExecutionSpec spec = ExecutionSpec.text(provider != null ? provider : providerName(context.modelProvider()), model);
        if (agent != null) {
            spec = spec.agent(agent);
        }
        if (conversationId != null) {
            spec = spec.conversation(conversationId);
        }
        Object caller = dev.atlas.internal.CallerContext.capture();
        if (conversationId != null && !request.messages().isEmpty()
                && request.messages().get(request.messages().size() - 1) instanceof dev.langchain4j.data.message.ToolExecutionResultMessage) {
            Object asked = Correlation.pending(tenant.atlas()).takeAskedFrom(tenant.id(), conversationId);
            caller = asked != null ? asked : caller;
        }
        Instant started = clock.instant();
        ExecutionHandle execution;
        try {
            ExecutionSpec starting = spec;
            execution = dev.atlas.internal.CallerContext.callIn(caller, () -> tenant.executions().start(starting));
        } catch (dev.atlas.AtlasClosedException e) {
            // No round of a closed Atlas can be completed: release them (their handles reach its pool).
            Correlation.pending(tenant.atlas()).clear();
            throw e;
        }
        Call call = new Call(tenant, execution, execution.step(), conversationId, model, started);
        call.context = caller;
        call.dropped = DROPPED_CALLS.register(context.attributes(), call::abandon);
        running.add(call);
        context.attributes().put(runningKey, call);
        starting.set(new java.lang.ref.WeakReference<>(call));
    }

    /**
     * {@code model} with this listener (added to its own listeners when missing) and what it streams
     * recorded too: the time to the first fragment (text, thinking or tool call) as the execution's
     * time to first token; the answer text streamed before a failure (up to 32,768 characters) in the
     * failed step's metadata as {@code partialContent} (with {@code partialContentTruncated}
     * when cut); and {@link Builder#abandonAfter} counted from the last fragment rather than from
     * the start. A plain listener sees none of that: LangChain4j hands listeners no fragments.
     * Usage is recorded only with the complete response either way: LangChain4j's streaming
     * handlers get no token usage before it. Events reach the app's handler unchanged, except that
     * an {@link dev.atlas.AtlasException} thrown while the complete response is handled (AiServices
     * storing the answer in an Atlas memory after Atlas closed) ends the stream with {@code onError}
     * rather than in the provider's thread, where LangChain4j would ignore it and the app's stream
     * would never end.
     *
     * @param model a LangChain4j streaming model implementing {@code doChat}, as its 1.x models do
     * @return the model to give {@code AiServices} (or call) instead of {@code model}
     */
    public dev.langchain4j.model.chat.StreamingChatModel streaming(dev.langchain4j.model.chat.StreamingChatModel model) {
        return new Streaming(Limits.requireNonNull("model", model));
    }

    /** A model whose doChat hands the provider a {@link Tap} on the call this listener just started. */
    private final class Streaming implements dev.langchain4j.model.chat.StreamingChatModel {
        private final dev.langchain4j.model.chat.StreamingChatModel model;

        Streaming(dev.langchain4j.model.chat.StreamingChatModel model) {
            this.model = model;
        }

        @Override
        public void doChat(ChatRequest request, dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
            java.lang.ref.WeakReference<Call> started = starting.get();
            starting.remove();
            Call call = started == null ? null : started.get();
            model.doChat(request, call == null || call.listener() != AtlasChatModelListener.this ? handler : new Tap(handler, call));
        }

        @Override
        public List<ChatModelListener> listeners() {
            List<ChatModelListener> own = model.listeners();
            if (own != null && own.contains(AtlasChatModelListener.this)) {
                return own;
            }
            List<ChatModelListener> all = new java.util.ArrayList<>(own == null ? List.of() : own);
            all.add(AtlasChatModelListener.this);
            return all;
        }

        @Override
        public dev.langchain4j.model.chat.request.ChatRequestParameters defaultRequestParameters() {
            return model.defaultRequestParameters();
        }

        @Override
        public ModelProvider provider() {
            return model.provider();
        }

        @Override
        public Set<dev.langchain4j.model.chat.Capability> supportedCapabilities() {
            return model.supportedCapabilities();
        }

        @Override
        public String toString() {
            return "Recorded[" + model + "]";
        }
    }

    /** Passes every event on unchanged, noting the fragments on the call. */
    private record Tap(dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler, Call call)
            implements dev.langchain4j.model.chat.response.StreamingChatResponseHandler {
        private void note(String text) {
            try {
                call.streamed(text);
            } catch (RuntimeException e) {
                // Never break the app's stream for a note.
                LOG.warn("streamed fragment of execution {} not noted: {}", call.execution.id(), e.toString());
            }
        }

        @Override
        public void onPartialResponse(String partialResponse) {
            note(partialResponse);
            handler.onPartialResponse(partialResponse);
        }

        @Override
        public void onPartialResponse(dev.langchain4j.model.chat.response.PartialResponse partialResponse,
                                      dev.langchain4j.model.chat.response.PartialResponseContext context) {
            note(partialResponse.text());
            handler.onPartialResponse(partialResponse, context);
        }

        @Override
        public void onPartialThinking(dev.langchain4j.model.chat.response.PartialThinking partialThinking) {
            note(null);
            handler.onPartialThinking(partialThinking);
        }

        @Override
        public void onPartialThinking(dev.langchain4j.model.chat.response.PartialThinking partialThinking,
                                      dev.langchain4j.model.chat.response.PartialThinkingContext context) {
            note(null);
            handler.onPartialThinking(partialThinking, context);
        }

        @Override
        public void onPartialToolCall(dev.langchain4j.model.chat.response.PartialToolCall partialToolCall) {
            note(null);
            handler.onPartialToolCall(partialToolCall);
        }

        @Override
        public void onPartialToolCall(dev.langchain4j.model.chat.response.PartialToolCall partialToolCall,
                                      dev.langchain4j.model.chat.response.PartialToolCallContext context) {
            note(null);
            handler.onPartialToolCall(partialToolCall, context);
        }

        @Override
        public void onCompleteToolCall(dev.langchain4j.model.chat.response.CompleteToolCall completeToolCall) {
            note(null);
            handler.onCompleteToolCall(completeToolCall);
        }

        @Override
        public void onUnmappedRawEvent(Object event) {
            handler.onUnmappedRawEvent(event);
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            try {
                handler.onCompleteResponse(completeResponse);
            } catch (dev.atlas.AtlasException e) {
                // AiServices stores the answer in its memory here, and a failure (Atlas closed meanwhile)
                // reaches the provider's thread, which LangChain4j's providers log and ignore: the app's
                // stream would never end. It ends with that error instead.
                handler.onError(e);
            }
        }

        @Override
        public void onError(Throwable error) {
            handler.onError(error);
        }
    }

    /**
     * Fails with {@link #ABANDONED} the calls through this listener that have had neither a response
     * nor an error for longer than {@link Builder#abandonAfter}, and with {@link #ABANDONED_TOOL_CALL}
     * the tool calls of this Atlas instance (recorded by any of its listeners) whose results have not come
     * for longer than the bound of the listener that recorded them. The listener does this at every
     * request; call it on a schedule where calls are rare and the bound must hold anyway.
     *
     * @return how many model calls and tool calls it failed; for a listener of one tenant, of that tenant only (another
     *         tenant's tool calls it fails are not counted)
     */
    public int failAbandoned() {
        int failed = 0;
        for (Correlation.Expired e : Correlation.pending(instance).expired()) {
            // Another tenant's activity does not show in what a listener of one tenant returns.
            if (abandon(List.of(e.call())) > 0 && (fixedTenant == null || fixedTenant.id().equals(e.tenant()))) {
                failed++;
            }
        }
        if (running.isEmpty()) {
            return failed;
        }
        // Measured as the time since each call's last event rather than as now minus the bound: a
        // bound beyond the instant range (ChronoUnit.FOREVER's) is never reached, not a DateTimeException.
        Instant now = clock.instant();
        for (Call c : running) {
            if (Duration.between(c.lastEvent, now).compareTo(abandonAfter) > 0 && c.abandon()) {
                failed++;
            }
        }
        return failed;
    }

    /** Fails {@code calls}, tool calls taken out of the pending rounds, with {@link #ABANDONED_TOOL_CALL}; how many it failed. */
    private static int abandon(List<StepHandle.ToolCallHandle> calls) {
        int failed = 0;
        for (StepHandle.ToolCallHandle call : calls) {
            try {
                call.fail(ABANDONED_TOOL_CALL);
                failed++;
            } catch (RuntimeException e) {
                // Closed already (the sweep, another instance's clear), or Atlas closing: nothing left processing here.
                LOG.warn("abandoned tool call {} not failed: {}", call.id(), e.toString());
            }
        }
        return failed;
    }

    /**
     * Fails with {@link #ABANDONED} every call through this listener still waiting for a response
     * or an error; for shutting down, after the models it listens to stopped and before Atlas is
     * closed. A Spring bean's close is called by the container. Calls made afterwards are still
     * recorded.
     */
    @Override
    public void close() {
        for (Call c : running) {
            c.abandon();
        }
    }

    @Override
    public void onResponse(ChatModelResponseContext context) {
        if (!(context.attributes().remove(runningKey) instanceof Call run) || !ended(run)) {
            return;
        }
        try {
            record(run, context.chatResponse());
        } catch (RuntimeException e) {
            // Never leave the call processing because recording its response failed.
            try {
                run.execution.fail("recording the response failed: " + e);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Ends {@code run} for its response or error; false (logged) when it was failed as abandoned already. */
    private static boolean ended(Call run) {
        if (run.end()) {
            return true;
        }
        LOG.warn("model call of execution {} ended after it was failed as abandoned; its outcome is not recorded", run.execution.id());
        return false;
    }

    private void record(Call run, ChatResponse response) {
        AiMessage ai = response.aiMessage();
        String tenantId = run.tenant.id();
        if (ai.hasToolExecutionRequests()) {
            for (ToolExecutionRequest r : ai.toolExecutionRequests()) {
                // A model may send any id or name (an OpenAI-compatible server's blank id): recorded
                // as a storable key rather than failing a call the model answered.
                String name = Limits.storableKey(r.name());
                StepHandle.ToolCallHandle call = toolCall(run.step, Limits.storableKey(r.id()), name == null ? "unnamed" : name, r.arguments());
                // Parked also without a conversation: the next request may carry the result. In the Atlas
                // instance, not this listener: a listener built per request is gone before the result comes.
                abandon(Correlation.pending(run.tenant.atlas()).park(tenantId, run.conversationId, ai, run.execution.id(), r.id(), r.name(),
                        call, clock, abandonAfter));
            }
            if (run.conversationId != null && run.context != null) {
                // In the Atlas instance too: the round sending the results may be recorded by another listener.
                Correlation.pending(run.tenant.atlas()).askedFrom(tenantId, run.conversationId, run.execution.id(), run.context);
            }
        }
        Usage usage = usage(response.tokenUsage());
        // A model may send what a text column cannot hold as is (a NUL): recorded as a storable copy.
        run.step.finish(ai.text() == null ? null : Limits.storable(ai.text()),
                ai.thinking() == null ? null : Limits.storable(ai.thinking()), finishReason(response, ai), usage);
        run.execution.usage(usage);
        String responseId = Limits.storableKey(response.id());
        if (responseId != null) {
            run.execution.providerResponseId(responseId);
        }
        String responseModel = Limits.storableKey(response.modelName());
        if (responseModel != null && !responseModel.equals(run.model)) {
            run.execution.metadata(Map.of("responseModel", responseModel));
        }
        run.execution.complete();
        if (run.conversationId != null) {
            Correlation.produced(new Correlation.Produced(tenantId, run.conversationId, ai, run.execution.id(), run.step.id()));
        }
    }

    @Override
    public void onError(ChatModelErrorContext context) {
        if (!(context.attributes().remove(runningKey) instanceof Call run) || !ended(run)) {
            return;
        }
        Throwable error = context.error();
        String message = error.getClass().getName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
        run.keepPartial();
        run.step.fail(message);
        run.execution.fail(message);
    }

    /** The tenant a call is recorded in (see the class comment); refused when nothing names one. */
    private Tenant tenant(ChatModelRequestContext context) {
        Object named = context.attributes().get(TENANT_ID);
        if (named != null && !(named instanceof String)) {
            throw new InvalidInputException(TENANT_ID, "must be a String tenant id, was a " + named.getClass().getName());
        }
        if (fixedTenant != null) {
            // Recorded nowhere rather than in the wrong tenant.
            if (named != null && !named.equals(fixedTenant.id())) {
                throw new InvalidInputException(TENANT_ID, "names tenant " + named + " but this listener records into tenant "
                        + fixedTenant.id() + " only (use builder(atlas) for many tenants); the call is not recorded");
            }
            return fixedTenant;
        }
        if (named != null) {
            return atlas.tenant((String) named);
        }
        String resolved = tenantResolver == null ? null : tenantResolver.apply(context);
        if (resolved == null) {
            resolved = Correlation.boundTenant(atlas, context.chatRequest().messages());
        }
        if (resolved == null) {
            throw new InvalidInputException("tenant", "no tenant for this model call: give the listener attribute " + TENANT_ID
                    + ", a tenantResolver that names one, or call the model with an Atlas chat memory; the call is not recorded");
        }
        return atlas.tenant(resolved);
    }

    /**
     * Completes (or fails, for {@code isError}) the tool calls whose results {@code messages} carry
     * after the response that asked for them: the results of an app or AI service whose memory is
     * not an {@link AtlasChatMemoryStore} reach Atlas only this way.
     */
    private void completeAnswered(Tenant tenant, List<ChatMessage> messages) {
        for (Correlation.Answer a : Correlation.pending(tenant.atlas()).answeredIn(tenant.id(), messages)) {
            String text = Messages.columnText(a.result());
            try {
                if (Boolean.TRUE.equals(a.result().isError())) {
                    a.call().fail(text.isEmpty() ? "tool error" : text);
                } else {
                    a.call().complete(text);
                }
            } catch (dev.atlas.AtlasException e) {
                // The sweep may have closed a long call already; the new call is still recorded.
                LOG.warn("tool call {} not completed: {}", a.call().id(), e.toString());
            }
        }
    }

    private static UUID conversation(Tenant tenant, Map<Object, Object> attributes, List<ChatMessage> messages) {
        Object memoryId = attributes.get(MEMORY_ID);
        if (memoryId != null) {
            return tenant.conversations().getByKey(AtlasChatMemoryStore.key(memoryId)).map(Conversation::id).orElse(null);
        }
        return Correlation.boundConversation(tenant, messages);
    }

    /**
     * Records a tool call with its arguments as sent when Atlas stores them as JSON, else as
     * {@link #unparsed}: valid JSON Atlas refuses (nested deeper than {@link Limits#MAX_JSON_DEPTH},
     * say) must not fail a call the model answered.
     */
    private static StepHandle.ToolCallHandle toolCall(StepHandle step, String id, String name, String raw) {
        String arguments = arguments(raw);
        try {
            return step.toolCall(NewToolCall.of(id, name, arguments));
        } catch (dev.atlas.InvalidInputException e) {
            if (!"arguments".equals(e.field()) || raw == null || !arguments.equals(raw)) {
                throw e;
            }
            return step.toolCall(NewToolCall.of(id, name, unparsed(raw)));
        }
    }

    /** The arguments as a JSON document: Atlas stores JSON, and a model may send anything. */
    private static String arguments(String raw) {
        if (raw == null || raw.isBlank()) {
            return "{}";
        }
        try {
            ONE_DOCUMENT.readTree(raw);
            // A NUL escape parses, but no database stores it in a JSON column: kept as text instead.
            if (!raw.contains("\\u0000") && Limits.storable(raw) == raw) {
                return raw;
            }
        } catch (JsonProcessingException e) {
            // kept as text below
        }
        return unparsed(raw);
    }

    /**
     * {@code raw} as {@code {"unparsed": ...}}, cut short until its serialised form fits a tool call
     * (escaping can double a text's length, or sextuple it).
     */
    private static String unparsed(String raw) {
        int max = Limits.MAX_CONTENT_LENGTH;
        int keep = Math.min(raw.length(), max - 32);
        while (true) {
            Map<String, Object> doc = new java.util.LinkedHashMap<>();
            // storable replaces a surrogate pair the cut splits, so the text stays valid.
            doc.put("unparsed", Limits.storable(raw.substring(0, keep)));
            if (keep < raw.length()) {
                doc.put("truncated", true);
            }
            String out;
            try {
                out = JSON.writeValueAsString(doc);
            } catch (JsonProcessingException impossible) {
                throw new IllegalStateException(impossible);
            }
            if (out.length() <= max) {
                return out;
            }
            // In proportion, so a text whose escaping doubles it keeps about half, not next to nothing.
            keep = (int) Math.min(keep - 1L, (long) keep * (max - 64) / out.length());
        }
    }

    /**
     * The usage as Atlas bills it. Providers' subclasses of {@link TokenUsage} carry prompt-cache and
     * reasoning counts; their modules are not dependencies, so they are read by their accessors'
     * names: Anthropic's {@code cacheReadInputTokens()} and {@code cacheCreationInputTokens()} (its
     * input count excludes them, as Atlas's does) and OpenAI's {@code inputTokensDetails().cachedTokens()}
     * (included in its input count, so taken out of it) and {@code outputTokensDetails().reasoningTokens()}.
     * A count Atlas cannot hold (a provider's negative one) is unknown rather than failing the call's record.
     */
    static Usage usage(TokenUsage u) {
        if (u == null) {
            return Usage.NONE;
        }
        Long input = count(u.inputTokenCount());
        Long cacheRead = count(accessor(u, "cacheReadInputTokens"));
        Long cacheWrite = count(accessor(u, "cacheCreationInputTokens"));
        Long cached = count(accessor(accessor(u, "inputTokensDetails"), "cachedTokens"));
        if (cached != null && cacheRead == null) {
            cacheRead = cached;
            input = input == null ? null : Math.max(0, input - cached);
        }
        return new Usage(input, count(u.outputTokenCount()), count(accessor(accessor(u, "outputTokensDetails"), "reasoningTokens")),
                cacheRead, cacheWrite);
    }

    private static Long count(Object n) {
        return n instanceof Number c && c.longValue() >= 0 && c.longValue() <= Limits.MAX_TOKEN_COUNT ? c.longValue() : null;
    }

    /** The public no-argument method {@code name} of {@code target}'s class, by name; null when it has none. */
    private static final ClassValue<Map<String, java.util.Optional<java.lang.reflect.Method>>> ACCESSORS = new ClassValue<>() {
        @Override
        protected Map<String, java.util.Optional<java.lang.reflect.Method>> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    private static Object accessor(Object target, String name) {
        if (target == null) {
            return null;
        }
        java.util.Optional<java.lang.reflect.Method> method = ACCESSORS.get(target.getClass()).computeIfAbsent(name, n -> {
            try {
                java.lang.reflect.Method m = target.getClass().getMethod(n);
                return m.getParameterCount() == 0 && m.trySetAccessible() ? java.util.Optional.of(m) : java.util.Optional.empty();
            } catch (NoSuchMethodException | SecurityException none) {
                return java.util.Optional.empty();
            }
        });
        try {
            return method.isPresent() ? method.get().invoke(target) : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static FinishReason finishReason(ChatResponse response, AiMessage ai) {
        dev.langchain4j.model.output.FinishReason r = response.finishReason();
        if (r == null || r == dev.langchain4j.model.output.FinishReason.OTHER) {
            return ai.hasToolExecutionRequests() ? FinishReason.TOOL_CALLS : FinishReason.STOP;
        }
        return switch (r) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case TOOL_EXECUTION -> FinishReason.TOOL_CALLS;
            case CONTENT_FILTER -> FinishReason.CONTENT_FILTER;
            case OTHER -> FinishReason.STOP;
        };
    }

    /** Atlas's usual provider names ({@code openai}, {@code anthropic}, …) from LangChain4j's enum. */
    static String providerName(ModelProvider p) {
        if (p == null) {
            return "other";
        }
        return switch (p) {
            case OPEN_AI -> "openai";
            case AZURE_OPEN_AI -> "azure-openai";
            default -> p.name().toLowerCase(Locale.ROOT).replace('_', '-');
        };
    }

    @Override
    public String toString() {
        return "AtlasChatModelListener[" + (fixedTenant != null ? fixedTenant.id() : "per call") + "]";
    }
}
