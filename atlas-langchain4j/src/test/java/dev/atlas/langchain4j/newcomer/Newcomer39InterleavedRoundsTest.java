package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances writing one memory at once interleave their tool rounds: request A, request B, result A, result B.
 * OpenAI takes a round's results in any order, but only right after the assistant message whose calls they answer
 * (its 400s: "An assistant message with 'tool_calls' must be followed by tool messages responding to each
 * 'tool_call_id'", "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'"). Both
 * rounds can be sent, each with its results moved right after it; {@code sendableWindowsOnly()} dropped round A
 * instead (its read after request B left A out, and the next add stored the window without it).
 */
class Newcomer39InterleavedRoundsTest {
    @TempDir
    Path dir;

    interface Chat {
        String chat(@MemoryId String id, @dev.langchain4j.service.UserMessage String text);
    }

    /** Answers from a script, refusing what OpenAI's chat completions refuse about tool messages. */
    static final class StrictModel implements ChatModel {
        final Deque<AiMessage> script = new ArrayDeque<>();
        final List<List<ChatMessage>> requests = new CopyOnWriteArrayList<>();

        StrictModel then(AiMessage answer) {
            script.add(answer);
            return this;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            List<ChatMessage> ms = request.messages();
            requests.add(List.copyOf(ms));
            for (int i = 0; i < ms.size(); i++) {
                if (ms.get(i) instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                    Set<String> open = new HashSet<>();
                    ai.toolExecutionRequests().forEach(r -> open.add(r.id()));
                    int j = i + 1;
                    while (j < ms.size() && ms.get(j) instanceof ToolExecutionResultMessage r) {
                        if (!open.remove(r.id())) {
                            throw new IllegalStateException("400: Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.");
                        }
                        j++;
                    }
                    if (!open.isEmpty()) {
                        throw new IllegalStateException("400: An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: " + open);
                    }
                    i = j - 1;
                } else if (ms.get(i) instanceof ToolExecutionResultMessage) {
                    throw new IllegalStateException("400: Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.");
                }
            }
            return ChatResponse.builder().aiMessage(script.remove()).build();
        }
    }

    private static AiMessage asks(String... ids) {
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (String id : ids) {
            requests.add(ToolExecutionRequest.builder().id(id).name("lookup").arguments("{\"order\":\"" + id + "\"}").build());
        }
        return AiMessage.from(requests);
    }

    private static ToolExecutionResultMessage ran(String id) {
        return ToolExecutionResultMessage.from(id, "lookup", "order " + id + " shipped");
    }

    @Test
    void interleavedRoundsOfTwoInstancesAreBothKeptAndSent() {
        try (Atlas one = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
             Atlas two = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            ChatMemoryProvider first = AtlasChatMemory.provider(AtlasChatMemoryStore.of(one.tenant("shop")).sendableWindowsOnly(), 50);
            ChatMemoryProvider second = AtlasChatMemory.provider(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly(), 50);
            ChatMemory a = first.get("chat-1");
            ChatMemory b = second.get("chat-1");
            // What the two instances' AiServices tool loops add, in the order the race takes.
            a.add(UserMessage.from("where are orders 1 and 2?"));
            a.add(asks("call_a"));
            b.add(asks("call_b"));
            a.add(ran("call_a"));
            b.add(ran("call_b"));

            List<ChatMessage> sendable = List.of(UserMessage.from("where are orders 1 and 2?"), asks("call_a"), ran("call_a"),
                    asks("call_b"), ran("call_b"));
            assertThat(b.messages()).isEqualTo(sendable);
            assertThat(AtlasChatMemoryStore.of(one.tenant("shop")).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(sendable);

            StrictModel model = new StrictModel().then(AiMessage.from("Both shipped."));
            Chat chat = AiServices.builder(Chat.class).chatModel(model).chatMemoryProvider(second).build();
            assertThat(chat.chat("chat-1", "and?")).isEqualTo("Both shipped.");
            List<ChatMessage> sent = new ArrayList<>(sendable);
            sent.add(UserMessage.from("and?"));
            assertThat(model.requests).containsExactly(sent);
        }
    }

    @Test
    void aStoredWindowWithInterleavedResultsIsReadWithEachRoundWhole() {
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            AtlasChatMemoryStore plain = AtlasChatMemoryStore.of(atlas.tenant("shop"));
            // Results in the other order, and a round of two calls whose results sandwich another round's.
            plain.updateMessages("chat-1", List.of(UserMessage.from("q"), asks("call_a", "call_c"), asks("call_b"),
                    ran("call_b"), ran("call_c"), ran("call_a"), AiMessage.from("done")));
            assertThat(AtlasChatMemoryStore.of(atlas.tenant("shop")).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(List.of(
                    UserMessage.from("q"), asks("call_a", "call_c"), ran("call_c"), ran("call_a"), asks("call_b"), ran("call_b"),
                    AiMessage.from("done")));
        }
    }
}
