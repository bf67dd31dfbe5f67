package dev.atlas.spring.ai;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.examples.springai.scripted.OrderTools;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.execution.ModelPrice;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.CountingDataSource;
import dev.atlas.jdbi.kit.StatementRecorder;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.model.tool.ToolCallingManager;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Spring AI adapter through Spring AI's own ChatClient, MessageWindowChatMemory,
 * MessageChatMemoryAdvisor and ToolCallAdvisor, on a real database; Spring AI's
 * InMemoryChatMemoryRepository given the same turns is the reference.
 */
public abstract class SpringAiChatMemoryContract {
    protected abstract TestDatabase database();

    /**
     * The data source a second Atlas instance on the test's database is given, as another application instance would give it
     * (the statement-counting tests' instances are given it too, under the count); closed by the test when it is
     * {@link AutoCloseable}.
     */
    protected javax.sql.DataSource secondInstanceDataSource() {
        return database().dataSource();
    }

    /** Closes {@code source} when it is {@link AutoCloseable} (a pool {@link #secondInstanceDataSource} made). */
    private static AutoCloseable closer(javax.sql.DataSource source) {
        return source instanceof AutoCloseable c ? c : () -> { };
    }

    private Atlas atlas;
    private Tenant tenant;
    private AtlasChatMemoryRepository repository;
    private AtlasRecordingAdvisor recording;
    private StatementRecorder sql;

    @BeforeEach
    void open() {
        atlas = database().open();
        tenant = atlas.tenant("acme");
        repository = AtlasChatMemoryRepository.of(tenant, Owner.user("42"), "support");
        recording = AtlasRecordingAdvisor.of(tenant, repository, "scripted", "support");
        sql = StatementRecorder.attach(atlas);
    }

    @AfterEach
    void close() {
        atlas.close();
        database().cleanup();
    }

