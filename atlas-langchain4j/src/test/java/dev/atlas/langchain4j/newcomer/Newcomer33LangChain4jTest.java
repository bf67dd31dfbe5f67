package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ToolCall;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.atlas.langchain4j.AtlasChatModelListener;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Newcomer 33: an {@code AiServices} app from docs/langchain4j.md alone (the memory provider and the listener) whose
 * {@code @Tool} tools return what Newcomer31 did not try: broken JSON, numbers no double holds (a 1,500-digit integer,
 * {@code 1e400}, a 400-digit fraction), a JSON {@code \u0000} escape (which PostgreSQL's jsonb refuses) and 5,000-deep
 * nesting, as raw text; and a model that asks for a tool the app lacks (a name with a quote and a newline) and sends
 * arguments that are no JSON. Every outcome (answer or the exception LangChain4j throws) equals the same service's on
 * {@code InMemoryChatMemoryStore}, and after a restart the memory is that store's, byte for byte.
 */
class Newcomer33LangChain4jTest {
    @TempDir
    Path dir;

    interface Assistant {
        String chat(@MemoryId String user, @dev.langchain4j.service.UserMessage String message);
    }

    static final Map<String, String> OUTPUTS = new LinkedHashMap<>();

    static {
        OUTPUTS.put("broken", "{\"items\": [1, 2,");
        OUTPUTS.put("huge", "{\"id\": 1" + "0".repeat(1500) + ", \"ratio\": 1e400, \"tiny\": -0.1" + "0".repeat(400) + "1}");
        OUTPUTS.put("nulEscape", "{\"log\": \"a\\u0000b\"}");
        OUTPUTS.put("deep", "[".repeat(5000) + "]".repeat(5000));
        OUTPUTS.put("quoted", "it's \"done\"\n\t-- ; DROP TABLE x; %_\\");
    }

    /** The app's tool: returns the hostile output named by its argument. */
    public static final class DocTools {
        @Tool("Fetches a document")
        public String fetch(String what) {
            return OUTPUTS.get(what);
        }
    }

    /**
     * An offline model: "tool:&lt;what&gt;" asks for fetch, "ghost" for a tool the app lacks, "badargs" for fetch with arguments
     * that are no JSON; a tool result is answered with its id, length and error flag; anything else is echoed.
     */
    static final class FakeModel implements ChatModel {
        private final List<ChatModelListener> listeners;
        private final AtomicInteger n = new AtomicInteger();

        FakeModel(List<ChatModelListener> listeners) {
            this.listeners = listeners;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            ChatMessage last = request.messages().get(request.messages().size() - 1);
            String id = "c" + n.incrementAndGet();
            AiMessage answer;
            if (last instanceof ToolExecutionResultMessage t) {
                answer = AiMessage.from("done " + t.id() + " " + t.text().length() + " " + t.text().hashCode());
            } else {
                String text = ((UserMessage) last).singleText();
                if (text.startsWith("tool:")) {
                    answer = AiMessage.from(ToolExecutionRequest.builder().id(id).name("fetch")
                            .arguments("{\"what\":\"" + text.substring(5) + "\"}").build());
                } else if (text.equals("ghost")) {
                    answer = AiMessage.from(ToolExecutionRequest.builder().id(id).name("gh\"ost\ntool").arguments("{}").build());
                } else if (text.equals("badargs")) {
                    answer = AiMessage.from(ToolExecutionRequest.builder().id(id).name("fetch").arguments("{what: broken").build());
                } else {
                    answer = AiMessage.from("echo: " + text);
                }
            }
            return ChatResponse.builder().aiMessage(answer).modelName("fake-1").tokenUsage(new TokenUsage(3, 2)).build();
        }

        @Override
        public List<ChatModelListener> listeners() {
            return listeners;
        }
    }

    static List<String> turns() {
        List<String> out = new ArrayList<>();
        OUTPUTS.keySet().forEach(k -> out.add("tool:" + k));
        out.add("ghost");
        out.add("after the ghost");
        out.add("badargs");
        out.add("after bad arguments");
        return out;
    }

    /** What a turn gave: the answer, or the exception's class and message. */
    static List<String> run(Assistant assistant, String memoryId) {
        List<String> out = new ArrayList<>();
        for (String turn : turns()) {
            try {
                out.add(assistant.chat(memoryId, turn));
            } catch (RuntimeException e) {
                out.add("threw " + e.getClass().getName() + ": " + e.getMessage());
            }
        }
        return out;
    }

    @Test
    void hostileToolOutputsUnknownToolsAndBadArgumentsMatchTheInMemoryStoreAndSurviveARestart() {
        InMemoryChatMemoryStore referenceStore = new InMemoryChatMemoryStore();
        Assistant reference = AiServices.builder(Assistant.class).chatModel(new FakeModel(List.of()))
                .chatMemoryProvider(id -> MessageWindowChatMemory.builder().id(id).maxMessages(40).chatMemoryStore(referenceStore).build())
                .tools(new DocTools()).build();
        List<String> expected = run(reference, "u-1");

        Path file = dir.resolve("app.db");
        try (Atlas atlas = Atlas.sqlite(file)) {
            Tenant tenant = atlas.tenant("shop");
            // docs/langchain4j.md, "The glue: two lines".
            ChatMemoryProvider memory = AtlasChatMemory.provider(tenant, 40);
            ChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", "support");
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(new FakeModel(List.of(listener)))
                    .chatMemoryProvider(memory).tools(new DocTools()).build();
            assertThat(run(assistant, "u-1")).isEqualTo(expected);

            Conversation chat = tenant.conversations().requireByKey("u-1");
            List<ToolCall> calls = new ArrayList<>();
            for (Execution e : tenant.executions().list(ExecutionQuery.all().conversation(chat.id()).limit(100)).items()) {
                calls.addAll(tenant.executions().tree(e.id()).orElseThrow().toolCalls());
            }
            Map<String, ToolCall> byArguments = new LinkedHashMap<>();
            calls.forEach(c -> byArguments.put(c.arguments(), c));
            // Each tool's output is recorded as its storable copy, byte for byte, whatever JSON it looks like.
            for (Map.Entry<String, String> o : OUTPUTS.entrySet()) {
                ToolCall c = byArguments.get("{\"what\":\"" + o.getKey() + "\"}");
                assertThat(c).as(o.getKey()).isNotNull();
                assertThat(c.status()).as(o.getKey()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(c.result()).as(o.getKey()).isEqualTo(Limits.storable(o.getValue()));
            }
        }

        // The app restarted: the memory is what LangChain4j's own store holds after the same turns.
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertThat(AtlasChatMemoryStore.of(atlas.tenant("shop")).getMessages("u-1")).isEqualTo(referenceStore.getMessages("u-1"));
            // Nothing of the shop's chat in another tenant with the same memory id.
            assertThat(AtlasChatMemoryStore.of(atlas.tenant("acme")).getMessages("u-1")).isEmpty();
        }
    }
}
