package dev.atlas.jdbi;

import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasClosedException;
import dev.atlas.AtlasException;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.ExecutionBody;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceTurn;
import dev.atlas.Atlas;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every public method of every store, and of the live handles an execution hands out
 * ({@link ExecutionHandle}, {@link StepHandle}, {@link StepHandle.ToolCallHandle}), throws only
 * {@link AtlasException} subtypes, as the README promises. Driven by reflection over the
 * interfaces, so a new method is covered without
 * editing this kit: each reference parameter in turn is passed {@code null} (the others valid)
 * and must be refused with {@link InvalidInputException} naming exactly that parameter, unless
 * it is listed in {@link #NULLABLE} because its Javadoc gives null a meaning; each {@code int}
 * or {@code long} parameter is passed -1 and must be refused naming it, unless listed in
 * {@link #NEGATIVE_ALLOWED}. Each refusal must run no SQL statement: arguments are checked before
 * any lookup. Every database refuses alike, so this runs once, on SQLite (issue 14; it was the
 * per-dialect PublicApiErrorsContract).
 */
class PublicApiErrorsTest extends RefusedBeforeSql {
    /**
     * "Interface.method.parameter" whose Javadoc gives {@code null} a meaning. Besides these, a
     * {@code Map} parameter (a metadata or result document) takes {@code null} as the empty
     * document, everywhere alike.
     */
    static final Set<String> NULLABLE = Set.of(
            "ConversationStore.updateTitle.title",
            "ConversationStore.updateSummary.summary",
            "ConversationStore.updateStatus.failureReason",
            "ConversationStore.markFailed.reason",
            "Search.putAssetVector.conversationId",
            "Search.upsertAssetVector.conversationId",
            "Search.text.cursor",
            "TaskStore.fail.retryAt",
            "TaskStore.fail.error",
            "TaskStore.failAsOperator.error",
            "ExecutionHandle.fail.error",
            "StepHandle.fail.error",
            "ToolCallHandle.fail.error",
            "TaskStore.requeue.runAfter",
            "AssetStore.byExecution.cursor",
            "AssetStore.forMessage.cursor",
            "AssistantStore.rollback.author",
            "AssistantStore.list.cursor",
            "TaskStore.forConversation.cursor",
            "TaskStore.schedules.cursor",
            "ConversationStore.toolThreads.cursor",
            "SettingsStore.create.owner",
            "SettingsStore.list.owner",
            "SettingsStore.list.cursor",
            "SettingsStore.publish.label",
            "SettingsStore.publish.author",
            "SettingsStore.rollback.author",
            "VoiceCallStore.summarize.summary",
            "VoiceCallStore.byConversation.cursor",
            "VoiceCallStore.bySession.cursor",
            "MemoryStore.revisions.cursor",
            "AssistantStore.revisions.cursor",
            "CredentialStore.list.cursor",
            "SettingsStore.revisions.cursor",
            "MemoryGraph.neighbours.edgeType",
            "MemoryGraph.neighbours.cursor",
            "MemoryGraph.traverse.edgeType",
            "StepHandle.finish.content",
            "StepHandle.finish.reasoning",
            "StepHandle.finish.usage",
            "StepHandle.toolCall.providerCallId",
            "ToolCallHandle.thread.agent");

    /** Known gaps owned elsewhere, listed so they stay visible (none today). */
    static final Set<String> KNOWN_GAPS = Set.of();

    /** "Interface.method.parameter" of a number where -1 is a meaningful value. */
    static final Set<String> NEGATIVE_ALLOWED = Set.of();

    private Tenant acme;
    private ClaimedTask claimed;

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", dev.atlas.jdbi.kit.TestKeys.key("k1")));
    }

    @BeforeEach
    void tenant() {
        acme = freshTenant();
        acme.tasks().create(NewTask.of("mail", Map.of()));
        claimed = acme.tasks().claim(Duration.ofMinutes(1)).orElseThrow();
    }

    /** The stores of a tenant view, by their interface. */
    private Map<Class<?>, Object> stores(Tenant tenant) {
        Map<Class<?>, Object> stores = new LinkedHashMap<>();
        for (Method m : Tenant.class.getMethods()) {
            // Tenant.atlas() is the entry point, not a store: withEntryPoint() adds it where a test wants it.
            if (m.getParameterCount() == 0 && !m.getReturnType().equals(String.class) && !m.getReturnType().equals(dev.atlas.Atlas.class)) {
                try {
                    stores.put(m.getReturnType(), m.invoke(tenant));
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return stores;
    }

    /** A valid value for the parameter: by name where the type alone is not enough. */
    /** The stores plus the {@link dev.atlas.Atlas} entry point's own methods that take arguments. */
    private Map<Class<?>, Object> withEntryPoint() {
        Map<Class<?>, Object> all = stores(acme);
        all.put(dev.atlas.Atlas.class, atlas);
        return all;
    }

    /** The step of the execution whose handle is under test, for methods that take one. */
    private StepHandle liveStep;

    /**
     * Everything under test, each behind a supplier: the stores and entry point as they are, and
     * handles of a freshly started execution (with a conversation, a running step and a running
     * tool call) for every call, since a call may finish the handle it is made on.
     */
    private Map<Class<?>, Supplier<Object>> targets() {
        Map<Class<?>, Supplier<Object>> all = new LinkedHashMap<>();
        withEntryPoint().forEach((type, target) -> all.put(type, () -> target));
        all.put(ExecutionHandle.class, () -> live(0));
        all.put(StepHandle.class, () -> live(1));
        all.put(StepHandle.ToolCallHandle.class, () -> live(2));
        return all;
    }

    /** A new execution's handle (0), its running step (1) or that step's running tool call (2). */
    private Object live(int which) {
        UUID conversation = acme.conversations().create(NewConversation.of(Owner.user("u"), "support")).id();
        ExecutionHandle execution = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(conversation));
        liveStep = execution.step();
        StepHandle.ToolCallHandle call = liveStep.toolCall("call-1", "lookup", "{}");
        return switch (which) {
            case 0 -> execution;
            case 1 -> liveStep;
            default -> call;
        };
    }

    private Object sample(Parameter p) {
        return switch (p.getName()) {
            case "cursor", "failureReason" -> null;
            case "arguments" -> "{}";
            case "sha256" -> "0".repeat(64);
            case "to" -> Instant.parse("2026-02-01T00:00:00Z");
            case "policy" -> RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(30));
            // The daily report refuses DAY, the first constant: a grouping it takes.
            case "group" -> p.getType() == dev.atlas.execution.UsageGroup.class ? dev.atlas.execution.UsageGroup.MODEL : sample(p.getType());
            default -> sample(p.getType());
        };
    }

    private Object sample(Class<?> type) {
        Map<Class<?>, Supplier<Object>> samples = new LinkedHashMap<>();
        samples.put(String.class, () -> "x");
        samples.put(UUID.class, UUID::randomUUID);
        samples.put(int.class, () -> 1);
        samples.put(long.class, () -> 1L);
        samples.put(Map.class, Map::of);
        samples.put(List.class, List::of);
        samples.put(Set.class, () -> Set.of("mail"));
        samples.put(Duration.class, () -> Duration.ofMinutes(1));
        samples.put(java.util.function.BooleanSupplier.class, () -> (java.util.function.BooleanSupplier) () -> false);
        samples.put(Instant.class, () -> Instant.parse("2026-01-01T00:00:00Z"));
        samples.put(java.time.LocalDate.class, () -> java.time.LocalDate.parse("2026-01-01"));
        samples.put(java.time.ZoneId.class, () -> java.time.ZoneId.of("Europe/Berlin"));
        samples.put(Owner.class, () -> Owner.user("u"));
        samples.put(float[].class, () -> new float[] {1f, 0f});
        samples.put(byte[].class, () -> new byte[] {1});
        samples.put(InputStream.class, () -> new ByteArrayInputStream(new byte[] {1}));
        samples.put(NewConversation.class, () -> NewConversation.of(Owner.user("u"), "support"));
        samples.put(NewMessage.class, () -> NewMessage.user("hi"));
        samples.put(ConversationQuery.class, ConversationQuery::all);
        samples.put(dev.atlas.conversation.MessageEventQuery.class, () -> dev.atlas.conversation.MessageEventQuery.forMessage(UUID.randomUUID()));
        samples.put(dev.atlas.conversation.ConversationEventQuery.class,
                () -> dev.atlas.conversation.ConversationEventQuery.forConversation(UUID.randomUUID()));
        samples.put(dev.atlas.conversation.MessageEventType.class, () -> dev.atlas.conversation.MessageEventType.app("sample"));
        samples.put(dev.atlas.assistant.AssistantQuery.class, dev.atlas.assistant.AssistantQuery::all);
        samples.put(AssistantSpec.class, () -> AssistantSpec.of("helper", "Helper"));
        samples.put(NewRevision.class, () -> NewRevision.of("You help.", Map.of()));
        samples.put(dev.atlas.assistant.Settings.class, () -> new dev.atlas.assistant.Settings(UUID.randomUUID(), "acme", "chat", "Chat", null,
                null, 0, 0, Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-01T00:00:00Z")));
        samples.put(NewTask.class, () -> NewTask.of("mail", Map.of()));
        samples.put(dev.atlas.task.NewSchedule.class, () -> dev.atlas.task.NewSchedule.every("hourly", java.time.Duration.ofHours(1),
                NewTask.of("mail", Map.of())));
        samples.put(ClaimedTask.class, () -> claimed);
        samples.put(dev.atlas.task.TaskQuery.class, dev.atlas.task.TaskQuery::all);
        samples.put(ExecutionSpec.class, () -> ExecutionSpec.text("openai", "gpt-4o"));
        samples.put(ExecutionQuery.class, ExecutionQuery::all);
        samples.put(dev.atlas.execution.ToolCallQuery.class, dev.atlas.execution.ToolCallQuery::all);
        samples.put(ExecutionBody.class, () -> (ExecutionBody<Object, RuntimeException>) x -> "done");
        samples.put(Function.class, () -> (Function<Object, CompletableFuture<Object>>) x -> CompletableFuture.completedFuture("done"));
        samples.put(ModelPrice.class, () -> ModelPrice.of("openai", "gpt-4o", "1", "2", Instant.parse("2026-01-01T00:00:00Z")));
        samples.put(NewAsset.class, () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png"));
        samples.put(dev.atlas.voice.VoiceCallQuery.class, dev.atlas.voice.VoiceCallQuery::all);
        samples.put(NewVoiceCall.class, () -> NewVoiceCall.of("rt", "openai", "gpt-realtime"));
        samples.put(VoiceTurn.class, () -> VoiceTurn.user("hi"));
        samples.put(NewMemory.class, () -> NewMemory.fact(Owner.user("u"), "likes tea"));
        samples.put(MemoryQuery.class, MemoryQuery::all);
        samples.put(MemoryPatch.class, MemoryPatch::none);
        samples.put(NewGraphNode.class, () -> NewGraphNode.of("a"));
        samples.put(NewGraphEdge.class, () -> NewGraphEdge.of("a", "knows", "b"));
        samples.put(TextQuery.class, () -> TextQuery.messages("tea"));
        samples.put(SemanticQuery.class, () -> SemanticQuery.of(SearchTarget.MESSAGE, "m", new float[] {1f, 0f}));
        samples.put(dev.atlas.search.Embedder.class, () -> (dev.atlas.search.Embedder) text -> new float[] {1f, 0f});
        samples.put(RetentionPolicy.class, RetentionPolicy::none);
        samples.put(StepHandle.class, () -> liveStep);
        samples.put(NewToolCall.class, () -> NewToolCall.of("call-2", "lookup", "{}"));
        samples.put(Usage.class, () -> Usage.of(1, 1));
        samples.put(boolean.class, () -> false);
        samples.put(java.io.OutputStream.class, java.io.ByteArrayOutputStream::new);
        samples.put(dev.atlas.portability.ExportScope.class, dev.atlas.portability.ExportScope::tenant);
        samples.put(dev.atlas.portability.ImportOptions.class, dev.atlas.portability.ImportOptions::defaults);
        if (type.isEnum()) {
            return type.getEnumConstants()[0];
        }
        Supplier<Object> s = samples.get(type);
        if (s == null) {
            throw new AssertionError("no sample value for parameter type " + type.getName() + ": add one to " + getClass().getSimpleName());
        }
        return s.get();
    }

    private static List<Method> methods(Class<?> store) {
        List<Method> out = new ArrayList<>();
        for (Method m : store.getMethods()) {
            if (!Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() != Object.class) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparing(Method::toGenericString));
        return out;
    }

    /** Invokes, counting the statements run: what it threw (null when it returned, even as a failed future) and how many. */
    private Outcome invoke(Object store, Method m, Object[] args) {
        return run(() -> {
            try {
                Object result = m.invoke(store, args);
                if (result instanceof CompletableFuture<?> f) {
                    f.handle((v, e) -> null).join();
                }
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    /** A refusal naming exactly {@code field} and running no statement, else what went wrong. */
    private static String refusal(Outcome o, String field) {
        Throwable t = o.thrown();
        if (t == null || t.getClass() != InvalidInputException.class || !field.equals(((InvalidInputException) t).field())) {
            return "gave " + (t == null ? "no exception" : t);
        }
        return o.statements() == 0 ? null : "ran " + o.statements() + " SQL statement(s) before refusing";
    }

    private static String name(Class<?> store, Method m, Parameter p) {
        return store.getSimpleName() + "." + m.getName() + "." + p.getName();
    }

    @Test
    @DisplayName("null for each required parameter of each store method is refused with InvalidInputException naming that parameter")
    void nullArguments() {
        List<String> failures = new ArrayList<>();
        Set<String> covered = new java.util.HashSet<>();
        int checked = 0;
        for (Map.Entry<Class<?>, Supplier<Object>> store : targets().entrySet()) {
            for (Method m : methods(store.getKey())) {
                Parameter[] params = m.getParameters();
                for (int i = 0; i < params.length; i++) {
                    if (params[i].getType().isPrimitive()) {
                        continue;
                    }
                    Object target = store.getValue().get();
                    Object[] args = new Object[params.length];
                    for (int j = 0; j < params.length; j++) {
                        args[j] = j == i ? null : sample(params[j]);
                    }
                    String where = name(store.getKey(), m, params[i]);
                    Outcome o = invoke(target, m, args);
                    Throwable t = o.thrown();
                    checked++;
                    covered.add(where);
                    if (KNOWN_GAPS.contains(where)) {
                        continue;
                    }
                    if (NULLABLE.contains(where) || params[i].getType() == Map.class) {
                        if (t != null && !(t instanceof AtlasException)) {
                            failures.add(where + " (nullable) threw " + t);
                        }
                    } else {
                        String wrong = refusal(o, params[i].getName());
                        if (wrong != null) {
                            failures.add(where + " = null " + wrong);
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
        assertThat(covered).contains("TaskStore.enqueueAll.tasks", "ExecutionHandle.reply.step", "ExecutionHandle.usage.usage",
                "StepHandle.toolCall.call", "StepHandle.finish.finishReason", "ToolCallHandle.complete.result", "ToolCallHandle.thread.owner");
        assertThat(failures).isEmpty();
    }

    @Test
    @DisplayName("-1 for each count, limit or sequence parameter of each store method is refused with InvalidInputException naming it")
    void negativeNumbers() {
        List<String> failures = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<Class<?>, Supplier<Object>> store : targets().entrySet()) {
            for (Method m : methods(store.getKey())) {
                Parameter[] params = m.getParameters();
                for (int i = 0; i < params.length; i++) {
                    Class<?> type = params[i].getType();
                    if (type != int.class && type != long.class) {
                        continue;
                    }
                    Object target = store.getValue().get();
                    Object[] args = new Object[params.length];
                    for (int j = 0; j < params.length; j++) {
                        args[j] = j == i ? (type == int.class ? (Object) (-1) : (Object) (-1L)) : sample(params[j]);
                    }
                    String where = name(store.getKey(), m, params[i]);
                    Outcome o = invoke(target, m, args);
                    Throwable t = o.thrown();
                    checked++;
                    if (NEGATIVE_ALLOWED.contains(where)) {
                        if (t != null && !(t instanceof AtlasException)) {
                            failures.add(where + " (-1 allowed) threw " + t);
                        }
                    } else {
                        String wrong = refusal(o, params[i].getName());
                        if (wrong != null) {
                            failures.add(where + " = -1 " + wrong);
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(10);
        assertThat(failures).isEmpty();
    }

    @Test
    @DisplayName("every store method of a closed instance fails with AtlasClosedException")
    void closedInstance() {
        Atlas closed = another(b -> configure(b));
        Map<Class<?>, Object> stores = stores(closed.tenant("acme"));
        closed.close();
        List<String> failures = new ArrayList<>();
        for (Map.Entry<Class<?>, Object> store : stores.entrySet()) {
            for (Method m : methods(store.getKey())) {
                Object[] args = Arrays.stream(m.getParameters()).map(this::sample).toArray();
                Outcome o = invoke(store.getValue(), m, args);
                Throwable t = o.thrown();
                if (t == null || t.getClass() != AtlasClosedException.class) {
                    failures.add(store.getKey().getSimpleName() + "." + m.getName() + " gave " + (t == null ? "no exception" : t));
                } else if (o.statements() != 0) {
                    failures.add(store.getKey().getSimpleName() + "." + m.getName() + " ran " + o.statements() + " SQL statement(s) when closed");
                }
            }
        }
        assertThat(failures).isEmpty();
        refused(AtlasClosedException.class, () -> closed.tenant("acme"));
    }
}
