package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/executions.md, across executions, assets and voice
 * calls: every recording call into a run its owner's erase removed, long tool loops with usage
 * reported twice, prices with many decimals changing mid-run, hostile tool input, two instances on
 * one run, another tenant's ids, uploads that fail half-way and reads racing purges.
 */
public abstract class Newcomer37Contract extends AtlasContract {
    private Path dir;

    protected Newcomer37Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer37");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(dir.resolve("blobs")));
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The exception's type, the field it names and its message: what a caller can act on. */
    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-")
                : t instanceof ConflictException c ? c.field()
                : t instanceof IllegalTransitionException x ? x.field() : "?";
        return t.getClass().getSimpleName() + " on " + field + ": " + t.getMessage();
    }

    private static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    // ---- erase -----------------------------------------------------------------------------

    @Test
    @DisplayName("After the owner's erase, every recording call of the running turn (steps, tool calls, their ends and metadata,"
            + " the reply, the response id, the finish) is NotFoundException on executionId naming the run, and record rethrows one")
    void everyRecordingCallIntoAnErasedRunNamesExecutionId() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        acme.conversations().append(convo.id(), NewMessage.user("hi"));
        Map<String, String> out = new LinkedHashMap<>();
        UUID[] id = new UUID[1];
        Throwable thrown = catchThrowable(() -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()).owner(alice), exec -> {
            id[0] = exec.id();
            StepHandle done = exec.step();
            StepHandle.ToolCallHandle answered = done.toolCall("c0", "lookup", "{}");
            answered.complete("ok");
            done.finish("r0", FinishReason.TOOL_CALLS);
            StepHandle step = exec.step();
            StepHandle.ToolCallHandle running = step.toolCall("c1", "lookup", "{}");
            StepHandle.ToolCallHandle queued = step.toolCall(NewToolCall.of("c2", "lookup", "{}").queued());
            StepHandle.ToolCallHandle outside = exec.toolCall(NewToolCall.of("v1", "speak", "{}"));
            acme.portability().eraseOwner(alice, false);
            out.put("exec.step", outcome(exec::step));
            out.put("exec.toolCall", outcome(() -> exec.toolCall(NewToolCall.of("v2", "speak", "{}"))));
            out.put("step.toolCall", outcome(() -> step.toolCall("c3", "lookup", "{}")));
            out.put("step.finish", outcome(() -> step.finish("x", FinishReason.STOP)));
            out.put("step.finish with usage", outcome(() -> step.finish("x", "why", FinishReason.STOP, Usage.of(1, 1))));
            out.put("step.fail", outcome(() -> step.fail("boom")));
            out.put("step.metadata", outcome(() -> step.metadata(Map.of("k", "v"))));
            out.put("done.metadata", outcome(() -> done.metadata(Map.of("k", "v"))));
            out.put("call.complete", outcome(() -> running.complete("{}")));
            out.put("call.fail", outcome(() -> running.fail("boom")));
            out.put("call.cancel", outcome(running::cancel));
            out.put("call.metadata", outcome(() -> running.metadata(Map.of("k", "v"))));
            out.put("answered.metadata", outcome(() -> answered.metadata(Map.of("k", "v"))));
            out.put("queued.start", outcome(queued::start));
            out.put("queued.cancel", outcome(queued::cancel));
            out.put("call.thread", outcome(() -> answered.thread(alice, "helper")));
            out.put("outside.complete", outcome(() -> outside.complete("{}")));
            out.put("exec.reply", outcome(() -> exec.reply(done, "x")));
            out.put("exec.reply keyed", outcome(() -> exec.reply(done, NewMessage.assistant("x").clientId("k1"))));
            out.put("exec.providerResponseId", outcome(() -> exec.providerResponseId("resp_1")));
            out.put("exec.metadata", outcome(() -> exec.metadata(Map.of("k", "v"))));
            return "answer";
        }));
        String gone = "NotFoundException on executionId: executionId: execution " + id[0] + " not found";
        Map<String, String> expected = new LinkedHashMap<>();
        out.keySet().forEach(k -> expected.put(k, gone));
        assertThat(out).containsExactlyEntriesOf(expected);
        assertThat(describe(thrown)).isEqualTo(gone);
        assertThat(acme.executions().get(id[0])).isEmpty();
        assertThat(acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("After the owner's erase, a handle's own finish (complete, fail, cancel) is NotFoundException on executionId")
    void finishingAnErasedRunNamesExecutionId() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (String end : new String[] {"complete", "fail", "cancel"}) {
            ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").owner(alice));
            exec.step().finish("r", null, FinishReason.STOP, Usage.of(3, 4));
            acme.portability().eraseOwner(alice, false);
            out.put(end, outcome(() -> {
                switch (end) {
                    case "complete" -> exec.complete();
                    case "fail" -> exec.fail("boom");
                    default -> exec.cancel();
                }
            }));
            expected.put(end, "NotFoundException on executionId: executionId: execution " + exec.id() + " not found");
        }
        // recordAsync: the body's run erased before its future completes ends the returned future with the same refusal.
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        UUID[] id = new UUID[1];
        java.util.concurrent.CompletableFuture<String> future = acme.executions().recordAsync(
                ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
                    id[0] = exec.id();
                    exec.step().finish("r", FinishReason.STOP);
                    acme.portability().eraseConversation(convo.id(), false);
                    return java.util.concurrent.CompletableFuture.completedFuture("answer");
                });
        out.put("recordAsync", describe(catchThrowable(future::join).getCause()));
        expected.put("recordAsync", "NotFoundException on executionId: executionId: execution " + id[0] + " not found");
        assertThat(out).containsExactlyEntriesOf(expected);
    }

    // ---- what the refusals cost, and races with the erase ------------------------------------

    @Test
    @DisplayName("rfnewa37: a recording call that succeeds pays no statement for the erase checks: a step, a tool call, its start,"
            + " complete, fail, cancel, metadata, a step's finish, fail and metadata, a reply, the response id, metadata, a tool thread"
            + " each run one statement, a tool thread three, a reply four (keyed five) and complete four, as before the checks existed")
    void recordingCallsThatSucceedPayNoExistenceCheck() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        acme.conversations().append(convo.id(), NewMessage.user("hi"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()).owner(alice));
        Map<String, Integer> counts = new LinkedHashMap<>();
        StepHandle[] steps = new StepHandle[3];
        StepHandle.ToolCallHandle[] calls = new StepHandle.ToolCallHandle[5];
        counts.put("exec.step", counted(() -> steps[0] = exec.step()));
        steps[1] = exec.step();
        steps[2] = exec.step();
        counts.put("step.toolCall", counted(() -> calls[0] = steps[0].toolCall("c0", "lookup", "{}")));
        counts.put("step.toolCall queued", counted(() -> calls[1] = steps[0].toolCall(NewToolCall.of("c1", "lookup", "{}").queued())));
        calls[2] = steps[0].toolCall("c2", "lookup", "{}");
        calls[3] = steps[0].toolCall("c3", "lookup", "{}");
        counts.put("exec.toolCall", counted(() -> calls[4] = exec.toolCall(NewToolCall.of("v1", "speak", "{}"))));
        counts.put("call.start", counted(calls[1]::start));
        counts.put("call.metadata", counted(() -> calls[0].metadata(Map.of("k", "v"))));
        counts.put("call.complete", counted(() -> calls[0].complete("ok")));
        counts.put("call.fail", counted(() -> calls[2].fail("boom")));
        counts.put("call.cancel", counted(calls[3]::cancel));
        counts.put("outside.complete", counted(() -> calls[4].complete("{}")));
        counts.put("call.thread", counted(() -> calls[0].thread(alice, "helper")));
        counts.put("step.metadata", counted(() -> steps[0].metadata(Map.of("k", "v"))));
        calls[1].complete("ok");
        counts.put("step.finish", counted(() -> steps[0].finish("r0", FinishReason.TOOL_CALLS)));
        counts.put("step.finish with usage", counted(() -> steps[1].finish("r1", null, FinishReason.STOP, Usage.of(3, 4))));
        counts.put("step.fail", counted(() -> steps[2].fail("boom")));
        counts.put("exec.reply", counted(() -> exec.reply(steps[1], "answer")));
        counts.put("exec.reply keyed", counted(() -> exec.reply(steps[1], NewMessage.assistant("more").clientId("k1"))));
        counts.put("exec.providerResponseId", counted(() -> exec.providerResponseId("resp_1")));
        counts.put("exec.metadata", counted(() -> exec.metadata(Map.of("k", "v"))));
        counts.put("exec.complete", counted(exec::complete));
        Map<String, Integer> expected = new LinkedHashMap<>();
        counts.keySet().forEach(k -> expected.put(k, 1));
        // As before any check for an erased run existed (measured on 7b6347fb): the checks run on the refusal path only.
        expected.put("call.thread", 3);
        expected.put("exec.reply", 4);
        expected.put("exec.reply keyed", 5);
        expected.put("exec.complete", 4);
        assertThat(counts).containsExactlyEntriesOf(expected);
    }

    private int counted(Runnable call) {
        return StatementCounter.count(atlas, () -> {
            call.run();
            return null;
        }).statements();
    }

    /**
     * Holds one thread of an instance before it runs the first statement of its own whose SQL
     * matches, until {@link #release}: the instance's other threads, and other instances, run
     * whole operations meanwhile, so a race is played in one order every time. It decorates the
     * instance's connections (which also prepares its cached statements through it), so the
     * instance's statements are not recorded for the tenant-predicate check.
     */
    private static final class Pause {
        private final java.util.concurrent.CountDownLatch reached = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        private volatile Thread armed;
        private volatile java.util.function.Predicate<String> at;

        Pause(dev.atlas.Atlas instance) {
            ((dev.atlas.jdbi.internal.JdbiAtlas) instance).db().decorateConnections(this::wrap);
        }

        /** Holds the calling thread before its next statement whose SQL matches {@code at}. */
        void arm(java.util.function.Predicate<String> at) {
            this.at = at;
            this.armed = Thread.currentThread();
        }

        void awaitReached() throws InterruptedException {
            assertThat(reached.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("the armed thread reached its statement").isTrue();
        }

        void release() {
            released.countDown();
        }

        private java.sql.Connection wrap(java.sql.Connection target) {
            return proxy(java.sql.Connection.class, target, (m, args) -> {
                Object result = m.invoke(target, args);
                if (m.getName().equals("prepareStatement") && args != null && args[0] instanceof String sql
                        && result instanceof java.sql.PreparedStatement ps) {
                    return proxy(java.sql.PreparedStatement.class, ps, (pm, pargs) -> {
                        if (pm.getName().startsWith("execute") && Thread.currentThread() == armed && at.test(sql)) {
                            armed = null;
                            reached.countDown();
                            if (!released.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
                                throw new AssertionError("the pause was never released");
                            }
                        }
                        return pm.invoke(ps, pargs);
                    });
                }
                return result;
            });
        }

        private interface Call {
            Object run(java.lang.reflect.Method m, Object[] args) throws Throwable;
        }

        private static <T> T proxy(Class<T> type, T target, Call call) {
            return type.cast(java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
                try {
                    return call.run(m, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            }));
        }
    }

    @Test
    @DisplayName("rfnewa37: a reply refused because its conversation was deleted, whose run an erase then takes before the reply checks"
            + " for it, is NotFoundException on executionId, and the erase leaves no row of the run, its conversation or the reply")
    void replyWhoseRunIsErasedBeforeItsRecheckNamesExecutionId() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        acme.conversations().append(convo.id(), NewMessage.user("hi"));
        dev.atlas.Atlas second = reopen(b -> b.clock(clock));
        Pause pause = new Pause(second);
        String executions = second.config().tablePrefix() + "executions";
        ExecutionHandle exec = second.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        StepHandle step = exec.step();
        step.finish("r", FinishReason.STOP);
        acme.conversations().delete(convo.id());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<String> reply = pool.submit(() -> {
                // The reply's own write fails on the deleted conversation; its next read of the executions table is the re-check.
                pause.arm(sql -> sql.startsWith("SELECT") && sql.contains(" FROM " + executions + " "));
                return outcome(() -> exec.reply(step, NewMessage.assistant("late").clientId("late-1")));
            });
            pause.awaitReached();
            acme.portability().eraseConversation(convo.id(), false);
            pause.release();
            assertThat(reply.get(60, java.util.concurrent.TimeUnit.SECONDS))
                    .isEqualTo("NotFoundException on executionId: executionId: execution " + exec.id() + " not found");
        } finally {
            pause.release();
            pool.shutdownNow();
        }
        assertThat(acme.executions().get(exec.id())).isEmpty();
        assertThat(acme.conversations().get(convo.id())).isEmpty();
        assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("rfnewa37: record and recordAsync whose run was erased under their body rethrow the refusal on executionId alone:"
            + " no second refusal suppressed in it from a fail of a run that is gone, and one read spent instead of that fail")
    void recordIntoAnErasedRunRethrowsOneRefusal() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        UUID[] id = new UUID[4];
        // The body's own call refused (a step finish), and the body returning normally (record's complete refused).
        for (int i = 0; i < 2; i++) {
            int n = i;
            Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
            Throwable thrown = catchThrowable(() -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
                id[n] = exec.id();
                StepHandle step = exec.step();
                acme.portability().eraseConversation(convo.id(), false);
                if (n == 0) {
                    step.finish("r", FinishReason.STOP);
                }
                return "answer";
            }));
            String name = n == 0 ? "record, the body refused" : "record, its complete refused";
            out.put(name, describe(thrown) + ", suppressed " + java.util.Arrays.stream(thrown.getSuppressed()).map(Newcomer37Contract::describe).toList());
            expected.put(name, "NotFoundException on executionId: executionId: execution " + id[n] + " not found, suppressed []");
        }
        for (int i = 2; i < 4; i++) {
            int n = i;
            Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
            java.util.concurrent.CompletableFuture<String> future = acme.executions().recordAsync(
                    ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
                        id[n] = exec.id();
                        StepHandle step = exec.step();
                        acme.portability().eraseConversation(convo.id(), false);
                        if (n == 2) {
                            step.finish("r", FinishReason.STOP);
                        }
                        return java.util.concurrent.CompletableFuture.completedFuture("answer");
                    });
            Throwable thrown = catchThrowable(future::join).getCause();
            String name = n == 2 ? "recordAsync, the body refused" : "recordAsync, its complete refused";
            out.put(name, describe(thrown) + ", suppressed " + java.util.Arrays.stream(thrown.getSuppressed()).map(Newcomer37Contract::describe).toList());
            expected.put(name, "NotFoundException on executionId: executionId: execution " + id[n] + " not found, suppressed []");
        }
        // A record whose run is erased costs its start, its refused complete and one read making sure the run is gone (the
        // same refusal can come from another tenant's view of the id), not a fail's transaction: each counted alone first.
        // Erased from a second instance, whose statements are not counted.
        Tenant eraser = reopen(b -> b.clock(clock)).tenant("acme");
        Conversation first = acme.conversations().create(NewConversation.of(alice, "support"));
        ExecutionSpec spec = ExecutionSpec.text("openai", "gpt-4o").conversation(first.id());
        ExecutionHandle[] started = new ExecutionHandle[1];
        int start = counted(() -> started[0] = acme.executions().start(spec));
        eraser.portability().eraseConversation(first.id(), false);
        int refusedComplete = counted(() -> catchThrowable(started[0]::complete));
        Conversation second = acme.conversations().create(NewConversation.of(alice, "support"));
        int record = counted(() -> catchThrowable(() -> acme.executions().record(spec.conversation(second.id()), exec -> {
            eraser.portability().eraseConversation(second.id(), false);
            return "answer";
        })));
        out.put("statements of record", String.valueOf(record));
        expected.put("statements of record", String.valueOf(start + refusedComplete + 1));
        assertThat(out).containsExactlyEntriesOf(expected);
    }

    // ---- another tenant's ids ----------------------------------------------------------------

    /** What a call did, with {@code id} written {@code <id>}: a refusal's type, field and message, or the value returned. */
    private static String seen(java.util.function.Supplier<?> call, UUID id) {
        Object[] value = new Object[1];
        Throwable t = catchThrowable(() -> value[0] = call.get());
        String shown = t != null ? describe(t) : "returned " + (value[0] instanceof dev.atlas.Page<?> p ? "page " + p.items() + " " + p.nextCursor()
                : value[0] instanceof Optional<?> o ? o.isPresent() ? "present" : "empty" : String.valueOf(value[0]));
        return shown.replace(id.toString(), "<id>");
    }

    @Test
    @DisplayName("Another tenant's execution, tool call, step, asset, message, conversation and voice call ids, on every read and"
            + " write of executions, assets and voice calls, get exactly what an id that exists nowhere gets, and nothing of theirs moves")
    void anotherTenantsIdsOnEveryCall() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Owner alice = Owner.user("alice");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        dev.atlas.conversation.Message hi = acme.conversations().append(convo.id(), NewMessage.user("hi"));
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()).owner(alice));
        StepHandle step = run.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "lookup", "{}");
        dev.atlas.asset.Asset asset = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "a.txt", "text/plain")
                .execution(run.id(), call.id()), new byte[] {1, 2, 3});
        dev.atlas.execution.Execution queued = acme.executions().create(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        dev.atlas.voice.VoiceCall voice = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("rt_1", "openai", "gpt-realtime")
                .conversation(convo.id()).execution(run.id()));
        Conversation theirs = globex.conversations().create(NewConversation.of(alice, "support"));
        dev.atlas.conversation.Message theirMsg = globex.conversations().append(theirs.id(), NewMessage.user("hi"));
        dev.atlas.asset.Asset theirAsset = globex.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "b.txt", "text/plain"),
                new byte[] {4});

        Map<String, java.util.function.Function<UUID, Object>> calls = new LinkedHashMap<>();
        calls.put("executions.get", id -> globex.executions().get(id));
        calls.put("executions.require", id -> globex.executions().require(id));
        calls.put("executions.tree", id -> globex.executions().tree(id));
        calls.put("executions.queue", id -> globex.executions().queue(id));
        calls.put("executions.resume", id -> globex.executions().resume(id));
        calls.put("executions.cancel", id -> globex.executions().cancel(id));
        calls.put("executions.list by conversation", id -> globex.executions().list(dev.atlas.execution.ExecutionQuery.all().conversation(id)));
        calls.put("executions.historyWithTools", id -> globex.executions().historyWithTools(id, 10));
        calls.put("executions.start in conversation", id -> globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(id)));
        calls.put("executions.start with revision", id -> globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(id)));
        calls.put("assets.get", id -> globex.assets().get(id));
        calls.put("assets.require", id -> globex.assets().require(id));
        calls.put("assets.getAll", id -> globex.assets().getAll(java.util.List.of(id)));
        calls.put("assets.open", id -> globex.assets().open(id));
        calls.put("assets.byExecution", id -> globex.assets().byExecution(id));
        calls.put("assets.byExecution paged", id -> globex.assets().byExecution(id, 10, null));
        calls.put("assets.create on execution", id -> globex.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "x", "text/plain")
                .execution(id, null), new byte[] {9}));
        calls.put("assets.create on tool call", id -> globex.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "x", "text/plain")
                .execution(id.equals(run.id()) ? run.id() : id, id.equals(run.id()) ? call.id() : UUID.randomUUID()), new byte[] {9}));
        calls.put("assets.delete", id -> { globex.assets().delete(id); return null; });
        calls.put("assets.discard", id -> { globex.assets().discard(id); return null; });
        calls.put("assets.attach their asset to the message", id -> globex.assets().attach(id, theirAsset.id(), Map.of()));
        calls.put("assets.attach the asset to their message", id -> globex.assets().attach(theirMsg.id(), id, Map.of()));
        calls.put("assets.detach", id -> globex.assets().detach(theirMsg.id(), id));
        calls.put("assets.forMessage", id -> globex.assets().forMessage(id));
        calls.put("assets.forMessage paged", id -> globex.assets().forMessage(id, 10, null));
        calls.put("conversations.append linked to the execution", id -> globex.conversations().append(theirs.id(),
                NewMessage.assistant("x").execution(id, null)));
        calls.put("conversations.append linked to its step", id -> globex.conversations().append(theirs.id(),
                NewMessage.assistant("x").execution(id, id.equals(run.id()) ? step.id() : UUID.randomUUID())));
        calls.put("conversations.create tool thread of the call", id -> globex.conversations().create(
                NewConversation.toolThread(alice, "helper", theirs.id(), id)));
        calls.put("voice.get", id -> globex.voiceCalls().get(id));
        calls.put("voice.checkpoint", id -> globex.voiceCalls().checkpoint(id, java.util.List.of(dev.atlas.voice.VoiceTurn.user("x"))));
        calls.put("voice.complete", id -> globex.voiceCalls().complete(id, java.util.List.of()));
        calls.put("voice.fail", id -> globex.voiceCalls().fail(id));
        calls.put("voice.summarize", id -> globex.voiceCalls().summarize(id, "s"));
        calls.put("voice.start in conversation", id -> globex.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("rt", "openai", "m").conversation(id)));
        calls.put("voice.start on execution", id -> globex.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("rt", "openai", "m").execution(id)));
        calls.put("voice.byConversation", id -> globex.voiceCalls().byConversation(id));
        calls.put("voice.byConversation paged", id -> globex.voiceCalls().byConversation(id, 10, null));

        Map<String, UUID> idOf = Map.ofEntries(Map.entry("executions.get", run.id()), Map.entry("executions.require", run.id()),
                Map.entry("executions.tree", run.id()), Map.entry("executions.queue", queued.id()), Map.entry("executions.resume", queued.id()),
                Map.entry("executions.cancel", run.id()), Map.entry("executions.list by conversation", convo.id()),
                Map.entry("executions.historyWithTools", convo.id()), Map.entry("executions.start in conversation", convo.id()),
                Map.entry("executions.start with revision", step.id()), Map.entry("assets.get", asset.id()), Map.entry("assets.require", asset.id()),
                Map.entry("assets.getAll", asset.id()), Map.entry("assets.open", asset.id()), Map.entry("assets.byExecution", run.id()),
                Map.entry("assets.byExecution paged", run.id()), Map.entry("assets.create on execution", run.id()),
                Map.entry("assets.create on tool call", run.id()), Map.entry("assets.delete", asset.id()), Map.entry("assets.discard", asset.id()),
                Map.entry("assets.attach their asset to the message", hi.id()), Map.entry("assets.attach the asset to their message", asset.id()),
                Map.entry("assets.detach", asset.id()), Map.entry("assets.forMessage", hi.id()), Map.entry("assets.forMessage paged", hi.id()),
                Map.entry("conversations.append linked to the execution", run.id()),
                Map.entry("conversations.append linked to its step", run.id()),
                Map.entry("conversations.create tool thread of the call", call.id()), Map.entry("voice.get", voice.id()), Map.entry("voice.checkpoint", voice.id()), Map.entry("voice.complete", voice.id()),
                Map.entry("voice.fail", voice.id()), Map.entry("voice.summarize", voice.id()), Map.entry("voice.start in conversation", convo.id()),
                Map.entry("voice.start on execution", run.id()), Map.entry("voice.byConversation", convo.id()),
                Map.entry("voice.byConversation paged", convo.id()));
        Map<String, String> foreign = new LinkedHashMap<>();
        Map<String, String> unknown = new LinkedHashMap<>();
        calls.forEach((name, c) -> {
            UUID nowhere = UUID.randomUUID();
            foreign.put(name, seen(() -> c.apply(idOf.get(name)), idOf.get(name)));
            unknown.put(name, seen(() -> c.apply(nowhere), nowhere));
        });
        assertThat(foreign).containsExactlyEntriesOf(unknown);
        assertThat(foreign.values()).noneMatch(v -> v.contains("acme"));
        // Nothing of acme's moved.
        assertThat(acme.executions().require(run.id()).status()).isEqualTo(dev.atlas.execution.ExecutionStatus.PROCESSING);
        assertThat(acme.executions().require(queued.id()).status()).isEqualTo(dev.atlas.execution.ExecutionStatus.PENDING);
        assertThat(acme.assets().require(asset.id()).deletedAt()).isNull();
        assertThat(acme.voiceCalls().require(voice.id()).status()).isEqualTo(dev.atlas.voice.VoiceCallStatus.ACTIVE);
        assertThat(acme.voiceCalls().require(voice.id()).transcript()).isEmpty();
        assertThat(globex.assets().byExecution(run.id())).isEmpty();
    }

    // ---- a long tool loop, usage and prices ----------------------------------------------------

    @Test
    @DisplayName("A 30-step tool loop whose stream reports usage twice and whose price changes mid-run: every step and call in"
            + " order, the last usage report kept, billed exactly at the price valid at creation, reported once")
    void thirtyStepLoopWithUsageTwiceAndAPriceChangeMidRun() {
        Tenant acme = atlas.tenant("acme");
        java.time.Instant t0 = clock.instant();
        // 6 decimals, as many as a price holds; 13 written with trailing zeros is the same price.
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "0.000001", "2.5000000000000", t0.minusSeconds(60)));
        assertThat(outcome(() -> acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "0.000000000001", "1", t0))))
                .startsWith("InvalidInputException on inputPerMillion: ");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        acme.conversations().append(convo.id(), NewMessage.user("look it all up"));
        UUID[] id = new UUID[1];
        String answer = acme.executions().record(ExecutionSpec.of(dev.atlas.execution.ExecutionType.STREAM, "openai", "gpt-4o").conversation(convo.id()), exec -> {
            id[0] = exec.id();
            StepHandle last = null;
            for (int i = 1; i <= 30; i++) {
                clock.set(clock.instant().plusMillis(1));
                StepHandle s = exec.step();
                s.toolCall("call_" + i, "lookup", "{\"page\":" + i + "}").complete("{\"found\":" + i + "}");
                s.finish(i == 30 ? "done" : null, null, i == 30 ? FinishReason.STOP : FinishReason.TOOL_CALLS, Usage.of(i, 1));
                last = s;
                if (i == 15) {
                    // A new price from now on, while the run goes on: the run keeps the price of its creation.
                    acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "100", "100", clock.instant()));
                }
            }
            exec.firstToken();
            exec.usage(new Usage(1_000_000L, null, null, null, null));        // the stream's start event
            exec.usage(new Usage(1_000_001L, 400_000L, 7L, null, null));       // its final event, with every count
            exec.reply(last, NewMessage.assistant("done").clientId("turn-1"));
            exec.reply(last, NewMessage.assistant("done").clientId("turn-1")); // a retry: the stored reply, not a second one
            return "done";
        });
        assertThat(answer).isEqualTo("done");
        dev.atlas.execution.ExecutionTree tree = acme.executions().tree(id[0]).orElseThrow();
        assertThat(tree.steps()).extracting(dev.atlas.execution.ExecutionStep::sequence).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 30).boxed().toList());
        assertThat(tree.steps()).allSatisfy(s -> assertThat(s.toolCalls()).hasSize(1));
        assertThat(tree.steps().get(29).toolCalls().get(0).arguments()).isEqualTo("{\"page\":30}");
        dev.atlas.execution.Execution e = tree.execution();
        assertThat(e.usage()).isEqualTo(new Usage(1_000_001L, 400_000L, 7L, null, null));
        // 1,000,001 × 0.000001 / 10^6 + 400,000 × 2.5 / 10^6 = 0.000001000001 + 1
        assertThat(e.cost()).isEqualByComparingTo(new java.math.BigDecimal("1.000001000001"));
        assertThat(e.cost().toPlainString()).isEqualTo("1.000001000001");
        assertThat(acme.conversations().history(convo.id(), 10)).extracting(dev.atlas.conversation.Message::content)
                .containsExactly("look it all up", "done");
        var rows = acme.executions().usageReport(dev.atlas.execution.UsageGroup.MODEL, t0.minusSeconds(3600), t0.plusSeconds(3600));
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).cost().toPlainString()).isEqualTo("1.000001000001");
        assertThat(rows.get(0).inputTokens()).isEqualTo(1_000_001L);
    }

    // ---- uploads ----------------------------------------------------------------------------

    @Test
    @DisplayName("An upload whose stream throws half-way leaves no row, no blob and its client key free: the retry stores the asset"
            + " once, linked to its run; bytes read back byte-exact")
    void uploadFailingHalfWayLeavesNothing() throws Exception {
        Tenant acme = atlas.tenant("acme");
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-image-1"));
        StepHandle.ToolCallHandle call = run.step().toolCall("c1", "render", "{}");
        byte[] content = new byte[3 * 1024 * 1024 + 7];
        new java.util.Random(37).nextBytes(content);
        java.io.IOException cut = new java.io.IOException("connection reset");
        java.io.InputStream failing = new java.io.InputStream() {
            private int at;

            @Override
            public int read() throws java.io.IOException {
                if (at == content.length / 2) {
                    throw cut;
                }
                return content[at++] & 0xff;
            }
        };
        dev.atlas.asset.NewAsset image = dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "chart.png", "image/png")
                .execution(run.id(), call.id()).clientKey("upload-1");
        Throwable thrown = catchThrowable(() -> acme.assets().create(image, failing));
        assertThat(thrown).isInstanceOf(dev.atlas.StorageException.class).hasCause(cut);
        assertThat(acme.assets().byExecution(run.id())).isEmpty();
        try (Stream<Path> files = Files.walk(dir.resolve("blobs"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
        dev.atlas.asset.Asset stored = acme.assets().create(image, content);
        assertThat(acme.assets().create(image, content).id()).isEqualTo(stored.id());
        assertThat(acme.assets().byExecution(run.id())).extracting(dev.atlas.asset.Asset::id).containsExactly(stored.id());
        try (java.io.InputStream in = acme.assets().open(stored.id())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(stored.sizeBytes()).isEqualTo(content.length);
    }
}
