package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import dev.atlas.search.Search;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStore;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.io.TempDir;

import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random operations from two tenants, interleaved, with ids drawn from both: no read through
 * tenant A ever returns a row of tenant B, and B's ids behave like unknown ids for A.
 */
public abstract class TenantIsolationContract extends AtlasContract {
    protected TenantIsolationContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("400 random interleaved operations from two tenants never cross the tenant boundary")
    void randomOperations() {
        Random random = new Random(20261122L);
        String[] tenants = {"tenant-a", "tenant-b"};
        Map<UUID, String> conversationTenant = new HashMap<>();
        Map<UUID, String> messageTenant = new HashMap<>();
        Map<UUID, Integer> messageCount = new HashMap<>();
        List<UUID> conversations = new ArrayList<>();
        List<UUID> messages = new ArrayList<>();
        Owner shared = Owner.user("same-user-id-in-both-tenants");
        for (int step = 0; step < 400; step++) {
            String tenant = tenants[random.nextInt(2)];
            ConversationStore store = atlas.tenant(tenant).conversations();
            int op = conversations.isEmpty() ? 0 : random.nextInt(8);
            UUID c = conversations.isEmpty() ? null : conversations.get(random.nextInt(conversations.size()));
            UUID m = messages.isEmpty() ? null : messages.get(random.nextInt(messages.size()));
            boolean own = c != null && tenant.equals(conversationTenant.get(c));
            switch (op) {
                case 0 -> {
                    Conversation created = store.create(NewConversation.of(shared, "agent"));
                    conversationTenant.put(created.id(), tenant);
                    conversations.add(created.id());
                }
                case 1 -> {
                    if (own) {
                        Message appended = store.append(c, NewMessage.user("step " + step).clientId("s" + step));
                        assertThat(appended.tenantId()).isEqualTo(tenant);
                        messageTenant.put(appended.id(), tenant);
                        messageCount.merge(c, 1, Integer::sum);
                        messages.add(appended.id());
                    } else {
                        assertThatThrownBy(() -> store.append(c, NewMessage.user("x"))).isInstanceOf(NotFoundException.class);
                    }
                }
                case 2 -> assertThat(store.get(c).isPresent()).isEqualTo(own);
                case 3 -> store.list(ConversationQuery.forOwner(shared).limit(1000)).items()
                        .forEach(x -> assertThat(conversationTenant.get(x.id())).isEqualTo(tenant));
                case 4 -> {
                    if (own) {
                        store.history(c).forEach(x -> assertThat(messageTenant.get(x.id())).isEqualTo(tenant));
                    } else {
                        assertThatThrownBy(() -> store.history(c)).isInstanceOf(NotFoundException.class);
                    }
                }
                case 5 -> {
                    if (m != null) {
                        assertThat(store.getMessage(m).isPresent()).isEqualTo(tenant.equals(messageTenant.get(m)));
                    }
                }
                case 6 -> {
                    if (m != null && !tenant.equals(messageTenant.get(m))) {
                        assertThatThrownBy(() -> store.edit(m, "hijack")).isInstanceOf(NotFoundException.class);
                        assertThatThrownBy(() -> store.events(m)).isInstanceOf(NotFoundException.class);
                    }
                }
                default -> {
                    if (own) {
                        store.messages(c, 0, 1000).forEach(x -> assertThat(x.tenantId()).isEqualTo(tenant));
                        // Nothing here marks a message read: every appended message counts.
                        assertThat(store.unreadCount(c)).isEqualTo(messageCount.getOrDefault(c, 0).longValue());
                    } else {
                        assertThatThrownBy(() -> store.unreadCount(c)).isInstanceOf(NotFoundException.class);
                    }
                }
            }
        }
        for (UUID m : messages) {
            assertThat(atlas.tenant(messageTenant.get(m)).conversations().getMessage(m).orElseThrow().content()).doesNotContain("hijack");
        }
    }

    // ---- every store ----------------------------------------------------------------------

    @TempDir
    Path blobs;

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.blobStore(new LocalDirectoryBlobStore(blobs)).credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    /** One random operation through one tenant's view: it records what it creates and checks what it reads. */
    @FunctionalInterface
    protected interface Op {
        void run(Tenant tenant, World world);
    }

    /**
     * What the random walk created so far: every id with its tenant, by kind ("conversation",
     * "execution", ...). Ops pick ids of both tenants from here.
     */
    protected static final class World {
        public final Random random;
        final Map<UUID, String> tenantOf = new HashMap<>();
        final Map<String, List<UUID>> byKind = new HashMap<>();
        final Map<String, List<ClaimedTask>> claims = new HashMap<>();
        /** Tenants that stored a vector of model iso. */
        final Set<String> vectorTenants = new java.util.HashSet<>();
        /** Credential names each tenant holds for {@code SHARED}. */
        final Map<String, Set<String>> credentials = new HashMap<>();

        World(Random random) {
            this.random = random;
        }

        public void created(String kind, UUID id, String tenant) {
            tenantOf.put(id, tenant);
            byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(id);
        }

        /** A random id of this kind, from either tenant, or null when none exists yet. */
        public UUID pick(String kind) {
            List<UUID> ids = byKind.getOrDefault(kind, List.of());
            return ids.isEmpty() ? null : ids.get(random.nextInt(ids.size()));
        }

        /** A random id of this kind owned by {@code tenant}, or null. */
        public UUID pickOwn(String kind, String tenant) {
            List<UUID> own = byKind.getOrDefault(kind, List.of()).stream().filter(id -> tenant.equals(tenantOf.get(id))).toList();
            return own.isEmpty() ? null : own.get(random.nextInt(own.size()));
        }

        /** A random id of this kind owned by the other tenant, or null. */
        public UUID pickForeign(String kind, String tenant) {
            List<UUID> foreign = byKind.getOrDefault(kind, List.of()).stream().filter(id -> !tenant.equals(tenantOf.get(id))).toList();
            return foreign.isEmpty() ? null : foreign.get(random.nextInt(foreign.size()));
        }

        public boolean owns(String tenant, UUID id) {
            return tenant.equals(tenantOf.get(id));
        }
    }

    /** What a call did, comparable across ids: the exception type, or the shape of the result. */
    private static String outcome(Supplier<?> call) {
        try {
            Object r = call.get();
            if (r instanceof Optional<?> o) {
                return o.isPresent() ? "present" : "empty";
            }
            if (r instanceof java.util.Collection<?> c) {
                return "size " + c.size();
            }
            if (r instanceof Page<?> p) {
                return "page of " + p.items().size();
            }
            return r instanceof Boolean || r instanceof Number || r instanceof String ? String.valueOf(r) : "a value";
        } catch (NotFoundException e) {
            return "NotFoundException " + e.entity() + e.field().map(f -> " " + f).orElse("");
        } catch (AtlasException e) {
            return e.getClass().getSimpleName();
        }
    }

    /** Labels of {@link #likeUnknown} checks that ran, mapped to whether one ran with a foreign id. */
    private final Map<String, Boolean> exercised = new HashMap<>();

    /**
     * Calling with another tenant's id behaves exactly like calling with an id that never existed,
     * and both give {@code expected} (for example {@code "NotFoundException conversation"} or
     * {@code "empty"}): comparing with the unknown id alone would pass an implementation that also
     * accepts unknown ids, or one that refuses an earlier argument before reaching the id under test.
     */
    protected void likeUnknown(String what, String expected, UUID foreign, Function<UUID, ?> call) {
        exercised.merge(what, foreign != null, Boolean::logicalOr);
        if (foreign == null) {
            return;
        }
        UUID unknown = UUID.randomUUID();
        assertThat(outcome(() -> call.apply(unknown))).as(what + " with an unknown id").isEqualTo(expected);
        assertThat(outcome(() -> call.apply(foreign))).as(what + " with another tenant's id").isEqualTo(expected);
        // Nothing of the exception tells the two apart either: message, id, field, cause (no existence oracle).
        assertThat(detail(() -> call.apply(foreign), foreign)).as(what + ": what another tenant's id shows")
                .isEqualTo(detail(() -> call.apply(unknown), unknown));
    }

