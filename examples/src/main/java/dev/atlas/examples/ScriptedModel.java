package dev.atlas.examples;

import dev.atlas.execution.Usage;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The examples' stand-in for a real model provider client (OpenAI, Anthropic, a local model...).
 *
 * <p>It has the shape of a real chat client: it is sent a request (system prompt, conversation,
 * tool results) and answers either with text or with tool calls, and with token usage. But it
 * ignores the request and hands back canned responses in order, so the demo runs offline, needs
 * no API key, and prints the same story every time. In your application, replace it with your
 * provider's client; the Atlas calls around it stay the same.
 */
final class ScriptedModel {

    /** One message of a provider request, in the common chat shape; an assistant message may carry tool requests. */
    record ChatMessage(String role, String content, List<ToolRequest> toolRequests) {
        static ChatMessage of(String role, String content) {
            return new ChatMessage(role, content, List.of());
        }

        /** The assistant turn that asked for tools; providers expect it before the tools' results. */
        static ChatMessage askingFor(String content, List<ToolRequest> toolRequests) {
            return new ChatMessage("assistant", content, toolRequests);
        }
    }

    /** A tool the model asks the application to run: the provider's call id, tool name and JSON arguments. */
    record ToolRequest(String callId, String name, String arguments) {}

    /** What the model answered: text, or tool requests (with optional text), and the tokens it used. */
    record Response(String text, List<ToolRequest> toolRequests, Usage usage) {
        boolean wantsTools() {
            return !toolRequests.isEmpty();
        }
    }

    /** A canned response before usage is known: the text and the tool requests. */
    record Script(String text, List<ToolRequest> toolRequests) {
        static Script text(String text) {
            return new Script(text, List.of());
        }

        static Script tools(ToolRequest... requests) {
            return new Script(null, List.of(requests));
        }
    }

    /** A pause per call, so the printed timings look like a network call's rather than 0 ms. */
    private static final long SIMULATED_LATENCY_MS = 40;

    private final String name;
    private final Deque<Script> scripts;

    /** A model called {@code name} that answers with {@code scripts}, one per call, in this order. */
    ScriptedModel(String name, Script... scripts) {
        this.name = name;
        this.scripts = new ArrayDeque<>(List.of(scripts));
    }

    /** The model key, as a provider would name it; prices and reports are per model. */
    String name() {
        return name;
    }

    /** The next canned response to {@code request}, with usage estimated from the request's and answer's length. */
    Response complete(List<ChatMessage> request) {
        if (scripts.isEmpty()) {
            throw new IllegalStateException(name + " ran out of canned responses after a request of " + request.size() + " messages");
        }
        Script script = scripts.removeFirst();
        pause();
        long input = request.stream().mapToLong(m -> tokens(m.content()) + tokens(m.toolRequests()) + 4).sum();
        long output = tokens(script.text()) + tokens(script.toolRequests());
        return new Response(script.text(), script.toolRequests(), Usage.of(input, output));
    }

    /** A provider reports real token counts; the stand-in estimates them as the common "4 characters per token". */
    private static long tokens(String text) {
        return text == null ? 0 : (text.length() + 3) / 4;
    }

    private static long tokens(List<ToolRequest> toolRequests) {
        return toolRequests.stream().mapToLong(t -> tokens(t.name() + t.arguments()) + 4).sum();
    }

    static void pause() {
        try {
            Thread.sleep(SIMULATED_LATENCY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
