package dev.atlas.langchain4j;

import dev.atlas.examples.langchain4j.scripted.OrderTools;
import dev.atlas.examples.langchain4j.scripted.ScriptedChatModel;
import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The LangChain4j adapter, driven through LangChain4j's own {@code AiServices} and
 * {@code MessageWindowChatMemory}, on a real database; each dialect runs it unchanged.
 */
public abstract class LangChain4jAdapterContract {
    private static final int WINDOW = 7;

    private final TestDatabase database;
    protected Atlas atlas;
    protected Tenant tenant;

    protected LangChain4jAdapterContract(TestDatabase database) {
        this.database = database;
    }

    /** Another database of the same kind, for a second Atlas instance beside the test's. */
    protected abstract TestDatabase anotherDatabase();

    /**
     * The data source a second Atlas instance on the test's database is given, as another JVM's application would give it;
     * closed by the test when it is {@link AutoCloseable}.
     */
    protected javax.sql.DataSource secondInstanceDataSource() {
        return database.dataSource();
    }

    @BeforeEach
    void open() {
        atlas = database.open();
        tenant = atlas.tenant("acme");
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    /** Records every message LangChain4j adds to a memory, so the stored transcript can be compared with it. */
    private static final class RecordingProvider implements ChatMemoryProvider {
        final Map<Object, List<ChatMessage>> added = new ConcurrentHashMap<>();
        private final ChatMemoryProvider delegate;
        private final Map<Object, ChatMemory> memories = new ConcurrentHashMap<>();

        RecordingProvider(ChatMemoryProvider delegate) {
            this.delegate = delegate;
        }

        @Override
        public ChatMemory get(Object memoryId) {
            return memories.computeIfAbsent(memoryId, id -> {
                ChatMemory inner = delegate.get(id);
                List<ChatMessage> log = added.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>()));
                return new ChatMemory() {
                    @Override
                    public Object id() {
                        return inner.id();
                    }

                    @Override
                    public void add(ChatMessage message) {
                        // MessageWindowChatMemory ignores a system message equal to the one it holds.
                        boolean repeat = message instanceof SystemMessage && inner.messages().contains(message);
                        inner.add(message);
                        if (!repeat) {
                            log.add(message);
                        }
                    }

                    @Override
                    public List<ChatMessage> messages() {
                        return inner.messages();
                    }

                    @Override
                    public void clear() {
                        inner.clear();
                    }
                };
            });
        }
    }

    private Assistant assistant(ChatMemoryProvider memory, boolean listen) {
        return AiServices.builder(Assistant.class)
                .chatModel(new ScriptedChatModel(listen ? List.of(AtlasChatModelListener.of(tenant)) : List.of()))
                .chatMemoryProvider(memory)
                .tools(new OrderTools())
                .build();
    }

    private static String turn(int i) {
        return i % 3 == 0 ? "where is order " + i : "hello " + i;
    }

    private List<ChatMessage> transcript(Conversation c) {
        return tenant.conversations().messages(c.id(), 0, 1000).stream().map(Messages::fromAtlas).toList();
    }

    @Test
    @DisplayName("50 turns with tool calls through AiServices: the window equals InMemoryChatMemoryStore's after every turn, and every message is appended once")
    void fiftyTurnsMatchLangChain4jsInMemoryStore() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
        RecordingProvider atlasMemory = new RecordingProvider(AtlasChatMemory.provider(store, WINDOW));
        Assistant withAtlas = assistant(atlasMemory, true);
        Assistant withReference = assistant(id -> MessageWindowChatMemory.builder().id(id).maxMessages(WINDOW)
                .chatMemoryStore(reference).build(), false);

        for (int i = 1; i <= 50; i++) {
            String a = withAtlas.chat("user-1", turn(i));
            String b = withReference.chat("user-1", turn(i));
            assertThat(a).isEqualTo(b);
            assertThat(store.getMessages("user-1")).as("window after turn %d", i).isEqualTo(reference.getMessages("user-1"));
            assertThat(AtlasChatMemoryStore.of(tenant).getMessages("user-1"))
                    .as("a fresh store reads the same window").isEqualTo(reference.getMessages("user-1"));
        }

        Conversation c = tenant.conversations().requireByKey("user-1");
        List<ChatMessage> added = atlasMemory.added.get("user-1");
        // 1 system message, 50 user messages, 50 answers, and per tool turn (16 of them) a request and a result.
        assertThat(added).hasSize(1 + 50 + 50 + 16 * 2);
        assertThat(transcript(c)).as("the stored rows are exactly the messages added, in order").isEqualTo(added);
        List<Message> rows = tenant.conversations().messages(c.id(), 0, 1000);
        for (int i = 0; i < rows.size(); i++) {
            Message m = rows.get(i);
            assertThat(m.sequence()).isEqualTo(i + 1);
            assertThat(m.editedAt()).as("never edited").isNull();
            assertThat(m.updatedAt()).as("never rewritten").isEqualTo(m.createdAt());
        }
        assertThat(rows.stream().filter(m -> m.role() == Role.TOOL).map(Message::content))
                .contains("order 6 shipped", "order 3 is archived");
        ToolExecutionResultMessage failed = (ToolExecutionResultMessage) Messages.fromAtlas(rows.stream()
                .filter(m -> m.content().equals("order 3 is archived")).findFirst().orElseThrow());
        assertThat(failed.isError()).isTrue();
        assertThat(failed.id()).isEqualTo("call-3");
    }

    /** An AI service whose memory id is a number, as an application keying memories by its users' numeric ids writes it. */
    interface ByNumber {
        String chat(@dev.langchain4j.service.MemoryId long user, @dev.langchain4j.service.UserMessage String text);
    }

    /** The same memories keyed by text (not a UUID). */
    interface ByName {
        String chat(@dev.langchain4j.service.MemoryId String user, @dev.langchain4j.service.UserMessage String text);
    }

    @Test
    @DisplayName("a listener that waits for another thread writing the same memory completes: the tool call a stored result"
            + " completes is heard once the memory's lock is released, on the writing thread, with the events in the order recorded")
    void aListenerWaitingForAWriteOfItsMemoryCompletes() throws Exception {
        java.util.concurrent.atomic.AtomicReference<AtlasChatMemoryStore> store = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Thread> writer = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> heard = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> waited = Collections.synchronizedList(new ArrayList<>());
        dev.atlas.execution.ExecutionListener listener = new dev.atlas.execution.ExecutionListener() {
            @Override
            public void started(String tenantId, Execution execution) {
                heard.add("started");
            }

            @Override
            public void stepFinished(String tenantId, ExecutionStep step) {
                heard.add("stepFinished " + step.finishReason());
            }

            @Override
            public void toolCallFinished(String tenantId, ToolCall call) {
                heard.add("toolCallFinished " + call.status() + " " + call.result());
                // Another request of the same user writes the memory meanwhile (as ChatMemory.set would), and the listener waits for it.
                CountDownLatch written = new CountDownLatch(1);
                Thread t = new Thread(() -> {
                    store.get().updateMessages("lock-heard", store.get().getMessages("lock-heard"));
                    written.countDown();
                });
                writer.set(t);
                t.start();
                try {
                    // Only a write that never gets the lock reaches this bound (the write takes milliseconds): it never
                    // decides a passing run, whatever CI's load.
                    waited.add(written.await(120, TimeUnit.SECONDS));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void completed(String tenantId, Execution execution) {
                heard.add("completed");
            }
        };
        Atlas own = database.open(b -> b.executionListener(listener));
        try {
            Tenant acme = own.tenant("acme");
            store.set(AtlasChatMemoryStore.of(acme));
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(new ScriptedChatModel(List.of(AtlasChatModelListener.of(acme))))
                    .chatMemoryProvider(AtlasChatMemory.provider(store.get(), WINDOW)).tools(new OrderTools()).build();
            assertThat(assistant.chat("lock-heard", "where is order 4")).isEqualTo("done: order 4 shipped");
            writer.get().join();
            assertThat(waited).containsExactly(true);
            assertThat(heard).containsExactly("started", "stepFinished tool_calls", "completed", "toolCallFinished completed order 4 shipped",
                    "started", "stepFinished stop", "completed");
        } finally {
            own.close();
        }
    }

    @Test
    @DisplayName("a conversation imported into another tenant (same id) asking for tools in both at once: each tenant's result round"
            + " is started in the OpenTelemetry context of its own tenant's round that asked, never in the other tenant's")
    void toolRoundContextsAreKeptPerTenant() {
        Map<String, String> traces = Collections.synchronizedMap(new java.util.LinkedHashMap<>());
        dev.atlas.execution.ExecutionListener traced = new dev.atlas.execution.ExecutionListener() {
            @Override
            public void started(String tenantId, Execution execution) {
                traces.put(tenantId + " " + traces.size(), io.opentelemetry.api.trace.Span.current().getSpanContext().getTraceId());
            }
        };
        Atlas own = database.open(b -> b.executionListener(traced));
        try {
            Tenant acme = own.tenant("acme");
            Tenant globex = own.tenant("globex");
            AtlasChatMemoryStore.of(acme).updateMessages("shared", List.of(UserMessage.from("hello")));
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            acme.portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
            globex.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray()));
            assertThat(AtlasChatMemoryStore.of(globex).conversation("shared").orElseThrow().id())
                    .isEqualTo(AtlasChatMemoryStore.of(acme).conversation("shared").orElseThrow().id());

            ScriptedChatModel model = new ScriptedChatModel(List.of(AtlasChatModelListener.builder(own).build()));
            String traceA = "0af7651916cd43dd8448eb211c80319a";
            String traceG = "0af7651916cd43dd8448eb211c80319b";
            Map<String, AiMessage> asked = new java.util.HashMap<>();
            for (String[] t : List.of(new String[] {"acme", traceA}, new String[] {"globex", traceG})) {
                io.opentelemetry.api.trace.Span app = io.opentelemetry.api.trace.Span.wrap(io.opentelemetry.api.trace.SpanContext.create(t[1],
                        "b7ad6b7169203331", io.opentelemetry.api.trace.TraceFlags.getSampled(), io.opentelemetry.api.trace.TraceState.getDefault()));
                try (io.opentelemetry.context.Scope s = io.opentelemetry.context.Context.root().with(app).makeCurrent()) {
                    asked.put(t[0], model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("order 4")).build(),
                            options(t[0])).aiMessage());
                }
            }
            // Each result round asked on a thread with no context of its own (as a provider's thread): its tenant's asking round's.
            for (String t : List.of("acme", "globex")) {
                AiMessage ai = asked.get(t);
                model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("order 4"), ai,
                        dev.langchain4j.data.message.ToolExecutionResultMessage.from(ai.toolExecutionRequests().get(0), "shipped")).build(), options(t));
            }
            assertThat(traces).containsExactly(Map.entry("acme 0", traceA), Map.entry("globex 1", traceG),
                    Map.entry("acme 2", traceA), Map.entry("globex 3", traceG));
        } finally {
            own.close();
        }
    }

    private static dev.langchain4j.model.chat.ChatRequestOptions options(String tenantId) {
        return dev.langchain4j.model.chat.ChatRequestOptions.builder().addListenerAttribute(AtlasChatModelListener.TENANT_ID, tenantId)
                .addListenerAttribute(AtlasChatModelListener.MEMORY_ID, "shared").build();
    }

    @Test
    @DisplayName("AiServices with a @MemoryId long and another with a @MemoryId String (not a UUID): user 7 and \"7\" are one memory"
            + " whichever service takes the turn (each AI service caches its own ChatMemory), its window equal to one service's"
            + " keyed by \"7\" on InMemoryChatMemoryStore; \"user-7\" is another; each call's execution is linked to its memory")
    void memoryIdsOfSeveralTypes() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        ScriptedChatModel model = new ScriptedChatModel(List.of(AtlasChatModelListener.of(tenant)));
        ByNumber byNumber = AiServices.builder(ByNumber.class).chatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(store, WINDOW)).tools(new OrderTools()).build();
        ByName byName = AiServices.builder(ByName.class).chatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(store, WINDOW)).tools(new OrderTools()).build();
        InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
        ByName referenceService = AiServices.builder(ByName.class).chatModel(new ScriptedChatModel(List.of()))
                .chatMemoryProvider(id -> MessageWindowChatMemory.builder().id(id).maxMessages(WINDOW).chatMemoryStore(reference).build())
                .tools(new OrderTools()).build();
        for (int i = 1; i <= 4; i++) {
            String answer = i % 2 == 1 ? byNumber.chat(7L, turn(i)) : byName.chat("7", turn(i));
            assertThat(answer).isEqualTo(referenceService.chat("7", turn(i)));
            assertThat(store.getMessages(7L)).as("window after turn %d", i).isEqualTo(reference.getMessages("7"))
                    .isEqualTo(store.getMessages("7"));
        }
        assertThat(byName.chat("user-7", "hello other")).isEqualTo(referenceService.chat("user-7", "hello other"));
        assertThat(store.getMessages("user-7")).isEqualTo(reference.getMessages("user-7"));

        Conversation seven = tenant.conversations().requireByKey("7");
        Conversation other = tenant.conversations().requireByKey("user-7");
        assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items())
                .extracting(Conversation::id).containsExactlyInAnyOrder(seven.id(), other.id());
        var executions = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all().limit(100)).items();
        // Turns 1 to 4 (turn 3 with a tool round) on memory "7", then one on "user-7": none without its memory.
        assertThat(executions).extracting(dev.atlas.execution.Execution::conversationId)
                .containsOnly(seven.id(), other.id());
        assertThat(executions).filteredOn(e -> other.id().equals(e.conversationId())).hasSize(1);
    }

    @Test
    @DisplayName("Every message kind round-trips exactly: tool requests, tool results with isError true/false/unknown, names, thinking, contents")
    void messagesRoundTripExactly() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        List<ChatMessage> messages = List.of(
                SystemMessage.from("Be brief."),
                UserMessage.from("klaus", "What about 7 and 8?"),
                AiMessage.builder().text("Checking.").thinking("two lookups")
                        .toolExecutionRequests(List.of(
                                ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{\"order\":\"7\"}").build(),
                                ToolExecutionRequest.builder().id("c2").name("lookup").arguments("{\"order\":\"8\"}").build()))
                        .build(),
                ToolExecutionResultMessage.builder().id("c1").toolName("lookup").text("archived").isError(true).build(),
                ToolExecutionResultMessage.builder().id("c2").toolName("lookup").text("shipped").isError(false).build(),
                ToolExecutionResultMessage.from("c3", "lookup", "unknown"),
                AiMessage.from("7 is archived, 8 shipped."),
                UserMessage.from(TextContent.from("And this?"), ImageContent.from("https://example.com/a.png")));
        store.updateMessages("m", messages);

        assertThat(store.getMessages("m")).isEqualTo(messages);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("m")).isEqualTo(messages);
        List<Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("m").id(), 0, 100);
        assertThat(rows).extracting(Message::role).containsExactly(Role.SYSTEM, Role.USER, Role.ASSISTANT, Role.TOOL, Role.TOOL,
                Role.TOOL, Role.ASSISTANT, Role.USER);
        assertThat(rows).extracting(Message::content).containsExactly("Be brief.", "What about 7 and 8?", "Checking.", "archived",
                "shipped", "unknown", "7 is archived, 8 shipped.", "And this?");
        assertThat(((ToolExecutionResultMessage) store.getMessages("m").get(5)).isError()).isNull();
    }

    @Test
    @DisplayName("A changed system message replaces the old one in the window, as LangChain4j expects, in both placements")
    void systemMessageIsReplacedAsLangChain4jDoes() {
        for (boolean first : new boolean[] {false, true}) {
            String id = "sys-" + first;
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
            InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
            ChatMemory a = MessageWindowChatMemory.builder().id(id).maxMessages(4).alwaysKeepSystemMessageFirst(first).chatMemoryStore(store).build();
            ChatMemory b = MessageWindowChatMemory.builder().id(id).maxMessages(4).alwaysKeepSystemMessageFirst(first).chatMemoryStore(reference).build();
            List<ChatMessage> steps = List.of(SystemMessage.from("v1"), UserMessage.from("u1"), AiMessage.from("a1"),
                    SystemMessage.from("v1"), UserMessage.from("u2"), SystemMessage.from("v2"), AiMessage.from("a2"),
                    UserMessage.from("u3"), AiMessage.from("a3"), SystemMessage.from("v3"), UserMessage.from("u4"));
            for (ChatMessage m : steps) {
                a.add(m);
                b.add(m);
                assertThat(store.getMessages(id)).as("after %s (first=%s)", m, first).isEqualTo(reference.getMessages(id));
            }
            // Appends only: the repeated v1 is not stored again; everything else is, once.
            assertThat(tenant.conversations().messages(store.conversation(id).orElseThrow().id(), 0, 100)).hasSize(steps.size() - 1);
        }
    }

    @Test
    @DisplayName("ChatMemory.set replaces the window as LangChain4j's store does (compaction, an edited message); history is only appended to, each new message stored once")
    void setReplacesTheWindowAndAppendsOnlyNewMessages() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
        ChatMemory a = MessageWindowChatMemory.builder().id("e").maxMessages(10).chatMemoryStore(store).build();
        ChatMemory b = MessageWindowChatMemory.builder().id("e").maxMessages(10).chatMemoryStore(reference).build();
        List<ChatMessage> turns = List.of(SystemMessage.from("be brief"), UserMessage.from("u1"), AiMessage.from("a1"),
                UserMessage.from("u2"), AiMessage.from("a2"));
        turns.forEach(m -> {
            a.add(m);
            b.add(m);
        });
        List<List<ChatMessage>> sets = List.of(
                // Compaction: a summary in place of the first turn, the last turn kept.
                List.of(SystemMessage.from("be brief"), UserMessage.from("summary: u1/a1"), UserMessage.from("u2"), AiMessage.from("a2")),
                // An earlier message edited, one after it kept.
                List.of(UserMessage.from("u2 edited"), AiMessage.from("a2")),
                // A new message equal to one the window drops ("u2 edited" again, at the end): a new message.
                List.of(AiMessage.from("a2"), UserMessage.from("u2 edited")),
                List.of(AiMessage.from("a2"), UserMessage.from("u2 edited"), UserMessage.from("u3")));
        for (List<ChatMessage> set : sets) {
            a.set(set);
            b.set(set);
            assertThat(store.getMessages("e")).isEqualTo(reference.getMessages("e")).isEqualTo(set);
            assertThat(AtlasChatMemoryStore.of(tenant).getMessages("e")).isEqualTo(set);
        }
        // Nothing edited or deleted: the rows are the messages given, each once, in the order given.
        UUID id = store.conversation("e").orElseThrow().id();
        assertThat(tenant.conversations().messages(id, 0, 100)).extracting(Message::content)
                .containsExactly("be brief", "u1", "a1", "u2", "a2", "summary: u1/a1", "u2 edited", "u2 edited", "u3");
        assertThat(tenant.conversations().messages(id, 0, 100)).allSatisfy(m -> assertThat(m.editedAt()).isNull());
        // A message given twice in one list is two messages.
        store.updateMessages("twice", List.of(UserMessage.from("ok"), UserMessage.from("ok")));
        assertThat(store.getMessages("twice")).containsExactly(UserMessage.from("ok"), UserMessage.from("ok"));
    }

    @Test
    @DisplayName("A message repeating an earlier, evicted one is a new message: stored again, at the end")
    void repeatedMessageIsStoredAgain() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
        ChatMemory a = MessageWindowChatMemory.builder().id("r").maxMessages(2).chatMemoryStore(store).build();
        ChatMemory b = MessageWindowChatMemory.builder().id("r").maxMessages(2).chatMemoryStore(reference).build();
        for (ChatMessage m : List.of(UserMessage.from("ok"), AiMessage.from("1"), UserMessage.from("x"), AiMessage.from("2"),
                UserMessage.from("ok"), AiMessage.from("1"))) {
            a.add(m);
            b.add(m);
            assertThat(store.getMessages("r")).isEqualTo(reference.getMessages("r"));
        }
        assertThat(tenant.conversations().messages(store.conversation("r").orElseThrow().id(), 0, 100))
                .extracting(Message::content).containsExactly("ok", "1", "x", "2", "ok", "1");
    }

    @Test
    @DisplayName("A repeated message is stored again when the window evicts every other non-system message (window of 1, or a system message and 1)")
    void repeatedMessageIsStoredAgainWhenTheWindowKeepsNothingElse() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        List<ChatMessage> turns = List.of(UserMessage.from("ok"), AiMessage.from("sure"), UserMessage.from("ok"), AiMessage.from("sure"));
        for (int window : new int[] {1, 2}) {
            String id = "small-" + window;
            InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
            ChatMemory a = MessageWindowChatMemory.builder().id(id).maxMessages(window).chatMemoryStore(store).build();
            ChatMemory b = MessageWindowChatMemory.builder().id(id).maxMessages(window).chatMemoryStore(reference).build();
            List<ChatMessage> all = new ArrayList<>();
            if (window == 2) {
                all.add(SystemMessage.from("be brief"));
            }
            all.addAll(turns);
            for (ChatMessage m : all) {
                a.add(m);
                b.add(m);
                assertThat(store.getMessages(id)).isEqualTo(reference.getMessages(id));
            }
            assertThat(tenant.conversations().messages(store.conversation(id).orElseThrow().id(), 0, 100))
                    .as("window " + window).extracting(Message::content)
                    .containsExactlyElementsOf(all.stream().map(m -> m instanceof SystemMessage s ? s.text()
                            : m instanceof UserMessage u ? u.singleText() : ((AiMessage) m).text()).toList());
        }
    }

    @Test
    @DisplayName("A user message with an inline (base64) image of 300 KB round-trips exactly; the bytes are kept as an Atlas asset, not in the message's metadata")
    void inlineImageRoundTrips() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        byte[] png = new byte[300_000];
        new java.util.Random(7).nextBytes(png);
        String base64 = java.util.Base64.getEncoder().encodeToString(png);
        UserMessage photo = UserMessage.from(TextContent.from("What is on this photo?"),
                ImageContent.from(base64, "image/png", ImageContent.DetailLevel.HIGH));
        List<ChatMessage> messages = List.of(photo, AiMessage.from("A cat."));
        store.updateMessages("photo", messages);

        assertThat(store.getMessages("photo")).isEqualTo(messages);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("photo")).isEqualTo(messages);
        Conversation c = tenant.conversations().requireByKey("photo");
        Message row = tenant.conversations().messages(c.id(), 0, 10).get(0);
        assertThat(row.content()).isEqualTo("What is on this photo?");
        assertThat(row.metadata().toString()).doesNotContain(base64.substring(0, 100));
        List<dev.atlas.asset.AttachedAsset> attached = tenant.assets().forMessage(row.id());
        assertThat(attached).hasSize(1);
        assertThat(attached.get(0).asset().mimeType()).isEqualTo("image/png");
        assertThat(attached.get(0).asset().sizeBytes()).isEqualTo(300_000L);
        // Another tenant under the same memory id sees nothing of it.
        assertThat(AtlasChatMemoryStore.of(atlas.tenant("globex")).getMessages("photo")).isEmpty();
    }

    @Test
    @DisplayName("An image whose asset the application deletes after it was read (a user removing a photo) is left out of the very next read,"
            + " by this store and a new one alike: the bytes read before are not sent to a model again")
    void imageDeletedAfterAReadIsLeftOutAtOnce() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        byte[] png = new byte[3_000];
        new java.util.Random(8).nextBytes(png);
        UserMessage photo = UserMessage.from(TextContent.from("What is on this photo?"),
                ImageContent.from(java.util.Base64.getEncoder().encodeToString(png), "image/png", ImageContent.DetailLevel.HIGH));
        store.updateMessages("removed-photo", List.of(photo, AiMessage.from("A cat.")));
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("removed-photo")).hasSize(2);

        Message row = tenant.conversations().messages(tenant.conversations().requireByKey("removed-photo").id(), 0, 10).get(0);
        tenant.assets().delete(tenant.assets().forMessage(row.id()).get(0).asset().id());

        for (AtlasChatMemoryStore reader : List.of(store, AtlasChatMemoryStore.of(tenant))) {
            List<ChatMessage> read = reader.getMessages("removed-photo");
            assertThat(read).hasSize(2);
            assertThat(((UserMessage) read.get(0)).contents()).containsExactly(TextContent.from("What is on this photo?"));
            assertThat(read.get(1)).isEqualTo(AiMessage.from("A cat."));
        }
    }

    @Test
    @DisplayName("A tool result carrying an inline image of 300 KB (a screenshot tool, an MCP tool) is stored, its bytes as an asset, and round-trips exactly")
    void toolResultWithAnInlineImageRoundTrips() throws java.sql.SQLException {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        byte[] png = new byte[300_000];
        new java.util.Random(11).nextBytes(png);
        String base64 = java.util.Base64.getEncoder().encodeToString(png);
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("s1").name("screenshot").arguments("{}").build());
        ToolExecutionResultMessage shot = ToolExecutionResultMessage.builder().id("s1").toolName("screenshot")
                .contents(TextContent.from("the login page"), ImageContent.from(base64, "image/png")).build();
        List<ChatMessage> messages = List.of(UserMessage.from("what does the login page show?"), asks, shot, AiMessage.from("A form."));
        store.updateMessages("shot", messages);

        assertThat(store.getMessages("shot")).isEqualTo(messages);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("shot")).isEqualTo(messages);
        Message row = tenant.conversations().messages(tenant.conversations().requireByKey("shot").id(), 0, 10).get(2);
        assertThat(row.role()).isEqualTo(Role.TOOL);
        assertThat(row.content()).isEqualTo("the login page");
        assertThat(row.metadata().toString()).doesNotContain(base64.substring(0, 100));
        assertThat(tenant.assets().forMessage(row.id())).singleElement()
                .satisfies(a -> assertThat(a.asset().sizeBytes()).isEqualTo(300_000L));
        assertThat(liveAssets()).isEqualTo(1);
    }

    @Test
    @DisplayName("Messages too large for a row's metadata (a 300 KB PDF, a tool call writing a 400 KB file, long thinking) are stored, their JSON kept as an asset, and round-trip exactly")
    void messagesTooLargeForMetadataRoundTrip(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.sql.SQLException {
        CountingBlobStore blobs = reopenWithCountingBlobs(dir);
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        byte[] pdf = new byte[300_000];
        new java.util.Random(5).nextBytes(pdf);
        String file = "\"quoted\" line\n".repeat(30_000);
        AiMessage writes = AiMessage.builder().thinking("t".repeat(300_000)).toolExecutionRequests(List.of(ToolExecutionRequest.builder()
                .id("w1").name("write_file").arguments("{\"content\":" + new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(file) + "}").build())).build();
        List<ChatMessage> messages = List.of(
                UserMessage.from(TextContent.from("summarise and save"),
                        dev.langchain4j.data.message.PdfFileContent.from(java.util.Base64.getEncoder().encodeToString(pdf), "application/pdf")),
                writes,
                ToolExecutionResultMessage.from(writes.toolExecutionRequests().get(0), "saved"),
                AiMessage.from("Saved."));
        store.updateMessages("big", messages);

        assertThat(store.getMessages("big")).isEqualTo(messages);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("big")).isEqualTo(messages);
        List<Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("big").id(), 0, 10);
        assertThat(rows).extracting(Message::content).containsExactly("summarise and save", "", "saved", "Saved.");
        assertThat(liveAssets()).isEqualTo(2);
        assertThat(tenant.assets().forMessage(rows.get(0).id())).hasSize(1);
        assertThat(tenant.assets().forMessage(rows.get(1).id())).hasSize(1);
        int opens = blobs.opens.get();
        store.updateMessages("big", List.of(writes, messages.get(2), messages.get(3), UserMessage.from("thanks")));
        assertThat(blobs.puts.get()).as("kept messages are not written again").isEqualTo(2);
        assertThat(blobs.opens.get()).as("nor read again by the store that wrote them").isEqualTo(opens);
    }

    @Test
    @DisplayName("Tool output a text column cannot hold (a NUL byte, an emoji cut in half, 1.5 MB) is stored: the column gets a storable copy, the message round-trips exactly")
    void toolOutputTheColumnsCannotHoldRoundTrips() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        String cut = "smile \uD83D\uDE00".substring(0, 7);
        String huge = "line of a fetched page\n".repeat(65_000);
        AiMessage asks = AiMessage.from(
                ToolExecutionRequest.builder().id("r1").name("read").arguments("{}").build(),
                ToolExecutionRequest.builder().id("r2").name("read").arguments("{}").build(),
                ToolExecutionRequest.builder().id("r3").name("fetch").arguments("{}").build());
        List<ChatMessage> messages = List.of(UserMessage.from("read them"), asks,
                ToolExecutionResultMessage.from("r1", "read", "bin\u0000ary"),
                ToolExecutionResultMessage.from("r2", "read", cut),
                ToolExecutionResultMessage.from("r3", "fetch", huge),
                AiMessage.from("Done."));
        store.updateMessages("odd", messages);

        assertThat(store.getMessages("odd")).isEqualTo(messages);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("odd")).isEqualTo(messages);
        List<Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("odd").id(), 0, 10);
        assertThat(rows.get(2).content()).isEqualTo("bin\uFFFDary");
        assertThat(rows.get(3).content()).isEqualTo("smile \uFFFD");
        assertThat(rows.get(4).content()).hasSize(dev.atlas.Limits.MAX_CONTENT_LENGTH);
    }

    @Test
    @DisplayName("an inline image of a message the conversation refuses (closed) leaves no asset row behind (discarded at once)")
    void refusedMessageLeavesNoImageAsset() throws java.sql.SQLException {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("closed", List.of(UserMessage.from("hi")));
        tenant.conversations().close(tenant.conversations().requireByKey("closed").id());
        UserMessage photo = UserMessage.from(TextContent.from("and this?"),
                ImageContent.from(java.util.Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}), "image/png"));
        assertThatThrownBy(() -> store.updateMessages("closed", List.of(UserMessage.from("hi"), photo)))
                .isInstanceOf(dev.atlas.ConflictException.class);
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM atlas_assets")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }
    }

    /**
     * Counts what reaches the real blob store, so a test can tell which image bytes were written or
     * read again; {@code beforePut} runs first on every put (a test holds a write up in blob I/O with it).
     */
    @Test
    @DisplayName("The app's own conversation metadata, written while a turn stores its messages, is kept beside the window marker")
    void appMetadataWrittenDuringATurnIsKept(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.util.concurrent.atomic.AtomicReference<Runnable> duringPut = new java.util.concurrent.atomic.AtomicReference<>(() -> {});
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.blobStore(new CountingBlobStore(dir, () -> duringPut.getAndSet(() -> {}).run())));
        tenant = atlas.tenant("acme");
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("meta", List.of(UserMessage.from("hi")));
        UUID id = store.conversation("meta").orElseThrow().id();
        // The app tags the conversation while the next turn writes its photo.
        duringPut.set(() -> {
            Map<String, Object> tagged = new java.util.LinkedHashMap<>(tenant.conversations().require(id).metadata());
            tagged.put("topic", "pets");
            tenant.conversations().updateMetadata(id, tagged);
        });
        List<ChatMessage> turn = List.of(UserMessage.from("hi"), photo("a cat?", 1));
        store.updateMessages("meta", turn);
        assertThat(tenant.conversations().require(id).metadata()).containsEntry("topic", "pets");
        assertThat(store.getMessages("meta")).isEqualTo(turn);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("meta")).isEqualTo(turn);
    }

    @Test
    @DisplayName("A memory cleared or erased elsewhere while a turn stores its messages (another instance's ChatMemory.clear, an erasure request): the turn's list goes to a new conversation, as InMemoryChatMemoryStore keeps a list given after a clear; erased while the model answers, the reply alone starts one")
    void memoryClearedDuringATurnStartsANewConversation(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.util.concurrent.atomic.AtomicReference<Runnable> duringPut = new java.util.concurrent.atomic.AtomicReference<>(() -> {});
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.blobStore(new CountingBlobStore(dir, () -> duringPut.getAndSet(() -> {}).run())));
        tenant = atlas.tenant("acme");
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("cleared", List.of(UserMessage.from("hi"), AiMessage.from("hello")));
        UUID old = store.conversation("cleared").orElseThrow().id();
        // Another instance (its own store, so no lock of this JVM's) clears the memory while this turn writes its photo.
        duringPut.set(() -> tenant.conversations().delete(old));
        List<ChatMessage> turn = List.of(UserMessage.from("hi"), AiMessage.from("hello"), photo("a cat?", 1));
        store.updateMessages("cleared", turn);
        assertThat(store.getMessages("cleared")).isEqualTo(turn);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("cleared")).isEqualTo(turn);
        UUID renewed = store.conversation("cleared").orElseThrow().id();
        assertThat(renewed).isNotEqualTo(old);
        assertThat(tenant.conversations().messages(renewed, 0, 10)).extracting(Message::content).containsExactly("hi", "hello", "a cat?");
        assertThat(tenant.conversations().get(old)).isEmpty();

        // Decided (docs/langchain4j.md): erased (Portability.eraseConversation, a user's erasure request) rather than
        // deleted while a turn writes, the same: the turn's list, read before the erase, goes whole to a new conversation;
        // nothing of the erased one is left. The store cannot tell a list read before an erase from one given afresh.
        duringPut.set(() -> tenant.portability().eraseConversation(renewed, false));
        List<ChatMessage> after = List.of(UserMessage.from("hi"), AiMessage.from("hello"), photo("a cat?", 1), photo("a dog?", 2));
        store.updateMessages("cleared", after);
        UUID third = store.conversation("cleared").orElseThrow().id();
        assertThat(third).isNotIn(old, renewed);
        assertThat(tenant.conversations().get(renewed)).isEmpty();
        assertThat(tenant.conversations().messages(third, 0, 10)).extracting(Message::content).containsExactly("hi", "hello", "a cat?", "a dog?");
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("cleared")).isEqualTo(after);

        // Erased between a turn's user message and its reply (while the model answers): LangChain4j's memory reads the
        // memory again to add the reply, finds it empty, and the reply alone starts a new conversation; no error.
        MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("cleared").maxMessages(10).chatMemoryStore(store).build();
        memory.add(UserMessage.from("and a bird?"));
        UUID fourth = store.conversation("cleared").orElseThrow().id();
        assertThat(fourth).isEqualTo(third);
        tenant.portability().eraseConversation(third, false);
        memory.add(AiMessage.from("a bird"));
        UUID fifth = store.conversation("cleared").orElseThrow().id();
        assertThat(fifth).isNotIn(old, renewed, third);
        assertThat(tenant.conversations().messages(fifth, 0, 10)).extracting(Message::content).containsExactly("a bird");
        assertThat(memory.messages()).containsExactly(AiMessage.from("a bird"));
        assertThat(tenant.conversations().get(third)).isEmpty();
    }

    @Test
    @DisplayName("Conversation metadata the app filled to Atlas's limit, leaving no room for a longer window marker: the turn is refused with ConflictException on metadata before any message is appended")
    void appMetadataAtTheLimitLeavesNoRoomForTheMarker() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("full", List.of(UserMessage.from("hi")));
        UUID id = store.conversation("full").orElseThrow().id();
        Map<String, Object> full = new java.util.LinkedHashMap<>(tenant.conversations().require(id).metadata());
        int used = ("{\"notes\":\"\"," + new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(full).toString().substring(1)).length();
        full.put("notes", "n".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - used));
        tenant.conversations().updateMetadata(id, full);
        // A window of other runs than the stored one (hi, then the new hello, then a new hi): a longer marker.
        List<ChatMessage> turn = List.of(AiMessage.from("hello"), UserMessage.from("hi"), AiMessage.from("there"));
        // Refused before any message is appended (it failed after them, so a retry of the turn stored them twice).
        assertThatThrownBy(() -> store.updateMessages("full", turn)).isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("metadata");
            assertThat(e.getMessage()).startsWith("metadata: the conversation's metadata leaves no room for the memory's window marker"
                    + " (langchain4j.window): it would be 262156 characters, at most 262144 are allowed;");
        });
        assertThat(tenant.conversations().messages(id, 0, 10)).extracting(Message::content).containsExactly("hi");
        assertThat(store.getMessages("full")).containsExactly(UserMessage.from("hi"));
        // A turn that keeps the window's runs needs no longer marker: it is stored.
        List<ChatMessage> same = List.of(UserMessage.from("hi"), AiMessage.from("hello"));
        full.put("notes", "n".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - used - 4));
        tenant.conversations().updateMetadata(id, full);
        store.updateMessages("full", same);
        assertThat(tenant.conversations().messages(id, 0, 10)).extracting(Message::content).containsExactly("hi", "hello");
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("full")).isEqualTo(same);
    }

    @Test
    @DisplayName("A conversation written under the memory id's key through Atlas itself has no window marker: LangChain4j's memory starts empty and its turns are appended after that history")
    void conversationWrittenOutsideTheStoreStartsAnEmptyMemory() {
        UUID id = tenant.conversations().ensure("imported", dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("u"))).id();
        tenant.conversations().append(id, dev.atlas.conversation.NewMessage.of(Role.USER, "from the web client"));
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        assertThat(store.getMessages("imported")).isEmpty();
        store.updateMessages("imported", List.of(UserMessage.from("hi")));
        assertThat(store.getMessages("imported")).containsExactly(UserMessage.from("hi"));
        assertThat(tenant.conversations().messages(id, 0, 10)).extracting(Message::content).containsExactly("from the web client", "hi");
    }

    @Test
    @DisplayName("Two Atlas instances on one database, two callers each, on one memory id: no turn fails, one conversation, every message stored exactly once,"
            + " both read the same window; a memory whose image and JSON assets are gone keeps working on the other instance (no cache):"
            + " images left out, the JSON message read as its columns, a tool round whose request's or result's JSON asset is gone left out whole,"
            + " a later turn stored; a clear on the other instance leaves the tool call this one's listener holds processing, for the sweep")
    void twoAtlasInstancesOnOneMemory() throws Exception {
        javax.sql.DataSource second = secondInstanceDataSource();
        try (AutoCloseable closesSecond = second instanceof AutoCloseable c ? c : () -> { };
             Atlas other = Atlas.builder().dataSource(second).build()) {
            List<Tenant> tenants = List.of(tenant, other.tenant("acme"));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> turns = new ArrayList<>();
                for (int caller = 0; caller < 4; caller++) {
                    int c = caller;
                    ChatMemory memory = MessageWindowChatMemory.builder().id("both").maxMessages(6)
                            .chatMemoryStore(AtlasChatMemoryStore.of(tenants.get(c % 2))).build();
                    turns.add(pool.submit(() -> {
                        for (int t = 0; t < 10; t++) {
                            memory.add(UserMessage.from("u" + c + "-" + t));
                            memory.add(AiMessage.from("a" + c + "-" + t));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : turns) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            List<Conversation> conversations = tenant.conversations().list(ConversationQuery.all()).items();
            assertThat(conversations).hasSize(1);
            List<String> stored = tenant.conversations().messages(conversations.get(0).id(), 0, 1000).stream().map(Message::content).toList();
            assertThat(stored).hasSize(80).doesNotHaveDuplicates();
            assertThat(AtlasChatMemoryStore.of(tenants.get(1)).getMessages("both")).isEqualTo(AtlasChatMemoryStore.of(tenant).getMessages("both"))
                    .hasSizeBetween(1, 6);
            goneAssetsAreLeftOutAndTheMemoryGoesOn(other);
            toolRoundsWhoseJsonAssetIsGoneAreLeftOutWhole(other);
            clearOnAnotherInstanceLeavesItsCallsToTheSweep(other);
        }
    }

    /**
     * The limit docs/langchain4j.md states: a clear on {@code other} (a second JVM on the same database) frees the memory id but
     * cannot reach the tool calls this instance's listener holds, so a call left without its result stays processing, left to
     * the sweep, also when this instance clears the id later (it then names no conversation).
     */
    private void clearOnAnotherInstanceLeavesItsCallsToTheSweep(Atlas other) {
        ChatMemoryProvider memories = AtlasChatMemory.provider(tenant, 20);
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("t2").name("refund").arguments("{\"order\":5}").build());
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(answering(asks)).chatMemoryProvider(memories)
                .tools(new OrderTools()).build();
        assertThatThrownBy(() -> assistant.chat("refunds", "refund order 5")).hasMessageStartingWith("The LLM is trying to execute the 'refund' tool");
        Supplier<ToolCall> left = () -> tenant.executions().list(ExecutionQuery.all()).items().stream()
                .flatMap(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().stream())
                .filter(t -> "t2".equals(t.providerCallId())).findFirst().orElseThrow();
        assertThat(left.get().status()).isEqualTo(ExecutionStatus.PROCESSING);
        AtlasChatMemory.provider(other.tenant("acme"), 20).get("refunds").clear();
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("refunds")).isEmpty();
        assertThat(left.get().status()).isEqualTo(ExecutionStatus.PROCESSING);
        memories.get("refunds").clear();
        assertThat(left.get().status()).isEqualTo(ExecutionStatus.PROCESSING);
    }

    /** A tool whose output for file "a" holds a NUL byte, which no text column holds: that result's JSON goes to an asset. */
    public static final class BinaryReader {
        @dev.langchain4j.agent.tool.Tool("Reads a file")
        public String read(String file) {
            return file.equals("a") ? "bin\u0000ary" : "text";
        }
    }

    /**
     * Two tool rounds of a real AiServices flow, one whose tool result's JSON asset is gone (its row
     * holds no tool call id), one whose request's JSON asset is gone (its row holds no tool request;
     * its result, a row of its own, keeps its id),
     * read by {@code other} (no cache): each round is left out whole, so the window the next turn
     * sends has no tool result without its request nor a request without its result (which a provider
     * refuses, every later turn failing), and the turn is stored.
     */
    private void toolRoundsWhoseJsonAssetIsGoneAreLeftOutWhole(Atlas other) {
        java.util.Iterator<AiMessage> answers = List.of(
                AiMessage.from(ToolExecutionRequest.builder().id("r1").name("read").arguments("{\"file\":\"a\"}").build()),
                // An argument with an escaped NUL: the request's JSON goes to an asset too.
                AiMessage.from(ToolExecutionRequest.builder().id("r2").name("read").arguments("{\"file\":\"b\\u0000\"}").build()),
                AiMessage.from("Both read.")).iterator();
        Assistant writer = AiServices.builder(Assistant.class).chatModel(new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(answers.next()).build();
            }
        }).chatMemoryProvider(AtlasChatMemory.provider(tenant, 30)).tools(new BinaryReader()).build();
        assertThat(writer.chat("tools", "read a and b")).isEqualTo("Both read.");
        List<Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("tools").id(), 0, 20);
        assertThat(rows).extracting(m -> m.role() + " " + m.content()).containsExactly("system You help with orders.", "user read a and b",
                "assistant ", "tool bin\uFFFDary", "assistant ", "tool text", "assistant Both read.");
        java.util.function.IntFunction<UUID> assetOf = i -> tenant.assets().forMessage(rows.get(i).id()).get(0).asset().id();
        tenant.assets().delete(assetOf.apply(3));                                        // the first round's result
        tenant.assets().delete(assetOf.apply(4));                                        // the second round's request
        assertThat(tenant.assets().forMessage(rows.get(5).id())).isEmpty();              // its result is its row alone, id and all

        Tenant acme = other.tenant("acme");
        List<ChatMessage> window = new ArrayList<>(List.of(SystemMessage.from("You help with orders."), UserMessage.from("read a and b"),
                AiMessage.from("Both read.")));
        List<List<ChatMessage>> sent = new ArrayList<>();
        Assistant reader = AiServices.builder(Assistant.class).chatModel(new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                sent.add(request.messages());
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(AiMessage.from("ok")).build();
            }
        }).chatMemoryProvider(AtlasChatMemory.provider(acme, 30)).tools(new BinaryReader()).build();
        assertThat(reader.chat("tools", "and now?")).isEqualTo("ok");
        window.add(UserMessage.from("and now?"));
        assertThat(sent).containsExactly(window);
        window.add(AiMessage.from("ok"));
        assertThat(AtlasChatMemoryStore.of(acme).getMessages("tools")).isEqualTo(window);
    }

    /**
     * A memory whose image or JSON assets were removed (deleted, detached and discarded), read by
     * {@code other} (another instance on this database, as a second JVM: its cache holds none of the
     * bytes) through AiServices: each gone image is left out, the rest of its message kept (an empty
     * text where nothing else remains), a message whose JSON asset is gone reads as its columns, and
     * a later turn is stored and read back (given in one write, as {@code ChatMemory.set} does: how
     * the rows came is not what this shows).
     */
    private void goneAssetsAreLeftOutAndTheMemoryGoesOn(Atlas other) {
        UserMessage cat = photo("a cat?", 1);
        UserMessage dog = UserMessage.from("ann", List.of(ImageContent.from(java.util.Base64.getEncoder().encodeToString(new byte[] {4, 5}), "image/jpeg")));
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("s1").name("screenshot").arguments("{}").build());
        ToolExecutionResultMessage shot = ToolExecutionResultMessage.builder().id("s1").toolName("screenshot").isError(false)
                .contents(ImageContent.from(java.util.Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}), "image/png")).build();
        // A NUL no text column holds: the row gets a storable copy, the message its exact JSON in an asset.
        UserMessage nul = UserMessage.from("sum\u0000marise");
        List<ChatMessage> given = List.of(cat, AiMessage.from("A cat."), dog, AiMessage.from("A dog."), asks, shot,
                AiMessage.from("A form."), nul, AiMessage.from("Zeros."));
        AtlasChatMemoryStore.of(tenant).updateMessages("pics", given);                  // as ChatMemory.set(given): one write
        List<Message> rows = tenant.conversations().messages(tenant.conversations().requireByKey("pics").id(), 0, 20);
        java.util.function.IntFunction<UUID> assetOf = i -> tenant.assets().forMessage(rows.get(i).id()).get(0).asset().id();
        tenant.assets().delete(assetOf.apply(0));                                        // a moderator takes the cat down
        UUID dogImage = assetOf.apply(2);
        assertThat(tenant.assets().detach(rows.get(2).id(), dogImage)).isTrue();       // the wrong file, removed at once
        tenant.assets().discard(dogImage);
        tenant.assets().delete(assetOf.apply(5));
        tenant.assets().delete(assetOf.apply(7));                                        // the NUL message's JSON

        List<ChatMessage> expected = List.of(UserMessage.from("a cat?"), AiMessage.from("A cat."),
                UserMessage.from("ann", ""), AiMessage.from("A dog."), asks,
                ToolExecutionResultMessage.builder().id("s1").toolName("screenshot").isError(false).text("").build(),
                AiMessage.from("A form."), UserMessage.from("sum\uFFFDmarise"), AiMessage.from("Zeros."));
        // The other instance's cache holds none of the bytes; the assets it reads are all gone (no blob store of this one needed).
        Tenant acme = other.tenant("acme");
        List<List<ChatMessage>> sent = new ArrayList<>();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                sent.add(request.messages());
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(AiMessage.from("ok " + sent.size())).build();
            }
        }).chatMemoryProvider(AtlasChatMemory.provider(acme, 30)).build();
        assertThat(assistant.chat("pics", "and now?")).isEqualTo("ok 1");
        List<ChatMessage> window = new ArrayList<>(expected);
        window.add(dev.langchain4j.data.message.SystemMessage.from("You help with orders.")); // where MessageWindowChatMemory puts a new one
        window.add(UserMessage.from("and now?"));
        assertThat(sent).containsExactly(window);
        window.add(AiMessage.from("ok 1"));
        assertThat(AtlasChatMemoryStore.of(acme).getMessages("pics")).isEqualTo(window);
        assertThat(acme.conversations().messages(rows.get(0).conversationId(), 0, 30)).extracting(Message::content)
                .containsExactly("a cat?", "A cat.", "", "A dog.", "", "", "A form.", "sum\uFFFDmarise", "Zeros.",
                        "You help with orders.", "and now?", "ok 1");
    }

    private static final class CountingBlobStore implements dev.atlas.asset.BlobStore {
        final java.util.concurrent.atomic.AtomicInteger puts = new java.util.concurrent.atomic.AtomicInteger();
        final java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        private final dev.atlas.asset.BlobStore delegate;
        private final Runnable beforePut;

        CountingBlobStore(java.nio.file.Path dir) {
            this(dir, () -> {});
        }

        CountingBlobStore(java.nio.file.Path dir, Runnable beforePut) {
            this.delegate = new dev.atlas.asset.LocalDirectoryBlobStore(dir);
            this.beforePut = beforePut;
        }

        @Override
        public dev.atlas.asset.StoredBlob put(String key, java.io.InputStream content) throws java.io.IOException {
            beforePut.run();
            puts.incrementAndGet();
            return delegate.put(key, content);
        }

        @Override
        public java.io.InputStream open(String key) throws java.io.IOException {
            opens.incrementAndGet();
            return delegate.open(key);
        }

        @Override
        public boolean delete(String key) throws java.io.IOException {
            return delegate.delete(key);
        }

        @Override
        public List<dev.atlas.asset.BlobInfo> list(String prefix) throws java.io.IOException {
            return delegate.list(prefix);
        }
    }

    private CountingBlobStore reopenWithCountingBlobs(java.nio.file.Path dir) {
        atlas.close();
        database.cleanup();
        CountingBlobStore blobs = new CountingBlobStore(dir);
        atlas = database.open(b -> b.blobStore(blobs));
        tenant = atlas.tenant("acme");
        return blobs;
    }

    private static UserMessage photo(String text, int seed) {
        byte[] png = new byte[50_000];
        new java.util.Random(seed).nextBytes(png);
        return UserMessage.from(TextContent.from(text), ImageContent.from(java.util.Base64.getEncoder().encodeToString(png), "image/png"));
    }

    private long liveAssets() throws java.sql.SQLException {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM atlas_assets WHERE deleted_at IS NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    @DisplayName("An image is written to the blob store once, with its new message; later updates and reads of the window neither write nor re-read it")
    void imagesAreWrittenOnceAndNotReadAgain(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.sql.SQLException {
        CountingBlobStore blobs = reopenWithCountingBlobs(dir);
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        InMemoryChatMemoryStore reference = new InMemoryChatMemoryStore();
        ChatMemory a = MessageWindowChatMemory.builder().id("pics").maxMessages(20).chatMemoryStore(store).build();
        ChatMemory b = MessageWindowChatMemory.builder().id("pics").maxMessages(20).chatMemoryStore(reference).build();
        List<ChatMessage> turns = new ArrayList<>(List.of(photo("a cat?", 1), AiMessage.from("A cat."), photo("a dog?", 2), AiMessage.from("A dog.")));
        for (int i = 0; i < 6; i++) {
            turns.add(UserMessage.from("more " + i));
            turns.add(AiMessage.from("yes " + i));
        }
        for (ChatMessage m : turns) {
            a.add(m);
            b.add(m);
            assertThat(a.messages()).isEqualTo(b.messages());
        }
        assertThat(blobs.puts.get()).as("one write per image, when its message is new").isEqualTo(2);
        assertThat(blobs.opens.get()).as("images this store wrote are not read back").isZero();
        assertThat(a.messages()).hasSize(16).startsWith(turns.get(0), turns.get(1), turns.get(2));
        assertThat(liveAssets()).isEqualTo(2);

        // Another store of the tenant (an app building one per request) is served from the same cache.
        AtlasChatMemoryStore fresh = AtlasChatMemoryStore.of(atlas.tenant("acme"));
        assertThat(fresh.getMessages("pics")).isEqualTo(reference.getMessages("pics"));
        assertThat(fresh.getMessages("pics")).isEqualTo(reference.getMessages("pics"));
        fresh.updateMessages("pics", reference.getMessages("pics"));
        assertThat(blobs.opens.get()).as("a store built per request reads no image another store of the tenant wrote").isZero();
        assertThat(blobs.puts.get()).isEqualTo(2);
    }

    @Test
    @DisplayName("A window read on a thread is never applied to another memory id updated next on that thread")
    void aReadIsNotAppliedToAnotherMemoryId() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("A", List.of(UserMessage.from("ok"), AiMessage.from("sure")));
        store.updateMessages("B", List.of(UserMessage.from("hello")));
        List<ChatMessage> readA = store.getMessages("A");
        // B gets A's very messages (an app copying a thread): they are new to B, stored as B's own rows.
        List<ChatMessage> given = new ArrayList<>(List.of(UserMessage.from("hello")));
        given.addAll(readA);
        store.updateMessages("B", given);
        assertThat(store.getMessages("B")).isEqualTo(given);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("B")).isEqualTo(given);
        assertThat(tenant.conversations().messages(store.conversation("B").orElseThrow().id(), 0, 100))
                .extracting(Message::content).containsExactly("hello", "ok", "sure");
        assertThat(store.getMessages("A")).isEqualTo(readA);
        assertThat(tenant.conversations().messages(store.conversation("A").orElseThrow().id(), 0, 100)).hasSize(2);
    }

    @Test
    @DisplayName("The store keeps no message (and so no image) alive once its caller drops it: nothing lingers on pooled threads")
    void messagesAreNotRetainedAfterTheCallerDropsThem() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        java.lang.ref.WeakReference<ChatMessage> written = writeAndForget(store);
        java.lang.ref.WeakReference<ChatMessage> read = new java.lang.ref.WeakReference<>(store.getMessages("kept").get(0));
        // Bounded: System.gc() is only a hint, so each attempt also allocates garbage, which makes
        // any collector run; a message something still holds survives every attempt.
        for (int i = 0; i < 100 && (written.get() != null || read.get() != null); i++) {
            System.gc();
            byte[][] garbage = new byte[8][];
            for (int j = 0; j < garbage.length; j++) {
                garbage[j] = new byte[1 << 20];
            }
            assertThat(garbage[7]).hasSize(1 << 20);
        }
        assertThat(written.get()).as("the message the caller wrote").isNull();
        assertThat(read.get()).as("the message the caller read").isNull();
        assertThat(store.getMessages("kept")).hasSize(1);
    }

    private static java.lang.ref.WeakReference<ChatMessage> writeAndForget(AtlasChatMemoryStore store) {
        UserMessage m = photo("look", 3);
        store.updateMessages("kept", List.of(m));
        return new java.lang.ref.WeakReference<>(m);
    }

    /** A model answering with the given messages in turn, recorded by the listener. */
    private dev.langchain4j.model.chat.ChatModel answering(AiMessage... answers) {
        java.util.Iterator<AiMessage> next = List.of(answers).iterator();
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", null);
        return new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(next.next()).modelName("m").build();
            }

            @Override
            public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
    }

    @Test
    @DisplayName("A tool call that never gets its result (the AI service threw: the model named no tool it has) stays processing until"
            + " its memory is cleared (ChatMemory.clear()), which cancels it, no error, as Spring AI's adapter cancels the calls it knows"
            + " will not run; another tenant's clear of the same memory id cancels nothing; the next turn starts afresh")
    void toolCallsLeftWithoutResultsAreCancelledWhenTheMemoryIsCleared() {
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("t1").name("refund").arguments("{\"order\":4}").build());
        ChatMemoryProvider memories = AtlasChatMemory.provider(tenant, 20);
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(answering(asks, AiMessage.from("Hello again.")))
                .chatMemoryProvider(memories).tools(new OrderTools()).build();
        assertThatThrownBy(() -> assistant.chat("refunds", "refund order 4")).hasMessage("The LLM is trying to execute the 'refund' tool, but no such"
                + " tool exists. Most likely, it is a hallucination. You can override this default strategy by setting the hallucinatedToolNameStrategy on the AiService");
        Supplier<ToolCall> call = () -> tenant.executions().tree(tenant.executions().list(ExecutionQuery.all()).items().get(0).id())
                .orElseThrow().toolCalls().get(0);
        assertThat(call.get().status()).isEqualTo(ExecutionStatus.PROCESSING);

        AtlasChatMemory.provider(atlas.tenant("globex"), 20).get("refunds").clear();
        assertThat(call.get().status()).isEqualTo(ExecutionStatus.PROCESSING);
        memories.get("refunds").clear();
        assertThat(call.get()).extracting(ToolCall::providerCallId, ToolCall::status, ToolCall::error, ToolCall::result)
                .containsExactly("t1", ExecutionStatus.CANCELLED, null, null);
        assertThat(assistant.chat("refunds", "hi")).isEqualTo("Hello again.");
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("refunds")).containsExactly(
                dev.langchain4j.data.message.SystemMessage.from("You help with orders."), UserMessage.from("hi"), AiMessage.from("Hello again."));
    }

    @Test
    @DisplayName("A tool result without an id completes the call of its own model response, not an earlier call the app abandoned")
    void abandonedToolCallWithoutIdDoesNotTakeALaterResult() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage first = AiMessage.from(List.of(ToolExecutionRequest.builder().name("lookup").arguments("{\"n\":1}").build()));
        AiMessage second = AiMessage.from(List.of(ToolExecutionRequest.builder().name("lookup").arguments("{\"n\":2}").build()));
        dev.langchain4j.model.chat.ChatModel model = answering(first, second);
        List<ChatMessage> window = new ArrayList<>(List.of(UserMessage.from("look up 1")));
        store.updateMessages("abandon", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(first);
        store.updateMessages("abandon", window);
        // The app gives up on the first call: no result is ever stored for it.
        window.add(UserMessage.from("never mind, look up 2"));
        store.updateMessages("abandon", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(second);
        window.add(ToolExecutionResultMessage.from(second.toolExecutionRequests().get(0), "two"));
        store.updateMessages("abandon", window);

        Conversation c = tenant.conversations().requireByKey("abandon");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(2);
        ToolCall abandoned = tenant.executions().tree(executions.get(0).id()).orElseThrow().toolCalls().get(0);
        ToolCall answered = tenant.executions().tree(executions.get(1).id()).orElseThrow().toolCalls().get(0);
        assertThat(answered.arguments()).isEqualTo("{\"n\":2}");
        assertThat(answered.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(answered.result()).isEqualTo("two");
        assertThat(abandoned.arguments()).isEqualTo("{\"n\":1}");
        assertThat(abandoned.status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(abandoned.result()).isNull();
    }

    @Test
    @DisplayName("A call the app abandoned takes no later result without an id, however many later rounds of its tool the same thread answers")
    void abandonedToolCallWithoutIdTakesNoResultOfLaterRounds() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        List<AiMessage> asks = new ArrayList<>();
        for (int n = 1; n <= 4; n++) {
            asks.add(AiMessage.from(List.of(ToolExecutionRequest.builder().name("lookup").arguments("{\"n\":" + n + "}").build())));
        }
        dev.langchain4j.model.chat.ChatModel model = answering(asks.toArray(AiMessage[]::new));
        List<ChatMessage> window = new ArrayList<>(List.of(UserMessage.from("look up 1")));
        store.updateMessages("abandon-many", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(asks.get(0));
        store.updateMessages("abandon-many", window);
        // The app gives up on the first call: no result is ever stored for it. Then three rounds, each answered.
        for (int n = 2; n <= 4; n++) {
            window.add(UserMessage.from("never mind, look up " + n));
            store.updateMessages("abandon-many", window);
            model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
            window.add(asks.get(n - 1));
            store.updateMessages("abandon-many", window);
            window.add(ToolExecutionResultMessage.from(asks.get(n - 1).toolExecutionRequests().get(0), "result " + n));
            store.updateMessages("abandon-many", window);
        }

        Conversation c = tenant.conversations().requireByKey("abandon-many");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(4);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::arguments, ToolCall::status, ToolCall::result).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("{\"n\":1}", ExecutionStatus.PROCESSING, null),
                        org.assertj.core.groups.Tuple.tuple("{\"n\":2}", ExecutionStatus.COMPLETED, "result 2"),
                        org.assertj.core.groups.Tuple.tuple("{\"n\":3}", ExecutionStatus.COMPLETED, "result 3"),
                        org.assertj.core.groups.Tuple.tuple("{\"n\":4}", ExecutionStatus.COMPLETED, "result 4"));
    }

    @Test
    @DisplayName("deleteMessages soft-deletes the conversation and frees the memory id")
    void deleteSoftDeletesAndFreesTheKey() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages(42, List.of(UserMessage.from("u1")));
        Conversation first = store.conversation(42).orElseThrow();
        store.deleteMessages(42);
        assertThat(store.getMessages(42)).isEmpty();
        assertThat(tenant.conversations().get(first.id())).isEmpty();
        store.updateMessages(42, List.of(UserMessage.from("again")));
        assertThat(store.conversation(42).orElseThrow().id()).isNotEqualTo(first.id());
        assertThat(store.getMessages(42)).containsExactly(UserMessage.from("again"));
        assertThatThrownBy(() -> tenant.conversations().restore(first.id()))
                .as("the key now belongs to the new conversation").isInstanceOf(ConflictException.class).hasMessageContaining("externalKey");
    }

    /** A memory holding each kind of asset the store writes: an inline image, a message's JSON too large for metadata, a tool output too large for a column. */
    private static List<ChatMessage> messagesWithAssets(int seed) {
        byte[] pdf = new byte[300_000];
        new java.util.Random(seed).nextBytes(pdf);
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("f" + seed).name("fetch").arguments("{}").build());
        return List.of(photo("what is this? " + seed, seed),
                UserMessage.from(TextContent.from("and this pdf " + seed),
                        dev.langchain4j.data.message.PdfFileContent.from(java.util.Base64.getEncoder().encodeToString(pdf), "application/pdf")),
                asks,
                ToolExecutionResultMessage.from("f" + seed, "fetch", ("page " + seed + "\n").repeat(200_000)),
                AiMessage.from("Done " + seed + "."));
    }

    /** The ids of the assets attached to the messages of memory {@code memoryId} of {@code t}. */
    private static List<UUID> assetsOf(Tenant t, Object memoryId) {
        UUID c = t.conversations().requireByKey(String.valueOf(memoryId)).id();
        return t.conversations().messages(c, 0, 100).stream()
                .flatMap(m -> t.assets().forMessage(m.id()).stream()).map(a -> a.asset().id()).toList();
    }

    private long assetRows(List<UUID> ids) throws java.sql.SQLException {
        long n = 0;
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM atlas_assets WHERE CAST(id AS TEXT) = ?")) {
            for (UUID id : ids) {
                ps.setString(1, id.toString());
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n += rs.getLong(1);
                }
            }
        }
        return n;
    }

    private static long blobFiles(java.nio.file.Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(dir)) {
            return files.filter(java.nio.file.Files::isRegularFile).count();
        }
    }

    /**
     * Memory "gone" of tenant acme, whose assets must go, beside memory "kept" of acme and memory
     * "gone" of globex, whose assets must stay; returns the assets of acme's "gone".
     */
    private List<UUID> threeMemoriesWithAssets(java.nio.file.Path dir, MutableClockHolder clock) throws java.io.IOException {
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.clock(clock.clock).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(dir)));
        tenant = atlas.tenant("acme");
        AtlasChatMemoryStore.of(tenant).updateMessages("gone", messagesWithAssets(1));
        AtlasChatMemoryStore.of(tenant).updateMessages("kept", messagesWithAssets(2));
        AtlasChatMemoryStore.of(atlas.tenant("globex")).updateMessages("gone", messagesWithAssets(3));
        List<UUID> gone = assetsOf(tenant, "gone");
        assertThat(gone).as("an image, a message's JSON and a tool output's JSON").hasSize(3);
        assertThat(blobFiles(dir)).isEqualTo(9);
        return gone;
    }

    /** The assets of the memories that stay are all there, bytes and all, and read back exactly. */
    private void othersKeepTheirAssets(java.nio.file.Path dir) throws java.io.IOException, java.sql.SQLException {
        assertThat(assetRows(assetsOf(tenant, "kept"))).isEqualTo(3);
        assertThat(assetRows(assetsOf(atlas.tenant("globex"), "gone"))).isEqualTo(3);
        assertThat(blobFiles(dir)).isEqualTo(6);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("kept")).isEqualTo(messagesWithAssets(2));
        assertThat(AtlasChatMemoryStore.of(atlas.tenant("globex")).getMessages("gone")).isEqualTo(messagesWithAssets(3));
    }

    /** A mutable clock for one test's Atlas. */
    private static final class MutableClockHolder {
        final dev.atlas.jdbi.kit.MutableClock clock = new dev.atlas.jdbi.kit.MutableClock(Instant.parse("2026-03-01T10:15:30Z"));

        void advance(java.time.Duration d) {
            clock.set(clock.instant().plus(d));
        }
    }

    @Test
    @DisplayName("deleteMessages then retention's purge of the deleted conversation removes its images and JSON assets, rows and bytes; other memories and tenants keep theirs")
    void retentionPurgeRemovesTheStoresAssets(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        MutableClockHolder clock = new MutableClockHolder();
        List<UUID> gone = threeMemoriesWithAssets(dir, clock);
        AtlasChatMemoryStore.of(tenant).deleteMessages("gone");
        clock.advance(java.time.Duration.ofDays(31));
        tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(30)));

        assertThat(assetRows(gone)).isZero();
        othersKeepTheirAssets(dir);
    }

    @Test
    @DisplayName("retention's hard delete of old messages removes their images and JSON assets, rows and bytes; other memories and tenants keep theirs")
    void retentionHardDeleteOfMessagesRemovesTheirAssets(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        MutableClockHolder clock = new MutableClockHolder();
        List<UUID> gone = threeMemoriesWithAssets(dir, clock);
        UUID c = tenant.conversations().requireByKey("gone").id();
        for (Message m : tenant.conversations().messages(c, 0, 100)) {
            tenant.conversations().deleteMessage(m.id());
        }
        clock.advance(java.time.Duration.ofDays(31));
        tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(30)));

        assertThat(tenant.conversations().messages(c, 0, 100)).isEmpty();
        assertThat(assetRows(gone)).isZero();
        othersKeepTheirAssets(dir);
    }

    @Test
    @DisplayName("a message deleted (soft, or hard by retention, its audit trail gone with it) after getMessages handed it out stays deleted"
            + " when LangChain4j gives that list back to updateMessages: at the end or in the middle, only the new message is appended")
    void updateOfAListHoldingAMessageDeletedSinceTheReadDoesNotBringItBack() {
        MutableClockHolder clock = new MutableClockHolder();
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.clock(clock.clock));
        tenant = atlas.tenant("acme");
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        List<String> keys = List.of("soft-last", "soft-middle", "hard-last", "hard-middle");
        java.util.Map<String, List<ChatMessage>> reads = new java.util.HashMap<>();
        java.util.Map<String, List<String>> expected = new java.util.HashMap<>();
        for (String key : keys) {
            store.updateMessages(key, List.of(UserMessage.from("hello"), AiMessage.from("hi"), UserMessage.from("rude words"),
                    AiMessage.from("a rude answer")));
            reads.put(key, store.getMessages(key));
            UUID c = tenant.conversations().requireByKey(key).id();
            List<Message> rows = tenant.conversations().history(c, 10);
            Message moderated = rows.get(key.endsWith("last") ? 3 : 2);
            tenant.conversations().deleteMessage(moderated.id());
            List<String> e = new ArrayList<>();
            rows.stream().filter(m -> !m.id().equals(moderated.id())).forEach(m -> e.add(m.role() + " " + m.content()));
            e.add("user sorry");
            expected.put(key, e);
        }
        for (String key : keys) {
            if (key.startsWith("hard")) {
                continue;
            }
            updateAndCheck(store, key, reads.get(key), expected.get(key));
        }
        clock.advance(java.time.Duration.ofDays(2));
        assertThat(tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1)))
                .counts()).containsEntry("messages.deleted", 4L);
        for (String key : keys) {
            if (key.startsWith("hard")) {
                updateAndCheck(store, key, reads.get(key), expected.get(key));
            }
        }
    }

    private void updateAndCheck(AtlasChatMemoryStore store, String key, List<ChatMessage> read, List<String> expected) {
        List<ChatMessage> next = new ArrayList<>(read);
        next.add(UserMessage.from("sorry"));
        store.updateMessages(key, next);
        UUID c = tenant.conversations().requireByKey(key).id();
        assertThat(tenant.conversations().history(c, 10)).as(key).extracting(m -> m.role() + " " + m.content())
                .containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("retention keeps no last N messages: deleteMessagesOlderThan removes old messages still in a window, which then reads back"
            + " as the newer ones in order; the memory's next turns (its system message again) append and read back; a dry run changes nothing")
    void retentionAgeRuleKeepsNoLastMessages() {
        MutableClockHolder clock = new MutableClockHolder();
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.clock(clock.clock));
        tenant = atlas.tenant("acme");
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        ChatMemory memory = MessageWindowChatMemory.builder().id("sparse").maxMessages(WINDOW).chatMemoryStore(store).build();
        memory.add(SystemMessage.from("be brief"));
        memory.add(UserMessage.from("hi"));
        memory.add(AiMessage.from("hello"));
        store.updateMessages("recent", List.of(UserMessage.from("first")));
        clock.advance(java.time.Duration.ofDays(400));
        memory.add(UserMessage.from("back again"));
        store.updateMessages("recent", List.of(UserMessage.from("first"), AiMessage.from("second")));
        List<ChatMessage> before = store.getMessages("sparse");
        assertThat(before).hasSize(4);

        dev.atlas.retention.RetentionPolicy policy = dev.atlas.retention.RetentionPolicy.none().deleteMessagesOlderThan(java.time.Duration.ofDays(365));
        assertThat(tenant.retention().runRetention(policy.dryRun(true)).counts()).containsEntry("messages.soft_deleted", 4L);
        assertThat(store.getMessages("sparse")).isEqualTo(before);
        assertThat(tenant.retention().runRetention(policy).counts()).containsEntry("messages.soft_deleted", 4L);

        assertThat(store.getMessages("sparse")).containsExactly(UserMessage.from("back again"));
        assertThat(store.getMessages("recent")).containsExactly(AiMessage.from("second"));
        memory.add(SystemMessage.from("be brief"));
        memory.add(AiMessage.from("welcome back"));
        assertThat(store.getMessages("sparse")).containsExactly(UserMessage.from("back again"), SystemMessage.from("be brief"),
                AiMessage.from("welcome back"));
    }

    @Test
    @DisplayName("erasing the memory's conversation removes its images and JSON assets, rows and bytes; other memories and tenants keep theirs")
    void eraseRemovesTheStoresAssets(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        List<UUID> gone = threeMemoriesWithAssets(dir, new MutableClockHolder());
        tenant.portability().eraseConversation(tenant.conversations().requireByKey("gone").id(), false);

        assertThat(assetRows(gone)).isZero();
        othersKeepTheirAssets(dir);
    }

    @Test
    @DisplayName("The listener records each model call with its own timings, usage, finish reason, tool calls, cost, and links the answer")
    void listenerRecordsExecutions() {
        tenant.prices().set(ModelPrice.of("other", ScriptedChatModel.MODEL, "2", "10", Instant.parse("2020-01-01T00:00:00Z")));
        Assistant assistant = assistant(AtlasChatMemory.provider(tenant, 20), true);
        assertThat(assistant.chat("u", "where is order 4")).isEqualTo("done: order 4 shipped");

        Conversation c = tenant.conversations().requireByKey("u");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(2);

        // Call 1 sees [system, user] and asks for the tool; call 2 sees [system, user, request, result].
        ExecutionTree first = tenant.executions().tree(executions.get(0).id()).orElseThrow();
        ExecutionTree second = tenant.executions().tree(executions.get(1).id()).orElseThrow();
        for (ExecutionTree t : List.of(first, second)) {
            Execution e = t.execution();
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(e.provider()).isEqualTo("other");
            assertThat(e.model()).isEqualTo(ScriptedChatModel.MODEL);
            assertThat(e.metadata()).containsEntry("responseModel", ScriptedChatModel.MODEL + "-2026");
            assertThat(e.providerResponseId()).startsWith("resp-");
            assertThat(t.steps()).hasSize(1);
            ExecutionStep step = t.steps().get(0);
            assertThat(step.startedAt()).isAfterOrEqualTo(e.startedAt());
            assertThat(step.completedAt()).isAfterOrEqualTo(step.startedAt()).isBeforeOrEqualTo(e.completedAt());
            assertThat(step.usage()).isEqualTo(e.usage());
        }
        assertThat(first.execution().usage()).isEqualTo(Usage.of(ScriptedChatModel.inputTokens(2), 5));
        assertThat(second.execution().usage()).isEqualTo(Usage.of(ScriptedChatModel.inputTokens(4), 5));
        // (12 × 2 + 5 × 10) / 1e6 and (14 × 2 + 5 × 10) / 1e6
        assertThat(first.execution().cost()).isEqualByComparingTo(new BigDecimal("0.000074"));
        assertThat(second.execution().cost()).isEqualByComparingTo(new BigDecimal("0.000078"));
        assertThat(first.steps().get(0).finishReason()).isEqualTo(FinishReason.TOOL_CALLS);
        assertThat(second.steps().get(0).finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(second.steps().get(0).content()).isEqualTo("done: order 4 shipped");

        ToolCall call = first.toolCalls().get(0);
        assertThat(call.providerCallId()).isEqualTo("call-4");
        assertThat(call.name()).isEqualTo("lookup");
        assertThat(call.arguments()).isEqualTo("{\"order\":\"4\"}");
        assertThat(call.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(call.result()).isEqualTo("order 4 shipped");
        assertThat(call.completedAt()).isBeforeOrEqualTo(second.execution().startedAt());

        List<Message> rows = tenant.conversations().messages(c.id(), 0, 100);
        Message request = rows.get(2);
        Message answer = rows.get(4);
        assertThat(request.executionId()).as("the tool round is stored as messages, not linked twice").isNull();
        assertThat(request.metadata()).containsEntry("executionId", first.execution().id().toString());
        assertThat(answer.executionId()).isEqualTo(second.execution().id());
        assertThat(answer.stepId()).isEqualTo(second.steps().get(0).id());
        assertThat(tenant.executions().historyWithTools(c.id(), 100)).allSatisfy(m -> assertThat(m.toolSteps()).isEmpty());

        assertThat(assistant.chat("u", "where is order 5")).isEqualTo("done: order 5 is archived");
        List<Execution> all = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items();
        ToolCall failed = tenant.executions().tree(all.get(1).id()).orElseThrow().toolCalls().get(0);
        assertThat(failed.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(failed.error()).isEqualTo("order 5 is archived");
    }

    @Test
    @DisplayName("Two Atlas listeners on one model (two Atlas instances, one tenant id, the memory in the first): each records every call, completed; the second in no conversation, as the memory is not its own")
    void twoAtlasListenersOnOneModelEachRecordEveryCall() {
        TestDatabase secondDatabase = anotherDatabase();
        try (Atlas second = secondDatabase.open()) {
            Tenant other = second.tenant("acme");
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(new ScriptedChatModel(List.of(AtlasChatModelListener.of(tenant), AtlasChatModelListener.of(other))))
                    .chatMemoryProvider(AtlasChatMemory.provider(tenant, 20)).tools(new OrderTools()).build();
            assertThat(assistant.chat("u", "where is order 4")).isEqualTo("done: order 4 shipped");

            Conversation c = tenant.conversations().requireByKey("u");
            List<Execution> mine = tenant.executions().list(ExecutionQuery.all()).items();
            assertThat(mine).hasSize(2).allSatisfy(e -> {
                assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(e.conversationId()).isEqualTo(c.id());
            });
            List<Execution> theirs = other.executions().list(ExecutionQuery.all()).items();
            assertThat(theirs).hasSize(2).allSatisfy(e -> {
                assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(e.conversationId()).isNull();
            });
            assertThat(theirs).extracting(Execution::usage).containsExactlyInAnyOrderElementsOf(mine.stream().map(Execution::usage).toList());
            assertThat(other.conversations().getByKey("u")).isEmpty();
            assertThat(toolCallsOf(tenant)).singleElement().satisfies(t -> {
                assertThat(t.status()).isEqualTo(ExecutionStatus.COMPLETED);
                assertThat(t.result()).isEqualTo("order 4 shipped");
            });
            // Its result went to the first Atlas's memory only, which hands out copies: the second never sees it.
            assertThat(toolCallsOf(other)).singleElement().satisfies(t -> assertThat(t.status()).isEqualTo(ExecutionStatus.PROCESSING));

            // With LangChain4j's own memory, which hands the very response back with its result, each completes its own call.
            Assistant plain = AiServices.builder(Assistant.class)
                    .chatModel(new ScriptedChatModel(List.of(AtlasChatModelListener.of(tenant), AtlasChatModelListener.of(other))))
                    .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20)).tools(new OrderTools()).build();
            assertThat(plain.chat("v", "where is order 6")).isEqualTo("done: order 6 shipped");
            for (Tenant t : List.of(tenant, other)) {
                assertThat(toolCallsOf(t)).filteredOn(call -> call.providerCallId().equals("call-6")).singleElement().satisfies(call -> {
                    assertThat(call.status()).isEqualTo(ExecutionStatus.COMPLETED);
                    assertThat(call.result()).isEqualTo("order 6 shipped");
                });
            }
        } finally {
            secondDatabase.cleanup();
        }
    }

    @Test
    @DisplayName("Two Atlas listeners each wrapping a streaming model (two Atlas instances, one tenant id): a stream failing midway is failed in both, each with the text streamed and its time to first token")
    void twoWrappingListenersEachRecordAFailingStream() throws Exception {
        TestDatabase secondDatabase = anotherDatabase();
        try (Atlas second = secondDatabase.open()) {
            Tenant other = second.tenant("acme");
            dev.langchain4j.model.chat.StreamingChatModel provider = new dev.langchain4j.model.chat.StreamingChatModel() {
                @Override
                public void doChat(dev.langchain4j.model.chat.request.ChatRequest request,
                                   dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
                    new Thread(() -> {
                        handler.onPartialResponse("Hel");
                        handler.onPartialResponse("lo");
                        handler.onError(new IllegalStateException("reset"));
                    }, "provider-callback").start();
                }
            };
            dev.langchain4j.model.chat.StreamingChatModel model = AtlasChatModelListener.of(other)
                    .streaming(AtlasChatModelListener.of(tenant).streaming(provider));
            java.util.concurrent.CompletableFuture<Throwable> failed = new java.util.concurrent.CompletableFuture<>();
            model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("hi")).build(),
                    new dev.langchain4j.model.chat.response.StreamingChatResponseHandler() {
                        @Override
                        public void onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse response) {
                            failed.complete(null);
                        }

                        @Override
                        public void onError(Throwable error) {
                            failed.complete(error);
                        }
                    });
            assertThat(failed.get(30, TimeUnit.SECONDS)).hasMessage("reset");
            for (Tenant t : List.of(tenant, other)) {
                assertThat(t.executions().list(ExecutionQuery.all()).items()).singleElement().satisfies(e -> {
                    assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
                    assertThat(e.error()).isEqualTo("java.lang.IllegalStateException: reset");
                    assertThat(e.firstTokenMs()).isNotNull();
                    assertThat(t.executions().tree(e.id()).orElseThrow().steps().get(0).metadata()).containsEntry("partialContent", "Hello");
                });
            }
        } finally {
            secondDatabase.cleanup();
        }
    }

    /** A model answering every request with {@code answer}, recorded by {@code listener}. */
    private static dev.langchain4j.model.chat.ChatModel alwaysAnswering(AiMessage answer, AtlasChatModelListener listener) {
        return new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(answer).modelName("m").build();
            }

            @Override
            public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
    }

    @Test
    @DisplayName("Two Atlas instances with one tenant id never see each other's pending tool rounds: the results of the first's response sent to a model recorded by the second complete nothing in the first")
    void pendingToolRoundsAreNotSharedBetweenAtlasInstances() {
        TestDatabase secondDatabase = anotherDatabase();
        try (Atlas second = secondDatabase.open()) {
            Tenant other = second.tenant("acme");
            AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{}").build()));
            List<ChatMessage> messages = new ArrayList<>(List.of(UserMessage.from("look")));
            alwaysAnswering(asks, AtlasChatModelListener.of(tenant)).chat(
                    dev.langchain4j.model.chat.request.ChatRequest.builder().messages(messages).modelName("m").build());
            // The app falls back to another model (recorded by the second Atlas) with the result of the first's response.
            messages.add(asks);
            messages.add(ToolExecutionResultMessage.from(asks.toolExecutionRequests().get(0), "found"));
            alwaysAnswering(AiMessage.from("done"), AtlasChatModelListener.of(other)).chat(
                    dev.langchain4j.model.chat.request.ChatRequest.builder().messages(messages).modelName("m").build());

            assertThat(toolCallsOf(tenant)).singleElement().satisfies(t -> {
                assertThat(t.status()).isEqualTo(ExecutionStatus.PROCESSING);
                assertThat(t.result()).isNull();
            });
            assertThat(other.executions().list(ExecutionQuery.all()).items()).singleElement()
                    .satisfies(e -> assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED));
            assertThat(toolCallsOf(other)).isEmpty();
        } finally {
            secondDatabase.cleanup();
        }
    }

    @Test
    @DisplayName("A closed Atlas whose model call left a tool round pending is not kept reachable once the app drops it and its listener")
    void pendingToolRoundsDoNotKeepAClosedAtlasReachable() {
        TestDatabase secondDatabase = anotherDatabase();
        try {
            java.lang.ref.WeakReference<Object> marker = leaveAToolRoundPendingThenClose(secondDatabase);
            // Bounded: System.gc() is only a hint, so each attempt also allocates garbage.
            for (int i = 0; i < 100 && marker.get() != null; i++) {
                System.gc();
                byte[][] garbage = new byte[8][];
                for (int j = 0; j < garbage.length; j++) {
                    garbage[j] = new byte[1 << 20];
                }
                assertThat(garbage[7]).hasSize(1 << 20);
            }
            assertThat(marker.get()).as("an execution listener of the closed Atlas").isNull();
        } finally {
            secondDatabase.cleanup();
        }
    }

    @Test
    @DisplayName("A closed Atlas the app still holds keeps none of the tool rounds its listeners left pending")
    void closeDropsThePendingToolRounds() {
        TestDatabase secondDatabase = anotherDatabase();
        try {
            MutableClockHolder clock = new MutableClockHolder();
            Atlas closing = secondDatabase.open();
            Tenant t = closing.tenant("acme");
            AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{}").build()));
            alwaysAnswering(asks, AtlasChatModelListener.builder(t).clock(clock.clock).abandonAfter(java.time.Duration.ofMinutes(1)).build())
                    .chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("look")).modelName("m").build());
            assertThat(toolCallsOf(t)).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.PROCESSING));
            closing.close();
            clock.advance(java.time.Duration.ofMinutes(2));
            // Past its bound, a round still held would be given back to be failed (which a closed Atlas refuses).
            assertThat(Correlation.pending(closing).expired()).isEmpty();
        } finally {
            secondDatabase.cleanup();
        }
    }

    @Test
    @DisplayName("A tool round failed as abandoned leaves no caller context behind for its conversation; a round still waiting keeps its own")
    void anAbandonedToolRoundLeavesNoCallerContext() {
        MutableClockHolder clock = new MutableClockHolder();
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{}").build()));
        dev.langchain4j.model.chat.ChatModel model = alwaysAnswering(asks,
                AtlasChatModelListener.builder(tenant).clock(clock.clock).abandonAfter(java.time.Duration.ofMinutes(1)).build());
        for (String key : List.of("context-abandoned", "context-waiting")) {
            List<ChatMessage> window = List.of(UserMessage.from("look up " + key));
            store.updateMessages(key, window);
            model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
            // The second conversation's request comes past the first round's bound: it fails that round first.
            clock.advance(java.time.Duration.ofMinutes(2));
        }

        Correlation.Pending pending = Correlation.pending(tenant.atlas());
        assertThat(pending.takeAskedFrom(tenant.id(), store.conversation("context-abandoned").orElseThrow().id())).isNull();
        assertThat(pending.takeAskedFrom(tenant.id(), store.conversation("context-waiting").orElseThrow().id())).isNotNull();
    }

    /** Opens an Atlas with a marker execution listener, leaves a tool call of its listener pending, closes it; the marker, weakly. */
    private static java.lang.ref.WeakReference<Object> leaveAToolRoundPendingThenClose(TestDatabase database) {
        dev.atlas.execution.ExecutionListener marker = new dev.atlas.execution.ExecutionListener() { };
        Atlas closing = database.open(b -> b.executionListener(marker));
        Tenant t = closing.tenant("acme");
        AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{}").build()));
        alwaysAnswering(asks, AtlasChatModelListener.of(t)).chat(
                dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("look")).modelName("m").build());
        assertThat(toolCallsOf(t)).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.PROCESSING));
        closing.close();
        return new java.lang.ref.WeakReference<>(marker);
    }

    private static List<ToolCall> toolCallsOf(Tenant t) {
        return t.executions().list(ExecutionQuery.all()).items().stream()
                .flatMap(e -> t.executions().tree(e.id()).orElseThrow().toolCalls().stream()).toList();
    }

    @Test
    @DisplayName("A direct model call is tied to a memory by the MEMORY_ID attribute, and not by a thread that touched another memory")
    void listenerTiesCallsByAttributeOrNotAtAll() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("direct", List.of(UserMessage.from("earlier")));
        Conversation c = store.conversation("direct").orElseThrow();
        ScriptedChatModel model = new ScriptedChatModel(List.of(AtlasChatModelListener.of(tenant)));

        // This thread just wrote memory "direct", but the request does not carry its newest message.
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("unrelated")).build());
        assertThat(tenant.executions().list(ExecutionQuery.all()).items()).singleElement()
                .satisfies(e -> assertThat(e.conversationId()).isNull());

        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("explicit")).build(),
                dev.langchain4j.model.chat.ChatRequestOptions.builder().addListenerAttribute(AtlasChatModelListener.MEMORY_ID, "direct").build());
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).hasSize(1);
    }

    @Test
    @DisplayName("MEMORY_ID of another type names the memory by its string (42 is memory \"42\"); one the store refuses is refused by the listener too: InvalidInputException on memoryId, which LangChain4j logs, the call itself going on unrecorded")
    void memoryIdAttributesOfOtherTypes() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages(42, List.of(UserMessage.from("earlier")));
        Conversation c = store.conversation("42").orElseThrow();
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant);
        ScriptedChatModel model = new ScriptedChatModel(List.of(listener));
        dev.langchain4j.model.chat.request.ChatRequest request = dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(UserMessage.from("explicit")).build();
        model.chat(request, dev.langchain4j.model.chat.ChatRequestOptions.builder().addListenerAttribute(AtlasChatModelListener.MEMORY_ID, 42L).build());
        assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).hasSize(1);
        for (Object bad : new Object[] {new Object(), " ", "x".repeat(256), "a\u0000b"}) {
            dev.langchain4j.model.chat.response.ChatResponse answer = model.chat(request,
                    dev.langchain4j.model.chat.ChatRequestOptions.builder().addListenerAttribute(AtlasChatModelListener.MEMORY_ID, bad).build());
            assertThat(answer).isNotNull();
            dev.langchain4j.model.chat.listener.ChatModelRequestContext context = new dev.langchain4j.model.chat.listener.ChatModelRequestContext(
                    request, dev.langchain4j.model.ModelProvider.OTHER, new java.util.HashMap<>(Map.of(AtlasChatModelListener.MEMORY_ID, bad)));
            assertThatThrownBy(() -> listener.onRequest(context))
                    .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("memoryId"));
        }
        assertThat(tenant.executions().list(ExecutionQuery.all()).items()).hasSize(1);
    }

    @Test
    @DisplayName("Two tool calls without ids (as some providers send them) each get their own result, in request order")
    void toolCallsWithoutIdsGetTheirOwnResults() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        UserMessage question = UserMessage.from("look up 1 and 2");
        store.updateMessages("noid", List.of(question));
        AiMessage asks = AiMessage.from(List.of(
                ToolExecutionRequest.builder().name("lookup").arguments("{\"n\":1}").build(),
                ToolExecutionRequest.builder().name("lookup").arguments("{\"n\":2}").build()));
        dev.langchain4j.model.chat.ChatModel model = new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                return dev.langchain4j.model.chat.response.ChatResponse.builder().aiMessage(asks).modelName("m").build();
            }

            @Override
            public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
                return List.of(AtlasChatModelListener.of(tenant, "openai", null));
            }
        };
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(question).modelName("m").build());
        store.updateMessages("noid", List.of(question, asks,
                ToolExecutionResultMessage.from(asks.toolExecutionRequests().get(0), "one"),
                ToolExecutionResultMessage.from(asks.toolExecutionRequests().get(1), "two")));

        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        List<ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
        assertThat(calls).extracting(ToolCall::arguments).containsExactly("{\"n\":1}", "{\"n\":2}");
        assertThat(calls).extracting(ToolCall::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED);
        assertThat(calls).extracting(ToolCall::result).containsExactly("one", "two");
    }

    @Test
    @DisplayName("Two callers' tool rounds interleaved on one memory: a result with an id completes its own call even when another response came in between")
    void interleavedToolRoundsOnOneMemoryEachCompleteTheirOwnCall() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage first = AiMessage.from(ToolExecutionRequest.builder().id("a").name("lookup").arguments("{\"n\":1}").build());
        AiMessage second = AiMessage.from(ToolExecutionRequest.builder().id("b").name("lookup").arguments("{\"n\":2}").build());
        dev.langchain4j.model.chat.ChatModel model = answering(first, second);
        List<ChatMessage> window = new ArrayList<>(List.of(UserMessage.from("look up 1")));
        store.updateMessages("both", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(first);
        store.updateMessages("both", window);
        // A second caller's turn lands before the first caller's tool result.
        window.add(UserMessage.from("and look up 2"));
        store.updateMessages("both", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(second);
        store.updateMessages("both", window);
        window.add(ToolExecutionResultMessage.from(first.toolExecutionRequests().get(0), "one"));
        store.updateMessages("both", window);
        window.add(ToolExecutionResultMessage.from(second.toolExecutionRequests().get(0), "two"));
        store.updateMessages("both", window);

        Conversation c = tenant.conversations().requireByKey("both");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(2);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::providerCallId, ToolCall::status, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", ExecutionStatus.COMPLETED, "one"),
                        org.assertj.core.groups.Tuple.tuple("b", ExecutionStatus.COMPLETED, "two"));
    }

    @Test
    @DisplayName("Two callers on their own threads, one tool, no tool call ids (Gemini, Ollama), rounds interleaved: each call completes with"
            + " the result its own thread stored, not the newest request's")
    void interleavedRoundsOfOneToolWithoutIdsCompleteTheirOwnCalls() throws Exception {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage paris = AiMessage.from(ToolExecutionRequest.builder().name("weather").arguments("{\"city\":\"Paris\"}").build());
        AiMessage london = AiMessage.from(ToolExecutionRequest.builder().name("weather").arguments("{\"city\":\"London\"}").build());
        dev.langchain4j.model.chat.ChatModel modelOne = answering(paris);
        dev.langchain4j.model.chat.ChatModel modelTwo = answering(london);
        ExecutorService one = Executors.newSingleThreadExecutor();
        ExecutorService two = Executors.newSingleThreadExecutor();
        try {
            // What each caller's tool loop does, on its own thread, in the order the race takes: ask, store the response, then
            // (once the other caller's response is stored) store the tool's result.
            java.util.function.BiFunction<String, dev.langchain4j.model.chat.ChatModel, Runnable> ask = (question, model) -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("weather"));
                window.add(UserMessage.from(question));
                store.updateMessages("weather", window);
                window = new ArrayList<>(store.getMessages("weather"));
                AiMessage response = model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build()).aiMessage();
                window.add(response);
                store.updateMessages("weather", window);
            };
            java.util.function.Function<String, Runnable> result = text -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("weather"));
                window.add(ToolExecutionResultMessage.builder().toolName("weather").text(text).build());
                store.updateMessages("weather", window);
            };
            one.submit(ask.apply("weather in Paris?", modelOne)).get(30, TimeUnit.SECONDS);
            two.submit(ask.apply("and in London?", modelTwo)).get(30, TimeUnit.SECONDS);
            one.submit(result.apply("Paris: rain")).get(30, TimeUnit.SECONDS);
            two.submit(result.apply("London: sun")).get(30, TimeUnit.SECONDS);
        } finally {
            one.shutdownNow();
            two.shutdownNow();
        }

        Conversation c = tenant.conversations().requireByKey("weather");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(2);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::arguments, ToolCall::status, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("{\"city\":\"Paris\"}", ExecutionStatus.COMPLETED, "Paris: rain"),
                        org.assertj.core.groups.Tuple.tuple("{\"city\":\"London\"}", ExecutionStatus.COMPLETED, "London: sun"));
    }

    @Test
    @DisplayName("A web app's pooled threads, one tool, no tool call ids, results stored on a later request (the user approves the call):"
            + " a thread that stored an earlier round, answered since on another thread, stores a later round's result: it completes"
            + " the later round's call, not the earlier one's again")
    void aPooledThreadStoringAResultAfterItsOwnRoundWasAnsweredElsewhereCompletesTheRoundItFollows() throws Exception {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        // Each answering(...) model's own listener is dropped after its turn, as a model built per request is: the Atlas
        // instance, not a listener, keeps the parked calls (CI once lost the Paris call to a collection between the turns).
        ExecutorService one = Executors.newSingleThreadExecutor();
        ExecutorService two = Executors.newSingleThreadExecutor();
        try {
            java.util.function.BiFunction<String, AiMessage, Runnable> ask = (question, response) -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("approvals"));
                window.add(UserMessage.from(question));
                store.updateMessages("approvals", window);
                window = new ArrayList<>(store.getMessages("approvals"));
                window.add(answering(response).chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m")
                        .build()).aiMessage());
                store.updateMessages("approvals", window);
            };
            java.util.function.Function<String, Runnable> approve = text -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("approvals"));
                window.add(ToolExecutionResultMessage.builder().toolName("weather").text(text).build());
                store.updateMessages("approvals", window);
            };
            // Each HTTP request on whichever pooled thread is free: ask (the model wants the tool), then approve (the tool runs).
            one.submit(ask.apply("weather in Paris?", AiMessage.from(ToolExecutionRequest.builder().name("weather")
                    .arguments("{\"city\":\"Paris\"}").build()))).get(30, TimeUnit.SECONDS);
            System.gc(); // between two HTTP requests a collection may come: only what the app holds survives it
            two.submit(approve.apply("Paris: rain")).get(30, TimeUnit.SECONDS);
            two.submit(ask.apply("and in London?", AiMessage.from(ToolExecutionRequest.builder().name("weather")
                    .arguments("{\"city\":\"London\"}").build()))).get(30, TimeUnit.SECONDS);
            one.submit(approve.apply("London: sun")).get(30, TimeUnit.SECONDS);
        } finally {
            one.shutdownNow();
            two.shutdownNow();
        }

        Conversation c = tenant.conversations().requireByKey("approvals");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::arguments, ToolCall::status, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("{\"city\":\"Paris\"}", ExecutionStatus.COMPLETED, "Paris: rain"),
                        org.assertj.core.groups.Tuple.tuple("{\"city\":\"London\"}", ExecutionStatus.COMPLETED, "London: sun"));
        // Neither result names a request its thread did not store (the key records what the storing thread knew).
        assertThat(tenant.conversations().messages(c.id(), 0, 10)).filteredOn(m -> m.role() == dev.atlas.conversation.Role.TOOL)
                .extracting(m -> ((java.util.Map<?, ?>) m.metadata().get("langchain4j")).get("request")).containsExactly(null, null);
    }

    @Test
    @DisplayName("The same, the earlier round since gone from a memory that keeps only the current turn, through sendableWindowsOnly():"
            + " the later round's call completes with the result, and the earlier round does not come back into the window")
    void aPooledThreadsEarlierRoundGoneFromTheWindowIsNotPutBackBeforeALaterRoundsResult() throws Exception {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant).sendableWindowsOnly();
        // Each answering(...) model's own listener is dropped after its turn, as a model built per request is: the Atlas
        // instance, not a listener, keeps the parked calls (CI once lost the Paris call to a collection between the turns).
        ExecutorService one = Executors.newSingleThreadExecutor();
        ExecutorService two = Executors.newSingleThreadExecutor();
        AiMessage london = AiMessage.from(ToolExecutionRequest.builder().name("weather").arguments("{\"city\":\"London\"}").build());
        try {
            // An app keeping only the current turn (and its system message, kept since the first): each question starts the
            // window afresh.
            java.util.function.BiFunction<String, AiMessage, Runnable> ask = (question, response) -> () -> {
                List<ChatMessage> window = new ArrayList<>(List.of(SystemMessage.from("You forecast."), UserMessage.from(question)));
                store.updateMessages("turns", window);
                window.add(answering(response).chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m")
                        .build()).aiMessage());
                store.updateMessages("turns", window);
            };
            java.util.function.Function<String, Runnable> approve = text -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("turns"));
                window.add(ToolExecutionResultMessage.builder().toolName("weather").text(text).build());
                store.updateMessages("turns", window);
            };
            one.submit(ask.apply("weather in Paris?", AiMessage.from(ToolExecutionRequest.builder().name("weather")
                    .arguments("{\"city\":\"Paris\"}").build()))).get(30, TimeUnit.SECONDS);
            System.gc(); // between two HTTP requests a collection may come: only what the app holds survives it
            two.submit(approve.apply("Paris: rain")).get(30, TimeUnit.SECONDS);
            two.submit(ask.apply("and in London?", london)).get(30, TimeUnit.SECONDS);
            one.submit(approve.apply("London: sun")).get(30, TimeUnit.SECONDS);
        } finally {
            one.shutdownNow();
            two.shutdownNow();
        }

        assertThat(store.getMessages("turns")).isEqualTo(List.of(SystemMessage.from("You forecast."), UserMessage.from("and in London?"), london,
                ToolExecutionResultMessage.builder().toolName("weather").text("London: sun").build()));
        Conversation c = tenant.conversations().requireByKey("turns");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::arguments, ToolCall::status, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("{\"city\":\"Paris\"}", ExecutionStatus.COMPLETED, "Paris: rain"),
                        org.assertj.core.groups.Tuple.tuple("{\"city\":\"London\"}", ExecutionStatus.COMPLETED, "London: sun"));
    }

    @Test
    @DisplayName("Tools without call ids whose results the app stores from the tools' own threads: a result following another caller's"
            + " round of another tool completes the call of the request it answers, the nearest before it with that tool")
    void aResultWithoutIdStoredByAnotherThreadAfterAnotherRoundCompletesItsOwnCall() throws Exception {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage weather = AiMessage.from(ToolExecutionRequest.builder().name("weather").arguments("{\"city\":\"Paris\"}").build());
        AiMessage lookup = AiMessage.from(ToolExecutionRequest.builder().name("lookup").arguments("{\"order\":5}").build());
        ExecutorService one = Executors.newSingleThreadExecutor();
        ExecutorService two = Executors.newSingleThreadExecutor();
        ExecutorService tools = Executors.newSingleThreadExecutor();
        try {
            java.util.function.BiFunction<String, AiMessage, Runnable> ask = (question, response) -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("shared"));
                window.add(UserMessage.from(question));
                store.updateMessages("shared", window);
                window = new ArrayList<>(store.getMessages("shared"));
                window.add(answering(response).chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m")
                        .build()).aiMessage());
                store.updateMessages("shared", window);
            };
            java.util.function.BiFunction<String, String, Runnable> result = (tool, text) -> () -> {
                List<ChatMessage> window = new ArrayList<>(store.getMessages("shared"));
                window.add(ToolExecutionResultMessage.builder().toolName(tool).text(text).build());
                store.updateMessages("shared", window);
            };
            one.submit(ask.apply("weather in Paris?", weather)).get(30, TimeUnit.SECONDS);
            two.submit(ask.apply("where is order 5?", lookup)).get(30, TimeUnit.SECONDS);
            // The app runs tools on a pool of its own, which stores each result as its tool returns.
            tools.submit(result.apply("weather", "Paris: rain")).get(30, TimeUnit.SECONDS);
            tools.submit(result.apply("lookup", "order 5 shipped")).get(30, TimeUnit.SECONDS);
        } finally {
            one.shutdownNow();
            two.shutdownNow();
            tools.shutdownNow();
        }

        Conversation c = tenant.conversations().requireByKey("shared");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).map(e -> tenant.executions().tree(e.id()).orElseThrow().toolCalls().get(0))
                .extracting(ToolCall::name, ToolCall::status, ToolCall::result)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("weather", ExecutionStatus.COMPLETED, "Paris: rain"),
                        org.assertj.core.groups.Tuple.tuple("lookup", ExecutionStatus.COMPLETED, "order 5 shipped"));
    }

    @Test
    @DisplayName("An app building its model, and so its listener, per request (as AiServices builders in request handlers do), the"
            + " garbage collector running between the request whose model asked for a tool and the one storing the result: the tool"
            + " call completes with that result, and the next request's call is recorded")
    void aToolRoundOfAModelBuiltPerRequestOutlivesItsListener() throws Exception {
        ExecutorService requests = Executors.newSingleThreadExecutor();
        AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("refund").arguments("{\"order\":5}").build());
        try {
            // Request 1: the model asks to refund; the app shows the user an approval button and returns.
            java.lang.ref.WeakReference<AtlasChatModelListener> first = requests.submit(() -> perRequestTurn("refunds", "refund order 5", asks)).get(30, TimeUnit.SECONDS);
            // Between two HTTP requests a collection may come: only what the app holds survives it, and it holds nothing.
            for (int i = 0; i < 100 && first.get() != null; i++) {
                System.gc();
                byte[][] garbage = new byte[8][];
                for (int j = 0; j < garbage.length; j++) {
                    garbage[j] = new byte[1 << 20];
                }
                assertThat(garbage[7]).hasSize(1 << 20);
            }
            assertThat(first.get()).as("the first request's listener").isNull();
            // Request 2, on another pooled thread's turn: the user approves, the tool runs, its result goes to the memory, the
            // model (built for this request) answers.
            requests.submit(() -> {
                ChatMemory memory = AtlasChatMemory.provider(tenant, 20).get("refunds");
                memory.add(ToolExecutionResultMessage.from("call_1", "refund", "refunded 5"));
                return perRequestTurn("refunds", null, AiMessage.from("Order 5 is refunded."));
            }).get(30, TimeUnit.SECONDS);
        } finally {
            requests.shutdownNow();
        }

        Conversation c = tenant.conversations().requireByKey("refunds");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items());
        Collections.reverse(executions);
        assertThat(executions).extracting(Execution::status).containsExactly(ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED);
        assertThat(tenant.executions().tree(executions.get(0).id()).orElseThrow().toolCalls()).singleElement()
                .extracting(ToolCall::providerCallId, ToolCall::status, ToolCall::result, ToolCall::error)
                .containsExactly("call_1", ExecutionStatus.COMPLETED, "refunded 5", null);
    }

    @Test
    @DisplayName("An Atlas instance keeps a bounded number of tool rounds waiting: past the bound the oldest round goes, its calls given"
            + " back to be failed, and a later result finds nothing of it")
    void pendingToolRoundsAreBounded() {
        Correlation.Pending pending = new Correlation.Pending(2);
        UUID conversation = UUID.randomUUID();
        List<dev.atlas.execution.StepHandle.ToolCallHandle> calls = new ArrayList<>();
        List<UUID> executions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            dev.atlas.execution.ExecutionHandle e = tenant.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "m"));
            executions.add(e.id());
            calls.add(e.step().toolCall("c" + i, "lookup", "{}"));
            List<dev.atlas.execution.StepHandle.ToolCallHandle> evicted = pending.park(tenant.id(), conversation, AiMessage.from("asks " + i), e.id(), "c" + i, "lookup",
                    calls.get(i), java.time.Clock.systemUTC(), java.time.Duration.ofHours(1));
            assertThat(evicted).as("evicted by round %d", i).isEqualTo(i < 2 ? List.of() : List.of(calls.get(0)));
        }
        assertThat(pending.unpark(tenant.id(), conversation, executions.get(0), "c0", "lookup")).isNull();
        assertThat(pending.unpark(tenant.id(), conversation, executions.get(1), "c1", "lookup")).isSameAs(calls.get(1));
        assertThat(pending.expired()).isEmpty();
        assertThat(Correlation.Pending.MAX_ROUNDS).isEqualTo(10_000);
    }

    @Test
    @DisplayName("Past the bound on waiting tool rounds, the round that goes is the oldest of the tenant with the most waiting: one tenant's"
            + " tool loops that never end do not push out another tenant's round waiting for its user")
    void pendingToolRoundsBeyondTheBoundAreTakenFromTheTenantWithTheMost() {
        Correlation.Pending pending = new Correlation.Pending(3);
        UUID conversation = UUID.randomUUID();
        dev.atlas.execution.ExecutionHandle e = tenant.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "m"));
        List<dev.atlas.execution.StepHandle.ToolCallHandle> calls = new ArrayList<>();
        List<UUID> executions = new ArrayList<>();
        List<String> tenants = List.of("globex", "acme", "acme", "acme", "globex");
        List<List<dev.atlas.execution.StepHandle.ToolCallHandle>> evicted = new ArrayList<>();
        for (int i = 0; i < tenants.size(); i++) {
            calls.add(e.step().toolCall("c" + i, "lookup", "{}"));
            executions.add(UUID.randomUUID());
            evicted.add(pending.park(tenants.get(i), conversation, AiMessage.from("asks " + i), executions.get(i), "c" + i, "lookup", calls.get(i),
                    java.time.Clock.systemUTC(), java.time.Duration.ofHours(1)));
        }
        // acme's third round takes out acme's first; globex's second (acme 2, globex 2: the oldest of either) globex's first.
        assertThat(evicted).isEqualTo(List.of(List.of(), List.of(), List.of(), List.of(calls.get(1)), List.of(calls.get(0))));
        assertThat(pending.unpark("acme", conversation, executions.get(2), "c2", "lookup")).isSameAs(calls.get(2));
        assertThat(pending.unpark("acme", conversation, executions.get(3), "c3", "lookup")).isSameAs(calls.get(3));
        assertThat(pending.unpark("globex", conversation, executions.get(4), "c4", "lookup")).isSameAs(calls.get(4));
    }

    @Test
    @DisplayName("The check every request makes for tool rounds past their bound reads no clock per waiting round: with 1,000 rounds"
            + " waiting and none due, ten checks read their clock ten times; a round that comes due is still failed at once")
    void checkingPendingToolRoundsDoesNotReadTheClockPerRound() {
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.time.Instant t0 = java.time.Instant.parse("2026-03-01T10:00:00Z");
        java.util.concurrent.atomic.AtomicReference<java.time.Instant> now = new java.util.concurrent.atomic.AtomicReference<>(t0);
        java.time.Clock clock = new java.time.Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }

            @Override
            public java.time.Instant instant() {
                reads.incrementAndGet();
                return now.get();
            }
        };
        Correlation.Pending pending = new Correlation.Pending();
        dev.atlas.execution.ExecutionHandle e = tenant.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "m"));
        dev.atlas.execution.StepHandle.ToolCallHandle call = e.step().toolCall("c", "lookup", "{}");
        UUID conversation = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        pending.park(tenant.id(), conversation, AiMessage.from("asks"), first, "c", "lookup", call, clock, java.time.Duration.ofMinutes(10));
        now.set(t0.plusSeconds(60));
        for (int i = 1; i < 1000; i++) {
            pending.park(tenant.id(), conversation, AiMessage.from("asks " + i), UUID.randomUUID(), "c", "lookup", call, clock,
                    java.time.Duration.ofMinutes(10));
        }
        assertThat(pending.expired()).isEmpty();

        reads.set(0);
        for (int i = 0; i < 10; i++) {
            assertThat(pending.expired()).isEmpty();
        }
        assertThat(reads.get()).isEqualTo(10);
        now.set(t0.plus(java.time.Duration.ofMinutes(10)).plusNanos(1000));
        assertThat(pending.expired()).singleElement().extracting(Correlation.Expired::call).isSameAs(call);
    }

    /**
     * One request of a web app that builds its model per request: a memory, a listener and a model of its own, the memory's
     * window sent and the answer added, the way {@code AiServices} does it ({@code question} null: the request adds no user
     * message, as one approving a tool call); the listener, weakly.
     */
    private java.lang.ref.WeakReference<AtlasChatModelListener> perRequestTurn(String memoryId, String question, AiMessage answer) {
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", null);
        ChatMemory memory = AtlasChatMemory.provider(tenant, 20).get(memoryId);
        if (question != null) {
            memory.add(UserMessage.from(question));
        }
        memory.add(alwaysAnswering(answer, listener).chat(dev.langchain4j.model.chat.request.ChatRequest.builder()
                .messages(memory.messages()).modelName("m").build()).aiMessage());
        return new java.lang.ref.WeakReference<>(listener);
    }

    @Test
    @DisplayName("One memory id in two tenants, and ids differing only in case or spacing, are separate memories; a listener ties calls only within its tenant")
    void memoryIdsAreSeparatePerTenantAndExactly() {
        Tenant globex = atlas.tenant("globex");
        AtlasChatMemoryStore acmeStore = AtlasChatMemoryStore.of(tenant);
        AtlasChatMemoryStore globexStore = AtlasChatMemoryStore.of(globex);
        Map<String, List<ChatMessage>> given = new java.util.LinkedHashMap<>();
        for (String id : List.of("alice", "Alice", "alice ", "ALICE")) {
            given.put(id, List.of(UserMessage.from("acme secret of " + id)));
            acmeStore.updateMessages(id, given.get(id));
        }
        globexStore.updateMessages("alice", List.of(UserMessage.from("globex")));
        given.forEach((id, messages) -> assertThat(acmeStore.getMessages(id)).as(id).isEqualTo(messages));
        assertThat(globexStore.getMessages("alice")).containsExactly(UserMessage.from("globex"));
        assertThat(globexStore.getMessages("Alice")).isEmpty();

        // acme's store last touched "alice" on this thread: a globex model call carrying that very
        // message is not tied to acme's conversation, nor to globex's.
        List<ChatMessage> acmeWindow = acmeStore.getMessages("alice");
        dev.langchain4j.model.chat.ChatModel globexModel = new ScriptedChatModel(List.of(AtlasChatModelListener.of(globex)));
        globexModel.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(acmeWindow).build());
        assertThat(globex.executions().list(ExecutionQuery.all()).items()).singleElement()
                .satisfies(e -> assertThat(e.conversationId()).isNull());
        assertThat(tenant.executions().list(ExecutionQuery.all()).items()).isEmpty();
        // MEMORY_ID names the memory within the listener's own tenant.
        globexModel.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("x")).build(),
                dev.langchain4j.model.chat.ChatRequestOptions.builder().addListenerAttribute(AtlasChatModelListener.MEMORY_ID, "alice").build());
        assertThat(globex.executions().list(ExecutionQuery.all().conversation(globexStore.conversation("alice").orElseThrow().id())).items()).hasSize(1);
        assertThat(tenant.executions().list(ExecutionQuery.all()).items()).isEmpty();
    }

    /** An AiServices interface answering through a streaming model. */
    public interface StreamingAssistant {
        dev.langchain4j.service.TokenStream chat(@dev.langchain4j.service.MemoryId String memoryId,
                                                @dev.langchain4j.service.UserMessage String text);
    }

    @Test
    @DisplayName("A streaming call whose response arrives on the provider's thread is recorded in its conversation, and the stored answer is linked to it")
    void streamingCallAnsweredOnAnotherThread() throws Exception {
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", "support");
        dev.langchain4j.model.chat.StreamingChatModel model = new dev.langchain4j.model.chat.StreamingChatModel() {
            @Override
            public void doChat(dev.langchain4j.model.chat.request.ChatRequest request,
                               dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
                new Thread(() -> {
                    handler.onPartialResponse("Hel");
                    handler.onPartialResponse("lo");
                    handler.onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse.builder()
                            .aiMessage(AiMessage.from("Hello")).modelName("gpt-s")
                            .tokenUsage(new dev.langchain4j.model.output.TokenUsage(10, 2)).build());
                }, "provider-callback").start();
            }

            @Override
            public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(tenant, 10)).build();
        java.util.concurrent.CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done = new java.util.concurrent.CompletableFuture<>();
        assistant.chat("s1", "Hi").onPartialResponse(token -> { }).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo("Hello");

        Conversation c = tenant.conversations().requireByKey("s1");
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all()).items();
        assertThat(executions).singleElement().satisfies(e -> {
            assertThat(e.conversationId()).isEqualTo(c.id());
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(e.usage().inputTokens()).isEqualTo(10L);
        });
        List<Message> rows = tenant.conversations().messages(c.id(), 0, 10);
        assertThat(rows).extracting(Message::content).containsExactly("Hi", "Hello");
        assertThat(rows.get(1).executionId()).isEqualTo(executions.get(0).id());
    }

    @Test
    @DisplayName("Streaming with a tool round answered on the provider's thread: both calls in the conversation, the tool call (no id) completed with its result, the answer linked")
    void streamingToolRoundOnAnotherThread() throws Exception {
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", null);
        dev.langchain4j.model.chat.StreamingChatModel model = new dev.langchain4j.model.chat.StreamingChatModel() {
            @Override
            public void doChat(dev.langchain4j.model.chat.request.ChatRequest request,
                               dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
                ChatMessage last = request.messages().get(request.messages().size() - 1);
                AiMessage answer = last instanceof ToolExecutionResultMessage result
                        ? AiMessage.from("done: " + result.text())
                        : AiMessage.from(List.of(ToolExecutionRequest.builder().name("lookup").arguments("{\"order\":\"4\"}").build()));
                new Thread(() -> handler.onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse.builder()
                        .aiMessage(answer).modelName("gpt-s").build()), "provider-callback").start();
            }

            @Override
            public List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(tenant, 10)).tools(new OrderTools()).build();
        java.util.concurrent.CompletableFuture<dev.langchain4j.model.chat.response.ChatResponse> done = new java.util.concurrent.CompletableFuture<>();
        assistant.chat("st", "where is order 4").onPartialResponse(token -> { }).onCompleteResponse(done::complete)
                .onError(done::completeExceptionally).start();
        assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo("done: order 4 shipped");

        Conversation c = tenant.conversations().requireByKey("st");
        List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all()).items());
        Collections.reverse(executions);
        assertThat(executions).hasSize(2).allSatisfy(e -> assertThat(e.conversationId()).isEqualTo(c.id()));
        ToolCall call = tenant.executions().tree(executions.get(0).id()).orElseThrow().toolCalls().get(0);
        assertThat(call.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(call.result()).isEqualTo("order 4 shipped");
        List<Message> rows = tenant.conversations().messages(c.id(), 0, 10);
        assertThat(rows).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(rows.get(1).metadata()).containsEntry("executionId", executions.get(0).id().toString());
        assertThat(rows.get(3).executionId()).isEqualTo(executions.get(1).id());
    }

    /** A memory id type with equals and hashCode but Object's toString, as many key classes are. */
    private static final class SessionKey {
        private final String user;

        SessionKey(String user) {
            this.user = user;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SessionKey k && k.user.equals(user);
        }

        @Override
        public int hashCode() {
            return user.length(); // a poor but legal hash: "alice" and "carol" collide
        }
    }

    @Test
    @DisplayName("A memory id without a toString of its own (its key would be class name and hash code, colliding between users) is refused naming memoryId, before any write")
    void memoryIdWithoutItsOwnToStringIsRefused() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        List<ChatMessage> hi = List.of(UserMessage.from("my secret"));
        for (Object id : new Object[] {new SessionKey("alice"), new Object(), new int[] {1}}) {
            assertThatThrownBy(() -> store.updateMessages(id, hi)).as("%s", id)
                    .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("memoryId"));
            assertThatThrownBy(() -> store.getMessages(id))
                    .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("memoryId"));
        }
        assertThat(tenant.conversations().list(ConversationQuery.all()).items()).isEmpty();
        // Ids with a toString of their own work: strings, numbers, UUIDs, enums, records.
        record Session(String user) {}
        for (Object id : new Object[] {"alice", 42L, java.util.UUID.randomUUID(), ExecutionStatus.COMPLETED, new Session("carol")}) {
            store.updateMessages(id, hi);
            assertThat(store.getMessages(id)).isEqualTo(hi);
        }
    }

    @Test
    @DisplayName("A response whose text or tool arguments a column cannot hold as is (a NUL; JSON beyond PostgreSQL jsonb) is recorded completed, with a storable copy")
    void listenerRecordsResponsesTheColumnsCannotHoldAsIs() {
        AiMessage odd = AiMessage.builder().text("a\u0000b").thinking("c\uD83D")
                .toolExecutionRequests(List.of(ToolExecutionRequest.builder().id("n1").name("read").arguments("{\"path\":\"x\\u0000y\"}").build(),
                        ToolExecutionRequest.builder().id("n2").name("read").arguments("{\"q\":\"\\ud800\",\"n\":1e131072}").build()))
                .build();
        answering(odd).chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("hi")).modelName("m").build());
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
        ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
        assertThat(tree.steps().get(0).content()).isEqualTo("a\uFFFDb");
        assertThat(tree.steps().get(0).reasoning()).isEqualTo("c\uFFFD");
        assertThat(tree.toolCalls()).hasSize(2).first().satisfies(c -> {
            assertThat(c.name()).isEqualTo("read");
            assertThat(c.arguments()).isEqualTo("{\"unparsed\":\"{\\\"path\\\":\\\"x\\\\u0000y\\\"}\"}");
        });
        assertThat(tree.toolCalls().get(1).arguments()).isEqualTo("{\"unparsed\":\"{\\\"q\\\":\\\"\\\\ud800\\\",\\\"n\\\":1e131072}\"}");
    }

    @Test
    @DisplayName("A failing model call is recorded failed with its error")
    void listenerRecordsErrors() {
        var model = new ScriptedChatModel(List.of(AtlasChatModelListener.of(tenant))) {
            @Override
            public dev.langchain4j.model.chat.response.ChatResponse doChat(dev.langchain4j.model.chat.request.ChatRequest request) {
                throw new IllegalStateException("provider down");
            }
        };
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(tenant, 20)).build();
        assertThatThrownBy(() -> assistant.chat("x", "hi")).hasMessageContaining("provider down");
        Conversation c = tenant.conversations().requireByKey("x");
        Execution e = tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items().get(0);
        assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("java.lang.IllegalStateException: provider down");
        assertThat(e.completedAt()).isAfterOrEqualTo(e.startedAt());
    }

    @Test
    @DisplayName("8 conversations at once each keep their own transcript and executions")
    void eightConcurrentConversations() throws Exception {
        RecordingProvider memory = new RecordingProvider(AtlasChatMemory.provider(tenant, WINDOW));
        Assistant assistant = assistant(memory, true);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String id = "conv-" + t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= 6; i++) {
                        assistant.chat(id, turn(i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < 8; t++) {
            Conversation c = tenant.conversations().requireByKey("conv-" + t);
            assertThat(transcript(c)).isEqualTo(memory.added.get("conv-" + t));
            // 6 turns, 2 of them with a tool round: 8 model calls, all tied to this conversation.
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(c.id())).items()).hasSize(8)
                    .allSatisfy(e -> assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED));
        }
        assertThat(tenant.executions().list(ExecutionQuery.all().limit(100)).items()).hasSize(64);
    }

    @Test
    @DisplayName("4 callers on one memory id, each through its own AiService and store (an app building them per request), still store every message exactly once")
    void fourCallersWithTheirOwnStoresOnOneMemoryId() throws Exception {
        Map<Object, List<ChatMessage>> added = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int caller = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= 5; i++) {
                        RecordingProvider memory = new RecordingProvider(AtlasChatMemory.provider(tenant, WINDOW));
                        assistant(memory, false).chat("own", "hello " + caller + "-" + i);
                        added.computeIfAbsent(caller, k -> Collections.synchronizedList(new ArrayList<>())).addAll(memory.added.get("own"));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        List<ChatMessage> stored = transcript(tenant.conversations().requireByKey("own"));
        List<ChatMessage> expected = added.values().stream().flatMap(List::stream).filter(m -> !(m instanceof SystemMessage)).toList();
        assertThat(expected).hasSize(4 * 5 * 2);
        assertThat(stored.stream().filter(m -> !(m instanceof SystemMessage)).toList())
                .as("each user message and answer stored exactly once").containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    @DisplayName("4 callers on one memory id share one conversation; every message is stored exactly once")
    void fourConcurrentCallersOnOneMemoryId() throws Exception {
        RecordingProvider memory = new RecordingProvider(AtlasChatMemory.provider(tenant, WINDOW));
        Assistant assistant = assistant(memory, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int caller = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= 5; i++) {
                        assistant.chat("shared", "hello " + caller + "-" + i);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(tenant.conversations().list(ConversationQuery.all()).items()).hasSize(1);
        Conversation c = tenant.conversations().requireByKey("shared");
        List<ChatMessage> stored = transcript(c);
        // The callers race on LangChain4j's own read-then-write, so whether a caller saw the system
        // message already varies; it is stored once all the same.
        assertThat(stored.stream().filter(SystemMessage.class::isInstance)).hasSize(1);
        List<ChatMessage> added = memory.added.get("shared").stream().filter(m -> !(m instanceof SystemMessage)).toList();
        assertThat(added).hasSize(4 * 5 * 2);
        assertThat(stored.stream().filter(m -> !(m instanceof SystemMessage)).toList())
                .as("each user message and answer stored exactly once").containsExactlyInAnyOrderElementsOf(added);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("shared")).isEqualTo(memory.get("shared").messages());
    }

    @Test
    @DisplayName("A user message with an image whose JSON is too large for the row's metadata (300 KB of text) round-trips with the image's exact bytes, from the writing store and a fresh one")
    void imageInAMessageKeptAsJsonAssetRoundTrips() throws java.sql.SQLException {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        byte[] png = new byte[40_000];
        new java.util.Random(13).nextBytes(png);
        String base64 = java.util.Base64.getEncoder().encodeToString(png);
        UserMessage big = UserMessage.from(TextContent.from("describe this in the light of: " + "context ".repeat(40_000)),
                ImageContent.from(base64, "image/png"));
        List<ChatMessage> messages = List.of(big, AiMessage.from("Done."));
        store.updateMessages("big-photo", messages);

        for (AtlasChatMemoryStore reader : List.of(store, AtlasChatMemoryStore.of(tenant))) {
            List<ChatMessage> read = reader.getMessages("big-photo");
            assertThat(read).isEqualTo(messages);
            ImageContent image = (ImageContent) ((UserMessage) read.get(0)).contents().get(1);
            assertThat(image.image().url()).isNull();
            assertThat(image.image().base64Data()).isEqualTo(base64);
        }
        Message row = tenant.conversations().messages(tenant.conversations().requireByKey("big-photo").id(), 0, 10).get(0);
        assertThat(tenant.assets().forMessage(row.id())).extracting(a -> a.asset().mimeType())
                .containsExactlyInAnyOrder("image/png", "application/json");
        assertThat(liveAssets()).isEqualTo(2);
    }

    @Test
    @DisplayName("24 callers each read one memory, the window then moves on, and each updates with its own read plus a new message: no exception, every message stored exactly once")
    void manyCallersReadingOneMemoryAreEachRecognised() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        store.updateMessages("busy", List.of(UserMessage.from("u1"), AiMessage.from("a1")));
        List<List<ChatMessage>> reads = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            reads.add(new ArrayList<>(store.getMessages("busy")));
        }
        for (int i = 0; i < reads.size(); i++) {
            // Another writer's window drops everything the callers read (a window of one).
            store.updateMessages("busy", List.of(UserMessage.from("other " + i)));
            List<ChatMessage> mine = reads.get(i);
            mine.add(UserMessage.from("caller " + i));
            store.updateMessages("busy", mine);
            assertThat(store.getMessages("busy")).as("caller %d", i).isEqualTo(mine);
        }
        List<String> expected = new ArrayList<>(List.of("u1", "a1"));
        for (int i = 0; i < reads.size(); i++) {
            expected.add("other " + i);
            expected.add("caller " + i);
        }
        assertThat(tenant.conversations().messages(store.conversation("busy").orElseThrow().id(), 0, 1000))
                .extracting(Message::content).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("Two tenants writing the same memory id (\"default\") do not wait on each other: one held up in blob I/O does not stop the other")
    void tenantsDoNotShareAMemoryIdsWriteLock(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // Of 64 stripes, "acme" and "globex" with "default" land on different ones (chance would share one).
        writeWhileAnotherIsHeldUp(dir, () -> atlas.tenant("globex"));
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("default")).hasSize(1);
    }

    @Test
    @DisplayName("Two Atlas instances on different databases, one tenant id and memory id (\"acme\", \"default\"): a write held up in one's blob I/O does not stop the other's")
    void atlasInstancesDoNotShareAMemoryIdsWriteLock(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        TestDatabase secondDatabase = anotherDatabase();
        try (Atlas second = secondDatabase.open()) {
            writeWhileAnotherIsHeldUp(dir, () -> second.tenant("acme"));
            assertThat(AtlasChatMemoryStore.of(tenant).getMessages("default")).containsExactly(photo("look", 4));
        } finally {
            secondDatabase.cleanup();
        }
    }

    /**
     * Reopens {@link #tenant} ("acme") on a blob store that holds its first write up, starts an image
     * write to memory "default" there, and checks that {@code other}'s write to "default" completes
     * meanwhile (a shared lock would leave it waiting for the release, and the get times out).
     */
    private void writeWhileAnotherIsHeldUp(java.nio.file.Path dir, Supplier<Tenant> other) throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        atlas.close();
        database.cleanup();
        atlas = database.open(b -> b.blobStore(new CountingBlobStore(dir, () -> {
            entered.countDown();
            try {
                release.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })));
        tenant = atlas.tenant("acme");
        Tenant second = other.get();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> slow = pool.submit(() -> AtlasChatMemoryStore.of(tenant).updateMessages("default", List.of(photo("look", 4))));
            assertThat(entered.await(1, TimeUnit.MINUTES)).isTrue();
            Future<?> fast = pool.submit(() -> AtlasChatMemoryStore.of(second).updateMessages("default", List.of(UserMessage.from("hi"))));
            try {
                fast.get(1, TimeUnit.MINUTES);
            } finally {
                release.countDown();
            }
            slow.get(1, TimeUnit.MINUTES);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertThat(AtlasChatMemoryStore.of(second).getMessages("default")).containsExactly(UserMessage.from("hi"));
    }

    @Test
    @DisplayName("A tool result whose call the sweep already closed is stored once: the turn does not fail, and the next update does not append it again")
    void toolResultOfASweptCallIsStoredOnce() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("long-1").name("crawl").arguments("{}").build()));
        dev.langchain4j.model.chat.ChatModel model = answering(asks);
        List<ChatMessage> window = new ArrayList<>(List.of(UserMessage.from("crawl the site")));
        store.updateMessages("swept", window);
        model.chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(window).modelName("m").build());
        window.add(asks);
        store.updateMessages("swept", window);
        // The tool ran so long that start-up maintenance elsewhere closed its call as interrupted.
        assertThat(tenant.executions().sweepInterrupted(java.time.Duration.ZERO).toString()).isNotEmpty();
        window.add(ToolExecutionResultMessage.from(asks.toolExecutionRequests().get(0), "crawled"));
        store.updateMessages("swept", window);
        window.add(AiMessage.from("Crawled."));
        store.updateMessages("swept", window);

        assertThat(store.getMessages("swept")).isEqualTo(window);
        assertThat(tenant.conversations().messages(store.conversation("swept").orElseThrow().id(), 0, 100))
                .extracting(Message::content).containsExactly("crawl the site", "", "crawled", "Crawled.");
    }

    @Test
    @DisplayName("Tool arguments too long for a tool call (valid JSON over 1 MiB, or text whose escaping passes it) are recorded cut short as {\"unparsed\": ...}; the execution completes")
    void listenerRecordsToolArgumentsTooLongForACall() {
        String json = "{\"content\":\"" + "x".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH) + "\"}";
        String quotes = "\"".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH - 10);
        AiMessage asks = AiMessage.from(List.of(
                ToolExecutionRequest.builder().id("j1").name("write").arguments(json).build(),
                ToolExecutionRequest.builder().id("q1").name("write").arguments(quotes).build()));
        answering(asks).chat(dev.langchain4j.model.chat.request.ChatRequest.builder().messages(UserMessage.from("hi")).modelName("m").build());
        Execution e = tenant.executions().list(ExecutionQuery.all()).items().get(0);
        assertThat(e.status()).as("%s", e).isNotEqualTo(ExecutionStatus.FAILED);
        ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
        assertThat(tree.toolCalls()).hasSize(2).allSatisfy(c -> {
            assertThat(c.arguments().length()).isLessThanOrEqualTo(dev.atlas.Limits.MAX_CONTENT_LENGTH);
            com.fasterxml.jackson.databind.JsonNode node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(c.arguments());
            String original = c.providerCallId().equals("j1") ? json : quotes;
            assertThat(original).startsWith(node.get("unparsed").asText());
            assertThat(node.get("unparsed").asText().length()).isGreaterThan(dev.atlas.Limits.MAX_CONTENT_LENGTH / 3);
        });
    }

    @Test
    @DisplayName("A stored message whose adapter fields are corrupt (an asset id that is no UUID, an image reference that is none, an asset that is not JSON) fails the read with UnreadableRowException naming the field")
    void corruptAdapterFieldsAreReportedAsUnreadableRows() {
        UUID notJson = tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.JSON, "m.json", "application/json"),
                "{\"type\":\"USER\",".getBytes(java.nio.charset.StandardCharsets.UTF_8)).id();
        String imageJson = dev.langchain4j.data.message.ChatMessageSerializer.messageToJson(
                UserMessage.from(ImageContent.from(java.net.URI.create("atlas-asset:nope"))));
        Map<String, Map<String, Object>> corrupt = Map.of(
                "jsonAsset", Map.of("jsonAsset", "nope"),
                "assets", Map.of("json", imageJson, "assets", List.of("nope")),
                "notJson", Map.of("jsonAsset", notJson.toString()));
        corrupt.forEach((name, fields) -> {
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
            store.updateMessages(name, List.of(UserMessage.from("fine")));
            Conversation c = store.conversation(name).orElseThrow();
            Message row = tenant.conversations().append(c.id(), dev.atlas.conversation.NewMessage.of(Role.USER, "x")
                    .metadata(Map.of("langchain4j", fields)));
            tenant.conversations().updateMetadata(c.id(), Map.of("langchain4j", Map.of("window", List.of(List.of(1, row.sequence())))));
            String field = name.equals("notJson") ? "json" : name;
            assertThatThrownBy(() -> AtlasChatMemoryStore.of(tenant).getMessages(name)).as(name)
                    .isInstanceOf(dev.atlas.UnreadableRowException.class)
                    .hasMessageContaining(row.id().toString()).hasMessageContaining("langchain4j." + field);
        });
    }

    @Test
    @DisplayName("one message instance added again after the window evicted it (a constant 'continue' prompt) is a new message: stored"
            + " again, the history keeps both, the window ends with it")
    void aMessageInstanceAddedAgainAfterItsEvictionIsStoredAgain() {
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        ChatMemory memory = MessageWindowChatMemory.builder().id("again").maxMessages(2).chatMemoryStore(store).build();
        UserMessage again = UserMessage.from("continue");
        memory.add(again);
        memory.add(AiMessage.from("a1"));
        memory.add(AiMessage.from("a2"));
        memory.add(again);
        assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("again").id(), 0, 100)).extracting(Message::content)
                .containsExactly("continue", "a1", "a2", "continue");
        assertThat(store.getMessages("again")).extracting(LangChain4jAdapterContract::text).containsExactly("a2", "continue");
    }

    private static String text(ChatMessage m) {
        return m instanceof UserMessage u ? u.contents().stream().filter(TextContent.class::isInstance).map(c -> ((TextContent) c).text())
                .findFirst().orElse("") : ((AiMessage) m).text();
    }
}
