package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.DatabaseKind;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.retention.Retention;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import dev.atlas.search.Search;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** The behaviour every {@link Retention} implementation must have, on every database. */
public abstract class RetentionContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final String MODEL = "m";
    private static final Duration DAY = Duration.ofDays(1);

    protected Tenant acme;
    protected ConversationStore conversations;
    protected MemoryStore memories;
    protected Search search;
    protected Retention retention;

    protected RetentionContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        acme = atlas.tenant("acme");
        conversations = acme.conversations();
        memories = acme.memories();
        search = acme.search();
        retention = acme.retention();
    }

    private void advance(Duration d) {
        clock.set(clock.instant().plus(d));
    }

    /**
     * A conversation with a tool thread: 3 messages (a user message and two retry replies), 1
     * message in the tool thread, one edit; vectors on 2 messages and 1 asset; a memory learnt
     * from it with a vector. Events: 4 created + 1 edited.
     */
    private Conversation conversationWithEverything(Tenant t) {
        ConversationStore cs = t.conversations();
        Conversation c = cs.create(NewConversation.of(ALICE, "support"));
        Message u = cs.append(c.id(), NewMessage.user("where is parcel 77"));
        Message r1 = cs.append(c.id(), NewMessage.assistant("checking parcel").parent(u.id()));
        cs.append(c.id(), NewMessage.assistant("parcel arrives Monday").parent(u.id()));
        cs.edit(r1.id(), "checking the parcel");
        Conversation tool = cs.create(NewConversation.toolThread(ALICE, "support", c.id(), null));
        cs.append(tool.id(), NewMessage.tool("parcel lookup done"));
        t.search().upsertVector(SearchTarget.MESSAGE, u.id(), MODEL, new float[] {1, 0});
        t.search().upsertVector(SearchTarget.MESSAGE, r1.id(), MODEL, new float[] {0, 1});
        UUID upload = t.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "photo.png", "image/png"),
                new byte[] {1}).id();
        t.search().upsertAssetVector(upload, c.id(), MODEL, new float[] {1, 1});
        Memory m = t.memories().create(NewMemory.fact(ALICE, "parcel customer").from(c.id(), u.id()));
        t.search().upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        return c;
    }

    @Test
    @DisplayName("a purge batch counts a conversation's execution steps and tool calls with its messages: five archived"
            + " conversations of one message whose tool loops hold 3 steps and 6 tool calls each go one per transaction under"
            + " batchSize(20), not all five in one (a batch of such conversations held SQLite's write lock for 260 ms)")
    void purgeBatchesAreSizedByTheExecutionRowsToo() {
        for (int i = 0; i < 5; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("question " + i));
            recordToolLoop(c.id());
            conversations.archive(c.id());
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
        RetentionReport report = runCounting("retention.purge.conversations", transactions, RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(20));
        assertThat(report.counts()).containsEntry("conversations.deleted", 5L).containsEntry("messages.deleted", 5L)
                .containsEntry("executions.deleted", 5L).containsEntry("execution_steps.deleted", 15L)
                .containsEntry("execution_tool_calls.deleted", 30L);
        assertThat(transactions.get()).isEqualTo(5);
    }

    @Test
    @DisplayName("a purge batch counts the rows of a conversation's tool threads, which go with it: five archived conversations"
            + " of one message, each with a tool thread whose execution holds 3 steps and 6 tool calls, go one per transaction"
            + " under batchSize(20), not all five in one (only the conversation's own messages and executions counted)")
    void purgeBatchesCountTheToolThreadsToo() {
        for (int i = 0; i < 5; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("question " + i));
            Conversation tool = conversations.create(NewConversation.toolThread(ALICE, "support", c.id(), null));
            conversations.append(tool.id(), NewMessage.tool("looking " + i));
            recordToolLoop(tool.id());
            conversations.archive(c.id());
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
        RetentionReport report = runCounting("retention.purge.conversations", transactions, RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(20));
        assertThat(report.counts()).containsEntry("conversations.deleted", 10L).containsEntry("messages.deleted", 10L)
                .containsEntry("executions.deleted", 5L).containsEntry("execution_steps.deleted", 15L)
                .containsEntry("execution_tool_calls.deleted", 30L);
        assertThat(transactions.get()).isEqualTo(5);
    }

    /** A completed execution in {@code conversation} whose tool loop holds 3 steps and 6 tool calls. */
    private void recordToolLoop(UUID conversation) {
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(conversation));
        for (int s = 0; s < 3; s++) {
            dev.atlas.execution.StepHandle step = x.step();
            for (int k = 0; k < 2; k++) {
                step.toolCall("call-" + s + "-" + k, "lookup", "{}").complete("found");
            }
            step.finish("looking", dev.atlas.execution.FinishReason.TOOL_CALLS);
        }
        x.complete();
    }

    @Test
    @DisplayName("a conversation purge and a purge of detached executions end with the batch that took the last candidates:"
            + " three archived conversations and three finished executions without one go in one transaction each, with no"
            + " second one that reads nothing")
    void purgesEndWithTheirLastBatch() {
        for (int i = 0; i < 3; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("question " + i));
            conversations.archive(c.id());
            acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")).complete();
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(runCounting("retention.purgeBatch", batches, RetentionPolicy.none().purgeArchivedAfter(DAY)).counts())
                .containsEntry("conversations.deleted", 3L);
        assertThat(batches.get()).isEqualTo(1);
        batches.set(0);
        assertThat(runCounting("retention.select.executions", batches, RetentionPolicy.none().purgeDetachedExecutionsAfter(DAY))
                .counts()).containsEntry("executions.deleted", 3L);
        assertThat(batches.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("with both purge rules, a conversation both pick (archived, then deleted) goes once, and the purge still ends"
            + " with the batch that took the last candidates: three conversations, one of them archived and deleted, one transaction")
    void bothRulesPickingOneConversationPurgeItOnceInOneBatch() {
        for (int i = 0; i < 3; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("question " + i));
            if (i != 2) {
                conversations.archive(c.id());
            }
            if (i != 1) {
                conversations.delete(c.id());
            }
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger batches = new java.util.concurrent.atomic.AtomicInteger();
        assertThat(runCounting("retention.purgeBatch", batches, RetentionPolicy.none().purgeArchivedAfter(DAY).hardDeleteAfter(DAY))
                .counts()).containsEntry("conversations.deleted", 3L).containsEntry("messages.deleted", 3L)
                .doesNotContainKey("conversations.skipped");
        assertThat(batches.get()).isEqualTo(1);
    }

    /** Runs {@code policy}, counting in {@code sent} the times statement {@code name} is sent (one per purge transaction). */
    private RetentionReport runCounting(String name, java.util.concurrent.atomic.AtomicInteger sent, RetentionPolicy policy) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        db.statementListener((statement, sql) -> {
            if (statement.equals(name)) {
                sent.incrementAndGet();
            }
        });
        try {
            return retention.runRetention(policy);
        } finally {
            db.statementListener(null);
        }
    }

    @Test
    @DisplayName("a purge batch counts a conversation's executions themselves, not only their tool loops: five archived"
            + " conversations of one message with ten executions each (no steps) go one per transaction under batchSize(12), not"
            + " four in one (each counted as 3 rows)")
    void purgeBatchesCountTheExecutionsThemselves() {
        for (int i = 0; i < 5; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("question " + i));
            for (int k = 0; k < 10; k++) {
                acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).complete();
            }
            conversations.archive(c.id());
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
        RetentionReport report = runCounting("retention.purge.conversations", transactions, RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(12));
        assertThat(report.counts()).containsEntry("conversations.deleted", 5L).containsEntry("messages.deleted", 5L)
                .containsEntry("executions.deleted", 50L);
        assertThat(transactions.get()).isEqualTo(5);
    }

    @Test
    @DisplayName("a purge batch of detached executions counts their steps and tool calls: five finished executions without a"
            + " conversation whose tool loops hold 3 steps and 6 tool calls each go one per transaction under batchSize(15), not"
            + " all five in one (the batch took batchSize executions, whatever their tool loops held)")
    void detachedExecutionBatchesAreSizedByTheirRows() {
        for (int i = 0; i < 5; i++) {
            dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
            for (int s = 0; s < 3; s++) {
                dev.atlas.execution.StepHandle step = x.step();
                for (int k = 0; k < 2; k++) {
                    step.toolCall("call-" + s + "-" + k, "lookup", "{}").complete("found");
                }
                step.finish("looking", dev.atlas.execution.FinishReason.TOOL_CALLS);
            }
            x.complete();
        }
        advance(Duration.ofDays(3));
        java.util.concurrent.atomic.AtomicInteger transactions = new java.util.concurrent.atomic.AtomicInteger();
        RetentionReport report = runCounting("retention.purge.executions", transactions, RetentionPolicy.none().purgeDetachedExecutionsAfter(DAY).batchSize(15));
        assertThat(report.counts()).containsEntry("executions.deleted", 5L).containsEntry("execution_steps.deleted", 15L)
                .containsEntry("execution_tool_calls.deleted", 30L);
        assertThat(transactions.get()).isEqualTo(5);
        assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("purging a conversation unlinks another conversation's group of answers from its execution and keeps one of"
            + " them active (the last), so the one-active-answer rule holds and retention goes on; a dry run counts the same")
    void purgeKeepsOneActiveAnswerWhenDetachingAGroup() {
        Conversation a = conversations.create(NewConversation.of(ALICE));
        Conversation b = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(a.id()));
        Message u = conversations.append(b.id(), NewMessage.user("hi"));
        Message r1 = conversations.append(b.id(), NewMessage.assistant("part 1").parent(u.id()).execution(x.id(), null));
        Message r2 = conversations.append(b.id(), NewMessage.assistant("part 2").parent(u.id()).execution(x.id(), null));
        x.complete();
        conversations.archive(a.id());
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1));
        assertThat(retention.runRetention(policy.dryRun(true)).counts()).containsEntry("messages.detached", 2L)
                .containsEntry("conversations.deleted", 1L);
        assertThat(retention.runRetention(policy).counts()).containsEntry("messages.detached", 2L)
                .containsEntry("conversations.deleted", 1L).containsEntry("executions.deleted", 1L);
        Message first = conversations.getMessage(r1.id()).orElseThrow();
        Message last = conversations.getMessage(r2.id()).orElseThrow();
        assertThat(List.of(first.active(), last.active())).containsExactly(false, true);
        assertThat(first.executionId()).isNull();
        assertThat(last.executionId()).isNull();
        assertThat(first.content()).isEqualTo("part 1");
        Message r3 = conversations.append(b.id(), NewMessage.assistant("part 3").parent(u.id()));
        assertThat(conversations.siblings(r3.id())).filteredOn(Message::active).extracting(Message::id).containsExactly(r3.id());
    }

    @Test
    @DisplayName("purging a conversation whose execution wrote a group of answers elsewhere hides, with each answer it makes"
            + " inactive, the turns below that answer, as switching branches does: history stays one chain (a tool result"
            + " answering the hidden answer showed after it, between the question and the kept answer)")
    void purgeHidesTheTurnsBelowAnAnswerItMakesInactive() {
        Conversation a = conversations.create(NewConversation.of(ALICE));
        Conversation b = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(a.id()));
        dev.atlas.execution.ExecutionHandle y = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(b.id()));
        Message u = conversations.append(b.id(), NewMessage.user("hi"));
        Message r1 = conversations.append(b.id(), NewMessage.assistant("asks a tool").parent(u.id()).execution(x.id(), null));
        Message t = conversations.append(b.id(), NewMessage.tool("tool result").parent(r1.id()));
        Message r1b = conversations.append(b.id(), NewMessage.assistant("uses it").parent(t.id()).execution(y.id(), null));
        Message r2 = conversations.append(b.id(), NewMessage.assistant("part 2").parent(u.id()).execution(x.id(), null));
        Message q2 = conversations.append(b.id(), NewMessage.user("thanks").parent(r2.id()));
        x.complete();
        y.complete();
        conversations.archive(a.id());
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1));
        assertThat(retention.runRetention(policy).counts()).containsEntry("messages.detached", 2L)
                .containsEntry("conversations.deleted", 1L);
        assertThat(conversations.history(b.id())).extracting(Message::id).containsExactly(u.id(), r2.id(), q2.id());
        assertThat(List.of(r1, t, r1b).stream().map(m -> conversations.requireMessage(m.id()).active()).toList())
                .containsExactly(false, false, false);
        assertThat(conversations.getMessage(r1b.id()).orElseThrow().executionId()).isEqualTo(y.id());
    }

    @Test
    @DisplayName("purging a conversation keeps the voice calls of other conversations (and of none) that name its execution,"
            + " without the link, as erasing it does; its own voice calls go")
    void purgeKeepsOtherConversationsVoiceCallsOnItsExecution() {
        Conversation a = conversations.create(NewConversation.of(ALICE));
        Conversation b = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(b.id()));
        dev.atlas.voice.VoiceCallStore voice = acme.voiceCalls();
        UUID inA = voice.start(dev.atlas.voice.NewVoiceCall.of("a-call", "openai", "gpt-realtime").conversation(a.id())
                .execution(x.id())).id();
        UUID inNone = voice.start(dev.atlas.voice.NewVoiceCall.of("loose-call", "openai", "gpt-realtime").execution(x.id())).id();
        UUID inB = voice.start(dev.atlas.voice.NewVoiceCall.of("b-call", "openai", "gpt-realtime").conversation(b.id())
                .execution(x.id())).id();
        x.complete();
        conversations.archive(b.id());
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1));
        assertThat(retention.runRetention(policy.dryRun(true)).counts()).containsEntry("voice_calls.deleted", 1L);
        assertThat(retention.runRetention(policy).counts()).containsEntry("voice_calls.deleted", 1L)
                .containsEntry("executions.deleted", 1L);
        assertThat(voice.get(inB)).isEmpty();
        for (UUID kept : List.of(inA, inNone)) {
            dev.atlas.voice.VoiceCall call = voice.get(kept).orElseThrow();
            assertThat(call.executionId()).isNull();
        }
        assertThat(voice.get(inA).orElseThrow().conversationId()).isEqualTo(a.id());
    }

    @Test
    @DisplayName("retention reports the voice calls it keeps without their purged execution as voice_calls.unlinked (erase's"
            + " voice_calls_unlinked), not those a purged conversation takes with it; a dry run reports the same counts")
    void purgeCountsUnlinkedVoiceCalls() {
        dev.atlas.voice.VoiceCallStore voice = acme.voiceCalls();
        Conversation p = conversations.create(NewConversation.of(ALICE));
        Conversation a = conversations.create(NewConversation.of(ALICE));
        Conversation c = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(p.id()));
        dev.atlas.execution.ExecutionHandle y = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        voice.start(dev.atlas.voice.NewVoiceCall.of("p-x", "openai", "rt").conversation(p.id()).execution(x.id()));
        UUID ax = voice.start(dev.atlas.voice.NewVoiceCall.of("a-x", "openai", "rt").conversation(a.id()).execution(x.id())).id();
        UUID nx = voice.start(dev.atlas.voice.NewVoiceCall.of("none-x", "openai", "rt").execution(x.id())).id();
        voice.start(dev.atlas.voice.NewVoiceCall.of("c-x", "openai", "rt").conversation(c.id()).execution(x.id()));
        UUID ay = voice.start(dev.atlas.voice.NewVoiceCall.of("a-y", "openai", "rt").conversation(a.id()).execution(y.id())).id();
        voice.start(dev.atlas.voice.NewVoiceCall.of("c-y", "openai", "rt").conversation(c.id()).execution(y.id()));
        x.complete();
        y.complete();
        conversations.archive(p.id());
        conversations.archive(c.id());
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).purgeDetachedExecutionsAfter(Duration.ofDays(1));
        Map<String, Long> dry = retention.runRetention(policy.dryRun(true)).counts();
        Map<String, Long> real = retention.runRetention(policy).counts();
        assertThat(real).containsEntry("voice_calls.unlinked", 3L).containsEntry("voice_calls.deleted", 3L)
                .containsEntry("conversations.deleted", 2L).containsEntry("executions.deleted", 2L);
        assertThat(dry).isEqualTo(real);
        assertThat(List.of(ax, nx, ay).stream().map(id -> voice.get(id).orElseThrow().executionId() == null).toList())
                .containsExactly(true, true, true);
    }

    @Test
    @DisplayName("purging a finished execution without a conversation unlinks the messages that name it or its step (they keep"
            + " their content) instead of failing every run on the foreign key; a dry run counts the same")
    void detachedExecutionPurgeUnlinksItsMessages() {
        Conversation b = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        dev.atlas.execution.StepHandle step = x.step();
        Message u = conversations.append(b.id(), NewMessage.user("hi"));
        Message r1 = conversations.append(b.id(), NewMessage.assistant("part 1").parent(u.id()).execution(x.id(), step.id()));
        Message r2 = conversations.append(b.id(), NewMessage.assistant("part 2").parent(u.id()).execution(x.id(), null));
        step.finish("done", null, dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(1, 1));
        x.complete();
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofDays(1));
        assertThat(retention.runRetention(policy.dryRun(true)).counts()).containsEntry("messages.detached", 2L)
                .containsEntry("executions.deleted", 1L);
        assertThat(retention.runRetention(policy).counts()).containsEntry("messages.detached", 2L)
                .containsEntry("executions.deleted", 1L).containsEntry("execution_steps.deleted", 1L);
        Message first = conversations.getMessage(r1.id()).orElseThrow();
        Message last = conversations.getMessage(r2.id()).orElseThrow();
        assertThat(List.of(first.executionId() == null, first.stepId() == null, last.executionId() == null)).containsExactly(true, true, true);
        assertThat(List.of(first.active(), last.active())).containsExactly(false, true);
        assertThat(List.of(first.content(), last.content())).containsExactly("part 1", "part 2");
    }

    @Test
    @DisplayName("a dry run counts as detached only the messages the real run unlinks: not those of a conversation the same run"
            + " purges (found by this stop's review)")
    void dryRunDetachedCountMatchesTheRealRun() {
        Conversation b = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        Message u = conversations.append(b.id(), NewMessage.user("hi"));
        conversations.append(b.id(), NewMessage.assistant("answer").parent(u.id()).execution(x.id(), null));
        x.complete();
        conversations.archive(b.id());
        advance(Duration.ofDays(3));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1))
                .purgeDetachedExecutionsAfter(Duration.ofDays(1));
        Map<String, Long> dry = retention.runRetention(policy.dryRun(true)).counts();
        Map<String, Long> real = retention.runRetention(policy).counts();
        assertThat(dry).isEqualTo(real).doesNotContainKey("messages.detached").containsEntry("executions.deleted", 1L);

        // One asset two rules would purge (a part of a purged conversation's message, deleted long ago): the real run deletes it
        // once, with the conversation; the dry run counted it again with the deleted assets (found by blob30).
        Conversation d = conversations.create(NewConversation.of(ALICE));
        Message m = conversations.append(d.id(), NewMessage.user("see the picture"));
        dev.atlas.asset.Asset part = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "p.png",
                "image/png"), new java.io.ByteArrayInputStream(new byte[] {7}));
        acme.assets().attach(m.id(), part.id(), Map.of(dev.atlas.asset.AttachedAsset.PART, true));
        acme.assets().delete(part.id());
        conversations.archive(d.id());
        advance(Duration.ofDays(3));
        RetentionPolicy both = policy.purgeDeletedAssetsAfter(Duration.ofDays(1));
        Map<String, Long> dryBoth = retention.runRetention(both.dryRun(true)).counts();
        Map<String, Long> realBoth = retention.runRetention(both).counts();
        assertThat(realBoth).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L);
        assertThat(dryBoth).isEqualTo(realBoth);
        assertThat(acme.assets().get(part.id())).isEmpty();

        // An asset an execution of a purged conversation produced, attached as a part of one of its messages: the real run deletes
        // it once, as a part; the dry run counted it again as the execution's child (found by rf66).
        Conversation e = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle made = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(e.id()));
        Message asked = conversations.append(e.id(), NewMessage.user("draw it"));
        Message drawn = conversations.append(e.id(), NewMessage.assistant("here").parent(asked.id()).execution(made.id(), null));
        dev.atlas.asset.Asset produced = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "d.png",
                "image/png").execution(made.id(), null), new java.io.ByteArrayInputStream(new byte[] {8}));
        acme.assets().attach(drawn.id(), produced.id(), Map.of(dev.atlas.asset.AttachedAsset.PART, true));
        made.complete();
        conversations.archive(e.id());
        advance(Duration.ofDays(3));
        Map<String, Long> dryProduced = retention.runRetention(both.dryRun(true)).counts();
        Map<String, Long> realProduced = retention.runRetention(both).counts();
        assertThat(realProduced).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L)
                .containsEntry("executions.deleted", 1L);
        assertThat(dryProduced).isEqualTo(realProduced);
        assertThat(acme.assets().get(produced.id())).isEmpty();

        // An asset a DETACHED execution the run purges produced, attached as a part of a purged conversation's message: the real
        // run deletes it once, as a part; the dry run counted it again as the execution's child (found by ret31's reviewer).
        Conversation f = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle alone = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        Message told = conversations.append(f.id(), NewMessage.user("the chart"));
        dev.atlas.asset.Asset chart = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "c.png",
                "image/png").execution(alone.id(), null), new java.io.ByteArrayInputStream(new byte[] {9}));
        acme.assets().attach(told.id(), chart.id(), Map.of(dev.atlas.asset.AttachedAsset.PART, true));
        alone.complete();
        conversations.archive(f.id());
        advance(Duration.ofDays(3));
        Map<String, Long> dryDetached = retention.runRetention(both.dryRun(true)).counts();
        Map<String, Long> realDetached = retention.runRetention(both).counts();
        assertThat(realDetached).containsEntry("conversations.deleted", 1L).containsEntry("assets.deleted", 1L)
                .containsEntry("message_assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L).containsEntry("executions.deleted", 1L);
        assertThat(dryDetached).isEqualTo(realDetached);

        // The same with a hard-deleted message: the part and its attachment are deleted once, with the message.
        Conversation g = conversations.create(NewConversation.of(ALICE));
        dev.atlas.execution.ExecutionHandle loose = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        Message gone = conversations.append(g.id(), NewMessage.user("the map"));
        dev.atlas.asset.Asset map = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "m.png",
                "image/png").execution(loose.id(), null), new java.io.ByteArrayInputStream(new byte[] {10}));
        acme.assets().attach(gone.id(), map.id(), Map.of(dev.atlas.asset.AttachedAsset.PART, true));
        loose.complete();
        conversations.deleteMessage(gone.id());
        advance(Duration.ofDays(3));
        RetentionPolicy hard = policy.hardDeleteAfter(Duration.ofDays(1));
        Map<String, Long> dryHard = retention.runRetention(hard.dryRun(true)).counts();
        Map<String, Long> realHard = retention.runRetention(hard).counts();
        assertThat(realHard).containsEntry("messages.deleted", 1L).containsEntry("assets.deleted", 1L)
                .containsEntry("message_assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L).containsEntry("executions.deleted", 1L);
        assertThat(dryHard).isEqualTo(realHard);
        assertThat(acme.assets().get(map.id())).isEmpty();

        // A part another message still holds stays for it, with its vectors; only the purged message's attachment goes.
        Conversation h = conversations.create(NewConversation.of(ALICE));
        Conversation kept = conversations.create(NewConversation.of(ALICE));
        Message shown = conversations.append(h.id(), NewMessage.user("the plan"));
        Message cited = conversations.append(kept.id(), NewMessage.user("as in the plan"));
        dev.atlas.asset.Asset plan = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "pl.png",
                "image/png"), new java.io.ByteArrayInputStream(new byte[] {11}));
        acme.assets().attach(shown.id(), plan.id(), Map.of(dev.atlas.asset.AttachedAsset.PART, true));
        acme.assets().attach(cited.id(), plan.id(), Map.of());
        search.upsertAssetVector(plan.id(), null, MODEL, new float[] {1, 0});
        conversations.archive(h.id());
        advance(Duration.ofDays(3));
        Map<String, Long> dryPlan = retention.runRetention(both.dryRun(true)).counts();
        Map<String, Long> realPlan = retention.runRetention(both).counts();
        assertThat(realPlan).containsEntry("message_assets.deleted", 1L).doesNotContainKeys("assets.deleted", "vectors.deleted",
                "asset_blobs.deleted");
        assertThat(dryPlan).isEqualTo(realPlan);
        assertThat(acme.assets().forMessage(cited.id())).extracting(a -> a.asset().id()).containsExactly(plan.id());
        assertThat(conversations.getMessage(cited.id())).isPresent();
    }

    @Test
    @DisplayName("a policy with no rules does nothing and reports nothing")
    void nothing() {
        conversationWithEverything(acme);
        RetentionReport report = retention.runRetention(RetentionPolicy.none());
        assertThat(report.counts()).isEmpty();
        assertThat(report.dryRun()).isFalse();
    }

    @Test
    @DisplayName("every rule at its longest (1000 years: cut-offs in the year 1026) runs and changes nothing; one microsecond past"
            + " the shortest (1 ns) every rule applies, a dry run agreeing")
    void edgeDurations() {
        Conversation c = conversationWithEverything(acme);
        Duration longest = Duration.ofDays(365L * 1000);
        RetentionPolicy all = RetentionPolicy.none().deleteMessagesOlderThan(longest).hardDeleteAfter(longest)
                .archiveIdleConversations(longest).purgeArchivedAfter(longest).dropExpiredMemories(true)
                .purgeDetachedExecutionsAfter(longest).purgeFinishedTasksAfter(longest).purgeDeletedAssetsAfter(longest);
        assertThat(retention.runRetention(all.dryRun(true)).counts()).isEmpty();
        assertThat(retention.runRetention(all).counts()).isEmpty();
        assertThat(conversations.require(c.id()).status()).isEqualTo(ConversationStatus.OPEN);

        Duration shortest = Duration.ofNanos(1);
        RetentionPolicy archive = RetentionPolicy.none().archiveIdleConversations(shortest);
        assertThat(retention.runRetention(archive).counts()).isEmpty();
        advance(Duration.ofNanos(1_000));
        RetentionReport dry = retention.runRetention(archive.dryRun(true));
        assertThat(dry.counts()).isEqualTo(Map.of("conversations.archived", 2L));
        assertThat(retention.runRetention(archive).counts()).isEqualTo(dry.counts());
        assertThat(conversations.require(c.id()).status()).isEqualTo(ConversationStatus.ARCHIVED);
    }

    @Test
    @DisplayName("open conversations idle longer than the limit are archived, active ones are not")
    void archiveIdle() {
        Conversation idle1 = conversations.create(NewConversation.of(ALICE));
        Conversation idle2 = conversations.create(NewConversation.of(ALICE));
        advance(Duration.ofDays(31));
        Conversation fresh = conversations.create(NewConversation.of(ALICE));
        RetentionReport report = retention.runRetention(RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(30)));
        assertThat(report.counts()).isEqualTo(Map.of("conversations.archived", 2L));
        assertThat(conversations.require(idle1.id()).status()).isEqualTo(ConversationStatus.ARCHIVED);
        assertThat(conversations.require(idle2.id()).archivedAt()).isEqualTo(clock.instant());
        assertThat(conversations.require(fresh.id()).status()).isEqualTo(ConversationStatus.OPEN);
    }

    @Test
    @DisplayName("cut-offs are exact to the microsecond whatever the JVM's time zone (a DST night in Chatham, opened there):"
            + " idle one microsecond past the limit is archived, exactly at it is not; a dry run agrees")
    void cutoffExactInAnyTimeZone() {
        java.util.TimeZone saved = java.util.TimeZone.getDefault();
        try {
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Pacific/Chatham"));
            Tenant t = reopen(b -> b.clock(clock)).tenant("acme");
            clock.set(Instant.parse("2026-04-04T13:30:00.000001Z")); // the night Chatham leaves daylight saving time
            Conversation past = t.conversations().create(NewConversation.of(ALICE));
            clock.set(clock.instant().plusNanos(1_000));
            Conversation at = t.conversations().create(NewConversation.of(ALICE));
            clock.set(clock.instant().plus(Duration.ofDays(30)));
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("America/St_Johns"));
            RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(30));
            assertThat(t.retention().runRetention(policy.dryRun(true)).counts()).isEqualTo(Map.of("conversations.archived", 1L));
            assertThat(t.retention().runRetention(policy).counts()).isEqualTo(Map.of("conversations.archived", 1L));
            assertThat(t.conversations().require(past.id()).status()).isEqualTo(ConversationStatus.ARCHIVED);
            assertThat(t.conversations().require(past.id()).archivedAt()).isEqualTo(Instant.parse("2026-05-04T13:30:00.000002Z"));
            assertThat(t.conversations().require(at.id()).status()).isEqualTo(ConversationStatus.OPEN);
        } finally {
            java.util.TimeZone.setDefault(saved);
        }
    }

    @Test
    @DisplayName("decided: every rule's age is measured with the running instance's clock against the writing instance's stamps, so a"
            + " runner an hour ahead with one-hour rules takes rows acknowledged a moment ago: at exactly the rule's age nothing goes,"
            + " one microsecond past it the message, the finished task and the idle conversation go (docs/reliability.md)")
    void runnerClockAheadShortensEveryRuleByTheSkew() {
        Instant written = clock.instant();
        Conversation c = conversations.create(NewConversation.of(ALICE, "support"));
        Message m = conversations.append(c.id(), NewMessage.user("where is parcel 77"));
        dev.atlas.task.TaskStore tasks = acme.tasks();
        tasks.create(dev.atlas.task.NewTask.of("mail", Map.of()));
        dev.atlas.task.ClaimedTask held = tasks.claim(Duration.ofMinutes(5)).orElseThrow();
        tasks.complete(held, Map.of());
        MutableClock ahead = new MutableClock(written.plus(Duration.ofHours(1)));
        Retention runner = reopen(b -> b.clock(ahead)).tenant("acme").retention();
        RetentionPolicy hourly = RetentionPolicy.none().archiveIdleConversations(Duration.ofHours(1))
                .deleteMessagesOlderThan(Duration.ofHours(1)).purgeFinishedTasksAfter(Duration.ofHours(1));
        assertThat(runner.runRetention(hourly).counts()).isEmpty();
        assertThat(conversations.getMessage(m.id())).isPresent();
        ahead.advanceMicros(1);
        assertThat(runner.runRetention(hourly.dryRun(true)).counts())
                .isEqualTo(Map.of("conversations.archived", 1L, "messages.soft_deleted", 1L, "tasks.deleted", 1L));
        assertThat(runner.runRetention(hourly).counts())
                .isEqualTo(Map.of("conversations.archived", 1L, "messages.soft_deleted", 1L, "tasks.deleted", 1L));
        assertThat(conversations.getMessage(m.id())).isEmpty();
        assertThat(conversations.require(c.id()).status()).isEqualTo(ConversationStatus.ARCHIVED);
        assertThat(tasks.get(held.taskId())).isEmpty();
        // The archive is stamped by the runner's clock: the purge age runs from it, not shortened by the skew again.
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofHours(1));
        ahead.advanceMicros(Duration.ofHours(1).toNanos() / 1000);
        assertThat(runner.runRetention(purge).counts()).isEmpty();
        assertThat(conversations.get(c.id())).isPresent();
        ahead.advanceMicros(1);
        assertThat(runner.runRetention(purge).counts()).isEqualTo(Map.of("conversations.deleted", 1L, "messages.deleted", 1L, "message_events.deleted", 2L));
        assertThat(conversations.get(c.id())).isEmpty();
        assertThat(clock.instant()).isEqualTo(written);
    }

    @Test
    @DisplayName("purging an archived conversation removes it, its tool threads and everything hanging off them, counted per table")
    void purge() {
        Conversation c = conversationWithEverything(acme);
        Conversation kept = conversations.create(NewConversation.of(ALICE));
        conversations.append(kept.id(), NewMessage.user("parcel in another conversation"));
        conversations.archive(c.id());
        advance(Duration.ofDays(91));
        RetentionReport report = retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90)));
        assertThat(report.counts()).isEqualTo(Map.of(
                "conversations.deleted", 2L, "messages.deleted", 4L, "message_events.deleted", 5L, "vectors.deleted", 3L));
        assertThat(conversations.get(c.id())).isEmpty();
        assertThat(search.text(TextQuery.messages("parcel"))).hasSize(1);
        assertThat(memories.list(dev.atlas.memory.MemoryQuery.all()).items()).hasSize(1);
        assertThat(rows("vectors")).isEqualTo(1);
        assertNoOrphans();
    }

    @Test
    @DisplayName("purging a conversation removes its executions, steps, tool calls, produced assets (rows and bytes), attachments and voice calls; uploads stay")
    void purgeWithExecutions() throws Exception {
        Conversation c = conversations.create(NewConversation.of(ALICE, "support"));
        Message question = conversations.append(c.id(), NewMessage.user("draw parcel 77"));
        dev.atlas.asset.Asset upload = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "photo.png", "image/png")
                .owner(ALICE), new java.io.ByteArrayInputStream(new byte[] {1, 2, 3}));
        acme.assets().attach(question.id(), upload.id(), Map.of());
        UUID[] generated = new UUID[1];
        UUID execution = acme.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
            var first = exec.step();
            var call = first.toolCall("call_1", "draw", "{\"parcel\":77}");
            generated[0] = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "parcel.png", "image/png")
                    .execution(exec.id(), call.id()), new java.io.ByteArrayInputStream(new byte[] {4, 5, 6})).id();
            call.complete("drawn");
            first.toolCall("call_2", "lookup", "{}").complete("found");
            first.finish(null, dev.atlas.execution.FinishReason.TOOL_CALLS);
            var last = exec.step();
            last.finish("here it is", dev.atlas.execution.FinishReason.STOP);
            Message reply = exec.reply(last, NewMessage.assistant("here it is").parent(question.id()));
            acme.assets().attach(reply.id(), generated[0], Map.of("tool", "draw"));
            return exec.id();
        });
        acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("session-1", "openai", "gpt-4o-realtime").conversation(c.id()));
        conversations.archive(c.id());
        advance(Duration.ofDays(91));

        RetentionReport report = retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90)));

        assertThat(report.counts()).containsEntry("executions.deleted", 1L).containsEntry("execution_steps.deleted", 2L)
                .containsEntry("execution_tool_calls.deleted", 2L).containsEntry("assets.deleted", 1L)
                .containsEntry("message_assets.deleted", 2L).containsEntry("voice_calls.deleted", 1L)
                .containsEntry("asset_blobs.deleted", 1L).containsEntry("messages.deleted", 2L);
        assertThat(acme.executions().get(execution)).isEmpty();
        assertThat(acme.assets().get(generated[0])).isEmpty();
        assertThat(acme.assets().get(upload.id())).isPresent();
        try (var in = acme.assets().open(upload.id())) {
            assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        }
        assertThat(acme.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertNoOrphans();
    }

    @Test
    @DisplayName("old messages are soft-deleted, then hard-deleted with their children after the grace period, retry siblings included")
    void softThenHard() {
        Conversation c = conversationWithEverything(acme);
        advance(Duration.ofDays(100));
        Message recent = conversations.append(c.id(), NewMessage.user("recent parcel question"));
        RetentionReport soft = retention.runRetention(RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofDays(90)));
        assertThat(soft.counts()).isEqualTo(Map.of("messages.soft_deleted", 4L));
        assertThat(search.text(TextQuery.messages("parcel")).stream().map(h -> h.id()).toList()).containsExactly(recent.id());
        assertThat(conversations.history(c.id())).extracting(Message::id).containsExactly(recent.id());
        advance(Duration.ofDays(31));
        RetentionReport hard = retention.runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(30)));
        // 4 created + 1 edited + 4 deleted-by-retention events of the removed messages
        assertThat(hard.counts()).isEqualTo(Map.of("messages.deleted", 4L, "message_events.deleted", 9L, "vectors.deleted", 2L));
        assertThat(rows("messages")).isEqualTo(1);
        assertNoOrphans();
    }

    @Test
    @DisplayName("a reply written by an instance whose clock lags (created before its question) is hard-deleted before its question,"
            + " in batches of one: the run never fails on the reply's reference, and the next run finds nothing")
    void hardDeleteOfAReplyDatedBeforeItsQuestion() {
        Atlas lagging = reopen(b -> b.clock(new MutableClock(clock.instant().minus(Duration.ofHours(1)))));
        Conversation c = conversations.create(NewConversation.of(Owner.user("42"), "support"));
        Message question = conversations.append(c.id(), NewMessage.user("Where is order 1234?"));
        Message answer = lagging.tenant("acme").conversations().append(c.id(), NewMessage.assistant("It shipped.").parent(question.id()));
        assertThat(answer.createdAt()).isBefore(question.createdAt());
        conversations.deleteMessage(answer.id());
        conversations.deleteMessage(question.id());
        advance(Duration.ofDays(10));
        RetentionPolicy policy = RetentionPolicy.none().hardDeleteAfter(DAY).batchSize(1);
        RetentionReport report = retention.runRetention(policy);
        assertThat(report.count("messages.deleted")).isEqualTo(2);
        assertThat(conversations.getMessage(question.id())).isEmpty();
        assertThat(conversations.getMessage(answer.id())).isEmpty();
        assertThat(rows("messages")).isZero();
        assertThat(retention.runRetention(policy).count("messages.deleted")).isZero();
        assertNoOrphans();
    }

    @Test
    @DisplayName("a long-deleted question whose long-deleted answer still has a live follow-up stays with that answer (neither is"
            + " hard-deleted, the run does not fail); once the follow-up goes too, all three go, children first")
    void hardDeleteKeepsTheAncestorsOfALiveMessage() {
        Conversation c = conversations.create(NewConversation.of(ALICE, "support"));
        Message question = conversations.append(c.id(), NewMessage.user("where is parcel 77"));
        Message answer = conversations.append(c.id(), NewMessage.assistant("it arrives Monday").parent(question.id()));
        advance(Duration.ofDays(100));
        Message followUp = conversations.append(c.id(), NewMessage.user("it did not arrive").parent(answer.id()));
        assertThat(retention.runRetention(RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofDays(90))).counts())
                .isEqualTo(Map.of("messages.soft_deleted", 2L));
        advance(Duration.ofDays(31));
        RetentionPolicy hard = RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(30)).batchSize(1);
        assertThat(retention.runRetention(hard.dryRun(true)).counts()).isEmpty();
        RetentionReport kept = retention.runRetention(hard);
        assertThat(kept.counts()).isEmpty();
        assertThat(rows("messages")).isEqualTo(3);
        assertThat(conversations.history(c.id())).extracting(Message::id).containsExactly(followUp.id());
        conversations.deleteMessage(followUp.id());
        advance(Duration.ofDays(31));
        RetentionReport counted = retention.runRetention(hard.dryRun(true));
        assertThat(counted.count("messages.deleted")).isEqualTo(3);
        assertThat(retention.runRetention(hard).counts()).isEqualTo(counted.counts());
        assertThat(rows("messages")).isZero();
        assertNoOrphans();
    }

    @Test
    @DisplayName("a message soft-deleted by a retention run whose clock is an hour behind the last edit gets its deleted event"
            + " after that edit in the audit trail (1 µs later)")
    void retentionDeletedEventKeepsTheTrailOrderAcrossClockSkew() {
        Conversation c = conversations.create(NewConversation.of(Owner.user("u"), "skew"));
        Message m = conversations.append(c.id(), NewMessage.user("old question"));
        advance(Duration.ofDays(10));
        conversations.edit(m.id(), "old question, edited");
        Instant edited = clock.instant();
        Retention behind = reopen(b -> b.clock(new MutableClock(edited.minusSeconds(3600)))).tenant(acme.id()).retention();
        assertThat(behind.runRetention(RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofDays(1))).counts())
                .isEqualTo(Map.of("messages.soft_deleted", 1L));
        List<dev.atlas.conversation.MessageEvent> trail = conversations.events(m.id()).items();
        assertThat(trail).extracting(dev.atlas.conversation.MessageEvent::type).containsExactly(dev.atlas.conversation.MessageEventType.CREATED,
                dev.atlas.conversation.MessageEventType.EDITED, dev.atlas.conversation.MessageEventType.DELETED);
        assertThat(trail.get(2).createdAt()).isEqualTo(edited.plusNanos(1_000));
    }

    @Test
    @DisplayName("expired memories are dropped with their tags, revisions and vectors; long-deleted memories after the grace period")
    void memories() {
        Memory expired = memories.create(NewMemory.fact(ALICE, "old code 1").tags("a", "b").expiresAt(clock.instant().plus(DAY)));
        memories.update(expired.id(), MemoryPatch.content("old code 2"));
        search.upsertVector(SearchTarget.MEMORY, expired.id(), MODEL, new float[] {1});
        Memory deleted = memories.create(NewMemory.fact(ALICE, "deleted").tags("c"));
        memories.delete(deleted.id());
        Memory kept = memories.create(NewMemory.fact(ALICE, "kept").tags("d"));
        advance(Duration.ofDays(2));
        RetentionReport r1 = retention.runRetention(RetentionPolicy.none().dropExpiredMemories(true));
        assertThat(r1.counts()).isEqualTo(Map.of("memories.deleted", 1L, "memory_tags.deleted", 2L, "memory_revisions.deleted", 1L,
                "vectors.deleted", 1L));
        advance(Duration.ofDays(30));
        RetentionReport r2 = retention.runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(30)));
        assertThat(r2.counts()).isEqualTo(Map.of("memories.deleted", 1L, "memory_tags.deleted", 1L));
        assertThat(memories.get(kept.id())).isPresent();
        assertThat(rows("memories")).isEqualTo(1);
        assertNoOrphans();
    }

    @Test
    @DisplayName("a dry run changes nothing and reports the counts the real run then produces")
    void dryRun() {
        Conversation c = conversationWithEverything(acme);
        conversations.archive(c.id());
        // idle: this one and the open tool thread of c
        Conversation idle = conversations.create(NewConversation.of(ALICE));
        conversations.append(idle.id(), NewMessage.user("hello"));
        memories.create(NewMemory.fact(ALICE, "expiring").tags("x").expiresAt(clock.instant().plus(DAY)));
        advance(Duration.ofDays(91));
        RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(Duration.ofDays(30))
                .purgeArchivedAfter(Duration.ofDays(90)).dropExpiredMemories(true).batchSize(1);
        String before = DatabaseDigest.of(database.dataSource(), "atlas_");
        RetentionReport dry = retention.runRetention(policy.dryRun(true));
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(before);
        assertThat(dry.dryRun()).isTrue();
        RetentionReport real = retention.runRetention(policy);
        assertThat(dry.counts()).isEqualTo(real.counts()).containsEntry("conversations.archived", 2L)
                .containsEntry("conversations.deleted", 2L).containsEntry("memories.deleted", 1L);
        assertNoOrphans();
    }

    @Test
    @DisplayName("a conversation whose tool thread was written since the cutoff stays; nested archived tool threads are purged once, and a dry run reports the same")
    void purgeTrees() {
        Conversation root = conversations.create(NewConversation.of(ALICE));
        Conversation nested = conversations.create(NewConversation.toolThread(ALICE, "support", root.id(), null));
        Conversation below = conversations.create(NewConversation.toolThread(ALICE, "support", nested.id(), null));
        conversations.append(below.id(), NewMessage.tool("deep result"));
        conversations.archive(nested.id());
        conversations.archive(root.id());
        Conversation busy = conversations.create(NewConversation.of(ALICE));
        Conversation busyTool = conversations.create(NewConversation.toolThread(ALICE, "support", busy.id(), null));
        conversations.archive(busy.id());
        Conversation open = conversations.create(NewConversation.of(ALICE));
        Conversation archivedTool = conversations.create(NewConversation.toolThread(ALICE, "support", open.id(), null));
        conversations.append(archivedTool.id(), NewMessage.tool("archived result"));
        conversations.archive(archivedTool.id());
        advance(Duration.ofDays(91));
        Message late = conversations.append(busyTool.id(), NewMessage.tool("late result"));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90)).batchSize(1);

        RetentionReport dry = retention.runRetention(policy.dryRun(true));
        RetentionReport real = retention.runRetention(policy);

        assertThat(real.counts()).isEqualTo(Map.of("conversations.deleted", 4L, "messages.deleted", 2L, "message_events.deleted", 2L));
        assertThat(dry.counts()).isEqualTo(real.counts());
        for (Conversation gone : List.of(root, nested, below, archivedTool)) {
            assertThat(conversations.get(gone.id())).as("purged %s", gone.id()).isEmpty();
        }
        assertThat(conversations.require(busy.id()).status()).isEqualTo(ConversationStatus.ARCHIVED);
        assertThat(conversations.getMessage(late.id())).isPresent();
        assertThat(conversations.get(open.id())).isPresent();
        assertNoOrphans();
    }

    @Test
    @DisplayName("small batches purge everything, and appends from another thread proceed between batches")
    void batches() throws Exception {
        List<UUID> old = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("one"));
            conversations.append(c.id(), NewMessage.user("two"));
            conversations.archive(c.id());
            old.add(c.id());
        }
        Conversation live = conversations.create(NewConversation.of(ALICE));
        advance(Duration.ofDays(10));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> appends = pool.submit(() -> {
                for (int i = 0; i < 30; i++) {
                    conversations.append(live.id(), NewMessage.user("live " + i));
                }
                return 30;
            });
            RetentionReport report = retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(2));
            assertThat(appends.get()).isEqualTo(30);
            assertThat(report.count("conversations.deleted")).isEqualTo(12);
            assertThat(report.count("messages.deleted")).isEqualTo(24);
        } finally {
            pool.shutdown();
        }
        assertThat(conversations.messages(live.id(), 0, 100)).hasSize(30);
        assertThat(rows("conversations")).isEqualTo(1);
        assertNoOrphans();
    }

    @Test
    @DisplayName("a purge racing appends to its conversations never fails, loses no acknowledged message, and counts each conversation as deleted or skipped")
    void purgeRacingAppends() throws Exception {
        purgeRacing(false);
    }

    @Test
    @DisplayName("a purge racing appends to the tool threads of its conversations never fails and loses no acknowledged message")
    void purgeRacingToolThreadAppends() throws Exception {
        purgeRacing(true);
    }

    @Test
    @DisplayName("a purge racing the step finish of an execution still running in the purged conversation neither deadlocks nor fails: the tree is gone and the finish is refused")
    void purgeRacingStepFinish() throws Exception {
        Conversation c = conversations.create(NewConversation.of(ALICE));
        conversations.append(c.id(), NewMessage.user("hello"));
        dev.atlas.execution.ExecutionHandle running = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(c.id()));
        dev.atlas.execution.StepHandle step = running.step();
        conversations.archive(c.id());
        advance(Duration.ofDays(91));
        Map<String, String> late = new java.util.TreeMap<>();
        RetentionReport report = purgePausedAfterSteps(() -> late.put("finish", lateOutcome(() -> step.finish("late", null,
                dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(10, 5)))));
        assertThat(report.counts()).containsEntry("executions.deleted", 1L).containsEntry("execution_steps.deleted", 1L)
                .containsEntry("conversations.deleted", 1L);
        // The step went with its conversation.
        assertThat(late).isEqualTo(Map.of("finish", "NotFoundException execution " + running.id()));
        assertThat(acme.executions().get(running.id())).isEmpty();
    }

    @Test
    @DisplayName("a purge racing an execution still running in the purged conversation that records a new step, a tool call and a"
            + " reply while the purge is between deleting the steps and committing: the purge completes, the step and tool call are"
            + " refused NotFoundException naming the execution, the reply NotFoundException naming the conversation; nothing is left")
    void purgeRacingARunningExecutionsNewWrites() throws Exception {
        Conversation c = conversations.create(NewConversation.of(ALICE));
        dev.atlas.conversation.Message hello = conversations.append(c.id(), NewMessage.user("hello"));
        dev.atlas.execution.ExecutionHandle running = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(c.id()));
        dev.atlas.execution.StepHandle step = running.step();
        conversations.archive(c.id());
        advance(Duration.ofDays(91));
        Map<String, String> late = new java.util.TreeMap<>();
        RetentionReport report = purgePausedAfterSteps(() -> {
            late.put("step", lateOutcome(running::step));
            late.put("tool call", lateOutcome(() -> running.toolCall(dev.atlas.execution.NewToolCall.of("c1", "lookup", "{}"))));
            late.put("reply", lateOutcome(() -> conversations.append(c.id(), NewMessage.assistant("late").parent(hello.id())
                    .execution(running.id(), step.id()))));
        });
        assertThat(report.counts()).containsEntry("executions.deleted", 1L).containsEntry("execution_steps.deleted", 1L)
                .containsEntry("conversations.deleted", 1L).doesNotContainKey("execution_tool_calls.deleted");
        assertThat(late).isEqualTo(Map.of("step", "NotFoundException execution " + running.id(),
                "tool call", "NotFoundException execution " + running.id(), "reply", "NotFoundException conversation " + c.id()));
        assertThat(acme.executions().get(running.id())).isEmpty();
        assertThat(conversations.get(c.id())).isEmpty();
    }

    /**
     * Runs a purge of conversations archived over 90 days that stops after deleting the execution
     * steps until {@code late} (run on another thread) has returned or, when it waits for the
     * purge's locks (PostgreSQL) or its write transaction (SQLite), until it is seen waiting ({@link RaceWaits}).
     */
    private RetentionReport purgePausedAfterSteps(Runnable late) throws Exception {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        CountDownLatch stepsDeleted = new CountDownLatch(1);
        CountDownLatch lateReturned = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> lateThread = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (name.equals("retention.delete.execution_steps") && stepsDeleted.getCount() > 0) {
                stepsDeleted.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(lateReturned, lateThread::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            java.util.concurrent.CompletableFuture<RetentionReport> purge = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90))));
            stepsDeleted.await();
            java.util.concurrent.CompletableFuture<Void> writes = java.util.concurrent.CompletableFuture.runAsync(() -> {
                lateThread.set(Thread.currentThread());
                try {
                    late.run();
                } finally {
                    lateReturned.countDown();
                }
            });
            RetentionReport report = purge.get();
            writes.get();
            return report;
        } finally {
            db.statementListener(null);
        }
    }

    /**
     * 240 archived conversations, each with one message (and, for {@code intoToolThreads}, a tool
     * thread with one message); four writers append once to every other conversation (or its
     * tool thread), walking their share in purge order (id order) while the purge runs in
     * batches. Exactly the conversations with an acknowledged append survive, with that message.
     */
    private void purgeRacing(boolean intoToolThreads) throws Exception {
        int total = 240;
        int writers = 4;
        List<UUID> archived = new ArrayList<>();
        Map<UUID, UUID> target = new LinkedHashMap<>();
        for (int i = 0; i < total; i++) {
            Conversation c = conversations.create(NewConversation.of(ALICE));
            conversations.append(c.id(), NewMessage.user("old " + i));
            target.put(c.id(), c.id());
            if (intoToolThreads) {
                Conversation tool = conversations.create(NewConversation.toolThread(ALICE, "support", c.id(), null));
                conversations.append(tool.id(), NewMessage.tool("old tool " + i));
                target.put(c.id(), tool.id());
            }
            conversations.archive(c.id());
            archived.add(c.id());
        }
        advance(Duration.ofDays(10));
        Map<UUID, UUID> acknowledged = new ConcurrentHashMap<>();
        // The purge starts once every writer has had its first append acknowledged, so some
        // conversations are written before the purge chooses and the rest while it runs.
        CountDownLatch firstAppends = new CountDownLatch(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        RetentionReport report;
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int first = 2 * w;
                done.add(pool.submit(() -> {
                    int refused = 0;
                    for (int i = first; i < total; i += 2 * writers) {
                        UUID conversation = archived.get(i);
                        try {
                            acknowledged.put(conversation, conversations.append(target.get(conversation), NewMessage.user("new " + i)).id());
                        } catch (NotFoundException purgedFirst) {
                            refused++;
                        } finally {
                            if (i == first) {
                                firstAppends.countDown();
                            }
                        }
                    }
                    return refused;
                }));
            }
            firstAppends.await();
            report = retention.runRetention(RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(intoToolThreads ? 300 : 180));
            for (Future<Integer> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        Set<UUID> remaining = new java.util.HashSet<>();
        for (UUID id : archived) {
            conversations.get(id).ifPresent(c -> remaining.add(c.id()));
        }
        assertThat(remaining).as("exactly the conversations with an acknowledged append survive")
                .containsExactlyInAnyOrderElementsOf(acknowledged.keySet());
        acknowledged.forEach((conversation, message) -> {
            assertThat(conversations.require(target.get(conversation)).status()).isEqualTo(ConversationStatus.OPEN);
            assertThat(conversations.getMessage(message)).as("acknowledged message %s", message).isPresent();
        });
        long purged = total - remaining.size();
        int perTree = intoToolThreads ? 2 : 1;
        assertThat(acknowledged).as("the first append of every writer preceded the purge").hasSizeGreaterThanOrEqualTo(writers);
        assertThat(report.count("conversations.deleted")).isEqualTo(purged * perTree);
        assertThat(report.count("messages.deleted")).as("each purged tree held only its first messages").isEqualTo(purged * perTree);
        assertThat(report.skipped()).isEqualTo(report.count("conversations.skipped")).isBetween(0L, (long) remaining.size());
        assertNoOrphans();
    }

    @Test
    @DisplayName("retention of one tenant never touches another tenant's rows")
    void tenantIsolation() {
        Tenant globex = atlas.tenant("globex");
        Conversation theirs = conversationWithEverything(globex);
        globex.conversations().archive(theirs.id());
        globex.memories().create(NewMemory.fact(ALICE, "expiring").expiresAt(clock.instant().plus(DAY)));
        Conversation ours = conversationWithEverything(acme);
        conversations.archive(ours.id());
        Map<String, Long> before = tenantRows("globex");
        advance(Duration.ofDays(400));
        RetentionReport report = retention.runRetention(RetentionPolicy.none().archiveIdleConversations(DAY).purgeArchivedAfter(DAY)
                .deleteMessagesOlderThan(DAY).hardDeleteAfter(DAY).dropExpiredMemories(true));
        assertThat(report.count("conversations.deleted")).isEqualTo(2);
        assertThat(tenantRows("globex")).isEqualTo(before);
        assertThat(globex.conversations().get(theirs.id())).isPresent();
    }

    // ---- SQL checks -----------------------------------------------------------------------

    private long rows(String table) {
        return query("SELECT COUNT(*) FROM atlas_" + table);
    }

    private Map<String, Long> tenantRows(String tenant) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String t : List.of("conversations", "messages", "message_events", "vectors", "memories", "memory_tags", "memory_revisions")) {
            counts.put(t, query("SELECT COUNT(*) FROM atlas_" + t + " WHERE tenant_id = '" + tenant + "'"));
        }
        return counts;
    }

    @Test
    @DisplayName("a message restored while a hard delete is between choosing it and deleting it is either kept (restore acknowledged) or gone with the restore refused; the run never fails")
    void restoreRacingHardDelete() throws Exception {
        Conversation c = conversations.create(NewConversation.of(ALICE, "support"));
        Message kept = conversations.append(c.id(), NewMessage.user("restore me"));
        Message gone = conversations.append(c.id(), NewMessage.user("let me go"));
        conversations.deleteMessage(kept.id());
        conversations.deleteMessage(gone.id());
        advance(Duration.ofDays(31));
        RetentionPolicy policy = RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(30));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<RetentionReport> purge;
            Future<Message> restore;
            if (atlas.databaseKind() == DatabaseKind.POSTGRESQL) {
                // A lock on one of the message's events holds the purge after it chose the message and
                // before it deleted the message's rows, the window a concurrent restore falls into.
                try (Connection holder = database.dataSource().getConnection(); Statement s = holder.createStatement()) {
                    holder.setAutoCommit(false);
                    s.executeQuery("SELECT id FROM atlas_message_events WHERE message_id = '" + kept.id() + "' FOR UPDATE").close();
                    purge = pool.submit(() -> retention.runRetention(policy));
                    awaitLockWaiters(1, purge);
                    restore = pool.submit(() -> conversations.restoreMessage(kept.id()));
                    awaitLockWaiters(2, restore);
                    holder.rollback();
                }
            } else {
                restore = pool.submit(() -> conversations.restoreMessage(kept.id()));
                restore.get();
                purge = pool.submit(() -> retention.runRetention(policy));
            }
            RetentionReport report = purge.get(60, java.util.concurrent.TimeUnit.SECONDS);
            Message restored;
            try {
                restored = restore.get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // The restore waited for the batch and found the message gone.
                assertThat(e.getCause()).as("a refused restore").isInstanceOf(NotFoundException.class);
                assertThat(query("SELECT COUNT(*) FROM atlas_messages WHERE id = '" + kept.id() + "'")).isZero();
                assertThat(report.count("messages.deleted")).isEqualTo(2);
                assertNoOrphans();
                return;
            }
            assertThat(restored.isDeleted()).isFalse();
            assertThat(conversations.history(c.id())).extracting(Message::id).containsExactly(kept.id());
            assertThat(report.count("messages.deleted")).isEqualTo(1);
            assertThat(query("SELECT COUNT(*) FROM atlas_messages WHERE id = '" + gone.id() + "'")).isZero();
            assertNoOrphans();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Waits until {@code n} sessions wait for a lock (PostgreSQL), or until {@code task} ended without waiting. */
    private void awaitLockWaiters(int n, Future<?> task) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!task.isDone() && query("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND wait_event_type = 'Lock'") < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + n + " lock waiters within 30 s");
            }
            Thread.sleep(10);
        }
    }

    /** Every child row still has its parent: LEFT JOINs over every table that references another. */
    private void assertNoOrphans() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("messages without conversation", "SELECT COUNT(*) FROM atlas_messages x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.conversation_id WHERE p.id IS NULL");
        checks.put("messages without parent message", "SELECT COUNT(*) FROM atlas_messages x LEFT JOIN atlas_messages p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.parent_id WHERE x.parent_id IS NOT NULL AND p.id IS NULL");
        checks.put("tool threads without parent", "SELECT COUNT(*) FROM atlas_conversations x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.parent_conversation_id WHERE x.parent_conversation_id IS NOT NULL AND p.id IS NULL");
        checks.put("events without message", "SELECT COUNT(*) FROM atlas_message_events x LEFT JOIN atlas_messages p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.message_id WHERE p.id IS NULL");
        checks.put("events without conversation", "SELECT COUNT(*) FROM atlas_message_events x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.conversation_id WHERE p.id IS NULL");
        checks.put("message vectors without message", "SELECT COUNT(*) FROM atlas_vectors x LEFT JOIN atlas_messages p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.target_id WHERE x.target_type = 'message' AND p.id IS NULL");
        checks.put("memory vectors without memory", "SELECT COUNT(*) FROM atlas_vectors x LEFT JOIN atlas_memories p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.target_id WHERE x.target_type = 'memory' AND p.id IS NULL");
        checks.put("vectors without conversation", "SELECT COUNT(*) FROM atlas_vectors x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.conversation_id WHERE x.conversation_id IS NOT NULL AND p.id IS NULL");
        checks.put("tags without memory", "SELECT COUNT(*) FROM atlas_memory_tags x LEFT JOIN atlas_memories p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.memory_id WHERE p.id IS NULL");
        checks.put("revisions without memory", "SELECT COUNT(*) FROM atlas_memory_revisions x LEFT JOIN atlas_memories p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.memory_id WHERE p.id IS NULL");
        checks.put("edges without source", "SELECT COUNT(*) FROM atlas_graph_edges x LEFT JOIN atlas_graph_nodes p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.source_id WHERE p.id IS NULL");
        checks.put("edges without target", "SELECT COUNT(*) FROM atlas_graph_edges x LEFT JOIN atlas_graph_nodes p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.target_id WHERE p.id IS NULL");
        checks.put("executions without conversation", "SELECT COUNT(*) FROM atlas_executions x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.conversation_id WHERE x.conversation_id IS NOT NULL AND p.id IS NULL");
        checks.put("steps without execution", "SELECT COUNT(*) FROM atlas_execution_steps x LEFT JOIN atlas_executions p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.execution_id WHERE p.id IS NULL");
        checks.put("tool calls without step", "SELECT COUNT(*) FROM atlas_execution_tool_calls x LEFT JOIN atlas_execution_steps p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.step_id WHERE p.id IS NULL");
        checks.put("messages without execution", "SELECT COUNT(*) FROM atlas_messages x LEFT JOIN atlas_executions p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.execution_id WHERE x.execution_id IS NOT NULL AND p.id IS NULL");
        checks.put("assets without execution", "SELECT COUNT(*) FROM atlas_assets x LEFT JOIN atlas_executions p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.execution_id WHERE x.execution_id IS NOT NULL AND p.id IS NULL");
        checks.put("attachments without message", "SELECT COUNT(*) FROM atlas_message_assets x LEFT JOIN atlas_messages p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.message_id WHERE p.id IS NULL");
        checks.put("voice calls without conversation", "SELECT COUNT(*) FROM atlas_voice_calls x LEFT JOIN atlas_conversations p"
                + " ON p.tenant_id = x.tenant_id AND p.id = x.conversation_id WHERE x.conversation_id IS NOT NULL AND p.id IS NULL");
        if (atlas.databaseKind() == DatabaseKind.SQLITE) {
            checks.put("search keys without message", "SELECT COUNT(*) FROM atlas_search_keys x LEFT JOIN atlas_messages p"
                    + " ON p.tenant_id = x.tenant_id AND p.id = x.target_id WHERE x.target_type = 'message' AND p.id IS NULL");
            checks.put("search keys without memory", "SELECT COUNT(*) FROM atlas_search_keys x LEFT JOIN atlas_memories p"
                    + " ON p.tenant_id = x.tenant_id AND p.id = x.target_id WHERE x.target_type = 'memory' AND p.id IS NULL");
            checks.put("index rows without key", "SELECT COUNT(*) FROM atlas_search_fts x LEFT JOIN atlas_search_keys k"
                    + " ON k.fts_rowid = x.rowid WHERE k.fts_rowid IS NULL");
            checks.put("keys without index row", "SELECT COUNT(*) FROM atlas_search_keys k LEFT JOIN atlas_search_fts x"
                    + " ON k.fts_rowid = x.rowid WHERE x.rowid IS NULL");
        }
        Map<String, Long> found = new LinkedHashMap<>();
        checks.forEach((name, sql) -> found.put(name, query(sql)));
        assertThat(found).allSatisfy((name, n) -> assertThat(n).as(name).isZero());
    }

    private long query(String sql) {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
