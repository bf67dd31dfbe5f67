package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.jdbi.kit.TestKeys;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.Search;
import dev.atlas.search.SearchTarget;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user migrating a 0.1 agent application onto this Atlas and operating it: code written
 * against the 0.1 names (docs/api.md, "Renamed methods"), values built with the constructors from
 * before each addition ("Additions to the frozen API"), a metrics decorator of a store, and two
 * instances on one database.
 */
@SuppressWarnings("removal")
public abstract class Newcomer13Contract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");

    protected Newcomer13Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected dev.atlas.AtlasBuilder configure(dev.atlas.AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", TestKeys.key("newcomer13")));
    }

    /** What a call did, for comparing an old name with its new one: the value, or the exception's class and message. */
    private static Object outcome(java.util.function.Supplier<?> call) {
        try {
            return call.get();
        } catch (RuntimeException x) {
            return x.getClass().getSimpleName() + ": " + x.getMessage();
        }
    }

    /** A NotFoundException's message with the id asked for taken out: another tenant's id must be worded as an unknown one. */
    private static String notFound(UUID id, Runnable call) {
        Throwable x = catchThrowable(call::run);
        assertThat(x).isInstanceOf(NotFoundException.class);
        return x.getMessage().replace(id.toString(), "<id>");
    }

    @Test
    @DisplayName("0.1 names (docs/api.md 'Renamed methods', every row) return what the new names return, on own, unknown and another tenant's ids alike; the new require methods word another tenant's id exactly as an unknown one")
    void zeroOneNamesBehaveAsTheNewNames() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        UUID unknown = UUID.randomUUID();

        // ConversationStore: message(id) -> getMessage(id); new requireMessage(id).
        ConversationStore conversations = acme.conversations();
        Conversation c = conversations.create(NewConversation.of(ALICE));
        Message hi = conversations.append(c.id(), NewMessage.user("hi"));
        Conversation gc = globex.conversations().create(NewConversation.of(ALICE));
        Message theirs = globex.conversations().append(gc.id(), NewMessage.user("theirs"));
        assertThat(conversations.message(hi.id())).isEqualTo(conversations.getMessage(hi.id())).contains(hi);
        assertThat(conversations.message(theirs.id())).isEqualTo(conversations.getMessage(theirs.id())).isEmpty();
        assertThat(conversations.requireMessage(hi.id())).isEqualTo(hi);
        assertThat(notFound(theirs.id(), () -> conversations.requireMessage(theirs.id())))
                .isEqualTo(notFound(unknown, () -> conversations.requireMessage(unknown)));

        // MemoryStore: add(NewMemory) -> create(NewMemory), the same idempotency by clientKey.
        MemoryStore memories = acme.memories();
        Memory added = memories.add(NewMemory.fact(ALICE, "likes tea").clientKey("m-1"));
        assertThat(memories.create(NewMemory.fact(ALICE, "likes tea").clientKey("m-1"))).isEqualTo(added);
        assertThat(memories.add(NewMemory.fact(ALICE, "likes tea").clientKey("m-1"))).isEqualTo(added);
        assertThat(memories.require(added.id()).content()).isEqualTo("likes tea");

        // TaskStore: enqueue / enqueueAll -> create / createAll; new require(id).
        TaskStore tasks = acme.tasks();
        Task one = tasks.enqueue(NewTask.of("report", Map.of("n", 1)).clientKey("t-1"));
        assertThat(tasks.create(NewTask.of("report", Map.of("n", 1)).clientKey("t-1"))).isEqualTo(one);
        List<Task> two = tasks.enqueueAll(List.of(NewTask.of("mail", Map.of()), NewTask.of("report", Map.of("n", 1)).clientKey("t-1")));
        assertThat(two).hasSize(2);
        assertThat(two.get(1)).isEqualTo(one);
        assertThat(tasks.require(two.get(0).id())).isEqualTo(two.get(0));
        Task theirTask = globex.tasks().create(NewTask.of("report", Map.of()));
        assertThat(notFound(theirTask.id(), () -> tasks.require(theirTask.id()))).isEqualTo(notFound(unknown, () -> tasks.require(unknown)));

        // AssetStore: store(NewAsset, bytes | stream) -> create(..); new require(id).
        AssetStore assets = acme.assets();
        byte[] bytes = "%PDF-1".getBytes(StandardCharsets.UTF_8);
        Asset stored = assets.store(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf").clientKey("a-1"), bytes);
        assertThat(assets.create(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf").clientKey("a-1"), bytes)).isEqualTo(stored);
        assertThat(assets.store(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf").clientKey("a-1"), new ByteArrayInputStream(bytes)))
                .isEqualTo(stored);
        assertThat(assets.require(stored.id())).isEqualTo(stored);
        Asset theirAsset = globex.assets().create(NewAsset.of(AssetType.DOCUMENT, "b.pdf", "application/pdf"), bytes);
        assertThat(notFound(theirAsset.id(), () -> assets.require(theirAsset.id()))).isEqualTo(notFound(unknown, () -> assets.require(unknown)));

        // AssistantStore: findBySlug, revision(id, n), revision(revisionId), history(id) -> getBySlug, getRevision, revisions.
        AssistantStore assistants = acme.assistants();
        Assistant support = assistants.create(AssistantSpec.of("support", "Support"));
        AssistantRevision r1 = assistants.publish(support.id(), NewRevision.of("Be brief.", Map.of()));
        AssistantRevision r2 = assistants.publish(support.id(), NewRevision.of("Be kind.", Map.of()));
        Assistant theirAssistant = globex.assistants().create(AssistantSpec.of("support", "Support"));
        AssistantRevision theirRevision = globex.assistants().publish(theirAssistant.id(), NewRevision.of("Theirs.", Map.of()));
        assertThat(assistants.findBySlug("support")).isEqualTo(assistants.getBySlug("support"));
        assertThat(assistants.findBySlug("support").orElseThrow().id()).isEqualTo(support.id());
        assertThat(assistants.findBySlug("nobody")).isEmpty();
        assertThat(assistants.revision(support.id(), 2)).isEqualTo(assistants.getRevision(support.id(), 2)).contains(r2);
        assertThat(assistants.revision(support.id(), 3)).isEmpty();
        assertThat(assistants.revision(theirAssistant.id(), 1)).isEmpty();
        assertThat(assistants.revision(r1.id())).isEqualTo(assistants.getRevision(r1.id())).contains(r1);
        assertThat(assistants.revision(theirRevision.id())).isEmpty();
        assertThat(assistants.history(support.id())).isEqualTo(assistants.revisions(support.id())).containsExactly(r1, r2);
        assertThat(outcome(() -> assistants.history(theirAssistant.id()))).isEqualTo(outcome(() -> assistants.revisions(theirAssistant.id())))
                .isEqualTo(outcome(() -> assistants.history(unknown)).toString().replace(unknown.toString(), theirAssistant.id().toString()))
                .isEqualTo("NotFoundException: assistant " + theirAssistant.id() + " not found");
        assertThat(notFound(theirAssistant.id(), () -> assistants.require(theirAssistant.id())))
                .isEqualTo(notFound(unknown, () -> assistants.require(unknown)));

        // CredentialStore: put -> upsert; new require(owner, name).
        CredentialStore credentials = acme.credentials();
        var put = credentials.put(ALICE, "github", "ghp_1");
        assertThat(put.name()).isEqualTo("github");
        clock.advanceMicros(1000);
        var replaced = credentials.upsert(ALICE, "github", "ghp_2");
        assertThat(replaced.createdAt()).isEqualTo(put.createdAt());
        assertThat(credentials.put(ALICE, "github", "ghp_3").createdAt()).isEqualTo(put.createdAt());
        assertThat(credentials.require(ALICE, "github").reveal()).isEqualTo("ghp_3");
        globex.credentials().upsert(ALICE, "slack", "xoxb");
        assertThat(outcome(() -> credentials.require(ALICE, "slack"))).isEqualTo(outcome(() -> credentials.require(ALICE, "nothing")).toString()
                .replace("nothing", "slack")).isEqualTo("NotFoundException: name: credential slack not found");

        // MemoryGraph: node(key) -> getNode(key); new requireNode(key).
        MemoryGraph graph = acme.graph();
        var alice = graph.upsertNode(NewGraphNode.of("alice"));
        globex.graph().upsertNode(NewGraphNode.of("bob"));
        assertThat(graph.node("alice")).isEqualTo(graph.getNode("alice")).contains(alice);
        assertThat(graph.node("bob")).isEqualTo(graph.getNode("bob")).isEmpty();
        assertThat(graph.requireNode("alice")).isEqualTo(alice);
        assertThat(outcome(() -> graph.requireNode("bob"))).isEqualTo(outcome(() -> graph.requireNode("carol")).toString().replace("carol", "bob"))
                .isEqualTo("NotFoundException: key: graph node bob not found");

        // PriceStore: set, at, history -> create, get, list.
        PriceStore prices = acme.prices();
        Instant t0 = clock.instant();
        ModelPrice p1 = prices.set(ModelPrice.of("openai", "gpt-4o", "2.5", "10", t0));
        ModelPrice p2 = prices.create(ModelPrice.of("openai", "gpt-4o", "2", "8", t0.plusSeconds(60)));
        globex.prices().create(ModelPrice.of("openai", "gpt-4o", "9", "9", t0.minusSeconds(60)));
        assertThat(prices.at("openai", "gpt-4o", t0.plusSeconds(30))).isEqualTo(prices.get("openai", "gpt-4o", t0.plusSeconds(30))).contains(p1);
        assertThat(prices.at("openai", "gpt-4o", t0.minusSeconds(30))).isEmpty();
        assertThat(prices.history("openai", "gpt-4o")).isEqualTo(prices.list("openai", "gpt-4o")).containsExactly(p1, p2);

        // Search: putVector, putAssetVector, removeVector -> upsertVector, upsertAssetVector, deleteVector.
        Search search = acme.search();
        search.putVector(SearchTarget.MEMORY, added.id(), "emb", new float[] {1, 0});
        search.putAssetVector(stored.id(), null, "emb", new float[] {0, 1});
        Memory theirMemory = globex.memories().create(NewMemory.fact(ALICE, "theirs"));
        globex.search().upsertVector(SearchTarget.MEMORY, theirMemory.id(), "emb", new float[] {1, 0});
        assertThat(search.removeVector(SearchTarget.MEMORY, added.id(), "emb")).isTrue();
        assertThat(search.removeVector(SearchTarget.MEMORY, added.id(), "emb")).isFalse();
        assertThat(search.removeVector(SearchTarget.MEMORY, theirMemory.id(), "emb")).isFalse();
        assertThat(search.removeVector(SearchTarget.MEMORY, unknown, "emb")).isFalse();
        assertThat(search.removeVector(SearchTarget.ASSET, stored.id(), "emb")).isTrue();
        assertThat(notFound(theirMemory.id(), () -> search.deleteVector(SearchTarget.MEMORY, theirMemory.id(), "emb")))
                .isEqualTo(notFound(unknown, () -> search.deleteVector(SearchTarget.MEMORY, unknown, "emb")));
        // globex's vector is untouched by acme's removeVector.
        globex.search().deleteVector(SearchTarget.MEMORY, theirMemory.id(), "emb");

        // VoiceCallStore: new require(id).
        var call = globex.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("rt_1", "openai", "gpt-realtime"));
        assertThat(notFound(call.id(), () -> acme.voiceCalls().require(call.id())))
                .isEqualTo(notFound(unknown, () -> acme.voiceCalls().require(unknown)));
    }

    @Test
    @DisplayName("The three deletes that returned boolean in 0.1 (CredentialStore.delete, MemoryGraph.deleteNode, deleteEdge) compile unchanged where the result was ignored, but a row that is not there, which returned false, is now NotFoundException: 0.1 code deleting twice must catch it")
    void zeroOneBooleanDeletesNowThrowForMissingRows() {
        Tenant acme = atlas.tenant("acme");
        acme.credentials().upsert(ALICE, "github", "ghp_1");
        acme.credentials().delete(ALICE, "github");
        assertThatThrownBy(() -> acme.credentials().delete(ALICE, "github")).isInstanceOf(NotFoundException.class)
                .hasMessage("name: credential github not found");
        MemoryGraph graph = acme.graph();
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        graph.upsertEdge(NewGraphEdge.of("a", "knows", "b"));
        graph.deleteEdge("a", "knows", "b");
        assertThatThrownBy(() -> graph.deleteEdge("a", "knows", "b")).isInstanceOf(NotFoundException.class)
                .hasMessage("sourceKey: graph edge a -knows-> b not found");
        graph.deleteNode("a");
        assertThatThrownBy(() -> graph.deleteNode("a")).isInstanceOf(NotFoundException.class).hasMessage("key: graph node a not found");
    }

    @Test
    @DisplayName("closing one of two instances on one database while the other writes: the other's writes all land, numbered without gaps, and the closed one's stores (obtained before) refuse with AtlasClosedException")
    void twoInstancesOneClosesWhileTheOtherWrites() throws Exception {
        Atlas web = atlas;
        // A second process: on SQLite its own pool on the same file, as a second JVM opens it.
        java.nio.file.Path file = web.config().sqliteFile();
        Atlas worker = file != null ? Atlas.builder().sqlite(file).clock(clock).build() : reopen(b -> b.clock(clock));
        try {
        ConversationStore webConversations = web.tenant("acme").conversations();
        ConversationStore workerConversations = worker.tenant("acme").conversations();
        Conversation c = webConversations.create(NewConversation.of(ALICE));
        webConversations.append(c.id(), NewMessage.user("from web"));
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var writes = pool.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    workerConversations.append(c.id(), NewMessage.assistant("from worker " + i));
                    started.countDown();
                }
                return null;
            });
            // Bounded only so that a worker failing on its first append reports its exception (writes.get()) instead of hanging.
            started.await(30, java.util.concurrent.TimeUnit.SECONDS);
            web.close();
            writes.get();
        } finally {
            pool.shutdown();
        }
        assertThatThrownBy(() -> webConversations.append(c.id(), NewMessage.user("late"))).isInstanceOf(AtlasClosedException.class);
        assertThatThrownBy(() -> webConversations.history(c.id())).isInstanceOf(AtlasClosedException.class);
        List<Message> history = workerConversations.history(c.id(), 100);
        assertThat(history).extracting(Message::sequence).containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 21).boxed().toList());
        assertThat(history.get(20).content()).isEqualTo("from worker 19");
        assertThat(workerConversations.append(c.id(), NewMessage.user("after close")).sequence()).isEqualTo(22);
        } finally {
            if (file != null) {
                worker.close();
            }
        }
    }

    /** Whether {@code type} declares {@code name(params)} as a default (true) or abstract (false) method. */
    private static boolean isDefault(Class<?> type, String name, Class<?>... params) {
        try {
            return type.getMethod(name, params).isDefault();
        } catch (NoSuchMethodException e) {
            throw new AssertionError(type.getSimpleName() + "." + name + " is missing", e);
        }
    }

    @Test
    @DisplayName("what a class implementing a store must write: the new names of 'Renamed methods' are abstract and the 0.1 names default (require… too), and of 'Additions to the frozen API' only TaskStore.requeue(id) and Retention's stop overloads are default (docs/api.md)")
    void abstractAndDefaultMethodsAreThoseTheDocsName() {
        Class<?> u = UUID.class;
        Class<?> s = String.class;
        // 0.1 names: defaults delegating; the new names: abstract, except the require methods and create(asset, byte[]).
        record M(Class<?> type, String name, boolean isDefault, Class<?>... params) { }
        List<M> methods = List.of(
                new M(ConversationStore.class, "message", true, u), new M(ConversationStore.class, "getMessage", false, u),
                new M(ConversationStore.class, "requireMessage", true, u),
                new M(MemoryStore.class, "add", true, NewMemory.class), new M(MemoryStore.class, "create", false, NewMemory.class),
                new M(TaskStore.class, "enqueue", true, NewTask.class), new M(TaskStore.class, "create", false, NewTask.class),
                new M(TaskStore.class, "enqueueAll", true, List.class), new M(TaskStore.class, "createAll", false, List.class),
                new M(TaskStore.class, "require", true, u),
                new M(AssetStore.class, "store", true, NewAsset.class, java.io.InputStream.class),
                new M(AssetStore.class, "store", true, NewAsset.class, byte[].class),
                new M(AssetStore.class, "create", false, NewAsset.class, java.io.InputStream.class),
                new M(AssetStore.class, "create", true, NewAsset.class, byte[].class), new M(AssetStore.class, "require", true, u),
                new M(AssistantStore.class, "findBySlug", true, s), new M(AssistantStore.class, "getBySlug", false, s),
                new M(AssistantStore.class, "revision", true, u, int.class), new M(AssistantStore.class, "getRevision", false, u, int.class),
                new M(AssistantStore.class, "revision", true, u), new M(AssistantStore.class, "getRevision", false, u),
                new M(AssistantStore.class, "history", true, u), new M(AssistantStore.class, "revisions", false, u),
                new M(AssistantStore.class, "require", true, u),
                new M(CredentialStore.class, "put", true, Owner.class, s, s), new M(CredentialStore.class, "upsert", false, Owner.class, s, s),
                new M(CredentialStore.class, "delete", false, Owner.class, s), new M(CredentialStore.class, "require", true, Owner.class, s),
                new M(MemoryGraph.class, "node", true, s), new M(MemoryGraph.class, "getNode", false, s),
                new M(MemoryGraph.class, "deleteNode", false, s), new M(MemoryGraph.class, "deleteEdge", false, s, s, s),
                new M(MemoryGraph.class, "requireNode", true, s),
                new M(PriceStore.class, "set", true, ModelPrice.class), new M(PriceStore.class, "create", false, ModelPrice.class),
                new M(PriceStore.class, "at", true, s, s, Instant.class), new M(PriceStore.class, "get", false, s, s, Instant.class),
                new M(PriceStore.class, "history", true, s, s), new M(PriceStore.class, "list", false, s, s),
                new M(Search.class, "putVector", true, SearchTarget.class, u, s, float[].class),
                new M(Search.class, "upsertVector", false, SearchTarget.class, u, s, float[].class),
                new M(Search.class, "putAssetVector", true, u, u, s, float[].class),
                new M(Search.class, "upsertAssetVector", false, u, u, s, float[].class),
                new M(Search.class, "removeVector", true, SearchTarget.class, u, s),
                new M(Search.class, "deleteVector", false, SearchTarget.class, u, s),
                new M(dev.atlas.voice.VoiceCallStore.class, "require", true, u),
                // Additions to the frozen API.
                new M(TaskStore.class, "requeue", true, u), new M(TaskStore.class, "requeue", false, u, Instant.class),
                new M(AssistantStore.class, "update", false, u, AssistantSpec.class, int.class),
                new M(AssetStore.class, "getBySha256", false, s), new M(AssetStore.class, "byExecution", false, u, int.class, s),
                new M(AssetStore.class, "getAll", false, List.class),
                new M(dev.atlas.execution.ExecutionRecorder.class, "dailyUsageReport", false, dev.atlas.execution.UsageGroup.class,
                        java.time.LocalDate.class, java.time.LocalDate.class, java.time.ZoneId.class),
                new M(Search.class, "text", false, dev.atlas.search.TextQuery.class, s),
                new M(CredentialStore.class, "list", false, Owner.class, int.class, s),
                new M(AssistantStore.class, "revisions", false, u, int.class, s),
                new M(dev.atlas.assistant.SettingsStore.class, "revisions", false, u, int.class, s),
                new M(dev.atlas.assistant.SettingsStore.class, "rename", false, dev.atlas.assistant.Settings.class, s, s),
                new M(dev.atlas.retention.Retention.class, "runRetention", true, dev.atlas.retention.RetentionPolicy.class,
                        java.util.function.BooleanSupplier.class),
                new M(dev.atlas.retention.Retention.class, "runExclusive", true, dev.atlas.retention.RetentionPolicy.class,
                        java.time.Duration.class, java.util.function.BooleanSupplier.class));
        for (M m : methods) {
            assertThat(isDefault(m.type(), m.name(), m.params())).as(m.type().getSimpleName() + "." + m.name() + List.of(m.params()))
                    .isEqualTo(m.isDefault());
        }
    }

    /**
     * A user's metrics decorator, written as docs/api.md advises: it forwards every abstract method
     * (the compiler lists them) and inherits the defaults, so the 0.1 names and requeue(id) reach
     * the forwarded new names and are counted there.
     */
    static final class CountingTaskStore implements TaskStore {
        final TaskStore delegate;
        final Map<String, Integer> calls = new java.util.concurrent.ConcurrentSkipListMap<>();
        /** What the worker finished, in order, once the store has returned: "complete <n>", "fail <n>". */
        final java.util.concurrent.BlockingQueue<String> finished = new java.util.concurrent.LinkedBlockingQueue<>();

        CountingTaskStore(TaskStore delegate) {
            this.delegate = delegate;
        }

        private <T> T count(String name, java.util.function.Supplier<T> call) {
            calls.merge(name, 1, Integer::sum);
            return call.get();
        }

        @Override public Task create(NewTask task) { return count("create", () -> delegate.create(task)); }
        @Override public List<Task> createAll(List<NewTask> tasks) { return count("createAll", () -> delegate.createAll(tasks)); }
        @Override public java.util.Optional<Task> get(UUID taskId) { return count("get", () -> delegate.get(taskId)); }
        @Override public dev.atlas.Page<Task> forConversation(UUID conversationId, int limit, String cursor) {
            return count("forConversation", () -> delegate.forConversation(conversationId, limit, cursor));
        }
        @Override public dev.atlas.Page<Task> list(dev.atlas.task.TaskQuery query) { return count("list", () -> delegate.list(query)); }
        @Override public java.util.Optional<dev.atlas.task.ClaimedTask> claim(java.time.Duration lease) {
            return count("claim", () -> delegate.claim(lease));
        }
        @Override public java.util.Optional<dev.atlas.task.ClaimedTask> claim(java.time.Duration lease, java.util.Set<String> kinds) {
            return count("claim", () -> delegate.claim(lease, kinds));
        }
        @Override public dev.atlas.task.ClaimedTask heartbeat(dev.atlas.task.ClaimedTask claim) { return count("heartbeat", () -> delegate.heartbeat(claim)); }
        @Override public Task complete(dev.atlas.task.ClaimedTask claim, Map<String, ?> result) {
            return finished("complete", count("complete", () -> delegate.complete(claim, result)));
        }
        @Override public Task fail(dev.atlas.task.ClaimedTask claim, String error) {
            return finished("fail", count("fail", () -> delegate.fail(claim, error)));
        }
        @Override public Task fail(dev.atlas.task.ClaimedTask claim, String error, Instant retryAt) {
            return finished("fail", count("fail", () -> delegate.fail(claim, error, retryAt)));
        }

        private Task finished(String what, Task task) {
            finished.add(what + " " + task.payload().get("n") + " " + task.status().name());
            return task;
        }
        @Override public Task release(dev.atlas.task.ClaimedTask claim) { return count("release", () -> delegate.release(claim)); }
        @Override public Task cancel(UUID taskId) { return count("cancel", () -> delegate.cancel(taskId)); }
        @Override public Task completeAsOperator(UUID taskId, Map<String, ?> result) {
            return count("completeAsOperator", () -> delegate.completeAsOperator(taskId, result));
        }
        @Override public Task failAsOperator(UUID taskId, String error) { return count("failAsOperator", () -> delegate.failAsOperator(taskId, error)); }
        @Override public Task requeue(UUID taskId, Instant runAfter) { return count("requeue", () -> delegate.requeue(taskId, runAfter)); }
        @Override public dev.atlas.task.TaskSchedule schedule(dev.atlas.task.NewSchedule schedule) { return count("schedule", () -> delegate.schedule(schedule)); }
        @Override public java.util.Optional<dev.atlas.task.TaskSchedule> getSchedule(String name) { return count("getSchedule", () -> delegate.getSchedule(name)); }
        @Override public dev.atlas.Page<dev.atlas.task.TaskSchedule> schedules(int limit, String cursor) {
            return count("schedules", () -> delegate.schedules(limit, cursor));
        }
        @Override public dev.atlas.task.TaskSchedule pauseSchedule(String name) { return count("pauseSchedule", () -> delegate.pauseSchedule(name)); }
        @Override public dev.atlas.task.TaskSchedule resumeSchedule(String name) { return count("resumeSchedule", () -> delegate.resumeSchedule(name)); }
        @Override public void deleteSchedule(String name) { count("deleteSchedule", () -> { delegate.deleteSchedule(name); return null; }); }
        @Override public List<Task> enqueueScheduled() { return count("enqueueScheduled", delegate::enqueueScheduled); }
    }

    @Test
    @DisplayName("a metrics decorator of TaskStore forwarding only the abstract methods: 0.1's enqueue, require and requeue(id) go through its forwarded methods, and a TaskWorker built on it claims and completes through it")
    void taskStoreDecoratorDrivesAWorker() throws Exception {
        CountingTaskStore tasks = new CountingTaskStore(atlas.tenant("acme").tasks());
        Task first = tasks.enqueue(NewTask.of("report", Map.of("n", 1)).maxAttempts(1));
        Task second = tasks.enqueue(NewTask.of("report", Map.of("n", 2)));
        assertThat(tasks.require(first.id())).isEqualTo(first);
        assertThat(tasks.calls).containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("create", 2, "get", 1)));

        // The first fails for good (one attempt), is requeued through the decorator's requeue(id), then completes.
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        dev.atlas.task.TaskWorker worker = dev.atlas.task.TaskWorker.builder(tasks).pollInterval(java.time.Duration.ofMillis(10))
                .concurrency(1).handler("report", t -> {
                    if (t.id().equals(first.id()) && failOnce.getAndSet(false)) {
                        throw new IllegalStateException("upstream down");
                    }
                    return Map.of("n", t.payload().get("n"));
                }).start();
        List<String> outcomes = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                outcomes.add(tasks.finished.poll(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(outcomes).containsExactlyInAnyOrder("fail 1 FAILED", "complete 2 COMPLETED");
            Task requeued = tasks.requeue(first.id());
            assertThat(requeued.status()).isEqualTo(dev.atlas.task.TaskStatus.PENDING);
            assertThat(requeued.attempts()).isZero();
            assertThat(tasks.finished.poll(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("complete 1 COMPLETED");
        } finally {
            worker.close();
        }
        assertThat(tasks.require(first.id()).result()).isEqualTo(Map.of("n", 1));
        assertThat(tasks.require(second.id()).result()).isEqualTo(Map.of("n", 2));
        assertThat(tasks.calls).containsEntry("create", 2).containsEntry("requeue", 1).containsEntry("complete", 2).containsEntry("fail", 1);
    }

    @Test
    @DisplayName("values built with the constructors from before each addition give the documented default: Assistant version 1, no client key on NewTask, Task, NewAsset, Asset and NewMemory (so two creates are two rows), SearchFilter without the global memories, ConversationQuery in ACTIVITY order, RetentionPolicy keeping detached voice calls, RetentionReport not stopped, StorageException outcome known")
    void oldConstructorsGiveTheDocumentedDefaults() {
        Tenant acme = atlas.tenant("acme");
        // Assistant: the old constructor's copy of a new assistant equals it (version 1); after an update it is version 2.
        Assistant a = acme.assistants().create(AssistantSpec.of("support", "Support"));
        Function<Assistant, Assistant> oldCopy = x -> new Assistant(x.id(), x.tenantId(), x.slug(), x.name(), x.description(), x.active(),
                x.isPublic(), x.owner(), x.defaultModel(), x.temperature(), x.topP(), x.maxOutputTokens(), x.tools(), x.metadata(),
                x.currentRevisionId(), x.currentRevisionNumber(), x.lastRevisionNumber(), x.createdAt(), x.updatedAt(), x.deletedAt());
        assertThat(a.version()).isEqualTo(1);
        assertThat(oldCopy.apply(a)).isEqualTo(a);
        Assistant updated = acme.assistants().update(a.id(), AssistantSpec.of("support", "Support desk"), 1);
        assertThat(updated.version()).isEqualTo(2);
        assertThat(oldCopy.apply(updated).version()).isEqualTo(1);

        // NewTask's 7-argument constructor: no key, so the same task twice is two tasks; Task's old constructor: no key.
        NewTask oldTask = new NewTask("report", Map.of("n", 1), null, null, ALICE, 3, null);
        assertThat(oldTask.clientKey()).isNull();
        Task t1 = acme.tasks().create(oldTask);
        Task t2 = acme.tasks().create(oldTask);
        assertThat(t2.id()).isNotEqualTo(t1.id());
        assertThat(new Task(t1.id(), t1.tenantId(), t1.kind(), t1.payload(), t1.conversationId(), t1.messageId(), t1.owner(), t1.status(),
                t1.attempts(), t1.maxAttempts(), t1.result(), t1.error(), t1.runAfter(), t1.claimId(), t1.leaseExpiresAt(), t1.createdAt(),
                t1.updatedAt(), t1.startedAt(), t1.finishedAt())).isEqualTo(t1);

        // NewAsset's and Asset's constructors from before clientKey.
        NewAsset oldAsset = new NewAsset(AssetType.DOCUMENT, "a.pdf", "application/pdf", ALICE, null, null, null, null, Map.of());
        assertThat(oldAsset.clientKey()).isNull();
        byte[] bytes = "%PDF-1".getBytes(StandardCharsets.UTF_8);
        Asset s1 = acme.assets().create(oldAsset, bytes);
        assertThat(acme.assets().create(oldAsset, bytes).id()).isNotEqualTo(s1.id());
        assertThat(new Asset(s1.id(), s1.tenantId(), s1.type(), s1.mimeType(), s1.filename(), s1.blobKey(), s1.sizeBytes(), s1.sha256(),
                s1.owner(), s1.agent(), s1.executionId(), s1.toolCallId(), s1.description(), s1.metadata(), s1.createdAt(), s1.updatedAt(),
                s1.deletedAt())).isEqualTo(s1);

        // NewMemory's 11-argument constructor: no key.
        NewMemory oldMemory = new NewMemory(ALICE, "support", dev.atlas.memory.MemoryKind.FACT, "likes green tea", List.of(), Map.of(), 0.5,
                null, null, null, null);
        assertThat(oldMemory.clientKey()).isNull();
        Memory m1 = acme.memories().create(oldMemory);
        assertThat(acme.memories().create(oldMemory).id()).isNotEqualTo(m1.id());

        // SearchFilter's 9-component constructor: the agent's memories only, not the global ones.
        Memory global = acme.memories().create(NewMemory.fact(ALICE, "likes black tea"));
        dev.atlas.search.SearchFilter oldFilter = new dev.atlas.search.SearchFilter(null, ALICE, null, null, null, null, Map.of(), List.of(),
                "support");
        assertThat(oldFilter.includeGlobal()).isFalse();
        Function<dev.atlas.search.SearchFilter, List<UUID>> hits = f -> acme.search().text(dev.atlas.search.TextQuery.memories("tea").filter(f))
                .stream().map(dev.atlas.search.SearchHit::id).sorted().toList();
        assertThat(hits.apply(oldFilter)).hasSize(2).doesNotContain(global.id()).contains(m1.id());
        assertThat(hits.apply(dev.atlas.search.SearchFilter.none().owner(ALICE).agentWithGlobal("support"))).hasSize(3).contains(global.id());

        // ConversationQuery's 6-argument constructor: ACTIVITY.
        dev.atlas.conversation.ConversationQuery oldQuery = new dev.atlas.conversation.ConversationQuery(ALICE, null, null, false, 10, null);
        assertThat(oldQuery.order()).isEqualTo(dev.atlas.conversation.ConversationQuery.Order.ACTIVITY);
        assertThat(oldQuery).isEqualTo(dev.atlas.conversation.ConversationQuery.forOwner(ALICE).limit(10));

        // RetentionReport's and StorageException's constructors from before.
        assertThat(new dev.atlas.retention.RetentionReport(false, Map.of("messages.deleted", 1L)).stopped()).isFalse();
        assertThat(new dev.atlas.StorageException("lost", "08006", true, new java.sql.SQLException("lost")).isOutcomeUnknown()).isFalse();
    }

    @Test
    @DisplayName("purgeDetachedVoiceCallsAfter deletes exactly the finished voice calls of no conversation last written longer ago than the age (voice_calls.deleted); RetentionPolicy's 10- and 7-argument constructors leave it unset and keep them; a user's Retention decorator without the stop overloads runs to the end where Atlas's stops")
    void detachedVoiceCallsAndTheRetentionPolicyFromBefore() {
        Tenant acme = atlas.tenant("acme");
        var voice = acme.voiceCalls();
        Conversation c = acme.conversations().create(NewConversation.of(ALICE));
        UUID oldDetached = voice.start(dev.atlas.voice.NewVoiceCall.of("old", "openai", "rt")).id();
        voice.complete(oldDetached, List.of());
        UUID oldFailed = voice.start(dev.atlas.voice.NewVoiceCall.of("failed", "openai", "rt")).id();
        voice.fail(oldFailed);
        UUID oldRunning = voice.start(dev.atlas.voice.NewVoiceCall.of("running", "openai", "rt")).id();
        UUID oldInConversation = voice.start(dev.atlas.voice.NewVoiceCall.of("attached", "openai", "rt").conversation(c.id())).id();
        voice.complete(oldInConversation, List.of());
        UUID summarizedLater = voice.start(dev.atlas.voice.NewVoiceCall.of("summarized", "openai", "rt")).id();
        voice.complete(summarizedLater, List.of());
        clock.advanceMicros(java.time.Duration.ofHours(2).toNanos() / 1000);
        voice.summarize(summarizedLater, "asked about order 7");
        clock.advanceMicros(java.time.Duration.ofMinutes(30).toNanos() / 1000);

        dev.atlas.retention.RetentionPolicy tenArgs = new dev.atlas.retention.RetentionPolicy(null, null, null, null, false, 100, false,
                null, null, null);
        dev.atlas.retention.RetentionPolicy sevenArgs = new dev.atlas.retention.RetentionPolicy(null, null, null, null, false, 100, false);
        assertThat(tenArgs.purgeDetachedVoiceCallsAfter()).isNull();
        assertThat(sevenArgs.purgeDetachedVoiceCallsAfter()).isNull();
        assertThat(acme.retention().runRetention(tenArgs).count("voice_calls.deleted")).isZero();
        assertThat(acme.retention().runRetention(sevenArgs).count("voice_calls.deleted")).isZero();
        dev.atlas.retention.RetentionPolicy policy = tenArgs.purgeDetachedVoiceCallsAfter(java.time.Duration.ofHours(1));

        // Atlas's own Retention stops at once when told to; a decorator written without the stop overloads runs to the end.
        dev.atlas.retention.Retention own = acme.retention();
        dev.atlas.retention.Retention decorator = new dev.atlas.retention.Retention() {
            @Override
            public dev.atlas.retention.RetentionReport runRetention(dev.atlas.retention.RetentionPolicy p) {
                return own.runRetention(p);
            }

            @Override
            public java.util.Optional<dev.atlas.retention.RetentionReport> runExclusive(dev.atlas.retention.RetentionPolicy p,
                                                                                        java.time.Duration lease) {
                return own.runExclusive(p, lease);
            }
        };
        dev.atlas.retention.RetentionReport stopped = own.runRetention(policy, () -> true);
        assertThat(stopped.stopped()).isTrue();
        assertThat(stopped.count("voice_calls.deleted")).isZero();
        dev.atlas.retention.RetentionReport report = decorator.runRetention(policy, () -> true);
        assertThat(report.stopped()).isFalse();
        assertThat(report.count("voice_calls.deleted")).isEqualTo(2);
        assertThat(voice.get(oldDetached)).isEmpty();
        assertThat(voice.get(oldFailed)).isEmpty();
        assertThat(voice.get(oldRunning)).isPresent();
        assertThat(voice.get(oldInConversation)).isPresent();
        assertThat(voice.get(summarizedLater)).isPresent();
    }

    @Test
    @DisplayName("rolling upgrade: a newer Atlas migrates (new columns with defaults on messages and conversations, a newer history row) while this one runs; this instance goes on creating, appending, reading and listing on the statements it had prepared")
    void anOlderInstanceKeepsWorkingAcrossANewerMigration() throws Exception {
        ConversationStore conversations = atlas.tenant("acme").conversations();
        Conversation c = conversations.create(NewConversation.of(ALICE));
        conversations.append(c.id(), NewMessage.user("before"));
        assertThat(conversations.history(c.id())).hasSize(1);
        assertThat(conversations.list(dev.atlas.conversation.ConversationQuery.forOwner(ALICE)).items()).hasSize(1);

        // What a newer release's migration might do: add columns (with defaults, as a rolling upgrade needs) and record its version.
        try (java.sql.Connection conn = database.dataSource().getConnection(); java.sql.Statement st = conn.createStatement()) {
            st.execute("ALTER TABLE atlas_messages ADD COLUMN future_note text NOT NULL DEFAULT 'n'");
            st.execute("ALTER TABLE atlas_conversations ADD COLUMN future_flag integer NOT NULL DEFAULT 0");
            st.execute("INSERT INTO atlas_schema_history (installed_rank, version, description, type, script, checksum, installed_by,"
                    + " execution_time, success) SELECT MAX(installed_rank) + 1, '999', 'from a newer Atlas', 'SQL', 'V999__newer.sql', 1,"
                    + " 'test', 1, (1 = 1) FROM atlas_schema_history");
        }
        for (int i = 0; i < 3; i++) {
            conversations.append(c.id(), NewMessage.user("after " + i));
        }
        assertThat(conversations.history(c.id())).extracting(Message::content).containsExactly("before", "after 0", "after 1", "after 2");
        Conversation second = conversations.create(NewConversation.of(ALICE).title("second"));
        assertThat(conversations.list(dev.atlas.conversation.ConversationQuery.forOwner(ALICE)).items()).extracting(Conversation::id)
                .containsExactlyInAnyOrder(c.id(), second.id());

        assertThat(conversations.append(second.id(), NewMessage.user("first")).sequence()).isEqualTo(1);
        // A new instance of this version opening the newer database (migrate on or off) is MigrationContract's
        // #newerDatabaseGoesThroughFlyway and #migrateOffOnANewerDatabaseOpens.

        // Back to this version's schema, so that the kit may reuse the database (a changed schema costs a new copy).
        try (java.sql.Connection conn = database.dataSource().getConnection(); java.sql.Statement st = conn.createStatement()) {
            st.execute("ALTER TABLE atlas_messages DROP COLUMN future_note");
            st.execute("ALTER TABLE atlas_conversations DROP COLUMN future_flag");
            st.execute("DELETE FROM atlas_schema_history WHERE version = '999'");
        }
    }
}
