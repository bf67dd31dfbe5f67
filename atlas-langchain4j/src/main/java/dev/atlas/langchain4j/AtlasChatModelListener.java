package dev.atlas.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
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

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

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
 * A call LangChain4j drops with neither a response nor an error (a streaming model throwing before
 * it streams, which LangChain4j reports to no listener; a cancelled stream) is failed with
 * {@link #ABANDONED} once its context is garbage collected, so no execution stays processing.
 */
public final class AtlasChatModelListener implements ChatModelListener {
    /** Listener attribute naming the chat memory a call belongs to, when the thread cannot tell. */
    public static final String MEMORY_ID = "atlas.memoryId";

    /**
     * The error of a call that ended with neither a response nor an error: LangChain4j called
     * {@code onRequest}, then dropped the call's context without calling {@code onResponse} or
     * {@code onError} (a streaming model throwing before it streams, a cancelled stream).
     */
    public static final String ABANDONED =
            "the model call ended with neither a response nor an error (cancelled, or the model failed before it streamed)";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AtlasChatModelListener.class);
    // StreamingChatModel.chat calls onRequest, then doChat without a catch, and a cancelled stream
    // calls nothing more: such a call's context (its attributes map) is dropped with no word to any
    // listener. Its execution is failed once that map is collected, instead of staying processing.
    private static final java.lang.ref.Cleaner DROPPED_CALLS = java.lang.ref.Cleaner.create();

    private static final String RUNNING = AtlasChatModelListener.class.getName() + ".running";
    private static final ObjectMapper JSON = new ObjectMapper();
    // Atlas refuses arguments with anything after the document ("" "), which readTree alone accepts.
    private static final com.fasterxml.jackson.databind.ObjectReader ONE_DOCUMENT =
            JSON.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Tenant tenant;
    private final ExecutionRecorder recorder;
    private final String provider;
    private final String agent;

    private AtlasChatModelListener(Tenant tenant, String provider, String agent) {
        this.tenant = Limits.requireNonNull("tenant", tenant);
        this.recorder = tenant.executions();
        this.provider = provider == null ? null : Limits.requireKey("provider", provider);
        this.agent = agent == null ? null : Limits.requireKey("agent", agent);
    }

    /** Records into {@code tenant}, naming the provider after the model's {@link ModelProvider}. */
    public static AtlasChatModelListener of(Tenant tenant) {
        return new AtlasChatModelListener(tenant, null, null);
    }

    /** Like {@link #of(Tenant)} with a fixed provider name (matching the price table) and an agent key (may be null). */
    public static AtlasChatModelListener of(Tenant tenant, String provider, String agent) {
        return new AtlasChatModelListener(tenant, Limits.requireKey("provider", provider), agent);
    }

    /**
     * A running call, carried from onRequest to onResponse or onError in the attributes map;
     * {@code ended} is set by whichever of them, or of the cleaner of a dropped call, comes first.
     */
    private record Running(ExecutionHandle execution, StepHandle step, UUID conversationId, String model,
                           java.util.concurrent.atomic.AtomicBoolean ended, java.lang.ref.Cleaner.Cleanable dropped) {
        /** Whether this caller ends the call; unregisters its cleaner. */
        boolean end() {
            if (!ended.compareAndSet(false, true)) {
                return false;
            }
            dropped.clean();
            return true;
        }
    }

    /** Fails a call whose context was dropped unended; refers to nothing of that context. */
    private record Dropped(ExecutionHandle execution, StepHandle step, java.util.concurrent.atomic.AtomicBoolean ended) implements Runnable {
        @Override
        public void run() {
            if (!ended.compareAndSet(false, true)) {
                return;
            }
            try {
                step.fail(ABANDONED);
                execution.fail(ABANDONED);
            } catch (RuntimeException e) {
                // Atlas closed meanwhile, or the sweep closed it: executions().sweepInterrupted covers the rest.
                LOG.warn("execution {} of a dropped model call not failed: {}", execution.id(), e.toString());
            }
        }
    }

    @Override
    public void onRequest(ChatModelRequestContext context) {
        ChatRequest request = context.chatRequest();
        completeAnswered(request.messages());
        UUID conversationId = conversation(context.attributes(), request.messages());
        String model = request.modelName() == null ? "unknown" : request.modelName();
        ExecutionSpec spec = ExecutionSpec.text(provider != null ? provider : providerName(context.modelProvider()), model);
        if (agent != null) {
            spec = spec.agent(agent);
        }
        if (conversationId != null) {
            spec = spec.conversation(conversationId);
        }
        ExecutionHandle execution = recorder.start(spec);
        StepHandle step = execution.step();
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        java.lang.ref.Cleaner.Cleanable dropped = DROPPED_CALLS.register(context.attributes(), new Dropped(execution, step, ended));
        context.attributes().put(RUNNING, new Running(execution, step, conversationId, model, ended, dropped));
    }

    @Override
    public void onResponse(ChatModelResponseContext context) {
        if (!(context.attributes().remove(RUNNING) instanceof Running run) || !run.end()) {
            return;
        }
        try {
            record(run, context.chatResponse());
        } catch (RuntimeException e) {
            // Never leave the call processing because recording its response failed.
            try {
                run.execution().fail("recording the response failed: " + e);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void record(Running run, ChatResponse response) {
        AiMessage ai = response.aiMessage();
        if (ai.hasToolExecutionRequests()) {
            for (ToolExecutionRequest r : ai.toolExecutionRequests()) {
                // A model may send any id or name (an OpenAI-compatible server's blank id): recorded
                // as a storable key rather than failing a call the model answered.
                String name = key(r.name());
                StepHandle.ToolCallHandle call = toolCall(run.step(), key(r.id()), name == null ? "unnamed" : name, r.arguments());
                // Parked also without a conversation: the next request may carry the result.
                Correlation.park(tenant.id(), run.conversationId(), ai, run.execution().id(), r.id(), r.name(), call);
            }
        }
        Usage usage = usage(response.tokenUsage());
        // A model may send what a text column cannot hold as is (a NUL): recorded as a storable copy.
        run.step().finish(ai.text() == null ? null : Messages.storable(ai.text()),
                ai.thinking() == null ? null : Messages.storable(ai.thinking()), finishReason(response, ai), usage);
        run.execution().usage(usage);
        if (response.id() != null) {
            run.execution().providerResponseId(response.id());
        }
        if (response.modelName() != null && !response.modelName().equals(run.model())) {
            run.execution().metadata(Map.of("responseModel", response.modelName()));
        }
        run.execution().complete();
        if (run.conversationId() != null) {
            Correlation.produced(new Correlation.Produced(tenant.id(), run.conversationId(), ai, run.execution().id(), run.step().id()));
        }
    }

    @Override
    public void onError(ChatModelErrorContext context) {
        if (!(context.attributes().remove(RUNNING) instanceof Running run) || !run.end()) {
            return;
        }
        Throwable error = context.error();
        String message = error.getClass().getName() + (error.getMessage() == null ? "" : ": " + error.getMessage());
        run.step().fail(message);
        run.execution().fail(message);
    }

    /**
     * Completes (or fails, for {@code isError}) the tool calls whose results {@code messages} carry
     * after the response that asked for them: the results of an app or AI service whose memory is
     * not an {@link AtlasChatMemoryStore} reach Atlas only this way.
     */
    private void completeAnswered(List<ChatMessage> messages) {
        for (Correlation.Answer a : Correlation.answeredIn(tenant.id(), messages)) {
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

    private UUID conversation(Map<Object, Object> attributes, List<ChatMessage> messages) {
        Object memoryId = attributes.get(MEMORY_ID);
        if (memoryId != null) {
            return tenant.conversations().getByKey(AtlasChatMemoryStore.key(memoryId)).map(Conversation::id).orElse(null);
        }
        return Correlation.boundConversation(tenant.id(), messages);
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

    /** {@code raw} as a key Atlas stores (U+FFFD for a NUL, at most 255 characters), or null when blank. */
    private static String key(String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        // Cut first: storable then replaces a surrogate pair the cut splits.
        String cut = Messages.storable(raw.length() > Limits.MAX_KEY_LENGTH ? raw.substring(0, Limits.MAX_KEY_LENGTH) : raw);
        return cut.isBlank() ? null : cut;
    }

    /** The arguments as a JSON document: Atlas stores JSON, and a model may send anything. */
    private static String arguments(String raw) {
        if (raw == null || raw.isBlank()) {
            return "{}";
        }
        try {
            ONE_DOCUMENT.readTree(raw);
            // A NUL escape parses, but no database stores it in a JSON column: kept as text instead.
            if (!raw.contains("\\u0000") && Messages.storable(raw) == raw) {
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
            doc.put("unparsed", Messages.storable(raw.substring(0, keep)));
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

    static Usage usage(TokenUsage u) {
        if (u == null) {
            return Usage.NONE;
        }
        return new Usage(toLong(u.inputTokenCount()), toLong(u.outputTokenCount()), null, null, null);
    }

    private static Long toLong(Integer i) {
        return i == null ? null : i.longValue();
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
        return "AtlasChatModelListener[" + tenant.id() + "]";
    }
}