    /** An exception as a caller can read it, with the id passed written {@code <id>}; or the outcome of a call that returned. */
    private static String detail(Supplier<?> call, UUID id) {
        try {
            Object r = call.get();
            return outcome(() -> r);
        } catch (AtlasException e) {
            StringBuilder out = new StringBuilder();
            for (Throwable x = e; x != null; x = x.getCause()) {
                out.append(x.getClass().getName()).append(": ").append(String.valueOf(x.getMessage()).replace(id.toString(), "<id>"));
                if (x instanceof NotFoundException nf) {
                    out.append(" id=").append(id.equals(nf.id()) || id.toString().equals(String.valueOf(nf.id())) ? "<id>" : nf.id())
                            .append(" field=").append(nf.field().orElse("-"));
                }
                out.append(" | ");
            }
            return out.toString();
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }

    /** Every check that ran in the walk ran at least once with a foreign id: none passed vacuously. */
    private void assertEveryLikeUnknownExercised() {
        assertThat(exercised.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList())
                .as("likeUnknown checks never given another tenant's id").isEmpty();
    }

    private static final Owner SHARED = Owner.user("same-user-id-in-both-tenants");

    /** Every store's operations; a new store appends its own. */
    protected List<Op> operations() {
        List<Op> ops = new ArrayList<>();
        ops.addAll(conversationOps());
        ops.addAll(executionOps());
        ops.addAll(assetOps());
        ops.addAll(voiceOps());
        ops.addAll(assistantOps());
        ops.addAll(credentialOps());
        ops.addAll(taskOps());
        ops.addAll(priceOps());
        ops.addAll(memoryOps());
        ops.addAll(graphOps());
        ops.addAll(searchOps());
        ops.addAll(retentionOps());
        return ops;
    }

    protected List<Op> conversationOps() {
        return List.of(
                (t, w) -> w.created("conversation", t.conversations().create(NewConversation.of(SHARED, "agent")).id(), t.id()),
                (t, w) -> {
                    UUID c = w.pickOwn("conversation", t.id());
                    if (c != null) {
                        Message m = t.conversations().append(c, NewMessage.user("hello"));
                        assertThat(m.tenantId()).isEqualTo(t.id());
                        w.created("message", m.id(), t.id());
                    }
                },
                (t, w) -> {
                    ConversationStore s = t.conversations();
                    s.list(ConversationQuery.forOwner(SHARED).limit(1000)).items().forEach(x -> assertThat(x.tenantId()).isEqualTo(t.id()));
                    likeUnknown("get conversation", "empty", w.pickForeign("conversation", t.id()), s::get);
                    likeUnknown("history", "NotFoundException conversation", w.pickForeign("conversation", t.id()), s::history);
                    likeUnknown("messages", "NotFoundException conversation", w.pickForeign("conversation", t.id()), c -> s.messages(c, 0, 100));
                    likeUnknown("message", "empty", w.pickForeign("message", t.id()), s::getMessage);
                    likeUnknown("siblings", "NotFoundException message", w.pickForeign("message", t.id()), s::siblings);
                    likeUnknown("events", "NotFoundException message", w.pickForeign("message", t.id()), s::events);
                    likeUnknown("canRetry", "NotFoundException message", w.pickForeign("message", t.id()), s::canRetry);
                });
    }

    protected List<Op> executionOps() {
        return List.of(
                (t, w) -> {
                    UUID c = w.pickOwn("conversation", t.id());
                    ExecutionSpec spec = ExecutionSpec.text("openai", "gpt-4o").agent("shared-agent");
                    ExecutionHandle e = t.executions().start(c == null ? spec : spec.conversation(c));
                    StepHandle step = e.step();
                    StepHandle.ToolCallHandle call = step.toolCall("call-1", "lookup", "{}");
                    if (c != null) {
                        // A tool thread with its own owner, so the walk's per-owner conversation checks are unchanged.
                        assertThat(call.thread(Owner.user("tool-thread-owner"), "researcher").tenantId()).isEqualTo(t.id());
                        w.created("threadParent", c, t.id());
                        w.created("threadCall", call.id(), t.id());
                    }
                    call.complete("ok");
                    step.finish("done", FinishReason.STOP);
                    e.usage(Usage.of(10, 5));
                    if (c != null) {
                        w.created("message", e.reply(step, "answer").id(), t.id());
                    }
                    Execution done = w.random.nextBoolean() ? e.complete() : e.fail("boom");
                    assertThat(done.tenantId()).isEqualTo(t.id());
                    w.created("execution", e.id(), t.id());
                    w.created("step", step.id(), t.id());
                    w.created("toolCall", call.id(), t.id());
                },
                // An execution left processing: another tenant's sweep must not touch it.
                (t, w) -> w.created("openExecution", t.executions().start(ExecutionSpec.text("openai", "gpt-4o")).id(), t.id()),
                (t, w) -> {
                    t.executions().sweepInterrupted(Duration.ZERO);
                    for (UUID open : w.byKind.getOrDefault("openExecution", List.of())) {
                        if (!w.owns(t.id(), open)) {
                            assertThat(atlas.tenant(w.tenantOf.get(open)).executions().require(open).status())
                                    .as("another tenant's sweep left it alone").isEqualTo(ExecutionStatus.PROCESSING);
                        }
                    }
                    w.byKind.getOrDefault("openExecution", new ArrayList<>()).removeIf(id -> w.owns(t.id(), id));
                },
                (t, w) -> {
                    ExecutionRecorder r = t.executions();
                    r.list(ExecutionQuery.all().agent("shared-agent").limit(1000)).items().forEach(x -> assertThat(x.tenantId()).isEqualTo(t.id()));
                    UUID own = w.pickOwn("execution", t.id());
                    if (own != null) {
                        ExecutionTree tree = r.tree(own).orElseThrow();
                        assertThat(tree.execution().tenantId()).isEqualTo(t.id());
                        tree.steps().forEach(st -> assertThat(w.owns(t.id(), st.id())).isTrue());
                        tree.toolCalls().forEach(tc -> assertThat(w.owns(t.id(), tc.id())).isTrue());
                    }
                    UUID foreign = w.pickForeign("execution", t.id());
                    likeUnknown("get execution", "empty", foreign, r::get);
                    likeUnknown("tree", "empty", foreign, r::tree);
                    likeUnknown("queue", "NotFoundException execution", foreign, r::queue);
                    likeUnknown("resume", "NotFoundException execution", foreign, r::resume);
                    likeUnknown("cancel execution", "NotFoundException execution", foreign, r::cancel);
                    UUID foreignConversation = w.pickForeign("conversation", t.id());
                    likeUnknown("executions of a conversation", "page of 0", foreignConversation, c -> r.list(ExecutionQuery.all().conversation(c)));
                    likeUnknown("historyWithTools", "NotFoundException conversation", foreignConversation, c -> r.historyWithTools(c, 50));
                    likeUnknown("toolThreads", "page of 0", w.pickForeign("threadParent", t.id()), c -> t.conversations().toolThreads(c, 50, null));
                    likeUnknown("toolThread", "empty", w.pickForeign("threadCall", t.id()), t.conversations()::toolThread);
                    UUID ownParent = w.pickOwn("threadParent", t.id());
                    if (ownParent != null) {
                        assertThat(t.conversations().toolThreads(ownParent, 50, null).items()).isNotEmpty()
                                .allSatisfy(x -> assertThat(x.tenantId()).isEqualTo(t.id()));
                    }
                    r.toolCalls(dev.atlas.execution.ToolCallQuery.forTool("lookup").limit(1000)).items()
                            .forEach(tc -> assertThat(w.owns(t.id(), tc.id())).as("listed tool call is own").isTrue());
                    UUID c = w.pickOwn("conversation", t.id());
                    if (c != null) {
                        r.historyWithTools(c, 50).forEach(m -> {
                            assertThat(m.message().tenantId()).isEqualTo(t.id());
                            m.toolCalls().forEach(tc -> assertThat(w.owns(t.id(), tc.id())).isTrue());
                        });
                    }
                    List<UsageRow> report = r.usageReport(UsageGroup.TENANT, Instant.EPOCH, Instant.now().plusSeconds(3600));
                    report.forEach(row -> assertThat(row.group()).isEqualTo(t.id()));
                });
    }

    protected List<Op> assetOps() {
        return List.of(
                (t, w) -> {
                    UUID e = w.pickOwn("execution", t.id());
                    NewAsset a = NewAsset.of(AssetType.IMAGE, "chart.png", "image/png");
                    Asset stored = t.assets().create(e == null ? a : a.execution(e, null), t.id().getBytes(StandardCharsets.UTF_8));
                    w.created("asset", stored.id(), t.id());
                    UUID m = w.pickOwn("message", t.id());
                    if (m != null) {
                        t.assets().attach(m, stored.id(), Map.of("pos", 1));
                    }
                },
                (t, w) -> {
                    AssetStore s = t.assets();
                    UUID own = w.pickOwn("asset", t.id());
                    if (own != null) {
                        try (InputStream in = s.open(own)) {
                            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(t.id());
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }
                    UUID ownMessage = w.pickOwn("message", t.id());
                    if (ownMessage != null) {
                        s.forMessage(ownMessage).forEach(x -> assertThat(x.asset().tenantId()).isEqualTo(t.id()));
                    }
                    UUID ownExecution = w.pickOwn("execution", t.id());
                    if (ownExecution != null) {
                        s.byExecution(ownExecution).forEach(x -> assertThat(x.tenantId()).isEqualTo(t.id()));
                    }
                    UUID foreign = w.pickForeign("asset", t.id());
                    likeUnknown("get asset", "empty", foreign, s::get);
                    likeUnknown("open asset", "NotFoundException asset", foreign, s::open);
                    likeUnknown("byExecution", "size 0", w.pickForeign("execution", t.id()), s::byExecution);
                    likeUnknown("byExecution paged", "page of 0", w.pickForeign("execution", t.id()), e -> s.byExecution(e, 1000, null));
                    if (foreign != null) {
                        // Another tenant's bytes are never found by their hash, whatever this tenant holds.
                        String theirHash;
                        try {
                            theirHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                                    .digest(w.tenantOf.get(foreign).getBytes(StandardCharsets.UTF_8)));
                        } catch (java.security.NoSuchAlgorithmException e) {
                            throw new IllegalStateException(e);
                        }
                        assertThat(s.getBySha256(theirHash)).as("another tenant's bytes found by their hash").isEmpty();
                    }
                    likeUnknown("forMessage", "NotFoundException message", w.pickForeign("message", t.id()), s::forMessage);
                    likeUnknown("forMessage paged", "NotFoundException message", w.pickForeign("message", t.id()), m -> s.forMessage(m, 1000, null));
                    if (own != null) {
                        likeUnknown("attach to a message", "NotFoundException message messageId", w.pickForeign("message", t.id()), m -> s.attach(m, own, Map.of()));
                        likeUnknown("detach from a message", "NotFoundException message messageId", w.pickForeign("message", t.id()), m -> s.detach(m, own));
                    }
                    if (ownMessage != null) {
                        likeUnknown("attach an asset", "NotFoundException asset assetId", foreign, a -> s.attach(ownMessage, a, Map.of()));
                        likeUnknown("detach an asset", "NotFoundException asset assetId", foreign, a -> s.detach(ownMessage, a));
                    }
                    likeUnknown("delete asset", "NotFoundException asset", foreign, a -> {
                        s.delete(a);
                        return null;
                    });
                },
                // Every upload of the walk got its row, so cleanup finds no orphan in either tenant;
                // the other tenant's bytes are checked at the end.
                (t, w) -> assertThat(t.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).as("removed blob keys").isEmpty());
    }

    protected List<Op> voiceOps() {
        return List.of(
                (t, w) -> {
                    UUID c = w.pickOwn("conversation", t.id());
                    NewVoiceCall call = NewVoiceCall.of("shared-session", "openai", "gpt-realtime");
                    VoiceCall v = t.voiceCalls().start(c == null ? call : call.conversation(c));
                    w.created(w.random.nextBoolean() ? "voiceCall" : "activeCall", v.id(), t.id());
                    if (w.random.nextBoolean()) {
                        t.voiceCalls().checkpoint(v.id(), List.of(VoiceTurn.user("hi from " + t.id())));
                    }
                },
                (t, w) -> {
                    t.voiceCalls().completeStale(Duration.ZERO);
                    for (UUID active : w.byKind.getOrDefault("activeCall", List.of())) {
                        if (!w.owns(t.id(), active)) {
                            assertThat(atlas.tenant(w.tenantOf.get(active)).voiceCalls().get(active).orElseThrow().status())
                                    .isEqualTo(VoiceCallStatus.ACTIVE);
                        }
                    }
                    w.byKind.getOrDefault("activeCall", new ArrayList<>()).removeIf(id -> w.owns(t.id(), id));
                },
                (t, w) -> {
                    VoiceCallStore s = t.voiceCalls();
                    s.list(dev.atlas.voice.VoiceCallQuery.all().limit(1000)).items()
                            .forEach(v -> assertThat(v.tenantId()).as("listed call's tenant").isEqualTo(t.id()));
                    s.bySession("shared-session").forEach(v -> {
                        assertThat(v.tenantId()).isEqualTo(t.id());
                        v.transcript().forEach(turn -> assertThat(turn.content()).doesNotContain(otherTenant(t.id())));
                    });
                    UUID foreign = w.pickForeign("voiceCall", t.id());
                    likeUnknown("get call", "empty", foreign, s::get);
                    likeUnknown("checkpoint", "NotFoundException voice call", foreign, id -> s.checkpoint(id, List.of(VoiceTurn.user("hijack"))));
                    likeUnknown("complete call", "NotFoundException voice call", foreign, id -> s.complete(id, List.of()));
                    likeUnknown("fail call", "NotFoundException voice call", foreign, s::fail);
                    likeUnknown("summarize", "NotFoundException voice call", foreign, id -> s.summarize(id, "hijack"));
                    likeUnknown("byConversation", "size 0", w.pickForeign("conversation", t.id()), s::byConversation);
                });
    }

    protected List<Op> assistantOps() {
        return List.of(
                (t, w) -> {
                    // The same slug in both tenants: slugs are unique per tenant only.
                    String slug = "bot-" + w.random.nextInt(5);
                    Assistant a = t.assistants().getBySlug(slug).orElseGet(() -> t.assistants().create(AssistantSpec.of(slug, "Bot of " + t.id())));
                    assertThat(a.tenantId()).isEqualTo(t.id());
                    w.created("assistant", a.id(), t.id());
                    AssistantRevision r = t.assistants().publish(a.id(), NewRevision.of("prompt of " + t.id(), Map.of("tenant", t.id())));
                    w.created("revision", r.id(), t.id());
                },
                (t, w) -> {
                    AssistantStore s = t.assistants();
                    s.list(1000, null).items().forEach(a -> assertThat(a.tenantId()).isEqualTo(t.id()));
                    for (int i = 0; i < 5; i++) {
                        s.getBySlug("bot-" + i).ifPresent(a -> assertThat(a.tenantId()).isEqualTo(t.id()));
                    }
                    UUID own = w.pickOwn("assistant", t.id());
                    if (own != null) {
                        s.revisions(own).forEach(r -> assertThat(r.systemPrompt()).isEqualTo("prompt of " + t.id()));
                        s.currentRevision(own).ifPresent(r -> assertThat(r.tenantId()).isEqualTo(t.id()));
                        likeUnknown("rollback to a revision", "NotFoundException assistant revision toRevisionId", w.pickForeign("revision", t.id()), r -> s.rollback(own, r, SHARED));
                    }
                    UUID foreign = w.pickForeign("assistant", t.id());
                    likeUnknown("get assistant", "empty", foreign, s::get);
                    likeUnknown("revision by number", "empty", foreign, a -> s.getRevision(a, 1));
                    likeUnknown("currentRevision", "empty", foreign, s::currentRevision);
                    likeUnknown("assistant history", "NotFoundException assistant", foreign, s::revisions);
                    likeUnknown("diff", "NotFoundException assistant", foreign, a -> s.diff(a, 1, 1));
                    likeUnknown("rollback", "NotFoundException assistant", foreign, a -> s.rollback(a, 1, SHARED));
                    likeUnknown("publish", "NotFoundException assistant", foreign, a -> s.publish(a, NewRevision.of("hijack", Map.of())));
                    likeUnknown("update", "NotFoundException assistant", foreign, a -> s.update(a, AssistantSpec.of("hijacked", "x")));
                    likeUnknown("revision by id", "empty", w.pickForeign("revision", t.id()), s::getRevision);
                    likeUnknown("delete assistant", "NotFoundException assistant", foreign, a -> {
                        s.delete(a);
                        return null;
                    });
                });
    }

    protected List<Op> credentialOps() {
        return List.of(
                (t, w) -> {
                    String name = "key-" + w.random.nextInt(3);
                    t.credentials().upsert(SHARED, name, "secret of " + t.id());
                    w.credentials.computeIfAbsent(t.id(), k -> new java.util.TreeSet<>()).add(name);
                },
                (t, w) -> {
                    CredentialStore s = t.credentials();
                    // Both tenants use the same names: only this tenant's puts and deletes decide what it sees.
                    Set<String> mine = w.credentials.computeIfAbsent(t.id(), k -> new java.util.TreeSet<>());
                    for (int i = 0; i < 3; i++) {
                        String name = "key-" + i;
                        assertThat(s.get(SHARED, name).map(secret -> secret.reveal()))
                                .as(name + " of " + t.id()).isEqualTo(mine.contains(name) ? Optional.of("secret of " + t.id()) : Optional.empty());
                    }
                    assertThat(s.list(SHARED).stream().map(info -> info.name()).sorted().toList()).isEqualTo(List.copyOf(mine));
                    if (w.random.nextInt(5) == 0) {
                        String name = "key-" + w.random.nextInt(3);
                        if (mine.remove(name)) {
                            s.delete(SHARED, name);
                        } else {
                            assertThatThrownBy(() -> s.delete(SHARED, name)).as("delete sees only this tenant's row")
                                    .isInstanceOf(NotFoundException.class);
                        }
                    }
                });
    }

    protected List<Op> taskOps() {
        return List.of(
                (t, w) -> {
                    UUID c = w.pickOwn("conversation", t.id());
                    NewTask task = NewTask.of("shared-kind", Map.of("tenant", t.id()));
                    w.created("task", t.tasks().create(c == null ? task : task.forConversation(c)).id(), t.id());
                },
                (t, w) -> {
                    Optional<ClaimedTask> claim = w.random.nextBoolean() ? t.tasks().claim(Duration.ofMinutes(5))
                            : t.tasks().claim(Duration.ofMinutes(5), Set.of("shared-kind"));
                    claim.ifPresent(c -> {
                        assertThat(c.task().tenantId()).as("claimed task's tenant").isEqualTo(t.id());
                        assertThat(c.task().payload()).containsEntry("tenant", t.id());
                        w.claims.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(c);
                    });
                },
                (t, w) -> {
                    TaskStore s = t.tasks();
                    // Another tenant's claim is useless here.
                    for (Map.Entry<String, List<ClaimedTask>> e : w.claims.entrySet()) {
                        if (!e.getKey().equals(t.id()) && !e.getValue().isEmpty()) {
                            ClaimedTask c = e.getValue().get(w.random.nextInt(e.getValue().size()));
                            // The task is unknown here, exactly as if the claim named no task at all.
                            assertThatThrownBy(() -> s.complete(c, Map.of("hijack", true))).isExactlyInstanceOf(NotFoundException.class);
                            assertThatThrownBy(() -> s.heartbeat(c)).isExactlyInstanceOf(NotFoundException.class);
                            assertThatThrownBy(() -> s.fail(c, "hijack")).isExactlyInstanceOf(NotFoundException.class);
                        }
                    }
                    List<ClaimedTask> mine = w.claims.getOrDefault(t.id(), new ArrayList<>());
                    if (!mine.isEmpty()) {
                        ClaimedTask c = mine.remove(0);
                        assertThat(s.complete(c, Map.of("by", t.id())).tenantId()).isEqualTo(t.id());
                    }
                    UUID foreign = w.pickForeign("task", t.id());
                    likeUnknown("get task", "empty", foreign, s::get);
                    likeUnknown("cancel task", "NotFoundException task taskId", foreign, s::cancel);
                    likeUnknown("completeAsOperator", "NotFoundException task taskId", foreign, id -> s.completeAsOperator(id, Map.of("hijack", true)));
                    likeUnknown("failAsOperator", "NotFoundException task taskId", foreign, id -> s.failAsOperator(id, "hijack"));
                    likeUnknown("requeue", "NotFoundException task taskId", foreign, s::requeue);
                    s.list(dev.atlas.task.TaskQuery.all().kind("shared-kind").limit(1000)).items()
                            .forEach(x -> assertThat(x.tenantId()).as("listed task's tenant").isEqualTo(t.id()));
                    likeUnknown("forConversation", "page of 0", w.pickForeign("conversation", t.id()), s::forConversation);
                    UUID c = w.pickOwn("conversation", t.id());
                    if (c != null) {
                        s.forConversation(c).items().forEach(x -> assertThat(x.tenantId()).isEqualTo(t.id()));
                    }
                });
    }

    protected List<Op> priceOps() {
        // A tenant's prices are marked by their input price: 1 for tenant-a, 2 for tenant-b.
        return List.of(
                (t, w) -> t.prices().create(ModelPrice.of("openai", "gpt-" + w.random.nextInt(3), marker(t.id()), "1",
                        Instant.EPOCH.plusSeconds(w.random.nextInt(1_000_000)))),
                (t, w) -> {
                    for (int i = 0; i < 3; i++) {
                        t.prices().list("openai", "gpt-" + i).forEach(p -> assertThat(p.inputPerMillion()).isEqualByComparingTo(marker(t.id())));
                        t.prices().get("openai", "gpt-" + i, Instant.now()).ifPresent(p -> assertThat(p.inputPerMillion()).isEqualByComparingTo(marker(t.id())));
                    }
                });
    }

    // ---- memories, graph, search, retention -------------------------------------------------

    /** Memory contents carry the words "shared memo" in both tenants, so a text search for them could match either. */
    protected List<Op> memoryOps() {
        return List.of(
                (t, w) -> {
                    NewMemory m = NewMemory.fact(SHARED, "shared memo of " + t.id()).tags("shared-tag");
                    UUID c = w.pickOwn("conversation", t.id());
                    UUID msg = w.pickOwn("message", t.id());
                    // Provenance names a message of the conversation given (else InvalidInputException on messageId).
                    Optional<Message> from = msg == null ? Optional.empty() : t.conversations().getMessage(msg);
                    Memory added = t.memories().create(from.map(x -> m.from(x.conversationId(), x.id())).orElse(c == null ? m : m.from(c, null)));
                    assertThat(added.tenantId()).isEqualTo(t.id());
                    w.created("memory", added.id(), t.id());
                },
                // Rows only retention removes: expired and deleted memories.
                (t, w) -> {
                    // Created live (a memory created already expired is refused), then expired by an update.
                    Memory expired = t.memories().create(NewMemory.fact(SHARED, "shared memo expired"));
                    t.memories().update(expired.id(), MemoryPatch.none().expiresAt(Instant.now().minusSeconds(1)));
                    w.created("goneMemory", expired.id(), t.id());
                    Memory deleted = t.memories().create(NewMemory.fact(SHARED, "shared memo deleted"));
                    t.memories().delete(deleted.id());
                    w.created("goneMemory", deleted.id(), t.id());
                },
                (t, w) -> {
                    MemoryStore s = t.memories();
                    s.list(MemoryQuery.forOwner(SHARED).limit(1000)).items().forEach(m -> {
                        assertThat(m.tenantId()).isEqualTo(t.id());
                        assertThat(w.owns(t.id(), m.id())).as("listed memory is this tenant's").isTrue();
                    });
                    s.list(MemoryQuery.all().tag("shared-tag").limit(1000)).items().forEach(m -> assertThat(w.owns(t.id(), m.id())).isTrue());
                    UUID own = w.pickOwn("memory", t.id());
                    if (own != null) {
                        assertThat(s.update(own, MemoryPatch.content("shared memo of " + t.id() + " v" + w.random.nextInt(1000))).tenantId())
                                .isEqualTo(t.id());
                        s.revisions(own).forEach(r -> assertThat(r.content()).contains(t.id()));
                    }
                    UUID foreign = w.pickForeign("memory", t.id());
                    likeUnknown("get memory", "empty", foreign, s::get);
                    likeUnknown("memory revisions", "NotFoundException memory", foreign, s::revisions);
                    likeUnknown("update memory", "NotFoundException memory", foreign, id -> s.update(id, MemoryPatch.content("hijack")));
                    likeUnknown("delete memory", "NotFoundException memory", foreign, id -> {
                        s.delete(id);
                        return null;
                    });
                });
    }

    /** Both tenants use the same node keys; a node's label names its tenant. */
    protected List<Op> graphOps() {
        return List.of(
                (t, w) -> {
                    MemoryGraph g = t.graph();
                    String from = "node-" + w.random.nextInt(6);
                    String to = "node-" + w.random.nextInt(6);
                    w.created("node", g.upsertNode(NewGraphNode.of(from).label(t.id())).id(), t.id());
                    w.created("node", g.upsertNode(NewGraphNode.of(to).label(t.id())).id(), t.id());
                    GraphEdge e = g.upsertEdge(NewGraphEdge.of(from, "rel-" + w.random.nextInt(2), to).weight(w.random.nextDouble()));
                    w.created("edge", e.id(), t.id());
                    // A key only this tenant has.
                    w.created("node", g.upsertNode(NewGraphNode.of("solo-" + t.id()).label(t.id())).id(), t.id());
                },
                (t, w) -> {
                    MemoryGraph g = t.graph();
                    for (int i = 0; i < 6; i++) {
                        String key = "node-" + i;
                        Optional<GraphNode> n = g.getNode(key);
                        n.ifPresent(x -> assertThat(x.label()).isEqualTo(t.id()));
                        if (n.isPresent()) {
                            for (Direction d : Direction.values()) {
                                g.neighbours(key, d, null).forEach(x -> {
                                    assertThat(x.node().label()).isEqualTo(t.id());
                                    assertThat(w.owns(t.id(), x.edge().id())).as("neighbour edge is this tenant's").isTrue();
                                });
                            }
                            g.traverse(key, Direction.BOTH, null, 10, 1000).forEach(x -> {
                                assertThat(x.node().label()).isEqualTo(t.id());
                                assertThat(w.owns(t.id(), x.node().id())).isTrue();
                            });
                        } else {
                            assertThatThrownBy(() -> g.neighbours(key, Direction.BOTH, null)).isInstanceOf(NotFoundException.class);
                        }
                    }
                    String foreign = "solo-" + otherTenant(t.id());
                    assertThat(g.getNode(foreign)).isEmpty();
                    assertThatThrownBy(() -> g.neighbours(foreign, Direction.BOTH, null)).isInstanceOf(NotFoundException.class);
                    assertThatThrownBy(() -> g.traverse(foreign, Direction.BOTH, null, 3, 10)).isInstanceOf(NotFoundException.class);
                    assertThatThrownBy(() -> g.upsertEdge(NewGraphEdge.of("node-0", "rel-0", foreign))).isInstanceOf(NotFoundException.class);
                    assertThatThrownBy(() -> g.deleteEdge(foreign, "rel-0", "node-0")).isInstanceOf(NotFoundException.class);
                    if (w.random.nextInt(8) == 0) {
                        assertThatThrownBy(() -> g.deleteNode(foreign)).isInstanceOf(NotFoundException.class);
                        String key = "node-" + w.random.nextInt(6);
                        if (g.getNode(key).isPresent()) {
                            g.deleteNode(key);
                            assertThat(g.getNode(key)).isEmpty();
                        } else {
                            assertThatThrownBy(() -> g.deleteNode(key)).isInstanceOf(NotFoundException.class)
                                    .hasMessage("key: graph node " + key + " not found");
                        }
                    }
                });
    }

    /** A tenant's vectors of model iso have 3 dimensions in tenant-a and 4 in tenant-b: dimensions are per tenant. */
    private static float[] vector(String tenant, Random random) {
        float[] v = new float[tenant.equals("tenant-a") ? 3 : 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = 0.1f + random.nextFloat();
        }
        return v;
    }

    protected List<Op> searchOps() {
        return List.of(
                (t, w) -> {
                    Search s = t.search();
                    UUID memory = w.pickOwn("memory", t.id());
                    if (memory != null) {
                        if (w.random.nextBoolean()) {
                            s.upsertVector(SearchTarget.MEMORY, memory, "iso", vector(t.id(), w.random));
                            w.vectorTenants.add(t.id());
                        } else {
                            s.embed(SearchTarget.MEMORY, memory, "iso", text -> {
                                assertThat(text).contains(t.id());
                                return vector(t.id(), w.random);
                            });
                            w.vectorTenants.add(t.id());
                        }
                    }
                    UUID message = w.pickOwn("message", t.id());
                    if (message != null) {
                        s.upsertVector(SearchTarget.MESSAGE, message, "iso", vector(t.id(), w.random));
                        w.vectorTenants.add(t.id());
                    }
                    UUID asset = w.pickOwn("asset", t.id());
                    if (asset != null) {
                        s.upsertAssetVector(asset, w.pickOwn("conversation", t.id()), "iso", vector(t.id(), w.random));
                        w.vectorTenants.add(t.id());
                    }
                },
                (t, w) -> {
                    Search s = t.search();
                    for (SearchTarget target : SearchTarget.values()) {
                        s.similar(SemanticQuery.of(target, "iso", vector(t.id(), w.random)).k(1000)).forEach(hit -> {
                            assertThat(w.owns(t.id(), hit.id())).as("semantic hit is this tenant's").isTrue();
                            if (hit.conversationId() != null) {
                                assertThat(w.owns(otherTenant(t.id()), hit.conversationId())).isFalse();
                            }
                        });
                    }
                    s.text(TextQuery.messages("hello").limit(1000)).forEach(hit -> {
                        assertThat(w.owns(otherTenant(t.id()), hit.id())).isFalse();
                        assertThat(t.conversations().getMessage(hit.id())).as("text hit is this tenant's message").isPresent();
                    });
                    s.text(TextQuery.memories("shared memo").limit(1000)).forEach(hit -> {
                        assertThat(w.owns(t.id(), hit.id())).as("text hit is this tenant's memory").isTrue();
                        assertThat(t.memories().get(hit.id()).orElseThrow().content()).contains(t.id());
                    });
                    UUID foreignConversation = w.pickForeign("conversation", t.id());
                    likeUnknown("text filtered by conversation", "size 0", foreignConversation,
                            c -> s.text(TextQuery.messages("hello").filter(SearchFilter.none().conversation(c))));
                    likeUnknown("similar filtered by conversation", "size 0", foreignConversation,
                            c -> s.similar(SemanticQuery.of(SearchTarget.MESSAGE, "iso", vector(t.id(), w.random)).filter(SearchFilter.none().conversation(c))));
                    // With an own live asset, so the conversation is what gets refused.
                    UUID ownAsset = w.pickOwn("asset", t.id());
                    if (ownAsset != null) {
                        likeUnknown("asset vector with a conversation", "NotFoundException conversation conversationId", foreignConversation, c -> {
                            s.upsertAssetVector(ownAsset, c, "iso", vector(t.id(), w.random));
                            return null;
                        });
                    }
                    UUID foreignMemory = w.pickForeign("memory", t.id());
                    likeUnknown("putVector on a memory", "NotFoundException memory id", foreignMemory, id -> {
                        s.upsertVector(SearchTarget.MEMORY, id, "iso", vector(t.id(), w.random));
                        return null;
                    });
                    likeUnknown("embed a memory", "NotFoundException memory id", foreignMemory, id -> {
                        s.embed(SearchTarget.MEMORY, id, "iso", text -> {
                            throw new AssertionError("embedder saw another tenant's text: " + text);
                        });
                        return null;
                    });
                    likeUnknown("removeVector of a memory", "false", foreignMemory, id -> s.removeVector(SearchTarget.MEMORY, id, "iso"));
                    UUID foreignMessage = w.pickForeign("message", t.id());
                    likeUnknown("putVector on a message", "NotFoundException message id", foreignMessage, id -> {
                        s.upsertVector(SearchTarget.MESSAGE, id, "iso", vector(t.id(), w.random));
                        return null;
                    });
                    likeUnknown("removeVector of a message", "false", foreignMessage, id -> s.removeVector(SearchTarget.MESSAGE, id, "iso"));
                    likeUnknown("removeVector of an asset", "false", w.pickForeign("asset", t.id()), id -> s.removeVector(SearchTarget.ASSET, id, "iso"));
                    int dimension = s.dimension("iso");
                    assertThat(dimension).as("iso dimension of " + t.id())
                            .isEqualTo(w.vectorTenants.contains(t.id()) ? vector(t.id(), w.random).length : 0);
                });
    }

    protected List<Op> retentionOps() {
        return List.of(
                // Work for retention: a soft-deleted message with a vector.
                (t, w) -> {
                    UUID c = w.pickOwn("conversation", t.id());
                    if (c != null) {
                        Message doomed = t.conversations().append(c, NewMessage.user("hello doomed"));
                        t.search().upsertVector(SearchTarget.MESSAGE, doomed.id(), "iso", vector(t.id(), w.random));
                        w.vectorTenants.add(t.id());
                        t.conversations().deleteMessage(doomed.id());
                        w.created("goneMessage", doomed.id(), t.id());
                    }
                    // An archived conversation with a message, a vector and a memory learnt from it: the purge takes all but the memory.
                    Conversation archived = t.conversations().create(NewConversation.of(SHARED, "agent"));
                    Message m = t.conversations().append(archived.id(), NewMessage.user("hello archived"));
                    w.created("archivedMessage", m.id(), t.id());
                    t.search().upsertVector(SearchTarget.MESSAGE, m.id(), "iso", vector(t.id(), w.random));
                    w.vectorTenants.add(t.id());
                    w.created("memory", t.memories().create(NewMemory.fact(SHARED, "shared memo of " + t.id()).from(archived.id(), m.id())).id(), t.id());
                    t.conversations().archive(archived.id());
                    w.created("archivedConversation", archived.id(), t.id());
                },
                (t, w) -> {
                    String other = otherTenant(t.id());
                    String before = tenantDigest(other);
                    RetentionReport report = t.retention().runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofNanos(1000))
                            .purgeArchivedAfter(Duration.ofNanos(1000)).dropExpiredMemories(true).batchSize(1 + w.random.nextInt(3)));
                    assertThat(tenantDigest(other)).as("retention of " + t.id() + " left " + other + " unchanged").isEqualTo(before);
                    assertThat(report.dryRun()).isFalse();
                    // The ids left in each table, read once for all the checks of this run.
                    Map<String, Set<String>> left = new HashMap<>();
                    Function<String, Set<String>> rows = table -> left.computeIfAbsent(table, this::ids);
                    for (UUID gone : w.byKind.getOrDefault("goneMemory", List.of())) {
                        if (!w.owns(t.id(), gone)) {
                            assertThat(rows.apply("memories").contains(gone.toString())).as("another tenant's expired or deleted memory waits for its own retention").isTrue();
                        }
                    }
                    for (UUID gone : w.byKind.getOrDefault("goneMessage", List.of())) {
                        if (!w.owns(t.id(), gone)) {
                            assertThat(rows.apply("messages").contains(gone.toString())).isTrue();
                        }
                    }
                    for (UUID archived : w.byKind.getOrDefault("archivedConversation", List.of())) {
                        assertThat(rows.apply("conversations").contains(archived.toString())).as("purged only in its own tenant's run").isEqualTo(!w.owns(t.id(), archived));
                    }
                    w.byKind.getOrDefault("archivedConversation", new ArrayList<>()).removeIf(id -> w.owns(t.id(), id));
                    // Provenance ids are not foreign keys: memories learnt from a purged conversation stay.
                    for (UUID memory : w.byKind.getOrDefault("memory", List.of())) {
                        if (w.owns(t.id(), memory)) {
                            assertThat(t.memories().get(memory)).as("live memory after retention").isPresent();
                        }
                    }
                    w.byKind.getOrDefault("goneMemory", new ArrayList<>()).removeIf(id -> w.owns(t.id(), id));
                    w.byKind.getOrDefault("goneMessage", new ArrayList<>()).removeIf(id -> w.owns(t.id(), id));
                },
                // An aggressive dry run changes neither tenant.
                (t, w) -> {
                    String a = tenantDigest("tenant-a");
                    String b = tenantDigest("tenant-b");
                    Duration tiny = Duration.ofNanos(1000);
                    t.retention().runRetention(RetentionPolicy.none().deleteMessagesOlderThan(tiny).hardDeleteAfter(tiny)
                            .archiveIdleConversations(tiny).purgeArchivedAfter(tiny).dropExpiredMemories(true).dryRun(true));
                    assertThat(tenantDigest("tenant-a")).isEqualTo(a);
                    assertThat(tenantDigest("tenant-b")).isEqualTo(b);
                });
    }

    private List<String> tenantTables;

    /** A hash of every row of every Atlas table that has a tenant_id, for one tenant. */
    private String tenantDigest(String tenant) {
        try (Connection c = database.dataSource().getConnection()) {
            if (tenantTables == null) {
                List<String> tables = new ArrayList<>();
                try (ResultSet rs = c.getMetaData().getColumns(null, null, "atlas_%", "tenant_id")) {
                    while (rs.next()) {
                        tables.add(rs.getString("TABLE_NAME"));
                    }
                }
                tables.sort(null);
                tenantTables = List.copyOf(tables);
            }
            List<String> tables = tenantTables;
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String table : tables) {
                md.update(table.getBytes(StandardCharsets.UTF_8));
                try (PreparedStatement s = c.prepareStatement("SELECT * FROM " + table + " WHERE tenant_id = ? ORDER BY 1, 2")) {
                    s.setString(1, tenant);
                    try (ResultSet rs = s.executeQuery()) {
                        int n = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            for (int i = 1; i <= n; i++) {
                                md.update(String.valueOf(rs.getString(i)).getBytes(StandardCharsets.UTF_8));
                                md.update((byte) 0);
                            }
                        }
                    }
                }
            }
            assertThat(tables).as("tables with a tenant_id").hasSizeGreaterThan(10);
            return HexFormat.of().formatHex(md.digest());
        } catch (SQLException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The ids of every row still in the table, whatever its state (deleted, expired), lower-cased as
     * {@link UUID#toString()}: one connection and one query for all the ids a check looks up (a new
     * PostgreSQL session per id was most of the walk's time).
     */
    private Set<String> ids(String table) {
        try (Connection c = database.dataSource().getConnection();
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM atlas_" + table)) {
            Set<String> ids = new java.util.HashSet<>();
            while (rs.next()) {
                ids.add(rs.getString(1).toLowerCase(java.util.Locale.ROOT));
            }
            return ids;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String marker(String tenant) {
        return tenant.equals("tenant-a") ? "1" : "2";
    }

    private static String otherTenant(String tenant) {
        return tenant.equals("tenant-a") ? "tenant-b" : "tenant-a";
    }

    @Test
    @DisplayName("600 random interleaved operations over every store from two tenants: no read returns the other tenant's rows, its ids act as unknown, no claim takes its tasks")
    void everyStore() {
        World world = new World(new Random(20261124L));
        String[] tenants = {"tenant-a", "tenant-b"};
        List<Op> ops = operations();
        for (int step = 0; step < 600; step++) {
            Tenant tenant = atlas.tenant(tenants[world.random.nextInt(2)]);
            ops.get(world.random.nextInt(ops.size())).run(tenant, world);
        }
        // Whatever one tenant wrote, deleted or cleaned up, the other's rows are intact.
        for (UUID asset : world.byKind.getOrDefault("asset", List.of())) {
            Tenant owner = atlas.tenant(world.tenantOf.get(asset));
            // The walk deletes no asset of its own, so every one is still there with its bytes.
            assertThat(owner.assets().get(asset)).as("asset " + asset).isPresent();
            try (InputStream in = owner.assets().open(asset)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(owner.id());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (UUID message : world.byKind.getOrDefault("message", List.of())) {
            assertThat(atlas.tenant(world.tenantOf.get(message)).conversations().getMessage(message)).isPresent();
        }
        for (UUID task : world.byKind.getOrDefault("task", List.of())) {
            Task t = atlas.tenant(world.tenantOf.get(task)).tasks().get(task).orElseThrow();
            if (t.result() != null && !t.result().isEmpty()) {
                assertThat(t.result()).containsEntry("by", t.tenantId());
            }
        }
        assertThat(world.byKind.keySet()).contains("conversation", "execution", "asset", "voiceCall", "assistant", "task", "memory", "node");
        assertEveryLikeUnknownExercised();
    }

    // ---- cursors are bound to their tenant ------------------------------------------------

    /** One listing, paged one row at a time: the page after {@code cursor} (null: the first page). */
    @FunctionalInterface
    private interface Listing {
        Page<?> page(Tenant tenant, String cursor);
    }

    /** Rows for every listing: at least two of each, so a first page has a next cursor. Returns acme's parent ids by kind. */
    private Map<String, UUID> seedListings(Tenant t) {
        Map<String, UUID> ids = new HashMap<>();
        Owner owner = Owner.user("pager");
        UUID c = t.conversations().create(NewConversation.of(owner, "agent")).id();
        ids.put("conversation", c);
        t.conversations().create(NewConversation.of(owner, "agent"));
        Message m = t.conversations().append(c, NewMessage.user("hello"));
        ids.put("message", m.id());
        t.conversations().recordEvent(m.id(), dev.atlas.conversation.MessageEventType.app("pager.one"), Map.of());
        t.conversations().recordEvent(m.id(), dev.atlas.conversation.MessageEventType.app("pager.two"), Map.of());
        UUID execution = null;
        for (int i = 0; i < 2; i++) {
            ExecutionHandle e = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c));
            StepHandle step = e.step();
            StepHandle.ToolCallHandle call = step.toolCall("call-" + i, "lookup", "{}");
            call.thread(Owner.user("tool-thread-owner"), "researcher");
            call.complete("ok");
            step.finish("done", FinishReason.STOP);
            e.complete();
            execution = e.id();
            clock.advanceMicros(1);
        }
        ids.put("execution", execution);
        for (int i = 0; i < 2; i++) {
            UUID asset = t.assets().create(NewAsset.of(AssetType.IMAGE, "chart-" + i + ".png", "image/png").execution(execution, null),
                    ("bytes " + i).getBytes(StandardCharsets.UTF_8)).id();
            t.assets().attach(m.id(), asset, Map.of());
            t.tasks().create(NewTask.of("pager-kind", Map.of("i", i)).forConversation(c));
            t.tasks().schedule(dev.atlas.task.NewSchedule.every("schedule-" + i, Duration.ofHours(1), NewTask.of("pager-kind", Map.of())));
            t.voiceCalls().start(NewVoiceCall.of("pager-session", "openai", "gpt-realtime").conversation(c));
            t.assistants().create(AssistantSpec.of("pager-" + i, "Pager " + i));
            t.settings().create("pager-" + i, "Pager " + i, null);
            t.memories().create(NewMemory.fact(owner, "pager memo " + i));
            t.graph().upsertNode(NewGraphNode.of("hub"));
            t.graph().upsertNode(NewGraphNode.of("spoke-" + i));
            t.graph().upsertEdge(NewGraphEdge.of("hub", "rel", "spoke-" + i));
            clock.advanceMicros(1);
        }
        Memory revised = t.memories().create(NewMemory.fact(owner, "pager revised"));
        t.memories().update(revised.id(), MemoryPatch.content("pager revised again"));
        t.memories().update(revised.id(), MemoryPatch.content("pager revised once more"));
        ids.put("memory", revised.id());
        return ids;
    }

    @Test
    @DisplayName("every call naming another tenant's conversation, message, execution, step or tool call acts exactly as an unknown id"
            + " (exception, message, id, field) and leaves the other tenant's rows as they were")
    void foreignIdsInEveryCallActAsUnknownAndChangeNothing() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation gc = globex.conversations().create(NewConversation.of(SHARED, "agent"));
        Message gm = globex.conversations().append(gc.id(), NewMessage.user("globex's question"));
        ExecutionHandle ge = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(gc.id()));
        StepHandle gs = ge.step();
        StepHandle.ToolCallHandle gt = gs.toolCall("call-1", "lookup", "{}");
        Conversation ac = acme.conversations().create(NewConversation.of(SHARED, "agent"));
        Message am = acme.conversations().append(ac.id(), NewMessage.user("acme's question"));
        ExecutionHandle ae = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(ac.id()));
        ConversationStore s = acme.conversations();
        java.util.function.Supplier<String> globexState = () -> String.valueOf(globex.conversations().get(gc.id())) + globex.conversations().history(gc.id())
                + globex.conversations().events(gm.id()).items() + globex.executions().tree(ge.id()) + globex.conversations().unreadCount(gc.id())
                + globex.conversations().toolThreads(gc.id(), 10, null).items() + globex.tasks().forConversation(gc.id()).items();
        String before = globexState.get();
        Map<String, Function<UUID, ?>> byConversation = new java.util.LinkedHashMap<>();
        byConversation.put("updateTitle", c -> s.updateTitle(c, "hijack"));
        byConversation.put("updateSummary", c -> s.updateSummary(c, "hijack"));
        byConversation.put("updateMetadata", c -> s.updateMetadata(c, Map.of("k", "hijack")));
        byConversation.put("updateMetadata expected", c -> s.updateMetadata(c, Map.of(), Map.of("k", "hijack")));
        byConversation.put("archive", s::archive);
        byConversation.put("reopen", s::reopen);
        byConversation.put("close", s::close);
        byConversation.put("delete", c -> {
            s.delete(c);
            return null;
        });
        byConversation.put("restore", s::restore);
        byConversation.put("append", c -> s.append(c, NewMessage.user("hijack")));
        byConversation.put("appendAll", c -> s.appendAll(c, List.of(NewMessage.user("hijack"))));
        byConversation.put("markAllRead", s::markAllRead);
        byConversation.put("unreadCount", s::unreadCount);
        byConversation.put("history limited", c -> s.history(c, 5));
        byConversation.put("historyBefore", c -> s.historyBefore(c, 10, 5));
        byConversation.put("tool thread under it", c -> s.create(NewConversation.of(SHARED, "agent").parent(c, null)));
        byConversation.put("execution in it", c -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c)));
        byConversation.put("voice call in it", c -> acme.voiceCalls().start(NewVoiceCall.of("s", "openai", "gpt-realtime").conversation(c)));
        // Documented as not checked (NewTask#forConversation): accepted with any id, another tenant's as an unknown one.
        byConversation.put("task serving it, unchecked", c -> c.equals(acme.tasks().create(NewTask.of("kind", Map.of()).forConversation(c))
                .conversationId()) ? "the id as given" : "another id");
        byConversation.put("memory from it", c -> acme.memories().create(NewMemory.fact(SHARED, "hijack").from(c, null)));
        Map<String, Function<UUID, ?>> byMessage = new java.util.LinkedHashMap<>();
        byMessage.put("activate", s::activate);
        byMessage.put("updateStatus", m -> s.updateStatus(m, dev.atlas.conversation.MessageStatus.FAILED, "hijack"));
        byMessage.put("markRead", s::markRead);
        byMessage.put("edit", m -> s.edit(m, "hijack"));
        byMessage.put("deleteMessage", m -> {
            s.deleteMessage(m);
            return null;
        });
        byMessage.put("restoreMessage", s::restoreMessage);
        byMessage.put("updateMessageMetadata", m -> s.updateMessageMetadata(m, Map.of("k", "hijack")));
        byMessage.put("recordEvent", m -> s.recordEvent(m, dev.atlas.conversation.MessageEventType.app("hijack"), Map.of()));
        byMessage.put("siblingGroups", s::siblingGroups);
        byMessage.put("answer's parent", m -> s.append(ac.id(), NewMessage.assistant("hijack").parent(m)));
        byMessage.put("task for it", m -> acme.tasks().create(NewTask.of("kind", Map.of()).forMessage(ac.id(), m)));
        byMessage.put("memory from it", m -> acme.memories().create(NewMemory.fact(SHARED, "hijack").from(ac.id(), m)));
        Map<String, Function<UUID, ?>> byExecution = new java.util.LinkedHashMap<>();
        byExecution.put("message of it", e -> s.append(ac.id(), NewMessage.assistant("hijack").execution(e, null)));
        byExecution.put("asset of it", e -> acme.assets().create(NewAsset.of(AssetType.IMAGE, "x.png", "image/png").execution(e, null), new byte[] {1}));
        byExecution.put("voice call of it", e -> acme.voiceCalls().start(NewVoiceCall.of("s", "openai", "gpt-realtime").execution(e)));
        Map<String, Function<UUID, ?>> byStep = new java.util.LinkedHashMap<>();
        byStep.put("message of it", st -> s.append(ac.id(), NewMessage.assistant("hijack").execution(ae.id(), st)));
        Map<String, Function<UUID, ?>> byToolCall = new java.util.LinkedHashMap<>();
        byToolCall.put("tool thread of it", tc -> s.create(NewConversation.of(SHARED, "agent").parent(ac.id(), tc)));
        byToolCall.put("asset of it", tc -> acme.assets().create(NewAsset.of(AssetType.IMAGE, "x.png", "image/png").execution(ae.id(), tc), new byte[] {1}));
        byToolCall.put("memory of it", tc -> acme.memories().create(NewMemory.fact(SHARED, "hijack").toolCall(tc)));
        byToolCall.put("toolThread", s::toolThread);
        Map<String, Map.Entry<UUID, Map<String, Function<UUID, ?>>>> all = new java.util.LinkedHashMap<>();
        all.put("conversation", Map.entry(gc.id(), byConversation));
        all.put("message", Map.entry(gm.id(), byMessage));
        all.put("execution", Map.entry(ge.id(), byExecution));
        all.put("step", Map.entry(gs.id(), byStep));
        all.put("tool call", Map.entry(gt.id(), byToolCall));
        List<String> differ = new ArrayList<>();
        List<String> accepted = new ArrayList<>();
        all.forEach((kind, calls) -> calls.getValue().forEach((name, call) -> {
            UUID unknown = UUID.randomUUID();
            String asUnknown = detail(() -> call.apply(unknown), unknown);
            String asForeign = detail(() -> call.apply(calls.getKey()), calls.getKey());
            if (!asUnknown.equals(asForeign)) {
                differ.add(kind + " " + name + ": unknown id -> " + asUnknown + " but another tenant's -> " + asForeign);
            }
            if (!asForeign.contains("Exception") && !asForeign.equals("empty") && !asForeign.startsWith("size 0")
                    && !asForeign.startsWith("page of 0") && !asForeign.equals("0") && !asForeign.equals("the id as given")) {
                accepted.add(kind + " " + name + " -> " + asForeign);
            }
        }));
        assertThat(differ).as("calls telling another tenant's id from an unknown one").isEmpty();
        assertThat(accepted).as("calls that accepted another tenant's id").isEmpty();
        assertThat(globexState.get()).as("globex's rows after acme's calls").isEqualTo(before);
        assertThat(s.history(ac.id())).extracting(Message::id).containsExactly(am.id());
    }

    @Test
    @DisplayName("every listing's cursor is bound to its tenant: acme's next cursor pages on in acme and is refused on cursor by globex's same listing, naming nothing of acme")
    void cursorOfAnotherTenantIsRefusedByEveryListing() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Map<String, UUID> ids = seedListings(acme);
        seedListings(globex);
        Owner owner = Owner.user("pager");
        UUID c = ids.get("conversation");
        Map<String, Listing> listings = new java.util.LinkedHashMap<>();
        listings.put("conversations.list", (t, k) -> t.conversations().list(ConversationQuery.forOwner(owner).limit(1).after(k)));
        listings.put("conversations.toolThreads", (t, k) -> t.conversations().toolThreads(c, 1, k));
        listings.put("conversations.events", (t, k) -> t.conversations().events(
                dev.atlas.conversation.MessageEventQuery.forMessage(ids.get("message")).limit(1).after(k)));
        listings.put("conversations.events(conversation)", (t, k) -> t.conversations().events(
                dev.atlas.conversation.ConversationEventQuery.forConversation(c).limit(1).after(k)));
        listings.put("executions.list", (t, k) -> t.executions().list(ExecutionQuery.all().limit(1).after(k)));
        listings.put("executions.toolCalls", (t, k) -> t.executions().toolCalls(dev.atlas.execution.ToolCallQuery.forTool("lookup").limit(1).after(k)));
        listings.put("tasks.list", (t, k) -> t.tasks().list(dev.atlas.task.TaskQuery.all().limit(1).after(k)));
        listings.put("tasks.forConversation", (t, k) -> t.tasks().forConversation(c, 1, k));
        listings.put("tasks.schedules", (t, k) -> t.tasks().schedules(1, k));
        listings.put("voiceCalls.list", (t, k) -> t.voiceCalls().list(dev.atlas.voice.VoiceCallQuery.all().limit(1).after(k)));
        listings.put("voiceCalls.byConversation", (t, k) -> t.voiceCalls().byConversation(c, 1, k));
        listings.put("voiceCalls.bySession", (t, k) -> t.voiceCalls().bySession("pager-session", 1, k));
        listings.put("assets.byExecution", (t, k) -> t.assets().byExecution(ids.get("execution"), 1, k));
        listings.put("assets.forMessage", (t, k) -> t.assets().forMessage(ids.get("message"), 1, k));
        listings.put("assistants.list", (t, k) -> t.assistants().list(1, k));
        listings.put("assistants.list(query)", (t, k) -> t.assistants().list(dev.atlas.assistant.AssistantQuery.all().limit(1).after(k)));
        listings.put("settings.list", (t, k) -> t.settings().list(null, 1, k));
        listings.put("memories.list", (t, k) -> t.memories().list(MemoryQuery.forOwner(owner).limit(1).after(k)));
        listings.put("memories.revisions", (t, k) -> t.memories().revisions(ids.get("memory"), 1, k));
        listings.put("search.text", (t, k) -> t.search().text(TextQuery.memories("pager").limit(1), k));
        listings.put("graph.neighbours", (t, k) -> t.graph().neighbours("hub", Direction.OUTGOING, null, 1, k));
        List<String> accepted = new ArrayList<>();
        listings.forEach((name, listing) -> {
            Page<?> first = listing.page(acme, null);
            String cursor = first.nextCursor().orElseThrow(() -> new AssertionError(name + ": no second page in acme"));
            Page<?> second = listing.page(acme, cursor);
            assertThat(second.items()).as(name + ": acme's cursor pages on in acme").hasSize(1);
            assertThat(second.items().get(0)).as(name + ": the second page is another row").isNotEqualTo(first.items().get(0));
            // The same call in globex, parent ids included (globex's own would differ in filter
            // anyway): refused on the cursor, exactly as with an id globex never had.
            try {
                Page<?> foreign = listing.page(globex, cursor);
                accepted.add(name + ": page of " + foreign.items().size());
            } catch (dev.atlas.InvalidInputException e) {
                assertThat(e.field()).as(name + ": refused field").isEqualTo("cursor");
                assertThat(e.getMessage()).as(name + ": refusal message").doesNotContain("acme");
            } catch (AtlasException e) {
                accepted.add(name + ": " + e.getClass().getSimpleName());
            }
        });
        assertThat(accepted).as("listings of globex that read acme's cursor instead of refusing it on cursor").isEmpty();
    }

    // ---- full-text scores (issue 10 item 8) ---------------------------------------------------

    private static final List<String> SCORE_QUERIES = List.of("invoice", "invoice overdue", "refund", "overdue payment reminder",
            "zebra", "invoice 42");

    /** Every full-text hit list (ids, conversations, exact scores, snippets) for {@link #SCORE_QUERIES}, messages then memories. */
    private static List<List<dev.atlas.search.SearchHit>> textHits(Tenant t) {
        List<List<dev.atlas.search.SearchHit>> all = new ArrayList<>();
        for (String q : SCORE_QUERIES) {
            all.add(t.search().text(TextQuery.messages(q).limit(100)));
            all.add(t.search().text(TextQuery.memories(q).limit(100)));
        }
        return all;
    }

    @Test
    @DisplayName("a tenant's full-text hits, order, scores and snippets are identical whatever another tenant stores, with the same words or others")
    void textScoresIgnoreOtherTenants() {
        Tenant a = atlas.tenant("tenant-a");
        ConversationStore store = a.conversations();
        UUID c = store.create(NewConversation.of(SHARED)).id();
        String[] texts = {"invoice 42 is overdue", "refund for invoice 42, invoice 43 and invoice 44", "a payment reminder for the overdue invoice",
                "nothing relevant here", "refund refund refund", "the zebra crossing"};
        for (String text : texts) {
            store.append(c, NewMessage.user(text));
            a.memories().create(NewMemory.fact(SHARED, text));
        }
        List<List<dev.atlas.search.SearchHit>> before = textHits(a);
        assertThat(before.get(0)).hasSize(3);
        assertThat(before.get(1)).hasSize(3);
        assertThat(before.get(0).get(0).score()).isPositive();

        // Another tenant writes many rows: the same words (which would shift corpus-wide document
        // frequencies and lengths), words tenant-a never used, and much longer documents.
        Tenant b = atlas.tenant("tenant-b");
        UUID bc = b.conversations().create(NewConversation.of(SHARED)).id();
        Random random = new Random(7);
        String[] words = {"invoice", "overdue", "refund", "payment", "reminder", "42", "zebra", "quokka", "lorem", "ipsum"};
        for (int i = 0; i < 150; i++) {
            StringBuilder text = new StringBuilder();
            for (int n = 1 + random.nextInt(40); n > 0; n--) {
                text.append(words[random.nextInt(words.length)]).append(' ');
            }
            b.conversations().append(bc, NewMessage.user(text.toString()));
            b.memories().create(NewMemory.fact(SHARED, text.toString()));
        }
        assertThat(b.search().text(TextQuery.messages("invoice").limit(1000))).hasSizeGreaterThan(3);
        assertThat(textHits(a)).isEqualTo(before);

        // And when that tenant deletes them all again.
        b.conversations().delete(bc);
        b.memories().list(MemoryQuery.forOwner(SHARED).limit(1000)).items().forEach(m -> b.memories().delete(m.id()));
        assertThat(textHits(a)).isEqualTo(before);
    }
}
