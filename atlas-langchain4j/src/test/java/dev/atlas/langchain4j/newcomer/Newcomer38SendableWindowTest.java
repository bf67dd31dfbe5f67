package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Message;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * docs/langchain4j.md, "sendable windows": a race of two instances on one memory id can split a tool round, leaving
 * the window with a tool request whose results are not after it (or results whose request is not before them), which
 * OpenAI refuses on every turn. {@code AtlasChatMemoryStore...sendableWindowsOnly()} reads such a window without the
 * broken round, while a round still being filled at the window's end (AiServices adding results one by one) is kept.
 * Real {@code AiServices} and {@code MessageWindowChatMemory}; the model is scripted and refuses what OpenAI refuses.
 */
class Newcomer38SendableWindowTest {
    @TempDir
    Path dir;

    interface Chat {
        String chat(@MemoryId String id, @dev.langchain4j.service.UserMessage String text);
    }

    static final class Orders {
        @Tool("Where an order is")
        String lookup(String order) {
            return "order " + order + " shipped";
        }
    }

    /** Answers from a script, refusing a request OpenAI's API refuses (its 400 messages). */
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

    /** The result AiServices stores for a call of {@link Orders#lookup} that succeeded. */
    private static ToolExecutionResultMessage ran(String id) {
        return ToolExecutionResultMessage.builder().id(id).toolName("lookup").text("order " + id + " shipped").isError(false).build();
    }

    private static void add(ChatMemoryStore store, ChatMessage m) {
        List<ChatMessage> l = new ArrayList<>(store.getMessages("chat-1"));
        l.add(m);
        store.updateMessages("chat-1", l);
    }

    @Test
    void aSplitToolRoundIsLeftOutAndTheServiceAnswersAgain() {
        try (Atlas one = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
             Atlas two = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            Tenant tenant = one.tenant("shop");
            AtlasChatMemoryStore a = AtlasChatMemoryStore.of(tenant);
            AtlasChatMemoryStore b = AtlasChatMemoryStore.of(two.tenant("shop"));
            add(a, UserMessage.from("where is order 5?"));
            add(a, asks("call_1"));
            // The race, in the order it takes: both instances read the window ending on the request, one stores the
            // tool's result, then the other a question; the later window holds the request without its result.
            List<ChatMessage> readA = new ArrayList<>(a.getMessages("chat-1"));
            List<ChatMessage> readB = new ArrayList<>(b.getMessages("chat-1"));
            readA.add(ToolExecutionResultMessage.from("call_1", "lookup", "order 5 shipped"));
            a.updateMessages("chat-1", readA);
            readB.add(UserMessage.from("hello?"));
            b.updateMessages("chat-1", readB);
            assertThat(a.getMessages("chat-1")).isEqualTo(List.of(UserMessage.from("where is order 5?"), asks("call_1"),
                    UserMessage.from("hello?")));

            // The default store gives the window back as stored: the provider refuses every turn.
            StrictModel refusing = new StrictModel().then(AiMessage.from("never sent"));
            Chat plain = AiServices.builder(Chat.class).chatModel(refusing).chatMemoryProvider(AtlasChatMemory.provider(b, 20)).build();
            assertThatThrownBy(() -> plain.chat("chat-1", "anyone?")).hasMessageContaining("did not have response messages: [call_1]");

            // Opted in, the window read leaves the broken round out; the turn goes through and writes the window back
            // without it, so any instance's store reads a sendable window from then on.
            StrictModel model = new StrictModel().then(AiMessage.from("Yes, I am here."));
            ChatMemoryProvider memory = AtlasChatMemory.provider(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly(), 20);
            Chat chat = AiServices.builder(Chat.class).chatModel(model).chatMemoryProvider(memory).build();
            assertThat(chat.chat("chat-1", "still there?")).isEqualTo("Yes, I am here.");
            List<ChatMessage> window = List.of(UserMessage.from("where is order 5?"), UserMessage.from("hello?"),
                    UserMessage.from("anyone?"), UserMessage.from("still there?"), AiMessage.from("Yes, I am here."));
            assertThat(model.requests).containsExactly(window.subList(0, 4));
            assertThat(a.getMessages("chat-1")).isEqualTo(window);
            // Nothing is removed from the history: the request and the result the race lost are still there.
            List<Message> history = tenant.conversations().messages(a.conversation("chat-1").orElseThrow().id(), 0, 100);
            assertThat(history).extracting(Message::content).containsExactly("where is order 5?", "", "order 5 shipped",
                    "hello?", "anyone?", "still there?", "Yes, I am here.");
        }
    }

