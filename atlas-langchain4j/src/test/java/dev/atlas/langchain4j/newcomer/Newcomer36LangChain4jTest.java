package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.examples.langchain4j.scripted.ScriptedChatModel;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ToolCall;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatModelListener;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Week one of a LangChain4j team that followed docs/langchain4j.md alone: an {@code AiServices} agent with
 * {@code @MemoryId}, the two lines of glue, a tool; attacked with a model failing mid-turn (before any answer and after
 * a tool round), memory ids that are user input, users at once and a restart. LangChain4j's
 * {@code InMemoryChatMemoryStore}, given the same calls, is the reference for what the model sees.
 */
class Newcomer36LangChain4jTest {
    @TempDir
    Path dir;

    interface Agent {
        @SystemMessage("You are a support agent.")
        String chat(@MemoryId String chatId, @dev.langchain4j.service.UserMessage String message);
    }

    public static final class Tools {
        @Tool("looks an order up")
        public String lookup(String order) {
            return "order " + order + " shipped";
        }
    }

    /** The scripted model, failing a call whose question contains "boom": at once, or after its tool round. */
    static final class Model extends ScriptedChatModel {
        final List<List<ChatMessage>> requests = Collections.synchronizedList(new ArrayList<>());

        Model(List<ChatModelListener> listeners) {
            super(listeners);
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(List.copyOf(request.messages()));
            List<ChatMessage> messages = request.messages();
            ChatMessage last = messages.get(messages.size() - 1);
            if (last instanceof UserMessage u && u.singleText().contains("boom") && !u.singleText().contains("order")) {
                throw new IllegalStateException("provider 503");
            }
            if (last instanceof ToolExecutionResultMessage) {
                for (int i = messages.size() - 1; i >= 0; i--) {
                    if (messages.get(i) instanceof UserMessage u) {
                        if (u.singleText().contains("boom")) {
                            throw new IllegalStateException("provider 503 after the tool round");
                        }
                        break;
                    }
                }
            }
            return super.doChat(request);
        }
    }

    private static String tryChat(Agent agent, String id, String text) {
        try {
            return agent.chat(id, text);
        } catch (RuntimeException e) {
            return "failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    private static final List<String> TURNS = List.of("hello", "boom", "where is order 7?", "order 8 boom", "still there?");

    @Test
    void aModelFailingMidTurnLeavesTheMemoryAsLangChain4jsOwnAndRecordsTheFailure() {
        Model referenceModel = new Model(List.of());
        InMemoryChatMemoryStore referenceStore = new InMemoryChatMemoryStore();
        Agent reference = AiServices.builder(Agent.class).chatModel(referenceModel).tools(new Tools())
                .chatMemoryProvider(id -> MessageWindowChatMemory.builder().id(id).maxMessages(20).chatMemoryStore(referenceStore).build())
                .build();
        List<String> referenceAnswers = TURNS.stream().map(t -> tryChat(reference, "chat-1", t)).toList();
        assertThat(referenceAnswers.get(1)).isEqualTo("failed: IllegalStateException: provider 503");
        assertThat(referenceAnswers.get(3)).isEqualTo("failed: IllegalStateException: provider 503 after the tool round");

        try (Atlas atlas = Atlas.sqlite(dir.resolve("agent.db"))) {
            Tenant tenant = atlas.tenant("shop");
            ChatMemoryProvider memory = AtlasChatMemory.provider(tenant, 20);
            ChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", "support");
            Model model = new Model(List.of(listener));
            Agent agent = AiServices.builder(Agent.class).chatModel(model).chatMemoryProvider(memory).tools(new Tools()).build();
            assertThat(TURNS.stream().map(t -> tryChat(agent, "chat-1", t)).toList()).isEqualTo(referenceAnswers);
            assertThat(model.requests).isEqualTo(referenceModel.requests);

            Conversation c = tenant.conversations().requireByKey("chat-1");
            List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
            executions.sort(Comparator.comparing(Execution::startedAt));
            assertThat(executions).extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED,
                    ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED, ExecutionStatus.FAILED,
                    ExecutionStatus.COMPLETED);
            assertThat(executions.get(1).error()).contains("provider 503");
            assertThat(executions.get(5).error()).contains("provider 503 after the tool round");
            // The tool ran and its result was stored before the model failed: its call is completed.
            assertThat(tenant.executions().tree(executions.get(4).id()).orElseThrow().toolCalls())
                    .extracting(ToolCall::providerCallId, ToolCall::result, ToolCall::status)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("call-8", "order 8 shipped", ExecutionStatus.COMPLETED));
        }
        // Restarted: the memory is LangChain4j's own.
        try (Atlas atlas = Atlas.sqlite(dir.resolve("agent.db"))) {
            Tenant tenant = atlas.tenant("shop");
            assertThat(AtlasChatMemory.provider(tenant, 20).get("chat-1").messages()).isEqualTo(referenceStore.getMessages("chat-1"));
        }
    }