    /** A ChatClient wired as the Boot auto-configuration wires it. */
    private ChatClient client(org.springframework.ai.chat.model.ChatModel model, ChatMemoryRepository memoryRepository, int window, boolean record) {
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(memoryRepository).maxMessages(window).build();
        ChatClient.Builder b = ChatClient.builder(model)
                .defaultTools(new OrderTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(),
                        AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false));
        if (record) {
            b.defaultAdvisors(recording.advisors());
        }
        return b.build();
    }

    private static String say(ChatClient client, String conversation, String text) {
        return client.prompt().user(text).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, conversation)).call().content();
    }

    private static String turn(int i) {
        return i % 2 == 0 ? "where is order " + (100 + i) + "?" : "thanks, question " + i;
    }

    /** What a message says, without metadata: type, text, tool calls, tool responses. */
    private static String shape(Message m) {
        if (m instanceof ToolResponseMessage t) {
            return "TOOL" + t.getResponses();
        }
        if (m instanceof AssistantMessage a) {
            return "ASSISTANT[" + a.getText() + "]" + a.getToolCalls();
        }
        return m.getMessageType() + "[" + m.getText() + "]";
    }

    private static List<String> shapes(List<Message> messages) {
        return messages.stream().map(SpringAiChatMemoryContract::shape).toList();
    }

    @Test
    @DisplayName("50 turns with tool calls through ChatClient: the model sees what it sees with the in-memory repository; rows are appends only")
    void fiftyTurns() {
        int window = 6;
        ScriptedChatModel atlasModel = new ScriptedChatModel();
        ScriptedChatModel referenceModel = new ScriptedChatModel();
        ChatClient withAtlas = client(atlasModel, repository, window, true);
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        ChatClient withReference = client(referenceModel, reference, window, false);
        tenant.prices().create(ModelPrice.of("scripted", "scripted-1", "2.50", "10.00", Instant.parse("2020-01-01T00:00:00Z")));

        for (int i = 0; i < 50; i++) {
            String a = say(withAtlas, "chat-1", turn(i));
            String r = say(withReference, "chat-1", turn(i));
            assertThat(a).isEqualTo(r);
            assertThat(shapes(repository.findByConversationId("chat-1"))).as("window after turn %d", i)
                    .isEqualTo(shapes(reference.findByConversationId("chat-1")));
        }
        // Every prompt the model got, window included, is the same as with Spring AI's own repository.
        assertThat(atlasModel.prompts()).hasSameSizeAs(referenceModel.prompts());
        for (int p = 0; p < atlasModel.prompts().size(); p++) {
            assertThat(shapes(atlasModel.prompts().get(p))).as("prompt %d", p).isEqualTo(shapes(referenceModel.prompts().get(p)));
        }
        assertThat(atlasModel.prompts().stream().mapToInt(List::size).max().orElseThrow()).isLessThanOrEqualTo(window + 2); // the window plus the tool loop's system message and tool response

        // Stored rows equal the turns: 25 tool turns of 4 messages, 25 plain turns of 2; never edited or deleted.
        Conversation c = tenant.conversations().requireByKey("chat-1");
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(c.id(), 0, 1000);
        assertThat(rows).hasSize(25 * 4 + 25 * 2);
        assertThat(rows).allSatisfy(m -> {
            assertThat(m.editedAt()).isNull();
            assertThat(m.active()).isTrue();
        });
        assertThat(rows).extracting(dev.atlas.conversation.Message::sequence).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 150).boxed().toList());
        List<String> statements = sql.recorded().stream().map(StatementRecorder.Recorded::sql).toList();
        assertThat(statements).anyMatch(s -> s.toUpperCase(java.util.Locale.ROOT).contains("INSERT INTO ATLAS_MESSAGES"));
        assertThat(statements).noneMatch(s -> s.trim().toUpperCase(java.util.Locale.ROOT).startsWith("DELETE"));
        assertThat(statements).noneMatch(s -> s.toUpperCase(java.util.Locale.ROOT).matches("(?s)\\s*UPDATE\\s+\\S*MESSAGES\\b.*"));

        // The transcript read from Atlas is the full conversation, tool rounds included, exactly.
        List<Message> transcript = rows.stream().map(SpringMessages::toSpring).toList();
        assertThat(shape(transcript.get(0))).isEqualTo("USER[where is order 100?]");
        assertThat(shape(transcript.get(1))).isEqualTo(
                "ASSISTANT[][ToolCall[id=call_1_a, type=function, name=lookup, arguments={\"order\":100}], "
                        + "ToolCall[id=call_1_b, type=function, name=lookup, arguments={\"order\":101}]]");
        assertThat(shape(transcript.get(2))).isEqualTo("TOOL[ToolResponse[id=call_1_a, name=lookup, responseData=\"order 100 shipped\"], "
                + "ToolResponse[id=call_1_b, name=lookup, responseData=\"order 101 packed\"]]");
        assertThat(shape(transcript.get(3))).isEqualTo("ASSISTANT[Status: \"order 100 shipped\" \"order 101 packed\"][]");

        // One execution per ChatClient call, a step per model round, tool calls with their results.
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items();
        assertThat(executions).hasSize(50);
        ExecutionTree first = tenant.executions().tree(executions.get(executions.size() - 1).id()).orElseThrow();
        assertThat(first.execution().provider()).isEqualTo("scripted");
        assertThat(first.execution().model()).isEqualTo("scripted-1");
        assertThat(first.steps()).hasSize(2);
        assertThat(first.toolCalls()).extracting(t -> t.providerCallId() + "=" + t.result())
                .containsExactly("call_1_a=\"order 100 shipped\"", "call_1_b=\"order 101 packed\"");
        assertThat(first.execution().usage().inputTokens()).isEqualTo(200L);
        assertThat(first.execution().usage().outputTokens()).isEqualTo(40L);
        assertThat(first.execution().cost()).isEqualByComparingTo(new BigDecimal("0.0009"));
        // The assistant messages are linked to the execution and the step that produced them.
        assertThat(rows.get(1).executionId()).isEqualTo(first.execution().id());
        assertThat(rows.get(1).stepId()).isEqualTo(first.steps().get(0).id());
        assertThat(rows.get(2).stepId()).isEqualTo(first.steps().get(0).id());
        assertThat(rows.get(3).stepId()).isEqualTo(first.steps().get(1).id());

        // One source of truth for tool rounds: the history replays each round once, from the messages.
        List<MessageWithTools> history = tenant.executions().historyWithTools(c.id(), 1000);
        assertThat(history).hasSize(150);
        assertThat(history).allSatisfy(m -> assertThat(m.toolSteps()).isEmpty());
        assertThat(history.stream().filter(m -> m.message().role() == Role.TOOL)).hasSize(25);
    }

    @Test
    @DisplayName("two application instances (two Atlas instances on one database) taking turns on one conversation, as behind a"
            + " load balancer without sticky sessions: every prompt is what one instance with the in-memory repository sends,"
            + " every message stored once, one execution per call")
    void twoInstancesTakeTurnsOnOneConversation() throws Exception {
        int window = 4;
        javax.sql.DataSource secondSource = secondInstanceDataSource();
        try (AutoCloseable closesSecondSource = secondSource instanceof AutoCloseable c ? c : () -> { };
             Atlas second = Atlas.builder().dataSource(secondSource).build()) {
            Tenant other = second.tenant("acme");
            AtlasChatMemoryRepository otherRepository = AtlasChatMemoryRepository.of(other, Owner.user("42"), "support");
            AtlasRecordingAdvisor otherRecording = AtlasRecordingAdvisor.of(other, otherRepository, "scripted", "support");
            ScriptedChatModel model = new ScriptedChatModel();
            ScriptedChatModel referenceModel = new ScriptedChatModel();
            ChatClient first = client(model, repository, window, true);
            ChatMemory otherMemory = MessageWindowChatMemory.builder().chatMemoryRepository(otherRepository).maxMessages(window).build();
            ChatClient secondClient = ChatClient.builder(model).defaultTools(new OrderTools())
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(otherMemory).build(),
                            AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                    .defaultAdvisors(otherRecording.advisors()).build();
            InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
            ChatClient withReference = client(referenceModel, reference, window, false);
            for (int i = 0; i < 12; i++) {
                String a = say(i % 3 == 0 ? first : secondClient, "shared", turn(i));
                assertThat(a).as("turn %d", i).isEqualTo(say(withReference, "shared", turn(i)));
                assertThat(shapes(repository.findByConversationId("shared"))).as("window after turn %d, first", i)
                        .isEqualTo(shapes(reference.findByConversationId("shared")));
                assertThat(shapes(otherRepository.findByConversationId("shared"))).as("window after turn %d, second", i)
                        .isEqualTo(shapes(reference.findByConversationId("shared")));
            }
            assertThat(model.prompts()).hasSameSizeAs(referenceModel.prompts());
            for (int p = 0; p < model.prompts().size(); p++) {
                assertThat(shapes(model.prompts().get(p))).as("prompt %d", p).isEqualTo(shapes(referenceModel.prompts().get(p)));
            }
            Conversation c = tenant.conversations().requireByKey("shared");
            assertThat(tenant.conversations().messages(c.id(), 0, 1000)).hasSize(6 * 4 + 6 * 2);
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items()).hasSize(12)
                    .allSatisfy(e -> assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED));
            otherRecording.close();
        }
    }

    /** A repository whose reads wait at {@code barrier} once done: two callers' reads both happen before either saves. */
    private static ChatMemoryRepository readsMeetAt(ChatMemoryRepository delegate, java.util.concurrent.CyclicBarrier barrier) {
        return new ChatMemoryRepository() {
            @Override
            public List<String> findConversationIds() {
                return delegate.findConversationIds();
            }

            @Override
            public List<Message> findByConversationId(String conversationId) {
                List<Message> read = delegate.findByConversationId(conversationId);
                try {
                    barrier.await(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return read;
            }

            @Override
            public void saveAll(String conversationId, List<Message> messages) {
                delegate.saveAll(conversationId, messages);
            }

            @Override
            public void deleteByConversationId(String conversationId) {
                delegate.deleteByConversationId(conversationId);
            }
        };
    }

    @Test
    @DisplayName("two Atlas instances on one database (two JVMs) each read the same window, then save it with their own turn at once:"
            + " both turns stored once, each whole, and the window holds both in the order stored (sequence), with and without"
            + " eviction; the next turn's window is the newest messages")
    void twoInstancesSavingTheSameReadAtOnceKeepBothTurns() throws Exception {
        javax.sql.DataSource secondSource = secondInstanceDataSource();
        try (AutoCloseable closesSecondSource = secondSource instanceof AutoCloseable c ? c : () -> { };
             Atlas second = Atlas.builder().dataSource(secondSource).build()) {
            AtlasChatMemoryRepository otherRepository = AtlasChatMemoryRepository.of(second.tenant("acme"), Owner.user("42"), "support");
            for (int window : new int[] {10, 4}) {
                String key = "race-" + window;
                repository.saveAll(key, List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2"), new AssistantMessage("a2")));
                java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
                List<ChatMemory> memories = new ArrayList<>();
                for (ChatMemoryRepository r : List.of(repository, otherRepository)) {
                    memories.add(MessageWindowChatMemory.builder().chatMemoryRepository(readsMeetAt(r, barrier)).maxMessages(window).build());
                }
                ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    List<Future<?>> saves = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        ChatMemory memory = memories.get(i);
                        String who = i == 0 ? "A" : "B";
                        saves.add(pool.submit(() -> memory.add(key, List.of(new UserMessage("u" + who), new AssistantMessage("a" + who)))));
                    }
                    for (Future<?> f : saves) {
                        f.get(2, TimeUnit.MINUTES);
                    }
                } finally {
                    pool.shutdownNow();
                }
                List<String> rows = tenant.conversations().messages(tenant.conversations().requireByKey(key).id(), 0, 100).stream()
                        .map(dev.atlas.conversation.Message::content).toList();
                assertThat(rows).as("rows, window %d", window).hasSize(8).doesNotHaveDuplicates()
                        .containsAll(List.of("u1", "a1", "u2", "a2", "uA", "aA", "uB", "aB"));
                assertThat(rows.subList(0, 4)).containsExactly("u1", "a1", "u2", "a2");
                assertThat(String.join(",", rows.subList(4, 8))).as("each turn whole").isIn("uA,aA,uB,aB", "uB,aB,uA,aA");
                List<String> expected = window == 10 ? rows : rows.subList(2, 8);
                for (AtlasChatMemoryRepository r : List.of(repository, otherRepository)) {
                    assertThat(r.findByConversationId(key)).extracting(Message::getText).as("window %d", window).containsExactlyElementsOf(expected);
                }
                ChatMemory next = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(window).build();
                next.add(key, new UserMessage("u3"));
                // The next turn's window is what Spring AI's own repository keeps from the same stored window: its eviction
                // differs by line (2.0 does not start a window with an answer), Atlas's must not.
                InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
                reference.saveAll(key, expected.stream().map(t -> t.startsWith("u") ? (Message) new UserMessage(t) : new AssistantMessage(t))
                        .toList());
                MessageWindowChatMemory.builder().chatMemoryRepository(reference).maxMessages(window).build().add(key, new UserMessage("u3"));
                List<String> after = reference.findByConversationId(key).stream().map(Message::getText).toList();
                assertThat(after).as("reference window %d", window).endsWith("u3").hasSizeGreaterThanOrEqualTo(Math.min(window, 3));
                assertThat(repository.findByConversationId(key)).extracting(Message::getText).containsExactlyElementsOf(after);
            }
        }
    }

    @Test
    @DisplayName("a streamed tool turn whose final answer arrives in three chunks: the caller gets the whole answer; the memory keeps the"
            + " question, the answer asking for tools, their results and the final answer once each, whole, as the in-memory repository"
            + " does; the execution completed with two steps, its two tool calls completed with their results")
    void streamedToolTurnWithAChunkedAnswerIsStoredOnceWhole() {
        ScriptedChatModel scripted = new ScriptedChatModel();
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                return scripted.call(prompt);
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.defer(() -> {
                    org.springframework.ai.chat.model.ChatResponse whole = scripted.call(prompt);
                    AssistantMessage answer = whole.getResult().getOutput();
                    if (answer.hasToolCalls()) {
                        return reactor.core.publisher.Flux.just(whole);
                    }
                    String text = answer.getText();
                    int third = text.length() / 3;
                    return reactor.core.publisher.Flux.just(scriptedChunk(text.substring(0, third), 1),
                            scriptedChunk(text.substring(third, 2 * third), 2), scriptedChunk(text.substring(2 * third), 3));
                });
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return scripted.getDefaultOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return scripted.getOptions();
            }
        };
        ChatClient client = client(model, repository, 20, true);
        String streamed = String.join("", client.prompt().user("where is order 8?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "chunked"))
                .stream().content().collectList().block(java.time.Duration.ofMinutes(2)));
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        String called = say(client(new ScriptedChatModel(), reference, 20, false), "chunked", "where is order 8?");
        assertThat(streamed).isEqualTo(called).isEqualTo("Status: \"order 8 shipped\" \"order 9 packed\"");
        assertThat(shapes(repository.findByConversationId("chunked"))).isEqualTo(shapes(reference.findByConversationId("chunked")));

        Conversation c = tenant.conversations().requireByKey("chunked");
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(c.id(), 0, 100);
        assertThat(rows).extracting(dev.atlas.conversation.Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(rows.get(3).content()).isEqualTo(called);
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
        assertThat(executions).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(dev.atlas.execution.ExecutionType.STREAM);
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            assertThat(tree.steps()).hasSize(2);
            assertThat(tree.steps().get(1).content()).isEqualTo(called);
            assertThat(tree.toolCalls()).extracting(t -> t.status().name() + " " + t.result())
                    .containsExactly("COMPLETED \"order 8 shipped\"", "COMPLETED \"order 9 packed\"");
            assertThat(rows.get(3).executionId()).isEqualTo(e.id());
        });
    }

    @Test
    @DisplayName("a MessageWindowChatMemory of 30 over the repository's default read window of 20, 16 turns with tool rounds (48 messages): every"
            + " window and prompt as with the in-memory repository (the read goes back as far as the window marker says)")
    void memoryWindowLargerThanTheRepositorysReadWindow() {
        ScriptedChatModel atlasModel = new ScriptedChatModel();
        ScriptedChatModel referenceModel = new ScriptedChatModel();
        ChatClient withAtlas = client(atlasModel, repository, 30, true);
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        ChatClient withReference = client(referenceModel, reference, 30, false);
        for (int i = 0; i < 16; i++) {
            assertThat(say(withAtlas, "wide", turn(i))).isEqualTo(say(withReference, "wide", turn(i)));
            assertThat(shapes(repository.findByConversationId("wide"))).as("window after turn %d", i)
                    .isEqualTo(shapes(reference.findByConversationId("wide")));
        }
        for (int p = 0; p < atlasModel.prompts().size(); p++) {
            assertThat(shapes(atlasModel.prompts().get(p))).as("prompt %d", p).isEqualTo(shapes(referenceModel.prompts().get(p)));
        }
    }

    @Test
    @DisplayName("saveAll with an empty list empties the window (as Spring AI's in-memory and JDBC repositories do) and keeps the"
            + " rows; on a new id it starts an empty conversation that findConversationIds lists, as the in-memory repository does")
    void emptySaveEmptiesTheWindow() {
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        List<List<String>> seen = new ArrayList<>();
        for (ChatMemoryRepository r : List.of(repository, reference)) {
            List<String> steps = new ArrayList<>();
            r.saveAll("e", List.of(new UserMessage("a"), new AssistantMessage("b")));
            r.findByConversationId("e");
            r.saveAll("e", List.of());
            steps.add(shapes(r.findByConversationId("e")).toString());
            r.saveAll("e", List.of(new UserMessage("c")));
            steps.add(shapes(r.findByConversationId("e")).toString());
            r.saveAll("never", List.of());
            steps.add(shapes(r.findByConversationId("never")) + " " + new java.util.TreeSet<>(r.findConversationIds()));
            seen.add(steps);
        }
        assertThat(seen.get(0)).containsExactly("[]", "[USER[c]]", "[] [e, never]").isEqualTo(seen.get(1));
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("e").id(), 0, 10))
                .extracting(dev.atlas.conversation.Message::content).containsExactly("a", "b", "c");
    }

    @Test
    @DisplayName("retention and the conversation's lifecycle under the chat memory: an archived conversation is reopened by the next"
            + " turn, its window whole; messages retention deleted leave the window (none left: the next turn starts from nothing);"
            + " a closed conversation refuses the turn with ConflictException on conversationId before the model is called, nothing"
            + " stored and no execution recorded, until ChatMemory.clear frees the id for a new conversation")
    void lifecycleAndRetentionUnderTheMemory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        dev.atlas.jdbi.kit.MutableClock clock = reopenWithBlobs(dir);
        recording = AtlasRecordingAdvisor.of(tenant, repository, "scripted", "support");
        ScriptedChatModel model = new ScriptedChatModel();
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(4).build();
        ChatClient client = ChatClient.builder(model)
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()).defaultAdvisors(recording.advisors()).build();
        say(client, "idle", "thanks, question 1");
        Conversation c = tenant.conversations().requireByKey("idle");

        clock.set(clock.instant().plus(java.time.Duration.ofDays(31)));
        assertThat(tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none()
                .archiveIdleConversations(java.time.Duration.ofDays(30))).counts()).containsEntry("conversations.archived", 1L);
        assertThat(tenant.conversations().require(c.id()).status()).isEqualTo(dev.atlas.conversation.ConversationStatus.ARCHIVED);
        say(client, "idle", "thanks, question 3");
        assertThat(tenant.conversations().require(c.id()).status()).isEqualTo(dev.atlas.conversation.ConversationStatus.OPEN);
        assertThat(shapes(model.prompts().get(model.prompts().size() - 1))).containsExactly(
                "USER[thanks, question 1]", "ASSISTANT[echo: thanks, question 1][]", "USER[thanks, question 3]");

        clock.set(clock.instant().plus(java.time.Duration.ofDays(10)));
        assertThat(tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none()
                .deleteMessagesOlderThan(java.time.Duration.ofDays(5))).counts()).containsEntry("messages.soft_deleted", 4L);
        assertThat(repository.findByConversationId("idle")).isEmpty();
        say(client, "idle", "thanks, question 5");
        assertThat(shapes(model.prompts().get(model.prompts().size() - 1))).containsExactly("USER[thanks, question 5]");
        assertThat(shapes(repository.findByConversationId("idle"))).containsExactly("USER[thanks, question 5]", "ASSISTANT[echo: thanks, question 5][]");

        tenant.conversations().close(c.id());
        int prompts = model.prompts().size();
        assertThatThrownBy(() -> say(client, "idle", "thanks, question 7")).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("conversationId");
            assertThat(e).hasMessage("conversationId: conversation " + c.id() + " is closed and accepts no messages");
        });
        assertThat(model.prompts()).hasSize(prompts);
        assertThat(tenant.conversations().messages(c.id(), 0, 100)).extracting(dev.atlas.conversation.Message::sequence).containsExactly(5L, 6L);
        assertThat(tenant.conversations().require(c.id()).lastSequence()).isEqualTo(6L);
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items()).hasSize(3);

        memory.clear("idle");
        say(client, "idle", "thanks, question 9");
        Conversation fresh = tenant.conversations().requireByKey("idle");
        assertThat(fresh.id()).isNotEqualTo(c.id());
        assertThat(shapes(repository.findByConversationId("idle"))).containsExactly("USER[thanks, question 9]", "ASSISTANT[echo: thanks, question 9][]");
    }

    @Test
    @DisplayName("one turn through MessageWindowChatMemory: 12 statements and 2 commits (each save appends in one transaction, no second read);"
            + " on PostgreSQL 8 statements and no commit (each save's append is one auto-committed statement)")
    void statementsPerTurn() throws Exception {
        javax.sql.DataSource countedSource = secondInstanceDataSource();
        CountingDataSource counting = new CountingDataSource(countedSource);
        try (AutoCloseable closesCountedSource = closer(countedSource);
             Atlas counted = Atlas.builder().dataSource(counting.dataSource()).build()) {
            AtlasChatMemoryRepository repo = AtlasChatMemoryRepository.of(counted.tenant("acme"), Owner.user("42"), "support");
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repo).maxMessages(20).build();
            ChatMemory reference = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).maxMessages(20).build();
            for (int i = 0; i < 15; i++) {
                memoryTurn(memory, i);
                memoryTurn(reference, i);
            }
            counting.reset();
            // What MessageChatMemoryAdvisor does per call: get (the prompt's history), add(user), add(reply).
            memoryTurn(memory, 15);
            memoryTurn(reference, 15);
            boolean postgres = counted.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
            assertThat(counting.statements()).isEqualTo(postgres ? 8 : 12);
            assertThat(counting.commits()).isEqualTo(postgres ? 0 : 2);
            assertThat(shapes(memory.get("turns"))).hasSize(20).isEqualTo(shapes(reference.get("turns")));
        }
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("turns").id(), 0, 100)).hasSize(32);
    }

    private static void memoryTurn(ChatMemory memory, int i) {
        memory.get("turns");
        memory.add("turns", new UserMessage("question " + i));
        memory.add("turns", new AssistantMessage("answer " + i));
    }

    @Test
    @DisplayName("a read with no save (the model call failed) keeps nothing on the thread once the caller drops what it read")
    void readWithoutSaveRetainsNothing() {
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(20).build();
        memory.add("pinned", List.of(new UserMessage("question " + java.util.UUID.randomUUID()), new AssistantMessage("answer")));
        java.lang.ref.WeakReference<String> read = readFirstText(memory, "pinned");
        for (int i = 0; i < 100 && read.get() != null; i++) {
            System.gc();
        }
        assertThat(read.get()).as("text of a read message, after the caller dropped the read").isNull();
        // The repository still works on this thread afterwards.
        memory.add("pinned", List.of(new UserMessage("again")));
        assertThat(memory.get("pinned")).extracting(Message::getText).containsExactly(
                readFirstTextValue(memory), "answer", "again");
    }

    @Test
    @DisplayName("a save after the read list itself was collected (its messages kept) is checked against that read: leaving out a middle message is refused, nothing appended")
    void saveAfterReadListCollected() {
        repository.saveAll("dropped", List.of(new UserMessage("q1"), new AssistantMessage("a1"), new UserMessage("q2")));
        List<Message> kept = new ArrayList<>();
        java.lang.ref.WeakReference<List<Message>> list = readInto(repository, "dropped", kept);
        for (int i = 0; i < 100 && list.get() != null; i++) {
            System.gc();
        }
        assertThat(list.get()).as("the list the read returned").isNull();
        kept.add(new AssistantMessage("a2"));

        assertThatThrownBy(() -> repository.saveAll("dropped", kept)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("messages").hasMessageContaining("leaves out stored message");
        Conversation c = tenant.conversations().requireByKey("dropped");
        assertThat(tenant.conversations().messages(c.id(), 0, 100)).extracting(dev.atlas.conversation.Message::content)
                .containsExactly("q1", "a1", "q2");
    }

    @Test
    @DisplayName("a save after the read window was collected (as MessageWindowChatMemory drops it) reads that window again in one statement, not one per message")
    void saveAfterWindowCollectedReadsItInOneStatement() throws Exception {
        javax.sql.DataSource countedSource = secondInstanceDataSource();
        CountingDataSource counting = new CountingDataSource(countedSource);
        try (AutoCloseable closesCountedSource = closer(countedSource);
             Atlas counted = Atlas.builder().dataSource(counting.dataSource()).build()) {
            AtlasChatMemoryRepository repo = AtlasChatMemoryRepository.of(counted.tenant("acme"), Owner.user("42"), "support").window(50);
            List<Message> start = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                start.add(i % 2 == 0 ? new UserMessage("q" + i) : new AssistantMessage("a" + i));
            }
            repo.saveAll("held", start);
            repo.saveAll("dropped", start);

            List<Message> read = repo.findByConversationId("held");
            List<Message> next = new ArrayList<>(read.subList(1, 50));
            next.add(new UserMessage("q50"));
            counting.reset();
            repo.saveAll("held", next);
            long held = counting.statements();
            assertThat(read).hasSize(50);

            List<Message> kept = new ArrayList<>();
            java.lang.ref.WeakReference<List<Message>> list = readAllInto(repo, "dropped", kept);
            for (int i = 0; i < 100 && list.get() != null; i++) {
                System.gc();
            }
            assertThat(list.get()).as("the list the read returned").isNull();
            kept.remove(0);
            kept.add(new UserMessage("q50"));
            counting.reset();
            repo.saveAll("dropped", kept);
            assertThat(counting.statements()).isEqualTo(held + 1);
            assertThat(shapes(repo.findByConversationId("dropped"))).hasSize(50).isEqualTo(shapes(repo.findByConversationId("held")));
        }
    }

    @Test
    @DisplayName("a save after the read window was collected, the window keeping a system message over 1000 sequences back: read again exactly, nothing appended twice")
    void saveAfterWindowCollectedWithAFarSystemMessage() {
        List<Message> start = new ArrayList<>(List.of(new SystemMessage("be brief")));
        for (int i = 0; i < 1101; i++) {
            start.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        repository.saveAll("far", start);
        // Keep the system message and the newest three: the window is then sequences 1 and 1100 to 1103.
        List<Message> read = repository.findByConversationId("far");
        assertThat(shapes(read)).isEqualTo(shapes(start));
        List<Message> next = new ArrayList<>(List.of(read.get(0)));
        next.addAll(read.subList(1099, 1102));
        next.add(new UserMessage("new 1"));
        repository.saveAll("far", next);

        List<Message> kept = new ArrayList<>();
        java.lang.ref.WeakReference<List<Message>> list = readAllInto(repository, "far", kept);
        for (int i = 0; i < 100 && list.get() != null; i++) {
            System.gc();
        }
        assertThat(list.get()).as("the list the read returned").isNull();
        assertThat(shapes(kept)).isEqualTo(shapes(next));
        kept.add(new AssistantMessage("new 2"));
        repository.saveAll("far", kept);

        assertThat(shapes(repository.findByConversationId("far"))).containsExactly("SYSTEM[be brief]",
                "USER[u1098]", "ASSISTANT[a1099][]", "USER[u1100]", "USER[new 1]", "ASSISTANT[new 2][]");
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("far").id(), 1099, 100))
                .extracting(dev.atlas.conversation.Message::content).containsExactly("u1098", "a1099", "u1100", "new 1", "new 2");
    }

    private static java.lang.ref.WeakReference<List<Message>> readAllInto(AtlasChatMemoryRepository repo, String id, List<Message> into) {
        List<Message> read = repo.findByConversationId(id);
        into.addAll(read);
        return new java.lang.ref.WeakReference<>(read);
    }

    private static java.lang.ref.WeakReference<List<Message>> readInto(AtlasChatMemoryRepository repo, String id, List<Message> into) {
        List<Message> read = repo.findByConversationId(id);
        // The middle message left out: only the oldest may go, so the save must know what was read.
        into.add(read.get(0));
        into.add(read.get(2));
        return new java.lang.ref.WeakReference<>(read);
    }

    private static java.lang.ref.WeakReference<String> readFirstText(ChatMemory memory, String conversationId) {
        // A read as the memory advisor makes before the model call; the call then throws, so no save follows.
        String text = memory.get(conversationId).get(0).getText();
        assertThat(text).startsWith("question ");
        return new java.lang.ref.WeakReference<>(text);
    }

    private static String readFirstTextValue(ChatMemory memory) {
        return memory.get("pinned").get(0).getText();
    }

    @Test
    @DisplayName("a conversation the repository never saved to reads as its newest 20 messages (the window), not its whole history")
    void foreignConversationReadsTail() {
        Conversation c = tenant.conversations().ensure("foreign", NewConversation.of(Owner.user("42"), "support"));
        List<NewMessage> history = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            history.add(i % 2 == 1 ? NewMessage.user("u" + i) : NewMessage.assistant("a" + i));
        }
        tenant.conversations().appendAll(c.id(), history);
        List<String> expected = new ArrayList<>();
        for (int i = 31; i <= 50; i++) {
            expected.add(i % 2 == 1 ? "USER[u" + i + "]" : "ASSISTANT[a" + i + "][]");
        }
        assertThat(shapes(repository.findByConversationId("foreign"))).isEqualTo(expected);
        assertThat(shapes(repository.window(5).findByConversationId("foreign"))).isEqualTo(expected.subList(15, 20));

        // The first turn through the memory then keeps the window Spring AI's own repository would keep, appending only.
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(20).build();
        InMemoryChatMemoryRepository seeded = new InMemoryChatMemoryRepository();
        seeded.saveAll("foreign", repository.findByConversationId("foreign"));
        ChatMemory reference = MessageWindowChatMemory.builder().chatMemoryRepository(seeded).maxMessages(20).build();
        memory.add("foreign", new UserMessage("u51"));
        reference.add("foreign", new UserMessage("u51"));
        assertThat(shapes(memory.get("foreign"))).isEqualTo(shapes(reference.get("foreign"))).endsWith("USER[u51]");
        assertThat(tenant.conversations().messages(c.id(), 0, 100)).hasSize(51);
    }

    @Test
    @DisplayName("tool messages written through the Atlas API (text, a JSON object, JSON of another shape) read as one tool response"
            + " holding the content, instead of making the whole conversation unreadable; this adapter's own read back exactly")
    void foreignToolMessagesRead() {
        Conversation c = tenant.conversations().ensure("foreign-tools", NewConversation.of(Owner.user("42"), "support"));
        // First in the conversation, as a window's eviction leaves results: a round they break is left out whole
        // (foreignToolRoundsAreLeftOutWhole), which would hide how they read.
        tenant.conversations().appendAll(c.id(), List.of(NewMessage.tool("sunny"),
                NewMessage.json(Role.TOOL, "{\"temperature\":20}"), NewMessage.json(Role.TOOL, "[1,{\"id\":5}]"), NewMessage.json(Role.TOOL, "[{\"id\":\"x\",\"rows\":2}]"),
                NewMessage.json(Role.TOOL, "[{\"id\":\"c1\",\"name\":\"f\",\"responseData\":\"ok\"}]"), NewMessage.user("weather?")));
        assertThat(shapes(repository.findByConversationId("foreign-tools"))).containsExactly(
                "TOOL[ToolResponse[id=null, name=null, responseData=sunny]]",
                "TOOL[ToolResponse[id=null, name=null, responseData={\"temperature\":20}]]",
                "TOOL[ToolResponse[id=null, name=null, responseData=[1,{\"id\":5}]]]",
                "TOOL[ToolResponse[id=null, name=null, responseData=[{\"id\":\"x\",\"rows\":2}]]]",
                "TOOL[ToolResponse[id=c1, name=f, responseData=ok]]", "USER[weather?]");

        // Rows claiming to be atlas-langchain4j's whose JSON is not what its store writes (an app's metadata, hostile or
        // malformed): read as their text, as other foreign rows. Another tenant's asset is one that exists nowhere: gone, it
        // leaves its tool round out whole (a result answering a call no answer makes), a lone answer reads as its text.
        java.util.function.Function<Object, java.util.Map<String, Object>> lc = v -> {
            java.util.Map<String, Object> fields = new java.util.LinkedHashMap<>();
            fields.put(v instanceof UUID ? "jsonAsset" : "json", v.toString());
            return java.util.Map.of("langchain4j", fields);
        };
        UUID globexAsset = atlas.tenant("globex").assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.JSON,
                "langchain4j-message.json", "application/json"), ("{\"toolExecutionRequests\":[{\"id\":\"g\",\"name\":\"f\",\"arguments\":\"{}\"}],"
                + "\"type\":\"AI\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8)).id();
        Conversation h = tenant.conversations().ensure("hostile-langchain4j", NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().appendAll(h.id(), List.of(
                NewMessage.tool("an array").metadata(lc.apply("[1]")),
                NewMessage.assistant("deep").metadata(lc.apply("{\"toolExecutionRequests\":" + "[".repeat(2_000) + "]".repeat(2_000) + "}")),
                NewMessage.assistant("not json").metadata(lc.apply("{\"toolExecutionRequests\":")),
                NewMessage.user("next"),
                NewMessage.tool("other tenant's").metadata(lc.apply(globexAsset)),
                NewMessage.tool("no such asset").metadata(lc.apply(UUID.randomUUID())),
                NewMessage.assistant("other tenant's answer").metadata(lc.apply(globexAsset))));
        assertThat(shapes(repository.findByConversationId("hostile-langchain4j"))).containsExactly(
                "TOOL[ToolResponse[id=null, name=null, responseData=an array]]", "ASSISTANT[deep][]", "ASSISTANT[not json][]", "USER[next]",
                "ASSISTANT[other tenant's answer][]");
    }

    @Test
    @DisplayName("rows claiming to be this adapter's whose spring_ai metadata is not what it writes (media, tool calls, a window"
            + " marker of another shape: an app's metadata, hostile or imported) read as their text, as other foreign rows;"
            + " before, every read of the conversation failed with ClassCastException or IllegalArgumentException")
    void hostileSpringAiMetadataReadsAsText() {
        java.util.function.Function<Object, java.util.Map<String, Object>> spring = v -> java.util.Map.of("spring_ai", v);
        java.util.function.Function<Object, java.util.Map<String, Object>> media = v -> spring.apply(java.util.Map.of("media", v));
        java.util.Map<String, Object> ok = java.util.Map.of("mimeType", "image/png", "url", "https://example.com/ok.png");
        Conversation c = tenant.conversations().ensure("hostile-spring-ai", NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().appendAll(c.id(), List.of(
                NewMessage.user("media not maps").metadata(media.apply(List.of("x", 5, ok))),
                NewMessage.user("no mime type").metadata(media.apply(List.of(java.util.Map.of("mimeType", "not a mime type", "url", "https://e.com/a.png"),
                        java.util.Map.of("mimeType", 5, "url", "https://e.com/b.png"), java.util.Map.of("url", "https://e.com/c.png")))),
                NewMessage.user("asset not an id").metadata(media.apply(List.of(java.util.Map.of("mimeType", "image/png", "asset", "not-a-uuid"),
                        // Another tenant's asset is one that exists nowhere: left out, its bytes never read.
                        java.util.Map.of("mimeType", "image/png", "asset", atlas.tenant("globex").assets().create(dev.atlas.asset.NewAsset.of(
                                dev.atlas.asset.AssetType.IMAGE, "globex.png", "image/png"), new byte[] {1, 2, 3}).id().toString())))),
                NewMessage.user("fields not strings").metadata(media.apply(List.of(java.util.Map.of("mimeType", "image/png", "url", 5),
                        java.util.Map.of("mimeType", "image/png", "url", "https://e.com/d.png", "name", 5, "id", List.of())))),
                NewMessage.assistant("calls not maps").metadata(spring.apply(java.util.Map.of("toolCalls", List.of(1)))),
                NewMessage.assistant("call fields not strings").metadata(spring.apply(java.util.Map.of("toolCalls",
                        List.of(java.util.Map.of("id", 5, "type", "function", "name", "f", "arguments", "{}"))))),
                NewMessage.user("marker of another shape").metadata(java.util.Map.of(AtlasChatMemoryRepository.WINDOW,
                        java.util.Map.of("from", 1, "system", List.of("x"), "drop", List.of(java.util.Map.of()))))));
        List<Message> read = repository.findByConversationId("hostile-spring-ai");
        assertThat(shapes(read)).containsExactly("USER[media not maps]", "USER[no mime type]", "USER[asset not an id]",
                "USER[fields not strings]", "ASSISTANT[calls not maps][]", "ASSISTANT[call fields not strings][]", "USER[marker of another shape]");
        // Only the media described as this adapter describes them are read.
        assertThat(read).extracting(m -> m instanceof UserMessage u ? u.getMedia().stream().map(x -> x.getMimeType() + " " + x.getData()).toList()
                : List.of()).containsExactly(List.of("image/png https://example.com/ok.png"), List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    @Test
    @DisplayName("a LangChain4j tool round kept as JSON assets whose asset the application deletes after a read is left out of the"
            + " very next read by the same repository (not served from its JSON cache), and the save after it agrees: it keeps"
            + " the round stored, evicts nothing and adds only the new turn")
    void langChain4jJsonAssetDeletedAfterAReadIsLeftOutAtOnce() {
        java.util.function.Function<String, UUID> jsonAsset = json -> tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.JSON,
                "langchain4j-message.json", "application/json"), json.getBytes(java.nio.charset.StandardCharsets.UTF_8)).id();
        java.util.function.Function<UUID, java.util.Map<String, Object>> lc = id -> java.util.Map.of("langchain4j", java.util.Map.of("jsonAsset", id.toString()));
        UUID ask = jsonAsset.apply("{\"toolExecutionRequests\":[{\"id\":\"c1\",\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}],\"type\":\"AI\"}");
        UUID result = jsonAsset.apply("{\"id\":\"c1\",\"toolName\":\"weather\",\"text\":\"secret forecast\",\"type\":\"TOOL_EXECUTION_RESULT\"}");
        Conversation c = tenant.conversations().ensure("lc4j-json-deleted", NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().appendAll(c.id(), List.of(NewMessage.user("weather in Oslo?"),
                NewMessage.assistant("").metadata(lc.apply(ask)), NewMessage.tool("secret forecast").metadata(lc.apply(result)),
                NewMessage.assistant("It is sunny.")));
        assertThat(shapes(repository.findByConversationId("lc4j-json-deleted"))).containsExactly("USER[weather in Oslo?]",
                "ASSISTANT[][ToolCall[id=c1, type=function, name=weather, arguments={\"city\":\"Oslo\"}]]",
                "TOOL[ToolResponse[id=c1, name=weather, responseData=secret forecast]]", "ASSISTANT[It is sunny.][]");

        tenant.assets().delete(result);
        List<Message> read = repository.findByConversationId("lc4j-json-deleted");
        assertThat(shapes(read)).containsExactly("USER[weather in Oslo?]", "ASSISTANT[It is sunny.][]");
        List<Message> next = new ArrayList<>(read);
        next.add(new UserMessage("and tomorrow?"));
        repository.saveAll("lc4j-json-deleted", next);
        assertThat(tenant.conversations().history(c.id(), 10)).extracting(m -> m.role() + " " + m.content())
                .containsExactly("user weather in Oslo?", "assistant ", "tool secret forecast", "assistant It is sunny.", "user and tomorrow?");
        assertThat(shapes(repository.findByConversationId("lc4j-json-deleted"))).containsExactly("USER[weather in Oslo?]",
                "ASSISTANT[It is sunny.][]", "USER[and tomorrow?]");
    }

    /** A message atlas-langchain4j's store kept as JSON in an asset, as its metadata names it; the asset's id. */
    private UUID langChain4jJsonAsset(String json) {
        return tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.JSON, "langchain4j-message.json", "application/json"),
                json.getBytes(java.nio.charset.StandardCharsets.UTF_8)).id();
    }

    private static java.util.Map<String, Object> langChain4jJsonAt(UUID asset) {
        return java.util.Map.of("langchain4j", java.util.Map.of("jsonAsset", asset.toString()));
    }

    /** Runs {@code save} on a thread that made no read (a stream's reply is saved on a Reactor thread), rethrowing what it threw. */
    private static void onAnotherThread(Runnable save) throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            other.submit(save).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        } finally {
            other.shutdown();
        }
    }

    @Test
    @DisplayName("a save giving back what a read handed out after a LangChain4j message's JSON asset was deleted (the row's text) is"
            + " stored, the message outside the window by then (evicted), also by the repository that had read that JSON while it was"
            + " live: its cache is not asked whether the message still says so")
    void saveOutsideTheWindowDoesNotReadADeletedJsonAssetFromTheCache() {
        UUID asset = langChain4jJsonAsset("{\"type\":\"USER\",\"contents\":[{\"type\":\"TEXT\",\"text\":\"a\\u0000b\"}]}");
        Conversation c = tenant.conversations().ensure("lc4j-json-gone-evicted", NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().appendAll(c.id(), List.of(NewMessage.user("a\uFFFDb").metadata(langChain4jJsonAt(asset)),
                NewMessage.assistant("hi"), NewMessage.user("more?"), NewMessage.assistant("ok")));
        assertThat(repository.findByConversationId("lc4j-json-gone-evicted").get(0).getText()).isEqualTo("a\u0000b");

        tenant.assets().delete(asset);
        List<Message> read = repository.findByConversationId("lc4j-json-gone-evicted");
        assertThat(read.get(0).getText()).isEqualTo("a\uFFFDb");
        // Another turn's memory evicts the oldest message.
        List<Message> evicting = repository.findByConversationId("lc4j-json-gone-evicted");
        evicting.remove(0);
        repository.saveAll("lc4j-json-gone-evicted", evicting);
        List<Message> next = new ArrayList<>(read);
        next.add(new UserMessage("and now?"));
        repository.saveAll("lc4j-json-gone-evicted", next);

        assertThat(tenant.conversations().history(c.id(), 10)).extracting(m -> m.role() + " " + m.content())
                .containsExactly("user a\uFFFDb", "assistant hi", "user more?", "assistant ok", "user and now?");
        assertThat(shapes(repository.findByConversationId("lc4j-json-gone-evicted"))).containsExactly("USER[a\uFFFDb]",
                "ASSISTANT[hi][]", "USER[more?]", "ASSISTANT[ok][]", "USER[and now?]");
    }

    @Test
    @DisplayName("a save on another thread giving back a LangChain4j tool round read before its result's JSON asset was deleted"
            + " appends only the new message, by the repository that read the round and by one whose cache never held it alike"
            + " (refused with ConflictException by the latter before), and the round stays left out of reads")
    void saveOfARoundReadBeforeItsJsonAssetWasDeletedIsStoredWhateverTheCache() throws Exception {
        List<String> keys = List.of("round-cached", "round-uncached");
        List<List<Message>> reads = new ArrayList<>();
        List<UUID> results = new ArrayList<>();
        for (String key : keys) {
            UUID ask = langChain4jJsonAsset("{\"toolExecutionRequests\":[{\"id\":\"c1\",\"name\":\"weather\",\"arguments\":\"{}\"}],\"type\":\"AI\"}");
            UUID result = langChain4jJsonAsset("{\"id\":\"c1\",\"toolName\":\"weather\",\"text\":\"sunny\",\"type\":\"TOOL_EXECUTION_RESULT\"}");
            Conversation c = tenant.conversations().ensure(key, NewConversation.of(Owner.user("42"), "support"));
            tenant.conversations().appendAll(c.id(), List.of(NewMessage.user("weather?"), NewMessage.assistant("").metadata(langChain4jJsonAt(ask)),
                    NewMessage.tool("sunny").metadata(langChain4jJsonAt(result)), NewMessage.assistant("It is sunny.")));
            reads.add(repository.findByConversationId(key));
            results.add(result);
        }
        assertThat(shapes(reads.get(0))).containsExactly("USER[weather?]", "ASSISTANT[][ToolCall[id=c1, type=function, name=weather, arguments={}]]",
                "TOOL[ToolResponse[id=c1, name=weather, responseData=sunny]]", "ASSISTANT[It is sunny.][]");
        results.forEach(tenant.assets()::delete);
        AtlasChatMemoryRepository uncached = AtlasChatMemoryRepository.of(tenant, Owner.user("42"), "support");

        for (int k = 0; k < keys.size(); k++) {
            String key = keys.get(k);
            AtlasChatMemoryRepository saving = k == 0 ? repository : uncached;
            List<Message> next = new ArrayList<>(reads.get(k));
            next.add(new UserMessage("and tomorrow?"));
            onAnotherThread(() -> saving.saveAll(key, next));

            UUID id = tenant.conversations().getByKey(key).orElseThrow().id();
            assertThat(tenant.conversations().history(id, 10)).as(key).extracting(m -> m.role() + " " + m.content())
                    .containsExactly("user weather?", "assistant ", "tool sunny", "assistant It is sunny.", "user and tomorrow?");
            assertThat(shapes(saving.findByConversationId(key))).as(key)
                    .containsExactly("USER[weather?]", "ASSISTANT[It is sunny.][]", "USER[and tomorrow?]");
        }
    }

    @Test
    @DisplayName("a message soft-deleted (moderation) after a read handed it out stays deleted when that list comes back in a save"
            + " on a thread that made no read (a stream's reply) or after a newer read: the deleted last answer is not appended"
            + " again, a deleted message in the middle does not make the save a ConflictException; only the new message is appended")
    void saveOfAListHoldingAMessageDeletedSinceTheReadDoesNotBringItBack() throws Exception {
        for (String key : List.of("deleted-last", "deleted-middle", "deleted-reread")) {
            repository.saveAll(key, List.of(new UserMessage("hello"), new AssistantMessage("hi"), new UserMessage("rude words"),
                    new AssistantMessage("a rude answer")));
            List<Message> read = repository.findByConversationId(key);
            UUID c = tenant.conversations().requireByKey(key).id();
            List<dev.atlas.conversation.Message> rows = tenant.conversations().history(c, 10);
            dev.atlas.conversation.Message moderated = rows.get(key.equals("deleted-last") ? 3 : 2);
            tenant.conversations().deleteMessage(moderated.id());
            List<Message> next = new ArrayList<>(read);
            next.add(new UserMessage("sorry"));
            if (key.equals("deleted-reread")) {
                // Another turn's read on this thread, after the delete: the save's list is the older one.
                repository.findByConversationId(key);
                repository.saveAll(key, next);
            } else {
                onAnotherThread(() -> repository.saveAll(key, next));
            }

            List<String> expected = new ArrayList<>();
            rows.stream().filter(m -> !m.id().equals(moderated.id())).forEach(m -> expected.add(m.role() + " " + m.content()));
            expected.add("user sorry");
            assertThat(tenant.conversations().history(c, 10)).as(key).extracting(m -> m.role() + " " + m.content())
                    .containsExactlyElementsOf(expected);
            assertThat(repository.findByConversationId(key)).as(key).extracting(m -> m.getMessageType() + " " + m.getText())
                    .containsExactlyElementsOf(expected.stream().map(e -> e.toUpperCase(java.util.Locale.ROOT).substring(0, e.indexOf(' '))
                            + e.substring(e.indexOf(' '))).toList());
        }
    }

    @Test
    @DisplayName("a message retention hard-deleted (its audit trail gone with it) after a read handed it out stays deleted when that list"
            + " comes back in a save, on a thread that made no read, after a newer read, or with the read's own list: only the new message"
            + " is appended; a hard-deleted message of another conversation is still a new message there")
    void saveOfAListHoldingAMessageHardDeletedSinceTheReadDoesNotBringItBack(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        dev.atlas.jdbi.kit.MutableClock clock = reopenWithBlobs(dir);
        List<String> keys = List.of("hard-last", "hard-middle", "hard-reread", "hard-held");
        java.util.Map<String, List<Message>> reads = new java.util.HashMap<>();
        java.util.Map<String, List<String>> expected = new java.util.HashMap<>();
        for (String key : keys) {
            repository.saveAll(key, List.of(new UserMessage("hello"), new AssistantMessage("hi"), new UserMessage("rude words"),
                    new AssistantMessage("a rude answer")));
        }
        repository.saveAll("other", List.of(new UserMessage("other text")));
        Message other = repository.findByConversationId("other").get(0);
        for (String key : keys) {
            reads.put(key, repository.findByConversationId(key));
            UUID c = tenant.conversations().requireByKey(key).id();
            List<dev.atlas.conversation.Message> rows = tenant.conversations().history(c, 10);
            dev.atlas.conversation.Message moderated = rows.get(key.equals("hard-last") || key.equals("hard-held") ? 3 : 2);
            tenant.conversations().deleteMessage(moderated.id());
            List<String> e = new ArrayList<>();
            rows.stream().filter(m -> !m.id().equals(moderated.id())).forEach(m -> e.add(m.role() + " " + m.content()));
            e.add("user sorry");
            expected.put(key, e);
        }
        tenant.conversations().deleteMessage(tenant.conversations().history(tenant.conversations().requireByKey("other").id(), 10).get(0).id());
        clock.set(clock.instant().plus(java.time.Duration.ofDays(2)));
        assertThat(tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1)))
                .counts()).containsEntry("messages.deleted", 5L);

        for (String key : List.of("hard-held", "hard-last", "hard-middle", "hard-reread")) {
            List<Message> next = new ArrayList<>(reads.get(key));
            next.add(new UserMessage("sorry"));
            if (key.equals("hard-reread")) {
                repository.findByConversationId(key);
                repository.saveAll(key, next);
            } else if (key.equals("hard-held")) {
                // The read's own list, saved on its thread (its read was the last): the window it handed out still holds the row.
                repository.saveAll(key, next);
            } else {
                onAnotherThread(() -> repository.saveAll(key, next));
            }
            UUID c = tenant.conversations().requireByKey(key).id();
            assertThat(tenant.conversations().history(c, 10)).as(key).extracting(m -> m.role() + " " + m.content())
                    .containsExactlyElementsOf(expected.get(key));
        }
        repository.saveAll("another", List.of(other, new UserMessage("mine")));
        assertThat(tenant.conversations().history(tenant.conversations().requireByKey("another").id(), 10))
                .extracting(m -> m.role() + " " + m.content()).containsExactly("user other text", "user mine");
    }

    @Test
    @DisplayName("after a save that skipped a message retention hard-deleted in the middle of the read window, the memory reads back"
            + " what is stored (no gap, no stale message) and its next turn saves without a conflict, on another thread too")
    void theTurnAfterASaveThatSkippedAHardDeletedMessageReadsAndSavesCleanly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        dev.atlas.jdbi.kit.MutableClock clock = reopenWithBlobs(dir);
        repository.saveAll("hard", List.of(new UserMessage("hello"), new AssistantMessage("hi"), new UserMessage("rude words"),
                new AssistantMessage("a rude answer")));
        List<Message> read = repository.findByConversationId("hard");
        UUID c = tenant.conversations().requireByKey("hard").id();
        tenant.conversations().deleteMessage(tenant.conversations().history(c, 10).get(2).id());
        clock.set(clock.instant().plus(java.time.Duration.ofDays(2)));
        tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1)));
        List<Message> next = new ArrayList<>(read);
        next.add(new UserMessage("sorry"));
        repository.saveAll("hard", next);

        List<Message> again = repository.findByConversationId("hard");
        assertThat(again).extracting(Message::getText).containsExactly("hello", "hi", "a rude answer", "sorry");
        List<Message> turn = new ArrayList<>(again);
        turn.add(new AssistantMessage("apology accepted"));
        onAnotherThread(() -> repository.saveAll("hard", turn));
        assertThat(tenant.conversations().history(c, 10)).extracting(m -> m.role() + " " + m.content())
                .containsExactly("user hello", "assistant hi", "assistant a rude answer", "user sorry", "assistant apology accepted");
        assertThat(repository.findByConversationId("hard")).extracting(Message::getText)
                .containsExactly("hello", "hi", "a rude answer", "sorry", "apology accepted");
    }

    @Test
    @DisplayName("a message soft-deleted in another conversation of the tenant, or in another tenant's, is a new message in a save"
            + " (appended, as a live one of another conversation is): only this conversation's deleted messages stay deleted")
    void deletedMessageOfAnotherConversationOrTenantIsANewMessageHere() {
        Tenant globex = atlas.tenant("globex");
        AtlasChatMemoryRepository theirs = AtlasChatMemoryRepository.of(globex, Owner.user("42"), "support");
        theirs.saveAll("same-key", List.of(new UserMessage("globex text")));
        Message foreign = theirs.findByConversationId("same-key").get(0);
        globex.conversations().deleteMessage(globex.conversations().history(globex.conversations().requireByKey("same-key").id(), 10).get(0).id());
        repository.saveAll("elsewhere", List.of(new UserMessage("acme elsewhere")));
        Message elsewhere = repository.findByConversationId("elsewhere").get(0);
        UUID elsewhereId = tenant.conversations().requireByKey("elsewhere").id();
        tenant.conversations().deleteMessage(tenant.conversations().history(elsewhereId, 10).get(0).id());

        repository.saveAll("same-key", List.of(foreign, elsewhere, new UserMessage("mine")));

        assertThat(tenant.conversations().history(tenant.conversations().requireByKey("same-key").id(), 10))
                .extracting(m -> m.role() + " " + m.content()).containsExactly("user globex text", "user acme elsewhere", "user mine");
        assertThat(globex.conversations().history(globex.conversations().requireByKey("same-key").id(), 10)).isEmpty();
    }

    @Test
    @DisplayName("a window read from one conversation and saved under another id (a chat copied) is stored there whole, as new"
            + " messages, without looking any of them up: the conversation each was read from is known")
    void aReadWindowSavedUnderAnotherIdLooksNothingUp() {
        List<Message> said = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            said.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        repository.saveAll("original", said);
        List<Message> read = repository.findByConversationId("original");

        int before = sql.recorded().size();
        repository.saveAll("copy", read);
        // Before: a lookup by id and one of its audit trail per message, 40 statements for a window of 20.
        assertThat(sql.recorded().subList(before, sql.recorded().size()).stream()
                .flatMap(r -> r.callers().stream().filter(c -> c.equals("JdbiConversationStore#getMessage")
                        || c.equals("JdbiConversationStore#events")).limit(1)).toList()).as("message lookups of the save").isEmpty();

        for (String key : List.of("original", "copy")) {
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey(key).id(), 0, 100)).as(key)
                    .extracting(dev.atlas.conversation.Message::content).containsExactlyElementsOf(said.stream().map(Message::getText).toList());
        }
        assertThat(shapes(repository.findByConversationId("copy"))).isEqualTo(shapes(said));
    }

    @Test
    @DisplayName("stored media a read leaves out (a LangChain4j user message's audio and PDF, a LangChain4j tool result's image, a"
            + " description of another shape, media on a system message) are logged: one WARNING per conversation naming each such"
            + " message's id and what it lost, never its content; media read as media, or an asset deleted, are no warning")
    void foreignMediaLeftOutAreWarnedOncePerConversation() {
        java.util.function.Function<String, java.util.Map<String, Object>> lc4j = json -> java.util.Map.of("langchain4j", java.util.Map.of("json", json));
        java.util.Map<String, Object> ok = java.util.Map.of("mimeType", "image/png", "url", "https://example.com/ok.png");
        Conversation c = tenant.conversations().ensure("foreign-media", NewConversation.of(Owner.user("42"), "support"));
        List<dev.atlas.conversation.Message> rows = tenant.conversations().appendAll(c.id(), List.of(
                NewMessage.system("secret system text").metadata(java.util.Map.of("spring_ai", java.util.Map.of("media", List.of(ok)))),
                NewMessage.user("secret hear this").metadata(lc4j.apply("{\"type\":\"USER\",\"contents\":[{\"type\":\"TEXT\",\"text\":\"secret hear this\"},"
                        + "{\"type\":\"AUDIO\",\"audio\":{\"base64Data\":\"AAEC\",\"mimeType\":\"audio/wav\"}},"
                        + "{\"type\":\"PDF\",\"pdfFile\":{\"url\":\"https://example.com/a.pdf\"}},"
                        + "{\"type\":\"IMAGE\",\"image\":{\"url\":\"https://example.com/read.png\"}}]}")),
                NewMessage.user("secret fine").metadata(java.util.Map.of("spring_ai", java.util.Map.of("media", List.of(ok)))),
                NewMessage.user("secret no mime type").metadata(java.util.Map.of("spring_ai", java.util.Map.of("media",
                        List.of(ok, java.util.Map.of("url", "https://example.com/c.png"))))),
                NewMessage.assistant("asks").metadata(java.util.Map.of("spring_ai", java.util.Map.of("toolCalls",
                        List.of(java.util.Map.of("id", "call-1", "type", "function", "name", "chart", "arguments", "{}"))))),
                NewMessage.tool("secret chart").metadata(java.util.Map.of("langchain4j", java.util.Map.of("toolCallId", "call-1", "toolName", "chart",
                        "json", "{\"type\":\"TOOL_EXECUTION_RESULT\",\"id\":\"call-1\",\"toolName\":\"chart\",\"contents\":["
                                + "{\"type\":\"TEXT\",\"text\":\"secret chart\"},{\"type\":\"IMAGE\",\"image\":{\"url\":\"https://example.com/chart.png\"}}]}")))));
        Conversation clean = tenant.conversations().ensure("clean-media", NewConversation.of(Owner.user("42"), "support"));
        UUID deleted = tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "x.png", "image/png"), new byte[] {1}).id();
        tenant.assets().delete(deleted);
        tenant.conversations().appendAll(clean.id(), List.of(
                NewMessage.user("fine").metadata(java.util.Map.of("spring_ai", java.util.Map.of("media", List.of(ok,
                        java.util.Map.of("mimeType", "image/png", "asset", deleted.toString())))))));

        java.util.logging.Logger log = java.util.logging.Logger.getLogger(AtlasChatMemoryRepository.class.getName());
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try {
            List<Message> read = repository.findByConversationId("foreign-media");
            repository.findByConversationId("foreign-media");
            repository.findByConversationId("clean-media");
            repository.findByConversationId("clean-media");

            assertThat(shapes(read)).containsExactly("SYSTEM[secret system text]", "USER[secret hear this]", "USER[secret fine]",
                    "USER[secret no mime type]", "ASSISTANT[asks][ToolCall[id=call-1, type=function, name=chart, arguments={}]]",
                    "TOOL[ToolResponse[id=call-1, name=chart, responseData=secret chart]]");
            assertThat(((UserMessage) read.get(1)).getMedia()).extracting(m -> m.getData()).containsExactly("https://example.com/read.png");
            assertThat(records).hasSize(1);
            java.util.logging.LogRecord warning = records.get(0);
            assertThat(warning.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
            String text = warning.getMessage();
            assertThat(text).contains(c.id().toString(), rows.get(0).id().toString(), rows.get(1).id().toString(), rows.get(3).id().toString(),
                    rows.get(5).id().toString(), "audio", "pdf").doesNotContain(rows.get(2).id().toString(), rows.get(4).id().toString(), "secret");
        } finally {
            log.removeHandler(handler);
        }
    }

    @Test
    @DisplayName("tool rounds appended through the Atlas API that providers would refuse (an answer whose tool calls are of another"
            + " shape, a result answering no call of the answer before it, a call no result answers, a result after a user message)"
            + " are left out whole; a lone answer with such calls reads as its text; well-formed rounds read exactly; all stay stored")
    void foreignToolRoundsAreLeftOutWhole() {
        java.util.function.Function<Object, java.util.Map<String, Object>> calls = v -> java.util.Map.of("spring_ai", java.util.Map.of("toolCalls", v));
        java.util.function.Function<String, java.util.Map<String, Object>> call = id -> java.util.Map.of("id", id, "type", "function", "name", "f", "arguments", "{}");
        java.util.function.Function<String, NewMessage> result = id -> NewMessage.json(Role.TOOL,
                "[{\"id\":\"" + id + "\",\"name\":\"f\",\"responseData\":\"r-" + id + "\"}]");
        Conversation c = tenant.conversations().ensure("foreign-rounds", NewConversation.of(Owner.user("42"), "support"));
        tenant.conversations().appendAll(c.id(), List.of(
                NewMessage.user("u1"),
                NewMessage.assistant("calls not maps").metadata(calls.apply(List.of(1))), result.apply("c1"),
                NewMessage.user("u2"),
                NewMessage.assistant("call fields not strings").metadata(calls.apply(List.of(java.util.Map.of("id", 5, "name", "f")))),
                NewMessage.user("u3"),
                NewMessage.assistant("asks c2").metadata(calls.apply(List.of(call.apply("c2")))), result.apply("other"),
                NewMessage.user("u4"),
                NewMessage.assistant("asks c3 and c4").metadata(calls.apply(List.of(call.apply("c3"), call.apply("c4")))), result.apply("c3"),
                NewMessage.user("u5"),
                NewMessage.tool("after a user"),
                NewMessage.assistant("plain answer"), result.apply("c6"),
                NewMessage.user("u6"),
                NewMessage.assistant("asks c5").metadata(calls.apply(List.of(call.apply("c5")))), result.apply("c5"),
                NewMessage.assistant("done")));
        List<Message> read = repository.findByConversationId("foreign-rounds");
        assertThat(shapes(read)).containsExactly("USER[u1]", "USER[u2]", "ASSISTANT[call fields not strings][]", "USER[u3]", "USER[u4]",
                "USER[u5]", "USER[u6]", "ASSISTANT[asks c5][ToolCall[id=c5, type=function, name=f, arguments={}]]",
                "TOOL[ToolResponse[id=c5, name=f, responseData=r-c5]]", "ASSISTANT[done][]");

        // A memory saving after that read appends its turn and evicts nothing left out: every row stays stored.
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        memory.add("foreign-rounds", new UserMessage("u7"));
        assertThat(shapes(memory.get("foreign-rounds"))).endsWith("ASSISTANT[done][]", "USER[u7]").hasSize(11);
        assertThat(tenant.conversations().messages(c.id(), 0, 100)).hasSize(20);
    }

    @Test
    @DisplayName("more messages than the window appended through the Atlas API behind the repository's back: the kept system message still reads, in 3 statements, not a read of the whole conversation")
    void markerFoundBehindMoreThanAWindowOfForeignAppends() throws Exception {
        javax.sql.DataSource countedSource = secondInstanceDataSource();
        CountingDataSource counting = new CountingDataSource(countedSource);
        try (AutoCloseable closesCountedSource = closer(countedSource);
             Atlas counted = Atlas.builder().dataSource(counting.dataSource()).build()) {
            Tenant t = counted.tenant("acme");
            Conversation c = t.conversations().ensure("behind", NewConversation.of(Owner.user("42"), "support"));
            // 2,500 messages of history from before the memory: reading them all would take three pages.
            for (int batch = 0; batch < 3; batch++) {
                List<NewMessage> history = new ArrayList<>();
                for (int i = 0; i < (batch < 2 ? 1000 : 500); i++) {
                    history.add(i % 2 == 0 ? NewMessage.user("old u" + i) : NewMessage.assistant("old a" + i));
                }
                t.conversations().appendAll(c.id(), history);
            }
            AtlasChatMemoryRepository repo = AtlasChatMemoryRepository.of(t, Owner.user("42"), "support").window(4);
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repo).maxMessages(4).build();
            InMemoryChatMemoryRepository seeded = new InMemoryChatMemoryRepository();
            seeded.saveAll("behind", repo.findByConversationId("behind"));
            ChatMemory reference = MessageWindowChatMemory.builder().chatMemoryRepository(seeded).maxMessages(4).build();
            List<Message> said = List.of(new SystemMessage("be brief"), new UserMessage("u1"), new AssistantMessage("a1"),
                    new UserMessage("u2"), new AssistantMessage("a2"), new UserMessage("u3"), new AssistantMessage("a3"));
            for (Message m : said) {
                memory.add("behind", m);
                reference.add("behind", m);
            }
            assertThat(shapes(memory.get("behind"))).isEqualTo(shapes(reference.get("behind")))
                    .startsWith("SYSTEM[be brief]").endsWith("USER[u3]", "ASSISTANT[a3][]"); // 1.1 keeps a2 too, 2.0 does not

            // Another part of the application appends 6 messages (more than the window of 4) through Atlas.
            List<NewMessage> behind = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                behind.add(NewMessage.user("behind " + i));
            }
            t.conversations().appendAll(c.id(), behind);

            counting.reset();
            List<String> read = shapes(repo.findByConversationId("behind"));
            List<String> expected = new ArrayList<>(shapes(reference.get("behind")));
            for (int i = 1; i <= 6; i++) {
                expected.add("USER[behind " + i + "]");
            }
            assertThat(read).isEqualTo(expected);
            // The conversation by key, its newest 4 messages, then the 16 before them (where the marker is):
            // the 2,500 older messages are never read (a page holds at most 1,000).
            assertThat(counting.statements()).isEqualTo(3);
        }
    }

    @Test
    @DisplayName("a first save whose window marker no longer fits in the conversation's metadata still succeeds: the messages are stored once and read back")
    void firstSaveWithFullConversationMetadata() {
        // Metadata of the application, a few characters under the limit: the marker cannot be added to it.
        String filler = "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - 20);
        tenant.conversations().ensure("full", NewConversation.of(Owner.user("42"), "support").metadata(java.util.Map.of("big", filler)));
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        memory.add("full", new UserMessage("u1"));
        memory.add("full", new AssistantMessage("a1"));
        assertThat(shapes(memory.get("full"))).containsExactly("USER[u1]", "ASSISTANT[a1][]");
        Conversation c = tenant.conversations().requireByKey("full");
        assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(dev.atlas.conversation.Message::content)
                .containsExactly("u1", "a1");
        assertThat(c.metadata()).containsOnlyKeys("big");
    }

    @Test
    @DisplayName("a save that only drops messages while the application updates the conversation's metadata between the save's read"
            + " and its write: the application's key is kept, and the shorter window reads back")
    void dropOnlySaveKeepsAConcurrentMetadataUpdate() {
        repository.saveAll("meta", List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2"), new AssistantMessage("a2")));
        UUID id = tenant.conversations().requireByKey("meta").id();
        List<Message> read = repository.findByConversationId("meta");
        // The application's write runs right after the save has read the conversation, before the save writes.
        java.util.concurrent.atomic.AtomicBoolean interleaved = new java.util.concurrent.atomic.AtomicBoolean();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        db.statementListener((name, jdbc) -> {
            if (name.equals("conversations.byId") && interleaved.compareAndSet(false, true)) {
                java.util.Map<String, Object> metadata = new java.util.LinkedHashMap<>(tenant.conversations().require(id).metadata());
                metadata.put("app", "concurrent");
                tenant.conversations().updateMetadata(id, metadata);
            }
        });
        try {
            repository.saveAll("meta", read.subList(2, 4));
        } finally {
            db.statementListener(null);
        }
        assertThat(interleaved).isTrue();
        assertThat(tenant.conversations().require(id).metadata()).containsEntry("app", "concurrent")
                .containsOnlyKeys("app", AtlasChatMemoryRepository.WINDOW);
        assertThat(shapes(repository.findByConversationId("meta"))).containsExactly("USER[u2]", "ASSISTANT[a2][]");
    }

    @Test
    @DisplayName("a save that only drops messages when the conversation's metadata has no room for the window marker is not refused:"
            + " the metadata is untouched, the drop is recorded by the next save that appends")
    void dropOnlySaveWithFullConversationMetadata() {
        String filler = "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - 20);
        tenant.conversations().ensure("full", NewConversation.of(Owner.user("42"), "support").metadata(java.util.Map.of("big", filler)));
        repository.saveAll("full", List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2"), new AssistantMessage("a2")));
        Conversation before = tenant.conversations().requireByKey("full");

        repository.saveAll("full", repository.findByConversationId("full").subList(2, 4));
        assertThat(tenant.conversations().requireByKey("full")).isEqualTo(before);
        // Nothing recorded the drop: the window is still the one saved before.
        assertThat(shapes(repository.findByConversationId("full")))
                .containsExactly("USER[u1]", "ASSISTANT[a1][]", "USER[u2]", "ASSISTANT[a2][]");

        List<Message> window = new ArrayList<>(repository.findByConversationId("full").subList(2, 4));
        window.add(new UserMessage("u3"));
        repository.saveAll("full", window);
        assertThat(shapes(repository.findByConversationId("full"))).containsExactly("USER[u2]", "ASSISTANT[a2][]", "USER[u3]");
        assertThat(tenant.conversations().messages(before.id(), 0, 10)).hasSize(5);
    }

    @Test
    @DisplayName("streamed calls: one stream execution per call, a step per round, messages linked, tool rounds kept once")
    void streaming() {
        ChatClient client = client(new ScriptedChatModel(), repository, 20, true);
        for (int i = 0; i < 4; i++) {
            String text = client.prompt().user(turn(i)).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "s"))
                    .stream().content().collectList().block(java.time.Duration.ofMinutes(2)).stream().reduce("", String::concat);
            assertThat(text).isNotBlank();
        }
        Conversation c = tenant.conversations().requireByKey("s");
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(c.id(), 0, 100);
        assertThat(rows).hasSize(4 + 2 + 4 + 2);
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(10)).items();
        assertThat(executions).hasSize(4).allSatisfy(e -> {
            assertThat(e.type()).isEqualTo(dev.atlas.execution.ExecutionType.STREAM);
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            assertThat(e.firstTokenMs()).isNotNull();
        });
        ExecutionTree first = tenant.executions().tree(executions.get(3).id()).orElseThrow();
        assertThat(first.steps()).hasSize(2);
        assertThat(first.toolCalls()).extracting(t -> t.result()).containsExactly("\"order 100 shipped\"", "\"order 101 packed\"");
        assertThat(rows.get(3).stepId()).isEqualTo(first.steps().get(1).id());
        assertThat(tenant.executions().historyWithTools(c.id(), 100)).allSatisfy(m -> assertThat(m.toolSteps()).isEmpty());
    }

    @Test
    @DisplayName("window size and system messages behave as with Spring AI's in-memory repository")
    void windowAndSystemMessages() {
        ChatMemory atlasMemory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(4).build();
        ChatMemory referenceMemory = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).maxMessages(4).build();
        List<Message> steps = List.of(new SystemMessage("be brief"), new UserMessage("u1"), new AssistantMessage("a1"),
                new UserMessage("u2"), new AssistantMessage("a2"), new UserMessage("u3"), new SystemMessage("be verbose"),
                new AssistantMessage("a3"), new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u1"));
        for (Message m : steps) {
            atlasMemory.add("w", m);
            referenceMemory.add("w", m);
            assertThat(shapes(atlasMemory.get("w"))).as("after %s", shape(m)).isEqualTo(shapes(referenceMemory.get("w")));
        }
        assertThat(atlasMemory.get("w")).hasSize(4);
        // Everything said is kept: 11 appends, the replaced system message included.
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("w").id(), 0, 100)).hasSize(11);
    }

    @Test
    @DisplayName("tool calls and several tool responses round-trip exactly")
    void toolCallsRoundTrip() {
        AssistantMessage calls = AssistantMessage.builder().content(null).toolCalls(List.of(
                new AssistantMessage.ToolCall("c1", "function", "lookup", "{\"order\":1}"),
                new AssistantMessage.ToolCall("c2", "function", "weather", "{\"city\":\"Zürich\"}"))).build();
        ToolResponseMessage results = ToolResponseMessage.builder().responses(List.of(
                new ToolResponseMessage.ToolResponse("c1", "lookup", "{\"status\":\"shipped\"}"),
                new ToolResponseMessage.ToolResponse("c2", "weather", "not JSON: 12°C"))).build();
        repository.saveAll("t", List.of(new UserMessage("go"), calls, results));
        List<Message> back = repository.findByConversationId("t");
        assertThat(back).hasSize(3);
        AssistantMessage a = (AssistantMessage) back.get(1);
        assertThat(a.getText()).isNull();
        assertThat(a.getToolCalls()).isEqualTo(calls.getToolCalls());
        assertThat(((ToolResponseMessage) back.get(2)).getResponses()).isEqualTo(results.getResponses());
    }

    @Test
    @DisplayName("an edit or reorder of stored history is refused with ConflictException naming messages[i]")
    void editsRefused() {
        repository.saveAll("e", List.of(new UserMessage("u1"), new AssistantMessage("a1")));
        List<Message> stored = repository.findByConversationId("e");
        Message edited = UserMessage.builder().text("u1 changed").metadata(stored.get(0).getMetadata()).build();
        assertThatThrownBy(() -> repository.saveAll("e", List.of(edited, stored.get(1))))
                .isInstanceOf(ConflictException.class).hasMessageContaining("messages[0]");
        assertThatThrownBy(() -> repository.saveAll("e", List.of(stored.get(1), stored.get(0))))
                .isInstanceOf(ConflictException.class).hasMessageContaining("messages[1]");
        assertThatThrownBy(() -> repository.saveAll("e", List.of(new UserMessage("new"), stored.get(0))))
                .isInstanceOf(ConflictException.class).hasMessageContaining("messages[1]");
        assertThat(shapes(repository.findByConversationId("e"))).containsExactly("USER[u1]", "ASSISTANT[a1][]");
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("e").id(), 0, 100)).hasSize(2);
    }

    @Test
    @DisplayName("a list built by hand, without the ids the repository hands out, appends only what is new")
    void handBuiltLists() {
        repository.saveAll("h", List.of(new UserMessage("u1"), new AssistantMessage("a1")));
        repository.saveAll("h", List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2")));
        assertThat(shapes(repository.findByConversationId("h"))).containsExactly("USER[u1]", "ASSISTANT[a1][]", "USER[u2]");
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("h").id(), 0, 100)).hasSize(3);
    }

    @Test
    @DisplayName("conversation ids with odd characters round-trip; a blank, too long or unstorable one is refused naming conversationId, nothing written")
    void conversationIds() {
        List<String> odd = List.of("  padded  ", "ü/é?&%20#\"'", "\uD83D\uDE00", "a\nb", "'; DROP TABLE x; --", "x".repeat(255));
        for (String id : odd) {
            repository.saveAll(id, List.of(new UserMessage("hi " + id)));
            assertThat(repository.findByConversationId(id)).extracting(Message::getText).containsExactly("hi " + id);
        }
        assertThat(repository.findConversationIds()).containsExactlyInAnyOrderElementsOf(odd);
        for (String bad : new String[] {"", " ", "x".repeat(256), "a\u0000b"}) {
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> repository.saveAll(bad, List.of(new UserMessage("x"))), () -> repository.findByConversationId(bad),
                    () -> repository.deleteByConversationId(bad))) {
                assertThatThrownBy(call).as("id of %d chars", bad.length()).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                        e -> assertThat(e.field()).isEqualTo("conversationId"));
            }
        }
        assertThat(repository.findConversationIds()).hasSize(odd.size());
    }

    @Test
    @DisplayName("the list a read returns is the caller's to change, as Spring AI's in-memory and JDBC repositories return it:"
            + " add to it, drop its oldest, save it back")
    void readListIsTheCallersToChange() {
        repository.saveAll("mine", List.of(new UserMessage("u1"), new AssistantMessage("a1")));
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        reference.saveAll("mine", List.of(new UserMessage("u1"), new AssistantMessage("a1")));
        for (ChatMemoryRepository r : List.of(repository, reference)) {
            List<Message> history = r.findByConversationId("mine");
            history.add(new UserMessage("u2"));
            history.remove(0);
            r.saveAll("mine", history);
            history = r.findByConversationId("mine");
            history.addAll(List.of(new AssistantMessage("a2"), new UserMessage("u3")));
            r.saveAll("mine", history);
        }
        assertThat(shapes(repository.findByConversationId("mine"))).containsExactlyElementsOf(shapes(reference.findByConversationId("mine")))
                .containsExactly("ASSISTANT[a1][]", "USER[u2]", "ASSISTANT[a2][]", "USER[u3]");
    }

    @Test
    @DisplayName("message metadata: JSON values round-trip, numbers of every Java type too (read back as JSON numbers read:"
            + " Integer, Long or BigInteger, Double); values JSON cannot hold exactly (provider objects, an enum, an Instant, a UUID, a Set, a BigDecimal"
            + " subclass, NaN, an inexact decimal, a map holding itself) are left out")
    void metadataRoundTrip() {
        java.util.Map<String, Object> given = new java.util.LinkedHashMap<>();
        given.put("text", "ok");
        given.put("flag", true);
        given.put("int", 7);
        given.put("long", 5_000_000_000L);
        given.put("double", 2.5);
        given.put("float", 1.5f);
        given.put("short", (short) 3);
        given.put("byte", (byte) -1);
        given.put("bigInteger", java.math.BigInteger.TEN.pow(30));
        given.put("bigDecimal", new BigDecimal("0.25"));
        given.put("nested", java.util.Map.of("list", List.of(1, "two", 3.5f)));
        given.put("inexact", new BigDecimal("0.1000000000000000000001"));
        given.put("nan", Float.NaN);
        given.put("object", new Object());
        // What providers put there that is not a JSON value in Java's plain types, which Atlas refuses (Limits.MAX_METADATA_LENGTH):
        // left out as provider objects are, never failing the save (a BigDecimal of a subclass too, which Atlas refuses as it is).
        given.put("enum", java.time.DayOfWeek.MONDAY);
        given.put("instant", Instant.EPOCH);
        given.put("uuid", java.util.UUID.fromString("00000000-0000-0000-0000-000000000001"));
        given.put("set", java.util.Set.of("a"));
        given.put("nestedInstant", java.util.Map.of("at", Instant.EPOCH));
        given.put("decimalSubclass", new BigDecimal("0.5") { });
        given.put("integerSubclass", new java.math.BigInteger("5") { });
        // A map holding itself (directly, or through a list) is not JSON: left out, not a StackOverflowError out of the save.
        java.util.Map<String, Object> loop = new java.util.LinkedHashMap<>();
        loop.put("self", loop);
        given.put("loop", loop);
        given.put("loopInList", List.of(java.util.Map.of("back", given)));
        repository.saveAll("meta", List.of(UserMessage.builder().text("m").metadata(given).build()));
        java.util.Map<String, Object> back = new java.util.LinkedHashMap<>(repository.findByConversationId("meta").get(0).getMetadata());
        back.remove(SpringMessages.MESSAGE_ID);
        back.remove("messageType");
        // Atlas's own key, never stored: which conversation the message was read from.
        assertThat(back.remove(SpringMessages.CONVERSATION_ID)).isEqualTo(tenant.conversations().requireByKey("meta").id().toString());
        java.util.Map<String, Object> expected = new java.util.HashMap<>(java.util.Map.of("text", "ok", "flag", true, "int", 7,
                "long", 5_000_000_000L, "double", 2.5, "float", 1.5, "short", 3, "byte", -1,
                "bigInteger", java.math.BigInteger.TEN.pow(30), "bigDecimal", 0.25));
        expected.put("nested", java.util.Map.of("list", List.of(1, "two", 3.5)));
        assertThat(back).isEqualTo(expected);
    }

    @Test
    @DisplayName("another branch activated between the read of the newest messages and the page before them: the read starts over on the branch now shown, never mixes the two")
    void branchSwitchedWhileReadingBehindTheWindowReadsTheNewBranch() {
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository.window(4)).maxMessages(4).build();
        memory.add("switch", new UserMessage("u1"));
        Conversation c = tenant.conversations().requireByKey("switch");
        UUID u1 = tenant.conversations().history(c.id(), 1).get(0).id();
        // Two answers to u1 (a regenerate), each followed by five more messages, more than the window of 4; B shows.
        UUID[] newest = new UUID[2];
        UUID[] first = {tenant.conversations().append(c.id(), NewMessage.assistant("A1").parent(u1)).id(),
                tenant.conversations().append(c.id(), NewMessage.assistant("B1").parent(u1)).id()};
        for (int b = 0; b < 2; b++) {
            tenant.conversations().activate(first[b]);
            UUID parent = first[b];
            for (int i = 2; i <= 6; i++) {
                String text = (b == 0 ? "A" : "B") + i;
                parent = tenant.conversations().append(c.id(), (i % 2 == 0 ? NewMessage.user(text) : NewMessage.assistant(text)).parent(parent)).id();
            }
            newest[b] = parent;
        }
        assertThat(tenant.conversations().history(c.id(), 1)).extracting(dev.atlas.conversation.Message::content).containsExactly("B6");
        UUID showA = newest[0];
        // The switch lands after the repository read B's newest four and before it pages back from B3.
        boolean[] switched = {false};
        Tenant racing = (Tenant) java.lang.reflect.Proxy.newProxyInstance(Tenant.class.getClassLoader(), new Class<?>[] {Tenant.class},
                (proxy, method, args) -> {
                    Object result = invoke(tenant, method, args);
                    if (!method.getName().equals("conversations")) {
                        return result;
                    }
                    dev.atlas.conversation.ConversationStore store = (dev.atlas.conversation.ConversationStore) result;
                    return java.lang.reflect.Proxy.newProxyInstance(Tenant.class.getClassLoader(),
                            new Class<?>[] {dev.atlas.conversation.ConversationStore.class}, (p, m, a) -> {
                                if (m.getName().equals("historyBefore") && !switched[0]) {
                                    switched[0] = true;
                                    store.activate(showA);
                                }
                                return invoke(store, m, a);
                            });
                });
        AtlasChatMemoryRepository reading = AtlasChatMemoryRepository.of(racing, Owner.user("42"), "support").window(4);

        assertThat(shapes(reading.findByConversationId("switch"))).containsExactly(
                "USER[u1]", "ASSISTANT[A1][]", "USER[A2]", "ASSISTANT[A3][]", "USER[A4]", "ASSISTANT[A5][]", "USER[A6]");
        assertThat(switched[0]).isTrue();
    }

    @Test
    @DisplayName("Spring AI metadata values that are no JSON Atlas stores (an Instant, NaN, a map holding itself) are left out of the saved"
            + " message with one warning naming each key and its type, never its value; the JSON ones are stored; a second save warns no more")
    void metadataThatIsNoJsonIsLeftOutWithAWarningNamingTheKey() {
        // Keys of this run only: the warning is given once per key and value type in a JVM.
        String run = UUID.randomUUID().toString().substring(0, 8);
        java.util.Map<String, Object> self = new java.util.HashMap<>();
        self.put("me", self);
        java.util.Map<String, Object> meta = new java.util.LinkedHashMap<>();
        meta.put("kept-" + run, "plain");
        meta.put("when-" + run, Instant.parse("2026-12-07T02:00:00Z"));
        meta.put("nan-" + run, Double.NaN);
        meta.put("loop-" + run, self);
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(AtlasChatMemoryRepository.class.getName());
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains(run)) {
                    records.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        try {
            repository.saveAll("meta-" + run, List.of(UserMessage.builder().text("u1").metadata(meta).build()));
            repository.saveAll("meta-" + run, List.of(UserMessage.builder().text("u1").metadata(meta).build(),
                    UserMessage.builder().text("u2").metadata(meta).build()));
        } finally {
            log.removeHandler(handler);
        }
        List<Message> read = repository.findByConversationId("meta-" + run);
        assertThat(shapes(read)).containsExactly("USER[u1]", "USER[u2]");
        assertThat(read.get(1).getMetadata()).containsEntry("kept-" + run, "plain")
                .doesNotContainKeys("when-" + run, "nan-" + run, "loop-" + run);
        assertThat(records).hasSize(1);
        assertThat(records.get(0).getLevel()).isEqualTo(java.util.logging.Level.WARNING);
        assertThat(records.get(0).getMessage()).contains("when-" + run + "' (java.time.Instant)", "nan-" + run + "' (java.lang.Double)",
                "loop-" + run + "' (java.util.HashMap)").doesNotContain("kept-" + run, "02:00:00", "NaN");
    }

    @Test
    @DisplayName("a hand-built list saved long after a read on the same thread is diffed against the current window: nothing appended twice")
    void handBuiltListAfterAnOlderReadOnTheSameThread() throws Exception {
        repository.saveAll("k", List.of(new UserMessage("u1")));
        assertThat(repository.findByConversationId("k")).hasSize(1);
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            other.submit(() -> repository.saveAll("k", List.of(new UserMessage("u1"), new AssistantMessage("a1")))).get(30, TimeUnit.SECONDS);
        } finally {
            other.shutdown();
        }
        repository.saveAll("k", List.of(new UserMessage("u1"), new AssistantMessage("a1"), new UserMessage("u2")));
        assertThat(shapes(repository.findByConversationId("k"))).containsExactly("USER[u1]", "ASSISTANT[a1][]", "USER[u2]");
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("k").id(), 0, 100))
                .extracting(dev.atlas.conversation.Message::content).containsExactly("u1", "a1", "u2");
    }

    @Test
    @DisplayName("two tenants on one key never see each other's conversation, ids or messages through the repository")
    void tenantsAreIsolated() {
        AtlasChatMemoryRepository other = AtlasChatMemoryRepository.of(atlas.tenant("globex"), Owner.user("42"), "support");
        repository.saveAll("same", List.of(new UserMessage("acme secret")));
        other.saveAll("same", List.of(new UserMessage("globex secret")));
        assertThat(shapes(repository.findByConversationId("same"))).containsExactly("USER[acme secret]");
        assertThat(shapes(other.findByConversationId("same"))).containsExactly("USER[globex secret]");
        // A message read from acme (carrying its Atlas id) handed to globex is a new message there, not a link to acme's row.
        List<Message> acme = repository.findByConversationId("same");
        List<Message> globex = new ArrayList<>(other.findByConversationId("same"));
        globex.add(acme.get(0));
        other.saveAll("same", globex);
        assertThat(shapes(other.findByConversationId("same"))).containsExactly("USER[globex secret]", "USER[acme secret]");
        assertThat(shapes(repository.findByConversationId("same"))).containsExactly("USER[acme secret]");
        repository.deleteByConversationId("same");
        assertThat(repository.findConversationIds()).isEmpty();
        assertThat(other.findConversationIds()).containsExactly("same");
        assertThat(shapes(other.findByConversationId("same"))).containsExactly("USER[globex secret]", "USER[acme secret]");
    }

    @Test
    @DisplayName("media round-trip through MessageWindowChatMemory: a URL as given, bytes byte for byte in an asset attached to the message")
    void mediaRoundTrip() {
        byte[] jpeg = {(byte) 0xff, (byte) 0xd8, 0, 1, 2, (byte) 0x80, 'J', 'F'};
        UserMessage look = UserMessage.builder().text("what is on these?").media(List.of(
                new org.springframework.ai.content.Media(org.springframework.util.MimeTypeUtils.IMAGE_PNG,
                        java.net.URI.create("https://example.com/a%20cat.png?size=2")),
                org.springframework.ai.content.Media.builder().mimeType(org.springframework.util.MimeTypeUtils.IMAGE_JPEG)
                        .data(jpeg).name("photo.jpg").id("m-1").build())).build();
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        memory.add("media", look);
        memory.add("media", new AssistantMessage("two cats"));

        List<Message> back = repository.findByConversationId("media");
        assertThat(shapes(back)).containsExactly("USER[what is on these?]", "ASSISTANT[two cats][]");
        List<org.springframework.ai.content.Media> media = ((UserMessage) back.get(0)).getMedia();
        assertThat(media).hasSize(2);
        assertThat(media.get(0).getMimeType()).isEqualTo(org.springframework.util.MimeTypeUtils.IMAGE_PNG);
        assertThat(media.get(0).getData()).isEqualTo("https://example.com/a%20cat.png?size=2");
        assertThat(media.get(1).getMimeType()).isEqualTo(org.springframework.util.MimeTypeUtils.IMAGE_JPEG);
        assertThat(media.get(1).getName()).isEqualTo("photo.jpg");
        assertThat(media.get(1).getId()).isEqualTo("m-1");
        assertThat(media.get(1).getData()).isEqualTo(jpeg);
        // The second add handed the user message back with its media: recognised, not appended again.
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("media").id(), 0, 10);
        assertThat(rows).extracting(dev.atlas.conversation.Message::content).containsExactly("what is on these?", "two cats");
        assertThat(tenant.assets().forMessage(rows.get(0).id())).singleElement()
                .satisfies(a -> assertThat(a.asset().mimeType()).isEqualTo("image/jpeg"));
    }

    /** A blob store in {@code dir} that counts the opens of stored bytes. */
    private static final class CountingBlobs implements dev.atlas.asset.BlobStore {
        final dev.atlas.asset.LocalDirectoryBlobStore local;
        final java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();

        CountingBlobs(java.nio.file.Path dir) {
            local = new dev.atlas.asset.LocalDirectoryBlobStore(dir);
        }

        @Override
        public dev.atlas.asset.StoredBlob put(String key, java.io.InputStream content) throws java.io.IOException {
            return local.put(key, content);
        }

        @Override
        public java.io.InputStream open(String key) throws java.io.IOException {
            opens.incrementAndGet();
            return local.open(key);
        }

        @Override
        public boolean delete(String key) throws java.io.IOException {
            return local.delete(key);
        }

        @Override
        public List<dev.atlas.asset.BlobInfo> list(String prefix) throws java.io.IOException {
            return local.list(prefix);
        }
    }

    @Test
    @DisplayName("media bytes are not read when messages are only listed (a turn reads the memory three times); read once, byte-exact, when the model uses them")
    void mediaBytesAreReadOnlyWhenUsed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        CountingBlobs blobs = new CountingBlobs(dir);
        try (Atlas counted = database().open(b -> b.blobStore(blobs))) {
            AtlasChatMemoryRepository repo = AtlasChatMemoryRepository.of(counted.tenant("acme"), Owner.user("42"), "support");
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repo).build();
            memory.add("lazy", photo("a cat?", 7));
            memory.add("lazy", new AssistantMessage("A cat."));
            blobs.opens.set(0);

            // A turn as MessageChatMemoryAdvisor makes it: get (the prompt), add(user), add(reply): three reads, two saves.
            memory.get("lazy");
            memory.add("lazy", new UserMessage("and this one?"));
            memory.add("lazy", new AssistantMessage("Also a cat."));
            List<Message> listed = memory.get("lazy");
            assertThat(blobs.opens.get()).isZero();

            org.springframework.ai.content.Media media = ((UserMessage) listed.get(0)).getMedia().get(0);
            assertThat(media.getMimeType()).isEqualTo(org.springframework.util.MimeTypeUtils.IMAGE_PNG);
            assertThat(media.getName()).isEqualTo("photo.png");
            assertThat(blobs.opens.get()).isZero();
            assertThat(media.getData()).isEqualTo(png(7));
            assertThat(media.getDataAsByteArray()).isEqualTo(png(7));
            assertThat(blobs.opens.get()).isEqualTo(1);

            // Saving the used list back stores nothing twice and reads nothing more.
            memory.add("lazy", new UserMessage("thanks"));
            assertThat(counted.tenant("acme").conversations().messages(repo.conversation("lazy").orElseThrow().id(), 0, 100)).hasSize(5);
            assertThat(blobs.opens.get()).isEqualTo(1);

            // An asset deleted between the read and the use: the use fails naming it, rather than send the message without it.
            org.springframework.ai.content.Media unused = ((UserMessage) memory.get("lazy").get(0)).getMedia().get(0);
            java.util.UUID asset = mediaAssets(counted.tenant("acme"), "lazy").get(0);
            counted.tenant("acme").assets().delete(asset);
            assertThatThrownBy(unused::getData).isInstanceOf(IllegalStateException.class).hasMessageContaining(asset.toString());
            assertThat(((UserMessage) memory.get("lazy").get(0)).getMedia()).isEmpty();
        }
    }

    @Test
    @DisplayName("a read of a window holding 4 media assets (in 3 messages) runs one statement for all of them, not one per medium:"
            + " exactly one statement more than the same window without media; each medium still reads its own bytes")
    void mediaAssetsOfAWindowAreReadInOneStatement() {
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        for (int i = 0; i < 3; i++) {
            memory.add("plain", new UserMessage("look " + i));
            memory.add("plain", new AssistantMessage("seen " + i));
            UserMessage look = i == 1
                    ? UserMessage.builder().text("look " + i).media(List.of(
                            org.springframework.ai.content.Media.builder().mimeType(org.springframework.util.MimeTypeUtils.IMAGE_PNG)
                                    .data(png(10 + i)).name("a.png").build(),
                            org.springframework.ai.content.Media.builder().mimeType(org.springframework.util.MimeTypeUtils.IMAGE_PNG)
                                    .data(png(20 + i)).name("b.png").build())).build()
                    : photo("look " + i, 10 + i);
            memory.add("photos", look);
            memory.add("photos", new AssistantMessage("seen " + i));
        }
        int plain = dev.atlas.jdbi.kit.StatementCounter.count(atlas, () -> repository.findByConversationId("plain")).statements();
        var photos = dev.atlas.jdbi.kit.StatementCounter.count(atlas, () -> repository.findByConversationId("photos"));

        assertThat(photos.statements()).isEqualTo(plain + 1);
        List<Message> read = photos.result();
        assertThat(shapes(read)).hasSize(6);
        assertThat(((UserMessage) read.get(0)).getMedia().get(0).getDataAsByteArray()).isEqualTo(png(10));
        assertThat(((UserMessage) read.get(2)).getMedia()).extracting(org.springframework.ai.content.Media::getDataAsByteArray)
                .containsExactly(png(11), png(21));
        assertThat(((UserMessage) read.get(4)).getMedia().get(0).getDataAsByteArray()).isEqualTo(png(12));
    }

    /** Reopens Atlas on a fresh database with a blob directory the test can count and a clock it can move. */
    private dev.atlas.jdbi.kit.MutableClock reopenWithBlobs(java.nio.file.Path dir) {
        atlas.close();
        database().cleanup();
        dev.atlas.jdbi.kit.MutableClock clock = new dev.atlas.jdbi.kit.MutableClock(Instant.parse("2026-03-01T10:15:30Z"));
        atlas = database().open(b -> b.clock(clock).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(dir)));
        tenant = atlas.tenant("acme");
        repository = AtlasChatMemoryRepository.of(tenant, Owner.user("42"), "support");
        return clock;
    }

    private static byte[] png(int seed) {
        byte[] bytes = new byte[300];
        new java.util.Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static UserMessage photo(String text, int seed) {
        return UserMessage.builder().text(text).media(List.of(org.springframework.ai.content.Media.builder()
                .mimeType(org.springframework.util.MimeTypeUtils.IMAGE_PNG).data(png(seed)).name("photo.png").build())).build();
    }

    private static byte[] firstMedia(List<Message> messages) {
        return (byte[]) ((UserMessage) messages.get(0)).getMedia().get(0).getData();
    }

    /** The assets attached to the messages of {@code tenant}'s conversation {@code key}. */
    private static List<java.util.UUID> mediaAssets(Tenant tenant, String key) {
        List<java.util.UUID> out = new ArrayList<>();
        for (dev.atlas.conversation.Message m : tenant.conversations().messages(tenant.conversations().requireByKey(key).id(), 0, 100)) {
            tenant.assets().forMessage(m.id()).forEach(a -> out.add(a.asset().id()));
        }
        return out;
    }

    /** Asset rows (soft-deleted ones included) matching {@code where}. */
    private long assetRows(String where) throws java.sql.SQLException {
        try (java.sql.Connection c = database().dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM atlas_assets WHERE " + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long assetRows(List<java.util.UUID> ids) throws java.sql.SQLException {
        long n = 0;
        for (java.util.UUID id : ids) {
            n += assetRows("CAST(id AS TEXT) = '" + id + "'");
        }
        return n;
    }

    private static long blobFiles(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            return files.filter(java.nio.file.Files::isRegularFile).count();
        }
    }

    @Test
    @DisplayName("deleteByConversationId then retention's purge removes the conversation's media assets, rows and bytes; other conversations and tenants keep theirs")
    void retentionPurgeRemovesMediaAssets(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        dev.atlas.jdbi.kit.MutableClock clock = reopenWithBlobs(dir);
        AtlasChatMemoryRepository globex = AtlasChatMemoryRepository.of(atlas.tenant("globex"), Owner.user("42"), "support");
        repository.saveAll("gone", List.of(photo("a cat?", 1), new AssistantMessage("A cat.")));
        repository.saveAll("kept", List.of(photo("a dog?", 2)));
        globex.saveAll("gone", List.of(photo("a bird?", 3)));
        List<java.util.UUID> gone = mediaAssets(tenant, "gone");
        assertThat(gone).hasSize(1);
        assertThat(blobFiles(dir)).isEqualTo(3);

        repository.deleteByConversationId("gone");
        clock.set(clock.instant().plus(java.time.Duration.ofDays(31)));
        tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(30)));

        assertThat(assetRows(gone)).isZero();
        assertThat(blobFiles(dir)).isEqualTo(2);
        assertThat(firstMedia(repository.findByConversationId("kept"))).isEqualTo(png(2));
        assertThat(firstMedia(globex.findByConversationId("gone"))).isEqualTo(png(3));
    }

    @Test
    @DisplayName("a refused save (closed conversation, content over the limit) leaves no media asset: no row and no bytes, at once")
    void refusedSaveLeavesNoMediaAsset(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        reopenWithBlobs(dir);
        repository.saveAll("closed", List.of(new UserMessage("hi")));
        tenant.conversations().close(tenant.conversations().requireByKey("closed").id());
        assertThatThrownBy(() -> repository.saveAll("closed", List.of(new UserMessage("hi"), photo("and this?", 4))))
                .isInstanceOf(ConflictException.class);
        // The photo's asset is written, then the message after it is refused.
        assertThatThrownBy(() -> repository.saveAll("long", List.of(photo("and this?", 5),
                new UserMessage("x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH + 1)))))
                .isInstanceOf(dev.atlas.InvalidInputException.class);
        assertThat(assetRows("1 = 1")).isZero();
        assertThat(blobFiles(dir)).isZero();
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("closed").id(), 0, 10))
                .extracting(dev.atlas.conversation.Message::content).containsExactly("hi");
    }

    @Test
    @DisplayName("a save of new messages over Atlas's batch limit (33 messages of 1,048,576 characters, more than"
            + " Limits.MAX_BATCH_LENGTH) is stored whole, in order, in several appends, and reads back")
    void aSaveOverTheBatchLengthIsAppendedInParts() {
        String mega = "x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH);
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < 33; i++) {
            save.add(i % 2 == 0 ? new UserMessage(mega) : new AssistantMessage(mega));
        }
        repository.saveAll("big", save);
        List<dev.atlas.conversation.Message> stored = tenant.conversations().messages(tenant.conversations().requireByKey("big").id(), 0, 40);
        assertThat(stored).extracting(dev.atlas.conversation.Message::sequence)
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 33).boxed().toList());
        assertThat(stored).extracting(dev.atlas.conversation.Message::role)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 33).mapToObj(i -> i % 2 == 0 ? Role.USER : Role.ASSISTANT).toList());
        assertThat(stored).allSatisfy(m -> assertThat(m.content()).isEqualTo(mega));
    }

    @Test
    @DisplayName("a save appended in parts is not one transaction (Spring AI's JdbcChatMemoryRepository's is): when the database refuses"
            + " the second part, the first (1,000 messages) stays stored and reads back, and the save throws StorageException; its"
            + " messages now carry the ids they were stored with, so the same list saved again appends only the rest, once")
    void aSaveWhosePartFailsKeepsTheEarlierPartsAndARetryStoresOnlyTheRest() throws Exception {
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            save.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        save.add(new UserMessage("refused once"));
        saveWhoseSecondPartIsRefused("parts", save);
        UUID id = tenant.conversations().requireByKey("parts").id();
        assertThat(tenant.conversations().require(id).lastSequence()).isEqualTo(1000);
        // No window was recorded (the marker rides on the last part): the newest window of messages reads back.
        // Held, so that the save diffs against this read without reading its window again.
        List<Message> read = repository.findByConversationId("parts");
        assertThat(shapes(read)).containsExactlyElementsOf(shapes(save.subList(980, 1000)));
        // The caller's messages are left as they were: what was stored is remembered by the repository, not written into them.
        assertThat(save).allSatisfy(m -> assertThat(m.getMetadata()).doesNotContainKeys("atlas_message_id", "atlas_conversation_id"));

        int before = sql.recorded().size();
        repository.saveAll("parts", save);
        // The 980 stored messages outside the window read are found at their sequences in one statement, not one each (990
        // statements in all before, 1 to 3 seconds of this test on SQLite, 20 to 90 on PostgreSQL under load).
        List<String> reads = sql.recorded().subList(before, sql.recorded().size()).stream()
                .flatMap(r -> r.callers().stream().filter(c -> c.equals("JdbiConversationStore#getMessage")
                        || c.equals("JdbiConversationStore#messages")).limit(1)).toList();
        assertThat(reads).as("message lookups of the retry").containsExactly("JdbiConversationStore#messages");
        assertThat(sql.recorded().size() - before).as("statements of the retry").isLessThan(12);
        assertThat(read).hasSize(20);

        assertThat(tenant.conversations().require(id).lastSequence()).isEqualTo(1001);
        List<dev.atlas.conversation.Message> stored = new ArrayList<>(tenant.conversations().messages(id, 0, 1000));
        stored.addAll(tenant.conversations().messages(id, 1000, 10));
        assertThat(stored).extracting(dev.atlas.conversation.Message::content)
                .containsExactlyElementsOf(save.stream().map(Message::getText).toList());
        assertThat(shapes(repository.findByConversationId("parts"))).containsExactlyElementsOf(shapes(save));
    }

    @Test
    @DisplayName("messages of a partly stored save deleted before its retry (one in the middle, the newest stored) stay deleted: the"
            + " retry appends only the refused rest, bringing neither back")
    void messagesOfAPartlyStoredSaveDeletedBeforeItsRetryStayDeleted() throws Exception {
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            save.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        save.add(new UserMessage("refused once"));
        saveWhoseSecondPartIsRefused("moderated", save);
        UUID id = tenant.conversations().requireByKey("moderated").id();
        // u4 at sequence 5, and a999 at sequence 1000, the conversation's last: at or below it, an empty sequence was deleted.
        for (long sequence : new long[] {5, 1000}) {
            tenant.conversations().deleteMessage(tenant.conversations().messages(id, sequence - 1, 1).get(0).id());
        }

        repository.saveAll("moderated", save);

        // 999 live messages: one page.
        List<dev.atlas.conversation.Message> stored = tenant.conversations().messages(id, 0, 1000);
        List<String> expected = save.stream().map(Message::getText).filter(t -> !t.equals("u4") && !t.equals("a999")).toList();
        assertThat(stored).extracting(dev.atlas.conversation.Message::content).containsExactlyElementsOf(expected);
        assertThat(stored.get(stored.size() - 1).sequence()).isEqualTo(1001);
    }

    @Test
    @DisplayName("a retry of a partly stored save holding a recorded model answer whose media Atlas stores cleaned (a NUL in its URL)"
            + " recognises that answer as stored, as every other message of the stored part: the retry appends the refused rest alone")
    void aRetryRecognisesAStoredAnswerWhoseMediaWereCleaned() throws Exception {
        UUID conversation = repository.ensureConversation("cleaned").id();
        dev.atlas.execution.ExecutionHandle exec = tenant.executions().start(
                dev.atlas.execution.ExecutionSpec.text("scripted", "scripted-1").conversation(conversation));
        dev.atlas.execution.StepHandle step = exec.step();
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            save.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        // What the model sent: tagged by the recording advisor; its URL is stored cleaned, from a copy of the message.
        save.set(11, AssistantMessage.builder().content("a11").properties(java.util.Map.of(SpringMessages.EXECUTION_ID, exec.id().toString(),
                SpringMessages.STEP_ID, step.id().toString())).media(List.of(org.springframework.ai.content.Media.builder()
                .mimeType(org.springframework.util.MimeTypeUtils.IMAGE_PNG).data("https://x.test/a\u0000b.png").build())).build());
        save.add(new UserMessage("refused once"));
        saveWhoseSecondPartIsRefused("cleaned", save);

        // Before: the copy was remembered, not the caller's answer, which was then new among stored messages (ConflictException).
        repository.saveAll("cleaned", save);

        List<dev.atlas.conversation.Message> stored = new ArrayList<>(tenant.conversations().messages(conversation, 0, 1000));
        stored.addAll(tenant.conversations().messages(conversation, 1000, 10));
        assertThat(stored).extracting(dev.atlas.conversation.Message::content)
                .containsExactlyElementsOf(save.stream().map(Message::getText).toList());
        assertThat(stored.get(11).executionId()).isEqualTo(exec.id());
    }

    @Test
    @DisplayName("the same message objects saved at once by two threads to two conversations, each save's second part refused, are"
            + " each retried once: both conversations hold the list once, in order; the caller's messages are not written to")
    void theSameMessagesPartlySavedToTwoConversationsAtOnceAreRetriedOnceEach() throws Exception {
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            save.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        save.add(new UserMessage("refused once"));
        List<String> keys = List.of("left", "right");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            refusingSecondParts(() -> {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                List<Future<Throwable>> saves = new ArrayList<>();
                for (String key : keys) {
                    saves.add(pool.submit(() -> {
                        start.await();
                        try {
                            repository.saveAll(key, save);
                            return null;
                        } catch (RuntimeException e) {
                            return e;
                        }
                    }));
                }
                for (Future<Throwable> f : saves) {
                    assertThat(f.get(120, TimeUnit.SECONDS)).isInstanceOf(dev.atlas.StorageException.class)
                            .hasMessageContaining("refused by test trigger");
                }
                return null;
            });
            assertThat(save).allSatisfy(m -> assertThat(m.getMetadata()).doesNotContainKeys("atlas_message_id", "atlas_conversation_id"));
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            List<Future<?>> retries = new ArrayList<>();
            for (String key : keys) {
                retries.add(pool.submit(() -> {
                    start.await();
                    repository.saveAll(key, save);
                    return null;
                }));
            }
            for (Future<?> f : retries) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (String key : keys) {
            UUID id = tenant.conversations().requireByKey(key).id();
            List<dev.atlas.conversation.Message> stored = new ArrayList<>(tenant.conversations().messages(id, 0, 1000));
            stored.addAll(tenant.conversations().messages(id, 1000, 1000));
            assertThat(stored).as(key).extracting(dev.atlas.conversation.Message::content)
                    .containsExactlyElementsOf(save.stream().map(Message::getText).toList());
        }
        assertThat(save).allSatisfy(m -> assertThat(m.getMetadata()).doesNotContainKeys("atlas_message_id", "atlas_conversation_id"));
    }

    @Test
    @DisplayName("the message objects of a save whose second part was refused are remembered for a retry only while the caller"
            + " holds them: once it drops the list, the repository keeps none of them alive")
    void messagesOfAPartlyStoredSaveAreNotKeptAliveByTheRepository() throws Exception {
        java.lang.ref.WeakReference<Message> first = partlySavedAndDropped();
        for (int i = 0; i < 100 && first.get() != null; i++) {
            System.gc();
        }
        assertThat(first.get()).as("a message of the dropped list").isNull();
        // The repository still takes saves to that conversation afterwards.
        repository.saveAll("dropped", List.of(new UserMessage("next")));
        assertThat(tenant.conversations().require(tenant.conversations().requireByKey("dropped").id()).lastSequence()).isEqualTo(1001);
    }

    /** Saves 1,001 messages under "dropped", the last refused, and returns a weak reference to the first; the list is dropped. */
    private java.lang.ref.WeakReference<Message> partlySavedAndDropped() throws Exception {
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            save.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
        }
        save.add(new UserMessage("refused once"));
        saveWhoseSecondPartIsRefused("dropped", save);
        return new java.lang.ref.WeakReference<>(save.get(0));
    }

    @Test
    @DisplayName("a save appended in parts inside an application's transaction Atlas joins is all or none: when its second part is"
            + " refused and the application rolls back, nothing of it stays; the same messages saved again are all stored, once,"
            + " also when another writer appends to the conversation while the retry weighs what it remembers")
    void aPartlyStoredSaveRolledBackWithTheApplicationsTransactionIsStoredWholeByItsRetry() throws Exception {
        boolean postgres = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
        dev.atlas.jdbi.kit.ApplicationTransactions app = new dev.atlas.jdbi.kit.ApplicationTransactions(database(), postgres);
        try (Atlas joined = Atlas.builder().dataSource(app.dataSource()).migrate(false).build()) {
            AtlasChatMemoryRepository memory = AtlasChatMemoryRepository.of(joined.tenant("acme"), Owner.user("42"), "support");
            memory.saveAll("rolled", List.of(new UserMessage("hello")));
            List<Message> turn = new ArrayList<>();
            for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
                turn.add(i % 2 == 0 ? new UserMessage("u" + i) : new AssistantMessage("a" + i));
            }
            turn.add(new UserMessage("refused once"));
            refusingSecondParts(() -> app.in(java.sql.Connection.TRANSACTION_READ_COMMITTED, () -> {
                List<Message> save = new ArrayList<>(memory.findByConversationId("rolled"));
                save.addAll(turn);
                assertThatThrownBy(() -> memory.saveAll("rolled", save)).isInstanceOf(dev.atlas.StorageException.class)
                        .hasMessageContaining("refused by test trigger");
                return null;
            }));
            UUID id = tenant.conversations().requireByKey("rolled").id();
            assertThat(tenant.conversations().messages(id, 0, 10)).extracting(dev.atlas.conversation.Message::content).containsExactly("hello");

            List<Message> retry = new ArrayList<>(memory.findByConversationId("rolled"));
            retry.addAll(turn);
            // Another writer appends while the retry weighs the remembered messages, between its read of their sequences and
            // its read of the conversation's last sequence: it takes sequence 2, where u0 was stored before the rollback.
            java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
            ((dev.atlas.jdbi.internal.JdbiAtlas) joined).db().decorateConnections(c -> beforeRun(c, () -> {
                if (StackWalker.getInstance().walk(f -> f.anyMatch(x -> x.getClassName().equals(AtlasChatMemoryRepository.class.getName())
                        && x.getMethodName().equals("save"))) && StackWalker.getInstance().walk(f -> f.anyMatch(x -> x.getMethodName().equals("get")
                        && x.getClassName().endsWith("JdbiConversationStore"))) && armed.getAndSet(false)) {
                    tenant.conversations().append(id, dev.atlas.conversation.NewMessage.user("meanwhile"));
                }
            }));
            memory.saveAll("rolled", retry);
            assertThat(armed).as("the other writer appended").isFalse();

            List<dev.atlas.conversation.Message> stored = new ArrayList<>(tenant.conversations().messages(id, 0, 1000));
            stored.addAll(tenant.conversations().messages(id, 1000, 10));
            List<String> expected = new ArrayList<>(List.of("hello", "meanwhile"));
            turn.forEach(m -> expected.add(m.getText()));
            // Before: u0 was skipped as deleted (its sequence at or below the last one read after the other append, and empty in
            // the read before it).
            assertThat(stored).extracting(dev.atlas.conversation.Message::content).containsExactlyElementsOf(expected);
        }
    }

    /** Saves {@code save}, whose last message starts "refused once", under {@code key}: the database refuses that message (the second part). */
    private void saveWhoseSecondPartIsRefused(String key, List<Message> save) throws Exception {
        refusingSecondParts(() -> {
            assertThatThrownBy(() -> repository.saveAll(key, save)).isInstanceOf(dev.atlas.StorageException.class)
                    .hasMessageContaining("refused by test trigger");
            return null;
        });
    }

    /** Runs {@code body} while the database refuses every message whose text starts "refused once" (a trigger, dropped after). */
    private void refusingSecondParts(java.util.concurrent.Callable<Void> body) throws Exception {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String p = db.prefix();
        boolean sqlite = db.dialect() == dev.atlas.jdbi.internal.Dialect.SQLITE;
        // A real refusal by the database of the second part's one message: a trigger, dropped before the retry.
        if (sqlite) {
            db.write(h -> dev.atlas.jdbi.kit.AdHoc.execute(h, "CREATE TRIGGER " + p + "refuse BEFORE INSERT ON " + p + "messages"
                    + " WHEN NEW.content LIKE 'refused once%' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"));
        } else {
            db.write(h -> dev.atlas.jdbi.kit.AdHoc.execute(h, "CREATE OR REPLACE FUNCTION " + p + "refuse() RETURNS trigger LANGUAGE plpgsql"
                    + " AS $$ BEGIN IF NEW.content LIKE 'refused once%' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; RETURN NEW; END $$"));
            db.write(h -> dev.atlas.jdbi.kit.AdHoc.execute(h, "CREATE TRIGGER " + p + "refuse BEFORE INSERT ON " + p + "messages"
                    + " FOR EACH ROW EXECUTE FUNCTION " + p + "refuse()"));
        }
        try {
            body.call();
        } finally {
            db.write(h -> dev.atlas.jdbi.kit.AdHoc.execute(h, sqlite ? "DROP TRIGGER " + p + "refuse" : "DROP TRIGGER " + p + "refuse ON " + p + "messages"));
        }
    }

    @Test
    @DisplayName("a save appended in parts holding one message object twice (which cannot carry two ids): after its second part was"
            + " refused, none of its messages is tagged, and the same list saved again is matched by content against the stored"
            + " window, appending the refused message alone, not refused as reordering stored messages")
    void aRetryOfAPartlyStoredSaveHoldingOneMessageTwiceIsMatchedByContent() throws Exception {
        // Sixteen messages of 1 MB: the first fifteen fill the first part, the last (refused) is the second.
        List<Message> save = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String text = (i == 15 ? "refused once" : i + " ");
            text += "x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH - text.length());
            save.add(i % 2 == 0 ? new UserMessage(text) : new AssistantMessage(text));
        }
        save.set(7, save.get(3));
        saveWhoseSecondPartIsRefused("twice", save);
        UUID id = tenant.conversations().requireByKey("twice").id();
        assertThat(tenant.conversations().require(id).lastSequence()).isEqualTo(15);

        assertThat(save.stream().filter(m -> m.getMetadata().containsKey("atlas_message_id")).count()).as("messages tagged").isZero();

        repository.saveAll("twice", save);

        java.util.function.Function<String, String> head = text -> text.substring(0, text.indexOf('x'));
        assertThat(tenant.conversations().messages(id, 0, 40)).extracting(m -> head.apply(m.content()))
                .containsExactlyElementsOf(save.stream().map(m -> head.apply(m.getText())).toList());
    }

    /** A user message whose stored metadata is {@code length} characters as JSON. */
    private static UserMessage withMetadataOf(int length, String text) {
        int empty = SpringMessages.write(SpringMessages.checked(0, UserMessage.builder().text(text)
                .metadata(java.util.Map.of("big", "")).build()).metadata()).length();
        return UserMessage.builder().text(text).metadata(java.util.Map.of("big", "x".repeat(length - empty))).build();
    }

    @Test
    @DisplayName("a message whose metadata is at Atlas's limit (262,144 characters as JSON) is stored and reads back, although the"
            + " window marker has no room in it; the window stays right over the next saves")
    void metadataAtTheLimitIsStored() {
        UserMessage full = withMetadataOf(dev.atlas.Limits.MAX_METADATA_LENGTH, "full");
        repository.saveAll("limit", List.of(full));
        assertThat(repository.findByConversationId("limit")).singleElement()
                .satisfies(m -> assertThat(m.getMetadata()).containsEntry("big", full.getMetadata().get("big")));
        // Turn by turn as Spring AI's in-memory repository (whose window rules differ between 1.1 and 2.0).
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(2).build();
        ChatMemory reference = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).maxMessages(2).build();
        reference.add("limit", full);
        for (Message next : List.of(new AssistantMessage("a1"), withMetadataOf(dev.atlas.Limits.MAX_METADATA_LENGTH, "full again"),
                new AssistantMessage("a2"), new UserMessage("u3"))) {
            memory.add("limit", next);
            reference.add("limit", next);
            assertThat(shapes(memory.get("limit"))).as(next.getText()).isEqualTo(shapes(reference.get("limit")));
        }
    }

    @Test
    @DisplayName("a message whose metadata fits only without its media's description is refused naming messages[i].metadata"
            + " before anything is written: no conversation, no asset")
    void mediaDescriptionOverTheMetadataLimitRefusedBeforeAnyWrite(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        reopenWithBlobs(dir);
        UserMessage full = withMetadataOf(dev.atlas.Limits.MAX_METADATA_LENGTH - 20, "look");
        UserMessage message = UserMessage.builder().text("look").metadata(full.getMetadata()).media(photo("look", 1).getMedia()).build();
        assertThatThrownBy(() -> repository.saveAll("described", List.of(message)))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("messages[0].metadata"));
        assertThat(repository.findConversationIds()).isEmpty();
        assertThat(assetRows("1 = 1")).isZero();
        assertThat(blobFiles(dir)).isZero();
    }

    /**
     * {@code target}, except that while {@code failing} is set, preparing a statement that writes a
     * message's attachment fails as a broken connection would.
     */
    private static javax.sql.DataSource failingAttachments(javax.sql.DataSource target, java.util.concurrent.atomic.AtomicBoolean failing) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(SpringAiChatMemoryContract.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    if (!"getConnection".equals(method.getName())) {
                        return result;
                    }
                    java.sql.Connection connection = (java.sql.Connection) result;
                    return java.lang.reflect.Proxy.newProxyInstance(SpringAiChatMemoryContract.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (c, m, a) -> {
                                if ("unwrap".equals(m.getName()) && a[0] == java.sql.Connection.class) {
                                    return c;
                                }
                                if (m.getName().startsWith("prepare") && failing.get() && a[0] instanceof String sql
                                        && sql.toLowerCase(java.util.Locale.ROOT).matches("(?s)\\s*(insert into|update)\\s+\\S*message_assets\\b.*")) {
                                    throw new java.sql.SQLException("connection reset");
                                }
                                return invoke(connection, m, a);
                            });
                });
    }

    /** {@code target}, running {@code hook} before each statement it prepared is run. */
    private static java.sql.Connection beforeRun(java.sql.Connection target, Runnable hook) {
        return (java.sql.Connection) java.lang.reflect.Proxy.newProxyInstance(SpringAiChatMemoryContract.class.getClassLoader(),
                new Class<?>[] {java.sql.Connection.class}, (c, m, a) -> {
                    Object result = invoke(target, m, a);
                    if (!m.getName().startsWith("prepare") || !(result instanceof java.sql.PreparedStatement ps)) {
                        return result;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(SpringAiChatMemoryContract.class.getClassLoader(),
                            new Class<?>[] {java.sql.PreparedStatement.class}, (p, pm, pa) -> {
                                if (pm.getName().startsWith("execute") && (pa == null || pa.length == 0)) {
                                    hook.run();
                                }
                                return invoke(ps, pm, pa);
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    @DisplayName("an attach that fails after the append (messages stored) discards the media asset: the save succeeds, the message reads back without it, no asset row and no bytes are left")
    void failedAttachLeavesNoLiveAsset(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        try (Atlas faulty = Atlas.builder().dataSource(failingAttachments(database().dataSource(), failing))
                .blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(dir)).build()) {
            AtlasChatMemoryRepository repo = AtlasChatMemoryRepository.of(faulty.tenant("acme"), Owner.user("42"), "support");
            failing.set(true);
            repo.saveAll("attach", List.of(photo("a cat?", 6), new AssistantMessage("A cat.")));
            failing.set(false);

            assertThat(repo.findByConversationId("attach")).extracting(Message::getText).containsExactly("a cat?", "A cat.");
            assertThat(((UserMessage) repo.findByConversationId("attach").get(0)).getMedia()).isEmpty();
            assertThat(assetRows("1 = 1")).isZero();
            assertThat(blobFiles(dir)).isZero();
        }
    }

    @Test
    @DisplayName("a message Atlas cannot store (NUL, lone surrogate, too long, too deep) is refused naming messages[i] and its part"
            + " before anything is written: no conversation is created, no id listed, an existing one gets nothing")
    void unstorableMessageRefusedBeforeAnyWrite() {
        // Message metadata is {spring_ai: {metadata: <the message's>}}: the message's map is 3 levels deep.
        java.util.Map<String, Object> deepest = nested(dev.atlas.Limits.MAX_JSON_DEPTH - 3);
        java.util.Map<String, Object> deep = nested(dev.atlas.Limits.MAX_JSON_DEPTH - 2);
        repository.saveAll("deepest", List.of(UserMessage.builder().text("m").metadata(deepest).build()));
        assertThat(repository.findByConversationId("deepest").get(0).getMetadata()).containsEntry("k", deepest.get("k"));
        repository.deleteByConversationId("deepest");
        ToolResponseMessage nulResponse = ToolResponseMessage.builder()
                .responses(List.of(new ToolResponseMessage.ToolResponse("c1", "lookup", "ok\u0000"))).build();
        AssistantMessage nulArguments = AssistantMessage.builder().content("")
                .toolCalls(List.of(new AssistantMessage.ToolCall("c1", "function", "lookup", "{\"q\":\"\u0000\"}"))).build();
        Object[][] cases = {
                {List.of(new UserMessage("fine"), new UserMessage("a\u0000b")), "messages[1].text",
                        "contains a NUL character (U+0000) at index 1, which databases cannot store"},
                {List.of(new AssistantMessage("a\uD800")), "messages[0].text", "contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode"},
                {List.of(new UserMessage("x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH + 1))), "messages[0].text",
                        "is 1048577 characters; at most 1048576 are allowed"},
                {List.of(UserMessage.builder().text("m").metadata(java.util.Map.of("note", "\u0000")).build()), "messages[0].metadata",
                        "contains a NUL character (U+0000) at index 0, which databases cannot store"},
                {List.of(UserMessage.builder().text("m").metadata(java.util.Map.of("k\uDC00", "v")).build()), "messages[0].metadata",
                        "contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode"},
                {List.of(UserMessage.builder().text("m").metadata(deep).build()), "messages[0].metadata",
                        "nests deeper than " + dev.atlas.Limits.MAX_JSON_DEPTH + " levels"},
                // Far deeper (a provider's runaway nesting): refused alike, not a StackOverflowError while sorting out what is JSON.
                {List.of(UserMessage.builder().text("m").metadata(java.util.Map.of("k", nestedList(10_000))).build()), "messages[0].metadata",
                        "nests deeper than " + dev.atlas.Limits.MAX_JSON_DEPTH + " levels"},
                {List.of(UserMessage.builder().text("m").metadata(java.util.Map.of("big", "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH))).build()),
                        "messages[0].metadata", "is more than " + dev.atlas.Limits.MAX_METADATA_LENGTH + " characters as JSON"},
                {List.of(new UserMessage("q"), nulArguments), "messages[1].toolCalls",
                        "contains a NUL character (U+0000) at index 6, which databases cannot store"},
                {List.of(new UserMessage("q"), nulResponse), "messages[1].responses",
                        "contains a NUL character (U+0000) at index 2, which databases cannot store"},
                {List.of(UserMessage.builder().text("look").media(List.of(new org.springframework.ai.content.Media(
                        org.springframework.util.MimeTypeUtils.IMAGE_PNG, java.net.URI.create("https://example.com/a.png")))).build(),
                        UserMessage.builder().text("look").media(List.of(org.springframework.ai.content.Media.builder()
                                .mimeType(org.springframework.util.MimeTypeUtils.IMAGE_PNG).data("https://example.com/\u0000.png").build())).build()),
                        "messages[1].media[0]", "contains a NUL character (U+0000) at index 20, which databases cannot store"}};
        repository.saveAll("existing", List.of(new UserMessage("kept")));
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            List<Message> messages = (List<Message>) c[0];
            for (String key : new String[] {"fresh", "existing"}) {
                assertThatThrownBy(() -> repository.saveAll(key, messages)).as("%s into %s", c[1], key)
                        .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> {
                            assertThat(e.field()).isEqualTo(c[1]);
                            assertThat(e.getMessage()).isEqualTo(c[1] + ": " + c[2]);
                        });
            }
            assertThat(repository.findConversationIds()).as((String) c[1]).containsExactly("existing");
            assertThat(tenant.conversations().getByKey("fresh")).isEmpty();
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("existing").id(), 0, 10))
                    .extracting(dev.atlas.conversation.Message::content).containsExactly("kept");
        }
    }

    /** {@code levels} lists, each holding the next, the innermost holding {@code "leaf"}. */
    private static Object nestedList(int levels) {
        Object value = "leaf";
        for (int i = 0; i < levels; i++) {
            value = List.of(value);
        }
        return value;
    }

    /** A model (naming none in its options) that answers every call and stream with {@code answer}. */
    private static org.springframework.ai.chat.model.ChatModel answering(org.springframework.ai.chat.model.ChatResponse answer) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                return answer;
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.just(answer);
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().build();
            }
        };
    }

    @Test
    @DisplayName("an answer Atlas cannot store as is (NUL, lone surrogate, longer than a column; a model name and response id with a NUL,"
            + " longer than a key) reaches the caller unchanged, call and stream; the recording keeps a cleaned copy")
    void unstorableAnswerIsRecordedCleaned() {
        int max = dev.atlas.Limits.MAX_CONTENT_LENGTH;
        String text = "a\u0000b\uD800c" + "z".repeat(max);
        org.springframework.ai.chat.model.ChatResponse answer = new org.springframework.ai.chat.model.ChatResponse(
                List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage(text))),
                org.springframework.ai.chat.metadata.ChatResponseMetadata.builder().id("r\u0000" + "y".repeat(300))
                        .model("m\u0000" + "x".repeat(300)).build());
        ChatClient client = ChatClient.builder(answering(answer)).defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "odd", "hi")).isEqualTo(text);
        assertThat(String.join("", client.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "odd-stream"))
                .stream().content().collectList().block(java.time.Duration.ofMinutes(1)))).isEqualTo(text);
        for (String key : new String[] {"odd", "odd-stream"}) {
            List<Execution> executions = tenant.executions()
                    .list(ExecutionQuery.all().conversation(tenant.conversations().requireByKey(key).id())).items();
            assertThat(executions).as(key).singleElement().satisfies(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                assertThat(e.model()).isEqualTo("m\uFFFD" + "x".repeat(253));
                assertThat(e.providerResponseId()).isEqualTo("r\uFFFD" + "y".repeat(253));
                assertThat(tenant.executions().tree(e.id()).orElseThrow().steps()).singleElement()
                        .satisfies(s -> assertThat(s.content()).isEqualTo("a\uFFFDb\uFFFDc" + "z".repeat(max - 5)));
            });
        }
    }

    @Test
    @DisplayName("tool calls Atlas cannot store as sent (NUL, lone surrogate, blank or long id and name; arguments not JSON, with a NUL escape,"
            + " too deep, too long, beyond jsonb) are recorded as storable copies, arguments as {\"unparsed\": ...}: the call fails only for Spring AI's reason")
    void unstorableToolCallsAreRecordedCleaned() {
        int max = dev.atlas.Limits.MAX_CONTENT_LENGTH;
        String deep = "[".repeat(dev.atlas.Limits.MAX_JSON_DEPTH + 1) + "]".repeat(dev.atlas.Limits.MAX_JSON_DEPTH + 1);
        String escaped = "{\"q\":\"\\u0000\"}";
        String longArgs = "\"" + "x".repeat(max) + "\"";
        AssistantMessage asks = AssistantMessage.builder().content("").toolCalls(List.of(
                new AssistantMessage.ToolCall("c\u0000", "function", "launch_rocket", "{\"q\":\"\u0000\"}"),
                new AssistantMessage.ToolCall("i".repeat(300), "function", " ", deep),
                new AssistantMessage.ToolCall("c3", "function", "look\uD800", escaped),
                new AssistantMessage.ToolCall("c4", "function", "n".repeat(300), longArgs),
                new AssistantMessage.ToolCall("c5", "function", "plain", "not json"),
                // Valid JSON that PostgreSQL's jsonb cannot hold: refused by Atlas on both databases, so kept as unparsed.
                new AssistantMessage.ToolCall("c6", "function", "plain", "{\"q\":\"\\ud800\",\"n\":1e131072}"))).build();
        org.springframework.ai.chat.model.ChatResponse answer = new org.springframework.ai.chat.model.ChatResponse(
                List.of(new org.springframework.ai.chat.model.Generation(asks)),
                org.springframework.ai.chat.metadata.ChatResponseMetadata.builder().model("scripted-1").build());
        ChatClient client = ChatClient.builder(answering(answer)).defaultTools(new OrderTools())
                .defaultAdvisors(AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        // Spring AI's tool loop refuses the unknown tool; nothing of Atlas's fails the call.
        assertThatThrownBy(() -> say(client, "tools", "go")).isNotInstanceOf(dev.atlas.AtlasException.class)
                .hasMessageContaining("launch_rocket");
        assertThatThrownBy(() -> client.prompt().user("go").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "tools-stream"))
                .stream().content().blockLast(java.time.Duration.ofMinutes(1))).isNotInstanceOf(dev.atlas.AtlasException.class)
                .hasMessageContaining("launch_rocket");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String key : new String[] {"tools", "tools-stream"}) {
            Execution e = tenant.executions().list(ExecutionQuery.all().conversation(tenant.conversations().requireByKey(key).id()))
                    .items().get(0);
            List<dev.atlas.execution.ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
            assertThat(calls).as(key).extracting(dev.atlas.execution.ToolCall::providerCallId)
                    .containsExactly("c\uFFFD", "i".repeat(255), "c3", "c4", "c5", "c6");
            assertThat(calls).extracting(dev.atlas.execution.ToolCall::name)
                    .containsExactly("launch_rocket", "unnamed", "look\uFFFD", "n".repeat(255), "plain", "plain");
            assertThat(calls.subList(0, 3)).extracting(t -> tree(t.arguments())).containsExactly(
                    json.createObjectNode().put("unparsed", "{\"q\":\"\uFFFD\"}"),
                    json.createObjectNode().put("unparsed", deep),
                    json.createObjectNode().put("unparsed", escaped));
            com.fasterxml.jackson.databind.JsonNode cut = tree(calls.get(3).arguments());
            assertThat(calls.get(3).arguments().length()).isLessThanOrEqualTo(max);
            assertThat(cut.get("truncated").asBoolean()).isTrue();
            assertThat(longArgs).startsWith(cut.get("unparsed").asText());
            assertThat(cut.get("unparsed").asText().length()).isGreaterThan(max - 100);
            assertThat(tree(calls.get(4).arguments())).isEqualTo(json.createObjectNode().put("unparsed", "not json"));
            assertThat(tree(calls.get(5).arguments())).isEqualTo(json.createObjectNode().put("unparsed", "{\"q\":\"\\ud800\",\"n\":1e131072}"));
        }
    }

    /** A tool whose result is longer than a column. */
    public static class DumpTools {
        @org.springframework.ai.tool.annotation.Tool(description = "Dumps everything")
        public String dump() {
            return "d".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH + 10);
        }
    }

    @Test
    @DisplayName("a tool result longer than a column reaches the model whole and is recorded cut at the column's limit; the call completes")
    void overLongToolResultIsRecordedCut() {
        List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                List<Message> in = prompt.getInstructions();
                AssistantMessage out;
                if (in.get(in.size() - 1) instanceof ToolResponseMessage t) {
                    seen.add(t.getResponses().get(0).responseData().length());
                    out = new AssistantMessage("done");
                } else {
                    out = AssistantMessage.builder().content("").toolCalls(List.of(new AssistantMessage.ToolCall("d1", "function", "dump", "{}"))).build();
                }
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(out)));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
        ChatClient client = ChatClient.builder(model).defaultTools(new DumpTools())
                .defaultAdvisors(AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "dump", "dump it")).isEqualTo("done");
        // The tool's String as Spring AI sends it: a JSON string, quotes included.
        assertThat(seen).containsExactly(dev.atlas.Limits.MAX_CONTENT_LENGTH + 12);
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(tenant.executions().tree(e.id()).orElseThrow().toolCalls()).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            assertThat(t.result()).isEqualTo("\"" + "d".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH - 1));
        });
    }

    /**
     * A model (naming model {@code m}) that calls {@code dump} with a call id holding a NUL, arguments holding a lone
     * surrogate and metadata a database cannot store, then answers {@code answer}; {@code seen} gets the length of each
     * tool result it is sent.
     */
    private static org.springframework.ai.chat.model.ChatModel dumping(String answer, List<Integer> seen) {
        java.util.Map<String, Object> odd = new java.util.LinkedHashMap<>();
        odd.put("note", "n\u0000");
        odd.put("k\uDC00", "v");
        odd.put("deep", nested(dev.atlas.Limits.MAX_JSON_DEPTH));
        odd.put("id", "i".repeat(300));
        return dumping(answer, seen, odd, new AssistantMessage.ToolCall("c\u0000", "function", "dump", "{\"x\":\"\uD800\"}"));
    }

    /** A model (naming model {@code m}) that asks for {@code call} in a message with {@code metadata}, then answers {@code answer}. */
    private static org.springframework.ai.chat.model.ChatModel dumping(String answer, List<Integer> seen,
            java.util.Map<String, Object> metadata, AssistantMessage.ToolCall call) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                List<Message> in = prompt.getInstructions();
                AssistantMessage out;
                if (in.get(in.size() - 1) instanceof ToolResponseMessage t) {
                    seen.add(t.getResponses().get(0).responseData().length());
                    out = new AssistantMessage(answer);
                } else {
                    out = AssistantMessage.builder().content("").properties(metadata).toolCalls(List.of(call)).build();
                }
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(out)));
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.defer(() -> reactor.core.publisher.Flux.just(call(prompt)));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
    }

    @Test
    @DisplayName("with the chat memory on, what the model and the tool loop send that Atlas cannot store as sent (NUL, lone surrogate,"
            + " too long, too deep: text, metadata, tool calls, a tool result over 1 MiB) does not fail the call, stream or call:"
            + " the caller and the model get it unchanged, the memory keeps a cleaned copy linked to the completed execution")
    void unstorableAnswerIsKeptCleanedByTheMemory() {
        int max = dev.atlas.Limits.MAX_CONTENT_LENGTH;
        String answer = "done\u0000\uD800" + "z".repeat(max);
        List<Integer> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(dumping(answer, seen)).defaultTools(new DumpTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(),
                        AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "mem", "dump it")).isEqualTo(answer);
        assertThat(String.join("", client.prompt().user("dump it").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "mem-stream"))
                .stream().content().collectList().block(java.time.Duration.ofMinutes(1)))).isEqualTo(answer);
        // The model got the tool's whole result (a JSON string, quotes included) in the round after it.
        assertThat(seen).containsExactly(max + 12, max + 12);

        String envelope = SpringMessages.write(List.of(java.util.Map.of("id", "c\uFFFD", "name", "dump", "responseData", "")));
        String cutResult = "\"" + "d".repeat(max - envelope.length() - 2);
        for (String key : new String[] {"mem", "mem-stream"}) {
            Conversation c = tenant.conversations().requireByKey(key);
            Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items().get(0);
            assertThat(e.status()).as(key).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            List<Message> read = repository.findByConversationId(key);
            assertThat(shapes(read)).as(key).containsExactly("USER[dump it]",
                    "ASSISTANT[]" + List.of(new AssistantMessage.ToolCall("c\uFFFD", "function", "dump", "{\"x\":\"\uFFFD\"}")),
                    "TOOL" + List.of(new ToolResponseMessage.ToolResponse("c\uFFFD", "dump", cutResult)),
                    "ASSISTANT[done\uFFFD\uFFFD" + "z".repeat(max - 6) + "][]");
            assertThat(read.get(1).getMetadata()).containsEntry("note", "n\uFFFD").containsEntry("k\uFFFD", "v")
                    .containsEntry("id", "i".repeat(300)).doesNotContainKey("deep");
            List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(c.id(), 0, 10);
            assertThat(rows.get(2).content()).hasSize(max);
            assertThat(rows.subList(1, 4)).extracting(dev.atlas.conversation.Message::stepId)
                    .containsExactly(tree.steps().get(0).id(), tree.steps().get(0).id(), tree.steps().get(1).id());
        }

        // PromptChatMemoryAdvisor (Spring AI 1.1; 2.0 has none) stores the answer's text alike.
        org.springframework.ai.chat.client.advisor.api.Advisor prompting = promptChatMemoryAdvisor(
                MessageWindowChatMemory.builder().chatMemoryRepository(repository).build());
        if (prompting != null) {
            ChatClient plain = ChatClient.builder(answering(new org.springframework.ai.chat.model.ChatResponse(
                            List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage("a\u0000b"))))))
                    .defaultAdvisors(prompting).defaultAdvisors(recording.advisors()).build();
            assertThat(say(plain, "prompted", "hi")).isEqualTo("a\u0000b");
            assertThat(shapes(repository.findByConversationId("prompted"))).containsExactly("USER[hi]", "ASSISTANT[a\uFFFDb][]");
        }

        // What the application itself saves is refused as before, naming the message and its part; nothing is written.
        assertThatThrownBy(() -> memory.add("mem", new AssistantMessage("a\u0000b")))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, x -> assertThat(x.field()).isEqualTo("messages[4].text"));
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("mem").id(), 0, 10)).hasSize(4);
    }

    @Test
    @DisplayName("with the chat memory on, media in the model's answer that Atlas cannot store as sent (a NUL or lone surrogate in"
            + " a URL, id or name; a URL longer than message metadata holds) are kept as cleaned copies, the too long one left out;"
            + " the caller gets the answer unchanged")
    void unstorableMediaInTheAnswerAreKeptCleaned() {
        org.springframework.util.MimeType png = org.springframework.util.MimeTypeUtils.IMAGE_PNG;
        String tooLong = "data:image/png;base64," + "A".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH);
        AssistantMessage answer = AssistantMessage.builder().content("here").media(List.of(
                org.springframework.ai.content.Media.builder().mimeType(png).data("https://x.test/a\u0000b.png").name("n\uD800").id("i\u0000").build(),
                org.springframework.ai.content.Media.builder().mimeType(png).data(png(7)).name("p\u0000.png").id("m\uDC00").build(),
                org.springframework.ai.content.Media.builder().mimeType(png).data(tooLong).name("big").build())).build();
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(answering(new org.springframework.ai.chat.model.ChatResponse(
                        List.of(new org.springframework.ai.chat.model.Generation(answer)))))
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()).defaultAdvisors(recording.advisors()).build();

        org.springframework.ai.chat.model.ChatResponse got = client.prompt().user("draw")
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "drawn")).call().chatResponse();
        assertThat(got.getResult().getOutput().getMedia()).extracting(org.springframework.ai.content.Media::getData)
                .containsExactly("https://x.test/a\u0000b.png", png(7), tooLong);

        List<Message> read = repository.findByConversationId("drawn");
        assertThat(shapes(read)).containsExactly("USER[draw]", "ASSISTANT[here][]");
        List<org.springframework.ai.content.Media> kept = ((AssistantMessage) read.get(1)).getMedia();
        assertThat(kept).extracting(org.springframework.ai.content.Media::getName).containsExactly("n\uFFFD", "p\uFFFD.png");
        assertThat(kept).extracting(org.springframework.ai.content.Media::getId).containsExactly("i\uFFFD", "m\uFFFD");
        assertThat(kept.get(0).getData()).isEqualTo("https://x.test/a\uFFFDb.png");
        assertThat(kept.get(1).getData()).isEqualTo(png(7));
        Conversation c = tenant.conversations().requireByKey("drawn");
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement()
                .extracting(dev.atlas.execution.Execution::status).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);

        // The same media saved by the application itself are refused as before, naming the medium; nothing is written.
        assertThatThrownBy(() -> memory.add("drawn", AssistantMessage.builder().content("mine").media(answer.getMedia()).build()))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, x -> assertThat(x.field()).isEqualTo("messages[2].media[0]"));
        assertThat(tenant.conversations().messages(c.id(), 0, 10)).hasSize(2);
    }

    @Test
    @DisplayName("with the chat memory on, an answer whose metadata and tool arguments are larger than message metadata holds: the"
            + " memory leaves out the largest metadata entry, then cuts the arguments until it fits with room for the window marker")
    void oversizedAnswerMetadataIsKeptCut() {
        int budget = dev.atlas.Limits.MAX_METADATA_LENGTH - SpringMessages.MARKER_ROOM;
        String arguments = "{\"x\":\"" + "a".repeat(budget) + "\"}";
        java.util.Map<String, Object> metadata = new java.util.LinkedHashMap<>();
        metadata.put("big", "b".repeat(budget));
        metadata.put("small", "s");
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(dumping("done", new ArrayList<>(), metadata,
                        new AssistantMessage.ToolCall("c1", "function", "dump", arguments))).defaultTools(new DumpTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(),
                        AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "big", "dump it")).isEqualTo("done");
        AssistantMessage asked = (AssistantMessage) repository.findByConversationId("big").get(1);
        assertThat(asked.getMetadata()).containsEntry("small", "s").doesNotContainKey("big");
        String kept = asked.getToolCalls().get(0).arguments();
        assertThat(arguments).startsWith(kept);
        java.util.Map<String, Object> row = new java.util.LinkedHashMap<>(tenant.conversations()
                .messages(tenant.conversations().requireByKey("big").id(), 0, 10).get(1).metadata());
        row.remove(AtlasChatMemoryRepository.WINDOW);
        assertThat(SpringMessages.write(row)).hasSize(budget);
    }

    /** Spring AI 1.1's {@code PromptChatMemoryAdvisor} on {@code memory}; null on 2.0, which has none. */
    private static org.springframework.ai.chat.client.advisor.api.Advisor promptChatMemoryAdvisor(ChatMemory memory) {
        try {
            Object builder = Class.forName("org.springframework.ai.chat.client.advisor.PromptChatMemoryAdvisor")
                    .getMethod("builder", ChatMemory.class).invoke(null, memory);
            return (org.springframework.ai.chat.client.advisor.api.Advisor) builder.getClass().getMethod("build").invoke(builder);
        } catch (ClassNotFoundException e) {
            return null;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static com.fasterxml.jackson.databind.JsonNode tree(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(json, e);
        }
    }

    /** A map with {@code levels} maps nested below it, each under "k". */
    private static java.util.Map<String, Object> nested(int levels) {
        java.util.Map<String, Object> top = new java.util.HashMap<>();
        java.util.Map<String, Object> inner = top;
        for (int d = 0; d < levels; d++) {
            java.util.Map<String, Object> next = new java.util.HashMap<>();
            inner.put("k", next);
            inner = next;
        }
        return top;
    }

    @Test
    @DisplayName("a recording advisor given another tenant's chat memory is refused at construction naming conversations, not at"
            + " the first call, which would fail")
    void recordingOnAnotherTenantsMemoryIsRefused() {
        assertThatThrownBy(() -> AtlasRecordingAdvisor.of(atlas.tenant("other"), repository, "scripted", null))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> {
                    assertThat(e.field()).isEqualTo("conversations");
                    assertThat(e.getMessage()).isEqualTo("conversations: is the chat memory of tenant acme, not of other");
                });
        assertThat(AtlasRecordingAdvisor.of(atlas.tenant("acme"), repository, "scripted", null)).isNotNull();
    }

    @Test
    @DisplayName("findConversationIds lists keys; delete frees the key for a new conversation")
    void idsAndDelete() {
        repository.saveAll("a", List.of(new UserMessage("x")));
        repository.saveAll("b", List.of(new UserMessage("y")));
        assertThat(repository.findConversationIds()).containsExactlyInAnyOrder("a", "b");
        Conversation before = tenant.conversations().requireByKey("a");
        repository.deleteByConversationId("a");
        assertThat(repository.findByConversationId("a")).isEmpty();
        assertThat(repository.findConversationIds()).containsExactly("b");
        repository.saveAll("a", List.of(new UserMessage("z")));
        assertThat(tenant.conversations().requireByKey("a").id()).isNotEqualTo(before.id());
        assertThat(shapes(repository.findByConversationId("a"))).containsExactly("USER[z]");
    }

    @Test
    @DisplayName("findConversationIds lists every id the repository reads, saves and deletes: the tenant's keys, whatever agent or owner created them")
    void idsAreTheTenantsWhateverTheAgent() {
        AtlasChatMemoryRepository sales = AtlasChatMemoryRepository.of(tenant, Owner.user("7"), "sales");
        AtlasChatMemoryRepository none = AtlasChatMemoryRepository.of(tenant, Owner.user("42"), null);
        repository.saveAll("s", List.of(new UserMessage("support's")));
        sales.saveAll("b", List.of(new UserMessage("sales'")));
        tenant.conversations().ensure("api", dev.atlas.conversation.NewConversation.of(Owner.user("9")));
        tenant.conversations().create(dev.atlas.conversation.NewConversation.of(Owner.user("9")));
        for (AtlasChatMemoryRepository r : List.of(repository, sales, none)) {
            // Each reads every one of these ids (the agent is what a new conversation carries, as the owner is): it lists them all.
            assertThat(shapes(r.findByConversationId("s"))).containsExactly("USER[support's]");
            assertThat(shapes(r.findByConversationId("b"))).containsExactly("USER[sales']");
            assertThat(new java.util.TreeSet<>(r.findConversationIds())).containsExactly("api", "b", "s");
        }
        sales.deleteByConversationId("s");
        assertThat(new java.util.TreeSet<>(repository.findConversationIds())).containsExactly("api", "b");
        assertThat(tenant.conversations().getByKey("s")).isEmpty();
    }

    @Test
    @DisplayName("a save after deleteByConversationId starts a new conversation, even when the conversation was read before the delete")
    void saveAfterDeleteOfAReadConversation() throws Exception {
        repository.saveAll("r", List.of(new UserMessage("old")));
        Conversation old = tenant.conversations().requireByKey("r");
        // Same thread: read, delete, save (a hand-built list, as after ChatMemory.clear).
        assertThat(shapes(repository.findByConversationId("r"))).containsExactly("USER[old]");
        repository.deleteByConversationId("r");
        repository.saveAll("r", List.of(new UserMessage("new")));
        Conversation renewed = tenant.conversations().requireByKey("r");
        assertThat(renewed.id()).isNotEqualTo(old.id());
        assertThat(shapes(repository.findByConversationId("r"))).containsExactly("USER[new]");
        assertThat(tenant.conversations().messages(renewed.id(), 0, 100)).extracting(m -> m.content()).containsExactly("new");

        // Another thread deletes between this thread's read and its save: the save goes to a new conversation.
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            List<Message> read = caller.submit(() -> repository.findByConversationId("r")).get(30, TimeUnit.SECONDS);
            repository.deleteByConversationId("r");
            List<Message> next = new ArrayList<>(read);
            next.add(new AssistantMessage("reply"));
            caller.submit(() -> repository.saveAll("r", next)).get(30, TimeUnit.SECONDS);
        } finally {
            caller.shutdown();
        }
        Conversation third = tenant.conversations().requireByKey("r");
        assertThat(third.id()).isNotEqualTo(renewed.id());
        assertThat(shapes(repository.findByConversationId("r"))).containsExactly("USER[new]", "ASSISTANT[reply][]");
        assertThat(repository.findConversationIds()).containsExactly("r");

        // Decided (docs/integrations.md): erased (an erasure request) between a turn's read and its save, the same: the
        // save, its list read before the erase, goes whole to a new conversation, no error; nothing of the erased one is left.
        caller = Executors.newSingleThreadExecutor();
        try {
            List<Message> read = caller.submit(() -> repository.findByConversationId("r")).get(30, TimeUnit.SECONDS);
            tenant.portability().eraseConversation(third.id(), false);
            List<Message> next = new ArrayList<>(read);
            next.add(new AssistantMessage("again"));
            caller.submit(() -> repository.saveAll("r", next)).get(30, TimeUnit.SECONDS);
        } finally {
            caller.shutdown();
        }
        Conversation fourth = tenant.conversations().requireByKey("r");
        assertThat(fourth.id()).isNotIn(old.id(), renewed.id(), third.id());
        assertThat(tenant.conversations().get(third.id())).isEmpty();
        assertThat(shapes(repository.findByConversationId("r"))).containsExactly("USER[new]", "ASSISTANT[reply][]", "ASSISTANT[again][]");
        // Erased while the model answers, after the save of the user's message: the advisor reads the memory empty and
        // saves the reply alone, in a new conversation.
        tenant.portability().eraseConversation(fourth.id(), false);
        List<Message> empty = new ArrayList<>(repository.findByConversationId("r"));
        assertThat(empty).isEmpty();
        empty.add(new AssistantMessage("late"));
        repository.saveAll("r", empty);
        assertThat(tenant.conversations().requireByKey("r").id()).isNotEqualTo(fourth.id());
        assertThat(shapes(repository.findByConversationId("r"))).containsExactly("ASSISTANT[late][]");
    }

    /** A provider that is down; {@code model} is what its options name (null: none). */
    private static org.springframework.ai.chat.model.ChatModel failing(String model) {
        return failing(model, "provider down");
    }

    /** A provider that is down, failing with an IllegalStateException of {@code message} (null: none). */
    private static org.springframework.ai.chat.model.ChatModel failing(String model, String message) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                throw new IllegalStateException(message);
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.error(new IllegalStateException(message));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model(model).build();
            }
        };
    }

    @Test
    @DisplayName("a failing model call is one failed execution with the exception's message, whether or not the prompt names a model;"
            + " its step has the execution's error, the exception's text when it has no message (never the text 'null')")
    void failingModelFailsTheExecution() {
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        int n = 0;
        for (String model : new String[] {"gpt-x", null}) {
            String key = "down-" + n++;
            ChatClient client = ChatClient.builder(failing(model))
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
                    .defaultAdvisors(recording.advisors()).build();
            assertThatThrownBy(() -> say(client, key, "hello?")).hasMessageContaining("provider down");
            Conversation c = tenant.conversations().requireByKey(key);
            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
            assertThat(executions).as("model " + model).hasSize(1);
            assertThat(executions.get(0).status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(executions.get(0).error()).isEqualTo("provider down");
            assertThat(executions.get(0).model()).isEqualTo(model == null ? "unknown" : model);
            assertThat(executions.get(0).provider()).isEqualTo("scripted");

            String streamed = "down-stream-" + n;
            assertThatThrownBy(() -> client.prompt().user("hello?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, streamed))
                    .stream().content().blockLast()).hasMessageContaining("provider down");
            List<Execution> streams = tenant.executions()
                    .list(ExecutionQuery.all().conversation(tenant.conversations().requireByKey(streamed).id())).items();
            assertThat(streams).as("stream, model " + model).hasSize(1);
            assertThat(streams.get(0).type()).isEqualTo(dev.atlas.execution.ExecutionType.STREAM);
            assertThat(streams.get(0).status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(streams.get(0).error()).isEqualTo("provider down");
            assertThat(streams.get(0).model()).isEqualTo(model == null ? "unknown" : model);
        }
        ChatClient silent = ChatClient.builder(failing("gpt-x", null)).defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build())
                .defaultAdvisors(recording.advisors()).build();
        assertThatThrownBy(() -> say(silent, "silent", "hello?")).isExactlyInstanceOf(IllegalStateException.class).hasMessage(null);
        assertThatThrownBy(() -> silent.prompt().user("hello?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "silent-stream"))
                .stream().content().blockLast()).isExactlyInstanceOf(IllegalStateException.class).hasMessage(null);
        for (String key : new String[] {"silent", "silent-stream"}) {
            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(tenant.conversations().requireByKey(key).id()))
                    .items();
            assertThat(executions).as(key).extracting(e -> e.status() + " " + e.error()).containsExactly("failed java.lang.IllegalStateException");
            assertThat(tenant.executions().tree(executions.get(0).id()).orElseThrow().steps()).as(key)
                    .extracting(s -> s.status() + " " + s.error()).containsExactly("failed java.lang.IllegalStateException");
        }
    }

    @Test
    @DisplayName("a model that fails mid-stream, in the round after a tool call: the execution is failed with the error and the usage so far (the finished round's and the chunks' of the failed one); the memory keeps the question, the answer asking for the tools and their results once each, as the in-memory repository does, called, streamed, or cancelled in that round")
    void errorMidStreamKeepsTheUsageSoFar() {
        ScriptedChatModel scripted = new ScriptedChatModel();
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                List<Message> in = prompt.getInstructions();
                if (in.get(in.size() - 1) instanceof ToolResponseMessage) {
                    // Called, the round after the tools fails as a whole.
                    throw new IllegalStateException("connection reset");
                }
                return scripted.call(prompt);
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                List<Message> in = prompt.getInstructions();
                if (!(in.get(in.size() - 1) instanceof ToolResponseMessage)) {
                    return reactor.core.publisher.Flux.defer(() -> reactor.core.publisher.Flux.just(scripted.call(prompt)));
                }
                // As Anthropic streams: the prompt tokens first, the output tokens so far later, then the connection drops.
                return reactor.core.publisher.Flux.just(chunk("Sta", 150, 0), chunk("tus", 150, 7))
                        .concatWith(reactor.core.publisher.Flux.error(new IllegalStateException("connection reset")));
            }

            private org.springframework.ai.chat.model.ChatResponse chunk(String text, int in, int out) {
                return new org.springframework.ai.chat.model.ChatResponse(
                        List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage(text))),
                        org.springframework.ai.chat.metadata.ChatResponseMetadata.builder().model("scripted-1")
                                .usage(new org.springframework.ai.chat.metadata.DefaultUsage(in, out)).build());
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return scripted.getDefaultOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return scripted.getOptions();
            }
        };
        ChatClient client = client(model, repository, 20, true);
        assertThatThrownBy(() -> client.prompt().user("where is order 7?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "cut"))
                .stream().content().collectList().block(java.time.Duration.ofMinutes(2))).hasMessageContaining("connection reset");

        Conversation c = tenant.conversations().requireByKey("cut");
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
        assertThat(executions).hasSize(1);
        Execution e = executions.get(0);
        assertThat(e.type()).isEqualTo(dev.atlas.execution.ExecutionType.STREAM);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("connection reset");
        assertThat(e.usage().inputTokens()).isEqualTo(100L + 150L);
        assertThat(e.usage().outputTokens()).isEqualTo(20L + 7L);
        ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
        assertThat(tree.steps()).extracting(s -> s.status()).containsExactly(dev.atlas.execution.ExecutionStatus.COMPLETED,
                dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(tree.toolCalls()).extracting(t -> t.status() + "=" + t.result())
                .containsExactly("completed=\"order 7 packed\"", "completed=\"order 8 shipped\"");
        assertThat(tree.steps().get(1).metadata()).isEqualTo(java.util.Map.of("partialContent", "Status"));
        // The memory as Spring AI's in-memory repository keeps it, called and streamed: the question, the answer asking for
        // the tools and their results (which went on to the round that failed) once each, no answer.
        ChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        ChatClient inMemory = client(model, reference, 20, false);
        assertThatThrownBy(() -> inMemory.prompt().user("where is order 7?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "cut"))
                .stream().content().collectList().block(java.time.Duration.ofMinutes(2))).hasMessageContaining("connection reset");
        assertThatThrownBy(() -> say(client, "cut-call", "where is order 7?")).hasMessageContaining("connection reset");
        assertThatThrownBy(() -> say(inMemory, "cut-call", "where is order 7?")).hasMessageContaining("connection reset");
        // A client gone in the round after the tools, once its first words arrived: the same memory.
        for (ChatClient gone : List.of(client, inMemory)) {
            assertThat(gone.prompt().user("where is order 7?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "cut-gone")).stream()
                    .content().filter(t -> !t.isEmpty()).take(1).collectList().block(java.time.Duration.ofMinutes(2))).containsExactly("Sta");
        }
        List<String> kept = List.of("USER[where is order 7?]", "ASSISTANT[][ToolCall[id=call_a, type=function, name=lookup,"
                + " arguments={\"order\":7}], ToolCall[id=call_b, type=function, name=lookup, arguments={\"order\":8}]]",
                "TOOL[ToolResponse[id=call_a, name=lookup, responseData=\"order 7 packed\"], ToolResponse[id=call_b,"
                        + " name=lookup, responseData=\"order 8 shipped\"]]");
        // The scripted model numbers its calls' ids by its call count (call_1_a, call_2_a, ...), which the runs share.
        java.util.function.Function<ChatMemoryRepository, java.util.Map<String, List<String>>> memories = r -> {
            java.util.Map<String, List<String>> all = new java.util.LinkedHashMap<>();
            for (String key : new String[] {"cut", "cut-call", "cut-gone"}) {
                all.put(key, shapes(r.findByConversationId(key)).stream().map(m -> m.replaceAll("call_\\d+_", "call_")).toList());
            }
            return all;
        };
        java.util.Map<String, List<String>> expected = new java.util.LinkedHashMap<>();
        for (String key : new String[] {"cut", "cut-call", "cut-gone"}) {
            expected.put(key, kept);
        }
        assertThat(memories.apply(reference)).isEqualTo(expected);
        assertThat(memories.apply(repository)).isEqualTo(expected);
    }

    @Test
    @DisplayName("a stream the caller cancels mid-round (a client gone): the execution is cancelled and its step failed as cancelled (none left processing), with the usage reported so far; the text streamed before is the step's partialContent (at most 32,768 characters), the memory holding the question alone as the in-memory repository does")
    void cancelledStreamClosesItsStep() {
        org.springframework.ai.chat.model.ChatModel model = streamingOnly(prompt -> prompt.getUserMessage().getText().equals("long")
                // One chunk past the partial content's 32,768 characters, the cut splitting an emoji, then the connection drops.
                ? reactor.core.publisher.Flux.just(scriptedChunk("x".repeat(32_767) + "\uD83D\uDE00z", 3))
                        .concatWith(reactor.core.publisher.Flux.error(new IllegalStateException("connection reset")))
                : reactor.core.publisher.Flux.just(scriptedChunk("Hel", 0), scriptedChunk("lo", 3), scriptedChunk("!", 5)));
        ChatClient client = client(model, repository, 20, true);
        assertThat(client.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "gone"))
                .stream().content().take(1).collectList().block(java.time.Duration.ofMinutes(2))).containsExactly("Hel");

        Conversation c = tenant.conversations().requireByKey("gone");
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
        assertThat(executions).hasSize(1);
        Execution e = executions.get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(e.error()).isNull();
        assertThat(e.usage().inputTokens()).isEqualTo(150L);
        assertThat(e.usage().outputTokens()).isNull();
        ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
        assertThat(tree.steps()).singleElement().satisfies(step -> {
            assertThat(step.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(step.error()).isEqualTo("the stream was cancelled");
        });
        // The text streamed before the caller left is the failed step's partialContent (as the LangChain4j listener keeps it),
        // not its content; the memory holds the question alone, as Spring AI's in-memory repository does (its advisor
        // stores an answer once the stream completes).
        assertThat(tree.steps().get(0).content()).isNull();
        assertThat(tree.steps().get(0).metadata()).isEqualTo(java.util.Map.of("partialContent", "Hel"));
        ChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        assertThat(client(model, reference, 20, false).prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "gone"))
                .stream().content().take(1).collectList().block(java.time.Duration.ofMinutes(2))).containsExactly("Hel");
        assertThat(shapes(reference.findByConversationId("gone"))).containsExactly("USER[hi]");
        assertThat(shapes(repository.findByConversationId("gone"))).containsExactly("USER[hi]");
        // A stream failing after more: the first 32,768 characters, the emoji the cut split as U+FFFD, and the cut said.
        assertThatThrownBy(() -> client.prompt().user("long").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "gone-long"))
                .stream().content().blockLast(java.time.Duration.ofMinutes(2))).hasMessageContaining("connection reset");
        Execution failed = tenant.executions().list(ExecutionQuery.all()
                .conversation(tenant.conversations().requireByKey("gone-long").id())).items().get(0);
        assertThat(failed.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        java.util.Map<String, Object> partial = new java.util.LinkedHashMap<>();
        partial.put("partialContent", "x".repeat(32_767) + "\uFFFD");
        partial.put("partialContentTruncated", true);
        assertThat(tenant.executions().tree(failed.id()).orElseThrow().steps()).singleElement()
                .satisfies(step -> assertThat(step.metadata()).isEqualTo(partial));
    }

    @Test
    @DisplayName("close() while a stream is mid-round fails its step and execution (shut down, with the usage so far and the text streamed before as partialContent); the rest of the answer still reaches the caller and records nothing")
    void closeFailsAStreamInFlight() throws Exception {
        reactor.core.publisher.Sinks.Many<org.springframework.ai.chat.model.ChatResponse> chunks =
                reactor.core.publisher.Sinks.many().unicast().onBackpressureBuffer();
        org.springframework.ai.chat.model.ChatModel model = streamingOnly(prompt -> chunks.asFlux());
        java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        reactor.core.Disposable subscription = client(model, repository, 20, true).prompt().user("hi")
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "closing")).stream().content()
                .subscribe(received::add, done::completeExceptionally, () -> done.complete(null));
        chunks.tryEmitNext(scriptedChunk("Hel", 3));
        assertThat(received.poll(2, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo("Hel");
        recording.close();
        chunks.tryEmitNext(scriptedChunk("lo", 5));
        chunks.tryEmitComplete();
        done.get(2, java.util.concurrent.TimeUnit.MINUTES);
        assertThat(received).containsExactly("lo");
        subscription.dispose();
        recording.close();

        Conversation c = tenant.conversations().requireByKey("closing");
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(e.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
            assertThat(e.usage().inputTokens()).isEqualTo(150L);
            assertThat(e.usage().outputTokens()).isEqualTo(3L);
            assertThat(tenant.executions().tree(e.id()).orElseThrow().steps()).singleElement().satisfies(step -> {
                assertThat(step.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                assertThat(step.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
                assertThat(step.metadata()).isEqualTo(java.util.Map.of("partialContent", "Hel"));
            });
        });
    }

    @Test
    @DisplayName("close() while a tool runs in the tool loop: the execution and its step fail with SHUT_DOWN, the tool calls awaited"
            + " with 'interrupted: ' and the IllegalStateException of SHUT_DOWN, as close()'s Javadoc says; the call goes on unrecorded")
    void closeWhileAToolRunsInterruptsItsCalls() throws Exception {
        java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(new ScriptedChatModel()).defaultTools(new OrderTools() {
                    @Override
                    public String lookup(int order) {
                        entered.countDown();
                        try {
                            release.await(1, java.util.concurrent.TimeUnit.MINUTES);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return super.lookup(order);
                    }
                })
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        java.util.concurrent.CompletableFuture<String> answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> say(client, "tool-closing", "where is order 4?"));
        assertThat(entered.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
        recording.close();
        release.countDown();
        // The call goes on: its tools run, its next model round answers the caller, and none of it is recorded.
        assertThat(answer.get(1, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");

        Conversation c = tenant.conversations().requireByKey("tool-closing");
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(e.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
            dev.atlas.execution.ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            // The round that asked for the tools had ended; no later round is recorded.
            assertThat(tree.steps()).extracting(s -> s.status() + " " + s.error()).containsExactly("completed null");
            String interrupted = "failed interrupted: " + new IllegalStateException(AtlasRecordingAdvisor.SHUT_DOWN);
            assertThat(tree.toolCalls()).extracting(t -> t.status() + " " + t.error()).containsExactly(interrupted, interrupted);
        });
    }

    @Test
    @DisplayName("A ChatClient, its chat memory and its Atlas advisors built per request, the garbage collector running while the tool"
            + " loop runs the tools: each tool call completes with its result and the execution completes (a call's awaited tool"
            + " calls live with the call, not with anything the app holds)")
    void aClientBuiltPerRequestCollectingWhileItsToolsRunCompletesItsToolCalls() {
        assertThat(perRequest("per-request", "where is order 4?")).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");

        Conversation c = tenant.conversations().requireByKey("per-request");
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            assertThat(tenant.executions().tree(e.id()).orElseThrow().toolCalls()).extracting(t -> t.status() + "=" + t.result())
                    .containsExactly("completed=\"order 4 shipped\"", "completed=\"order 5 packed\"");
        });
    }

    /** One request of a web app that builds its ChatClient per request, as the Boot auto-configuration's beans are not. */
    private String perRequest(String conversation, String question) {
        AtlasChatMemoryRepository memoryRepository = AtlasChatMemoryRepository.of(tenant, Owner.user("42"), "support");
        AtlasRecordingAdvisor advisor = AtlasRecordingAdvisor.of(tenant, memoryRepository, "scripted", "support");
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(memoryRepository).build();
        ChatClient client = ChatClient.builder(new ScriptedChatModel()).defaultTools(new OrderTools() {
                    @Override
                    public String lookup(int order) {
                        collectGarbage();
                        return super.lookup(order);
                    }
                })
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(advisor.advisors()).build();
        return say(client, conversation, question);
    }

    /** Runs the garbage collector until an object dropped here is collected (bounded: System.gc() is only a hint). */
    private static void collectGarbage() {
        java.lang.ref.WeakReference<Object> dropped = new java.lang.ref.WeakReference<>(new Object());
        for (int i = 0; i < 100 && dropped.get() != null; i++) {
            System.gc();
            byte[][] garbage = new byte[8][];
            for (int j = 0; j < garbage.length; j++) {
                garbage[j] = new byte[1 << 20];
            }
            assertThat(garbage[7]).hasSize(1 << 20);
        }
        assertThat(dropped.get()).as("an object dropped before the collection").isNull();
    }

    @Test
    @DisplayName("close() while the tool loop records its tools' results waits for them (both recorded, none interrupted), then fails"
            + " the execution with SHUT_DOWN; the next round opens no step, and the caller still gets the answer")
    void closeWhileTheToolResultsAreRecordedWaitsForThem() throws Exception {
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> closer = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<AtlasRecordingAdvisor> advisor = new java.util.concurrent.atomic.AtomicReference<>();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        // The first tool result recorded: close() starts on another thread, and the recording goes on once close() ended
        // or waits for the run it is recording.
        dev.atlas.execution.ExecutionListener listener = new dev.atlas.execution.ExecutionListener() {
            @Override
            public void toolCallFinished(String tenantId, dev.atlas.execution.ToolCall call) {
                if (call.status() != dev.atlas.execution.ExecutionStatus.COMPLETED || closer.get() != null) {
                    return;
                }
                Thread t = new Thread(() -> {
                    advisor.get().close();
                    closed.countDown();
                });
                closer.set(t);
                t.start();
                while (t.getState() != Thread.State.TERMINATED) {
                    java.lang.management.ThreadInfo info = threads.getThreadInfo(t.getId());
                    if (info != null && info.getThreadState() == Thread.State.BLOCKED && String.valueOf(info.getLockName()).contains("AtlasRecordingAdvisor$Run")) {
                        return;
                    }
                    Thread.onSpinWait();
                }
            }
        };
        Atlas own = database().open(b -> b.executionListener(listener));
        try {
            Tenant acme = own.tenant("acme");
            AtlasChatMemoryRepository memoryRepository = AtlasChatMemoryRepository.of(acme, Owner.user("42"), "support");
            advisor.set(AtlasRecordingAdvisor.of(acme, memoryRepository, "scripted", "support"));
            // The chat memory stores the tools' results before the next round: it waits there for close() to end, so the
            // next round starts after it.
            ChatMemoryRepository waiting = new ChatMemoryRepository() {
                @Override
                public List<String> findConversationIds() {
                    return memoryRepository.findConversationIds();
                }

                @Override
                public List<org.springframework.ai.chat.messages.Message> findByConversationId(String conversationId) {
                    return memoryRepository.findByConversationId(conversationId);
                }

                @Override
                public void saveAll(String conversationId, List<org.springframework.ai.chat.messages.Message> messages) {
                    if (closer.get() != null) {
                        try {
                            assertThat(closed.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    memoryRepository.saveAll(conversationId, messages);
                }

                @Override
                public void deleteByConversationId(String conversationId) {
                    memoryRepository.deleteByConversationId(conversationId);
                }
            };
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(waiting).build();
            ChatClient client = ChatClient.builder(new ScriptedChatModel()).defaultTools(new OrderTools())
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                    .defaultAdvisors(advisor.get().advisors()).build();
            assertThat(say(client, "results-closing", "where is order 4?")).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");
            closer.get().join();

            Conversation c = acme.conversations().requireByKey("results-closing");
            assertThat(acme.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement().satisfies(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                assertThat(e.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
                ExecutionTree tree = acme.executions().tree(e.id()).orElseThrow();
                assertThat(tree.toolCalls()).extracting(t -> t.status() + " " + t.result())
                        .containsExactly("completed \"order 4 shipped\"", "completed \"order 5 packed\"");
                assertThat(tree.steps()).extracting(s -> s.status() + " " + s.error()).containsExactly("completed null");
            });
        } finally {
            own.close();
        }
    }

    @Test
    @DisplayName("a listener that waits for close() on another thread of the call it hears completes (called, and streamed):"
            + " it runs once the run's lock is released, on the recording thread, with the events in the order they were recorded;"
            + " a listener before it that throws changes nothing")
    void aListenerWaitingForCloseOfItsRunCompletes() throws Exception {
        java.util.concurrent.atomic.AtomicReference<AtlasRecordingAdvisor> advisor = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Thread> closer = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Boolean> waited = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean waitInStarted = new java.util.concurrent.atomic.AtomicBoolean();
        // When set, the listener waiting in started cancels the stream's subscription instead of closing the advisor.
        java.util.concurrent.atomic.AtomicBoolean cancelInstead = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<reactor.core.Disposable> subscription = new java.util.concurrent.CompletableFuture<>();
        CountDownLatch cancelled = new CountDownLatch(1);
        dev.atlas.execution.ExecutionListener listener = new dev.atlas.execution.ExecutionListener() {
            private void hear(String event) {
                heard.add(event + (Thread.currentThread() == closer.get() ? " (closer)" : ""));
            }

            @Override
            public void started(String tenantId, Execution execution) {
                hear("started " + execution.status());
                if (waitInStarted.get()) {
                    closeAndWait();
                }
            }

            @Override
            public void stepFinished(String tenantId, dev.atlas.execution.ExecutionStep step) {
                hear("stepFinished " + step.status() + " " + step.finishReason());
                if (step.finishReason() == dev.atlas.execution.FinishReason.STOP && !waitInStarted.get()) {
                    closeAndWait();
                }
            }

            private void closeAndWait() {
                // The application shuts down meanwhile (the answer's round recorded, or the call just started), and the listener waits for it (bounded).
                CountDownLatch closed = new CountDownLatch(1);
                Thread t = new Thread(() -> {
                    if (cancelInstead.get()) {
                        subscription.join().dispose();
                    } else {
                        advisor.get().close();
                    }
                    closed.countDown();
                });
                closer.set(t);
                t.start();
                // A cancelled stream's worker is interrupted (Reactor cancels its task): waited for all the same, then kept interrupted.
                boolean interrupted = false;
                while (true) {
                    try {
                        // A bound that only a hung close() reaches (close() takes milliseconds; the class loading of a
                        // first call under CI's load took seconds): it never decides a passing run.
                        waited.add(closed.await(120, java.util.concurrent.TimeUnit.SECONDS));
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void toolCallFinished(String tenantId, dev.atlas.execution.ToolCall call) {
                hear("toolCallFinished " + call.status() + " " + call.result());
            }

            @Override
            public void completed(String tenantId, Execution execution) {
                hear("completed");
            }

            @Override
            public void failed(String tenantId, Execution execution) {
                hear("failed " + execution.error());
            }

            @Override
            public void cancelled(String tenantId, Execution execution) {
                hear("cancelled");
            }
        };
        // Registered first, it throws on every event: logged and swallowed, the next listener and the call go on, as without a lock.
        dev.atlas.execution.ExecutionListener throwing = new dev.atlas.execution.ExecutionListener() {
            @Override
            public void started(String tenantId, Execution execution) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void stepFinished(String tenantId, dev.atlas.execution.ExecutionStep step) {
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void toolCallFinished(String tenantId, dev.atlas.execution.ToolCall call) {
                throw new IllegalStateException("listener bug");
            }
        };
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter spans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        dev.atlas.opentelemetry.AtlasTelemetry telemetry = dev.atlas.opentelemetry.AtlasTelemetry.create(io.opentelemetry.sdk.OpenTelemetrySdk.builder()
                .setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                        .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build()).build());
        // AtlasTelemetry, registered after the waiting listener, hears each execution's started before its end.
        // Registered last: the cancelled stream's end was heard by every listener.
        dev.atlas.execution.ExecutionListener last = new dev.atlas.execution.ExecutionListener() {
            @Override
            public void cancelled(String tenantId, Execution execution) {
                cancelled.countDown();
            }
        };
        Atlas own = database().open(b -> b.executionListener(throwing).executionListener(listener).executionListener(telemetry)
                .executionListener(last));
        try {
            Tenant acme = own.tenant("acme");
            AtlasChatMemoryRepository memoryRepository = AtlasChatMemoryRepository.of(acme, Owner.user("42"), "support");
            advisor.set(AtlasRecordingAdvisor.of(acme, memoryRepository, "scripted", "support"));
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(memoryRepository).build();
            ChatClient client = ChatClient.builder(new ScriptedChatModel()).defaultTools(new OrderTools())
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                    .defaultAdvisors(advisor.get().advisors()).build();
            List<String> expected = List.of("started processing", "stepFinished completed tool_calls",
                    "toolCallFinished completed \"order 4 shipped\"", "toolCallFinished completed \"order 5 packed\"",
                    "stepFinished completed stop", "failed " + AtlasRecordingAdvisor.SHUT_DOWN + " (closer)");

            assertThat(say(client, "close-heard", "where is order 4?")).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");
            closer.get().join();
            assertThat(waited).containsExactly(true);
            assertThat(heard).containsExactlyElementsOf(expected);

            heard.clear();
            waited.clear();
            assertThat(client.prompt().user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "close-heard-streamed"))
                    .stream().content().collectList().block()).containsExactly("Status: \"order 4 shipped\" \"order 5 packed\"");
            closer.get().join();
            assertThat(waited).containsExactly(true);
            assertThat(heard).containsExactlyElementsOf(expected);

            assertThat(telemetry.runningSpans()).isZero();

            // close() on another thread while the listeners hear the call's started: the run is failed by close() only
            // once its started was heard by every listener (else AtlasTelemetry, hearing failed first, kept an open span).
            heard.clear();
            waited.clear();
            waitInStarted.set(true);
            assertThat(say(client, "close-at-start", "where is order 4?")).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");
            closer.get().join();
            assertThat(waited).containsExactly(true);
            assertThat(heard).containsExactly("started processing", "stepFinished completed tool_calls",
                    "toolCallFinished completed \"order 4 shipped\"", "toolCallFinished completed \"order 5 packed\"",
                    "stepFinished completed stop", "completed");
            assertThat(telemetry.runningSpans()).isZero();
            assertThat(acme.executions().list(ExecutionQuery.all().conversation(acme.conversations().requireByKey("close-at-start").id()))
                    .items()).singleElement().extracting(Execution::status).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);

            // The subscriber cancels the stream on another thread while the listeners hear its start (MessageChatMemoryAdvisor
            // subscribes the round on another thread): the thread that started it records the cancel once they heard the start.
            heard.clear();
            waited.clear();
            cancelInstead.set(true);
            subscription.complete(client.prompt().user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "cancel-at-start"))
                    .stream().content().subscribe());
            assertThat(cancelled.await(120, TimeUnit.SECONDS)).isTrue();
            assertThat(heard).containsExactly("started processing", "stepFinished failed error", "cancelled");
            closer.get().join();
            assertThat(waited).containsExactly(true);
            assertThat(telemetry.runningSpans()).isZero();
            assertThat(acme.executions().list(ExecutionQuery.all().conversation(acme.conversations().requireByKey("cancel-at-start").id()))
                    .items()).singleElement().extracting(Execution::status).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
            // One span per call, each ended: failed by close() (called, streamed), completed, cancelled.
            assertThat(spans.getFinishedSpanItems()).filteredOn(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CLIENT)
                    .extracting(s -> s.getStatus().getStatusCode() + " " + s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("atlas.execution.status")))
                    .containsExactly("ERROR failed", "ERROR failed", "UNSET completed", "UNSET cancelled");

            for (String key : List.of("close-heard", "close-heard-streamed")) {
                Conversation c = acme.conversations().requireByKey(key);
                assertThat(acme.executions().list(ExecutionQuery.all().conversation(c.id())).items()).singleElement().satisfies(e -> {
                    assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                    assertThat(e.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
                    assertThat(acme.executions().tree(e.id()).orElseThrow().steps()).extracting(st -> st.status() + " " + st.finishReason())
                            .containsExactly("completed tool_calls", "completed stop");
                });
            }
        } finally {
            own.close();
        }
    }

    @Test
    @DisplayName("8 conversations streamed at once, each answer on a scheduler thread, with tool rounds: every execution completed with its rounds and usage, every conversation whole")
    void concurrentStreams() throws Exception {
        ScriptedChatModel scripted = new ScriptedChatModel();
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                return scripted.call(prompt);
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return scripted.stream(prompt).subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return scripted.getDefaultOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return scripted.getOptions();
            }
        };
        ChatClient client = client(model, repository, 20, true);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String key = "streams-" + t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 4; i++) {
                        String text = client.prompt().user(turn(i)).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, key))
                                .stream().content().collectList().block(java.time.Duration.ofMinutes(2)).stream().reduce("", String::concat);
                        assertThat(text).isNotBlank();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < 8; t++) {
            Conversation c = tenant.conversations().requireByKey("streams-" + t);
            assertThat(tenant.conversations().messages(c.id(), 0, 100)).hasSize(2 * 4 + 2 * 2);
            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items();
            assertThat(executions).hasSize(4).allSatisfy(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
                assertThat(e.usage().inputTokens()).isEqualTo(100L * tree.steps().size());
                assertThat(tree.steps()).allSatisfy(s -> assertThat(s.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED));
                assertThat(tree.toolCalls()).allSatisfy(x -> assertThat(x.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED));
            });
            assertThat(executions.stream().mapToInt(e -> tenant.executions().tree(e.id()).orElseThrow().steps().size()).sum()).isEqualTo(6);
        }
    }

    @Test
    @DisplayName("a model asking for a tool the application does not have: the call fails, the execution is failed with the round's usage, the tool call failed, no step left processing")
    void unknownToolFailsTheCall() {
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(
                        AssistantMessage.builder().content("").toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_x", "function", "launch_rocket", "{}"))).build())),
                        org.springframework.ai.chat.metadata.ChatResponseMetadata.builder().model("scripted-1")
                                .usage(new org.springframework.ai.chat.metadata.DefaultUsage(40, 9)).build());
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("scripted-1").build();
            }
        };
        ChatClient client = client(model, repository, 20, true);
        assertThatThrownBy(() -> say(client, "rocket", "launch it")).hasMessageContaining("launch_rocket");

        Conversation c = tenant.conversations().requireByKey("rocket");
        Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(e.usage().inputTokens()).isEqualTo(40L);
        assertThat(e.usage().outputTokens()).isEqualTo(9L);
        ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
        assertThat(tree.steps()).extracting(s -> s.status()).containsExactly(dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(tree.toolCalls()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("launch_rocket");
            assertThat(t.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        });
    }

    /** A tool that always throws, beside {@link OrderTools}. */
    public static class RefundTools {
        @org.springframework.ai.tool.annotation.Tool(description = "Refunds an order")
        public String refund(int order) {
            throw new IllegalStateException("refunds are closed for order " + order);
        }
    }

    /** A model asking for a refund (which throws) and a lookup in one round, then answering with what the tools said. */
    private static org.springframework.ai.chat.model.ChatModel refundThenLookup(List<List<Message>> prompts) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                prompts.add(prompt.getInstructions());
                List<Message> in = prompt.getInstructions();
                AssistantMessage out = in.get(in.size() - 1) instanceof ToolResponseMessage
                        ? new AssistantMessage("done")
                        : AssistantMessage.builder().content("").toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_r", "function", "refund", "{\"order\":7}"),
                                new AssistantMessage.ToolCall("call_l", "function", "lookup", "{\"order\":8}"))).build();
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(out)));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            /** Where Spring AI 2.0's ChatClient reads the options it attaches tools to (absent on 1.1). */
            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
    }

    @Test
    @DisplayName("a call whose options turn internal tool execution off (Spring AI's user-controlled tool execution) gets the model's"
            + " tool calls back unrun, as without the tool loop advisor; the round is recorded with its calls, cancelled as never run")
    void userControlledToolExecutionIsLeftToTheCaller() {
        ScriptedChatModel model = new ScriptedChatModel();
        List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(model).defaultTools(new OrderTools() {
                    @Override
                    public String lookup(int order) {
                        ran.add("lookup " + order);
                        return super.lookup(order);
                    }
                })
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        // Built by reflection: the switch is Spring AI 1.1's; 2.0 has none (its ChatClient's tool advisor always runs tools).
        var builder = org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("scripted-1");
        java.lang.reflect.Method off;
        try {
            off = org.springframework.ai.model.tool.ToolCallingChatOptions.Builder.class.getMethod("internalToolExecutionEnabled", Boolean.class);
        } catch (NoSuchMethodException spring2) {
            assertThat(org.springframework.ai.model.tool.ToolCallingChatOptions.class.getMethods())
                    .extracting(java.lang.reflect.Method::getName).doesNotContain("getInternalToolExecutionEnabled");
            return;
        }
        for (boolean stream : new boolean[] {false, true}) {
            String key = stream ? "manual-stream" : "manual";
            ChatClient.ChatClientRequestSpec spec;
            try {
                Object own = ((org.springframework.ai.model.tool.ToolCallingChatOptions.Builder) off.invoke(builder, false)).build();
                spec = (ChatClient.ChatClientRequestSpec) ChatClient.ChatClientRequestSpec.class
                        .getMethod("options", org.springframework.ai.chat.prompt.ChatOptions.class).invoke(client.prompt(), own);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            spec = spec.user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, key));
            org.springframework.ai.chat.model.ChatResponse response = stream
                    ? spec.stream().chatResponse().blockLast(java.time.Duration.ofMinutes(1)) : spec.call().chatResponse();
            assertThat(response.getResult().getOutput().getToolCalls()).as(key).extracting(AssistantMessage.ToolCall::name)
                    .containsExactly("lookup", "lookup");
            assertThat(shapes(memory.get(key))).as(key).hasSize(2).element(1).asString().startsWith("ASSISTANT[][ToolCall[");
        }
        assertThat(ran).isEmpty();
        assertThat(model.prompts()).hasSize(2);
        assertThat(tenant.executions().list(ExecutionQuery.all()).items()).hasSize(2).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            // Never run by this call: recorded queued and cancelled when the call ends, so no error and no duration.
            assertThat(tenant.executions().tree(e.id()).orElseThrow().toolCalls()).extracting(dev.atlas.execution.ToolCall::name,
                    dev.atlas.execution.ToolCall::status, dev.atlas.execution.ToolCall::error, dev.atlas.execution.ToolCall::result,
                    dev.atlas.execution.ToolCall::durationMs).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("lookup", dev.atlas.execution.ExecutionStatus.CANCELLED, null, null, null),
                    org.assertj.core.groups.Tuple.tuple("lookup", dev.atlas.execution.ExecutionStatus.CANCELLED, null, null, null));
        });
    }

    @Test
    @DisplayName("a tool that throws: its call is recorded as failed with the error, the other call of the round as completed,"
            + " and the model still gets Spring AI's error text as the tool's result")
    void throwingToolIsRecordedAsFailed() {
        List<List<Message>> prompts = new ArrayList<>();
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(refundThenLookup(prompts)).defaultTools(new OrderTools(), new RefundTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "refund", "refund 7, and where is 8?")).isEqualTo("done");

        // The conversation is Spring AI's: the failing tool's result is the exception's message.
        ToolResponseMessage sent = (ToolResponseMessage) prompts.get(1).get(prompts.get(1).size() - 1);
        assertThat(sent.getResponses()).extracting(ToolResponseMessage.ToolResponse::responseData)
                .containsExactly("refunds are closed for order 7", "\"order 8 shipped\"");
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
        List<dev.atlas.execution.ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
        assertThat(calls).extracting(dev.atlas.execution.ToolCall::name).containsExactly("refund", "lookup");
        assertThat(calls).extracting(dev.atlas.execution.ToolCall::status)
                .containsExactly(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(calls.get(0).error()).isEqualTo("refunds are closed for order 7");
        assertThat(calls.get(1).result()).isEqualTo("\"order 8 shipped\"");
        assertThat(calls.get(1).error()).isNull();
    }

    /** A tool whose result goes straight back to the caller, not to the model. */
    public static class TicketTools {
        @org.springframework.ai.tool.annotation.Tool(description = "Opens a ticket", returnDirect = true)
        public String ticket(int order) {
            return "ticket for order " + order;
        }
    }

    @Test
    @DisplayName("a returnDirect tool: its result goes to the caller without another model round, and its call is recorded completed with that result")
    void returnDirectToolIsRecordedCompleted() {
        List<List<Message>> prompts = new ArrayList<>();
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                prompts.add(prompt.getInstructions());
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(
                        AssistantMessage.builder().content("").toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_t", "function", "ticket", "{\"order\":3}"))).build())));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(model).defaultTools(new TicketTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "ticket", "open a ticket for 3")).isEqualTo("\"ticket for order 3\"");

        assertThat(prompts).hasSize(1);
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(tenant.executions().tree(e.id()).orElseThrow().toolCalls()).singleElement().satisfies(t -> {
            assertThat(t.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            assertThat(t.result()).isEqualTo("\"ticket for order 3\"");
            assertThat(t.error()).isNull();
        });
    }

    /** A model that asks for the ticket tool on a user message, and answers "ok" otherwise; each prompt it gets is kept. */
    private static org.springframework.ai.chat.model.ChatModel ticketAsking(List<List<Message>> prompts) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                prompts.add(prompt.getInstructions());
                Message last = prompt.getInstructions().get(prompt.getInstructions().size() - 1);
                AssistantMessage answer = last.getText() != null && last.getText().startsWith("open")
                        ? AssistantMessage.builder().content("").toolCalls(List.of(
                                new AssistantMessage.ToolCall("call_t", "function", "ticket", "{\"order\":3}"))).build()
                        : new AssistantMessage("ok");
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(answer)));
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.defer(() -> reactor.core.publisher.Flux.just(call(prompt)));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
    }

    @Test
    @DisplayName("a returnDirect tool under the chat memory, by call and by stream: the memory keeps the tool's results after the"
            + " answer that asked for them (Spring AI's loop hands them to no memory), so the next turn's prompt is no dangling"
            + " tool call, which providers refuse; without a memory in the chain nothing is added to the conversation")
    void returnDirectResultsAreKeptByTheMemory() {
        for (boolean stream : new boolean[] {false, true}) {
            String key = stream ? "ticket-stream" : "ticket-call";
            List<List<Message>> prompts = java.util.Collections.synchronizedList(new ArrayList<>());
            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
            ChatClient client = ChatClient.builder(ticketAsking(prompts)).defaultTools(new TicketTools())
                    .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                    .defaultAdvisors(recording.advisors()).build();
            ChatClient.ChatClientRequestSpec ask = client.prompt().user("open a ticket for 3").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, key));
            String answer = stream ? String.join("", ask.stream().content().collectList().block(java.time.Duration.ofMinutes(1))) : ask.call().content();
            assertThat(answer).as(key).isEqualTo("\"ticket for order 3\"");
            assertThat(prompts).as(key).hasSize(1);

            AssistantMessage.ToolCall call = new AssistantMessage.ToolCall("call_t", "function", "ticket", "{\"order\":3}");
            String tool = "TOOL" + List.of(new ToolResponseMessage.ToolResponse("call_t", "ticket", "\"ticket for order 3\""));
            assertThat(shapes(repository.findByConversationId(key))).as(key).containsExactly("USER[open a ticket for 3]",
                    "ASSISTANT[]" + List.of(call), tool);
            Conversation c = tenant.conversations().requireByKey(key);
            Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items().get(0);
            assertThat(e.status()).as(key).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(dev.atlas.conversation.Message::stepId)
                    .containsExactly(null, tree.steps().get(0).id(), tree.steps().get(0).id());
            assertThat(tree.toolCalls()).singleElement().satisfies(t -> {
                assertThat(t.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                assertThat(t.result()).isEqualTo("\"ticket for order 3\"");
            });

            assertThat(say(client, key, "thanks")).isEqualTo("ok");
            assertThat(shapes(prompts.get(1))).as(key).containsExactly("USER[open a ticket for 3]", "ASSISTANT[]" + List.of(call), tool, "USER[thanks]");
        }

        // Recording alone: the conversation of the execution gets no message the application did not store.
        ChatClient recordingOnly = ChatClient.builder(ticketAsking(new ArrayList<>())).defaultTools(new TicketTools())
                .defaultAdvisors(AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), true)).defaultAdvisors(recording.advisors()).build();
        assertThat(say(recordingOnly, "no-memory", "open a ticket for 3")).isEqualTo("\"ticket for order 3\"");
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("no-memory").id(), 0, 10)).isEmpty();
    }

    record Shipment(int order, String status) {
    }

    @Test
    @DisplayName("structured output (entity()) through the memory and the recording: the object is returned, the memory keeps the"
            + " user's text without the format instructions and the model's JSON answer, the execution completes")
    void structuredOutputThroughMemoryAndRecording() {
        List<List<Message>> prompts = java.util.Collections.synchronizedList(new ArrayList<>());
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                prompts.add(prompt.getInstructions());
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(
                        new AssistantMessage("{\"order\":3,\"status\":\"shipped\"}"))));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(model)
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        Shipment got = client.prompt().user("where is 3?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "typed")).call().entity(Shipment.class);
        assertThat(got).isEqualTo(new Shipment(3, "shipped"));
        // The model got the format instructions; the memory keeps what the user said.
        assertThat(prompts.get(0).get(0).getText()).startsWith("where is 3?").contains("JSON");
        assertThat(shapes(repository.findByConversationId("typed"))).containsExactly("USER[where is 3?]", "ASSISTANT[{\"order\":3,\"status\":\"shipped\"}][]");
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
    }

    @Test
    @DisplayName("a tool that throws under a tool-calling manager configured to rethrow: the call fails, and the tool call is failed with the tool's error")
    void throwingToolRethrownIsRecordedWithItsError() {
        List<List<Message>> prompts = new ArrayList<>();
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ToolCallingManager rethrowing = ToolCallingManager.builder().toolExecutionExceptionProcessor(
                new org.springframework.ai.tool.execution.DefaultToolExecutionExceptionProcessor(true)).build();
        ChatClient client = ChatClient.builder(refundThenLookup(prompts)).defaultTools(new OrderTools(), new RefundTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(rethrowing, false))
                .defaultAdvisors(recording.advisors()).build();
        assertThatThrownBy(() -> say(client, "refund", "refund 7, and where is 8?"))
                .hasMessage("refunds are closed for order 7");

        assertThat(prompts).hasSize(1);
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        List<dev.atlas.execution.ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
        assertThat(calls).extracting(dev.atlas.execution.ToolCall::status)
                .containsExactly(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(calls.get(0).error()).isEqualTo("refunds are closed for order 7");
        // The lookup never ran: the round was cut short by the refund's error.
        assertThat(calls.get(1).error()).isEqualTo("interrupted: " + new org.springframework.ai.tool.execution.ToolExecutionException(
                null, new IllegalStateException("refunds are closed for order 7")));
    }

    @Test
    @DisplayName("a call that fails or is cancelled after the memory stored the answer asking for tools, before their results went on"
            + " (a tool rethrowing, a stream cancelled while a tool runs): the memory gets the round's results as recorded (the"
            + " tool's error, interrupted for the others), so the next turn's prompt is no dangling tool call, which providers refuse")
    void failedToolRoundIsClosedInTheMemory() throws Exception {
        List<List<Message>> prompts = java.util.Collections.synchronizedList(new ArrayList<>());
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ToolCallingManager rethrowing = ToolCallingManager.builder().toolExecutionExceptionProcessor(
                new org.springframework.ai.tool.execution.DefaultToolExecutionExceptionProcessor(true)).build();
        ChatClient client = ChatClient.builder(refundThenLookup(prompts)).defaultTools(new OrderTools(), new RefundTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(rethrowing, false))
                .defaultAdvisors(recording.advisors()).build();
        assertThatThrownBy(() -> say(client, "refund", "refund 7, and where is 8?")).hasMessage("refunds are closed for order 7");

        String interrupted = "interrupted: " + new org.springframework.ai.tool.execution.ToolExecutionException(
                null, new IllegalStateException("refunds are closed for order 7"));
        String asked = "ASSISTANT[]" + List.of(new AssistantMessage.ToolCall("call_r", "function", "refund", "{\"order\":7}"),
                new AssistantMessage.ToolCall("call_l", "function", "lookup", "{\"order\":8}"));
        String closed = "TOOL" + List.of(new ToolResponseMessage.ToolResponse("call_r", "refund", "refunds are closed for order 7"),
                new ToolResponseMessage.ToolResponse("call_l", "lookup", interrupted));
        assertThat(shapes(repository.findByConversationId("refund"))).containsExactly("USER[refund 7, and where is 8?]", asked, closed);
        Conversation c = tenant.conversations().requireByKey("refund");
        Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items().get(0);
        UUID step = tenant.executions().tree(e.id()).orElseThrow().steps().get(0).id();
        assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(dev.atlas.conversation.Message::stepId).containsExactly(null, step, step);

        assertThatThrownBy(() -> say(client, "refund", "and now?")).hasMessage("refunds are closed for order 7");
        assertThat(shapes(prompts.get(1))).containsExactly("USER[refund 7, and where is 8?]", asked, closed, "USER[and now?]");

        // A stream cancelled while its tools run: their results went nowhere; the memory gets them as interrupted.
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ChatClient slow = ChatClient.builder(ticketAsking(new ArrayList<>())).defaultTools(new SlowTools(running, release))
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        reactor.core.Disposable subscription = slow.prompt().user("open a ticket for 3").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "slow"))
                .stream().content().subscribe();
        try {
            assertThat(running.await(1, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
            subscription.dispose();
        } finally {
            release.countDown();
        }
        String cancelled = "interrupted: " + new java.util.concurrent.CancellationException("the stream was cancelled");
        assertThat(shapes(repository.findByConversationId("slow"))).containsExactly("USER[open a ticket for 3]",
                "ASSISTANT[]" + List.of(new AssistantMessage.ToolCall("call_t", "function", "ticket", "{\"order\":3}")),
                "TOOL" + List.of(new ToolResponseMessage.ToolResponse("call_t", "ticket", cancelled)));
    }

    public static class SlowTools {
        private final CountDownLatch running;
        private final CountDownLatch release;

        SlowTools(CountDownLatch running, CountDownLatch release) {
            this.running = running;
            this.release = release;
        }

        @org.springframework.ai.tool.annotation.Tool(description = "Opens a ticket, slowly")
        public String ticket(int order) throws InterruptedException {
            running.countDown();
            release.await();
            return "ticket for order " + order;
        }
    }

    @Test
    @DisplayName("two tool calls without ids (as some providers send them) are each recorded with their own result")
    void toolCallsWithoutIds() {
        org.springframework.ai.chat.model.ChatModel model = new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                List<Message> in = prompt.getInstructions();
                AssistantMessage out = in.get(in.size() - 1) instanceof ToolResponseMessage
                        ? new AssistantMessage("done")
                        : AssistantMessage.builder().content("").toolCalls(List.of(
                                new AssistantMessage.ToolCall(null, "function", "lookup", "{\"order\":7}"),
                                new AssistantMessage.ToolCall(null, "function", "lookup", "{\"order\":8}"))).build();
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(out)));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
        ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        ChatClient client = ChatClient.builder(model).defaultTools(new OrderTools())
                .defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build(), AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        assertThat(say(client, "noid", "look up 7 and 8")).isEqualTo("done");

        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        List<dev.atlas.execution.ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
        assertThat(calls).extracting(dev.atlas.execution.ToolCall::status)
                .containsExactly(dev.atlas.execution.ExecutionStatus.COMPLETED, dev.atlas.execution.ExecutionStatus.COMPLETED);
        assertThat(calls).extracting(dev.atlas.execution.ToolCall::result)
                .containsExactly("\"order 7 packed\"", "\"order 8 shipped\"");
        // The tool message is linked to the step that asked, as with ids: the round is replayed once.
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("noid").id(), 0, 10);
        assertThat(rows).extracting(dev.atlas.conversation.Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(rows.get(2).stepId()).isNotNull().isEqualTo(rows.get(1).stepId());
    }

    @Test
    @DisplayName("8 concurrent conversations through ChatClient and 4 concurrent callers on one key")
    void concurrency() throws Exception {
        ScriptedChatModel model = new ScriptedChatModel();
        ChatClient client = client(model, repository, 20, true);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String key = "conc-" + t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 6; i++) {
                        say(client, key, turn(i));
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
            for (int t = 0; t < 8; t++) {
                Conversation c = tenant.conversations().requireByKey("conc-" + t);
                assertThat(tenant.conversations().messages(c.id(), 0, 100)).hasSize(3 * 4 + 3 * 2);
                assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items()).hasSize(6);
            }

            ChatMemory memory = MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(1000).build();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> callers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int caller = t;
                callers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 10; i++) {
                        memory.add("shared", new UserMessage("caller " + caller + " message " + i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : callers) {
                f.get(5, TimeUnit.MINUTES);
            }
            assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all().limit(100)).items())
                    .filteredOn(c -> "shared".equals(c.externalKey())).hasSize(1);
            Conversation shared = tenant.conversations().requireByKey("shared");
            assertThat(tenant.conversations().messages(shared.id(), 0, 100)).hasSize(40);
            assertThat(memory.get("shared")).hasSize(40);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("4 callers taking tool-calling turns on one conversation id at once (a user with two tabs, a retrying client), called"
            + " and streamed: every message stored once, each turn's answer, tool results and final answer linked to its own"
            + " completed execution with its two tool calls, no refusal")
    void concurrentToolTurnsOnOneConversation() throws Exception {
        ScriptedChatModel model = new ScriptedChatModel();
        ChatClient client = client(model, repository, 20, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int caller = t;
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 2; i++) {
                        int order = 1000 * (caller + 1) + 10 * i;
                        String question = "where is order " + order + "?";
                        String answer = caller % 2 == 0 ? say(client, "busy", question)
                                : String.join("", client.prompt().user(question).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "busy"))
                                        .stream().content().collectList().block(java.time.Duration.ofMinutes(2)));
                        assertThat(answer).isEqualTo("Status: \"order " + order + " shipped\" \"order " + (order + 1) + " packed\"");
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        Conversation busy = tenant.conversations().requireByKey("busy");
        List<dev.atlas.conversation.Message> rows = tenant.conversations().messages(busy.id(), 0, 100);
        assertThat(rows).hasSize(8 * 4);
        assertThat(rows).filteredOn(m -> m.role() == Role.USER).extracting(dev.atlas.conversation.Message::content).doesNotHaveDuplicates().hasSize(8);
        List<Execution> runs = tenant.executions().list(ExecutionQuery.all().conversation(busy.id()).limit(100)).items();
        assertThat(runs).hasSize(8).allSatisfy(e -> assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED));
        for (Execution e : runs) {
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            assertThat(tree.steps()).hasSize(2);
            assertThat(tree.steps().get(0).toolCalls()).hasSize(2).allSatisfy(c -> assertThat(c.status().name()).isEqualTo("COMPLETED"));
            List<dev.atlas.conversation.Message> own = rows.stream().filter(m -> e.id().equals(m.executionId())).toList();
            assertThat(own).extracting(dev.atlas.conversation.Message::role).containsExactly(Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
            String order = tree.steps().get(0).toolCalls().get(0).arguments();
            assertThat(own.get(2).content()).startsWith("Status: \"order " + order.replaceAll("\\D+", "") + " shipped\"");
        }
    }

    @Test
    @DisplayName("PromptChatMemoryAdvisor (Spring AI 1.1) with the tool loop and the recording, 6 turns with tool rounds, called and"
            + " streamed: every window and every prompt the model got (the memory in the system text) as with the in-memory"
            + " repository, one completed execution per call")
    void promptChatMemoryAdvisorWithToolRounds() {
        int window = 6;
        ScriptedChatModel atlasModel = new ScriptedChatModel();
        ScriptedChatModel referenceModel = new ScriptedChatModel();
        InMemoryChatMemoryRepository reference = new InMemoryChatMemoryRepository();
        org.springframework.ai.chat.client.advisor.api.Advisor atlasMemory = promptChatMemoryAdvisor(
                MessageWindowChatMemory.builder().chatMemoryRepository(repository).maxMessages(window).build());
        org.springframework.ai.chat.client.advisor.api.Advisor referenceMemory = promptChatMemoryAdvisor(
                MessageWindowChatMemory.builder().chatMemoryRepository(reference).maxMessages(window).build());
        org.junit.jupiter.api.Assumptions.assumeTrue(atlasMemory != null, "Spring AI 2.0 has no PromptChatMemoryAdvisor");
        ChatClient withAtlas = ChatClient.builder(atlasModel).defaultTools(new OrderTools())
                .defaultAdvisors(atlasMemory, AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false))
                .defaultAdvisors(recording.advisors()).build();
        ChatClient withReference = ChatClient.builder(referenceModel).defaultTools(new OrderTools())
                .defaultAdvisors(referenceMemory, AtlasToolLoopAdvisor.of(ToolCallingManager.builder().build(), false)).build();
        for (int i = 0; i < 6; i++) {
            String question = turn(i);
            String a = i % 3 == 2 ? String.join("", withAtlas.prompt().user(question).advisors(x -> x.param(ChatMemory.CONVERSATION_ID, "p"))
                    .stream().content().collectList().block(java.time.Duration.ofMinutes(1))) : say(withAtlas, "p", question);
            String r = i % 3 == 2 ? String.join("", withReference.prompt().user(question).advisors(x -> x.param(ChatMemory.CONVERSATION_ID, "p"))
                    .stream().content().collectList().block(java.time.Duration.ofMinutes(1))) : say(withReference, "p", question);
            assertThat(a).isEqualTo(r);
            assertThat(shapes(repository.findByConversationId("p"))).as("window after turn %d", i)
                    .isEqualTo(shapes(reference.findByConversationId("p")));
        }
        assertThat(atlasModel.prompts()).hasSameSizeAs(referenceModel.prompts());
        for (int p = 0; p < atlasModel.prompts().size(); p++) {
            assertThat(shapes(atlasModel.prompts().get(p))).as("prompt %d", p).isEqualTo(shapes(referenceModel.prompts().get(p)));
        }
        Conversation c = tenant.conversations().requireByKey("p");
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id()).limit(100)).items()).hasSize(6)
                .allSatisfy(e -> assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED));
    }

    /** A model of "scripted-1" that only streams, answering each prompt with {@code stream}. */
    static org.springframework.ai.chat.model.ChatModel streamingOnly(java.util.function.Function<org.springframework.ai.chat.prompt.Prompt,
            reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse>> stream) {
        return new org.springframework.ai.chat.model.ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                throw new UnsupportedOperationException("streams only");
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return stream.apply(prompt);
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("scripted-1").build();
            }
        };
    }

    /** One streamed chunk of "scripted-1": its text, 150 input tokens and {@code out} output tokens so far. */
    static org.springframework.ai.chat.model.ChatResponse scriptedChunk(String text, int out) {
        return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(new AssistantMessage(text))),
                org.springframework.ai.chat.metadata.ChatResponseMetadata.builder().model("scripted-1")
                        .usage(new org.springframework.ai.chat.metadata.DefaultUsage(150, out)).build());
    }
}
