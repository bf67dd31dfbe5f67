package dev.atlas.jdbi;

import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention purges racing writes that name what they purge, with the interleaving forced: another
 * connection holds a row lock the purge needs late, so the purge has taken its own locks and
 * deleted part of its rows when the racing write starts. PostgreSQL only: SQLite's single writer
 * cannot interleave them. (Found by this stop's review.)
 */
class PostgresRetentionRaceTest extends AtlasContract {
    PostgresRetentionRaceTest() {
        super(new PostgresTestDatabase());
    }

    private record Outcome(Object purge, Object racer) {}

    /**
     * Holds {@code lockSql} (bound to {@code held}) on another connection, runs {@code purge} until
     * it waits for that lock, runs {@code racer} until it returns or waits for a lock too, then
     * lets the purge go on; each outcome is its result or what it threw.
     */
    private Outcome race(String lockSql, UUID held, Callable<Object> purge, Callable<Object> racer) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection hold = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            hold.setAutoCommit(false);
            try (PreparedStatement ps = hold.prepareStatement(lockSql)) {
                ps.setObject(1, held);
                ps.executeQuery().close();
            }
            Future<Object> p = pool.submit(() -> outcome(purge));
            awaitBlocked(probe, 1, p, false);
            Future<Object> r = pool.submit(() -> outcome(racer));
            awaitBlocked(probe, 2, r, true);
            hold.rollback();
            return new Outcome(p.get(60, TimeUnit.SECONDS), r.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    private static Object outcome(Callable<Object> call) {
        try {
            return call.call();
        } catch (Exception e) {
            return e;
        }
    }

    private static NewAsset png() {
        return NewAsset.of(AssetType.IMAGE, "chart.png", "image/png");
    }

    // ---- the fixture the races share ----------------------------------------------------------

    private Tenant acme() {
        return atlas.tenant("acme");
    }

    /** A new conversation of alice's in acme holding one user message {@code text}: that message. */
    private Message message(String text) {
        Conversation c = acme().conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        return acme().conversations().append(c.id(), NewMessage.user(text));
    }

    /** A new asset of acme's (one byte), attached to {@code attachedTo}'s message unless null, as a part of it when {@code part}. */
    private UUID asset(Message attachedTo, boolean part) {
        UUID x = acme().assets().create(png(), new byte[] {1}).id();
        if (attachedTo != null) {
            if (part) {
                acme().assets().attachPart(attachedTo.id(), x);
            } else {
                acme().assets().attach(attachedTo.id(), x, Map.of());
            }
        }
        return x;
    }

    /** Five seconds pass: every rule below of one second applies to what was written before. */
    private void aged() {
        clock.advanceMicros(5_000_000L);
    }

    /** The blob intents left, of every tenant: none once purges' bytes are gone. */
    private long blobIntents() throws Exception {
        try (Connection read = database.dataSource().getConnection();
             java.sql.ResultSet rs = read.createStatement().executeQuery("SELECT count(*) FROM atlas_blob_intents")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Waits until a session of this test's database is blocked by another's lock (pg_blocking_pids, not a time or another
     * database's waits), failing if {@code call} finishes first or none is blocked within 60 s.
     */
    private static void awaitBlocked(Connection probe, Future<?> call) throws Exception {
        awaitBlocked(probe, 1, call, false);
    }

    /**
     * Waits until {@code n} sessions of this test's database are blocked by others' locks (pg_blocking_pids: the waits of
     * other databases on the server, other suites', count for nothing), or {@code call} has finished when {@code mayFinish}
     * (it did not need to wait); fails if it finishes otherwise, or if they are not blocked within 60 s.
     */
    private static void awaitBlocked(Connection probe, int n, Future<?> call, boolean mayFinish) throws Exception {
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); System.nanoTime() < end; Thread.sleep(5)) {
            try (PreparedStatement ps = probe.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND cardinality(pg_blocking_pids(pid)) > 0"); java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= n) {
                    return;
                }
            }
            if (mayFinish && call.isDone()) {
                return;
            }
            assertThat(call.isDone()).as("finished without waiting for the lock held: %s", call.isDone() ? outcomeOf(call) : null).isFalse();
        }
        throw new AssertionError(n + " sessions of the test's database were not blocked within 60 s");
    }

    private static Object outcomeOf(Future<?> call) {
        try {
            return call.get();
        } catch (Exception e) {
            return e;
        }
    }

    /** acme's retention run of {@code policy}, as a racer. */
    private Callable<Object> retention(RetentionPolicy policy) {
        return () -> acme().retention().runRetention(policy);
    }

    @Test
    @DisplayName("an attach of an asset made by an execution of the conversation being purged, into another conversation, waits"
            + " for the purge and finds no asset (before: the purge failed on the attachment's foreign key)")
    void attachRacingPurgeOfTheAssetsConversation() throws Exception {
        Tenant acme = acme();
        Message m = message("look at this");
        Message held = message("draw");
        UUID b = held.conversationId();
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(b));
        UUID x = acme.assets().create(png().execution(exec.id(), null), new byte[] {1, 2, 3}).id();
        exec.complete();
        acme.conversations().archive(b);
        clock.advanceMicros(Duration.ofDays(2).toNanos() / 1000);
        Outcome out = race("SELECT 1 FROM atlas_messages WHERE id = ? FOR KEY SHARE", held.id(),
                retention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1))),
                () -> acme.assets().attach(m.id(), x, Map.of()));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("conversations.deleted", 1L).containsEntry("assets.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.id()).isEqualTo(x));
        assertThat(acme.assets().get(x)).isEmpty();
    }

    @Test
    @DisplayName("an append naming a detached execution being purged waits for the purge and is refused NotFoundException on"
            + " executionId (before: the purge failed on the message's foreign key)")
    void appendRacingDetachedExecutionPurge() throws Exception {
        Tenant acme = acme();
        Message u = message("hi");
        ExecutionHandle x = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = x.step();
        step.finish("done", null, FinishReason.STOP, Usage.of(1, 1));
        x.complete();
        aged();
        Outcome out = race("SELECT 1 FROM atlas_execution_steps WHERE id = ? FOR KEY SHARE", step.id(),
                retention(RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofSeconds(1))),
                () -> acme.conversations().append(u.conversationId(), NewMessage.assistant("late").parent(u.id()).execution(x.id(), null)));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("executions.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("executionId"));
        assertThat(acme.conversations().history(u.conversationId())).extracting(Message::content).containsExactly("hi");
    }

    @Test
    @DisplayName("an upload naming a detached execution being purged waits for the purge and is refused NotFoundException on"
            + " executionId (before: the purge failed on the asset's foreign key)")
    void uploadRacingDetachedExecutionPurge() throws Exception {
        Tenant acme = acme();
        ExecutionHandle y = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = y.step();
        step.finish("done", null, FinishReason.STOP, Usage.of(1, 1));
        y.complete();
        aged();
        Outcome out = race("SELECT 1 FROM atlas_execution_steps WHERE id = ? FOR KEY SHARE", step.id(),
                retention(RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofSeconds(1))),
                () -> acme.assets().create(png().execution(y.id(), null), new byte[] {4, 5}));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("executions.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("executionId"));
    }

    @Test
    @DisplayName("a detach of a soft-deleted asset racing retention's purge of that asset, which holds the asset, has deleted its"
            + " attachments and waits to record its blob key, waits for the purge and finds no asset: NotFoundException on assetId"
            + " (before: the detach share-locked the asset first and then waited for the purge's deleted attachment, a deadlock,"
            + " one failing with a storage error)")
    void detachRacingDeletedAssetPurge() throws Exception {
        Tenant acme = acme();
        Message m = message("the wrong file");
        UUID x = asset(m, false);
        acme.assets().delete(x);
        aged();
        Outcome out = race("INSERT INTO atlas_blob_intents (tenant_id, blob_key, created_at) SELECT tenant_id, blob_key, created_at"
                        + " FROM atlas_assets WHERE id = ? RETURNING 1", x,
                retention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofSeconds(1))),
                () -> acme.assets().detach(m.id(), x));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("assets.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e)
                .hasMessage("assetId: asset " + x + " not found"));
        assertThat(acme.assets().forMessage(m.id())).isEmpty();
    }

    @Test
    @DisplayName("a discard of a soft-deleted asset racing retention's purge of that asset, which has claimed its bytes and waits for"
            + " the asset row behind the discard: the discard removes the asset and the purge finds it gone (before: the discard,"
            + " holding the asset, waited for the purge's claim of the bytes, a deadlock, one failing with a storage error)")
    void discardRacingDeletedAssetPurge() throws Exception {
        Tenant acme = acme();
        UUID x = asset(null, false);
        acme.assets().delete(x);
        aged();
        Outcome out = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", x,
                () -> {
                    acme.assets().discard(x);
                    return "discarded";
                },
                retention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofSeconds(1))));
        assertThat(out.purge()).isEqualTo("discarded");
        assertThat(out.racer()).isInstanceOf(RetentionReport.class);
        assertThat(acme.assets().get(x)).isEmpty();
    }

    @Test
    @DisplayName("retention's purge of a detached execution, waiting to lock a message naming it before the execution and its asset,"
            + " racing another run's purge of that asset, soft-deleted and attached: the purge of deleted assets removes the asset and"
            + " its attachment, and the purge of the execution then finds them gone and unlinks the message (before the purge took"
            + " the asset first: that purge deleted the attachment and waited for the asset row, which the purge of the execution"
            + " held while it waited for the attachment, a deadlock, one failing with a storage error)")
    void detachedExecutionPurgeRacingDeletedAssetPurge() throws Exception {
        Tenant acme = acme();
        Message u = message("draw a chart");
        UUID c = u.conversationId();
        ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-image"));
        UUID x = acme.assets().create(png().execution(e.id(), null), new byte[] {1}).id();
        Message m = acme.conversations().append(c, NewMessage.assistant("here").parent(u.id()).execution(e.id(), null));
        e.complete();
        acme.assets().attach(m.id(), x, Map.of());
        acme.assets().delete(x);
        aged();
        Outcome out = race("SELECT 1 FROM atlas_messages WHERE id = ? FOR SHARE", m.id(),
                retention(RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofSeconds(1))),
                retention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofSeconds(1))));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("executions.deleted", 1L).containsEntry("messages.detached", 1L)
                .doesNotContainKey("assets.deleted").doesNotContainKey("message_assets.deleted"));
        assertThat(out.racer()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("assets.deleted", 1L).containsEntry("message_assets.deleted", 1L));
        assertThat(acme.assets().get(x)).isEmpty();
        assertThat(acme.conversations().history(c)).extracting(Message::content).containsExactly("draw a chart", "here");
    }

    @Test
    @DisplayName("retention's purge of a soft-deleted asset, which has deleted its attachment and waits for the asset row, racing"
            + " another run's hard delete of the message the asset is a part of: the purge removes the asset and the hard delete the"
            + " message (before: the hard delete recorded the asset's blob key as claimed and then waited for the attachment, while"
            + " the purge, holding the attachment, then the asset, waited for that key, a deadlock, one failing with a storage error)")
    void hardDeleteOfAMessageRacingDeletedAssetPurgeOfItsPart() throws Exception {
        Tenant acme = acme();
        Message m = message("see inline");
        UUID x = asset(m, true);
        acme.assets().delete(x);
        acme.conversations().deleteMessage(m.id());
        aged();
        Outcome out = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", x,
                retention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofSeconds(1))),
                retention(RetentionPolicy.none().hardDeleteAfter(Duration.ofSeconds(1))));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("assets.deleted", 1L).containsEntry("message_assets.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("messages.deleted", 1L).doesNotContainEntry("assets.deleted", 1L));
        assertThat(acme.assets().get(x)).isEmpty();
        assertThat(acme.conversations().history(m.conversationId())).isEmpty();
    }

    @Test
    @DisplayName("an attach of an asset to another message racing retention's hard delete of the message the asset is a part of,"
            + " which waits for the asset row: the attach commits first and the purge, seeing it under the lock, keeps the asset for"
            + " the other message and deletes only the deleted message's attachment (before: the purge had deleted the attachments it"
            + " saw before it locked the asset, and failed on the new attachment's foreign key)")
    void attachRacingHardDeleteOfTheMessageOfItsPart() throws Exception {
        Tenant acme = acme();
        Message m = message("see inline");
        Message other = message("and again");
        UUID x = asset(m, true);
        acme.conversations().deleteMessage(m.id());
        aged();
        Outcome out = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", x,
                retention(RetentionPolicy.none().hardDeleteAfter(Duration.ofSeconds(1))),
                () -> acme.assets().attach(other.id(), x, Map.of()));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("messages.deleted", 1L).containsEntry("message_assets.deleted", 1L).doesNotContainKey("assets.deleted"));
        assertThat(out.racer()).isInstanceOfSatisfying(dev.atlas.asset.AttachedAsset.class, a -> assertThat(a.asset().id()).isEqualTo(x));
        assertThat(acme.assets().forMessage(other.id())).extracting(a -> a.asset().id()).containsExactly(x);
    }

    @Test
    @DisplayName("an attach of an asset to another message racing retention's purge of the archived conversation whose message the"
            + " asset is a part of, the purge having recorded the blob key of its execution's asset and waiting for the part's row:"
            + " the attach commits first and the purge keeps the part for the other message, deleting only its execution's asset and"
            + " the purged message's attachment; a second instance's purge of the same"
            + " conversation, behind the first, reports it skipped and deletes nothing")
    void attachRacingConversationPurgeOfItsPart() throws Exception {
        Tenant acme = acme();
        Message m = message("see inline");
        Message other = message("and again");
        ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(m.conversationId()));
        UUID made = acme.assets().create(png().execution(e.id(), null), new byte[] {2}).id();
        e.complete();
        UUID x = asset(m, true);
        acme.conversations().archive(m.conversationId());
        aged();
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofSeconds(1));
        Outcome out = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", x, retention(policy),
                () -> acme.assets().attach(other.id(), x, Map.of()));
        assertThat(out.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("conversations.deleted", 1L).containsEntry("messages.deleted", 1L).containsEntry("assets.deleted", 1L)
                .containsEntry("message_assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L).containsEntry("executions.deleted", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(dev.atlas.asset.AttachedAsset.class, a -> assertThat(a.asset().id()).isEqualTo(x));
        assertThat(acme.assets().get(made)).isEmpty();
        assertThat(acme.assets().forMessage(other.id())).extracting(a -> a.asset().id()).containsExactly(x);

        // Two instances (no lease) purging one conversation: the second chose it too and waits for the first's lock on it.
        Message n = message("once more");
        UUID y = asset(n, true);
        acme.conversations().archive(n.conversationId());
        aged();
        dev.atlas.Atlas second = reopen(this::configure);
        Outcome both = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", y, retention(policy),
                () -> second.tenant("acme").retention().runRetention(policy));
        assertThat(both.purge()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsEntry("conversations.deleted", 1L).containsEntry("messages.deleted", 1L).containsEntry("assets.deleted", 1L)
                .containsEntry("message_assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L));
        assertThat(both.racer()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                .containsExactly(Map.entry("conversations.skipped", 1L)));
        assertThat(acme.conversations().get(n.conversationId())).isEmpty();
        assertThat(acme.conversations().get(other.conversationId())).isPresent();
        assertThat(blobIntents()).isZero();
    }

    @Test
    @DisplayName("an attach of an upload of the conversation being erased to a message of another conversation, committed after"
            + " the erase deleted the conversation's attachments and before it locks the asset: the erase deletes the asset with"
            + " that attachment (before: it failed on the attachment's foreign key, half-way)")
    void attachRacingConversationErase() throws Exception {
        Tenant acme = acme();
        Message m = message("the contract");
        Message other = message("unrelated");
        UUID x = asset(m, false);
        Outcome out = race("SELECT 1 FROM atlas_assets WHERE id = ? FOR KEY SHARE", x,
                () -> acme.portability().eraseConversation(m.conversationId(), false),
                () -> acme.assets().attach(other.id(), x, Map.of()));
        assertThat(out.purge()).isInstanceOfSatisfying(dev.atlas.portability.EraseReport.class, r -> assertThat(r.counts())
                .containsEntry("conversations", 1L).containsEntry("messages", 1L).containsEntry("assets", 1L)
                .containsEntry("message_assets", 2L).containsEntry("asset_blobs", 1L));
        assertThat(out.racer()).isInstanceOfSatisfying(dev.atlas.asset.AttachedAsset.class, a -> assertThat(a.asset().id()).isEqualTo(x));
        assertThat(acme.assets().get(x)).isEmpty();
        assertThat(acme.assets().forMessage(other.id())).isEmpty();
        assertThat(acme.conversations().history(other.conversationId())).extracting(Message::content).containsExactly("unrelated");
        assertThat(blobIntents()).isZero();
    }

    @Test
    @DisplayName("an erase of a deleted conversation racing retention's purge of it, the purge holding the conversation's execution"
            + " and that execution's asset and about to lock a part of its message whose id sorts first: the erase waits for the"
            + " purge (it share-locks its assets' executions first, as every path deleting assets does) and both finish (before: the"
            + " erase locked the part, then waited for the execution's asset, and the purge, waiting for the part, failed on a deadlock)")
    void eraseRacingConversationPurgeOfItsParts() throws Exception {
        Tenant acme = acme();
        Message m = message("see inline");
        UUID part = asset(m, true);
        ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(m.conversationId()));
        UUID made = acme.assets().create(png().execution(e.id(), null), new byte[] {2}).id();
        e.complete();
        assertThat(part.toString()).isLessThan(made.toString());
        acme.conversations().delete(m.conversationId());
        aged();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> purger = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch partsRead = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
        // The purge stops once it has read its messages' parts, holding the conversation, its execution and the execution's asset,
        // until the test has seen the erase blocked by it (never released by a time: on a busy machine the erase may be slow).
        db.statementListener((name, jdbc) -> {
            if (Thread.currentThread() == purger.get() && name.equals("retention.attachments")) {
                partsRead.countDown();
                try {
                    released.set(release.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofSeconds(1)).hardDeleteAfter(Duration.ofSeconds(1));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection probe = database.dataSource().getConnection()) {
            Future<Object> purge = pool.submit(() -> {
                purger.set(Thread.currentThread());
                return outcome(retention(policy));
            });
            assertThat(partsRead.await(60, TimeUnit.SECONDS)).isTrue();
            Future<Object> erase = pool.submit(() -> outcome(() -> acme.portability().eraseConversation(m.conversationId(), false)));
            awaitBlocked(probe, erase);
            release.countDown();
            Object purged = purge.get(60, TimeUnit.SECONDS);
            Object erased = erase.get(60, TimeUnit.SECONDS);
            assertThat(released).as("the purge went on when the test released it, the erase blocked").isTrue();
            // Each row is deleted once and counted in the report of the one that deleted it: the erase deleted the message before
            // the purge went on, the purge everything else.
            assertThat(purged).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts()).isEqualTo(Map.of(
                    "conversations.deleted", 1L, "executions.deleted", 1L, "assets.deleted", 2L, "asset_blobs.deleted", 2L)));
            assertThat(erased).isInstanceOfSatisfying(dev.atlas.portability.EraseReport.class, r -> assertThat(r.counts()).isEqualTo(Map.of(
                    "message_events", 1L, "message_assets", 1L, "messages", 1L)));
        } finally {
            release.countDown();
            db.statementListener(null);
            pool.shutdownNow();
        }
        assertThat(acme.conversations().get(m.conversationId())).isEmpty();
        assertThat(acme.assets().get(part)).isEmpty();
        assertThat(acme.assets().get(made)).isEmpty();
        assertThat(blobIntents()).isZero();
    }

    @Test
    @DisplayName("an erase whose batch is deleted by another transaction between the erase's select and its delete (another"
            + " instance's purge or erase committing first) reads the next batch: the deleted tool thread's parent is erased too"
            + " (before: a batch that deleted no row ended its table, leaving the parent behind, soft-deleted, and out of the report)")
    void eraseBatchDeletedByAnotherTransactionGoesOn() throws Exception {
        Tenant acme = acme();
        UUID parent = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        UUID thread = acme.conversations().create(NewConversation.toolThread(Owner.user("alice"), null, parent, null)).id();
        acme.conversations().delete(thread);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection other = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            other.setAutoCommit(false);
            // What a purge of the deleted thread does: deletes its row (uncommitted while the erase reads its first batch).
            try (PreparedStatement ps = other.prepareStatement("DELETE FROM atlas_conversations WHERE tenant_id = 'acme' AND id = ?")) {
                ps.setObject(1, thread);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            Future<Object> erase = pool.submit(() -> outcome(() -> acme.portability().eraseOwner(Owner.user("alice"), false)));
            awaitBlocked(probe, erase);
            other.commit();
            assertThat(erase.get(60, TimeUnit.SECONDS)).isInstanceOfSatisfying(dev.atlas.portability.EraseReport.class,
                    r -> assertThat(r.counts()).isEqualTo(Map.of("conversations", 1L)));
            try (java.sql.ResultSet rs = probe.createStatement().executeQuery("SELECT count(*) FROM atlas_conversations")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an erase of an owner racing another erase of the same owner (another instance) that detaches the owner's message"
            + " in another owner's conversation first: the erase waits for it and counts nothing it did not change (before: it"
            + " cleared the already detached message again, touching its updated_at, and reported messages_detached 1)")
    void eraseCountsNoRowAnotherEraseDetached() throws Exception {
        Tenant acme = acme();
        UUID bobs = acme.conversations().create(NewConversation.of(Owner.user("bob"))).id();
        Message m = acme.conversations().append(bobs, NewMessage.user("from alice").author(Owner.user("alice")));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection other = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            other.setAutoCommit(false);
            // What the other instance's erase of alice does first: clears the author (uncommitted while this erase reads its batch).
            try (PreparedStatement ps = other.prepareStatement("UPDATE atlas_messages SET author_type = NULL, author_id = NULL"
                    + " WHERE tenant_id = 'acme' AND id = ?")) {
                ps.setObject(1, m.id());
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            Future<Object> erase = pool.submit(() -> outcome(() -> acme.portability().eraseOwner(Owner.user("alice"), false)));
            awaitBlocked(probe, erase);
            other.commit();
            assertThat(erase.get(60, TimeUnit.SECONDS)).isInstanceOfSatisfying(dev.atlas.portability.EraseReport.class,
                    r -> assertThat(r.counts()).isEmpty());
            assertThat(acme.conversations().requireMessage(m.id()).updatedAt()).isEqualTo(m.updatedAt());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("two instances purging one archived conversation and its deleted tool thread, whose id sorts first (an instance"
            + " whose clock lags made it): one chose the conversation alone, the other both: both finish, the tree deleted once"
            + " (before: the first locked the conversation and then its tool thread, the other the thread and then the conversation,"
            + " a deadlock, one failing with a storage error)")
    void twoPurgesLockingOneTree() throws Exception {
        Tenant acme = acme();
        // The tool thread's id is stamped a second before its parent's, as an instance whose clock lags would: imported so.
        Tenant source = atlas.tenant("source");
        Conversation a = source.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Conversation made = source.conversations().create(NewConversation.toolThread(Owner.user("alice"), "support", a.id(), null));
        String ms = a.id().toString().replace("-", "").substring(0, 12);
        String lagging = String.format("%012x", Long.parseLong(ms, 16) - 1000);
        UUID dId = UUID.fromString(lagging.substring(0, 8) + "-" + lagging.substring(8) + made.id().toString().substring(13));
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        source.portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
        acme.portability().importFrom(new java.io.ByteArrayInputStream(file.toString(java.nio.charset.StandardCharsets.UTF_8)
                .replace(made.id().toString(), dId.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        Conversation d = acme.conversations().require(dId);
        assertThat(d.id().toString()).isLessThan(a.id().toString());
        acme.conversations().archive(a.id());
        acme.conversations().delete(d.id());
        aged();
        RetentionPolicy archived = RetentionPolicy.none().purgeArchivedAfter(Duration.ofSeconds(1));
        Callable<Object> alone = retention(archived);
        Callable<Object> both = () -> reopen(this::configure).tenant("acme").retention().runRetention(archived.hardDeleteAfter(Duration.ofSeconds(1)));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holdA = database.dataSource().getConnection(); Connection holdD = database.dataSource().getConnection();
             Connection probe = database.dataSource().getConnection()) {
            for (Object[] hold : new Object[][] {{holdA, a.id()}, {holdD, d.id()}}) {
                Connection c = (Connection) hold[0];
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM atlas_conversations WHERE id = ? FOR KEY SHARE")) {
                    ps.setObject(1, hold[1]);
                    ps.executeQuery().close();
                }
            }
            Future<Object> second = pool.submit(() -> outcome(both));
            awaitBlocked(probe, 1, second, false);
            Future<Object> first = pool.submit(() -> outcome(alone));
            awaitBlocked(probe, 2, first, false);
            holdA.rollback();
            // The first run waits for the tool thread behind the second (which holds the row's tuple lock, first in line).
            for (int i = 0; i < 3000 && !first.isDone(); i++) {
                try (PreparedStatement ps = probe.prepareStatement("SELECT count(*) FROM pg_locks WHERE locktype = 'tuple' AND NOT granted"
                        + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
                     java.sql.ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        break;
                    }
                }
                Thread.sleep(10);
            }
            holdD.rollback();
            Object one = first.get(60, TimeUnit.SECONDS);
            Object two = second.get(60, TimeUnit.SECONDS);
            assertThat(two).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                    .containsEntry("conversations.deleted", 2L));
            assertThat(one).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts())
                    .containsExactly(Map.entry("conversations.skipped", 1L)));
        } finally {
            pool.shutdownNow();
        }
        assertThat(acme.conversations().get(a.id())).isEmpty();
    }

    @Test
    @DisplayName("an operator's requeue of a failed task that commits while the purge of finished tasks has chosen it keeps the"
            + " task, pending (before: the purge deleted the requeued task and the acknowledged requeue was lost); a requeue"
            + " behind the purge is NotFoundException")
    void requeueRacingFinishedTaskPurge() throws Exception {
        dev.atlas.task.TaskStore tasks = atlas.tenant("acme").tasks();
        dev.atlas.task.Task t = tasks.create(dev.atlas.task.NewTask.of("report", Map.of()).maxAttempts(1));
        tasks.fail(tasks.claim(Duration.ofMinutes(1)).orElseThrow(), "HTTP 503");
        clock.advanceMicros(Duration.ofDays(2).toNanos() / 1000);
        // The requeue waits for the held row lock first, the purge (having chosen the task) behind it: the requeue commits first.
        Outcome out = race("SELECT 1 FROM atlas_tasks WHERE id = ? FOR UPDATE", t.id(),
                () -> tasks.requeue(t.id()),
                () -> atlas.tenant("acme").retention().runRetention(RetentionPolicy.none().purgeFinishedTasksAfter(Duration.ofDays(1))));
        assertThat(out.purge()).isInstanceOfSatisfying(dev.atlas.task.Task.class,
                r -> assertThat(r.status()).isEqualTo(dev.atlas.task.TaskStatus.PENDING));
        assertThat(out.racer()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts().getOrDefault("tasks.deleted", 0L)).isZero());
        assertThat(tasks.get(t.id()).orElseThrow().status()).isEqualTo(dev.atlas.task.TaskStatus.PENDING);

        // The other order: the purge waits first and deletes the task; the requeue then finds none.
        dev.atlas.task.Task u = tasks.create(dev.atlas.task.NewTask.of("export", Map.of()).maxAttempts(1));
        tasks.fail(tasks.claim(Duration.ofMinutes(1), java.util.Set.of("export")).orElseThrow(), "HTTP 503");
        clock.advanceMicros(Duration.ofDays(2).toNanos() / 1000);
        Outcome purgedFirst = race("SELECT 1 FROM atlas_tasks WHERE id = ? FOR UPDATE", u.id(),
                () -> atlas.tenant("acme").retention().runRetention(RetentionPolicy.none().purgeFinishedTasksAfter(Duration.ofDays(1))),
                () -> tasks.requeue(u.id()));
        assertThat(purgedFirst.purge()).isInstanceOfSatisfying(RetentionReport.class,
                r -> assertThat(r.counts()).containsEntry("tasks.deleted", 1L));
        assertThat(purgedFirst.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.id()).isEqualTo(u.id()));
        assertThat(tasks.get(u.id())).isEmpty();
        assertThat(tasks.get(t.id()).orElseThrow().status()).isEqualTo(dev.atlas.task.TaskStatus.PENDING);
    }

    @Test
    @DisplayName("a summary of an ended voice call of no conversation that commits while purgeDetachedVoiceCallsAfter has chosen"
            + " the call keeps it, summarized; a summary behind the purge is NotFoundException naming the call")
    void summaryRacingDetachedVoiceCallPurge() throws Exception {
        dev.atlas.voice.VoiceCallStore voice = atlas.tenant("acme").voiceCalls();
        RetentionPolicy policy = RetentionPolicy.none().purgeDetachedVoiceCallsAfter(Duration.ofDays(1));
        UUID kept = voice.start(dev.atlas.voice.NewVoiceCall.of("s-kept", "openai", "rt")).id();
        voice.complete(kept, java.util.List.of(dev.atlas.voice.VoiceTurn.user("hello")));
        clock.advanceMicros(Duration.ofDays(2).toNanos() / 1000);
        // The summary waits for the held row lock first, the purge (having chosen the call) behind it: the summary commits first.
        Outcome summaryFirst = race("SELECT 1 FROM atlas_voice_calls WHERE id = ? FOR UPDATE", kept,
                () -> voice.summarize(kept, "asked for a refund"),
                () -> atlas.tenant("acme").retention().runRetention(policy));
        assertThat(summaryFirst.purge()).isInstanceOfSatisfying(dev.atlas.voice.VoiceCall.class,
                c -> assertThat(c.summary()).isEqualTo("asked for a refund"));
        assertThat(summaryFirst.racer()).isInstanceOfSatisfying(RetentionReport.class, r -> assertThat(r.counts()).isEmpty());
        assertThat(voice.get(kept).orElseThrow().summary()).isEqualTo("asked for a refund");

        // The other order: the purge waits first and deletes the call; the summary then finds none.
        UUID gone = voice.start(dev.atlas.voice.NewVoiceCall.of("s-gone", "openai", "rt")).id();
        voice.complete(gone, java.util.List.of(dev.atlas.voice.VoiceTurn.user("hello")));
        clock.advanceMicros(Duration.ofDays(2).toNanos() / 1000);
        voice.summarize(kept, "asked for a refund"); // written within the age again: this run keeps it
        Outcome purgedFirst = race("SELECT 1 FROM atlas_voice_calls WHERE id = ? FOR UPDATE", gone,
                () -> atlas.tenant("acme").retention().runRetention(policy),
                () -> voice.summarize(gone, "too late"));
        assertThat(purgedFirst.purge()).isInstanceOfSatisfying(RetentionReport.class,
                r -> assertThat(r.counts()).containsExactly(java.util.Map.entry("voice_calls.deleted", 1L)));
        assertThat(purgedFirst.racer()).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.id()).isEqualTo(gone));
        assertThat(voice.get(gone)).isEmpty();
        assertThat(voice.get(kept)).isPresent();
    }
}
