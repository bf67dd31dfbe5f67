package dev.atlas.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A window as a provider accepts it: every tool round (a response asking for tools and the results right after it)
 * whole, or left out. Providers refuse a request whose results do not follow it and a result that follows no request
 * of its (OpenAI: "An assistant message with 'tool_calls' must be followed by tool messages ..."); a race of two
 * instances on one memory id leaves both. The round at the very end is kept however many results it has: that is a
 * turn in progress, {@code AiServices} adding its results one {@code add} at a time.
 */
final class SendableWindow {
    private SendableWindow() {}

    static List<ChatMessage> of(List<ChatMessage> window) {
        List<ChatMessage> out = new ArrayList<>(window.size());
        int n = window.size();
        int i = 0;
        while (i < n) {
            ChatMessage m = window.get(i);
            if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                List<ToolExecutionRequest> open = new ArrayList<>(ai.toolExecutionRequests());
                List<ChatMessage> results = new ArrayList<>();
                int j = i + 1;
                for (; j < n && window.get(j) instanceof ToolExecutionResultMessage r; j++) {
                    int k = answered(open, r);
                    if (k >= 0) {
                        open.remove(k);
                        results.add(r);
                    }
                    // A result answering no open request of this round would be refused with it: left out alone.
                }
                if (open.isEmpty() || j == n) {
                    out.add(m);
                    out.addAll(results);
                }
                i = j;
            } else {
                // A result outside a round: its request is not right before it (evicted, or split off by a race).
                if (!(m instanceof ToolExecutionResultMessage)) {
                    out.add(m);
                }
                i++;
            }
        }
        return out;
    }

    /** The open request {@code r} answers: the one with its id, or, for providers that send none, the first of its tool. */
    private static int answered(List<ToolExecutionRequest> open, ToolExecutionResultMessage r) {
        for (int k = 0; k < open.size(); k++) {
            ToolExecutionRequest q = open.get(k);
            if (r.id() != null ? r.id().equals(q.id()) : q.id() == null && Objects.equals(r.toolName(), q.name())) {
                return k;
            }
        }
        return -1;
    }
}