    @Test
    void aToolRoundBeingFilledIsKeptAndCompleteRoundsAreUntouched() {
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            Tenant tenant = atlas.tenant("shop");
            // Two tool calls in one response: AiServices adds their results one at a time, each add reading a window
            // that ends on a round with only some of its results.
            StrictModel model = new StrictModel().then(asks("call_1", "call_2")).then(AiMessage.from("Both shipped."))
                    .then(asks("call_3")).then(AiMessage.from("Shipped too."));
            ChatMemoryProvider memory = AtlasChatMemory.provider(AtlasChatMemoryStore.of(tenant).sendableWindowsOnly(), 20);
            Chat chat = AiServices.builder(Chat.class).chatModel(model).chatMemoryProvider(memory).tools(new Orders()).build();
            assertThat(chat.chat("chat-1", "where are orders 1 and 2?")).isEqualTo("Both shipped.");
            assertThat(chat.chat("chat-1", "and 3?")).isEqualTo("Shipped too.");
            List<ChatMessage> window = List.of(UserMessage.from("where are orders 1 and 2?"), asks("call_1", "call_2"),
                    ran("call_1"),
                    ran("call_2"), AiMessage.from("Both shipped."),
                    UserMessage.from("and 3?"), asks("call_3"), ran("call_3"),
                    AiMessage.from("Shipped too."));
            assertThat(AtlasChatMemoryStore.of(tenant).getMessages("chat-1")).isEqualTo(window);
            assertThat(AtlasChatMemoryStore.of(tenant).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(window);
            assertThat(model.requests).hasSize(4);
        }
    }

    @Test
    void brokenRoundsAnywhereAreLeftOutOfTheRead() {
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            Tenant tenant = atlas.tenant("shop");
            AtlasChatMemoryStore plain = AtlasChatMemoryStore.of(tenant);
            AtlasChatMemoryStore sendable = AtlasChatMemoryStore.of(tenant).sendableWindowsOnly();
            ToolExecutionResultMessage r1 = ToolExecutionResultMessage.from("call_1", "lookup", "one");
            ToolExecutionResultMessage r2 = ToolExecutionResultMessage.from("call_2", "lookup", "two");
            ToolExecutionResultMessage stranger = ToolExecutionResultMessage.from("call_9", "lookup", "nine");
            List<ChatMessage> stored = List.of(
                    SystemMessage.from("Be brief."),
                    r1,                                        // starts the window without its request
                    UserMessage.from("q1"),
                    asks("call_1", "call_2"), r1,              // one result of two, then a question: left out whole
                    UserMessage.from("q2"),
                    asks("call_2"), r2, stranger,              // complete, then a result answering no request here
                    AiMessage.from("a2"),
                    UserMessage.from("q3"),
                    asks("call_1", "call_2"), r2);             // the round being filled at the end: kept
            plain.updateMessages("chat-1", stored);
            assertThat(plain.getMessages("chat-1")).isEqualTo(stored);
            assertThat(sendable.getMessages("chat-1")).isEqualTo(List.of(SystemMessage.from("Be brief."), UserMessage.from("q1"),
                    UserMessage.from("q2"), asks("call_2"), r2, AiMessage.from("a2"), UserMessage.from("q3"),
                    asks("call_1", "call_2"), r2));
            // A sendable window is read as stored.
            plain.updateMessages("chat-2", List.of(UserMessage.from("q"), asks("call_1"), r1, AiMessage.from("a")));
            assertThat(sendable.getMessages("chat-2")).isEqualTo(List.of(UserMessage.from("q"), asks("call_1"), r1, AiMessage.from("a")));
            assertThat(sendable.getMessages("nothing yet")).isEmpty();
        }
    }
}
