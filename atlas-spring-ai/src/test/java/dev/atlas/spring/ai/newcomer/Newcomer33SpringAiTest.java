package dev.atlas.spring.ai.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.spring.ai.AtlasChatMemoryRepository;
import dev.atlas.spring.ai.AtlasRecordingAdvisor;
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
import org.springframework.ai.tool.execution.ToolCallResultConverter;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Flux;

import java.lang.reflect.Type;
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
 * A Spring Boot 3.5 + Spring AI 1.1 app written from README.md and docs/integrations.md alone: the starter and
 * atlas-spring-ai, Boot's {@code ChatClient.Builder} with the app's {@code @Tool} tools, the documented call with
 * {@code ChatMemory.CONVERSATION_ID}; attacked with hostile tool results and arguments, a restart, two tenants with one
 * chat id, and concurrent turns on one chat. Spring AI's {@code InMemoryChatMemoryRepository}, given the same calls, is
 * the reference for what the model sees. atlas-spring-ai-compat runs this class on Spring AI 2.0 too, every test:
 * there the tool loop answers arguments that are no JSON with the parse error, so Atlas has that round to close on 1.1
 * only (docs/integrations.md, "Spring AI 2.0"); the memory is what the model saw on either line.
 */
class Newcomer33SpringAiTest {
    private static final boolean SPRING_AI_2 = java.util.Arrays.stream(ChatModel.class.getMethods()).anyMatch(m -> m.getName().equals("getOptions"));

    @TempDir
    Path dir;

    /** Hands a tool's text to the model as it is, not as a JSON string (the converter an app writes for raw output). */
    public static final class Raw implements ToolCallResultConverter {
        @Override
        public String convert(Object result, Type returnType) {
            return (String) result;
        }
    }

    /** The app's tools: what real tools return when things go wrong. */
    public static final class HostileTools {
        final List<String> echoed = Collections.synchronizedList(new ArrayList<>());

        @Tool(description = "a log line with a NUL byte", resultConverter = Raw.class)
        public String nul() {
            return "before\u0000after";
        }

        @Tool(description = "an emoji cut in half", resultConverter = Raw.class)
        public String cutEmoji() {
            return "smile \uD83D";
        }

        @Tool(description = "a broken JSON document", resultConverter = Raw.class)
        public String brokenJson() {
            return "{\"items\": [1, 2,";
        }

        @Tool(description = "JSON with numbers no double holds", resultConverter = Raw.class)
        public String hugeNumbers() {
            return "{\"id\": 1" + "0".repeat(1500) + ", \"ratio\": 1e400, \"tiny\": -0.1" + "0".repeat(400) + "1}";
        }

        @Tool(description = "five million characters of output", resultConverter = Raw.class)
        public String big() {
            return "z".repeat(5_000_000);
        }

        @Tool(description = "echoes a text")
        public String echo(String text) {
            echoed.add(text);
            return text;
        }
    }

    /**
     * An offline model: a user text {@code call <tool>[ <arguments JSON>]} asks for that tool, a tool result gets an answer
     * counting the results, anything else is echoed. Keeps every prompt.
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
                out = new AssistantMessage("got " + tool.getResponses().size() + " result(s) for " + tool.getResponses().get(0).name());
            } else if (last instanceof UserMessage user && user.getText().startsWith("call ")) {
                String[] parts = user.getText().split(" ", 3);
                out = AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("call_" + n, "function", parts[1], parts.length > 2 ? parts[2] : "{}")))
                        .build();
            } else {
                out = new AssistantMessage("echo: " + last.getText());
            }
            return new ChatResponse(List.of(new Generation(out, ChatGenerationMetadata.builder().finishReason("STOP").build())),
                    ChatResponseMetadata.builder().id("resp_" + n).model("m-1").usage(new DefaultUsage(10, 2)).build());
        }

        @Override
        public Flux<ChatResponse> stream(Prompt prompt) {
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

    /** The answer, or what the call threw (a tool the model named that the app lacks, arguments that are no JSON). */
    private static String tryAsk(ChatClient client, String chat, String text) {
        try {
            return ask(client, chat, text);
        } catch (RuntimeException e) {
            return "failed: " + e.getClass().getName() + ": " + e.getMessage();
        }
    }

