package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.StepHandle;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/ (session 39): retention's part take-over racing the application's writes to
 * the holders, ids of another tenant inside payloads, hostile content and paging edges.
 */
public abstract class Newcomer39cContract extends AtlasContract {
    private Path dir;

    protected Newcomer39cContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer39c");
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Db db() {
        return ((JdbiAtlas) atlas).db();
    }

    /** The exception's type and the field it names: what a caller can act on. */
    private static String refusal(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field() : t instanceof NotFoundException n ? n.field().orElse("no field")
                : t instanceof AtlasException ? "?" : t.toString();
        return t.getClass().getSimpleName() + " " + field;
    }

    private static String refusal(Runnable call) {
        return refusal(catchThrowable(call::run));
    }

    // ---- retention's part take-over racing the application's writes ---------------------------

    /**
     * Pauses the thread that runs the statement {@code name} (after it ran, inside its transaction) until {@code second} has returned
     * or is seen blocked behind that transaction; {@code paused} counts down when it stops there.
     */
    private void pauseAfter(String name, CountDownLatch paused, CountDownLatch secondReturned, Supplier<Thread> second) {
        Db db = db();
        AtomicBoolean once = new AtomicBoolean();
        db.statementListener((ran, jdbc) -> {
            if (ran.equals(name) && once.compareAndSet(false, true)) {
                paused.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(secondReturned, second, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    @Test
    @DisplayName("A re-attach and a metadata update of a holder while retention's batch, between reading and marking that holder's"
            + " attachment, takes a part over from its purged holder: neither write is lost (the attachment reads back exactly as"
            + " re-attached, the message's metadata as updated), and the run stopped after that batch leaves no other change")
    void takeOverRacingAReattachAndAMetadataUpdateLosesNeither() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes("pixels"));
        Conversation first = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message one = acme.conversations().append(first.id(), NewMessage.user("holder one"));
        Conversation other = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message two = acme.conversations().append(other.id(), NewMessage.user("holder two"));
        acme.assets().attachPart(one.id(), image.id());
        acme.assets().attach(two.id(), image.id(), Map.of("as", "upload"));
        acme.conversations().archive(first.id());
        acme.conversations().archive(other.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);

        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch secondReturned = new CountDownLatch(1);
        AtomicReference<Thread> writer = new AtomicReference<>();
        pauseAfter("retention.partHolders", paused, secondReturned, writer::get);
        AtomicBoolean firstBatchDone = new AtomicBoolean();
        CompletableFuture<RetentionReport> run = CompletableFuture.supplyAsync(() -> acme.retention().runRetention(purge, () -> {
            // Stops before the batch after the raced one: the holder's attachment is then read as the race left it.
            return firstBatchDone.get();
        }));
        assertThat(paused.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<String> writes = CompletableFuture.supplyAsync(() -> {
            writer.set(Thread.currentThread());
            try {
                acme.assets().attach(two.id(), image.id(), Map.of("as", "re-attached", "n", 2));
                acme.conversations().updateMessageMetadata(two.id(), Map.of("reviewed", true));
                return "done";
            } catch (RuntimeException e) {
                return e.toString();
            } finally {
                secondReturned.countDown();
            }
        });
        firstBatchDone.set(true);
        RetentionReport report = run.get(60, TimeUnit.SECONDS);
        assertThat(writes.get(60, TimeUnit.SECONDS)).isEqualTo("done");
        db().statementListener(null);
        assertThat(report.stopped()).isTrue();
        assertThat(acme.conversations().get(first.id())).isEmpty();
        // Whichever order the two transactions took, the application's attach is whole: it replaces the metadata, and any mark
        // the batch set before it (README: attach replaces attachment metadata).
        assertThat(acme.assets().forMessage(two.id())).extracting(a -> a.asset().id(), AttachedAsset::attachmentMetadata)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(image.id(), Map.of("as", "re-attached", "n", 2)));
        assertThat(acme.conversations().requireMessage(two.id()).metadata()).isEqualTo(Map.of("reviewed", true));
        // docs/memory-and-search.md: the re-attach replaced the mark, so the part stays as that message's upload and outlives it;
        // nothing is deleted that a message still holds.
        assertThat(acme.retention().runRetention(purge).stopped()).isFalse();
        assertThat(acme.conversations().get(other.id())).isEmpty();
        assertThat(acme.assets().get(image.id())).isPresent();
        assertThat(blobFiles()).isEqualTo(1);
    }

    private long blobFiles() throws IOException {
        Path root = dir.resolve("blobs");
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    @Test
    @DisplayName("Two retention runs at once (two schedules, or a lease taken over): while one, purging the part's holder, stands"
            + " between reading and marking the part's other holder, a second run hard-deletes that holder, a long-deleted message:"
            + " once both returned, the part is gone with its last holder, rows and bytes, as after either run alone")
    void secondRunDeletingThePartsOtherHolderMeanwhileLeavesNoPartBehind() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes("pixels"));
        Conversation first = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message one = acme.conversations().append(first.id(), NewMessage.user("holder one"));
        Conversation other = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message two = acme.conversations().append(other.id(), NewMessage.user("holder two"));
        Message stays = acme.conversations().append(other.id(), NewMessage.user("stays"));
        acme.assets().attachPart(one.id(), image.id());
        acme.assets().attach(two.id(), image.id(), Map.of("as", "upload"));
        acme.conversations().archive(first.id());
        acme.conversations().deleteMessage(two.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(blobFiles()).isEqualTo(1);

        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch secondReturned = new CountDownLatch(1);
        AtomicReference<Thread> second = new AtomicReference<>();
        pauseAfter("retention.partHolders", paused, secondReturned, second::get);
        CompletableFuture<RetentionReport> purging = CompletableFuture.supplyAsync(() -> acme.retention().runRetention(
                RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).hardDeleteAfter(Duration.ofDays(1))));
        assertThat(paused.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Object> hardDeleting = CompletableFuture.supplyAsync(() -> {
            second.set(Thread.currentThread());
            try {
                return acme.retention().runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1)));
            } catch (RuntimeException e) {
                return e;
            } finally {
                secondReturned.countDown();
            }
        });
        RetentionReport purged = purging.get(60, TimeUnit.SECONDS);
        Object hardDeleted = hardDeleting.get(60, TimeUnit.SECONDS);
        db().statementListener(null);
        assertThat(hardDeleted).isInstanceOf(RetentionReport.class);
        assertThat(purged.stopped()).isFalse();
        assertThat(acme.conversations().get(first.id())).isEmpty();
        assertThat(acme.conversations().getMessage(stays.id())).isPresent();
        assertThat(acme.retention().runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1)).dryRun(true)).counts())
                .isEmpty();
        assertThat(acme.assets().get(image.id())).isEmpty();
        assertThat(blobFiles()).isZero();
    }

    @Test
    @DisplayName("Two retention runs at once: one purges a conversation and, holding its execution and that execution's image, goes on"
            + " to unlink a message of another conversation that names the execution and holds the image as a plain upload; a second"
            + " run hard-deletes that message meanwhile: both runs complete, the message, the image and its bytes are gone, the"
            + " other conversation keeps its first message (a deadlock failed one of them with a storage error)")
    void hardDeleteOfAMessageHoldingAPurgedExecutionsImageRacingThatPurgeBothComplete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Conversation first = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        acme.conversations().append(first.id(), NewMessage.user("draw"));
        ExecutionHandle drawing = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(first.id()));
        Asset chart = acme.assets().create(NewAsset.of(AssetType.IMAGE, "c.png", "image/png").execution(drawing.id(), null),
                bytes("chart"));
        Conversation other = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message ask = acme.conversations().append(other.id(), NewMessage.user("ask"));
        Message forwarded = acme.conversations().append(other.id(), NewMessage.assistant("here").execution(drawing.id(), null));
        drawing.complete();
        acme.assets().attach(forwarded.id(), chart.id(), Map.of("as", "upload"));
        acme.conversations().archive(first.id());
        acme.conversations().deleteMessage(forwarded.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        purgeRacingAHardDelete(acme, "retention.purgedBlobKeys", RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)));
        assertThat(acme.conversations().get(first.id())).isEmpty();
        assertThat(acme.conversations().getMessage(forwarded.id())).isEmpty();
        assertThat(acme.conversations().history(other.id())).extracting(Message::id).containsExactly(ask.id());
        assertThat(acme.assets().get(chart.id())).isEmpty();
        assertThat(blobFiles()).isZero();
    }

    @Test
    @DisplayName("Two retention runs at once: one purges an execution without a conversation and, holding it and its image, goes on"
            + " to unlink a message that names the execution and holds the image as a plain upload; a second run hard-deletes that"
            + " message meanwhile: both runs complete, the message, the image and its bytes are gone, the conversation keeps its"
            + " first message (a deadlock failed one of them with a storage error)")
    void hardDeleteOfAMessageHoldingADetachedExecutionsImageRacingItsPurgeBothComplete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        ExecutionHandle drawing = acme.executions().start(ExecutionSpec.text("openai", "gpt-image"));
        Asset chart = acme.assets().create(NewAsset.of(AssetType.IMAGE, "c.png", "image/png").execution(drawing.id(), null),
                bytes("chart"));
        Conversation other = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message ask = acme.conversations().append(other.id(), NewMessage.user("ask"));
        Message forwarded = acme.conversations().append(other.id(), NewMessage.assistant("here").execution(drawing.id(), null));
        drawing.complete();
        acme.assets().attach(forwarded.id(), chart.id(), Map.of("as", "upload"));
        acme.conversations().deleteMessage(forwarded.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        purgeRacingAHardDelete(acme, "retention.blobKeys.executions", RetentionPolicy.none().purgeDetachedExecutionsAfter(Duration.ofDays(1)));
        assertThat(acme.executions().get(drawing.id())).isEmpty();
        assertThat(acme.conversations().getMessage(forwarded.id())).isEmpty();
        assertThat(acme.conversations().history(other.id())).extracting(Message::id).containsExactly(ask.id());
        assertThat(acme.assets().get(chart.id())).isEmpty();
        assertThat(blobFiles()).isZero();
    }

    /**
     * Runs {@code purge} on {@code acme}, pauses it after statement {@code point} while a second run hard-deletes what is due,
     * and asserts both runs completed with a report (a deadlock fails one of them with a storage error).
     */
    private void purgeRacingAHardDelete(Tenant acme, String point, RetentionPolicy purge) throws Exception {
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch secondReturned = new CountDownLatch(1);
        AtomicReference<Thread> second = new AtomicReference<>();
        pauseAfter(point, paused, secondReturned, second::get);
        CompletableFuture<Object> purging = CompletableFuture.supplyAsync(() -> {
            try {
                return acme.retention().runRetention(purge);
            } catch (RuntimeException e) {
                return e;
            }
        });
        assertThat(paused.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Object> hardDeleting = CompletableFuture.supplyAsync(() -> {
            second.set(Thread.currentThread());
            try {
                return acme.retention().runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1)));
            } catch (RuntimeException e) {
                return e;
            } finally {
                secondReturned.countDown();
            }
        });
        Object purged = purging.get(60, TimeUnit.SECONDS);
        Object hardDeleted = hardDeleting.get(60, TimeUnit.SECONDS);
        db().statementListener(null);
        assertThat(purged).isInstanceOf(RetentionReport.class);
        assertThat(hardDeleted).isInstanceOf(RetentionReport.class);
    }

    // ---- another tenant's ids inside payloads ---------------------------------------------------

    @Test
    @DisplayName("An append, an appendAll and a tool thread naming another tenant's message, execution, step, conversation, tool call or"
            + " assistant inside the payload are refused with NotFoundException naming that field (messages[i].field in a list) and"
            + " write nothing: the next append takes sequence 2")
    void anotherTenantsIdsInsidePayloadsAreNotFoundByTheirField() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("mallory"), "x"));
        Message theirQuestion = globex.conversations().append(theirs.id(), NewMessage.user("their question"));
        ExecutionHandle theirExecution = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id()));
        StepHandle theirStep = theirExecution.step();
        StepHandle.ToolCallHandle theirCall = theirStep.toolCall("call-1", "lookup", "{}");
        UUID theirAssistant = globex.assistants().create(dev.atlas.assistant.AssistantSpec.of("helper", "Helper")).id();

        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message question = acme.conversations().append(c.id(), NewMessage.user("question"));
        ExecutionHandle mine = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle myStep = mine.step();

        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.assistant("a").parent(theirQuestion.id()))))
                .isEqualTo("NotFoundException parentId");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.assistant("a").clientId("k").parent(theirQuestion.id()))))
                .isEqualTo("NotFoundException parentId");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.assistant("a").execution(theirExecution.id(), null))))
                .isEqualTo("NotFoundException executionId");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.assistant("a").execution(mine.id(), theirStep.id()))))
                .isEqualTo("NotFoundException stepId");
        assertThat(refusal(() -> acme.conversations().appendAll(c.id(), List.of(NewMessage.assistant("a").parent(question.id()),
                NewMessage.assistant("b").parent(theirQuestion.id()))))).isEqualTo("NotFoundException messages[1].parentId");
        assertThat(refusal(() -> acme.conversations().appendAll(c.id(), List.of(NewMessage.user("a"),
                NewMessage.assistant("b").execution(theirExecution.id(), theirStep.id()))))).isEqualTo("NotFoundException messages[1].executionId");
        assertThat(refusal(() -> acme.conversations().create(NewConversation.toolThread(Owner.user("alice"), "x", theirs.id(), null))))
                .isEqualTo("NotFoundException parentConversationId");
        assertThat(refusal(() -> acme.conversations().create(NewConversation.toolThread(Owner.user("alice"), "x", c.id(), theirCall.id()))))
                .isEqualTo("NotFoundException parentToolCallId");
        assertThat(refusal(() -> acme.conversations().create(NewConversation.of(Owner.user("alice"), "x").assistant(theirAssistant))))
                .isEqualTo("NotFoundException assistantId");
        assertThat(acme.conversations().toolThread(theirCall.id())).isEmpty();

        assertThat(acme.conversations().append(c.id(), NewMessage.user("next")).sequence()).isEqualTo(2);
        assertThat(acme.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).extracting(Conversation::id)
                .containsExactly(c.id());
        assertThat(globex.conversations().history(theirs.id())).extracting(Message::content).containsExactly("their question");
        myStep.finish("x", dev.atlas.execution.FinishReason.STOP);
    }

    @Test
    @DisplayName("An idempotent re-send: after a soft delete it returns the deleted message (deletedAt set, nothing stored); once"
            + " retention hard-deleted the message its client id is free and the re-send stores a new message at the next sequence;"
            + " once retention purged the conversation it is NotFoundException on conversationId")
    void idempotentResendAfterRetention() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message sent = acme.conversations().append(c.id(), NewMessage.user("hello").clientId("c-1"));
        acme.conversations().append(c.id(), NewMessage.user("after"));
        acme.conversations().deleteMessage(sent.id());
        Message replayed = acme.conversations().append(c.id(), NewMessage.user("hello").clientId("c-1"));
        assertThat(replayed.id()).isEqualTo(sent.id());
        assertThat(replayed.deletedAt()).isNotNull();
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(acme.retention().runRetention(RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1))).counts())
                .containsEntry("messages.deleted", 1L);
        Message again = acme.conversations().append(c.id(), NewMessage.user("hello").clientId("c-1"));
        assertThat(again.id()).isNotEqualTo(sent.id());
        assertThat(again.sequence()).isEqualTo(3);
        assertThat(acme.conversations().history(c.id())).extracting(Message::content).containsExactly("after", "hello");
        acme.conversations().archive(c.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        acme.retention().runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)));
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.user("hello").clientId("c-1"))))
                .isEqualTo("NotFoundException conversationId");
    }

    // ---- hostile content -----------------------------------------------------------------------

    @Test
    @DisplayName("NUL, a lone surrogate, an escaped NUL in JSON content and JSON nested 100,000 deep are refused on content, clientId,"
            + " metadata, details and the event type before any write; a 4-byte character and a huge number round-trip byte-exact")
    void hostileContentIsRefusedByFieldOrStoredExactly() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.user("a\u0000b")))).isEqualTo("InvalidInputException content");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.user("a\ud800b")))).isEqualTo("InvalidInputException content");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.user("ok").clientId("k\udc00"))))
                .isEqualTo("InvalidInputException clientId");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.json(dev.atlas.conversation.Role.TOOL, "{\"a\":\"\\u0000\"}"))))
                .isEqualTo("InvalidInputException content");
        assertThat(refusal(() -> acme.conversations().append(c.id(), NewMessage.json(dev.atlas.conversation.Role.TOOL, deep))))
                .isEqualTo("InvalidInputException content");
        Message m = acme.conversations().append(c.id(), NewMessage.user("hi \uD83D\uDE00"));
        assertThat(refusal(() -> acme.conversations().updateMessageMetadata(m.id(), Map.of("k\u0000", 1))))
                .isEqualTo("InvalidInputException metadata key");
        assertThat(refusal(() -> acme.conversations().recordEvent(m.id(), MessageEventType.app("x.y"), Map.of("v", "\ud800"))))
                .isEqualTo("InvalidInputException details");
        assertThat(refusal(() -> acme.conversations().edit(m.id(), "\udfff"))).isEqualTo("InvalidInputException content");
        String huge = "{\"n\":" + "9".repeat(400) + "}";
        Message j = acme.conversations().append(c.id(), NewMessage.json(dev.atlas.conversation.Role.TOOL, huge));
        assertThat(acme.conversations().requireMessage(j.id()).content()).isEqualTo(huge);
        assertThat(acme.conversations().requireMessage(m.id()).content()).isEqualTo("hi \uD83D\uDE00");
        assertThat(acme.conversations().messages(c.id(), 0, 10)).extracting(Message::sequence).containsExactly(1L, 2L);
    }

    // ---- paging edges --------------------------------------------------------------------------

    @Test
    @DisplayName("Paging past the ends: messages after Long.MAX_VALUE is empty, historyBefore Long.MAX_VALUE is the latest page,"
            + " historyBefore a deleted message's sequence continues below it; a conversation event cursor of another conversation"
            + " or of another tenant is refused on cursor")
    void pagingEdges() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Conversation d = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        for (int i = 1; i <= 4; i++) {
            Message m = acme.conversations().append(c.id(), NewMessage.user("m" + i));
            acme.conversations().recordEvent(m.id(), MessageEventType.app("x.y"), Map.of());
            acme.conversations().recordEvent(acme.conversations().append(d.id(), NewMessage.user("d" + i)).id(), MessageEventType.app("x.y"),
                    Map.of());
        }
        assertThat(acme.conversations().messages(c.id(), Long.MAX_VALUE, 10)).isEmpty();
        assertThat(acme.conversations().historyBefore(c.id(), Long.MAX_VALUE, 2)).extracting(Message::content).containsExactly("m3", "m4");
        acme.conversations().deleteMessage(acme.conversations().messages(c.id(), 2, 1).get(0).id());
        assertThat(acme.conversations().historyBefore(c.id(), 3, 5)).extracting(Message::content).containsExactly("m1", "m2");
        String cursor = acme.conversations().events(ConversationEventQuery.forConversation(c.id()).limit(1)).nextCursor().orElseThrow();
        assertThat(refusal(() -> acme.conversations().events(ConversationEventQuery.forConversation(d.id()).limit(1).after(cursor))))
                .isEqualTo("InvalidInputException cursor");
        Conversation theirs = atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("m"), "x"));
        atlas.tenant("globex").conversations().append(theirs.id(), NewMessage.user("t"));
        assertThat(refusal(() -> atlas.tenant("globex").conversations().events(ConversationEventQuery.forConversation(theirs.id()).limit(1)
                .after(cursor)))).isEqualTo("InvalidInputException cursor");
    }
}
