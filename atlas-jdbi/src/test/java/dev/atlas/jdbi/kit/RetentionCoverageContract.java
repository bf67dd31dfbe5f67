package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.retention.Retention;
import dev.atlas.retention.RetentionWorker;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import dev.atlas.task.NewTask;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import dev.atlas.jdbi.internal.portability.PortableSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/** Retention of what the first rules left out (detached executions, finished tasks, deleted uploads) and the retention lease. */
public abstract class RetentionCoverageContract extends AtlasContract {
    private static final Duration DAY = Duration.ofDays(1);

    @TempDir
    Path blobDir;

    private LocalDirectoryBlobStore store;

    protected RetentionCoverageContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        store = new LocalDirectoryBlobStore(blobDir);
        return super.configure(builder).blobStore(store).credentialKeys(dev.atlas.credential.CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    private List<Path> blobFiles() {
        try (Stream<Path> s = Files.walk(blobDir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String text(String sql) {
        return jdbc(sql, ps -> {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
    }

    private void update(String sql) {
        jdbc(sql, PreparedStatement::executeUpdate);
    }

    private long count(String sql) {
        return Long.parseLong(text(sql));
    }

    private void execute(String sql) {
        jdbc(sql, PreparedStatement::execute);
    }

    private interface Jdbc<T> {
        T apply(PreparedStatement ps) throws SQLException;
    }

    private <T> T jdbc(String sql, Jdbc<T> work) {
        try (Connection c = database.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            return work.apply(ps);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void finishedTasks(Tenant t, int n) {
        for (int i = 0; i < n; i++) {
            t.tasks().enqueue(NewTask.of("done", Map.of("i", i)));
            t.tasks().complete(t.tasks().claim(Duration.ofMinutes(1), java.util.Set.of("done")).orElseThrow(), Map.of());
        }
    }

    @Test
    @DisplayName("detached finished executions, finished tasks and deleted uploads are purged with their children and bytes; a dry run counts the same")
    void blindSpots() {
        Tenant acme = atlas.tenant("acme");
        ExecutionHandle detached = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = detached.step();
        StepHandle.ToolCallHandle call = step.toolCall("c1", "draw", "{}");
        call.complete("ok");
        step.finish("done", FinishReason.STOP);
        acme.assets().store(NewAsset.of(AssetType.IMAGE, "out.png", "image/png").execution(detached.id(), call.id()),
                "generated".getBytes(StandardCharsets.UTF_8));
        detached.complete();
        ExecutionHandle running = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id())).complete();
        finishedTasks(acme, 1);
        acme.tasks().enqueue(NewTask.of("later", Map.of()));
        Asset upload = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf"), "upload".getBytes(StandardCharsets.UTF_8));
        acme.assets().delete(upload.id());
        Asset kept = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "b.pdf", "application/pdf"), "kept".getBytes(StandardCharsets.UTF_8));
        assertThat(blobFiles()).as("a deleted upload keeps its bytes until retention").hasSize(3);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeDetachedExecutionsAfter(DAY).purgeFinishedTasksAfter(DAY).purgeDeletedAssetsAfter(DAY);
        Map<String, Long> expected = Map.of("executions.deleted", 1L, "execution_steps.deleted", 1L, "execution_tool_calls.deleted", 1L,
                "assets.deleted", 2L, "asset_blobs.deleted", 2L, "tasks.deleted", 1L);
        String digest = DatabaseDigest.of(database.dataSource(), "atlas_");

        RetentionReport dry = acme.retention().runRetention(policy.dryRun(true));
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(digest);

        RetentionReport done = acme.retention().runRetention(policy);

        assertThat(done.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(acme.executions().get(detached.id())).isEmpty();
        assertThat(acme.executions().get(running.id())).isPresent();
        assertThat(count("SELECT COUNT(*) FROM atlas_executions")).isEqualTo(2);
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM atlas_assets")).isEqualTo(1);
        assertThat(acme.assets().get(kept.id())).isPresent();
        assertThat(blobFiles()).hasSize(1);
        assertThat(count("SELECT COUNT(*) FROM atlas_blob_intents")).isZero();
        assertThat(acme.retention().runRetention(policy).counts()).isEmpty();
    }

    @Test
    @DisplayName("purgeDetachedVoiceCallsAfter removes finished voice calls of no conversation not written within the age, transcript"
            + " and all; active ones, recent ones, one summarized since and those of a conversation stay; a dry run counts the same")
    void detachedVoiceCalls() {
        Tenant acme = atlas.tenant("acme");
        var voice = acme.voiceCalls();
        List<dev.atlas.voice.VoiceTurn> said = List.of(dev.atlas.voice.VoiceTurn.user("my card number is 4111"));
        java.util.UUID completed = voice.start(dev.atlas.voice.NewVoiceCall.of("s-done", "openai", "rt").owner(Owner.user("u"))).id();
        voice.complete(completed, said);
        java.util.UUID failed = voice.start(dev.atlas.voice.NewVoiceCall.of("s-failed", "openai", "rt")).id();
        voice.fail(failed);
        java.util.UUID active = voice.start(dev.atlas.voice.NewVoiceCall.of("s-active", "openai", "rt")).id();
        // A call of no conversation on an execution of none: the execution purge unlinks it, then the voice rule deletes it.
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-realtime"));
        exec.complete();
        java.util.UUID linked = voice.start(dev.atlas.voice.NewVoiceCall.of("s-linked", "openai", "rt").execution(exec.id())).id();
        voice.complete(linked, said);
        java.util.UUID summarized = voice.start(dev.atlas.voice.NewVoiceCall.of("s-summarized", "openai", "rt")).id();
        voice.complete(summarized, said);
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        java.util.UUID inConversation = voice.start(dev.atlas.voice.NewVoiceCall.of("s-convo", "openai", "rt").conversation(convo.id())).id();
        voice.complete(inConversation, said);
        java.util.UUID otherTenant = atlas.tenant("globex").voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s-g", "openai", "rt")).id();
        atlas.tenant("globex").voiceCalls().complete(otherTenant, said);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        voice.summarize(summarized, "written since");
        java.util.UUID recent = voice.start(dev.atlas.voice.NewVoiceCall.of("s-recent", "openai", "rt")).id();
        voice.complete(recent, said);
        clock.set(clock.instant().plus(Duration.ofHours(1)));
        RetentionPolicy policy = RetentionPolicy.none().purgeDetachedVoiceCallsAfter(DAY).purgeDetachedExecutionsAfter(DAY);
        assertThat(policy.purgeDetachedVoiceCallsAfter()).isEqualTo(DAY);
        Map<String, Long> expected = Map.of("voice_calls.deleted", 3L, "voice_calls.unlinked", 1L, "executions.deleted", 1L);
        String digest = DatabaseDigest.of(database.dataSource(), "atlas_");

        RetentionReport dry = acme.retention().runRetention(policy.dryRun(true));
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(digest);

        RetentionReport done = acme.retention().runRetention(policy.batchSize(1));

        assertThat(done.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(voice.get(completed)).isEmpty();
        assertThat(voice.get(linked)).isEmpty();
        assertThat(voice.get(failed)).isEmpty();
        assertThat(Stream.of(active, summarized, inConversation, recent).map(id -> voice.get(id).isPresent())).containsOnly(true);
        assertThat(atlas.tenant("globex").voiceCalls().get(otherTenant)).isPresent();
        assertThat(count("SELECT COUNT(*) FROM atlas_voice_calls WHERE CAST(transcript AS TEXT) LIKE '%4111%'")).isEqualTo(4);
        assertThat(acme.retention().runRetention(policy).counts()).isEmpty();
    }

    @Test
    @DisplayName("retention on a second instance, run after run, while the first writes every kind of row (appends reopening"
            + " archived conversations, requeues of failed tasks, summaries of ended calls, new rows of every kind): every acknowledged"
            + " write is kept, every old row no write touched is gone, and the reports add up to exactly what went")
    void retentionRacingEveryKindOfWrite() throws Exception {
        Tenant acme = atlas.tenant("acme");
        int n = 12;
        Instant start = clock.instant();
        clock.set(start.minus(Duration.ofDays(2)));
        List<java.util.UUID> oldConversations = new java.util.ArrayList<>();
        List<java.util.UUID> oldTasks = new java.util.ArrayList<>();
        List<java.util.UUID> oldCalls = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            var c = acme.conversations().create(NewConversation.of(Owner.user("u" + i), "a"));
            acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("q" + i));
            acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.assistant("a" + i));
            acme.conversations().archive(c.id());
            oldConversations.add(c.id());
            oldTasks.add(acme.tasks().create(NewTask.of("old", Map.of("i", i)).maxAttempts(1)).id());
            acme.tasks().fail(acme.tasks().claim(Duration.ofMinutes(1), java.util.Set.of("old")).orElseThrow(), "boom");
            var call = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("old-" + i, "openai", "rt"));
            acme.voiceCalls().complete(call.id(), List.of(dev.atlas.voice.VoiceTurn.user("hello " + i)));
            oldCalls.add(call.id());
            acme.assets().delete(acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "old" + i + ".pdf", "application/pdf"),
                    ("old " + i).getBytes(StandardCharsets.UTF_8)).id());
            acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")).complete();
            acme.memories().create(dev.atlas.memory.NewMemory.fact(Owner.user("u"), "old " + i).expiresAt(clock.instant().plus(Duration.ofHours(1))));
        }
        clock.set(start);
        Atlas other = reopen(b -> b.clock(clock).blobStore(store));
        RetentionPolicy policy = RetentionPolicy.none().archiveIdleConversations(DAY).purgeArchivedAfter(DAY).dropExpiredMemories(true)
                .purgeDetachedExecutionsAfter(DAY).purgeFinishedTasksAfter(DAY).purgeDeletedAssetsAfter(DAY).purgeDetachedVoiceCallsAfter(DAY)
                .batchSize(3);
        java.util.Map<String, Long> total = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.concurrent.Future<Integer> purger = pool.submit(() -> {
                int runs = 0;
                do {
                    other.tenant("acme").retention().runRetention(policy).counts().forEach((k, v) -> total.merge(k, v, Long::sum));
                    runs++;
                } while (writing.get());
                return runs;
            });
            java.util.Set<java.util.UUID> reopened = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.Set<java.util.UUID> requeued = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.Set<java.util.UUID> summarized = java.util.concurrent.ConcurrentHashMap.newKeySet();
            List<java.util.concurrent.Future<List<Runnable>>> writers = new java.util.ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int first = w;
                writers.add(pool.submit(() -> {
                    List<Runnable> checks = new java.util.ArrayList<>();
                    for (int i = first; i < n; i += 2) {
                        // Every old row of odd i is touched once, racing the purge of it.
                        if (i % 2 == 1) {
                            java.util.UUID c = oldConversations.get(i);
                            if (lateOutcome(() -> acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("late"))).equals("accepted")) {
                                reopened.add(c);
                            }
                            java.util.UUID t = oldTasks.get(i);
                            if (lateOutcome(() -> acme.tasks().requeue(t)).equals("accepted")) {
                                requeued.add(t);
                            }
                            java.util.UUID v = oldCalls.get(i);
                            if (lateOutcome(() -> acme.voiceCalls().summarize(v, "late summary")).equals("accepted")) {
                                summarized.add(v);
                            }
                        }
                        // New rows of every kind, each acknowledged, each to be kept.
                        var c = acme.conversations().create(NewConversation.of(Owner.user("n" + i), "a"));
                        var m = acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("new " + i));
                        var t = acme.tasks().create(NewTask.of("new", Map.of("i", i)));
                        var v = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("new-" + i, "openai", "rt"));
                        acme.voiceCalls().complete(v.id(), List.of(dev.atlas.voice.VoiceTurn.user("new " + i)));
                        Asset a = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "new" + i + ".pdf", "application/pdf"),
                                ("new " + i).getBytes(StandardCharsets.UTF_8));
                        var e = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
                        e.complete();
                        var mem = acme.memories().create(dev.atlas.memory.NewMemory.fact(Owner.user("u"), "new " + i));
                        checks.add(() -> {
                            assertThat(acme.conversations().requireMessage(m.id()).content()).isEqualTo(m.content());
                            assertThat(acme.tasks().require(t.id()).status()).isEqualTo(dev.atlas.task.TaskStatus.PENDING);
                            assertThat(acme.voiceCalls().require(v.id()).transcript()).hasSize(1);
                            assertThat(acme.assets().require(a.id()).sha256()).isEqualTo(a.sha256());
                            assertThat(acme.executions().get(e.id())).isPresent();
                            assertThat(acme.memories().get(mem.id())).isPresent();
                        });
                    }
                    return checks;
                }));
            }
            List<Runnable> checks = new java.util.ArrayList<>();
            for (var w : writers) {
                checks.addAll(w.get(120, TimeUnit.SECONDS));
            }
            writing.set(false);
            assertThat(purger.get(120, TimeUnit.SECONDS)).isPositive();
            // One more run after the writers: nothing is left that the policy removes.
            other.tenant("acme").retention().runRetention(policy).counts().forEach((k, v) -> total.merge(k, v, Long::sum));
            checks.forEach(Runnable::run);

            for (int i = 0; i < n; i++) {
                java.util.UUID c = oldConversations.get(i);
                assertThat(acme.conversations().get(c).isPresent()).as("old conversation " + i).isEqualTo(reopened.contains(c));
                if (reopened.contains(c)) {
                    assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = '" + c + "'"))
                            .as("an acknowledged append keeps the conversation whole").isEqualTo(3);
                }
                assertThat(acme.tasks().get(oldTasks.get(i)).isPresent()).as("old task " + i).isEqualTo(requeued.contains(oldTasks.get(i)));
                assertThat(acme.voiceCalls().get(oldCalls.get(i)).isPresent()).as("old call " + i).isEqualTo(summarized.contains(oldCalls.get(i)));
            }
            long goneConversations = n - reopened.size();
            java.util.Map<String, Long> expected = new java.util.TreeMap<>(Map.of(
                    "conversations.deleted", goneConversations, "messages.deleted", 2 * goneConversations,
                    "tasks.deleted", (long) (n - requeued.size()), "voice_calls.deleted", (long) (n - summarized.size()),
                    "assets.deleted", (long) n, "asset_blobs.deleted", (long) n, "executions.deleted", (long) n, "memories.deleted", (long) n));
            expected.put("message_events.deleted", 2 * goneConversations); // each message's 'created' event
            Long skipped = total.remove("conversations.skipped");
            assertThat(skipped == null ? 0 : skipped).as("skipped: chosen, then reopened by an append").isLessThanOrEqualTo(reopened.size());
            assertThat(new java.util.TreeMap<>(total)).isEqualTo(expected);
            assertThat(count("SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme'")).isEqualTo(reopened.size() + n);
            assertThat(count("SELECT COUNT(*) FROM atlas_tasks WHERE tenant_id = 'acme'")).isEqualTo(requeued.size() + n);
            assertThat(count("SELECT COUNT(*) FROM atlas_voice_calls WHERE tenant_id = 'acme'")).isEqualTo(summarized.size() + n);
            assertThat(count("SELECT COUNT(*) FROM atlas_assets WHERE tenant_id = 'acme'")).isEqualTo(n);
            assertThat(count("SELECT COUNT(*) FROM atlas_executions WHERE tenant_id = 'acme'")).isEqualTo(n);
            assertThat(count("SELECT COUNT(*) FROM atlas_memories WHERE tenant_id = 'acme'")).isEqualTo(n);
            assertThat(blobFiles()).hasSize(n);
            assertThat(count("SELECT COUNT(*) FROM atlas_blob_intents")).isZero();
        } finally {
            writing.set(false);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private String farFuture() {
        return database.name().equals("SQLite") ? "253370764800000000" : "'9999-01-01T00:00:00Z'";
    }

    private String past() {
        return database.name().equals("SQLite") ? "0" : "'1970-01-01T00:00:00Z'";
    }

    private Asset produced(Tenant t, ExecutionHandle exec, String name) {
        StepHandle step = exec.step();
        StepHandle.ToolCallHandle call = step.toolCall("c-" + name, "draw", "{}");
        Asset a = t.assets().store(NewAsset.of(AssetType.IMAGE, name, "image/png").execution(exec.id(), call.id()),
                name.getBytes(StandardCharsets.UTF_8));
        call.complete("ok");
        step.finish("done", FinishReason.STOP);
        return a;
    }

    private boolean blobPresent(String key) {
        try {
            boolean listed = store.list("").stream().anyMatch(b -> b.key().equals(key));
            try (var in = store.open(key)) {
                assertThat(listed).as("listed and opens: " + key).isTrue();
                return true;
            } catch (IOException | RuntimeException e) {
                assertThat(listed).as("listed but does not open: " + key).isFalse();
                return false;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs {@code policy} as a dry run, then for real on the same clock: the dry run changes
     * nothing (rows and bytes) and reports exactly the counts of the real run, which deletes the
     * bytes of {@code gone} and keeps those of {@code kept}. Returns the real run's counts.
     */
    private Map<String, Long> dryRunMatchesRun(Tenant t, RetentionPolicy policy, List<Asset> gone, List<Asset> kept) {
        String digest = DatabaseDigest.of(database.dataSource(), "atlas_");
        RetentionReport dry = t.retention().runRetention(policy.dryRun(true));
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(digest);
        assertThat(Stream.concat(gone.stream(), kept.stream())).allSatisfy(a -> assertThat(blobPresent(a.blobKey())).isTrue());

        RetentionReport real = t.retention().runRetention(policy);

        assertThat(dry.counts()).as("dry run against real run").isEqualTo(real.counts());
        assertThat(gone).allSatisfy(a -> assertThat(blobPresent(a.blobKey())).as(a.filename()).isFalse());
        assertThat(kept).allSatisfy(a -> assertThat(blobPresent(a.blobKey())).as(a.filename()).isTrue());
        assertThat(count("SELECT COUNT(*) FROM atlas_blob_intents")).isZero();
        return real.counts();
    }

    @Test
    @DisplayName("a dry run of a conversation purge counts the bytes of the assets its executions produced, as the real run deletes them")
    void conversationPurgeDryRunCountsBlobs() {
        Tenant acme = atlas.tenant("acme");
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        var question = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("draw"));
        Asset upload = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "up.pdf", "application/pdf"), "upload".getBytes(StandardCharsets.UTF_8));
        acme.assets().attach(question.id(), upload.id(), Map.of());
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        Asset drawn = produced(acme, exec, "drawn.png");
        acme.assets().attach(question.id(), drawn.id(), Map.of());
        exec.complete();
        var tool = acme.conversations().create(NewConversation.toolThread(Owner.user("u"), "a", convo.id(), null));
        ExecutionHandle toolExec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(tool.id()));
        Asset fromTool = produced(acme, toolExec, "tool.png");
        toolExec.complete();
        acme.conversations().archive(convo.id());
        acme.conversations().archive(tool.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        Map<String, Long> counts = dryRunMatchesRun(acme, RetentionPolicy.none().purgeArchivedAfter(DAY).batchSize(1),
                List.of(drawn, fromTool), List.of(upload));

        assertThat(counts).containsEntry("asset_blobs.deleted", 2L).containsEntry("assets.deleted", 2L)
                .containsEntry("conversations.deleted", 2L).containsEntry("message_assets.deleted", 2L);
        assertThat(acme.assets().get(upload.id())).isPresent();
    }

    @Test
    @DisplayName("an asset attached as a part of a message goes with it, row, attachments and bytes, when retention hard-deletes the message"
            + " or purges its conversation; an upload attached beside it stays; a dry run counts the same")
    void partsOfMessagesGoWithThem() {
        Tenant acme = atlas.tenant("acme");
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        var deleted = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("a photo"));
        var kept = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("another photo"));
        Asset photo = acme.assets().store(NewAsset.of(AssetType.IMAGE, "photo.png", "image/png"), "photo".getBytes(StandardCharsets.UTF_8));
        Asset other = acme.assets().store(NewAsset.of(AssetType.IMAGE, "other.png", "image/png"), "other".getBytes(StandardCharsets.UTF_8));
        Asset upload = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "up.pdf", "application/pdf"), "upload".getBytes(StandardCharsets.UTF_8));
        assertThat(acme.assets().attachPart(deleted.id(), photo.id()).attachmentMetadata()).isEqualTo(Map.of(AttachedAsset.PART, true));
        acme.assets().attachPart(kept.id(), other.id());
        acme.assets().attach(deleted.id(), upload.id(), Map.of());
        acme.assets().attach(kept.id(), upload.id(), Map.of());
        acme.conversations().deleteMessage(deleted.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().hardDeleteAfter(DAY), List.of(photo), List.of(other, upload)))
                .containsEntry("messages.deleted", 1L).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L)
                .containsEntry("message_assets.deleted", 2L);
        assertThat(acme.assets().get(photo.id())).isEmpty();
        assertThat(acme.assets().forMessage(kept.id())).extracting(a -> a.asset().id()).containsExactly(other.id(), upload.id());

        acme.conversations().archive(convo.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().purgeArchivedAfter(DAY), List.of(other), List.of(upload)))
                .containsEntry("conversations.deleted", 1L).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L)
                .containsEntry("message_assets.deleted", 2L);
        assertThat(acme.assets().get(upload.id())).isPresent();
    }

    @Test
    @DisplayName("detached assets and cancelled tool calls under every rule, as AssetStore.detach and ToolCallHandle.cancel document: a part"
            + " detached from a message no longer goes with it, one still a part of the deleted message goes; an asset detached from its"
            + " last message stays under every rule but purgeDeletedAssetsAfter once deleted, and an erase of its former conversation"
            + " leaves it; a produced asset detached goes with its execution; executions go with every tool call, queued calls cancelled"
            + " without duration and queued calls left open; counts by SQL after each run, a dry run counting the same")
    void detachedAssetsAndCancelledToolCalls() {
        Tenant acme = atlas.tenant("acme");
        var assets = acme.assets();
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        var m1 = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("a photo"));
        var m2 = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("another photo"));
        Asset detachedPart = assets.create(NewAsset.of(AssetType.IMAGE, "p.png", "image/png"), "p".getBytes(StandardCharsets.UTF_8));
        assets.attachPart(m1.id(), detachedPart.id());
        Asset part = assets.create(NewAsset.of(AssetType.IMAGE, "q.png", "image/png"), "q".getBytes(StandardCharsets.UTF_8));
        assets.attachPart(m1.id(), part.id());
        assets.attachPart(m2.id(), part.id());
        Asset upload = assets.create(NewAsset.of(AssetType.DOCUMENT, "u.pdf", "application/pdf"), "u".getBytes(StandardCharsets.UTF_8));
        assets.attach(m1.id(), upload.id(), Map.of());
        Asset deleted = assets.create(NewAsset.of(AssetType.DOCUMENT, "d.pdf", "application/pdf"), "d".getBytes(StandardCharsets.UTF_8));
        assets.attach(m2.id(), deleted.id(), Map.of());

        ExecutionHandle loose = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = loose.step();
        step.toolCall(dev.atlas.execution.NewToolCall.of("q1", "draw", "{}").queued()).cancel();
        StepHandle.ToolCallHandle running = step.toolCall("r1", "draw", "{}");
        clock.set(clock.instant().plusMillis(30));
        running.cancel();
        loose.toolCall(dev.atlas.execution.NewToolCall.of("q2", "draw", "{}").queued()); // left queued
        Asset made = assets.create(NewAsset.of(AssetType.IMAGE, "made.png", "image/png").execution(loose.id(), running.id()),
                "made".getBytes(StandardCharsets.UTF_8));
        assets.attachPart(m2.id(), made.id());
        step.finish("stopped", FinishReason.STOP);
        loose.complete();
        ExecutionHandle inConvo = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        inConvo.toolCall(dev.atlas.execution.NewToolCall.of("q3", "draw", "{}").queued()).cancel();
        inConvo.complete();
        assertThat(acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all().status(dev.atlas.execution.ExecutionStatus.CANCELLED))
                .items()).extracting(dev.atlas.execution.ToolCall::providerCallId, dev.atlas.execution.ToolCall::durationMs)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("q1", null), org.assertj.core.groups.Tuple.tuple("r1", 30L),
                        org.assertj.core.groups.Tuple.tuple("q3", null));

        assertThat(assets.detach(m1.id(), detachedPart.id())).isTrue();
        assertThat(assets.detach(m2.id(), part.id())).isTrue();
        assertThat(assets.detach(m1.id(), upload.id())).isTrue();
        assertThat(assets.detach(m2.id(), deleted.id())).isTrue();
        assertThat(assets.detach(m2.id(), made.id())).isTrue();
        assets.delete(deleted.id());
        acme.conversations().deleteMessage(m1.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        String tables = "SELECT (SELECT COUNT(*) FROM atlas_messages) || ' ' || (SELECT COUNT(*) FROM atlas_assets) || ' '"
                + " || (SELECT COUNT(*) FROM atlas_message_assets) || ' ' || (SELECT COUNT(*) FROM atlas_executions) || ' '"
                + " || (SELECT COUNT(*) FROM atlas_execution_steps) || ' ' || (SELECT COUNT(*) FROM atlas_execution_tool_calls)";
        assertThat(text(tables)).as("messages assets attachments executions steps calls").isEqualTo("2 5 1 2 1 4");

        // The deleted message takes the asset still a part of it alone; the part detached from it stays, and so does the upload.
        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().hardDeleteAfter(DAY), List.of(part),
                List.of(detachedPart, upload, deleted, made))).containsExactlyInAnyOrderEntriesOf(Map.of("messages.deleted", 1L,
                "message_events.deleted", 2L, "assets.deleted", 1L, "asset_blobs.deleted", 1L, "message_assets.deleted", 1L));
        assertThat(text(tables)).isEqualTo("1 4 0 2 1 4");

        // The conversation-less execution goes with its three calls (two cancelled, one still queued) and the asset it made, detached or not;
        // the deleted asset goes; the detached ones that are not deleted stay.
        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().purgeDetachedExecutionsAfter(DAY).purgeDeletedAssetsAfter(DAY),
                List.of(made, deleted), List.of(detachedPart, upload))).containsExactlyInAnyOrderEntriesOf(Map.of("executions.deleted", 1L,
                "execution_steps.deleted", 1L, "execution_tool_calls.deleted", 3L, "assets.deleted", 2L, "asset_blobs.deleted", 2L));
        assertThat(text(tables)).isEqualTo("1 2 0 1 0 1");

        // Erasing the conversation the detached assets were attached in leaves them: they are its messages' no longer.
        assertThat(acme.portability().eraseConversation(convo.id(), true).counts()).isEqualTo(
                acme.portability().eraseConversation(convo.id(), false).counts());
        assertThat(text(tables)).isEqualTo("0 2 0 0 0 0");
        assertThat(assets.get(detachedPart.id())).contains(detachedPart);
        assertThat(assets.get(upload.id())).contains(upload);
        assertThat(blobPresent(detachedPart.blobKey()) && blobPresent(upload.blobKey())).isTrue();

        // Attached to nothing, they stay under every rule until deleted (or discarded).
        RetentionPolicy every = RetentionPolicy.none().deleteMessagesOlderThan(DAY).hardDeleteAfter(DAY).archiveIdleConversations(DAY)
                .purgeArchivedAfter(DAY).purgeDetachedExecutionsAfter(DAY).purgeFinishedTasksAfter(DAY).purgeDeletedAssetsAfter(DAY)
                .purgeDetachedVoiceCallsAfter(DAY);
        assertThat(acme.retention().runRetention(every).counts()).isEmpty();
        assertThat(text(tables)).isEqualTo("0 2 0 0 0 0");
        assets.discard(upload.id());
        assertThat(assets.get(upload.id())).isEmpty();
        assertThat(blobPresent(upload.blobKey())).isFalse();
    }

    @Test
    @DisplayName("a dry run of the detached executions purge and of the deleted uploads purge counts what the real run deletes, bytes included")
    void otherAssetPurgesDryRunMatchRun() {
        Tenant acme = atlas.tenant("acme");
        ExecutionHandle detached = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        Asset out = produced(acme, detached, "out.png");
        detached.complete();
        Asset upload = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf"), "upload".getBytes(StandardCharsets.UTF_8));
        acme.assets().delete(upload.id());
        Asset kept = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "b.pdf", "application/pdf"), "kept".getBytes(StandardCharsets.UTF_8));
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().purgeDetachedExecutionsAfter(DAY), List.of(out), List.of(upload, kept)))
                .containsEntry("asset_blobs.deleted", 1L).containsEntry("assets.deleted", 1L);
        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().purgeDeletedAssetsAfter(DAY), List.of(upload), List.of(kept)))
                .isEqualTo(Map.of("asset_blobs.deleted", 1L, "assets.deleted", 1L));
    }

    @Test
    @DisplayName("every rule at once on a detached execution whose image, messages and step reach a purged conversation, a hard-deleted"
            + " message and a live one: each count equals the rows that went from its table, and the dry run counts the same")
    void detachedExecutionCountsAreTheRowsDeleted() {
        Tenant acme = atlas.tenant("acme");
        var live = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        var old = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        ExecutionHandle detached = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        Asset out = produced(acme, detached, "out.png");
        StepHandle second = detached.step();
        for (int i = 0; i < 3; i++) {
            second.toolCall("c-" + i, "look", "{}").complete("ok " + i);
        }
        second.finish("done", FinishReason.STOP);
        detached.complete();
        acme.search().upsertAssetVector(out.id(), live.id(), "m", new float[] {1, 0});
        var kept = acme.conversations().append(live.id(), dev.atlas.conversation.NewMessage.assistant("drawn").execution(detached.id(), null));
        var gone = acme.conversations().append(live.id(), dev.atlas.conversation.NewMessage.assistant("deleted").execution(detached.id(), null));
        var purged = acme.conversations().append(old.id(), dev.atlas.conversation.NewMessage.assistant("old").execution(detached.id(), null));
        acme.assets().attach(kept.id(), out.id(), Map.of());
        acme.assets().attach(gone.id(), out.id(), Map.of());
        acme.assets().attachPart(purged.id(), out.id());
        acme.conversations().deleteMessage(gone.id());
        acme.conversations().archive(old.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        List<String> tables = List.of("conversations", "messages", "message_events", "message_assets", "executions", "execution_steps",
                "execution_tool_calls", "assets", "vectors");
        Map<String, Long> before = new java.util.TreeMap<>();
        tables.forEach(t -> before.put(t, count("SELECT COUNT(*) FROM atlas_" + t)));

        Map<String, Long> counts = dryRunMatchesRun(acme, RetentionPolicy.none().purgeArchivedAfter(DAY).hardDeleteAfter(DAY)
                .purgeDetachedExecutionsAfter(DAY).purgeDeletedAssetsAfter(DAY), List.of(out), List.of());

        Map<String, Long> went = new java.util.TreeMap<>();
        Map<String, Long> reported = new java.util.TreeMap<>();
        for (String t : tables) {
            went.put(t, before.get(t) - count("SELECT COUNT(*) FROM atlas_" + t));
            reported.put(t, counts.getOrDefault(t + ".deleted", 0L));
        }
        assertThat(reported).as("counts: " + counts).isEqualTo(went);
        assertThat(went).containsEntry("executions", 1L).containsEntry("execution_steps", 2L).containsEntry("execution_tool_calls", 4L)
                .containsEntry("assets", 1L).containsEntry("vectors", 1L).containsEntry("message_assets", 3L).containsEntry("messages", 2L);
        assertThat(counts).containsEntry("messages.detached", 1L);
        assertThat(acme.conversations().getMessage(kept.id()).orElseThrow().executionId()).isNull();
    }

    @Test
    @DisplayName("a dry run of rules that reach the same rows (a deleted asset of a purged conversation or a detached execution, a long-deleted"
            + " message of a purged conversation) counts each row once, as the real run deletes it once")
    void overlappingRulesDryRunMatchRun() {
        Tenant acme = atlas.tenant("acme");
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("kept until the purge"));
        var gone = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("deleted"));
        acme.conversations().deleteMessage(gone.id());
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        Asset drawn = produced(acme, exec, "drawn.png");
        exec.complete();
        acme.assets().delete(drawn.id());
        ExecutionHandle detached = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        Asset out = produced(acme, detached, "out.png");
        detached.complete();
        acme.assets().delete(out.id());
        acme.conversations().archive(convo.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        Map<String, Long> counts = dryRunMatchesRun(acme, RetentionPolicy.none().purgeArchivedAfter(DAY).hardDeleteAfter(DAY)
                .purgeDetachedExecutionsAfter(DAY).purgeDeletedAssetsAfter(DAY), List.of(drawn, out), List.of());

        assertThat(counts).containsEntry("asset_blobs.deleted", 2L).containsEntry("assets.deleted", 2L)
                .containsEntry("messages.deleted", 2L).containsEntry("executions.deleted", 2L);
    }

    @Test
    @DisplayName("a dry run counts once the attachments and vectors of a deleted upload that a purged conversation's rows also reach")
    void overlappingChildrenDryRunMatchRun() {
        Tenant acme = atlas.tenant("acme");
        var convo = acme.conversations().create(NewConversation.of(Owner.user("u"), "a"));
        var question = acme.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("see attached"));
        Asset upload = acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "a.pdf", "application/pdf"), "upload".getBytes(StandardCharsets.UTF_8));
        acme.assets().attach(question.id(), upload.id(), Map.of());
        acme.search().upsertAssetVector(upload.id(), convo.id(), "m", new float[] {1, 0});
        acme.assets().delete(upload.id());
        acme.conversations().archive(convo.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        assertThat(dryRunMatchesRun(acme, RetentionPolicy.none().purgeArchivedAfter(DAY).purgeDeletedAssetsAfter(DAY), List.of(upload), List.of()))
                .containsEntry("message_assets.deleted", 1L).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L);
    }

    /**
     * Per {@code table.column} that references another row (every reference {@link PortableSchema} declares, and a
     * vector's target by its type), how many rows of any tenant name a row that is not there. Derived from the schema,
     * so a new table or reference is covered without editing this list.
     */
    private Map<String, Long> danglingReferences() {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (PortableSchema.Table t : PortableSchema.TABLES) {
            for (PortableSchema.Column c : t.columns()) {
                if (c.ref() != null) {
                    String key = PortableSchema.TABLES.stream().filter(x -> x.table().equals(c.ref())).findFirst().orElseThrow().byId() ? "id" : "model";
                    out.put(t.table() + "." + c.name(), count("SELECT COUNT(*) FROM atlas_" + t.table() + " x WHERE x." + c.name() + " IS NOT NULL"
                            + " AND NOT EXISTS (SELECT 1 FROM atlas_" + c.ref() + " p WHERE p.tenant_id = x.tenant_id AND p." + key + " = x." + c.name() + ")"));
                }
            }
        }
        for (String[] target : new String[][] {{"message", "messages"}, {"memory", "memories"}, {"asset", "assets"}}) {
            out.put("vectors.target_id " + target[0], count("SELECT COUNT(*) FROM atlas_vectors x WHERE x.target_type = '" + target[0] + "'"
                    + " AND NOT EXISTS (SELECT 1 FROM atlas_" + target[1] + " p WHERE p.tenant_id = x.tenant_id AND p.id = x.target_id)"));
        }
        out.put("conversations.parent_tool_call_id", count("SELECT COUNT(*) FROM atlas_conversations x WHERE x.parent_tool_call_id IS NOT NULL"
                + " AND NOT EXISTS (SELECT 1 FROM atlas_execution_tool_calls p WHERE p.tenant_id = x.tenant_id AND p.id = x.parent_tool_call_id)"));
        return out;
    }

    @Test
    @DisplayName("after every rule purged one owner's old history beside another owner's new one, no row of any table names a row that is gone,"
            + " and the tenant's export imports into an empty tenant")
    void everyRuleLeavesNoDanglingReference() {
        Tenant acme = atlas.tenant("acme");
        PortabilityFixture.populate(acme, Owner.user("bob"), "b", true, clock);
        clock.set(clock.instant().plus(Duration.ofDays(10)));
        PortabilityFixture.populate(acme, Owner.user("alice"), "a", false, clock);
        Map<String, Long> before = danglingReferences();
        assertThat(before.keySet()).hasSizeGreaterThan(20);
        assertThat(before.values()).containsOnly(0L);
        RetentionPolicy policy = RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofDays(5)).hardDeleteAfter(DAY)
                .archiveIdleConversations(Duration.ofDays(5)).purgeArchivedAfter(DAY).dropExpiredMemories(true)
                .purgeDetachedExecutionsAfter(Duration.ofDays(5)).purgeFinishedTasksAfter(Duration.ofDays(5)).purgeDeletedAssetsAfter(DAY)
                .batchSize(3);
        Map<String, Long> purged = new java.util.TreeMap<>();
        for (int run = 0; run < 3; run++) {
            RetentionReport report = acme.retention().runRetention(policy);
            report.counts().forEach((k, v) -> purged.merge(k, v, Long::sum));
            assertThat(danglingReferences()).as("after run " + run).isEqualTo(before);
            clock.set(clock.instant().plus(Duration.ofDays(2)));
        }
        assertThat(purged).as("every kind of purge ran").containsKeys("conversations.deleted", "messages.deleted", "executions.deleted",
                "execution_tool_calls.deleted", "assets.deleted", "tasks.deleted");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        acme.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
        Tenant copy = atlas.tenant("copy");
        copy.portability().importFrom(new java.io.ByteArrayInputStream(out.toByteArray()),
                dev.atlas.portability.ImportOptions.defaults().resealCredentialsFrom("acme"));
        java.io.ByteArrayOutputStream back = new java.io.ByteArrayOutputStream();
        copy.portability().exportTo(back, dev.atlas.portability.ExportScope.tenant());
        // Credentials are resealed for the copy's tenant: their lines differ.
        assertThat(PortabilityContract.unsealed(back.toString(java.nio.charset.StandardCharsets.UTF_8)))
                .isEqualTo(PortabilityContract.unsealed(out.toString(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    @DisplayName("runExclusive skips while another holder's lease runs, takes over an expired lease, and releases it after the run")
    void lease() {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 3);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY);
        execute("INSERT INTO atlas_leases (tenant_id, name, holder, expires_at) VALUES ('acme', 'retention', 'other', " + farFuture() + ")");

        assertThat(acme.retention().runExclusive(policy, Duration.ofMinutes(5))).isEmpty();
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(3);
        assertThat(atlas.tenant("globex").retention().runExclusive(policy, Duration.ofMinutes(5)))
                .as("another tenant's lease is its own").contains(new RetentionReport(false, Map.of()));

        execute("UPDATE atlas_leases SET expires_at = " + past());
        Optional<RetentionReport> run = acme.retention().runExclusive(policy, Duration.ofMinutes(5));

        assertThat(run).isPresent();
        assertThat(run.get().counts()).containsExactly(entry("tasks.deleted", 3L));
        assertThat(count("SELECT COUNT(*) FROM atlas_leases")).isZero();
        assertThatThrownBy(() -> acme.retention().runExclusive(policy, Duration.ZERO))
                .isExactlyInstanceOf(InvalidInputException.class).extracting(e -> ((InvalidInputException) e).field()).isEqualTo("lease");
    }

    @Test
    @DisplayName("runExclusive refuses a lease under one second (it would expire before the run began: no exclusivity), naming lease, before taking it")
    void leaseBelowMinimumRefused() {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 1);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY);
        for (Duration tiny : List.of(Duration.ofNanos(1), Duration.ofNanos(999), Duration.ofNanos(1_000), Duration.ofMillis(999),
                Duration.ofSeconds(Long.MAX_VALUE), Duration.ofSeconds(Long.MIN_VALUE), Duration.ofDays(1).plusNanos(1))) {
            assertThatThrownBy(() -> acme.retention().runExclusive(policy, tiny)).as(tiny.toString())
                    .isExactlyInstanceOf(InvalidInputException.class).extracting(e -> ((InvalidInputException) e).field()).isEqualTo("lease");
        }
        // A worker's lease is a setting: refused as AtlasBuilder refuses one (docs/api.md, "Null arguments").
        assertThatThrownBy(() -> RetentionWorker.builder(acme.retention(), policy).lease(Duration.ofMillis(1)))
                .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessage("lease must be between PT1S and one day, was PT0.001S");
        assertThat(count("SELECT COUNT(*) FROM atlas_leases")).isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(1);
        assertThat(acme.retention().runExclusive(policy, Retention.MIN_LEASE)).isPresent();
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isZero();
    }

    @Test
    @DisplayName("RetentionWorker refuses durations too large for milliseconds with ConfigurationException naming the setting, never ArithmeticException; close takes any timeout")
    void workerRefusesOverflowingDurations() {
        Tenant acme = atlas.tenant("acme");
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY);
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        for (String field : List.of("every", "initialDelay", "lease")) {
            assertThatThrownBy(() -> {
                RetentionWorker.Builder b = RetentionWorker.builder(acme.retention(), policy);
                switch (field) {
                    case "every" -> b.every(huge);
                    case "initialDelay" -> b.initialDelay(huge);
                    default -> b.lease(huge);
                }
                b.build().close(Duration.ZERO);
            }).as(field).isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessageStartingWith(field + " must be between ");
        }
        RetentionWorker worker = RetentionWorker.builder(acme.retention(), policy).initialDelay(Duration.ofDays(1)).build();
        assertThat(worker.close(huge)).isTrue();
        assertThat(worker.close(Duration.ofSeconds(Long.MIN_VALUE))).isTrue();
    }

    @Test
    @DisplayName("two workers on one database purge every row exactly once between them")
    void twoWorkers() throws InterruptedException {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 40);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        Atlas other = reopen(b -> b.clock(clock).blobStore(new LocalDirectoryBlobStore(blobDir)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY).batchSize(7);
        AtomicLong deleted = new AtomicLong();
        AtomicLong runs = new AtomicLong();
        CountDownLatch allGone = new CountDownLatch(1);
        java.util.function.Consumer<Optional<RetentionReport>> listener = r -> r.ifPresent(report -> {
            runs.incrementAndGet();
            if (deleted.addAndGet(report.count("tasks.deleted")) >= 40) {
                allGone.countDown();
            }
        });
        RetentionWorker one = RetentionWorker.builder(acme.retention(), policy).every(Duration.ofMillis(1)).onRun(listener).build();
        RetentionWorker two = RetentionWorker.builder(other.tenant("acme").retention(), policy).every(Duration.ofMillis(1)).onRun(listener).build();
        try {
            assertThat(allGone.await(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            assertThat(one.close(Duration.ofSeconds(30))).isTrue();
            assertThat(two.close(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(deleted.get()).isEqualTo(40);
        assertThat(runs.get()).isPositive();
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_leases")).isZero();
    }

    @Test
    @DisplayName("a RetentionWorker survives an Error from the retention or its listener (a scheduled job that throws is never run again)")
    void workerSurvivesErrors() throws Exception {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 3);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        // The real retention, failing its first run as a broken class path would.
        Retention failingOnce = new Retention() {
            @Override
            public RetentionReport runRetention(RetentionPolicy policy) {
                return acme.retention().runRetention(policy);
            }

            @Override
            public Optional<RetentionReport> runExclusive(RetentionPolicy policy, Duration lease) {
                if (runs.getAndIncrement() == 0) {
                    throw new NoClassDefFoundError("first run");
                }
                return acme.retention().runExclusive(policy, lease);
            }
        };
        java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch heardAfterItThrew = new CountDownLatch(1);
        try (LogCapture logs = LogCapture.start()) {
            RetentionWorker worker = RetentionWorker.builder(failingOnce, RetentionPolicy.none().purgeFinishedTasksAfter(DAY))
                    .every(Duration.ofMillis(1)).onRun(r -> {
                        if (heard.getAndIncrement() == 0) {
                            throw new AssertionError("first listener call");
                        }
                        heardAfterItThrew.countDown();
                    }).build();
            try {
                assertThat(heardAfterItThrew.await(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
            }
            assertThat(logs.text()).contains("first run").contains("first listener call");
        }
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isZero();
    }

    @Test
    @DisplayName("a RetentionWorker left running after Atlas closes stops with one warning instead of a failed run logged every tick")
    void workerStopsOnceAtlasIsClosed() throws Exception {
        Tenant acme = atlas.tenant("acme");
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        Retention counting = new Retention() {
            @Override
            public RetentionReport runRetention(RetentionPolicy policy) {
                return acme.retention().runRetention(policy);
            }

            @Override
            public Optional<RetentionReport> runExclusive(RetentionPolicy policy, Duration lease) {
                runs.incrementAndGet();
                return acme.retention().runExclusive(policy, lease);
            }
        };
        try (LogCapture logs = LogCapture.start()) {
            RetentionWorker worker = RetentionWorker.builder(counting, RetentionPolicy.none().purgeFinishedTasksAfter(DAY))
                    .every(Duration.ofMillis(10)).build();
            atlas.close();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!logs.text().contains("Atlas was closed; this RetentionWorker stops") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            int after = runs.get();
            Thread.sleep(300); // some thirty ticks: a worker still running would try (and log) again now
            assertThat(runs.get()).isEqualTo(after);
            String text = logs.text();
            assertThat(text.split("Atlas was closed; this RetentionWorker stops", -1)).hasSize(2);
            assertThat(text).doesNotContain("Retention run failed");
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
        }
    }

    @Test
    @DisplayName("closing a RetentionWorker stops its run at the next batch: the batch under way commits, none starts after, the lease is released and close(timeout) returns true")
    void workerCloseStopsARunAtTheNextBatch() throws Exception {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 30);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY).batchSize(5);
        java.util.concurrent.atomic.AtomicInteger selects = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch inSecondBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        // Pauses the worker inside its second batch's transaction, after it chose its rows.
        db.statementListener((name, sql) -> {
            if (name.equals("retention.select.tasks") && selects.incrementAndGet() == 2) {
                inSecondBatch.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        java.util.List<RetentionReport> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        RetentionWorker worker = RetentionWorker.builder(acme.retention(), policy).onRun(r -> r.ifPresent(reports::add)).build();
        try {
            assertThat(inSecondBatch.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(worker.close(Duration.ZERO)).as("a run is in progress").isFalse();
        } finally {
            release.countDown();
        }
        assertThat(worker.close(Duration.ofSeconds(60))).isTrue();
        db.statementListener(null);
        assertThat(selects.get()).as("no batch began after close").isEqualTo(2);
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(20);
        assertThat(count("SELECT COUNT(*) FROM atlas_leases")).isZero();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).stopped()).isTrue();
        assertThat(reports.get(0).counts()).containsExactly(entry("tasks.deleted", 10L));
        // The next run, by anyone, goes on where it stopped.
        RetentionReport rest = acme.retention().runRetention(policy);
        assertThat(rest.stopped()).isFalse();
        assertThat(rest.counts()).containsExactly(entry("tasks.deleted", 20L));
    }

    @Test
    @DisplayName("runRetention with a stop signal checks it before every batch transaction, on every rule and in a dry run; a stopped run's report says so and counts what it did")
    void runStopsAtABatchBoundary() {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 12);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY).batchSize(5);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        RetentionReport dry = acme.retention().runRetention(policy.dryRun(true), () -> asked.incrementAndGet() > 1);
        assertThat(dry.stopped()).isTrue();
        assertThat(dry.counts()).containsExactly(entry("tasks.deleted", 5L));
        assertThat(acme.retention().runRetention(policy, () -> true)).isEqualTo(new RetentionReport(false, Map.of(), true));
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(12);
        asked.set(0);
        RetentionReport two = acme.retention().runRetention(policy, () -> asked.incrementAndGet() > 2);
        assertThat(two.stopped()).isTrue();
        assertThat(two.counts()).containsExactly(entry("tasks.deleted", 10L));
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(2);
        RetentionReport exclusive = acme.retention().runExclusive(policy, Duration.ofMinutes(1), () -> false).orElseThrow();
        assertThat(exclusive.stopped()).isFalse();
        assertThat(exclusive.counts()).containsExactly(entry("tasks.deleted", 2L));
        assertThat(count("SELECT COUNT(*) FROM atlas_leases")).isZero();
        assertThatThrownBy(() -> acme.retention().runRetention(policy, null)).isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("stop");
    }

    @Test
    @DisplayName("RetentionWorker.close called from its own onRun listener returns true at once (its run is over) instead of waiting out the timeout for itself")
    void workerClosedFromItsListener() throws Exception {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 3);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        java.util.concurrent.CompletableFuture<Boolean> closed = new java.util.concurrent.CompletableFuture<>();
        RetentionWorker[] self = new RetentionWorker[1];
        CountDownLatch built = new CountDownLatch(1);
        RetentionWorker worker = RetentionWorker.builder(acme.retention(), RetentionPolicy.none().purgeFinishedTasksAfter(DAY))
                .onRun(r -> {
                    try {
                        built.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    closed.complete(self[0].close(Duration.ofSeconds(5)));
                }).build();
        self[0] = worker;
        built.countDown();
        assertThat(closed.get(60, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.close(Duration.ofSeconds(60))).isTrue();
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isZero();
    }

    @Test
    @DisplayName("runExclusive renews its lease in every batch, so the lease must outlast a batch, not a run; a run whose lease another holder"
            + " took over (a batch outlasted it) stops before its next batch, reports stopped() and leaves the new holder's lease in place")
    void leaseRenewedPerBatchAndLostLeaseStops() {
        Tenant acme = atlas.tenant("acme");
        finishedTasks(acme, 30);
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(DAY).batchSize(5);
        java.util.concurrent.atomic.AtomicInteger selects = new java.util.concurrent.atomic.AtomicInteger();
        java.util.List<String> holders = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        db.statementListener((name, sql) -> {
            if (name.equals("retention.select.tasks")) {
                selects.incrementAndGet();
            }
        });
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        Optional<RetentionReport> run;
        try {
            run = acme.retention().runExclusive(policy, Duration.ofMinutes(1), () -> {
                // Asked between batches, with no transaction open.
                if (asked.incrementAndGet() == 2) {
                    holders.add(text("SELECT holder FROM atlas_leases"));
                    // Another process took the lease over after it expired (as under a batch that outlasted it).
                    update("UPDATE atlas_leases SET holder = 'another process'");
                }
                return false;
            });
        } finally {
            db.statementListener(null);
        }
        assertThat(run).isPresent();
        assertThat(run.get().stopped()).isTrue();
        assertThat(run.get().counts()).containsExactly(entry("tasks.deleted", 5L));
        assertThat(selects.get()).as("the batch that found the lease lost did not run").isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(25);
        assertThat(text("SELECT holder FROM atlas_leases")).as("the new holder's lease is left in place").isEqualTo("another process");
        assertThat(holders).hasSize(1).doesNotContain("another process");
    }
}