    @Test
    void memoryIdsThatAreUserInputAreRefusedNamingTheFieldBeforeTheModelIsCalled() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("agent.db"))) {
            Tenant tenant = atlas.tenant("shop");
            Model model = new Model(List.of(AtlasChatModelListener.of(tenant, "openai", "support")));
            Agent agent = AiServices.builder(Agent.class).chatModel(model).chatMemoryProvider(AtlasChatMemory.provider(tenant, 20))
                    .tools(new Tools()).build();
            for (String id : List.of("x".repeat(256), "a\u0000b", "lone \uD800", " ")) {
                assertThatThrownBy(() -> agent.chat(id, "hi")).isInstanceOf(InvalidInputException.class)
                        .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("memoryId"));
            }
            assertThat(model.requests).isEmpty();
            assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
            // 127 emoji (254 UTF-16 characters) is an id a key holds, read back after a restart below.
            assertThat(agent.chat("\uD83D\uDE00".repeat(127), "hi")).isEqualTo("echo: hi");
        }
        try (Atlas atlas = Atlas.sqlite(dir.resolve("agent.db"))) {
            assertThat(AtlasChatMemory.provider(atlas.tenant("shop"), 20).get("\uD83D\uDE00".repeat(127)).messages()).hasSize(3);
            assertThat(AtlasChatMemory.provider(atlas.tenant("other"), 20).get("\uD83D\uDE00".repeat(127)).messages()).isEmpty();
        }
    }

    @Test
    void manyUsersAtOnceEachKeepTheirOwnMemory() throws Exception {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("agent.db"))) {
            Tenant tenant = atlas.tenant("shop");
            Model model = new Model(List.of(AtlasChatModelListener.of(tenant, "openai", "support")));
            Agent agent = AiServices.builder(Agent.class).chatModel(model).chatMemoryProvider(AtlasChatMemory.provider(tenant, 20))
                    .tools(new Tools()).build();
            int users = 4;
            CyclicBarrier start = new CyclicBarrier(users);
            ExecutorService pool = Executors.newFixedThreadPool(users);
            try {
                List<Future<List<String>>> answers = new ArrayList<>();
                for (int u = 0; u < users; u++) {
                    String id = "user-" + u;
                    int n = u;
                    answers.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return List.of(agent.chat(id, "hi " + id), agent.chat(id, "where is order " + n + "?"), agent.chat(id, "bye " + id));
                    }));
                }
                for (int u = 0; u < users; u++) {
                    assertThat(answers.get(u).get(60, TimeUnit.SECONDS)).containsExactly("echo: hi user-" + u,
                            "done: order " + u + " shipped", "echo: bye user-" + u);
                }
            } finally {
                pool.shutdown();
            }
            for (int u = 0; u < users; u++) {
                Conversation c = tenant.conversations().requireByKey("user-" + u);
                assertThat(tenant.conversations().messages(c.id(), 0, 20)).extracting(m -> m.role() + ":" + m.content()).containsExactly(
                        "system:You are a support agent.", "user:hi user-" + u, "assistant:echo: hi user-" + u,
                        "user:where is order " + u + "?", "assistant:", "tool:order " + u + " shipped",
                        "assistant:done: order " + u + " shipped", "user:bye user-" + u, "assistant:echo: bye user-" + u);
                List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
                assertThat(executions).hasSize(4).allMatch(e -> e.status() == ExecutionStatus.COMPLETED);
            }
        }
    }
}
