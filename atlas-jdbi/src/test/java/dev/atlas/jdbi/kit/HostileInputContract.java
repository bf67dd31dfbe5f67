package dev.atlas.jdbi.kit;

import dev.atlas.AssistantRevision;
import dev.atlas.AssistantSpec;
import dev.atlas.AssistantStore;
import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.ClaimedTask;
import dev.atlas.Conversation;
import dev.atlas.ConversationQuery;
import dev.atlas.ConversationStore;
import dev.atlas.CredentialKeys;
import dev.atlas.CredentialStore;
import dev.atlas.Direction;
import dev.atlas.InvalidInputException;
import dev.atlas.Memory;
import dev.atlas.MemoryGraph;
import dev.atlas.MemoryKind;
import dev.atlas.MemoryPatch;
import dev.atlas.MemoryQuery;
import dev.atlas.MemoryStore;
import dev.atlas.Message;
import dev.atlas.MessageStatus;
import dev.atlas.NewConversation;
import dev.atlas.NewGraphEdge;
import dev.atlas.NewGraphNode;
import dev.atlas.NewMemory;
import dev.atlas.NewMessage;
import dev.atlas.NewRevision;
import dev.atlas.NewTask;
import dev.atlas.Owner;
import dev.atlas.RetentionPolicy;
import dev.atlas.Role;
import dev.atlas.Search;
import dev.atlas.SearchFilter;
import dev.atlas.SearchTarget;
import dev.atlas.SemanticQuery;
import dev.atlas.Task;
import dev.atlas.TaskStore;
import dev.atlas.Tenant;
import dev.atlas.TextQuery;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generated corpus of hostile values pushed through every public write method of every store.
 * Each call either fails with a typed {@link AtlasException} (an {@link InvalidInputException}
 * naming its field) and leaves the database, and the blob directory, byte-for-byte unchanged, or
 * succeeds and reads back exactly what was written. Calls that must fail (illegal transitions,
 * ids of another tenant, unknown ids) are marked so and fail the test if they succeed.
 *
 * <p>Cases come from one generator per store, listed in {@link #generators()}: covering a new
 * store is one more method producing {@link Case}s and one more entry in that list.
 */
public abstract class HostileInputContract extends AtlasContract {
    static final String TEN_MB = "x".repeat(10 * 1024 * 1024);

    static final List<String> HOSTILE = List.of(
            "a\u0000b",
            "\uD800",
            "x\uDC00y",
            TEN_MB,
            "x".repeat(255),
            "x".repeat(256),
            "'; DROP TABLE atlas_messages; --",
            "\" OR \"1\"=\"1",
            "Robert'); DELETE FROM atlas_conversations WHERE ('1'='1",
            "<p>conversations",
            "${prefix}",
            "😀👩‍👩‍👧 𝄞",
            "",
            "   ",
            "\u202E RTL \u200B zero width \uFEFF",
            "\\u0000",
            "line1\r\nline2\ttab",
            "%_\\ LIKE wildcards");

    /** A shorter set for the many text fields of the newer stores; the 10 MB string stays in a few fields only. */
    static final List<String> HOSTILE_SHORT = List.of(
            "a\u0000b",
            "\uDBFF",
            "x".repeat(256),
            "'; DELETE FROM atlas_executions; --",
            "../../etc/passwd",
            "😀 𝄞 \u202E",
            "",
            " ");

    static final List<String> HOSTILE_JSON = List.of(
            "[".repeat(10_000) + "]".repeat(10_000),
            "{\"a\":",
            "{\"nul\":\"\\u0000\"}",
            "{\"big\":\"" + "y".repeat(2 * 1024 * 1024) + "\"}",
            "{\"a\":1,\"a\":2}",
            "  [1e400, -0, \"\\ud83d\\ude00\"]  ",
            "NaN",
            "{\"x\":\"'; DROP TABLE atlas_messages; --\"}");

    /** JSON-like maps for metadata, settings, payloads and results. */
    static final List<Map<String, ?>> HOSTILE_MAPS = List.of(
            Map.of("k", "a\u0000b"),
            Map.of("k", "\uD800"),
            Map.of("a\u0000b", 1),
            Map.of("k", nested(200)),
            Map.of("k", new Object()),
            Map.of("k", Double.NaN),
            Map.of("k", "y".repeat(300_000)),
            Map.of("k", Arrays.asList(1, null, "x")),
            Map.of("'; DROP TABLE atlas_tasks; --", "😀"));

    static final long[] HOSTILE_LONGS = {Long.MIN_VALUE, -1, Long.MAX_VALUE};
    static final int[] HOSTILE_INTS = {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE};
    static final Duration[] HOSTILE_DURATIONS = {Duration.ofSeconds(-1), Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE), null};
    static final Instant[] HOSTILE_INSTANTS = {Instant.MIN, Instant.MAX, Instant.EPOCH, Instant.parse("0000-12-31T23:59:59Z")};

    private static Object nested(int depth) {
        Object o = "leaf";
        for (int i = 0; i < depth; i++) {
            o = List.of(o);
        }
        return o;
    }

    /** One generated case: an optional setup (not part of the comparison), a write, and how to read back what it stored. */
    protected record Case(String name, Supplier<?> prepare, Function<Object, ?> write, Function<Object, ?> readBack, Object expected,
                          boolean mustReject, boolean read) {
        /** A write that may be rejected or stored; when stored, {@code readBack} of its result must equal {@code expected}. */
        public static Case of(String name, Supplier<?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, () -> null, x -> write.get(), readBack, expected, false, false);
        }

        /**
         * A read with hostile arguments: it must return or fail with a typed error. Reads write
         * nothing, so no digest is taken (a digest per case is what makes the corpus slow).
         */
        public static Case read(String name, Supplier<?> call) {
            return new Case(name, () -> null, x -> call.get(), r -> null, null, false, true);
        }

        /** Like {@link #read(String, Supplier)}; when it returns, {@code check} of its result must equal {@code expected}. */
        public static Case read(String name, Supplier<?> call, Function<Object, ?> check, Object expected) {
            return new Case(name, () -> null, x -> call.get(), check, expected, false, true);
        }

        /** A write that must be rejected with a typed error and no change. */
        public static Case reject(String name, Supplier<?> write) {
            return new Case(name, () -> null, x -> write.get(), r -> null, null, true, false);
        }

        /** Like {@link #reject} on something {@code prepare} made first (its writes are not compared). */
        @SuppressWarnings("unchecked")
        public static <T> Case rejectAfter(String name, Supplier<T> prepare, Function<T, ?> write) {
            return new Case(name, prepare, x -> write.apply((T) x), r -> null, null, true, false);
        }

        /** Like {@link #of} on something {@code prepare} made first. */
        @SuppressWarnings("unchecked")
        public static <T> Case after(String name, Supplier<T> prepare, Function<T, ?> write, Function<Object, ?> readBack, Object expected) {
            return new Case(name, prepare, x -> write.apply((T) x), readBack, expected, false, false);
        }
    }

    /** Adds one store's cases. */
    @FunctionalInterface
    protected interface CaseGenerator {
        void generate(List<Case> out);
    }

    /** Every store's generator; a new store appends its own. */
    protected List<CaseGenerator> generators() {
        return List.of(this::conversationCases, this::executionCases, this::priceCases, this::assetCases, this::voiceCases,
                this::assistantCases, this::credentialCases, this::taskCases, this::lookupCases, this::memoryCases, this::graphCases,
                this::searchCases, this::retentionCases, this::bulkyCases);
    }

    @TempDir
    Path blobs;

    protected Tenant acme;
    protected Tenant other;
    private ConversationStore store;
    private Conversation convo;
    private Message queued;
    // Rows of the other tenant, whose ids must behave like unknown ids for acme.
    private Conversation foreignConvo;
    private Message foreignMessage;
    private Execution foreignExecution;
    private Asset foreignAsset;
    private VoiceCall foreignCall;
    private UUID foreignAssistant;
    private AssistantRevision foreignRevision;
    private Task foreignTask;
    // Memory, graph and search: acme's own rows to work on, and globex's (same node keys, a model of another dimension).
    private Memory memory;
    private Conversation searchConvo;
    private Message plain;
    private Memory foreignMemory;

    protected HostileInputContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.blobStore(new LocalDirectoryBlobStore(blobs)).credentialKeys(CredentialKeys.of("k1", new byte[32]));
    }

    @BeforeEach
    void seed() {
        acme = atlas.tenant("acme");
        other = atlas.tenant("globex");
        store = acme.conversations();
        convo = store.create(NewConversation.of(Owner.user("1"), "agent"));
        queued = store.append(convo.id(), NewMessage.assistant("pending").status(MessageStatus.QUEUED));

        foreignConvo = other.conversations().create(NewConversation.of(Owner.user("1"), "agent"));
        foreignMessage = other.conversations().append(foreignConvo.id(), NewMessage.user("theirs"));
        ExecutionHandle h = other.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(foreignConvo.id()));
        h.step().toolCall("c1", "lookup", "{}");
        foreignExecution = h.complete();
        foreignAsset = other.assets().store(NewAsset.of(AssetType.IMAGE, "theirs.png", "image/png"), new byte[] {1, 2, 3});
        foreignCall = other.voiceCalls().start(NewVoiceCall.of("rt_1", "openai", "gpt-realtime").conversation(foreignConvo.id()));
        foreignAssistant = other.assistants().create(AssistantSpec.of("bot", "Bot")).id();
        foreignRevision = other.assistants().publish(foreignAssistant, NewRevision.of("theirs", Map.of()));
        foreignTask = other.tasks().enqueue(NewTask.of("summarize", Map.of()));
        other.credentials().put(Owner.user("1"), "openai", "their-secret");

        memory = acme.memories().add(NewMemory.fact(Owner.user("1"), "remembered"));
        searchConvo = store.create(NewConversation.of(Owner.user("1"), "agent"));
        plain = store.append(searchConvo.id(), NewMessage.user("plain hostile content near 2"));
        acme.graph().upsertNode(NewGraphNode.of("a"));
        acme.graph().upsertNode(NewGraphNode.of("b"));
        foreignMemory = other.memories().add(NewMemory.fact(Owner.user("1"), "theirs plain").from(foreignConvo.id(), foreignMessage.id()));
        other.search().putVector(SearchTarget.MEMORY, foreignMemory.id(), "m-3", new float[] {1, 0, 0, 0});
        other.search().putVector(SearchTarget.MEMORY, foreignMemory.id(), "theirs-4", new float[] {1, 0, 0, 0});
        other.graph().upsertNode(NewGraphNode.of("theirs"));
        other.graph().upsertNode(NewGraphNode.of("theirs-too"));
        other.graph().upsertEdge(NewGraphEdge.of("theirs", "knows", "theirs-too"));
        other.graph().upsertNode(NewGraphNode.of("a"));
        other.graph().upsertEdge(NewGraphEdge.of("theirs", "knows", "a"));
    }

    /** A short, printable name for a value: long values cut, control characters and surrogates escaped. */
    private static String tag(String h) {
        String cut = h.length() > 40 ? h.substring(0, 10) + "...(" + h.length() + ")" : h;
        StringBuilder sb = new StringBuilder();
        for (char c : cut.toCharArray()) {
            sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }

    private static String tag(Map<String, ?> m) {
        return tag(String.valueOf(m.keySet()));
    }

    // ---- conversations and messages -------------------------------------------------------

    protected void conversationCases(List<Case> cases) {
        for (String h : HOSTILE) {
            String tag = tag(h);
            cases.add(Case.of("owner.type " + tag, () -> store.create(NewConversation.of(Owner.of(h, "1"))),
                    r -> store.require(((Conversation) r).id()).owner().type(), h));
            cases.add(Case.of("owner.id " + tag, () -> store.create(NewConversation.of(Owner.of("user", h))),
                    r -> store.require(((Conversation) r).id()).owner().id(), h));
            cases.add(Case.of("agent " + tag, () -> store.create(NewConversation.of(Owner.user("1"), h)),
                    r -> store.require(((Conversation) r).id()).agent(), h));
            cases.add(Case.of("title " + tag, () -> store.create(NewConversation.of(Owner.user("1")).title(h)),
                    r -> store.require(((Conversation) r).id()).title(), h));
            cases.add(Case.of("metadata value " + tag, () -> store.create(NewConversation.of(Owner.user("1")).metadata(Map.of("k", h))),
                    r -> store.require(((Conversation) r).id()).metadata().get("k"), h));
            cases.add(Case.of("metadata key " + tag, () -> store.updateMetadata(convo.id(), Map.of(h, 1)),
                    r -> store.require(convo.id()).metadata().keySet().iterator().next(), h));
            cases.add(Case.of("updateTitle " + tag, () -> store.updateTitle(convo.id(), h),
                    r -> store.require(convo.id()).title(), h));
            cases.add(Case.of("updateSummary " + tag, () -> store.updateSummary(convo.id(), h),
                    r -> store.require(convo.id()).summary(), h));
            cases.add(Case.of("content " + tag, () -> store.append(convo.id(), NewMessage.user(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().content(), h));
            cases.add(Case.of("clientId " + tag, () -> store.append(convo.id(), NewMessage.user("c").clientId(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().clientId(), h));
            cases.add(Case.of("message agent " + tag, () -> store.append(convo.id(), NewMessage.assistant("c").agent(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().agent(), h));
            cases.add(Case.of("author " + tag, () -> store.append(convo.id(), NewMessage.user("c").author(Owner.of("user", h))),
                    r -> store.message(((Message) r).id()).orElseThrow().author().id(), h));
            cases.add(Case.of("failureReason " + tag, () -> store.markFailed(queued.id(), h),
                    r -> store.message(queued.id()).orElseThrow().failureReason(), h));
            cases.add(Case.of("edit " + tag, () -> store.edit(queued.id(), h),
                    r -> store.message(queued.id()).orElseThrow().content(), h));
            cases.add(Case.of("tenant " + tag, () -> atlas.tenant(h).conversations().create(NewConversation.of(Owner.user("1"))),
                    r -> atlas.tenant(h).conversations().require(((Conversation) r).id()).tenantId(), h));
        }
        for (String json : HOSTILE_JSON) {
            cases.add(Case.of("json content " + tag(json), () -> store.append(convo.id(), NewMessage.json(Role.TOOL, json)),
                    r -> store.message(((Message) r).id()).orElseThrow().content(), json));
        }
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("message metadata " + tag(m), () -> store.append(convo.id(), NewMessage.user("m").metadata(m)), r -> null, null));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 1001, Integer.MAX_VALUE}) {
            cases.add(Case.of("history limit " + n, () -> store.history(convo.id(), n), r -> null, null));
            cases.add(Case.of("list limit " + n, () -> store.list(ConversationQuery.all().limit(n)), r -> null, null));
            cases.add(Case.of("messages limit " + n, () -> store.messages(convo.id(), 0, n), r -> null, null));
        }
        for (long s : new long[] {Long.MIN_VALUE, -1}) {
            cases.add(Case.of("messages after " + s, () -> store.messages(convo.id(), s, 10), r -> null, null));
            cases.add(Case.of("history before " + s, () -> store.historyBefore(convo.id(), s, 10), r -> null, null));
        }
        cases.add(Case.reject("illegal transition delivered → delivered", () -> store.markDelivered(store.markDelivered(queued.id()).id())));
        cases.add(Case.rejectAfter("illegal transition delivered → queued",
                () -> store.markDelivered(store.append(convo.id(), NewMessage.assistant("q").status(MessageStatus.QUEUED)).id()),
                m -> store.updateStatus(m.id(), MessageStatus.QUEUED, null)));
        cases.add(Case.rejectAfter("failure reason without failed status",
                () -> store.append(convo.id(), NewMessage.assistant("q").status(MessageStatus.QUEUED)),
                m -> store.updateStatus(m.id(), MessageStatus.DELIVERED, "why")));
        cases.add(Case.reject("null status", () -> store.updateStatus(queued.id(), null, null)));
        cases.add(Case.rejectAfter("illegal transition closed → archived",
                () -> store.close(store.create(NewConversation.of(Owner.user("1"))).id()), c -> store.archive(c.id())));
        cases.add(Case.rejectAfter("illegal transition open → reopened",
                () -> store.create(NewConversation.of(Owner.user("1"))), c -> store.reopen(c.id())));
        cases.add(Case.rejectAfter("append to a closed conversation",
                () -> store.close(store.create(NewConversation.of(Owner.user("1"))).id()), c -> store.append(c.id(), NewMessage.user("late"))));
        cases.add(Case.reject("parent of another tenant", () -> store.append(convo.id(), NewMessage.assistant("a").parent(foreignMessage.id()))));
        cases.add(Case.reject("tool thread with a parent of another tenant",
                () -> store.create(NewConversation.toolThread(Owner.user("1"), "a", foreignConvo.id(), null))));
        for (UUID id : List.of(foreignConvo.id(), UUID.randomUUID())) {
            String who = id.equals(foreignConvo.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("append to " + who + " conversation", () -> store.append(id, NewMessage.user("x"))));
            cases.add(Case.reject("updateTitle of " + who + " conversation", () -> store.updateTitle(id, "t")));
            cases.add(Case.reject("updateSummary of " + who + " conversation", () -> store.updateSummary(id, "s")));
            cases.add(Case.reject("updateMetadata of " + who + " conversation", () -> store.updateMetadata(id, Map.of())));
            cases.add(Case.reject("archive " + who + " conversation", () -> store.archive(id)));
            cases.add(Case.reject("reopen " + who + " conversation", () -> store.reopen(id)));
            cases.add(Case.reject("close " + who + " conversation", () -> store.close(id)));
            cases.add(Case.reject("delete " + who + " conversation", () -> {
                store.delete(id);
                return null;
            }));
            cases.add(Case.reject("restore " + who + " conversation", () -> store.restore(id)));
            cases.add(Case.reject("markAllRead " + who + " conversation", () -> store.markAllRead(id)));
        }
        for (UUID id : List.of(foreignMessage.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMessage.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("edit " + who + " message", () -> store.edit(id, "hijack")));
            cases.add(Case.reject("activate " + who + " message", () -> store.activate(id)));
            cases.add(Case.reject("markRead " + who + " message", () -> store.markRead(id)));
            cases.add(Case.reject("markDelivered " + who + " message", () -> store.markDelivered(id)));
            cases.add(Case.reject("deleteMessage " + who + " message", () -> {
                store.deleteMessage(id);
                return null;
            }));
        }
    }

    // ---- executions -----------------------------------------------------------------------

    private ExecutionSpec spec() {
        return ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id());
    }

    private Object treeStep(Object running, Function<dev.atlas.execution.ExecutionStep, ?> field) {
        return field.apply(acme.executions().tree(((Running) running).exec().id()).orElseThrow().steps().get(0));
    }

    /** What the recorder stores for an error text: NUL and unpaired surrogates replaced with U+FFFD. */
    static String storable(String text) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                sb.append(c).append(text.charAt(++i));
            } else {
                sb.append(c == 0 || Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return sb.toString();
    }

    protected void executionCases(List<Case> cases) {
        ExecutionRecorder rec = acme.executions();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("execution provider " + tag, () -> rec.start(ExecutionSpec.text(h, "m")), r -> rec.require(((ExecutionHandle) r).id()).provider(), h));
            cases.add(Case.of("execution model " + tag, () -> rec.create(ExecutionSpec.text("p", h)), r -> rec.require(((Execution) r).id()).model(), h));
            cases.add(Case.of("execution agent " + tag, () -> rec.create(spec().agent(h)), r -> rec.require(((Execution) r).id()).agent(), h));
            cases.add(Case.of("execution metadata " + tag, () -> rec.create(spec().metadata(Map.of("k", h))),
                    r -> rec.require(((Execution) r).id()).metadata().get("k"), h));
            cases.add(Case.after("providerResponseId " + tag, () -> rec.start(spec()), e -> {
                e.providerResponseId(h);
                return e;
            }, r -> rec.require(((ExecutionHandle) r).id()).providerResponseId(), h));
            // Error texts often come from exception messages, so they are made storable rather than rejected.
            cases.add(Case.after("execution fail error " + tag, () -> rec.start(spec()), e -> e.fail(h),
                    r -> rec.require(((Execution) r).id()).error(), storable(h)));
            cases.add(Case.after("reply content " + tag, () -> started(rec), t -> t.exec().reply(t.step(), h),
                    r -> store.message(((Message) r).id()).orElseThrow().content(), h));
            cases.add(Case.after("step finish content " + tag, () -> started(rec), t -> {
                t.step().finish(h, FinishReason.STOP);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::content), h));
            cases.add(Case.after("step reasoning " + tag, () -> started(rec), t -> {
                t.step().finish("c", h, FinishReason.STOP, Usage.NONE);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::reasoning), h));
            cases.add(Case.after("step fail error " + tag, () -> started(rec), t -> {
                t.step().fail(h);
                return t;
            }, r -> treeStep(r, dev.atlas.execution.ExecutionStep::error), storable(h)));
            cases.add(Case.after("tool call name " + tag, () -> started(rec), t -> {
                t.step().toolCall("c", h, "{}");
                return t;
            }, r -> firstToolCall(r).name(), h));
            cases.add(Case.after("tool call providerCallId " + tag, () -> started(rec), t -> {
                t.step().toolCall(h, "n", "{}");
                return t;
            }, r -> firstToolCall(r).providerCallId(), h));
            cases.add(Case.after("tool result " + tag, () -> running(rec), t -> {
                t.call().complete(h);
                return t.exec();
            }, r -> firstToolCall(r).result(), h));
            cases.add(Case.after("tool error " + tag, () -> running(rec), t -> {
                t.call().fail(h);
                return t.exec();
            }, r -> firstToolCall(r).error(), storable(h)));
            cases.add(Case.after("tool thread agent " + tag, () -> running(rec),
                    t -> t.call().thread(Owner.user("1"), h), r -> store.require(((Conversation) r).id()).agent(), h));
            cases.add(Case.after("tool thread owner " + tag, () -> running(rec),
                    t -> t.call().thread(Owner.of("user", h), "a"), r -> store.require(((Conversation) r).id()).owner().id(), h));
        }
        for (String h : List.of(TEN_MB, "a\u0000b", "\uD800")) {
            cases.add(Case.after("reply content " + tag(h), () -> started(rec), t -> t.exec().reply(t.step(), NewMessage.assistant(h)), r -> null, null));
            cases.add(Case.after("tool result " + tag(h), () -> running(rec), t -> {
                t.call().complete(h);
                return t;
            }, r -> null, null));
        }
        for (String json : HOSTILE_JSON) {
            cases.add(Case.after("tool arguments " + tag(json), () -> started(rec), t -> {
                t.step().toolCall("c", "n", json);
                return t;
            }, r -> firstToolCall(r).arguments(), json));
        }
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("execution spec metadata " + tag(m), () -> rec.create(spec().metadata(m)), r -> null, null));
            cases.add(Case.after("execution handle metadata " + tag(m), () -> rec.start(spec()), e -> {
                e.metadata(m);
                return e;
            }, r -> null, null));
        }
        for (long n : HOSTILE_LONGS) {
            cases.add(Case.reject("usage input tokens " + n, () -> Usage.of(n, 1)));
            cases.add(Case.reject("usage output tokens " + n, () -> Usage.of(1, n)));
            cases.add(Case.reject("usage reasoning tokens " + n, () -> Usage.of(1, 1).reasoning(n)));
            cases.add(Case.reject("usage cached tokens " + n, () -> Usage.of(1, 1).cached(n)));
            cases.add(Case.reject("usage cache-write tokens " + n, () -> Usage.of(1, 1).cacheWrite(n)));
        }
        // The most expensive usage at the most expensive price overflows the cost column: stored with an unknown cost.
        cases.add(Case.after("usage at the limits", () -> {
            acme.prices().set(new ModelPrice("dear", "max", dev.atlas.Limits.MAX_PRICE_PER_MILLION,
                    dev.atlas.Limits.MAX_PRICE_PER_MILLION, null, null, Instant.EPOCH));
            return rec.start(ExecutionSpec.text("dear", "max"));
        }, e -> {
            long max = dev.atlas.Limits.MAX_TOKEN_COUNT;
            e.usage(new Usage(max, max, max, max, max));
            return e.complete();
        }, r -> rec.require(((Execution) r).id()).usage().inputTokens(), dev.atlas.Limits.MAX_TOKEN_COUNT));
        cases.add(Case.of("usage report after the overflow", () -> rec.usageReport(UsageGroup.MODEL, Instant.EPOCH, Instant.now().plusSeconds(60)),
                r -> null, null));
        cases.add(Case.rejectAfter("null usage", () -> rec.start(spec()), e -> {
            e.usage(null);
            return null;
        }));
        cases.add(Case.rejectAfter("null finish reason", () -> started(rec), t -> {
            t.step().finish("c", null);
            return null;
        }));
        cases.add(Case.rejectAfter("reply without a conversation", () -> {
            ExecutionHandle e = rec.start(ExecutionSpec.text("p", "m"));
            return new Running(e, e.step(), null);
        }, t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("tool thread without a conversation",
                () -> rec.start(ExecutionSpec.text("p", "m")).step().toolCall("c", "n", "{}"), t -> t.thread(Owner.user("1"), "a")));
        cases.add(Case.rejectAfter("reply with a null step", () -> rec.start(spec()), e -> e.reply(null, "x")));
        cases.add(Case.rejectAfter("reply with a null message", () -> started(rec), t -> t.exec().reply(t.step(), (NewMessage) null)));
        cases.add(Case.rejectAfter("reply linked to a step of another execution", () -> new Running(rec.start(spec()), started(rec).step(), null),
                t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("reply linked to a step of another tenant", () -> {
            ExecutionHandle theirs = other.executions().start(ExecutionSpec.text("p", "m"));
            return new Running(rec.start(spec()), theirs.step(), null);
        }, t -> t.exec().reply(t.step(), "x")));
        cases.add(Case.rejectAfter("tool call with a null call", () -> started(rec), t -> t.step().toolCall(null)));
        cases.add(Case.reject("record with a null spec", () -> rec.record(null, e -> 1)));
        cases.add(Case.reject("record with a null body", () -> rec.record(spec(), null)));
        cases.add(Case.reject("recordAsync with a null spec", () -> rec.recordAsync(null, e -> java.util.concurrent.CompletableFuture.completedFuture(1))));
        cases.add(Case.reject("recordAsync with a null body", () -> rec.recordAsync(spec(), null)));
        cases.add(Case.reject("start with a null spec", () -> rec.start(null)));
        cases.add(Case.reject("create with a null spec", () -> rec.create(null)));
        cases.add(Case.after("record a body that returns null", () -> null, x -> rec.record(spec(), e -> null), r -> null, null));
        cases.add(Case.reject("execution on another tenant's conversation", () -> rec.create(ExecutionSpec.text("p", "m").conversation(foreignConvo.id()))));
        cases.add(Case.reject("execution on an unknown conversation", () -> rec.start(ExecutionSpec.text("p", "m").conversation(UUID.randomUUID()))));
        cases.add(Case.reject("execution on another tenant's revision", () -> rec.create(spec().assistantRevision(foreignRevision.id()))));
        cases.add(Case.reject("execution on an unknown revision", () -> rec.create(spec().assistantRevision(UUID.randomUUID()))));
        for (UUID id : List.of(foreignExecution.id(), UUID.randomUUID())) {
            String who = id.equals(foreignExecution.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("queue " + who + " execution", () -> rec.queue(id)));
            cases.add(Case.reject("resume " + who + " execution", () -> rec.resume(id)));
            cases.add(Case.reject("cancel " + who + " execution", () -> rec.cancel(id)));
        }
        cases.add(Case.rejectAfter("illegal transition completed → processing", () -> rec.start(spec()).complete(), e -> rec.resume(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → queued", () -> rec.start(spec()).complete(), e -> rec.queue(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → cancelled", () -> rec.start(spec()).complete(), e -> rec.cancel(e.id())));
        cases.add(Case.rejectAfter("illegal transition processing → queued", () -> rec.start(spec()), e -> rec.queue(e.id())));
        cases.add(Case.rejectAfter("illegal transition completed → completed", () -> {
            ExecutionHandle e = rec.start(spec());
            e.complete();
            return e;
        }, ExecutionHandle::complete));
        cases.add(Case.rejectAfter("illegal transition failed → completed", () -> {
            ExecutionHandle e = rec.start(spec());
            e.fail("boom");
            return e;
        }, ExecutionHandle::complete));
        cases.add(Case.rejectAfter("a step after completion", () -> {
            ExecutionHandle e = rec.start(spec());
            e.complete();
            return e;
        }, ExecutionHandle::step));
        cases.add(Case.rejectAfter("step finished twice", () -> {
            StepHandle s = rec.start(spec()).step();
            s.finish("a", FinishReason.STOP);
            return s;
        }, s -> {
            s.finish("b", FinishReason.STOP);
            return null;
        }));
        cases.add(Case.rejectAfter("tool call completed twice", () -> {
            StepHandle.ToolCallHandle t = rec.start(spec()).step().toolCall("c", "n", "{}");
            t.complete("r");
            return t;
        }, t -> {
            t.complete("again");
            return null;
        }));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.of("sweepInterrupted " + d, () -> rec.sweepInterrupted(d), r -> null, null));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.of("usageReport from " + i, () -> rec.usageReport(UsageGroup.DAY, i, Instant.now()), r -> null, null));
        }
        cases.add(Case.reject("usageReport to before from", () -> rec.usageReport(UsageGroup.DAY, Instant.now(), Instant.EPOCH)));
        cases.add(Case.reject("usageReport null group", () -> rec.usageReport(null, Instant.EPOCH, Instant.now())));
    }

    /** A running execution with a running step and possibly a running tool call. */
    private record Running(ExecutionHandle exec, StepHandle step, StepHandle.ToolCallHandle call) {}

    private Running started(ExecutionRecorder rec) {
        ExecutionHandle e = rec.start(spec());
        return new Running(e, e.step(), null);
    }

    private Running running(ExecutionRecorder rec) {
        ExecutionHandle e = rec.start(spec());
        StepHandle s = e.step();
        return new Running(e, s, s.toolCall("c", "n", "{}"));
    }

    private dev.atlas.execution.ToolCall firstToolCall(Object execution) {
        UUID id = execution instanceof ExecutionHandle h ? h.id() : ((Running) execution).exec().id();
        return acme.executions().tree(id).orElseThrow().toolCalls().get(0);
    }

    // ---- prices ---------------------------------------------------------------------------

    protected void priceCases(List<Case> cases) {
        PriceStore prices = acme.prices();
        for (String h : HOSTILE_SHORT) {
            cases.add(Case.of("price provider " + tag(h), () -> prices.set(ModelPrice.of(h, "m", "1", "2", Instant.EPOCH)),
                    r -> prices.history(h, "m").get(0).provider(), h));
            cases.add(Case.of("price model " + tag(h), () -> prices.set(ModelPrice.of("p", h, "1", "2", Instant.EPOCH)),
                    r -> prices.history("p", h).get(0).model(), h));
        }
        for (String d : List.of("-0.000001", "1000000.000001", "0.0000001", "1e400", "NaN", "", "1'; DROP TABLE x; --", "-1",
                "99999999999999999999999999")) {
            cases.add(Case.reject("input price " + d, () -> prices.set(ModelPrice.of("p", "price-" + d.hashCode(), d, "1", Instant.EPOCH))));
            cases.add(Case.reject("output price " + d, () -> prices.set(ModelPrice.of("p", "price-" + d.hashCode(), "1", d, Instant.EPOCH))));
            cases.add(Case.reject("cached price " + d, () -> prices.set(ModelPrice.of("p", "price-" + d.hashCode(), "1", "1", Instant.EPOCH).cached(d))));
            cases.add(Case.reject("cache-write price " + d, () -> prices.set(ModelPrice.of("p", "price-" + d.hashCode(), "1", "1", Instant.EPOCH).cacheWrite(d))));
        }
        cases.add(Case.of("price at the limit", () -> prices.set(ModelPrice.of("p", "max", "1000000", "0.000001", Instant.EPOCH)),
                r -> prices.history("p", "max").get(0).inputPerMillion().toPlainString() + "/" + prices.history("p", "max").get(0).outputPerMillion().toPlainString(),
                "1000000/0.000001"));
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.of("price validFrom " + i, () -> prices.set(ModelPrice.of("p", "valid-" + i.getEpochSecond(), "1", "1", i)),
                    r -> prices.history("p", "valid-" + i.getEpochSecond()).get(0).validFrom(), i));
        }
        cases.add(Case.rejectAfter("duplicate price", () -> prices.set(ModelPrice.of("p", "dup", "1", "1", Instant.EPOCH)),
                p -> prices.set(ModelPrice.of("p", "dup", "3", "3", Instant.EPOCH))));
        cases.add(Case.reject("null price", () -> prices.set(null)));
    }

    // ---- assets ---------------------------------------------------------------------------

    private String bytes(UUID asset) {
        try (InputStream in = acme.assets().open(asset)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected void assetCases(List<Case> cases) {
        AssetStore assets = acme.assets();
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("asset filename " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, h, null), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().filename(), h));
            cases.add(Case.of("asset mimeType " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().mimeType(), h));
            cases.add(Case.of("asset agent " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", null).agent(h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().agent(), h));
            cases.add(Case.of("asset description " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", null).description(h), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().description(), h));
            cases.add(Case.of("asset owner " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", null).owner(Owner.of(h, "1")), png),
                    r -> assets.get(((Asset) r).id()).orElseThrow().owner().type(), h));
            cases.add(Case.of("asset content " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), h.getBytes(StandardCharsets.UTF_8)),
                    r -> bytes(((Asset) r).id()), new String(h.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)));
            cases.add(Case.after("attachment metadata " + tag, () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), png),
                    a -> assets.attach(queued.id(), a.id(), Map.of("k", h)), r -> assets.forMessage(queued.id()).stream()
                            .filter(x -> x.asset().id().equals(((dev.atlas.asset.AttachedAsset) r).asset().id())).findFirst().orElseThrow()
                            .attachmentMetadata().get("k"), h));
        }
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("asset metadata " + tag(m), () -> assets.store(NewAsset.of(AssetType.FILE, "f", null).metadata(m), png), r -> null, null));
            cases.add(Case.after("attachment metadata " + tag(m), () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), png),
                    a -> assets.attach(queued.id(), a.id(), m), r -> null, null));
        }
        cases.add(Case.reject("asset of another tenant's execution",
                () -> assets.store(NewAsset.of(AssetType.IMAGE, "f", null).execution(foreignExecution.id(), null), png)));
        cases.add(Case.reject("asset of an unknown execution",
                () -> assets.store(NewAsset.of(AssetType.IMAGE, "f", null).execution(UUID.randomUUID(), null), png)));
        cases.add(Case.rejectAfter("asset with a tool call of another execution", () -> acme.executions().start(spec()),
                e -> assets.store(NewAsset.of(AssetType.IMAGE, "f", null).execution(e.id(),
                        other.executions().tree(foreignExecution.id()).orElseThrow().toolCalls().get(0).id()), png)));
        cases.add(Case.reject("asset from a failing stream", () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("disk on fire");
            }
        })));
        cases.add(Case.reject("asset from a null stream", () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), (InputStream) null)));
        cases.add(Case.reject("asset from null bytes", () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), (byte[]) null)));
        cases.add(Case.reject("null asset", () -> assets.store(null, new ByteArrayInputStream(png))));
        cases.add(Case.reject("attach another tenant's asset", () -> assets.attach(queued.id(), foreignAsset.id(), Map.of())));
        cases.add(Case.rejectAfter("attach to another tenant's message", () -> assets.store(NewAsset.of(AssetType.FILE, "f", null), png),
                a -> assets.attach(foreignMessage.id(), a.id(), Map.of())));
        cases.add(Case.reject("attach an unknown asset", () -> assets.attach(queued.id(), UUID.randomUUID(), Map.of())));
        cases.add(Case.reject("delete another tenant's asset", () -> {
            assets.delete(foreignAsset.id());
            return null;
        }));
        cases.add(Case.reject("delete an unknown asset", () -> {
            assets.delete(UUID.randomUUID());
            return null;
        }));
        cases.add(Case.reject("open another tenant's asset", () -> assets.open(foreignAsset.id())));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.of("cleanupOrphanBlobs " + d, () -> assets.cleanupOrphanBlobs(d), r -> null, null));
        }
    }

    // ---- voice calls ----------------------------------------------------------------------

    protected void voiceCases(List<Case> cases) {
        VoiceCallStore calls = acme.voiceCalls();
        Supplier<VoiceCall> active = () -> calls.start(NewVoiceCall.of("rt", "openai", "gpt-realtime").conversation(convo.id()));
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("voice sessionId " + tag, () -> calls.start(NewVoiceCall.of(h, "p", "m")), r -> calls.get(((VoiceCall) r).id()).orElseThrow().sessionId(), h));
            cases.add(Case.of("voice provider " + tag, () -> calls.start(NewVoiceCall.of("s", h, "m")), r -> calls.get(((VoiceCall) r).id()).orElseThrow().provider(), h));
            cases.add(Case.of("voice model " + tag, () -> calls.start(NewVoiceCall.of("s", "p", h)), r -> calls.get(((VoiceCall) r).id()).orElseThrow().model(), h));
            cases.add(Case.of("voice agent " + tag, () -> calls.start(NewVoiceCall.of("s", "p", "m").agent(h)), r -> calls.get(((VoiceCall) r).id()).orElseThrow().agent(), h));
            cases.add(Case.of("voice owner " + tag, () -> calls.start(NewVoiceCall.of("s", "p", "m").owner(Owner.of("user", h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().owner().id(), h));
            cases.add(Case.after("voice checkpoint turn " + tag, active, c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user(h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().transcript().get(0).content(), h));
            cases.add(Case.after("voice complete turn " + tag, active, c -> calls.complete(c.id(), List.of(VoiceTurn.assistant(h))),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().transcript().get(0).content(), h));
            cases.add(Case.after("voice summary " + tag, active, c -> calls.summarize(c.id(), h),
                    r -> calls.get(((VoiceCall) r).id()).orElseThrow().summary(), h));
        }
        cases.add(Case.after("voice checkpoint turn " + tag(TEN_MB), active, c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user(TEN_MB))), r -> null, null));
        cases.add(Case.after("voice checkpoint of 40 turns of 1 MB", active,
                c -> calls.checkpoint(c.id(), Collections.nCopies(40, VoiceTurn.user("z".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH)))), r -> null, null));
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("voice metadata " + tag(m), () -> calls.start(NewVoiceCall.of("s", "p", "m").metadata(m)), r -> null, null));
        }
        cases.add(Case.reject("voice turn of a tool", () -> new VoiceTurn(Role.TOOL, "x")));
        cases.add(Case.rejectAfter("voice checkpoint with a null turn", active, c -> calls.checkpoint(c.id(), Arrays.asList(VoiceTurn.user("a"), null))));
        cases.add(Case.rejectAfter("voice checkpoint with a null transcript", active, c -> calls.checkpoint(c.id(), null)));
        cases.add(Case.reject("voice call on another tenant's conversation", () -> calls.start(NewVoiceCall.of("s", "p", "m").conversation(foreignConvo.id()))));
        cases.add(Case.reject("voice call on an unknown conversation", () -> calls.start(NewVoiceCall.of("s", "p", "m").conversation(UUID.randomUUID()))));
        cases.add(Case.reject("voice call on another tenant's execution", () -> calls.start(NewVoiceCall.of("s", "p", "m").execution(foreignExecution.id()))));
        for (UUID id : List.of(foreignCall.id(), UUID.randomUUID())) {
            String who = id.equals(foreignCall.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("checkpoint " + who + " call", () -> calls.checkpoint(id, List.of())));
            cases.add(Case.reject("complete " + who + " call", () -> calls.complete(id, List.of())));
            cases.add(Case.reject("fail " + who + " call", () -> calls.fail(id)));
            cases.add(Case.reject("summarize " + who + " call", () -> calls.summarize(id, "s")));
        }
        cases.add(Case.rejectAfter("illegal transition completed → active (checkpoint)", () -> calls.complete(active.get().id(), List.of()),
                c -> calls.checkpoint(c.id(), List.of(VoiceTurn.user("late")))));
        cases.add(Case.rejectAfter("illegal transition completed → completed", () -> calls.complete(active.get().id(), List.of()),
                c -> calls.complete(c.id(), List.of())));
        cases.add(Case.rejectAfter("illegal transition failed → failed", () -> calls.fail(active.get().id()), c -> calls.fail(c.id())));
        cases.add(Case.rejectAfter("illegal transition failed → completed", () -> calls.fail(active.get().id()), c -> calls.complete(c.id(), List.of())));
        for (Duration d : HOSTILE_DURATIONS) {
            cases.add(Case.of("completeStale " + d, () -> calls.completeStale(d), r -> null, null));
        }
    }

    // ---- assistants -----------------------------------------------------------------------

    protected void assistantCases(List<Case> cases) {
        AssistantStore assistants = acme.assistants();
        int[] slug = {0};
        Supplier<String> next = () -> "s" + (slug[0]++);
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("assistant slug " + tag, () -> assistants.create(AssistantSpec.of(h, "n")), r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().slug(), h));
            cases.add(Case.of("assistant name " + tag, () -> assistants.create(AssistantSpec.of(next.get(), h)), r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().name(), h));
            cases.add(Case.of("assistant description " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n").description(h)),
                    r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().description(), h));
            cases.add(Case.of("assistant defaultModel " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n").defaultModel(h)),
                    r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().defaultModel(), h));
            cases.add(Case.of("assistant tool " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(List.of(h))),
                    r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().tools().get(0), h));
            cases.add(Case.after("assistant update name " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.update(a.id(), AssistantSpec.of(a.slug(), h)), r -> assistants.get(((dev.atlas.Assistant) r).id()).orElseThrow().name(), h));
            cases.add(Case.after("revision prompt " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of(h, Map.of())), r -> assistants.revision(((AssistantRevision) r).id()).orElseThrow().systemPrompt(), h));
            cases.add(Case.after("revision label " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of()).label(h)), r -> assistants.revision(((AssistantRevision) r).id()).orElseThrow().label(), h));
            cases.add(Case.after("revision author " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of()).author(Owner.of(h, "1"))),
                    r -> assistants.revision(((AssistantRevision) r).id()).orElseThrow().author().type(), h));
            cases.add(Case.after("revision settings " + tag, () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", Map.of("k", h))), r -> assistants.revision(((AssistantRevision) r).id()).orElseThrow().settings().get("k"), h));
        }
        cases.add(Case.after("revision prompt " + tag(TEN_MB), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                a -> assistants.publish(a.id(), NewRevision.of(TEN_MB, Map.of())), r -> null, null));
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("assistant metadata " + tag(m), () -> assistants.create(AssistantSpec.of(next.get(), "n").metadata(m)), r -> null, null));
            cases.add(Case.after("revision settings " + tag(m), () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                    a -> assistants.publish(a.id(), NewRevision.of("p", m)), r -> null, null));
        }
        for (String t : List.of("-0.01", "2.01", "0.001", "1e400", "-1e-400", "99999999999999999999")) {
            BigDecimal d = new BigDecimal(t);
            cases.add(Case.reject("temperature " + t, () -> assistants.create(AssistantSpec.of(next.get(), "n").temperature(d))));
            cases.add(Case.reject("topP " + t, () -> assistants.create(AssistantSpec.of(next.get(), "n").topP(d))));
        }
        for (int n : HOSTILE_INTS) {
            cases.add(Case.reject("maxOutputTokens " + n, () -> assistants.create(AssistantSpec.of(next.get(), "n").maxOutputTokens(n))));
        }
        cases.add(Case.reject("tools listed twice", () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(List.of("a", "a")))));
        cases.add(Case.reject("tools with null", () -> assistants.create(AssistantSpec.of(next.get(), "n").tools(Arrays.asList("a", null)))));
        cases.add(Case.reject("too many tools", () -> assistants.create(AssistantSpec.of(next.get(), "n")
                .tools(Stream.iterate(0, i -> i + 1).limit(AssistantSpec.MAX_TOOLS + 1).map(i -> "t" + i).toList()))));
        cases.add(Case.rejectAfter("duplicate slug", () -> assistants.create(AssistantSpec.of("dup-slug", "n")),
                a -> assistants.create(AssistantSpec.of("dup-slug", "m"))));
        cases.add(Case.rejectAfter("update to a taken slug", () -> {
            assistants.create(AssistantSpec.of("taken", "n"));
            return assistants.create(AssistantSpec.of(next.get(), "n"));
        }, a -> assistants.update(a.id(), AssistantSpec.of("taken", "n"))));
        for (UUID id : List.of(foreignAssistant, UUID.randomUUID())) {
            String who = id.equals(foreignAssistant) ? "another tenant's" : "unknown";
            cases.add(Case.reject("update " + who + " assistant", () -> assistants.update(id, AssistantSpec.of("bot", "hijack"))));
            cases.add(Case.reject("delete " + who + " assistant", () -> {
                assistants.delete(id);
                return null;
            }));
            cases.add(Case.reject("publish to " + who + " assistant", () -> assistants.publish(id, NewRevision.of("hijack", Map.of()))));
            cases.add(Case.reject("rollback " + who + " assistant", () -> assistants.rollback(id, 1, Owner.user("1"))));
        }
        for (int n : HOSTILE_INTS) {
            cases.add(Case.rejectAfter("rollback to revision " + n, () -> {
                dev.atlas.Assistant a = assistants.create(AssistantSpec.of(next.get(), "n"));
                assistants.publish(a.id(), NewRevision.of("p", Map.of()));
                return a;
            }, a -> assistants.rollback(a.id(), n, Owner.user("1"))));
        }
        cases.add(Case.rejectAfter("rollback to another tenant's revision", () -> {
            dev.atlas.Assistant a = assistants.create(AssistantSpec.of(next.get(), "n"));
            assistants.publish(a.id(), NewRevision.of("p", Map.of()));
            return a;
        }, a -> assistants.rollback(a.id(), foreignRevision.id(), Owner.user("1"))));
        cases.add(Case.rejectAfter("rollback with no revision", () -> assistants.create(AssistantSpec.of(next.get(), "n")),
                a -> assistants.rollback(a.id(), 1, Owner.user("1"))));
        cases.add(Case.reject("assistant list limit 0", () -> assistants.list(0, null)));
        cases.add(Case.reject("assistant list hostile cursor", () -> assistants.list(10, "'; DROP TABLE atlas_assistants; --")));
    }

    // ---- credentials ----------------------------------------------------------------------

    protected void credentialCases(List<Case> cases) {
        CredentialStore creds = acme.credentials();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("credential name " + tag, () -> creds.put(Owner.user("1"), h, "s"), r -> creds.get(Owner.user("1"), h).orElseThrow().reveal(), "s"));
            cases.add(Case.of("credential owner " + tag, () -> creds.put(Owner.of("user", h), "n", "s"), r -> creds.list(Owner.of("user", h)).get(0).owner().id(), h));
            cases.add(Case.of("credential secret " + tag, () -> creds.put(Owner.user("1"), "n", h), r -> creds.get(Owner.user("1"), "n").orElseThrow().reveal(), h));
            cases.add(Case.of("credential delete name " + tag, () -> creds.delete(Owner.user("1"), h), r -> null, null));
        }
        cases.add(Case.reject("credential secret " + tag(TEN_MB), () -> creds.put(Owner.user("1"), "n", TEN_MB)));
        cases.add(Case.of("credential secret at the limit", () -> creds.put(Owner.user("1"), "n", "s".repeat(CredentialStore.MAX_SECRET_LENGTH)),
                r -> creds.get(Owner.user("1"), "n").orElseThrow().reveal().length(), CredentialStore.MAX_SECRET_LENGTH));
        cases.add(Case.reject("credential secret over the limit", () -> creds.put(Owner.user("1"), "n", "s".repeat(CredentialStore.MAX_SECRET_LENGTH + 1))));
        cases.add(Case.reject("credential null owner", () -> creds.put(null, "n", "s")));
        cases.add(Case.reject("credential null secret", () -> creds.put(Owner.user("1"), "n", null)));
        cases.add(Case.reject("credential null name", () -> creds.put(Owner.user("1"), null, "s")));
        cases.add(Case.of("delete another tenant's credential", () -> creds.delete(Owner.user("1"), "openai"), r -> r, false));
        cases.add(Case.of("reEncrypt", creds::reEncrypt, r -> r, 0));
    }

    // ---- tasks ----------------------------------------------------------------------------

    protected void taskCases(List<Case> cases) {
        TaskStore tasks = acme.tasks();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("task kind " + tag, () -> tasks.enqueue(NewTask.of(h, Map.of())), r -> tasks.get(((Task) r).id()).orElseThrow().kind(), h));
            cases.add(Case.of("task payload " + tag, () -> tasks.enqueue(NewTask.of("k", Map.of("k", h))), r -> tasks.get(((Task) r).id()).orElseThrow().payload().get("k"), h));
            cases.add(Case.of("task owner " + tag, () -> tasks.enqueue(NewTask.of("k", Map.of()).owner(Owner.of("user", h))),
                    r -> tasks.get(((Task) r).id()).orElseThrow().owner().id(), h));
            cases.add(Case.after("task result " + tag, () -> claimFresh("result-" + h.hashCode()), c -> tasks.complete(c, Map.of("k", h)),
                    r -> tasks.get(((Task) r).id()).orElseThrow().result().get("k"), h));
            cases.add(Case.after("task error " + tag, () -> claimFresh("error-" + h.hashCode()), c -> tasks.fail(c, h),
                    r -> tasks.get(((Task) r).id()).orElseThrow().error(), h));
            cases.add(Case.of("claim kinds " + tag, () -> tasks.claim(Duration.ofSeconds(30), Set.of(h)), r -> null, null));
        }
        cases.add(Case.after("task error " + tag(TEN_MB), () -> claimFresh("error-big"), c -> tasks.fail(c, TEN_MB), r -> null, null));
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("task payload " + tag(m), () -> tasks.enqueue(NewTask.of("k", m)), r -> null, null));
            cases.add(Case.after("task result " + tag(m), () -> claimFresh("result-" + m.hashCode()), c -> tasks.complete(c, m), r -> null, null));
        }
        for (int n : HOSTILE_INTS) {
            cases.add(Case.reject("task maxAttempts " + n, () -> tasks.enqueue(NewTask.of("k", Map.of()).maxAttempts(n))));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            cases.add(Case.of("task runAfter " + i, () -> tasks.enqueue(NewTask.of("later", Map.of()).runAfter(i)),
                    r -> tasks.get(((Task) r).id()).orElseThrow().runAfter(), i));
            cases.add(Case.after("task retryAt " + i, () -> claimFresh("retry-" + i.getEpochSecond()), c -> tasks.fail(c, "e", i), r -> null, null));
        }
        for (Duration d : new Duration[] {Duration.ZERO, Duration.ofSeconds(-1), TaskStore.MAX_LEASE.plusNanos(1000), Duration.ofSeconds(Long.MAX_VALUE), null}) {
            cases.add(Case.reject("claim lease " + d, () -> tasks.claim(d)));
        }
        cases.add(Case.reject("claim null kinds", () -> tasks.claim(Duration.ofSeconds(30), null)));
        cases.add(Case.reject("claim kinds with null", () -> tasks.claim(Duration.ofSeconds(30), Collections.singleton(null))));
        cases.add(Case.reject("enqueueAll with null", () -> tasks.enqueueAll(Arrays.asList(NewTask.of("k", Map.of()), null))));
        cases.add(Case.reject("enqueueAll over the page size", () -> tasks.enqueueAll(Collections.nCopies(dev.atlas.Limits.MAX_PAGE_SIZE + 1, NewTask.of("k", Map.of())))));
        cases.add(Case.of("enqueueAll null", () -> tasks.enqueueAll(null), r -> r, List.of()));
        cases.add(Case.of("task for another tenant's conversation id", () -> tasks.enqueue(NewTask.of("k", Map.of()).forConversation(foreignConvo.id())),
                r -> tasks.get(((Task) r).id()).orElseThrow().conversationId(), foreignConvo.id()));
        for (UUID id : List.of(foreignTask.id(), UUID.randomUUID())) {
            String who = id.equals(foreignTask.id()) ? "another tenant's" : "unknown";
            cases.add(Case.reject("cancel " + who + " task", () -> tasks.cancel(id)));
        }
        cases.add(Case.rejectAfter("illegal transition completed → cancelled", () -> tasks.complete(claimFresh("done"), Map.of()), t -> tasks.cancel(t.id())));
        cases.add(Case.rejectAfter("illegal transition completed → running (complete again)", () -> {
            ClaimedTask c = claimFresh("twice");
            tasks.complete(c, Map.of());
            return c;
        }, c -> tasks.complete(c, Map.of())));
        cases.add(Case.rejectAfter("illegal transition completed → running (heartbeat)", () -> {
            ClaimedTask c = claimFresh("beat");
            tasks.complete(c, Map.of());
            return c;
        }, tasks::heartbeat));
        cases.add(Case.rejectAfter("illegal transition cancelled → failed", () -> {
            ClaimedTask c = claimFresh("cancelled");
            tasks.cancel(c.taskId());
            return c;
        }, c -> tasks.fail(c, "late")));
        cases.add(Case.rejectAfter("a forged claim id", () -> claimFresh("forged"),
                c -> tasks.complete(new ClaimedTask(c.task(), UUID.randomUUID(), c.leaseExpiresAt(), c.leaseDuration()), Map.of())));
        cases.add(Case.rejectAfter("another tenant's claim", () -> other.tasks().claim(Duration.ofSeconds(30)).orElseThrow(),
                c -> tasks.complete(c, Map.of("hijack", true))));
        cases.add(Case.rejectAfter("another tenant's claim heartbeat", () -> {
            other.tasks().enqueue(NewTask.of("theirs", Map.of()));
            return other.tasks().claim(Duration.ofSeconds(30), Set.of("theirs")).orElseThrow();
        }, tasks::heartbeat));
        cases.add(Case.reject("null claim", () -> tasks.complete(null, Map.of())));
        ClaimedTask empty = new ClaimedTask(null, null, null, null);
        cases.add(Case.reject("empty claim heartbeat", () -> tasks.heartbeat(empty)));
        cases.add(Case.reject("empty claim complete", () -> tasks.complete(empty, Map.of())));
        cases.add(Case.reject("empty claim fail", () -> tasks.fail(empty, "e")));
        cases.add(Case.rejectAfter("claim without a claim id", () -> claimFresh("no-claim-id"),
                c -> tasks.complete(new ClaimedTask(c.task(), null, c.leaseExpiresAt(), c.leaseDuration()), Map.of())));
        cases.add(Case.rejectAfter("claim with a null lease", () -> claimFresh("no-lease"),
                c -> tasks.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), null))));
        cases.add(Case.rejectAfter("claim with a huge lease", () -> claimFresh("huge-lease"),
                c -> tasks.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), Duration.ofSeconds(Long.MAX_VALUE)))));
    }

    private ClaimedTask claimFresh(String kind) {
        TaskStore tasks = acme.tasks();
        tasks.enqueue(NewTask.of(kind, Map.of()).maxAttempts(1));
        return tasks.claim(Duration.ofSeconds(60), Set.of(kind)).orElseThrow();
    }

    // ---- lookups and cursors: reads with hostile arguments fail typed too --------------------

    static final List<String> HOSTILE_CURSORS = List.of("garbage", "!!!", "%00", b64("1|2|3"), b64("\u0000"), b64("'; DROP TABLE atlas_conversations; --"),
            b64(UUID.randomUUID().toString() + "x"), "x".repeat(300));

    private static String b64(String s) {
        return java.util.Base64.getUrlEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    protected void lookupCases(List<Case> cases) {
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("findBySlug " + tag, () -> acme.assistants().findBySlug(h), r -> null, null));
            cases.add(Case.of("bySession " + tag, () -> acme.voiceCalls().bySession(h), r -> null, null));
            cases.add(Case.of("price at " + tag, () -> acme.prices().at(h, h, Instant.now()), r -> null, null));
            cases.add(Case.of("price history " + tag, () -> acme.prices().history(h, "m"), r -> null, null));
            cases.add(Case.of("credential get " + tag, () -> acme.credentials().get(Owner.user("1"), h), r -> null, null));
            cases.add(Case.of("credential list " + tag, () -> acme.credentials().list(Owner.of("user", h)), r -> null, null));
        }
        for (String cursor : HOSTILE_CURSORS) {
            String tag = tag(cursor);
            cases.add(Case.of("conversation cursor " + tag, () -> store.list(ConversationQuery.all().after(cursor)), r -> null, null));
            cases.add(Case.of("execution cursor " + tag, () -> acme.executions().list(dev.atlas.execution.ExecutionQuery.all().after(cursor)), r -> null, null));
            cases.add(Case.of("assistant cursor " + tag, () -> acme.assistants().list(10, cursor), r -> null, null));
        }
        cases.add(Case.of("price at Instant.MAX", () -> acme.prices().at("openai", "gpt-4o", Instant.MAX), r -> null, null));
        cases.add(Case.of("price at null", () -> acme.prices().at("openai", "gpt-4o", null), r -> null, null));
        cases.add(Case.of("historyWithTools limit -1", () -> acme.executions().historyWithTools(convo.id(), -1), r -> null, null));
        cases.add(Case.of("historyWithTools limit MAX", () -> acme.executions().historyWithTools(convo.id(), Integer.MAX_VALUE), r -> null, null));
        cases.add(Case.of("forConversation null", () -> acme.tasks().forConversation(null), r -> null, null));
        cases.add(Case.of("get null execution", () -> acme.executions().get(null), r -> null, null));
        cases.add(Case.of("open null asset", () -> acme.assets().open(null), r -> null, null));
    }

    // ---- memories ---------------------------------------------------------------------------

    protected void memoryCases(List<Case> cases) {
        MemoryStore memories = acme.memories();
        Owner user = Owner.user("1");
        Function<Object, Memory> back = r -> memories.get(((Memory) r).id()).orElseThrow();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("memory content " + tag, () -> memories.add(NewMemory.fact(user, h)), r -> back.apply(r).content(), h));
            cases.add(Case.of("memory owner " + tag, () -> memories.add(NewMemory.fact(Owner.of("user", h), "c")), r -> back.apply(r).owner().id(), h));
            cases.add(Case.of("memory agent " + tag, () -> memories.add(NewMemory.fact(user, "c").agent(h)), r -> back.apply(r).agent(), h));
            cases.add(Case.of("memory tag " + tag, () -> memories.add(NewMemory.fact(user, "c").tags(h)), r -> back.apply(r).tags(), List.of(h)));
            cases.add(Case.of("memory kind " + tag, () -> memories.add(NewMemory.of(user, MemoryKind.of(h), "c")), r -> back.apply(r).kind().value(), h));
            cases.add(Case.of("memory update content " + tag, () -> memories.update(memory.id(), MemoryPatch.content(h)),
                    r -> memories.require(memory.id()).content(), h));
            cases.add(Case.of("memory update tags " + tag, () -> memories.update(memory.id(), MemoryPatch.none().tags(h)),
                    r -> memories.require(memory.id()).tags(), List.of(h)));
            cases.add(Case.read("memory list tag " + tag, () -> memories.list(MemoryQuery.all().tag(h))));
            cases.add(Case.read("memory list agent " + tag, () -> memories.list(MemoryQuery.all().agentOnly(h))));
            cases.add(Case.read("memory list owner " + tag, () -> memories.list(MemoryQuery.forOwner(Owner.of(h, h)))));
        }
        cases.add(Case.reject("memory content " + tag(TEN_MB), () -> memories.add(NewMemory.fact(user, TEN_MB))));
        cases.add(Case.reject("memory update content " + tag(TEN_MB), () -> memories.update(memory.id(), MemoryPatch.content(TEN_MB))));
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("memory metadata " + tag(m), () -> memories.add(NewMemory.fact(user, "c").metadata(m)), r -> null, null));
            cases.add(Case.of("memory update metadata " + tag(m), () -> memories.update(memory.id(), MemoryPatch.none().metadata(m)), r -> null, null));
        }
        for (double d : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1, -0.0, 1.0000001, Double.MIN_VALUE, Double.MAX_VALUE}) {
            // The returned memory must equal the stored one (-0.0 is kept as 0.0 on both databases).
            cases.add(Case.of("memory importance " + d, () -> memories.add(NewMemory.fact(user, "c").importance(d)),
                    r -> ((Memory) r).importance() + "/" + back.apply(r).importance(), (d + 0.0) + "/" + (d + 0.0)));
            cases.add(Case.of("memory update importance " + d, () -> memories.update(memory.id(), MemoryPatch.none().importance(d)),
                    r -> memories.require(memory.id()).importance(), d + 0.0));
        }
        for (Instant i : HOSTILE_INSTANTS) {
            // A past expiry is accepted and makes the memory invisible at once.
            cases.add(Case.of("memory expiresAt " + i, () -> memories.add(NewMemory.fact(user, "c").expiresAt(i)), r -> null, null));
            cases.add(Case.after("memory update expiresAt " + i, () -> memories.add(NewMemory.fact(user, "expiring")),
                    m -> memories.update(m.id(), MemoryPatch.none().expiresAt(i)), r -> null, null));
        }
        cases.add(Case.reject("memory with 65 tags", () -> memories.add(NewMemory.fact(user, "c").tags(
                java.util.stream.IntStream.range(0, 65).mapToObj(i -> "t" + i).toList()))));
        cases.add(Case.reject("memory tags with null", () -> memories.add(NewMemory.fact(user, "c").tags("a", null))));
        cases.add(Case.reject("memory tag list with null", () -> memories.add(NewMemory.fact(user, "c").tags(Arrays.asList("a", null)))));
        cases.add(Case.reject("memory update tags with null", () -> memories.update(memory.id(), MemoryPatch.none().tags("a", null))));
        cases.add(Case.reject("memory null tags array", () -> memories.add(NewMemory.fact(user, "c").tags((String[]) null))));
        cases.add(Case.of("memory duplicate tags", () -> memories.add(NewMemory.fact(user, "c").tags("b", "a", "b")), r -> back.apply(r).tags(), List.of("a", "b")));
        cases.add(Case.reject("memory null owner", () -> memories.add(NewMemory.fact(null, "c"))));
        cases.add(Case.reject("memory null kind", () -> memories.add(NewMemory.of(user, null, "c"))));
        cases.add(Case.reject("memory null content", () -> memories.add(NewMemory.fact(user, null))));
        cases.add(Case.reject("memory null", () -> memories.add(null)));
        // Records built with their canonical constructors instead of the factories.
        cases.add(Case.of("memory record with null tags and metadata", () -> memories.add(new NewMemory(user, null, MemoryKind.FACT, "c", null, null,
                0.5, null, null, null, null)), r -> back.apply(r).tags() + " " + back.apply(r).metadata(), "[] {}"));
        cases.add(Case.reject("memory record with a null tag", () -> memories.add(new NewMemory(user, null, MemoryKind.FACT, "c",
                Arrays.asList("a", null), Map.of(), 0.5, null, null, null, null))));
        cases.add(Case.reject("memory patch record with a null tag", () -> memories.update(memory.id(), new MemoryPatch(null,
                Arrays.asList(null, "a"), null, null, null, false))));
        cases.add(Case.reject("memory patch record with NaN importance", () -> memories.update(memory.id(), new MemoryPatch(null, null, null,
                Double.NaN, null, false))));
        cases.add(Case.read("memory query record with a null cursor and owner", () -> memories.list(new MemoryQuery(null, null, false, null, null, 10, null))));
        cases.add(Case.reject("memory query record with limit 0", () -> memories.list(new MemoryQuery(null, null, false, null, null, 0, null))));
        cases.add(Case.reject("memory patch with expiry and clearExpiry", () -> memories.update(memory.id(),
                new MemoryPatch(null, null, null, null, Instant.now(), true))));
        cases.add(Case.reject("memory null patch", () -> memories.update(memory.id(), null)));
        cases.add(Case.reject("memory update null id", () -> memories.update(null, MemoryPatch.none())));
        cases.add(Case.reject("memory delete null id", () -> {
            memories.delete(null);
            return null;
        }));
        cases.add(Case.read("memory get null id", () -> memories.get(null)));
        cases.add(Case.of("memory empty patch", () -> memories.update(memory.id(), MemoryPatch.none()), r -> memories.require(memory.id()).id(), memory.id()));
        for (UUID id : List.of(foreignMemory.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMemory.id()) ? "another tenant's" : "an unknown";
            cases.add(Case.read("get " + who + " memory", () -> memories.get(id), r -> r, Optional.empty()));
            cases.add(Case.reject("update " + who + " memory", () -> memories.update(id, MemoryPatch.content("hijack"))));
            cases.add(Case.reject("delete " + who + " memory", () -> {
                memories.delete(id);
                return null;
            }));
            cases.add(Case.reject("revisions of " + who + " memory", () -> memories.revisions(id)));
        }
        cases.add(Case.rejectAfter("delete a deleted memory", () -> {
            Memory m = memories.add(NewMemory.fact(user, "gone"));
            memories.delete(m.id());
            return m;
        }, m -> {
            memories.delete(m.id());
            return null;
        }));
        cases.add(Case.rejectAfter("update a deleted memory", () -> {
            Memory m = memories.add(NewMemory.fact(user, "gone"));
            memories.delete(m.id());
            return m;
        }, m -> memories.update(m.id(), MemoryPatch.content("back"))));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, dev.atlas.Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.read("memory list limit " + n, () -> memories.list(MemoryQuery.all().limit(n))));
        }
        for (String cursor : HOSTILE_CURSORS) {
            cases.add(Case.read("memory cursor " + tag(cursor), () -> memories.list(MemoryQuery.all().after(cursor))));
        }
        cases.add(Case.read("memory forged cursor of another tenant's id",
                () -> memories.list(MemoryQuery.all().after(b64("m:" + foreignMemory.id()).replace("=", "")))));
    }

    // ---- memory graph -----------------------------------------------------------------------

    protected void graphCases(List<Case> cases) {
        MemoryGraph graph = acme.graph();
        for (String h : HOSTILE_SHORT) {
            String tag = tag(h);
            cases.add(Case.of("graph node key " + tag, () -> graph.upsertNode(NewGraphNode.of(h)), r -> graph.node(h).orElseThrow().key(), h));
            cases.add(Case.of("graph node label " + tag, () -> graph.upsertNode(NewGraphNode.of("labelled").label(h)),
                    r -> graph.node("labelled").orElseThrow().label(), h));
            cases.add(Case.of("graph node type " + tag, () -> graph.upsertNode(NewGraphNode.of("typed").type(h)),
                    r -> graph.node("typed").orElseThrow().type(), h));
            cases.add(Case.of("graph edge type " + tag, () -> graph.upsertEdge(NewGraphEdge.of("a", h, "b")),
                    r -> graph.neighbours("a", Direction.OUTGOING, h).get(0).edge().type(), h));
            cases.add(Case.of("graph edge to key " + tag, () -> graph.upsertEdge(NewGraphEdge.of("a", "rel", h)), r -> null, null));
            cases.add(Case.read("graph node lookup " + tag, () -> graph.node(h)));
            cases.add(Case.of("graph deleteNode " + tag, () -> graph.deleteNode(h), r -> null, null));
            cases.add(Case.of("graph deleteEdge " + tag, () -> graph.deleteEdge(h, h, h), r -> null, null));
            cases.add(Case.read("graph neighbours of " + tag, () -> graph.neighbours(h, Direction.BOTH, null)));
            cases.add(Case.read("graph neighbours by type " + tag, () -> graph.neighbours("a", Direction.BOTH, h)));
            cases.add(Case.read("graph traverse from " + tag, () -> graph.traverse(h, Direction.BOTH, null, 3, 10)));
            cases.add(Case.read("graph traverse by type " + tag, () -> graph.traverse("a", Direction.OUTGOING, h, 3, 10)));
        }
        cases.add(Case.reject("graph node label " + tag(TEN_MB), () -> graph.upsertNode(NewGraphNode.of("big").label(TEN_MB))));
        cases.add(Case.reject("graph node key " + tag(TEN_MB), () -> graph.upsertNode(NewGraphNode.of(TEN_MB))));
        for (Map<String, ?> m : HOSTILE_MAPS) {
            cases.add(Case.of("graph node metadata " + tag(m), () -> graph.upsertNode(NewGraphNode.of("meta").metadata(m)), r -> null, null));
            cases.add(Case.of("graph edge metadata " + tag(m), () -> graph.upsertEdge(NewGraphEdge.of("a", "meta", "b").metadata(m)), r -> null, null));
        }
        for (double w : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1, -0.0, Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE}) {
            cases.add(Case.of("graph edge weight " + w, () -> graph.upsertEdge(NewGraphEdge.of("a", "weighted", "b").weight(w)),
                    r -> graph.neighbours("a", Direction.OUTGOING, "weighted").get(0).edge().weight(), w + 0.0));
        }
        cases.add(Case.reject("graph edge from a missing node", () -> graph.upsertEdge(NewGraphEdge.of("missing", "rel", "b"))));
        cases.add(Case.reject("graph edge to another tenant's node", () -> graph.upsertEdge(NewGraphEdge.of("a", "rel", "theirs"))));
        cases.add(Case.reject("graph neighbours of another tenant's node", () -> graph.neighbours("theirs", Direction.BOTH, null)));
        cases.add(Case.reject("graph traverse from another tenant's node", () -> graph.traverse("theirs", Direction.BOTH, null, 3, 10)));
        cases.add(Case.of("graph deleteNode of another tenant's node", () -> graph.deleteNode("theirs"), r -> r, false));
        cases.add(Case.of("graph deleteEdge of another tenant's edge", () -> graph.deleteEdge("theirs", "knows", "theirs-too"), r -> r, false));
        cases.add(Case.read("graph node of another tenant", () -> graph.node("theirs"), r -> r, Optional.empty()));
        cases.add(Case.read("graph traversal stays in the tenant (globex has a node 'a' too)", () -> graph.traverse("a", Direction.BOTH, null, 10, 1000),
                r -> ((List<?>) r).stream().noneMatch(x -> ((dev.atlas.GraphReach) x).node().key().startsWith("theirs")), true));
        cases.add(Case.read("graph neighbours stay in the tenant", () -> graph.neighbours("a", Direction.BOTH, null),
                r -> ((List<?>) r).stream().noneMatch(x -> ((dev.atlas.GraphNeighbour) x).node().key().startsWith("theirs")), true));
        cases.add(Case.of("graph self loop", () -> graph.upsertEdge(NewGraphEdge.of("a", "self", "a")),
                r -> graph.traverse("a", Direction.BOTH, "self", 10, 10).size(), 0));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, dev.atlas.Limits.MAX_GRAPH_DEPTH + 1, Integer.MAX_VALUE}) {
            cases.add(Case.reject("graph traverse maxDepth " + n, () -> graph.traverse("a", Direction.BOTH, null, n, 10)));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, dev.atlas.Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.reject("graph traverse limit " + n, () -> graph.traverse("a", Direction.BOTH, null, 3, n)));
        }
        cases.add(Case.reject("graph neighbours null direction", () -> graph.neighbours("a", null, null)));
        cases.add(Case.reject("graph traverse null direction", () -> graph.traverse("a", null, null, 3, 10)));
        cases.add(Case.reject("graph null node", () -> graph.upsertNode(null)));
        cases.add(Case.reject("graph null edge", () -> graph.upsertEdge(null)));
        cases.add(Case.reject("graph null key", () -> graph.upsertNode(NewGraphNode.of(null))));
        cases.add(Case.reject("graph null edge type", () -> graph.upsertEdge(NewGraphEdge.of("a", null, "b"))));
        cases.add(Case.of("graph node record with null metadata", () -> graph.upsertNode(new NewGraphNode("plain-node", null, null, null)),
                r -> graph.node("plain-node").orElseThrow().metadata(), Map.of()));
        cases.add(Case.of("graph edge record with null metadata", () -> graph.upsertEdge(new NewGraphEdge("a", "plain", "b", 1, null)),
                r -> graph.neighbours("a", Direction.OUTGOING, "plain").get(0).edge().metadata(), Map.of()));
        cases.add(Case.reject("graph edge record with NaN weight", () -> graph.upsertEdge(new NewGraphEdge("a", "nan", "b", Double.NaN, Map.of()))));
    }

    // ---- search -----------------------------------------------------------------------------

    /** Strings that are query syntax in FTS5 or tsquery, or that break a naive query builder. */
    static final List<String> HOSTILE_QUERIES = List.of(
            "\"", "\"unbalanced", "plain\"", "''", "NEAR(", "NEAR(plain hostile, 2)", "*", "plain*", "^plain", "-plain", "plain OR x",
            "AND", "NOT plain", "plain AND (", "(", ")", "{plain}", "content:plain", "&|!:*<->", "plain & x", "plain <-> x", "plain:*",
            "'; DROP TABLE atlas_messages; --", "\\", "%", "_", "?", "a\u0000b", "\uD800", "x\uDC00y", "😀 𝄞", "\u202E\u200B\uFEFF",
            "x".repeat(dev.atlas.Limits.MAX_QUERY_LENGTH), "x".repeat(dev.atlas.Limits.MAX_QUERY_LENGTH + 1), "w ".repeat(500),
            "\uA66E".repeat(dev.atlas.Limits.MAX_QUERY_LENGTH), "", "   ",
            // Letters to Java that an FTS tokenizer may not know (newer scripts, titlecase, other digits, marks).
            "\uD83A\uDD00\uD83A\uDD01 plain", "\u01C5", "\u0663", "e\u0301", "\u00AA", "\u4E2D\u6587", "\u0130stanbul");

    protected void searchCases(List<Case> cases) {
        Search search = acme.search();
        for (String q : HOSTILE_QUERIES) {
            String tag = tag(q);
            cases.add(Case.read("text messages " + tag, () -> search.text(TextQuery.messages(q))));
            cases.add(Case.read("text memories " + tag, () -> search.text(TextQuery.memories(q))));
        }
        for (String q : List.of("plain\"", "plain*", "NEAR(plain hostile, 2)", "\"plain hostile", "plain:*", "content:plain")) {
            cases.add(Case.read("text query " + tag(q) + " finds the words", () -> search.text(TextQuery.messages(q)
                    .filter(SearchFilter.none().conversation(searchConvo.id()))), r -> ((List<?>) r).size(), 1));
        }
        cases.add(Case.read("text search never finds another tenant's message",
                () -> search.text(TextQuery.messages("theirs")), r -> ((List<?>) r).size(), 0));
        cases.add(Case.read("text search never finds another tenant's memory",
                () -> search.text(TextQuery.memories("theirs")), r -> ((List<?>) r).size(), 0));
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, dev.atlas.Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            cases.add(Case.reject("text limit " + n, () -> search.text(TextQuery.messages("plain").limit(n))));
            cases.add(Case.reject("similar k " + n, () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", new float[] {1, 0, 0}).k(n))));
        }
        cases.add(Case.reject("text null query", () -> search.text(null)));
        cases.add(Case.reject("similar null query", () -> search.similar(null)));
        cases.add(Case.reject("text query record with a null target", () -> search.text(new TextQuery(null, "plain", SearchFilter.none(), 10))));
        cases.add(Case.reject("semantic query record with a null filter", () -> search.similar(new SemanticQuery(SearchTarget.MEMORY, "m-3",
                new float[] {1, 0, 0}, null, 10))));
        cases.add(Case.reject("semantic query record with a null vector", () -> search.similar(new SemanticQuery(SearchTarget.MEMORY, "m-3",
                null, SearchFilter.none(), 10))));
        cases.add(Case.reject("search filter record with from after to", () -> search.text(TextQuery.messages("plain").filter(new SearchFilter(null, null,
                null, null, Instant.parse("2030-01-01T00:00:00Z"), Instant.EPOCH)))));
        cases.add(Case.reject("similar query embedded to null", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text", text -> null))));
        cases.add(Case.reject("similar query embedded to NaN", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text",
                text -> new float[] {Float.NaN, 1, 1}))));
        cases.add(Case.reject("similar query with a null embedder", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", "text", null))));
        cases.add(Case.reject("similar query of null text", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", (String) null, text -> new float[] {1, 0, 0}))));
        cases.add(Case.reject("similar null target", () -> search.similar(SemanticQuery.of(null, "m-3", new float[] {1, 0, 0}))));
        cases.add(Case.reject("text null text", () -> search.text(TextQuery.messages(null))));
        cases.add(Case.reject("text on assets", () -> search.text(new TextQuery(SearchTarget.ASSET, "x", SearchFilter.none(), 10))));
        cases.add(Case.reject("text null filter", () -> search.text(TextQuery.messages("x").filter(null))));

        // Vectors: the first one of model m-3 fixes its dimension at 3 for acme (globex has m-3 at 4).
        MemoryStore memories = acme.memories();
        cases.add(Case.of("putVector on a memory", () -> {
            search.putVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }, r -> search.dimension("m-3"), 3));
        cases.add(Case.of("putVector on a message", () -> {
            search.putVector(SearchTarget.MESSAGE, plain.id(), "m-3", new float[] {0, 1, 0});
            return null;
        }, r -> search.dimension("m-3"), 3));
        List<float[]> badVectors = List.of(new float[] {1, 0}, new float[] {1, 0, 0, 0}, new float[] {Float.NaN, 0, 0},
                new float[] {Float.POSITIVE_INFINITY, 0, 0}, new float[] {0, Float.NEGATIVE_INFINITY, 0}, new float[] {0, 0, 0},
                new float[] {-0f, 0f, -0f}, new float[0], new float[dev.atlas.Limits.MAX_VECTOR_DIMENSION + 1]);
        for (float[] v : badVectors) {
            String tag = "dimension " + v.length + " " + (v.length > 8 ? "" : Arrays.toString(v));
            cases.add(Case.reject("putVector memory " + tag, () -> {
                search.putVector(SearchTarget.MEMORY, memory.id(), "m-3", v);
                return null;
            }));
            cases.add(Case.reject("putVector message " + tag, () -> {
                search.putVector(SearchTarget.MESSAGE, plain.id(), "m-3", v);
                return null;
            }));
            cases.add(Case.reject("putAssetVector " + tag, () -> {
                search.putAssetVector(UUID.randomUUID(), null, "m-3", v);
                return null;
            }));
            cases.add(Case.reject("embed " + tag, () -> {
                search.embed(SearchTarget.MEMORY, memory.id(), "m-3", text -> v);
                return null;
            }));
            cases.add(Case.reject("similar " + tag, () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", v))));
        }
        cases.add(Case.reject("putVector null vector", () -> {
            search.putVector(SearchTarget.MEMORY, memory.id(), "m-3", null);
            return null;
        }));
        cases.add(Case.reject("embed with an embedder returning null", () -> {
            search.embed(SearchTarget.MEMORY, memory.id(), "m-3", text -> null);
            return null;
        }));
        cases.add(Case.of("vector of float extremes", () -> {
            search.putVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE});
            return null;
        }, r -> search.dimension("m-3"), 3));
        cases.add(Case.of("vector of denormals", () -> {
            search.putVector(SearchTarget.MEMORY, memory.id(), "m-3", new float[] {Float.MIN_VALUE, 0, 0});
            return null;
        }, r -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3", new float[] {Float.MIN_VALUE, 0, 0})).stream()
                .allMatch(hit -> Double.isFinite(hit.score())), true));
        cases.add(Case.read("similar with a query of float extremes", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3",
                new float[] {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE})), r -> ((List<?>) r).stream()
                .allMatch(hit -> Double.isFinite(((dev.atlas.SearchHit) hit).score())), true));
        cases.add(Case.of("model dimension is per tenant", () -> {
            search.putAssetVector(acme.assets().store(NewAsset.of(AssetType.IMAGE, "v.png", "image/png"), new byte[] {1}).id(), searchConvo.id(), "theirs-4", new float[] {1, 2, 3});
            return null;
        }, r -> search.dimension("theirs-4") + "/" + other.search().dimension("theirs-4"), "3/4"));
        for (String model : HOSTILE_SHORT) {
            // Model names are never paths or SQL, so any string of the documented form (such as ../x) may be stored.
            String tag = tag(model);
            cases.add(Case.of("putVector model " + tag, () -> {
                search.putVector(SearchTarget.MEMORY, memory.id(), model, new float[] {1, 0, 0});
                return null;
            }, r -> search.dimension(model), 3));
            cases.add(Case.of("removeVector model " + tag, () -> search.removeVector(SearchTarget.MEMORY, memory.id(), model), r -> null, null));
            cases.add(Case.read("similar model " + tag, () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, new float[] {1, 0, 0}))));
        }
        for (String model : List.of("a\u0000b", "\uDBFF", "", " ", "m 3", "m'--", "m;DROP", "x".repeat(201), "m\n", "ü", "😀")) {
            String tag = tag(model);
            cases.add(Case.reject("putVector model " + tag, () -> {
                search.putVector(SearchTarget.MEMORY, memory.id(), model, new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("putAssetVector model " + tag, () -> {
                search.putAssetVector(UUID.randomUUID(), null, model, new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("embed model " + tag, () -> {
                search.embed(SearchTarget.MESSAGE, plain.id(), model, text -> new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("removeVector model " + tag, () -> search.removeVector(SearchTarget.MEMORY, memory.id(), model)));
            cases.add(Case.reject("similar model " + tag, () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, new float[] {1, 0, 0}))));
            cases.add(Case.reject("dimension model " + tag, () -> search.dimension(model)));
        }
        for (UUID id : List.of(foreignMemory.id(), foreignMessage.id(), UUID.randomUUID())) {
            String who = id.equals(foreignMemory.id()) ? "another tenant's memory" : id.equals(foreignMessage.id()) ? "another tenant's message" : "an unknown id";
            SearchTarget target = id.equals(foreignMessage.id()) ? SearchTarget.MESSAGE : SearchTarget.MEMORY;
            cases.add(Case.reject("putVector on " + who, () -> {
                search.putVector(target, id, "m-3", new float[] {1, 0, 0});
                return null;
            }));
            cases.add(Case.reject("embed " + who, () -> {
                search.embed(target, id, "m-3", text -> {
                    throw new AssertionError("the embedder saw another tenant's text: " + text);
                });
                return null;
            }));
            cases.add(Case.of("removeVector of " + who, () -> search.removeVector(target, id, "theirs-4"), r -> r, false));
        }
        cases.add(Case.reject("putAssetVector with another tenant's conversation", () -> {
            search.putAssetVector(UUID.randomUUID(), foreignConvo.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putAssetVector with an unknown conversation", () -> {
            search.putAssetVector(UUID.randomUUID(), UUID.randomUUID(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector with target ASSET", () -> {
            search.putVector(SearchTarget.ASSET, UUID.randomUUID(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("embed target ASSET", () -> {
            search.embed(SearchTarget.ASSET, UUID.randomUUID(), "m-3", text -> new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector null target", () -> {
            search.putVector(null, memory.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putVector null id", () -> {
            search.putVector(SearchTarget.MEMORY, null, "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("putAssetVector null id", () -> {
            search.putAssetVector(null, null, "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.reject("embed null embedder", () -> {
            search.embed(SearchTarget.MEMORY, memory.id(), "m-3", null);
            return null;
        }));
        cases.add(Case.reject("removeVector null target", () -> search.removeVector(null, memory.id(), "m-3")));
        cases.add(Case.reject("removeVector null id", () -> search.removeVector(SearchTarget.MEMORY, null, "m-3")));
        cases.add(Case.rejectAfter("putVector on a deleted memory", () -> {
            Memory m = memories.add(NewMemory.fact(Owner.user("1"), "deleted"));
            memories.delete(m.id());
            return m;
        }, m -> {
            search.putVector(SearchTarget.MEMORY, m.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.rejectAfter("putVector on an expired memory", () -> memories.add(NewMemory.fact(Owner.user("1"), "expired")
                .expiresAt(Instant.parse("2000-01-01T00:00:00Z"))), m -> {
            search.putVector(SearchTarget.MEMORY, m.id(), "m-3", new float[] {1, 0, 0});
            return null;
        }));
        cases.add(Case.after("removeVector of an own vector", () -> {
            search.putVector(SearchTarget.MESSAGE, plain.id(), "m-3", new float[] {0, 0, 1});
            return null;
        }, x -> search.removeVector(SearchTarget.MESSAGE, plain.id(), "m-3"), r -> r, true));
        cases.add(Case.read("similar unknown model", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "unknown", new float[] {1})), r -> r, List.of()));
        cases.add(Case.read("similar never finds another tenant's vectors", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, "m-3",
                new float[] {1, 0, 0}).k(1000)), r -> ((List<?>) r).stream().noneMatch(hit -> ((dev.atlas.SearchHit) hit).id().equals(foreignMemory.id())), true));

        // Filters: impossible combinations fail typed, foreign values match nothing.
        List<Supplier<SearchFilter>> filters = List.of(
                () -> SearchFilter.none().between(Instant.MIN, null),
                () -> SearchFilter.none().between(null, Instant.MAX),
                () -> SearchFilter.none().between(Instant.EPOCH, Instant.EPOCH),
                () -> SearchFilter.none().between(Instant.parse("2030-01-01T00:00:00Z"), Instant.EPOCH),
                () -> SearchFilter.none().between(Instant.parse("0000-12-31T23:59:59Z"), null),
                () -> SearchFilter.none().between(dev.atlas.Limits.MIN_INSTANT, dev.atlas.Limits.MAX_INSTANT),
                () -> SearchFilter.none().conversation(foreignConvo.id()),
                () -> SearchFilter.none().conversation(null),
                () -> SearchFilter.none().owner(null),
                () -> SearchFilter.none().owner(Owner.of("user", "'; DROP TABLE atlas_memories; --")),
                () -> SearchFilter.none().owner(Owner.of("a\u0000b", "\uD800")),
                () -> SearchFilter.none().kind(MemoryKind.FACT),
                () -> SearchFilter.none().kind(MemoryKind.of("NEAR(")),
                () -> SearchFilter.none().role(Role.USER),
                () -> SearchFilter.none().role(null));
        for (int i = 0; i < filters.size(); i++) {
            Supplier<SearchFilter> f = filters.get(i);
            for (SearchTarget target : SearchTarget.values()) {
                String name = "filter " + i + " on " + target;
                if (target != SearchTarget.ASSET) {
                    cases.add(Case.read("text " + name, () -> search.text(new TextQuery(target, "plain", f.get(), 10)),
                            r -> ((List<?>) r).size() <= 1, true));
                }
                cases.add(Case.read("similar " + name, () -> search.similar(SemanticQuery.of(target, "m-3", new float[] {1, 1, 1}).filter(f.get())),
                        r -> ((List<?>) r).stream().noneMatch(hit -> ((dev.atlas.SearchHit) hit).id().equals(foreignMemory.id())), true));
            }
        }
    }

    // ---- retention --------------------------------------------------------------------------

    protected void retentionCases(List<Case> cases) {
        dev.atlas.Retention retention = acme.retention();
        List<Duration> durations = new ArrayList<>(Arrays.asList(HOSTILE_DURATIONS));
        durations.addAll(List.of(Duration.ZERO, Duration.ofNanos(1), Duration.ofNanos(-1), Duration.ofDays(365L * 1000),
                Duration.ofDays(365L * 1000).plusNanos(1), Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)));
        for (Duration d : durations) {
            String tag = String.valueOf(d);
            // Dry runs: a policy that is accepted must count without changing anything.
            cases.add(Case.of("retention deleteMessagesOlderThan " + tag,
                    () -> retention.runRetention(RetentionPolicy.none().deleteMessagesOlderThan(d).dryRun(true)), r -> ((dev.atlas.RetentionReport) r).dryRun(), true));
            cases.add(Case.of("retention hardDeleteAfter " + tag,
                    () -> retention.runRetention(RetentionPolicy.none().hardDeleteAfter(d).dryRun(true)), r -> ((dev.atlas.RetentionReport) r).dryRun(), true));
            cases.add(Case.of("retention archiveIdleConversations " + tag,
                    () -> retention.runRetention(RetentionPolicy.none().archiveIdleConversations(d).dryRun(true)), r -> ((dev.atlas.RetentionReport) r).dryRun(), true));
            cases.add(Case.of("retention purgeArchivedAfter " + tag,
                    () -> retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(d).dryRun(true)), r -> ((dev.atlas.RetentionReport) r).dryRun(), true));
            cases.add(Case.of("retention policy record " + tag,
                    () -> retention.runRetention(new RetentionPolicy(d, d, d, d, true, 1, true)), r -> ((dev.atlas.RetentionReport) r).dryRun(), true));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 10_001, Integer.MAX_VALUE}) {
            cases.add(Case.reject("retention batchSize " + n, () -> retention.runRetention(RetentionPolicy.none().dropExpiredMemories(true).batchSize(n))));
        }
        cases.add(Case.reject("retention null policy", () -> retention.runRetention(null)));
        cases.add(Case.of("retention of ancient rows only", () -> retention.runRetention(RetentionPolicy.none()
                .deleteMessagesOlderThan(Duration.ofDays(365L * 1000)).hardDeleteAfter(Duration.ofDays(365L * 1000))
                .archiveIdleConversations(Duration.ofDays(365L * 1000)).purgeArchivedAfter(Duration.ofDays(365L * 1000)).batchSize(1)),
                r -> ((dev.atlas.RetentionReport) r).count("messages.deleted") + ((dev.atlas.RetentionReport) r).count("conversations.deleted"), 0));
        // Last: a real run that drops acme's expired and deleted memories with batch size 1; globex keeps its rows.
        cases.add(Case.of("retention of acme with batch size 1 leaves globex alone", () -> retention.runRetention(RetentionPolicy.none()
                        .hardDeleteAfter(Duration.ofNanos(1000)).dropExpiredMemories(true).batchSize(1)),
                r -> other.memories().get(foreignMemory.id()).isPresent() && other.search().dimension("theirs-4") == 4
                        && other.graph().node("theirs").isPresent() && other.conversations().message(foreignMessage.id()).isPresent(), true));
    }

    /** Bad input must not surface as a storage failure: a StorageException here fails the case as untyped. */
    private static <T> T notStorage(Supplier<T> call) {
        try {
            return call.get();
        } catch (dev.atlas.StorageException e) {
            throw new IllegalStateException("bad input reported as a storage failure: " + e.getMessage(), e);
        }
    }

    /** Cases that store large rows run last: every later case would hash them twice in its digest. */
    protected void bulkyCases(List<Case> cases) {
        MemoryStore memories = acme.memories();
        Search search = acme.search();
        StringBuilder words = new StringBuilder();
        for (int i = 0; words.length() < dev.atlas.Limits.MAX_CONTENT_LENGTH - 20; i++) {
            words.append(Integer.toString(i, 36)).append("q ");
        }
        String distinct = words.toString();
        // Stored on SQLite; over PostgreSQL's 1 MB tsvector limit, which must be an InvalidInputException, not a StorageException.
        cases.add(Case.of("memory of " + distinct.length() + " characters of distinct words", () -> notStorage(() -> memories.add(NewMemory.fact(Owner.user("1"), distinct))),
                r -> memories.require(((Memory) r).id()).content().length(), distinct.length()));
        cases.add(Case.of("message of " + distinct.length() + " characters of distinct words", () -> notStorage(() -> store.append(searchConvo.id(), NewMessage.user(distinct))),
                r -> store.message(((Message) r).id()).orElseThrow().content().length(), distinct.length()));
        cases.add(Case.of("memory edited to distinct words", () -> notStorage(() -> memories.update(memory.id(), MemoryPatch.content(distinct))),
                r -> memories.require(memory.id()).content().length(), distinct.length()));
        cases.add(Case.of("memory content at the limit", () -> memories.add(NewMemory.fact(Owner.user("1"), "m".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH))),
                r -> memories.require(((Memory) r).id()).content().length(), dev.atlas.Limits.MAX_CONTENT_LENGTH));
        cases.add(Case.of("vector at the dimension limit", () -> {
            float[] v = new float[dev.atlas.Limits.MAX_VECTOR_DIMENSION];
            v[7] = 1;
            search.putAssetVector(acme.assets().store(NewAsset.of(AssetType.IMAGE, "v.png", "image/png"), new byte[] {1}).id(), null, "huge", v);
            return null;
        }, r -> search.dimension("huge"), dev.atlas.Limits.MAX_VECTOR_DIMENSION));
    }

    // ---- the run --------------------------------------------------------------------------

    private List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (CaseGenerator g : generators()) {
            g.generate(cases);
        }
        return cases;
    }

    private String digest(Connection c) throws IOException {
        StringBuilder files = new StringBuilder();
        try (Stream<Path> walk = Files.walk(blobs)) {
            walk.filter(Files::isRegularFile).map(p -> blobs.relativize(p) + ":" + p.toFile().length()).sorted().forEach(files::append);
        }
        return DatabaseDigest.of(c, "atlas_") + files;
    }

    @Test
    @DisplayName("at least 200 generated hostile cases over every store's write methods: a typed error and no change, or stored and read back exactly")
    void corpus() throws SQLException, IOException {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(200);
        int rejected = 0;
        int stored = 0;
        List<String> failures = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection()) {
            for (Case k : cases) {
                Object prepared;
                try {
                    prepared = k.prepare().get();
                } catch (RuntimeException e) {
                    throw new AssertionError("setup of " + k.name() + " failed: " + e, e);
                }
                String before = k.read() ? null : digest(c);
                Object result;
                try {
                    result = k.write().apply(prepared);
                } catch (InvalidInputException e) {
                    rejected++;
                    if (e.field() == null || e.field().isBlank()) {
                        failures.add(k.name() + ": InvalidInputException without a field: " + e.getMessage());
                    }
                    if (!k.read()) {
                        checkUnchanged(c, before, k, failures);
                    }
                    continue;
                } catch (AtlasException e) {
                    rejected++;
                    if (!k.read()) {
                        checkUnchanged(c, before, k, failures);
                    }
                    continue;
                } catch (RuntimeException e) {
                    failures.add(k.name() + ": untyped " + e);
                    continue;
                }
                stored++;
                if (k.mustReject()) {
                    failures.add(k.name() + ": accepted, but must be rejected");
                } else if (k.expected() != null) {
                    Object back;
                    try {
                        back = k.readBack().apply(result);
                    } catch (RuntimeException e) {
                        failures.add(k.name() + ": read back failed: " + e);
                        continue;
                    }
                    if (!Objects.equals(Objects.toString(back), Objects.toString(k.expected()))) {
                        failures.add(k.name() + ": read back " + tag(Objects.toString(back)) + " instead of " + tag(Objects.toString(k.expected())));
                    }
                }
            }
        }
        System.out.println(database.name() + " hostile corpus: " + cases.size() + " cases, " + rejected + " rejected, " + stored + " stored");
        assertThat(failures.size()).as(failures.size() + " of " + cases.size() + " cases broke the contract:\n" + String.join("\n", failures)).isZero();
        assertThat(rejected).isPositive();
        assertThat(stored).isPositive();
    }

    private void checkUnchanged(Connection c, String before, Case k, List<String> failures) throws IOException {
        if (!digest(c).equals(before)) {
            failures.add(k.name() + ": rejected but the database or blob directory changed");
        }
    }
}