    /** {@code text} as docs/integrations.md says Atlas keeps what a model or tool sent: each NUL and unpaired surrogate U+FFFD. */
    private static String storable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                b.append(c).append(text.charAt(++i));
            } else {
                b.append(c == 0 || Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return b.toString();
    }

    /** Two chats, each short enough that Spring AI's default window (20) evicts nothing, so the memory is the whole chat. */
    private static final java.util.Map<String, List<String>> CHATS = new java.util.LinkedHashMap<>();

    static {
        CHATS.put("user-7:chat-1", List.of("hello", "call nul", "call cutEmoji", "call brokenJson", "thanks"));
        CHATS.put("user-7:chat-2", List.of(
                "call hugeNumbers",
                "call echo {\"text\":\"she said \\\"hi\\\"\\nthen left; DROP TABLE x; -- 100% _done_\"}",
                "call echo {\"text\": not json at all",
                "call we\"ird\ntool {}"));
    }

    /** The tool call the recording stored for the model's call id {@code callId} in {@code chat}. */
    private static dev.atlas.execution.ToolCall recordedCall(Tenant tenant, String chat, String callId) {
        Conversation c = tenant.conversations().requireByKey(chat);
        return tenant.executions().list(dev.atlas.execution.ExecutionQuery.all().conversation(c.id())).items().stream()
                .flatMap(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().stream())
                .filter(t -> callId.equals(t.providerCallId())).findFirst().orElseThrow();
    }

    @Test
    void toolTurnsSurviveARestartAsTheModelSawThem() {
        Model referenceModel = new Model();
        ChatMemory referenceMemory = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).build();
        ChatClient reference = ChatClient.builder(referenceModel).defaultTools(new HostileTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(referenceMemory).build(),
                        AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .build();
        List<String> referenceAnswers = new ArrayList<>();
        CHATS.forEach((chat, turns) -> turns.forEach(t -> referenceAnswers.add(tryAsk(reference, chat, t))));
        java.util.Map<String, List<String>> referenceWindows = new java.util.LinkedHashMap<>();
        CHATS.keySet().forEach(chat -> referenceWindows.put(chat, shapes(referenceMemory.get(chat))));
        int referencePrompts = referenceModel.prompts.size();
        for (String chat : CHATS.keySet()) {
            referenceAnswers.add(tryAsk(reference, chat, "after the restart"));
        }

        Model model = new Model();
        HostileTools tools = new HostileTools();
        List<String> answers = new ArrayList<>();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(tools).build();
            CHATS.forEach((id, turns) -> turns.forEach(t -> answers.add(tryAsk(chat, id, t))));
        });
        assertThat(answers).isEqualTo(referenceAnswers.subList(0, answers.size()));
        assertThat(answers.get(answers.size() - 1)).startsWith("failed: java.lang.IllegalStateException: No ToolCallback found for tool name: we\"ird\ntool");
        assertThat(tools.echoed).containsExactly("she said \"hi\"\nthen left; DROP TABLE x; -- 100% _done_");
        // Every prompt of the first run but the last as the reference's, but for what Atlas keeps as U+FFFD (the last below).
        java.util.function.Function<List<Message>, List<String>> kept = p -> shapes(p).stream().map(Newcomer33SpringAiTest::storable).toList();
        assertThat(model.prompts).hasSize(referencePrompts);
        assertThat(model.prompts.subList(0, referencePrompts - 1).stream().map(kept).toList())
                .isEqualTo(referenceModel.prompts.subList(0, referencePrompts - 1).stream().map(kept).toList());

        Model restarted = new Model();
        app(restarted).run(context -> {
            assertThat(context).hasNotFailed();
            Tenant tenant = context.getBean(Tenant.class);
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new HostileTools()).build();
            int turn = 0;
            for (String id : CHATS.keySet()) {
                List<String> expected = new ArrayList<>(referenceWindows.get(id).stream().map(Newcomer33SpringAiTest::storable).toList());
                if (id.equals("user-7:chat-2")) {
                    List<String> referenceWindow = referenceWindows.get(id);
                    dev.atlas.execution.ToolCall notJson = recordedCall(tenant, id, "call_13");
                    assertThat(notJson.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                    String closed = "TOOL[ToolResponse[id=call_13, name=echo, responseData=" + notJson.error() + "]]";
                    List<String> lastPrompt = new ArrayList<>(kept.apply(referenceModel.prompts.get(referencePrompts - 1)));
                    if (SPRING_AI_2) {
                        // Spring AI 2.0's tool loop answers arguments that are no JSON with the parse error as the call's result:
                        // the round is whole, nothing for Atlas to close.
                        assertThat(referenceWindow).contains(closed);
                    } else {
                        // The round Spring AI 1.1's loop left without results (arguments no JSON) ends on the answer asking for
                        // tools in Spring AI's memory, which providers refuse on every later turn; Atlas closes it with the
                        // call's recorded error (docs/integrations.md, "Tool calls").
                        assertThat(referenceWindow).doesNotContain(closed);
                        expected.add(expected.size() - 2, closed);
                        // The next turn's prompt (the first run's last) already held that closed round.
                        lastPrompt.add(lastPrompt.size() - 1, closed);
                    }
                    assertThat(kept.apply(model.prompts.get(referencePrompts - 1))).isEqualTo(lastPrompt);
                    // A tool the app lacks fails the call once the memory stored the answer asking for it (on 2.0 one model call
                    // later, the parse error's answer taking one): Atlas closes that round with "interrupted".
                    String unknown = SPRING_AI_2 ? "call_15" : "call_14";
                    assertThat(referenceWindow.get(referenceWindow.size() - 1)).startsWith("ASSISTANT[][ToolCall[id=" + unknown + ",");
                    expected.add("TOOL[ToolResponse[id=" + unknown + ", name=we\"ird\ntool, responseData=interrupted: java.lang.IllegalStateException:"
                            + " No ToolCallback found for tool name: we\"ird\ntool]]");
                }
                List<Message> memory = context.getBean(ChatMemory.class).get(id);
                // What the model saw, as Atlas keeps it: byte-exact but for the NUL and the lone surrogate (docs/integrations.md).
                assertThat(shapes(memory)).as(id).isEqualTo(expected);
                assertThat(tryAsk(chat, id, "after the restart")).isEqualTo(referenceAnswers.get(answers.size() + turn));
                expected.add("USER[after the restart]");
                assertThat(shapes(restarted.prompts.get(turn))).as(id).isEqualTo(expected);
                turn++;
            }
        });
    }

    @Test
    void aFiveMegabyteToolResultReachesTheModelWholeAndIsKeptCut() {
        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new HostileTools()).build();
            assertThat(ask(chat, "big", "call big")).isEqualTo("got 1 result(s) for big");
            List<Message> second = model.prompts.get(1);
            assertThat(((ToolResponseMessage) second.get(second.size() - 1)).getResponses().get(0).responseData()).isEqualTo("z".repeat(5_000_000));
            // docs/integrations.md: a tool result the recording stores is cut at 1 MiB (Limits.MAX_CONTENT_LENGTH).
            assertThat(recordedCall(context.getBean(Tenant.class), "big", "call_1").result()).isEqualTo("z".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH));
        });
        Model restarted = new Model();
        app(restarted).run(context -> {
            assertThat(context).hasNotFailed();
            // The memory's tool message: its responses' JSON cut to fill one message exactly, the rest of the round as sent.
            String skeleton = "[{\"id\":\"call_1\",\"name\":\"big\",\"responseData\":\"\"}]";
            List<String> expected = List.of("USER[call big]", "ASSISTANT[][ToolCall[id=call_1, type=function, name=big, arguments={}]]",
                    "TOOL[ToolResponse[id=call_1, name=big, responseData=" + "z".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH - skeleton.length()) + "]]",
                    "ASSISTANT[got 1 result(s) for big][]");
            assertThat(shapes(context.getBean(ChatMemory.class).get("big"))).isEqualTo(expected);
            ChatClient chat = context.getBean(ChatClient.Builder.class).build();
            assertThat(ask(chat, "big", "go on")).isEqualTo("echo: go on");
            assertThat(shapes(restarted.prompts.get(0))).containsSubsequence(expected).endsWith("USER[go on]");
        });
    }

    @Test
    void twoTenantsWithOneChatIdNeverSeeEachOther() {
        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            Atlas atlas = context.getBean(Atlas.class);
            ChatClient.Builder builder = context.getBean(ChatClient.Builder.class);
            java.util.Map<String, ChatClient> clients = new java.util.HashMap<>();
            for (String tenantId : List.of("acme", "globex")) {
                // docs/integrations.md, "Many tenants", as written there.
                Tenant tenant = atlas.tenant(tenantId);
                AtlasChatMemoryRepository repository = AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null);
                ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
                clients.put(tenantId, builder.clone()
                        .defaultAdvisors(AtlasRecordingAdvisor.of(tenant, repository, "openai", null).advisors())
                        .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()).build());
            }
            ask(clients.get("acme"), "chat-1", "acme secret 1");
            ask(clients.get("globex"), "chat-1", "globex secret 1");
            ask(clients.get("acme"), "chat-1", "acme secret 2");

            for (List<Message> prompt : model.prompts) {
                String seen = String.join("|", shapes(prompt));
                assertThat(seen.contains("acme") && seen.contains("globex")).as(seen).isFalse();
            }
            assertThat(shapes(model.prompts.get(2))).containsExactly("USER[acme secret 1]", "ASSISTANT[echo: acme secret 1][]", "USER[acme secret 2]");
            for (String tenantId : List.of("acme", "globex")) {
                Conversation c = atlas.tenant(tenantId).conversations().requireByKey("chat-1");
                assertThat(atlas.tenant(tenantId).conversations().history(c.id(), 10)).extracting(m -> m.content())
                        .allMatch(text -> text.contains(tenantId));
                assertThat(atlas.tenant(tenantId).executions().list(dev.atlas.execution.ExecutionQuery.all().conversation(c.id())).items())
                        .hasSize(tenantId.equals("acme") ? 2 : 1);
            }
            // The default tenant (atlas.tenant) holds nothing of theirs.
            assertThat(context.getBean(Tenant.class).conversations().getByKey("chat-1")).isEmpty();
        });
    }

    @Test
    void concurrentTurnsOnOneChatStoreEachMessageOnceInARereadableOrder() throws Exception {
        Model model = new Model();
        app(model).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chat = context.getBean(ChatClient.Builder.class).build();
            int threads = 8;
            CyclicBarrier start = new CyclicBarrier(threads);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    String question = "question " + i;
                    answers.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return ask(chat, "shared-chat", question);
                    }));
                }
                for (int i = 0; i < threads; i++) {
                    assertThat(answers.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("echo: question " + i);
                }
            } finally {
                pool.shutdown();
            }
            Tenant tenant = context.getBean(Tenant.class);
            Conversation c = tenant.conversations().requireByKey("shared-chat");
            List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(c.id(), 0, 100);
            List<String> texts = rows.stream().map(m -> m.role() + ":" + m.content()).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                expected.add("user:question " + i);
                expected.add("assistant:echo: question " + i);
            }
            assertThat(texts).containsExactlyInAnyOrderElementsOf(expected);
            for (int i = 0; i < threads; i++) {
                assertThat(texts.indexOf("user:question " + i)).isLessThan(texts.indexOf("assistant:echo: question " + i));
            }
            assertThat(rows).extracting(dev.atlas.conversation.Message::sequence)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 2L * threads).boxed().toList());
        });
    }
}
