package dev.atlas.langchain4j;

import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What the memory store and the model listener tell each other. LangChain4j hands a
 * {@code ChatModelListener} no memory id, but {@code AiServices} updates the memory and then calls
 * the model on the same thread; so the store notes, per thread, which conversation it last wrote
 * and the last message it holds, and the listener ties a model call to that conversation when the
 * request carries that message. In the other direction the listener notes the response it just
 * recorded, so the store can link the stored {@code AiMessage} to its execution, and it parks the
 * tool calls the model asked for until the store sees their results.
 */
final class Correlation {
    private Correlation() {}

    /** The conversation a thread's memory last touched and the newest message of its window. */
    record Bound(String tenant, UUID conversationId, ChatMessage lastMessage) {}

    /** The response the listener recorded last on a thread. */
    record Produced(String tenant, UUID conversationId, AiMessage message, UUID executionId, UUID stepId) {}

    private static final ThreadLocal<Bound> BOUND = new ThreadLocal<>();
    private static final ThreadLocal<Produced> PRODUCED = new ThreadLocal<>();

    // Tool calls whose results were not seen yet; bounded so calls whose result never comes
    // (an app that stops the loop) cannot grow it without end. The sweep closes those rows.
    private static final int MAX_PENDING = 10_000;
    // Calls waiting under one key, in request order: providers that send no call ids (or repeat
    // one) get their results matched in the order AiServices adds them, one each.
    private static final Map<String, java.util.ArrayDeque<ToolCallHandle>> PENDING = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, java.util.ArrayDeque<ToolCallHandle>> eldest) {
            return size() > MAX_PENDING;
        }
    };

    static void bind(String tenant, UUID conversationId, ChatMessage lastMessage) {
        BOUND.set(new Bound(tenant, conversationId, lastMessage));
    }

    static Bound bound() {
        return BOUND.get();
    }

    static void produced(Produced produced) {
        PRODUCED.set(produced);
    }

    /** The response recorded on this thread if it produced {@code message} in this conversation; consumed. */
    static Produced takeProduced(String tenant, UUID conversationId, ChatMessage message) {
        Produced p = PRODUCED.get();
        if (p != null && p.tenant().equals(tenant) && p.conversationId().equals(conversationId) && p.message().equals(message)) {
            PRODUCED.remove();
            return p;
        }
        return null;
    }

    private static String key(String tenant, UUID conversationId, String toolCallId) {
        return tenant + '\n' + conversationId + '\n' + toolCallId;
    }

    static void park(String tenant, UUID conversationId, String toolCallId, ToolCallHandle call) {
        synchronized (PENDING) {
            PENDING.computeIfAbsent(key(tenant, conversationId, toolCallId), k -> new java.util.ArrayDeque<>()).addLast(call);
        }
    }

    static ToolCallHandle unpark(String tenant, UUID conversationId, String toolCallId) {
        synchronized (PENDING) {
            String key = key(tenant, conversationId, toolCallId);
            java.util.ArrayDeque<ToolCallHandle> calls = PENDING.get(key);
            if (calls == null) {
                return null;
            }
            ToolCallHandle call = calls.pollFirst();
            if (calls.isEmpty()) {
                PENDING.remove(key);
            }
            return call;
        }
    }
}
