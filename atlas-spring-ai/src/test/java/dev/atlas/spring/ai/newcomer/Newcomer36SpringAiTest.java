package dev.atlas.spring.ai.newcomer;

import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.spring.ai.AtlasToolLoopAdvisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.atlas.spring.ai.newcomer.NewcomerSpringAiApp.ask;
import static dev.atlas.spring.ai.newcomer.NewcomerSpringAiApp.shapes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Week one of a Spring Boot 3.5 + Spring AI team that followed README.md and docs/integrations.md alone: lazy
 * initialization and devtools-style restarts (one JVM, one file, a context closed and started again), a model that
 * fails mid-turn (before any answer, after a tool round, mid-stream), and users at once. Spring AI's
 * {@code InMemoryChatMemoryRepository}, given the same calls, is the reference for what the model sees.
 */
class Newcomer36SpringAiTest {
    @TempDir
    Path dir;

    public static final class Tools {
        @Tool(description = "looks an order up")
        public String order(String id) {
            return "{\"order\":\"" + id + "\",\"status\":\"shipped\"}";
        }
    }

    /**
     * An offline model: {@code call <tool> <json>} asks for that tool; a user text containing {@code boom} fails the call;
     * tool results are answered, failing when the question asked for {@code boom} too; anything else is echoed with the
     * number of messages the model got.
     */
    static final class Model implements ChatModel {
        final List<List<Message>> prompts = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public ChatResponse call(Prompt prompt) {
            List<Message> in = prompt.getInstructions();
            prompts.add(List.copyOf(in));
            int n = calls.incrementAndGet();
            Message last = in.get(in.size() - 1);
            AssistantMessage out;
            if (last instanceof ToolResponseMessage tool) {
                String question = lastUser(in);
                if (question.contains("boom")) {
                    throw new IllegalStateException("provider 503 after the tool round");
                }
                out = new AssistantMessage("result: " + tool.getResponses().get(0).responseData());
            } else if (last instanceof UserMessage user && user.getText().startsWith("call ")) {
                String[] parts = user.getText().split(" ", 4);
                out = AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("call_" + n, "function", parts[1], parts[2])))
                        .build();
            } else if (last.getText().contains("boom")) {
                throw new IllegalStateException("provider 503");
            } else {
                out = new AssistantMessage("echo(" + in.size() + "): " + last.getText());
            }
            return new ChatResponse(List.of(new Generation(out, ChatGenerationMetadata.builder().finishReason("STOP").build())),
                    ChatResponseMetadata.builder().id("resp_" + n).model("m-1").usage(new DefaultUsage(10, 2)).build());
        }

        private static String lastUser(List<Message> in) {
            for (int i = in.size() - 1; i >= 0; i--) {
                if (in.get(i) instanceof UserMessage u) {
                    return u.getText();
                }
            }
            return "";
        }

        @Override
        public Flux<ChatResponse> stream(Prompt prompt) {
            List<Message> in = prompt.getInstructions();
            if (in.get(in.size() - 1).getText() != null && in.get(in.size() - 1).getText().contains("stream-boom")) {
                prompts.add(List.copyOf(in));
                calls.incrementAndGet();
                ChatResponse chunk = new ChatResponse(List.of(new Generation(new AssistantMessage("partial "))),
                        ChatResponseMetadata.builder().id("resp_s").model("m-1").usage(new DefaultUsage(10, 1)).build());
                return Flux.concat(Flux.just(chunk, chunk), Flux.error(new IllegalStateException("connection reset mid-stream")));
            }
            return Flux.defer(() -> Flux.just(call(prompt)));
        }

        @Override
        public ChatOptions getDefaultOptions() {
            return getOptions();
        }

        public ChatOptions getOptions() {
            return ToolCallingChatOptions.builder().model("m-1").build();
        }
    }

    private ApplicationContextRunner app(ChatModel model) {
        return NewcomerSpringAiApp.app(dir.resolve("app.db"), model);
    }

    private static String tryAsk(ChatClient client, String chat, String text) {
        try {
            return ask(client, chat, text);
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    private static String tryStream(ChatClient client, String chat, String text) {
        try {
            return String.join("", client.prompt().user(text).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, chat))
                    .stream().content().collectList().block());
        } catch (RuntimeException e) {
            return "failed: " + e.getMessage();
        }
    }

    private static final List<String> TURNS = List.of("hello", "boom now", "call order {\"id\":\"A-1\"}", "call order {\"id\":\"boom\"}", "still there?");

    @Test
    void aModelFailingMidTurnLeavesTheMemoryAsSpringAisOwnAndRecordsTheFailure() {
        Model referenceModel = new Model();
        ChatMemory referenceMemory = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).build();
        ChatClient reference = ChatClient.builder(referenceModel).defaultTools(new Tools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(referenceMemory).build(),
                        AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .build();
        List<String> referenceAnswers = TURNS.stream().map(t -> tryAsk(reference, "chat-1", t)).toList();
        assertThat(referenceAnswers.get(1)).isEqualTo("failed: provider 503");
        assertThat(referenceAnswers.get(3)).isEqualTo("failed: provider 503 after the tool round");

        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new Tools()).build();
            List<String> answers = TURNS.stream().map(t -> tryAsk(chat, "chat-1", t)).toList();
            assertThat(answers).isEqualTo(referenceAnswers);
            assertThat(model.prompts.stream().map(NewcomerSpringAiApp::shapes).toList())
                    .isEqualTo(referenceModel.prompts.stream().map(NewcomerSpringAiApp::shapes).toList());
            assertThat(shapes(context.getBean(ChatMemory.class).get("chat-1"))).isEqualTo(shapes(referenceMemory.get("chat-1")));

            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().requireByKey("chat-1");
            List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
            executions.sort(java.util.Comparator.comparing(Execution::startedAt));
            assertThat(executions).extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.FAILED,
                    ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.COMPLETED);
            assertThat(executions.get(1).error()).contains("provider 503");
            assertThat(executions.get(3).error()).contains("provider 503 after the tool round");
        });
    }

    @Test
    void aStreamFailingMidAnswerLeavesTheQuestionAndTheNextTurnGoesOn() {
        Model referenceModel = new Model();
        ChatMemory referenceMemory = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).build();
        ChatClient reference = ChatClient.builder(referenceModel)
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(referenceMemory).build()).build();
        List<String> turns = List.of("hi", "stream-boom please", "and now?");
        List<String> referenceAnswers = turns.stream().map(t -> tryStream(reference, "s-1", t)).toList();
        assertThat(referenceAnswers.get(1)).isEqualTo("failed: connection reset mid-stream");

        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).build();
            assertThat(turns.stream().map(t -> tryStream(chat, "s-1", t)).toList()).isEqualTo(referenceAnswers);
            assertThat(model.prompts.stream().map(NewcomerSpringAiApp::shapes).toList())
                    .isEqualTo(referenceModel.prompts.stream().map(NewcomerSpringAiApp::shapes).toList());
            assertThat(shapes(context.getBean(ChatMemory.class).get("s-1"))).isEqualTo(shapes(referenceMemory.get("s-1")));
        });
    }

    @Test
    void lazyInitializationAndARestartInOneJvmKeepEveryChat() {
        Model first = new Model();
        app(first).withPropertyValues("spring.main.lazy-initialization=true").run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new Tools()).build();
            assertThat(ask(chat, "u-1", "hello")).isEqualTo("echo(1): hello");
            assertThat(ask(chat, "u-1", "call order {\"id\":\"B-2\"}")).isEqualTo("result: {\"order\":\"B-2\",\"status\":\"shipped\"}");
        });
        // devtools closes the context and starts a new one in the same JVM, on the same file.
        for (int restart = 0; restart < 2; restart++) {
            Model again = new Model();
            int round = restart;
            app(again).withPropertyValues("spring.main.lazy-initialization=true").run(context -> {
                assertThat(context).hasNotFailed();
                ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new Tools()).build();
                assertThat(ask(chat, "u-1", "again " + round)).isEqualTo("echo(" + (7 + 2 * round) + "): again " + round);
                assertThat(shapes(again.prompts.get(0)).subList(0, 2)).containsExactly("USER[hello]", "ASSISTANT[echo(1): hello][]");
            });
        }
    }

    @Test
    void manyUsersAtOnceEachKeepTheirOwnChat() throws Exception {
        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new Tools()).build();
            int users = 4;
            CyclicBarrier start = new CyclicBarrier(users);
            ExecutorService pool = Executors.newFixedThreadPool(users);
            try {
                List<Future<List<String>>> answers = new ArrayList<>();
                for (int u = 0; u < users; u++) {
                    String id = "user-" + u;
                    answers.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        List<String> got = new ArrayList<>();
                        got.add(tryStream(chat, id, "hi from " + id));
                        got.add(tryAsk(chat, id, "call order {\"id\":\"" + id + "\"}"));
                        got.add(tryStream(chat, id, "bye from " + id));
                        return got;
                    }));
                }
                for (int u = 0; u < users; u++) {
                    String id = "user-" + u;
                    assertThat(answers.get(u).get(60, TimeUnit.SECONDS)).containsExactly("echo(1): hi from " + id,
                            "result: {\"order\":\"" + id + "\",\"status\":\"shipped\"}", "echo(7): bye from " + id);
                }
            } finally {
                pool.shutdown();
            }
            ChatMemory memory = context.getBean(ChatMemory.class);
            for (int u = 0; u < users; u++) {
                String own = "user-" + u;
                assertThat(shapes(memory.get(own))).hasSize(8).allMatch(s -> !s.contains("user-") || s.contains(own));
            }
        });
    }
}
