package dev.atlas.jdbi.kit;

import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.conversation.ContentType;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.ConversationType;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventQuery;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.conversation.SiblingGroup;
import dev.atlas.conversation.SiblingGroups;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The behaviour every {@link ConversationStore} implementation must have, on every database. */
public abstract class ConversationStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");

    protected ConversationStore store;
    protected ConversationStore other;

    protected ConversationStoreContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").conversations();
        other = atlas.tenant("globex").conversations();
    }

    private Conversation convo() {
        return store.create(NewConversation.of(ALICE, "support"));
    }

    @Test
    @DisplayName("a new conversation naming a revision of a deleted assistant is refused like one naming the deleted assistant"
            + " (NotFoundException on assistantRevisionId), and nothing is created")
    void revisionOfADeletedAssistantIsRefused() {
        dev.atlas.assistant.AssistantStore assistants = atlas.tenant("acme").assistants();
        UUID a = assistants.create(AssistantSpec.of("gone-bot", "Gone")).id();
        UUID revision = assistants.publish(a, dev.atlas.assistant.NewRevision.of("prompt", Map.of())).id();
        assistants.delete(a);
        assertThatThrownBy(() -> store.create(NewConversation.of(ALICE).assistantRevision(revision)))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("assistantRevisionId"));
        assertThatThrownBy(() -> store.create(NewConversation.of(ALICE).assistant(a)))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("assistantId"));
        assertThat(store.list(ConversationQuery.all()).items()).isEmpty();
    }

    // ---- races between two writers --------------------------------------------------------

    /** How a call of {@link #race} ended: its result, or what it threw. */
    private record Outcome<T>(T value, Throwable error) {}

    /**
     * Runs {@code first} until it has run the statement {@code pauseAfter} and holds it there,
     * then starts {@code second}; {@code first} goes on once {@code second} returned or is seen
     * waiting for one of {@code first}'s locks ({@link RaceWaits}; two seconds at most). On PostgreSQL this
     * puts {@code second} between {@code first}'s write and its commit; SQLite's single writer
     * makes {@code second} wait for the commit.
     */
    private <A, B> List<Outcome<?>> race(String pauseAfter, Callable<A> first, Callable<B> second) throws Exception {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Thread> secondThread = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (name.equals(pauseAfter) && paused.getCount() == 1) {
                paused.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(secondDone, secondThread::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Outcome<?>> a = pool.submit(() -> outcome(first));
            paused.await();
            Future<Outcome<?>> b = pool.submit(() -> {
                secondThread.set(Thread.currentThread());
                try {
                    return outcome(second);
                } finally {
                    secondDone.countDown();
                }
            });
            return List.of(a.get(), b.get());
        } finally {
            db.statementListener(null);
            pool.shutdownNow();
        }
    }

    private static Outcome<?> outcome(Callable<?> call) {
        try {
            return new Outcome<>(call.call(), null);
        } catch (Throwable e) {
            return new Outcome<>(null, e);
        }
    }

    @Test
    @DisplayName("a conversation created while its assistant is deleted (by id, or by a revision) is created before the delete:"
            + " when the delete returns the conversation is there, none naming the deleted assistant appears after it")
    void conversationRacingItsAssistantsDeleteIsCreatedBeforeIt() throws Exception {
        dev.atlas.assistant.AssistantStore assistants = atlas.tenant("acme").assistants();
        for (String pauseAfter : List.of("conversations.assistantExists", "conversations.revisionAssistant")) {
            boolean byId = pauseAfter.endsWith("assistantExists");
            UUID a = assistants.create(AssistantSpec.of(byId ? "racing-by-id" : "racing-by-revision", "Racing")).id();
            UUID revision = assistants.publish(a, dev.atlas.assistant.NewRevision.of("prompt", Map.of())).id();
            NewConversation nc = byId ? NewConversation.of(ALICE).assistant(a) : NewConversation.of(ALICE).assistantRevision(revision);
            List<Outcome<?>> r = race(pauseAfter, () -> store.create(nc), () -> {
                assistants.delete(a);
                return store.list(ConversationQuery.all()).items().stream().filter(c -> a.equals(c.assistantId())).count();
            });
            assertThat(r.get(0).error()).as(pauseAfter).isNull();
            assertThat(r.get(1).error()).as(pauseAfter).isNull();
            // Seen by the deleting call: the create committed before the delete did, not after.
            assertThat(r.get(1).value()).as(pauseAfter).isEqualTo(1L);
        }
    }

    @Test
    @DisplayName("two edits racing: the later one's audit event records the content it replaced (the earlier edit's), not the original")
    void racingEditsRecordWhatTheyReplaced() throws Exception {
        Message m = store.append(convo().id(), NewMessage.assistant("C0"));
        List<Outcome<?>> r = race("messages.edit", () -> store.edit(m.id(), "CA"), () -> store.edit(m.id(), "CB"));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isNull();
        assertThat(store.getMessage(m.id()).orElseThrow().content()).isEqualTo("CB");
        assertThat(store.events(m.id()).items()).filteredOn(e -> e.type() == MessageEventType.EDITED)
                .extracting(e -> e.details().get("previousContent")).containsExactlyInAnyOrder("C0", "CA");
    }

    @Test
    @DisplayName("two metadata updates racing: the later one's audit event records the metadata it replaced")
    void racingMetadataUpdatesRecordWhatTheyReplaced() throws Exception {
        Message m = store.append(convo().id(), NewMessage.assistant("x").metadata(Map.of("v", 0)));
        List<Outcome<?>> r = race("messages.setMetadata", () -> store.updateMessageMetadata(m.id(), Map.of("v", 1)),
                () -> store.updateMessageMetadata(m.id(), Map.of("v", 2)));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isNull();
        assertThat(store.getMessage(m.id()).orElseThrow().metadata()).isEqualTo(Map.of("v", 2));
        assertThat(store.events(m.id()).items()).filteredOn(e -> e.type() == MessageEventType.METADATA_UPDATED)
                .extracting(e -> e.details().get("previousMetadata")).containsExactlyInAnyOrder(Map.of("v", 0), Map.of("v", 1));
    }

    @Test
    @DisplayName("a status change racing another is refused by the status rule (delivered is final), typed and naming status;"
            + " one status_changed event is kept")
    void racingStatusChangesAreRefusedTyped() throws Exception {
        Message m = store.append(convo().id(), NewMessage.assistant("x").status(MessageStatus.PROCESSING));
        List<Outcome<?>> r = race("messages.moveTo.delivered", () -> store.updateStatus(m.id(), MessageStatus.DELIVERED, null),
                () -> store.updateStatus(m.id(), MessageStatus.FAILED, "timeout"));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.field()).isEqualTo("status"));
        assertThat(store.getMessage(m.id()).orElseThrow().status()).isEqualTo(MessageStatus.DELIVERED);
        assertThat(store.events(m.id()).items()).filteredOn(e -> e.type() == MessageEventType.STATUS_CHANGED).hasSize(1);
    }

    @Test
    @DisplayName("restoring a conversation whose external key another restore is taking is a ConflictException on externalKey")
    void racingRestoresOfOneKeyConflict() throws Exception {
        Conversation c1 = store.ensure("k-1", NewConversation.of(ALICE, "support"));
        store.delete(c1.id());
        Conversation c2 = store.ensure("k-1", NewConversation.of(ALICE, "support"));
        store.delete(c2.id());
        List<Outcome<?>> r = race("conversations.restore", () -> store.restore(c2.id()), () -> store.restore(c1.id()));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("externalKey"));
        assertThat(store.getByKey("k-1").orElseThrow().id()).isEqualTo(c2.id());
        assertThat(store.get(c1.id())).isEmpty();
    }

    @Test
    @DisplayName("a client-id replay racing a delete of its message, the delete first: the replay returns the message deleted"
            + " (same id, deletedAt set), stores nothing and leaves the sequence at 1")
    void replayAfterARacingDeleteReturnsTheMessageDeleted() throws Exception {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        List<Outcome<?>> r = race("messages.delete", () -> {
            store.deleteMessage(sent.id());
            return null;
        }, () -> store.append(c.id(), NewMessage.user("hi").clientId("k")));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isNull();
        Message replayed = (Message) r.get(1).value();
        assertThat(replayed.id()).isEqualTo(sent.id());
        assertThat(replayed.deletedAt()).isNotNull();
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("a client-id replay racing a delete of its message, the replay first: it returns the message live (deletedAt"
            + " null), the delete then deletes that one message; nothing else is stored")
    void replayBeforeARacingDeleteReturnsTheMessageLive() throws Exception {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        List<Outcome<?>> r = race("messages.byClientIds", () -> store.appendAll(c.id(), List.of(NewMessage.user("hi").clientId("k"))),
                () -> {
                    store.deleteMessage(sent.id());
                    return null;
                });
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isNull();
        assertThat(r.get(0).value()).isEqualTo(List.of(sent));
        assertThat(store.getMessage(sent.id())).isEmpty();
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("a client-id replay racing a restore of its deleted message, the restore first: the replay returns it restored"
            + " (deletedAt null); nothing else is stored")
    void replayAfterARacingRestoreReturnsTheMessageRestored() throws Exception {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        store.deleteMessage(sent.id());
        List<Outcome<?>> r = race("messages.restore", () -> store.restoreMessage(sent.id()),
                () -> store.append(c.id(), NewMessage.user("hi").clientId("k")));
        assertThat(r.get(0).error()).isNull();
        assertThat(r.get(1).error()).isNull();
        Message replayed = (Message) r.get(1).value();
        assertThat(replayed.id()).isEqualTo(sent.id());
        assertThat(replayed.deletedAt()).isNull();
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::id).containsExactly(sent.id());
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("a message deleted through one Atlas instance and re-sent by client id through another on the same database:"
            + " the re-send returns it deleted, a different re-send is a ConflictException on clientId; one message stored")
    void replayOfAMessageDeletedByAnotherInstance() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        Message sent = second.append(c.id(), NewMessage.user("hi").clientId("k"));
        store.deleteMessage(sent.id());
        Message again = second.append(c.id(), NewMessage.user("hi").clientId("k"));
        assertThat(again.id()).isEqualTo(sent.id());
        assertThat(again.deletedAt()).isNotNull();
        assertThat(catchThrowableOfType(ConflictException.class, () -> second.append(c.id(), NewMessage.user("other").clientId("k"))).field())
                .isEqualTo("clientId");
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
    }

    // ---- paging while other writers switch branches and purge -----------------------------

    /**
     * Two branches below q1: A is q1, a1, q2, a2 (sequences 1, 2, 6, 7) and B is q1, a1b, q3, a3 (1, 3, 4, 5), interleaved
     * in sequence order as regenerations interleave them; A shows. The messages by sequence.
     */
    private List<Message> twoInterleavedBranches(Conversation c) {
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        Message q3 = store.append(c.id(), NewMessage.user("q3").parent(a1b.id()));
        Message a3 = store.append(c.id(), NewMessage.assistant("a3").parent(q3.id()));
        store.activate(a1.id());
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2");
        return List.of(q1, a1, a1b, q3, a3, q2, a2);
    }

    /** Runs {@code switcher} on another thread between two pages, and returns once it is done. */
    private void betweenPages(Runnable switcher) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                switcher.run();
            } catch (Throwable e) {
                failed.set(e);
            } finally {
                done.countDown();
            }
        });
        t.start();
        done.await();
        assertThat(failed.get()).isNull();
    }

    @Test
    @DisplayName("loading older history after another thread activated another branch between the pages is a ConflictException"
            + " on beforeSequence (the page read first is no longer shown), never a page of the other branch: no mixed history")
    void loadOlderAcrossABranchSwitchIsRefused() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> newest = store.history(c.id(), 2);
        assertThat(newest).extracting(Message::content).containsExactly("q2", "a2");
        betweenPages(() -> store.activate(m.get(4).id()));
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.historyBefore(c.id(), newest.get(0).sequence(), 2))
                .field()).isEqualTo("beforeSequence");
        // And back: paging B while A is activated.
        List<Message> newestOfB = store.history(c.id(), 2);
        assertThat(newestOfB).extracting(Message::content).containsExactly("q3", "a3");
        betweenPages(() -> store.activate(m.get(6).id()));
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.historyBefore(c.id(), newestOfB.get(0).sequence(), 2))
                .field()).isEqualTo("beforeSequence");
        // A new pass reads the branch now shown, whole.
        List<Message> again = store.history(c.id(), 2);
        assertThat(store.historyBefore(c.id(), again.get(0).sequence(), 2)).extracting(Message::content).containsExactly("q1", "a1");
    }

    @Test
    @DisplayName("loading older history while another thread switches back to the branch read first, between the page query"
            + " (which saw the cursor hidden) and the check that tells a switch apart: the page below it, q1, a1, never an empty"
            + " page (the start of the history)")
    void loadOlderRacingASwitchBackReadsThePageBelow() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> newest = store.history(c.id(), 2);
        store.activate(m.get(4).id());
        // Not race(): the first call is a read that blocks nobody, so the switch back must have committed before the read goes
        // on. race() lets the first go on as soon as the second is seen parked on any of Atlas's locks, which an activate on
        // its way to commit also is: under load the read then went on before the switch and saw a switch (a ConflictException).
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        AtomicReference<Outcome<?>> switchBack = new AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (name.equals("messages.history") && switchBack.get() == null) {
                try {
                    switchBack.set(pool.submit(() -> outcome(() -> store.activate(m.get(6).id()))).get(60, TimeUnit.SECONDS));
                } catch (Exception e) {
                    switchBack.set(new Outcome<>(null, e));
                }
            }
        });
        Outcome<?> read;
        try {
            read = outcome(() -> store.historyBefore(c.id(), newest.get(0).sequence(), 2));
        } finally {
            db.statementListener(null);
            pool.shutdownNow();
        }
        assertThat(switchBack.get()).isNotNull();
        assertThat(switchBack.get().error()).isNull();
        assertThat(read.error()).isNull();
        assertThat((List<?>) read.value()).extracting(x -> ((Message) x).content()).containsExactly("q1", "a1");
    }

    @Test
    @DisplayName("loading older history continues past a switch that leaves the page read first shown (another turn's answer was"
            + " regenerated and switched back), and past that page's oldest message deleted meanwhile: q1, a1, then q2, a2, no repeat")
    void loadOlderContinuesWhileThePageReadStaysShown() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> newest = store.history(c.id(), 2);
        betweenPages(() -> {
            store.activate(m.get(4).id());
            store.activate(m.get(6).id());
            store.deleteMessage(m.get(5).id());
        });
        assertThat(store.historyBefore(c.id(), newest.get(0).sequence(), 2)).extracting(Message::content).containsExactly("q1", "a1");
    }

    @Test
    @DisplayName("messages(afterSequence) pages every message once across a branch switch between its pages: the transcript"
            + " holds both branches whatever shows, in sequence order")
    void transcriptPagingIgnoresBranchSwitches() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> first = store.messages(c.id(), 0, 3);
        betweenPages(() -> store.activate(m.get(4).id()));
        List<Message> rest = store.messages(c.id(), first.get(2).sequence(), 10);
        List<String> all = new ArrayList<>();
        first.forEach(x -> all.add(x.content()));
        rest.forEach(x -> all.add(x.content()));
        assertThat(all).containsExactly("q1", "a1", "a1b", "q3", "a3", "q2", "a2");
    }

    @Test
    @DisplayName("retention hard-deleting the message a history or transcript page ended on, between two pages: the next page"
            + " continues below it (history) or after it (transcript), no error, no repeat")
    void pagingContinuesPastAPurgedMessage() throws Exception {
        Conversation c = convo();
        List<Message> sent = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            sent.add(store.append(c.id(), NewMessage.user("m" + i)));
        }
        List<Message> newest = store.history(c.id(), 3);
        List<Message> first = store.messages(c.id(), 0, 3);
        store.deleteMessage(sent.get(3).id());
        store.deleteMessage(sent.get(2).id());
        clock.advanceMicros(java.time.Duration.ofDays(2).toNanos() / 1000);
        betweenPages(() -> atlas.tenant("acme").retention().runRetention(
                dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1))));
        // Purged, not only deleted: a restore finds nothing.
        assertThatThrownBy(() -> store.restoreMessage(sent.get(3).id())).isInstanceOf(NotFoundException.class);
        assertThat(store.historyBefore(c.id(), newest.get(0).sequence(), 3)).extracting(Message::content).containsExactly("m1", "m2");
        assertThat(store.messages(c.id(), first.get(2).sequence(), 3)).extracting(Message::content).containsExactly("m5", "m6");
    }

    @Test
    @DisplayName("loading older history after another branch was activated and retention purged the page's messages between the"
            + " pages is a ConflictException on beforeSequence, never the other branch's messages below the cursor (a history"
            + " q2, a2 then q3, a3 of two branches); a new pass reads the branch shown, whole")
    void loadOlderPastACursorPurgedAfterASwitchIsRefused() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> newest = store.history(c.id(), 2);
        assertThat(newest).extracting(Message::content).containsExactly("q2", "a2");
        betweenPages(() -> {
            store.activate(m.get(4).id());
            store.deleteMessage(m.get(6).id());
            store.deleteMessage(m.get(5).id());
            clock.advanceMicros(java.time.Duration.ofDays(2).toNanos() / 1000);
            atlas.tenant("acme").retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1)));
        });
        assertThatThrownBy(() -> store.restoreMessage(m.get(5).id())).isInstanceOf(NotFoundException.class);
        ConflictException refused = catchThrowableOfType(ConflictException.class, () -> store.historyBefore(c.id(), newest.get(0).sequence(), 2));
        assertThat(refused).isNotNull();
        assertThat(refused.field()).isEqualTo("beforeSequence");
        assertThat(refused.getMessage()).contains("sequence " + newest.get(0).sequence()).contains("purged");
        assertThat(store.history(c.id(), 10)).extracting(Message::content).containsExactly("q1", "a1b", "q3", "a3");
    }

    @Test
    @DisplayName("loading older history after another branch was activated and retention purged the cursor's whole branch, the"
            + " hidden answer it hung from too (nothing hidden is left below the cursor), is a ConflictException on beforeSequence,"
            + " never the other branch's q3, a3 as older than q2, a2")
    void loadOlderPastACursorWhoseWholeBranchWasPurgedAfterASwitchIsRefused() throws Exception {
        Conversation c = convo();
        List<Message> m = twoInterleavedBranches(c);
        List<Message> newest = store.history(c.id(), 2);
        assertThat(newest).extracting(Message::content).containsExactly("q2", "a2");
        betweenPages(() -> {
            store.activate(m.get(4).id());
            store.deleteMessage(m.get(6).id());
            store.deleteMessage(m.get(5).id());
            store.deleteMessage(m.get(1).id());
            clock.advanceMicros(java.time.Duration.ofDays(2).toNanos() / 1000);
            atlas.tenant("acme").retention().runRetention(dev.atlas.retention.RetentionPolicy.none().hardDeleteAfter(java.time.Duration.ofDays(1)));
        });
        assertThatThrownBy(() -> store.restoreMessage(m.get(1).id())).isInstanceOf(NotFoundException.class);
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::content).containsExactly("q1", "a1b", "q3", "a3");
        ConflictException refused = catchThrowableOfType(ConflictException.class, () -> store.historyBefore(c.id(), newest.get(0).sequence(), 2));
        assertThat(refused).as("historyBefore past the purged q2").isNotNull();
        assertThat(refused.field()).isEqualTo("beforeSequence");
        assertThat(refused.getMessage()).contains("sequence " + newest.get(0).sequence()).contains("purged");
        assertThat(store.history(c.id(), 10)).extracting(Message::content).containsExactly("q1", "a1b", "q3", "a3");
    }

    @Test
    @DisplayName("conversations().list paged while retention purges the conversation a page ended on: the next page continues"
            + " after it, every other conversation once, no error")
    void listPagingContinuesPastAPurgedConversation() throws Exception {
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            clock.advanceMicros(1000);
            created.add(store.create(NewConversation.of(ALICE, "support")).id());
        }
        for (ConversationQuery.Order order : ConversationQuery.Order.values()) {
            ConversationQuery q = ConversationQuery.forOwner(ALICE).order(order).limit(2);
            Page<Conversation> page = store.list(q);
            List<UUID> seen = new ArrayList<>(page.items().stream().map(Conversation::id).toList());
            UUID last = seen.get(1);
            store.archive(last);
            clock.advanceMicros(java.time.Duration.ofDays(2).toNanos() / 1000);
            betweenPages(() -> atlas.tenant("acme").retention().runRetention(
                    dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(java.time.Duration.ofDays(1))));
            assertThat(store.get(last)).as(order.toString()).isEmpty();
            while (page.hasMore()) {
                page = store.list(q.after(page.nextCursor().orElseThrow()));
                seen.addAll(page.items().stream().map(Conversation::id).toList());
            }
            List<UUID> expected = new ArrayList<>(created);
            if (order != ConversationQuery.Order.CREATION) {
                java.util.Collections.reverse(expected);
            }
            assertThat(seen).as(order.toString()).doesNotHaveDuplicates().containsExactlyElementsOf(expected);
            created.remove(last);
        }
    }

    // ---- conversations ------------------------------------------------------------------

    @Test
    @DisplayName("a created conversation reads back with every field as written")
    void createAndGet() {
        UUID assistant = atlas.tenant("acme").assistants().create(AssistantSpec.of("support-bot", "Support bot")).id();
        Conversation c = store.create(NewConversation.of(ALICE, "support").title("Order 1234").assistant(assistant)
                .metadata(Map.of("channel", "web", "priority", 2, "tags", List.of("a", "b"), "nested", Map.of("x", true))));
        Conversation read = store.get(c.id()).orElseThrow();
        assertThat(read).isEqualTo(c);
        assertThat(read.tenantId()).isEqualTo("acme");
        assertThat(read.owner()).isEqualTo(ALICE);
        assertThat(read.agent()).isEqualTo("support");
        assertThat(read.assistantId()).isEqualTo(assistant);
        assertThat(read.type()).isEqualTo(ConversationType.USER);
        assertThat(read.status()).isEqualTo(ConversationStatus.OPEN);
        assertThat(read.metadata()).containsEntry("channel", "web").containsEntry("priority", 2)
                .containsEntry("tags", List.of("a", "b")).containsEntry("nested", Map.of("x", true));
        assertThat(read.createdAt()).isEqualTo(clock.instant());
        assertThat(read.lastSequence()).isZero();
    }

    @Test
    @DisplayName("a tool thread records its parent conversation and tool call")
    void toolThread() {
        Conversation parent = convo();
        UUID toolCall = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(parent.id()))
                .step().toolCall("c1", "research", "{}").id();
        Conversation thread = store.create(NewConversation.toolThread(ALICE, "researcher", parent.id(), toolCall));
        assertThat(store.get(thread.id()).orElseThrow())
                .returns(ConversationType.TOOL, Conversation::type)
                .returns(parent.id(), Conversation::parentConversationId)
                .returns(toolCall, Conversation::parentToolCallId);
    }

    private UUID toolCallIn(Conversation parent) {
        return atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(parent.id()))
                .step().toolCall("c1", "research", "{}").id();
    }

    @Test
    @DisplayName("a tool thread's parent tool call is a call of its parent conversation's execution: another conversation's call, or"
            + " a call of an execution without a conversation, is refused naming parentToolCallId before any write")
    void toolThreadsParentCallIsOfItsParentConversation() {
        Conversation parent = convo();
        Conversation elsewhere = convo();
        UUID othersCall = toolCallIn(elsewhere);
        UUID looseCall = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o")).step()
                .toolCall("c1", "research", "{}").id();
        for (UUID call : List.of(othersCall, looseCall)) {
            assertThatThrownBy(() -> store.create(NewConversation.toolThread(ALICE, "x", parent.id(), call)))
                    .isInstanceOf(InvalidInputException.class)
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("parentToolCallId"))
                    .hasMessageStartingWith("parentToolCallId: tool call " + call + " is not a call of conversation " + parent.id());
        }
        assertThat(store.toolThreads(parent.id(), 50, null).items()).isEmpty();
        assertThat(store.toolThread(othersCall)).isEmpty();
        assertThat(store.create(NewConversation.toolThread(ALICE, "x", elsewhere.id(), othersCall)).parentToolCallId()).isEqualTo(othersCall);
    }

    @Test
    @DisplayName("toolThreads lists a conversation's live tool threads oldest first, direct children only; toolThread finds a call's thread")
    void toolThreadsAndThreadOfCall() {
        Conversation parent = convo();
        Conversation unrelated = convo();
        UUID call1 = toolCallIn(parent);
        UUID call2 = toolCallIn(parent);
        UUID call3 = toolCallIn(parent);
        UUID silent = toolCallIn(parent);
        Conversation t1 = store.create(NewConversation.toolThread(ALICE, "researcher", parent.id(), call1));
        clock.advanceMicros(1);
        Conversation t2 = store.create(NewConversation.toolThread(ALICE, "writer", parent.id(), call2));
        Conversation t2b = store.create(NewConversation.toolThread(ALICE, "writer", parent.id(), call2));
        clock.advanceMicros(1);
        Conversation deleted = store.create(NewConversation.toolThread(ALICE, "x", parent.id(), call3));
        store.delete(deleted.id());
        UUID nestedCall = toolCallIn(t1);
        Conversation nested = store.create(NewConversation.toolThread(ALICE, "sub", t1.id(), nestedCall));
        store.create(NewConversation.toolThread(ALICE, "other", unrelated.id(), toolCallIn(unrelated)));

        List<Conversation> expected = new ArrayList<>(List.of(t1));
        expected.addAll(t2.id().toString().compareTo(t2b.id().toString()) < 0 ? List.of(t2, t2b) : List.of(t2b, t2));
        assertThat(store.toolThreads(parent.id(), 50, null).items()).containsExactlyElementsOf(expected);
        assertThat(store.toolThreads(t1.id(), 50, null).items()).containsExactly(nested);
        assertThat(store.toolThreads(nested.id(), 50, null).items()).isEmpty();

        List<Conversation> paged = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<Conversation> p = store.toolThreads(parent.id(), 1, cursor);
            paged.addAll(p.items());
            cursor = p.nextCursor().orElse(null);
            pages++;
        } while (cursor != null);
        assertThat(pages).isEqualTo(3);
        assertThat(paged).containsExactlyElementsOf(expected);

        assertThat(store.toolThread(call1)).contains(t1);
        assertThat(store.toolThread(call2)).contains(expected.get(1));
        assertThat(store.toolThread(nestedCall)).contains(nested);
        assertThat(store.toolThread(call3)).isEmpty();
        assertThat(store.toolThread(silent)).isEmpty();
        assertThat(store.toolThread(UUID.randomUUID())).isEmpty();
        assertThat(store.toolThreads(UUID.randomUUID(), 50, null).items()).isEmpty();
    }

    @Test
    @DisplayName("another tenant's conversation and tool-call ids give no tool threads, exactly like unknown ids")
    void toolThreadsTenantIsolation() {
        Conversation parent = convo();
        UUID call = toolCallIn(parent);
        store.create(NewConversation.toolThread(ALICE, "researcher", parent.id(), call));
        assertThat(other.toolThreads(parent.id(), 50, null)).isEqualTo(other.toolThreads(UUID.randomUUID(), 50, null));
        assertThat(other.toolThreads(parent.id(), 50, null).items()).isEmpty();
        assertThat(other.toolThread(call)).isEmpty();
    }

    @Test
    @DisplayName("a tool thread whose parent is in another tenant is rejected")
    void toolThreadParentOtherTenant() {
        Conversation foreign = other.create(NewConversation.of(BOB));
        assertThatThrownBy(() -> store.create(NewConversation.toolThread(ALICE, null, foreign.id(), null)))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("list returns newest activity first, filtered by owner and agent, page by page without repeats")
    void listKeyset() {
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            clock.advanceMicros(1000);
            created.add(store.create(NewConversation.of(ALICE, i % 2 == 0 ? "support" : "sales")).id());
        }
        store.create(NewConversation.of(BOB, "support"));
        clock.advanceMicros(1000);
        store.append(created.get(0), NewMessage.user("bump"));

        List<UUID> seen = new ArrayList<>();
        ConversationQuery q = ConversationQuery.forOwner(ALICE).limit(3);
        Page<Conversation> page = store.list(q);
        seen.addAll(page.items().stream().map(Conversation::id).toList());
        while (page.hasMore()) {
            page = store.list(q.after(page.nextCursor().orElseThrow()));
            seen.addAll(page.items().stream().map(Conversation::id).toList());
        }
        List<UUID> expected = new ArrayList<>();
        expected.add(created.get(0));
        for (int i = 6; i >= 1; i--) {
            expected.add(created.get(i));
        }
        assertThat(seen).containsExactlyElementsOf(expected);

        List<UUID> supportOnly = store.list(ConversationQuery.forOwner(ALICE).agent("support")).items().stream().map(Conversation::id).toList();
        assertThat(supportOnly).containsExactly(created.get(0), created.get(6), created.get(4), created.get(2));
        assertThat(store.list(ConversationQuery.forAgent("support")).items()).hasSize(5);
        assertThat(other.list(ConversationQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("a job paging every conversation while others append and start new ones: the activity order loses one that"
            + " gets a message behind the cursor (a live view, as documented); the creation order lists each exactly once, by"
            + " owner and agent too, and each order refuses the other's cursor")
    void creationOrderEnumeratesEveryConversationWhileAppendsMoveActivity() {
        List<UUID> c = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clock.advanceMicros(1000);
            c.add(store.create(NewConversation.of(ALICE, "support")).id());
        }
        // Activity: c2 first; c0 gets a message while the client is between pages and jumps ahead of the cursor.
        ConversationQuery live = ConversationQuery.all().limit(1);
        Page<Conversation> first = store.list(live);
        assertThat(first.items()).extracting(Conversation::id).containsExactly(c.get(2));
        clock.advanceMicros(1000);
        store.append(c.get(0), NewMessage.user("while paging"));
        List<UUID> seen = new ArrayList<>(List.of(c.get(2)));
        for (Page<Conversation> p = first; p.hasMore(); ) {
            p = store.list(live.after(p.nextCursor().orElseThrow()));
            seen.addAll(p.items().stream().map(Conversation::id).toList());
        }
        assertThat(seen).containsExactly(c.get(2), c.get(1));

        // Creation: oldest first by id, whatever is appended, archived, retitled or created between pages.
        for (ConversationQuery q : List.of(ConversationQuery.all(), ConversationQuery.forOwner(ALICE), ConversationQuery.forAgent("support"))) {
            ConversationQuery byCreation = q.order(ConversationQuery.Order.CREATION).limit(1);
            List<UUID> listed = new ArrayList<>();
            Page<Conversation> p = store.list(byCreation);
            listed.addAll(p.items().stream().map(Conversation::id).toList());
            int turn = 0;
            while (p.hasMore()) {
                clock.advanceMicros(1000);
                UUID behind = listed.get(listed.size() - 1);
                store.append(c.get(c.size() - 1), NewMessage.user("newest activity " + turn));
                store.append(behind, NewMessage.user("behind the cursor " + turn));
                if (turn++ == 1) {
                    store.archive(c.get(c.size() - 1));
                    store.updateTitle(c.get(c.size() - 1), "renamed");
                    c.add(store.create(NewConversation.of(ALICE, "support")).id());
                }
                p = store.list(byCreation.after(p.nextCursor().orElseThrow()));
                listed.addAll(p.items().stream().map(Conversation::id).toList());
            }
            assertThat(listed).as(q.toString()).containsExactlyElementsOf(c);
        }
        store.create(NewConversation.of(BOB, "sales"));
        assertThat(store.list(ConversationQuery.forOwner(ALICE).order(ConversationQuery.Order.CREATION).limit(50)).items())
                .extracting(Conversation::id).containsExactlyElementsOf(c);
        assertThat(other.list(ConversationQuery.all().order(ConversationQuery.Order.CREATION)).items()).isEmpty();

        String activityCursor = store.list(live).nextCursor().orElseThrow();
        String creationCursor = store.list(ConversationQuery.all().order(ConversationQuery.Order.CREATION).limit(1)).nextCursor().orElseThrow();
        assertThatThrownBy(() -> store.list(ConversationQuery.all().order(ConversationQuery.Order.CREATION).after(activityCursor)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
        assertThatThrownBy(() -> store.list(live.after(creationCursor)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
        assertThatThrownBy(() -> ConversationQuery.all().order(null))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("order"));
    }

    @Test
    @DisplayName("title, summary and metadata can be updated")
    void updates() {
        Conversation c = convo();
        clock.advanceMicros(5);
        assertThat(store.updateTitle(c.id(), "New title").title()).isEqualTo("New title");
        assertThat(store.updateSummary(c.id(), "User wants a refund.").summary()).isEqualTo("User wants a refund.");
        Conversation updated = store.updateMetadata(c.id(), Map.of("stage", "refund"));
        assertThat(updated.metadata()).isEqualTo(Map.of("stage", "refund"));
        assertThat(updated.updatedAt()).isEqualTo(clock.instant());
        assertThat(store.get(c.id()).orElseThrow()).isEqualTo(updated);
    }

    @Test
    @DisplayName("a conditional metadata update applies over the document as read, values of every JSON kind compared as read back")
    void conditionalMetadataUpdateAppliesOverTheDocumentAsRead() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("z", 1.5);
        doc.put("big", new java.math.BigInteger("123456789012345678901234567890"));
        doc.put("n", 7);
        doc.put("text", "café \u2603 \"quoted\"");
        doc.put("list", List.of(1, "two", Map.of("three", true)));
        doc.put("none", null);
        doc.put("empty", Map.of());
        Conversation c = store.updateMetadata(convo().id(), doc);
        Map<String, Object> read = store.require(c.id()).metadata();
        Map<String, Object> changed = new LinkedHashMap<>(read);
        changed.put("mine", "x");
        clock.advanceMicros(5);
        Conversation updated = store.updateMetadata(c.id(), read, changed);
        assertThat(updated.metadata()).isEqualTo(changed);
        assertThat(updated.updatedAt()).isEqualTo(clock.instant());
        assertThat(store.require(c.id())).isEqualTo(updated);
    }

    @Test
    @DisplayName("a conditional metadata update compares numbers as JSON values: 1, 1.0 and 1e0 expected match a stored 1.0 (and 1);"
            + " 1.5 does not")
    void conditionalMetadataUpdateComparesNumbersByValue() {
        Conversation c = store.updateMetadata(convo().id(), Map.of("n", 1.0, "list", List.of(2.50, Map.of("big", 1e19))));
        Conversation after = store.updateMetadata(c.id(), Map.of("n", 1, "list", List.of(2.5, Map.of("big", new java.math.BigInteger("10000000000000000000")))),
                Map.of("n", 2));
        assertThat(after.metadata()).isEqualTo(Map.of("n", 2));
        assertThat(store.updateMetadata(c.id(), Map.of("n", 2.0), Map.of("n", 3)).metadata()).isEqualTo(Map.of("n", 3));
        assertThatThrownBy(() -> store.updateMetadata(c.id(), Map.of("n", 3.5), Map.of("n", 4)))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("metadata"));
        assertThatThrownBy(() -> store.updateMetadata(c.id(), Map.of("n", "3"), Map.of("n", 4)))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("metadata"));
        assertThat(store.require(c.id()).metadata()).isEqualTo(Map.of("n", 3));
    }

    @Test
    @DisplayName("a conditional metadata update after another write is refused with ConflictException on metadata; the other write is kept")
    void conditionalMetadataUpdateRefusedAfterAnotherWrite() {
        Conversation c = store.updateMetadata(convo().id(), Map.of("a", 1));
        Map<String, Object> read = store.require(c.id()).metadata();
        Conversation theirs = store.updateMetadata(c.id(), Map.of("a", 1, "theirs", "kept"));
        assertThatThrownBy(() -> store.updateMetadata(c.id(), read, Map.of("a", 1, "mine", "lost")))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("metadata"));
        assertThat(store.require(c.id())).isEqualTo(theirs);
        assertThatThrownBy(() -> store.updateMetadata(c.id(), null, Map.of()))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("expected"));
        assertThatThrownBy(() -> other.updateMetadata(c.id(), theirs.metadata(), Map.of()))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.updateMetadata(UUID.randomUUID(), Map.of(), Map.of()))
                .isInstanceOf(NotFoundException.class);
        assertThat(store.require(c.id())).isEqualTo(theirs);
    }

    @Test
    @DisplayName("status moves open → archived → closed, and closed is final")
    void statusMachine() {
        Conversation c = convo();
        Conversation archived = store.archive(c.id());
        assertThat(archived.status()).isEqualTo(ConversationStatus.ARCHIVED);
        assertThat(archived.archivedAt()).isEqualTo(clock.instant());
        assertThat(store.reopen(c.id()).status()).isEqualTo(ConversationStatus.OPEN);
        store.archive(c.id());
        Conversation closed = store.close(c.id());
        assertThat(closed.status()).isEqualTo(ConversationStatus.CLOSED);
        assertThat(closed.closedAt()).isNotNull();
        assertThatThrownBy(() -> store.reopen(c.id())).isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> store.archive(c.id())).isInstanceOf(IllegalTransitionException.class);
        assertThat(store.get(c.id()).orElseThrow().status()).isEqualTo(ConversationStatus.CLOSED);
    }

    @Test
    @DisplayName("a closed conversation rejects appends and nothing is written")
    void closedRejectsAppend() {
        Conversation c = convo();
        store.close(c.id());
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("hi"))).isInstanceOf(ConflictException.class);
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isZero();
    }

    @Test
    @DisplayName("appending to an archived conversation reopens it")
    void archivedReopensOnAppend() {
        Conversation c = convo();
        store.archive(c.id());
        store.append(c.id(), NewMessage.user("back again"));
        assertThat(store.get(c.id()).orElseThrow().status()).isEqualTo(ConversationStatus.OPEN);
    }

    @Test
    @DisplayName("a soft-deleted conversation disappears from reads until restored")
    void softDelete() {
        Conversation c = convo();
        store.append(c.id(), NewMessage.user("hello"));
        store.delete(c.id());
        assertThat(store.get(c.id())).isEmpty();
        assertThat(store.list(ConversationQuery.all()).items()).isEmpty();
        assertThat(store.list(ConversationQuery.all().includeDeleted(true)).items()).hasSize(1);
        assertThatThrownBy(() -> store.history(c.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("x"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.delete(c.id())).isInstanceOf(NotFoundException.class);
        assertThat(store.restore(c.id()).deletedAt()).isNull();
        assertThat(store.history(c.id())).hasSize(1);
    }

    @Test
    @DisplayName("the first non-blank user text message (not a JSON one) titles an untitled conversation, cut at a word boundary")
    void autoTitle() {
        Conversation c = convo();
        store.append(c.id(), NewMessage.system("You are helpful."));
        store.append(c.id(), NewMessage.assistant("Hi! How can I help?"));
        store.append(c.id(), NewMessage.json(Role.USER, "{\"q\": \"a JSON message titles nothing\"}"));
        store.append(c.id(), NewMessage.user(" \n\t "));
        assertThat(store.get(c.id()).orElseThrow().title()).isNull();
        String longText = "Where   is my order 1234? " + "It was supposed to arrive last Tuesday and nobody answers the phone at all, ever.";
        store.append(c.id(), NewMessage.user(longText));
        String title = store.get(c.id()).orElseThrow().title();
        assertThat(title).startsWith("Where is my order 1234? It was").endsWith("…").hasSizeLessThanOrEqualTo(80);
        assertThat(title.substring(0, title.length() - 1)).doesNotEndWith(" ");
        store.append(c.id(), NewMessage.user("Second message"));
        assertThat(store.get(c.id()).orElseThrow().title()).isEqualTo(title);

        Conversation titled = store.create(NewConversation.of(ALICE).title("Given"));
        store.append(titled.id(), NewMessage.user("Something else"));
        assertThat(store.get(titled.id()).orElseThrow().title()).isEqualTo("Given");
    }

    // ---- appends --------------------------------------------------------------------------

    @Test
    @DisplayName("appends get sequences 1, 2, 3 and update the conversation's last message time")
    void sequences() {
        Conversation c = convo();
        Message m1 = store.append(c.id(), NewMessage.user("one"));
        clock.advanceMicros(7);
        Message m2 = store.append(c.id(), NewMessage.assistant("two").agent("support"));
        Message m3 = store.append(c.id(), NewMessage.user("three").author(BOB));
        assertThat(List.of(m1.sequence(), m2.sequence(), m3.sequence())).containsExactly(1L, 2L, 3L);
        Conversation after = store.get(c.id()).orElseThrow();
        assertThat(after.lastSequence()).isEqualTo(3);
        assertThat(after.lastMessageAt()).isEqualTo(clock.instant());
        assertThat(store.getMessage(m3.id()).orElseThrow()).isEqualTo(m3);
        assertThat(store.getMessage(m2.id()).orElseThrow().agent()).isEqualTo("support");
        assertThat(store.getMessage(m3.id()).orElseThrow().author()).isEqualTo(BOB);
    }

    // ---- appendAll (issue 17.1) -----------------------------------------------------------

    @Test
    @DisplayName("appendAll stores the list at consecutive sequences in order, each with its audit event, and reads back exact")
    void appendAllStoresInOrder() {
        Conversation c = convo();
        store.append(c.id(), NewMessage.system("be brief"));
        List<Message> out = store.appendAll(c.id(), List.of(NewMessage.user("Where is order 1234?").clientId("u1"),
                NewMessage.assistant("It shipped.").metadata(Map.of("model", "m1")), NewMessage.json(Role.TOOL, "{\"a\": [1, 2]}")));
        assertThat(out).extracting(Message::sequence).containsExactly(2L, 3L, 4L);
        assertThat(out).extracting(Message::content).containsExactly("Where is order 1234?", "It shipped.", "{\"a\": [1, 2]}");
        for (Message m : out) {
            assertThat(store.message(m.id()).orElseThrow()).isEqualTo(m);
            assertThat(store.events(m.id()).items()).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED);
        }
        Conversation after = store.require(c.id());
        assertThat(after.lastSequence()).isEqualTo(4);
        assertThat(after.title()).isEqualTo("Where is order 1234?");
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::sequence).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    @DisplayName("appendAll is all or nothing: an unknown execution on the second message stores neither")
    void appendAllIsAllOrNothing() {
        Conversation c = convo();
        UUID missing = UUID.randomUUID();
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("first"),
                NewMessage.assistant("second").execution(missing, null))))
                .isInstanceOf(NotFoundException.class)
                .extracting(e -> ((NotFoundException) e).field()).isEqualTo(java.util.Optional.of("messages[1].executionId"));
        assertThat(store.require(c.id()).lastSequence()).isZero();
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("appendAll honours client ids: stored ones come back in place (no new sequence), new ones are appended")
    void appendAllIdempotent() {
        Conversation c = convo();
        List<Message> first = store.appendAll(c.id(), List.of(NewMessage.user("q1").clientId("k1"), NewMessage.assistant("a1").clientId("k2")));
        List<Message> again = store.appendAll(c.id(), List.of(NewMessage.user("q1").clientId("k1"), NewMessage.assistant("a1").clientId("k2")));
        assertThat(again).isEqualTo(first);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(2);
        List<Message> mixed = store.appendAll(c.id(), List.of(NewMessage.assistant("a1").clientId("k2"), NewMessage.user("q2").clientId("k3")));
        assertThat(mixed.get(0)).isEqualTo(first.get(1));
        assertThat(mixed.get(1).sequence()).isEqualTo(3);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(3);
        Message single = store.append(c.id(), NewMessage.user("q2").clientId("k3"));
        assertThat(single).isEqualTo(mixed.get(1));
    }

    @Test
    @DisplayName("appendAll: a stored client id with other content is a conflict naming messages[1].clientId; nothing stored;"
            + " of several stored ids that differ, the first in the list is named (it was the one the database read first)")
    void appendAllConflict() {
        Conversation c = convo();
        store.append(c.id(), NewMessage.user("original").clientId("k1"));
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("new"), NewMessage.user("changed").clientId("k1"))))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("messages[1].clientId");
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::content).containsExactly("original");
        // Both differ; the list names 'b' first, but 'a' was stored first and sorts first (as a database may read them).
        Message a = store.append(c.id(), NewMessage.user("ay").clientId("a"));
        Message b = store.append(c.id(), NewMessage.user("bee").clientId("b"));
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("original").clientId("k1"),
                NewMessage.user("bee, changed").clientId("b"), NewMessage.assistant("ay").clientId("a"))))
                .isExactlyInstanceOf(ConflictException.class)
                .hasMessage("messages[1].clientId: 'b' was already used for message " + b.id() + " with a different content");
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::id).endsWith(a.id(), b.id()).hasSize(3);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(3);
    }

    @Test
    @DisplayName("appendAll returns each message as stored when a later one in the list replaces it as the parent's answer")
    void appendAllReturnsSiblingsAsStored() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        store.append(c.id(), NewMessage.assistant("r0").parent(q.id()).clientId("r0"));
        clock.advanceMicros(1_000);
        List<Message> out = store.appendAll(c.id(), List.of(NewMessage.assistant("r0").parent(q.id()).clientId("r0"),
                NewMessage.assistant("r1").parent(q.id()), NewMessage.assistant("r2").parent(q.id())));
        assertThat(out).extracting(Message::active).containsExactly(false, false, true);
        for (Message m : out) {
            assertThat(store.getMessage(m.id())).contains(m);
        }
    }

    @Test
    @DisplayName("appendAll returns a re-sent message as stored when a new message earlier in the same list replaced its branch:"
            + " a re-sent answer its new sibling replaced, and a re-sent answer under an edited question, read back inactive")
    void appendAllReturnsReplayedMessagesAsAnEarlierNewOneLeftThem() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q.id()).clientId("a1"));
        List<Message> regenerated = store.appendAll(c.id(), List.of(NewMessage.assistant("a2").parent(q.id()),
                NewMessage.assistant("a1").parent(q.id()).clientId("a1")));
        assertThat(regenerated).extracting(Message::active).containsExactly(true, false);
        assertThat(regenerated).containsExactly(store.requireMessage(regenerated.get(0).id()), store.requireMessage(a1.id()));

        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(regenerated.get(0).id()));
        Message a3 = store.append(c.id(), NewMessage.assistant("a3").parent(q2.id()).clientId("a3"));
        List<Message> edited = store.appendAll(c.id(), List.of(NewMessage.user("q2, edited").parent(regenerated.get(0).id()),
                NewMessage.assistant("a3").parent(q2.id()).clientId("a3")));
        assertThat(edited).extracting(Message::active).containsExactly(true, false);
        assertThat(edited).containsExactly(store.requireMessage(edited.get(0).id()), store.requireMessage(a3.id()));
    }

    @Test
    @DisplayName("appendAll to a closed conversation is a conflict on conversationId; to another tenant's or an unknown one, not found")
    void appendAllClosedOrForeign() {
        Conversation c = convo();
        store.close(c.id());
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("a"), NewMessage.user("b").clientId("k"))))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("conversationId");
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("a"))))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("conversationId");
        Conversation open = convo();
        for (UUID id : List.of(open.id(), UUID.randomUUID())) {
            assertThatThrownBy(() -> other.appendAll(id, List.of(NewMessage.user("a"))))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessageContaining(id.toString());
            assertThatThrownBy(() -> other.appendAll(id, List.of(NewMessage.user("a").clientId("k"))))
                    .isInstanceOf(NotFoundException.class)
                    .hasMessageContaining(id.toString());
        }
        assertThat(store.require(open.id()).lastSequence()).isZero();
    }

    @Test
    @DisplayName("every field of a message round-trips, including links to an execution and step")
    void messageRoundTrip() {
        Conversation c = convo();
        ExecutionHandle exec = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        UUID execution = exec.id();
        UUID step = exec.step().id();
        Message m = store.append(c.id(), NewMessage.assistant("done").execution(execution, step).agent("support")
                .metadata(Map.of("model", "gpt-4o")).status(MessageStatus.PROCESSING));
        Message read = store.getMessage(m.id()).orElseThrow();
        assertThat(read).isEqualTo(m);
        assertThat(read.executionId()).isEqualTo(execution);
        assertThat(read.stepId()).isEqualTo(step);
        assertThat(read.status()).isEqualTo(MessageStatus.PROCESSING);
    }

    @Test
    @DisplayName("metadata with a java.time value is refused naming its path (0.1 stored it as ISO-8601 text, which read back as a"
            + " String, not as what was given); the ISO-8601 text itself is stored and read back exactly")
    void javaTimeMetadata() {
        long before = store.list(ConversationQuery.all().limit(100)).items().size();
        assertThatThrownBy(() -> store.create(NewConversation.of(ALICE).metadata(Map.of("day", java.time.LocalDate.parse("2026-03-01")))))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("metadata: the value at day is a java.time.LocalDate, which is not a JSON value; ");
        assertThat(store.list(ConversationQuery.all().limit(100)).items()).hasSize((int) before);
        Conversation c = store.create(NewConversation.of(ALICE).metadata(Map.of(
                "at", Instant.parse("2026-03-01T10:15:30.123456Z").toString(), "day", "2026-03-01")));
        assertThat(store.require(c.id()).metadata()).containsEntry("at", "2026-03-01T10:15:30.123456Z").containsEntry("day", "2026-03-01");
    }

    @Test
    @DisplayName("JSON content is stored byte-exact (invalid JSON: ConversationInputValidationTest)")
    void jsonContent() {
        Conversation c = convo();
        String json = "{ \"b\" : [1, 2.50, \"é\"],   \"a\": null }";
        Message m = store.append(c.id(), NewMessage.json(Role.ASSISTANT, json));
        assertThat(store.getMessage(m.id()).orElseThrow().content()).isEqualTo(json);
        assertThat(m.contentType()).isEqualTo(ContentType.JSON);
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("a client id makes append idempotent; reusing it with other content is a conflict")
    void idempotentAppend() {
        Conversation c = convo();
        Message first = store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        Message again = store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        assertThat(again).isEqualTo(first);
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isEqualTo(1);
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("Something else").clientId("c-1")))
                .isInstanceOf(ConflictException.class).hasMessageContaining("clientId");
        Conversation c2 = convo();
        assertThat(store.append(c2.id(), NewMessage.user("Where is order 1234?").clientId("c-1")).id()).isNotEqualTo(first.id());
        assertThat(store.messages(c.id(), 0, 10)).hasSize(1);
    }

    @Test
    @DisplayName("a re-send of what was first sent returns the stored message even after an edit (append and appendAll);"
            + " an intermediate edit's text or other content under the client id is a conflict on it")
    void resendAfterEditReturnsStoredMessage() {
        Conversation c = convo();
        Message first = store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        store.edit(first.id(), "Where is order 1235?");
        Message edited = store.edit(first.id(), "Where is order 1236?");

        assertThat(store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"))).isEqualTo(edited);
        assertThat(store.appendAll(c.id(), List.of(NewMessage.user("Where is order 1234?").clientId("c-1")))).containsExactly(edited);
        for (String other : List.of("Where is order 1235?", "Something else")) {
            assertThatThrownBy(() -> store.append(c.id(), NewMessage.user(other).clientId("c-1")))
                    .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
        }
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("Where is order 1234?").clientId("c-1")))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(edited);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("a re-send after the conversation was closed returns the stored message (append and appendAll); other"
            + " content under the client id is still a conflict on it, and a new message is refused on conversationId")
    void resendToClosedConversationReturnsStoredMessage() {
        Conversation c = convo();
        Message first = store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        Message second = store.append(c.id(), NewMessage.user("And order 5678?").clientId("c-2"));
        store.close(c.id());
        Conversation closed = store.require(c.id());

        assertThat(store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"))).isEqualTo(first);
        assertThat(store.appendAll(c.id(), List.of(NewMessage.user("Where is order 1234?").clientId("c-1"),
                NewMessage.user("And order 5678?").clientId("c-2")))).containsExactly(first, second);
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("Something else").clientId("c-1")))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("New question").clientId("c-3")))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("conversationId");
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("Where is order 1234?").clientId("c-1"),
                NewMessage.user("New question").clientId("c-3"))))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("conversationId");
        assertThat(store.require(c.id())).isEqualTo(closed);
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(first, second);
    }

    @Test
    @DisplayName("a retried response becomes the active sibling; siblings can be listed and switched")
    void retrySiblings() {
        Conversation c = convo();
        Message question = store.append(c.id(), NewMessage.user("Tell me a joke"));
        Message first = store.append(c.id(), NewMessage.assistant("Joke one").parent(question.id()));
        assertThat(store.canRetry(first.id())).isTrue();
        Message second = store.append(c.id(), NewMessage.assistant("Joke two").parent(question.id()));

        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("Tell me a joke", "Joke two");
        assertThat(store.siblings(first.id())).extracting(Message::id).containsExactly(first.id(), second.id());
        assertThat(store.siblings(first.id())).extracting(Message::active).containsExactly(false, true);

        store.activate(first.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("Tell me a joke", "Joke one");
        assertThat(store.getMessage(second.id()).orElseThrow().active()).isFalse();
        assertThat(store.events(first.id()).items()).extracting(MessageEvent::type).contains(MessageEventType.ACTIVATED);
        assertThat(store.messages(c.id(), 0, 10)).hasSize(3);

        store.append(c.id(), NewMessage.user("Another"));
        assertThat(store.canRetry(first.id())).isFalse();
        assertThat(store.siblings(question.id())).extracting(Message::id).containsExactly(question.id());
    }

    @Test
    @DisplayName("a parent from another conversation is rejected")
    void parentFromOtherConversation() {
        Conversation a = convo();
        Conversation b = convo();
        Message inA = store.append(a.id(), NewMessage.user("q"));
        assertThatThrownBy(() -> store.append(b.id(), NewMessage.assistant("r").parent(inA.id())))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("parentId");
        assertThatThrownBy(() -> store.append(b.id(), NewMessage.assistant("r").parent(UUID.randomUUID())))
                .isInstanceOf(NotFoundException.class);
        assertThat(store.get(b.id()).orElseThrow().lastSequence()).isZero();
    }

    // ---- history ----------------------------------------------------------------------------

    @Test
    @DisplayName("history returns the last N active delivered messages oldest first, and pages backwards")
    void historyAndLoadOlder() {
        Conversation c = convo();
        for (int i = 1; i <= 60; i++) {
            store.append(c.id(), NewMessage.user("m" + i));
        }
        store.append(c.id(), NewMessage.assistant("pending").status(MessageStatus.QUEUED));
        List<Message> last = store.history(c.id());
        assertThat(last).hasSize(50);
        assertThat(last.get(0).content()).isEqualTo("m11");
        assertThat(last.get(49).content()).isEqualTo("m60");
        List<Message> older = store.historyBefore(c.id(), last.get(0).sequence(), 20);
        assertThat(older).extracting(Message::content).containsExactlyElementsOf(LongStream.rangeClosed(1, 10).mapToObj(i -> "m" + i).toList());
        assertThat(store.history(c.id(), 2)).extracting(Message::content).containsExactly("m59", "m60");
        assertThatThrownBy(() -> store.history(c.id(), 0)).isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> store.history(c.id(), 1001)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    @DisplayName("the default history limit is configurable")
    void configurableHistoryLimit() {
        var small = reopen(b -> b.historyLimit(3).migrate(false)).tenant("acme").conversations();
        Conversation c = convo();
        for (int i = 0; i < 5; i++) {
            store.append(c.id(), NewMessage.user("m" + i));
        }
        assertThat(small.history(c.id())).extracting(Message::content).containsExactly("m2", "m3", "m4");
    }

    // ---- status, read receipts, edits, audit --------------------------------------------------

    @Test
    @DisplayName("message status follows its state machine and each change is audited")
    void messageStatusMachine() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.assistant("").status(MessageStatus.QUEUED));
        assertThat(store.history(c.id())).isEmpty();
        assertThat(store.updateStatus(m.id(), MessageStatus.PROCESSING, null).status()).isEqualTo(MessageStatus.PROCESSING);
        Message failed = store.markFailed(m.id(), "provider timeout");
        assertThat(failed.failureReason()).isEqualTo("provider timeout");
        assertThat(store.updateStatus(m.id(), MessageStatus.QUEUED, null).failureReason()).isNull();
        store.markDelivered(m.id());
        assertThatThrownBy(() -> store.updateStatus(m.id(), MessageStatus.QUEUED, null))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("delivered");
        assertThatThrownBy(() -> store.updateStatus(m.id(), MessageStatus.DELIVERED, "why"))
                .isInstanceOf(InvalidInputException.class);
        assertThat(store.history(c.id())).hasSize(1);
        List<MessageEvent> events = store.events(m.id()).items();
        assertThat(events).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED,
                MessageEventType.STATUS_CHANGED, MessageEventType.STATUS_CHANGED, MessageEventType.STATUS_CHANGED,
                MessageEventType.STATUS_CHANGED);
        assertThat(events.get(2).details()).containsEntry("from", "processing").containsEntry("to", "failed")
                .containsEntry("reason", "provider timeout");
    }

    @Test
    @DisplayName("read receipts and unread counts per conversation")
    void readReceipts() {
        Conversation c = convo();
        Message a = store.append(c.id(), NewMessage.assistant("a"));
        store.append(c.id(), NewMessage.assistant("b"));
        store.append(c.id(), NewMessage.assistant("c"));
        assertThat(store.unreadCount(c.id())).isEqualTo(3);
        Message read = store.markRead(a.id());
        assertThat(read.readAt()).isEqualTo(clock.instant());
        clock.advanceMicros(10);
        assertThat(store.markRead(a.id()).readAt()).isEqualTo(read.readAt());
        assertThat(store.unreadCount(c.id())).isEqualTo(2);
        assertThat(store.markAllRead(c.id())).isEqualTo(2);
        assertThat(store.unreadCount(c.id())).isZero();
    }

    @Test
    @DisplayName("edits keep the previous content in the audit trail; deleted messages leave history")
    void editAndDelete() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("helo"));
        clock.advanceMicros(3);
        Message edited = store.edit(m.id(), "hello");
        assertThat(edited.content()).isEqualTo("hello");
        assertThat(edited.editedAt()).isEqualTo(clock.instant());
        store.deleteMessage(m.id());
        assertThat(store.getMessage(m.id())).isEmpty();
        assertThat(store.history(c.id())).isEmpty();
        assertThatThrownBy(() -> store.edit(m.id(), "x")).isInstanceOf(NotFoundException.class);
        List<MessageEvent> events = store.events(m.id()).items();
        assertThat(events).extracting(MessageEvent::type)
                .containsExactly(MessageEventType.CREATED, MessageEventType.EDITED, MessageEventType.DELETED);
        assertThat(events.get(1).details()).containsEntry("previousContent", "helo");
    }

    @Test
    @DisplayName("editing JSON content requires valid JSON")
    void editJson() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.json(Role.TOOL, "{\"ok\":true}"));
        assertThatThrownBy(() -> store.edit(m.id(), "{oops")).isInstanceOf(InvalidInputException.class);
        assertThat(store.getMessage(m.id()).orElseThrow().content()).isEqualTo("{\"ok\":true}");
    }

    // ---- tenants ------------------------------------------------------------------------------

    @Test
    @DisplayName("no method of another tenant sees or changes this tenant's rows")
    void tenantIsolation() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("secret"));
        Message r = store.append(c.id(), NewMessage.assistant("reply").parent(m.id()));
        assertThat(other.get(c.id())).isEmpty();
        assertThat(other.getMessage(m.id())).isEmpty();
        assertThat(other.list(ConversationQuery.forOwner(ALICE)).items()).isEmpty();
        List<Executable> calls = List.of(
                () -> other.require(c.id()),
                () -> other.updateTitle(c.id(), "x"),
                () -> other.updateSummary(c.id(), "x"),
                () -> other.updateMetadata(c.id(), Map.of()),
                () -> other.archive(c.id()),
                () -> other.reopen(c.id()),
                () -> other.close(c.id()),
                () -> other.delete(c.id()),
                () -> other.restore(c.id()),
                () -> other.append(c.id(), NewMessage.user("x")),
                () -> other.appendAll(c.id(), List.of()),
                () -> other.history(c.id()),
                () -> other.historyBefore(c.id(), 5, 5),
                () -> other.messages(c.id(), 0, 5),
                () -> other.siblings(r.id()),
                () -> other.activate(r.id()),
                () -> other.canRetry(r.id()),
                () -> other.updateStatus(m.id(), MessageStatus.FAILED, "x"),
                () -> other.markRead(m.id()),
                () -> other.markAllRead(c.id()),
                () -> other.unreadCount(c.id()),
                () -> other.edit(m.id(), "x"),
                () -> other.deleteMessage(m.id()),
                () -> other.events(m.id()));
        for (Executable call : calls) {
            assertThatThrownBy(call::execute).isInstanceOf(NotFoundException.class);
        }
        Conversation mine = store.get(c.id()).orElseThrow();
        assertThat(mine).isEqualTo(c.title() == null ? mine : c);
        assertThat(mine.status()).isEqualTo(ConversationStatus.OPEN);
        assertThat(mine.lastSequence()).isEqualTo(2);
        assertThat(store.getMessage(m.id()).orElseThrow().content()).isEqualTo("secret");
        assertThat(store.unreadCount(c.id())).isEqualTo(2);
        // A tool thread in the other tenant cannot hang off this tenant's conversation either.
        assertThatThrownBy(() -> other.create(NewConversation.toolThread(BOB, null, c.id(), null))).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("every call given another tenant's conversation, message or tool call fails exactly as for an id that exists nowhere"
            + " (class, field, message but for the id), and changes nothing in either tenant")
    void foreignIdsFailWordedAsUnknownOnes() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("secret"));
        Message r = store.append(c.id(), NewMessage.assistant("reply").parent(m.id()));
        var exec = atlas.tenant("acme").executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        var call = exec.toolCall(dev.atlas.execution.NewToolCall.of("call-1", "lookup", "{}"));
        store.create(NewConversation.toolThread(ALICE, null, c.id(), call.id()));
        Conversation mine = convo();
        Message myQuestion = store.append(mine.id(), NewMessage.user("q"));
        // The same calls from the other tenant's side, each given one id: a conversation's, a message's or a tool call's.
        Map<String, java.util.function.Function<UUID, Object>> byConversation = new java.util.LinkedHashMap<>();
        byConversation.put("require", other::require);
        byConversation.put("updateTitle", id -> other.updateTitle(id, "x"));
        byConversation.put("updateSummary", id -> other.updateSummary(id, "x"));
        byConversation.put("updateMetadata", id -> other.updateMetadata(id, Map.of("k", 1)));
        byConversation.put("archive", other::archive);
        byConversation.put("reopen", other::reopen);
        byConversation.put("close", other::close);
        byConversation.put("delete", id -> {
            other.delete(id);
            return null;
        });
        byConversation.put("restore", other::restore);
        byConversation.put("append", id -> other.append(id, NewMessage.user("x")));
        byConversation.put("append keyed", id -> other.append(id, NewMessage.user("x").clientId("k")));
        byConversation.put("appendAll", id -> other.appendAll(id, List.of(NewMessage.user("x"), NewMessage.user("y"))));
        byConversation.put("history", other::history);
        byConversation.put("history limit", id -> other.history(id, 5));
        byConversation.put("historyBefore", id -> other.historyBefore(id, 5, 5));
        byConversation.put("messages", id -> other.messages(id, 0, 5));
        byConversation.put("markAllRead", other::markAllRead);
        byConversation.put("unreadCount", other::unreadCount);
        byConversation.put("toolThreads", id -> other.toolThreads(id, 10, null));
        byConversation.put("tool thread below", id -> other.create(NewConversation.toolThread(BOB, null, id, null)));
        Map<String, java.util.function.Function<UUID, Object>> byMessage = new java.util.LinkedHashMap<>();
        byMessage.put("requireMessage", other::requireMessage);
        byMessage.put("siblings", other::siblings);
        byMessage.put("siblingGroups", other::siblingGroups);
        byMessage.put("activate", other::activate);
        byMessage.put("canRetry", other::canRetry);
        byMessage.put("updateStatus", id -> other.updateStatus(id, MessageStatus.FAILED, "x"));
        byMessage.put("markDelivered", other::markDelivered);
        byMessage.put("markFailed", id -> other.markFailed(id, "x"));
        byMessage.put("markRead", other::markRead);
        byMessage.put("edit", id -> other.edit(id, "x"));
        byMessage.put("deleteMessage", id -> {
            other.deleteMessage(id);
            return null;
        });
        byMessage.put("restoreMessage", other::restoreMessage);
        byMessage.put("updateMessageMetadata", id -> other.updateMessageMetadata(id, Map.of("k", 1)));
        byMessage.put("recordEvent", id -> other.recordEvent(id, MessageEventType.app("seen"), Map.of()));
        byMessage.put("events", other::events);
        Conversation theirs = other.create(NewConversation.of(BOB, "support"));
        Message theirQuestion = other.append(theirs.id(), NewMessage.user("q"));
        byMessage.put("answer to", id -> other.append(theirs.id(), NewMessage.assistant("a").parent(id)));
        byMessage.put("answer to, in a list", id -> other.appendAll(theirs.id(), List.of(NewMessage.assistant("a").parent(id))));
        Map<String, java.util.function.Function<UUID, Object>> byCall = new java.util.LinkedHashMap<>();
        byCall.put("tool thread of call", id -> other.create(NewConversation.toolThread(BOB, null, theirs.id(), id)));
        String before = DatabaseDigest.of(database.dataSource(), "atlas_");
        List<String> differ = new ArrayList<>();
        for (Object[] group : new Object[][] {{byConversation, c.id()}, {byMessage, r.id()}, {byMessage, m.id()}, {byCall, call.id()}}) {
            @SuppressWarnings("unchecked")
            Map<String, java.util.function.Function<UUID, Object>> calls = (Map<String, java.util.function.Function<UUID, Object>>) group[0];
            UUID foreign = (UUID) group[1];
            UUID unknown = UUID.randomUUID();
            calls.forEach((name, f) -> {
                String a = outcome(() -> f.apply(foreign), foreign);
                String b = outcome(() -> f.apply(unknown), unknown);
                if (!a.equals(b)) {
                    differ.add(name + ": foreign " + a + " / unknown " + b);
                }
            });
        }
        assertThat(differ).isEmpty();
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(before);
        assertThat(store.history(mine.id())).containsExactly(myQuestion);
        assertThat(other.history(theirs.id())).containsExactly(theirQuestion);
    }

    /** What a call did, the id it was given written {@code <id>}: the exception's class, field and message, or what it returned. */
    private static String outcome(Executable call, UUID id) {
        try {
            call.execute();
            return "returned";
        } catch (Throwable e) {
            String field = e instanceof NotFoundException x ? x.field().orElse("") : e instanceof InvalidInputException x ? x.field()
                    : e instanceof ConflictException x ? x.field() : e instanceof dev.atlas.IllegalTransitionException x ? x.field() : "-";
            return e.getClass().getSimpleName() + " on " + field + ": " + String.valueOf(e.getMessage()).replace(id.toString(), "<id>");
        }
    }

    @Test
    @DisplayName("a blank summary is refused naming summary, as a blank title is (null clears either); nothing is written")
    void blankSummaryIsRefused() {
        Conversation c = convo();
        Conversation summed = store.updateSummary(c.id(), "User wants a refund.");
        for (String blank : List.of("", " ", "\t\n")) {
            assertThatThrownBy(() -> store.updateSummary(c.id(), blank)).isInstanceOf(InvalidInputException.class)
                    .hasMessage("summary: must not be blank when given")
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("summary"));
        }
        assertThat(store.require(c.id())).isEqualTo(summed);
        assertThat(store.updateSummary(c.id(), null).summary()).isNull();
    }

    @Test
    @DisplayName("appendAll with an empty list names an unknown, deleted or other tenant's conversation (NotFoundException,"
            + " worded alike) as append does, and writes nothing; on a live one it returns an empty list")
    void emptyAppendAllNamesAnUnknownConversation() {
        Conversation deleted = convo();
        store.delete(deleted.id());
        UUID theirs = other.create(NewConversation.of(ALICE)).id();
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(unknown, theirs, deleted.id())) {
            assertThatThrownBy(() -> store.appendAll(id, List.of())).isInstanceOf(NotFoundException.class)
                    .hasMessage("conversationId: conversation " + id + " not found");
            assertThatThrownBy(() -> store.append(id, NewMessage.user("x"))).isInstanceOf(NotFoundException.class)
                    .hasMessage("conversationId: conversation " + id + " not found");
        }
        Conversation live = convo();
        assertThat(store.appendAll(live.id(), List.of())).isEmpty();
        assertThat(store.require(live.id())).isEqualTo(live);
    }

    // ---- bad input ------------------------------------------------------------------------------

    @Test
    @DisplayName("SQL injection strings and exotic Unicode are stored verbatim")
    void hostileButValidText() {
        List<String> samples = List.of("'; DROP TABLE atlas_messages; --", "\" OR 1=1 --", "<p>", "Robert'); DELETE FROM x;--",
                "emoji 👩‍💻 and astral 𝄞", "tab\tnewline\nreturn\r", "\\u0000 as text", "ＮＦＫＣ", "<p>messages");
        Conversation c = store.create(NewConversation.of(Owner.of("user'--", "id\"; DROP"), "agent<p>").title(samples.get(0)));
        for (String s : samples) {
            Message m = store.append(c.id(), NewMessage.user(s).clientId(s).agent(s).metadata(Map.of(s, s)));
            Message read = store.getMessage(m.id()).orElseThrow();
            assertThat(read.content()).isEqualTo(s);
            assertThat(read.clientId()).isEqualTo(s);
            assertThat(read.metadata()).containsEntry(s, s);
        }
        Conversation read = store.get(c.id()).orElseThrow();
        assertThat(read.owner()).isEqualTo(Owner.of("user'--", "id\"; DROP"));
        assertThat(read.agent()).isEqualTo("agent<p>");
        assertThat(read.title()).isEqualTo(samples.get(0));
    }

    @Test
    @DisplayName("unknown ids fail with NotFoundException naming the entity")
    void unknownIds() {
        UUID nope = UUID.randomUUID();
        assertThat(store.get(nope)).isEmpty();
        assertThatThrownBy(() -> store.append(nope, NewMessage.user("x"))).isInstanceOf(NotFoundException.class).hasMessageContaining("conversation");
        assertThatThrownBy(() -> store.markRead(nope)).isInstanceOf(NotFoundException.class).hasMessageContaining("message");
        assertThatThrownBy(() -> store.get(null)).isInstanceOf(InvalidInputException.class);
    }

    // ---- time ---------------------------------------------------------------------------------

    @Test
    @DisplayName("timestamps read back equal to what was written, whatever the JVM's time zone")
    void timeZones() {
        TimeZone saved = TimeZone.getDefault();
        try {
            Conversation c;
            Message m;
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Chatham"));
            clock.set(Instant.parse("2026-10-25T01:30:00.000001Z"));
            c = convo();
            m = store.append(c.id(), NewMessage.user("dst"));
            TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns"));
            assertThat(store.get(c.id()).orElseThrow().createdAt()).isEqualTo(Instant.parse("2026-10-25T01:30:00.000001Z"));
            assertThat(store.getMessage(m.id()).orElseThrow().createdAt()).isEqualTo(m.createdAt());
            clock.set(Instant.parse("1969-12-31T23:59:59.999999Z"));
            Conversation early = convo();
            assertThat(store.get(early.id()).orElseThrow().createdAt()).isEqualTo(Instant.parse("1969-12-31T23:59:59.999999Z"));
            clock.set(Instant.parse("2026-01-01T00:00:00.123456789Z"));
            Conversation nanos = convo();
            assertThat(nanos.createdAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123456Z"));
            assertThat(store.get(nanos.id()).orElseThrow().createdAt()).isEqualTo(nanos.createdAt());
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    // ---- concurrency --------------------------------------------------------------------------

    @Test
    @DisplayName("8 threads × 125 appends to one conversation: no error, sequences exactly 1..1000")
    void concurrentAppends() throws Exception {
        Conversation c = convo();
        int threads = 8;
        int perThread = 125; // 8 writers contend on every append already; 1000 keeps the time small
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<Long>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Long> seqs = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        seqs.add(store.append(c.id(), NewMessage.user("t" + thread + "-" + i).clientId("t" + thread + "-" + i)).sequence());
                    }
                    return seqs;
                }));
            }
            Set<Long> all = new HashSet<>();
            for (Future<List<Long>> f : futures) {
                all.addAll(f.get());
            }
            assertThat(all).hasSize(threads * perThread);
            assertThat(all).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, threads * perThread).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isEqualTo(threads * perThread);
        List<Message> page = store.messages(c.id(), 0, 1000);
        assertThat(page).extracting(Message::sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, 1000).boxed().toList());
    }

    @Test
    @DisplayName("plain and keyed appends from 8 threads through two Atlas instances: sequences exactly 1..N, each message with"
            + " one created event naming its sequence")
    void concurrentPlainAppendsAcrossInstances() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        List<Callable<Message>> sends = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            // Plain (one statement on PostgreSQL) and keyed (a transaction) interleaved, as single and batch calls.
            NewMessage m = i % 3 == 0 ? NewMessage.user("m" + i).clientId("k" + i) : NewMessage.assistant("m" + i);
            boolean batch = i % 4 == 1;
            sends.add(() -> batch ? s.appendAll(c.id(), List.of(m)).get(0) : s.append(c.id(), m));
        }
        List<Message> acknowledged = runAll(sends);
        assertThat(acknowledged).extracting(Message::sequence)
                .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, 240).boxed().toList());
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(240);
        for (Message m : acknowledged) {
            assertThat(store.requireMessage(m.id())).isEqualTo(m);
            assertThat(store.events(m.id()).items()).singleElement().satisfies(e -> {
                assertThat(e.type()).isEqualTo(MessageEventType.CREATED);
                assertThat(((Number) e.details().get("sequence")).longValue()).isEqualTo(m.sequence());
            });
        }
    }

    @Test
    @DisplayName("plain and keyed appends racing a close from another Atlas instance: every acknowledged one is stored at its"
            + " sequence, every refused one is ConflictException on conversationId and stores nothing")
    void appendsRacingClose() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        List<Callable<Message>> sends = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            NewMessage m = i % 3 == 0 ? NewMessage.user("m" + i).clientId("k" + i) : NewMessage.user("m" + i);
            sends.add(i == 80 ? () -> {
                second.close(c.id());
                return null;
            } : () -> s.append(c.id(), m));
        }
        List<Message> acknowledged = runAllRefusing(sends, ConflictException.class, "conversationId");
        assertStoredExactly(c, acknowledged);
        assertThat(store.require(c.id()).status()).isEqualTo(ConversationStatus.CLOSED);
    }

    @Test
    @DisplayName("plain and keyed appends racing a soft delete from another Atlas instance: every acknowledged one is stored at"
            + " its sequence (read after restore), every refused one is NotFoundException and stores nothing")
    void appendsRacingDelete() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        List<Callable<Message>> sends = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            NewMessage m = i % 3 == 0 ? NewMessage.user("m" + i).clientId("k" + i) : NewMessage.user("m" + i);
            sends.add(i == 80 ? () -> {
                second.delete(c.id());
                return null;
            } : () -> s.append(c.id(), m));
        }
        List<Message> acknowledged = runAllRefusing(sends, NotFoundException.class, null);
        store.restore(c.id());
        assertStoredExactly(c, acknowledged);
    }

    @Test
    @DisplayName("plain and keyed appends racing eraseConversation from another Atlas instance: the erase succeeds, every refused"
            + " append is NotFoundException, its report counts the message before and every acknowledged append (messages and"
            + " message_events), and no message, event or (SQLite) full-text row is left")
    void appendsRacingErase() throws Exception {
        Conversation c = convo();
        store.append(c.id(), NewMessage.user("before"));
        dev.atlas.Atlas second = reopen(b -> b.clock(clock));
        List<Callable<Message>> sends = new ArrayList<>();
        AtomicReference<dev.atlas.portability.EraseReport> report = new AtomicReference<>();
        for (int i = 0; i < 160; i++) {
            ConversationStore s = i % 2 == 0 ? store : second.tenant("acme").conversations();
            NewMessage m = i % 3 == 0 ? NewMessage.user("m" + i).clientId("k" + i) : NewMessage.user("m" + i);
            sends.add(i == 40 ? () -> {
                report.set(second.tenant("acme").portability().eraseConversation(c.id(), false));
                return null;
            } : () -> s.append(c.id(), m));
        }
        List<Message> acknowledged = runAllRefusing(sends, NotFoundException.class, null);
        assertThat(store.get(c.id())).isEmpty();
        // Every acknowledged append committed before the erase closed the conversation, so the erase took it and counts it.
        assertThat(report.get().counts()).containsEntry("conversations", 1L)
                .containsEntry("messages", 1L + acknowledged.size()).containsEntry("message_events", 1L + acknowledged.size());
        try (Connection conn = database.dataSource().getConnection(); Statement st = conn.createStatement()) {
            for (String table : List.of("messages", "message_events", "conversations")) {
                String column = table.equals("conversations") ? "id" : "conversation_id";
                try (var rs = st.executeQuery("SELECT COUNT(*) FROM atlas_" + table + " WHERE " + column + " = '" + c.id() + "'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).as(table).isZero();
                }
            }
            if (conn.getMetaData().getDatabaseProductName().equals("SQLite")) {
                // SQLite's full-text rows of the erased messages go too (PostgreSQL indexes the messages' own column).
                try (var rs = st.executeQuery("SELECT (SELECT COUNT(*) FROM atlas_search_keys WHERE target_type = 'message'),"
                        + " (SELECT COUNT(*) FROM atlas_search_fts WHERE target_type = 'message')")) {
                    rs.next();
                    assertThat(List.of(rs.getLong(1), rs.getLong(2))).containsExactly(0L, 0L);
                }
            }
        }
    }

    @Test
    @DisplayName("an agent loop (start an execution, appendAll the question and its linked answer, complete) on one instance"
            + " racing eraseConversation from another: every refused call is NotFoundException, and no message, event, execution"
            + " or step of the conversation is left")
    void agentLoopRacingErase() throws Exception {
        Conversation c = convo();
        dev.atlas.Atlas second = reopen(b -> b.clock(clock));
        List<Callable<Message>> turns = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            dev.atlas.Tenant t = i % 2 == 0 ? atlas.tenant("acme") : second.tenant("acme");
            int n = i;
            turns.add(i == 12 ? () -> {
                second.tenant("acme").portability().eraseConversation(c.id(), false);
                return null;
            } : () -> {
                ExecutionHandle x = t.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
                x.step().finish("a" + n, dev.atlas.execution.FinishReason.STOP);
                List<Message> sent = t.conversations().appendAll(c.id(), List.of(NewMessage.user("q" + n).clientId("q" + n),
                        NewMessage.assistant("a" + n).execution(x.id(), null)));
                x.complete();
                return sent.get(1);
            });
        }
        runAllRefusing(turns, NotFoundException.class, null);
        assertThat(store.get(c.id())).isEmpty();
        try (Connection conn = database.dataSource().getConnection(); Statement st = conn.createStatement()) {
            for (String table : List.of("messages", "message_events", "conversations", "executions")) {
                String column = table.equals("conversations") ? "id" : "conversation_id";
                try (var rs = st.executeQuery("SELECT COUNT(*) FROM atlas_" + table + " WHERE " + column + " = '" + c.id() + "'")) {
                    rs.next();
                    assertThat(rs.getLong(1)).as(table).isZero();
                }
            }
            try (var rs = st.executeQuery("SELECT COUNT(*) FROM atlas_execution_steps s WHERE NOT EXISTS (SELECT 1 FROM atlas_executions e"
                    + " WHERE e.tenant_id = s.tenant_id AND e.id = s.execution_id)")) {
                rs.next();
                assertThat(rs.getLong(1)).as("steps without their execution").isZero();
            }
        }
    }

    @Test
    @DisplayName("a plain append (one statement on PostgreSQL) stores the same rows as the transaction path: message, created event"
            + " and conversation (counter, times, auto title, archived reopened), column by column")
    void plainAppendStoresWhatTheTransactionPathStores() throws Exception {
        NewMessage first = NewMessage.user("  Where is\t my   order?  ").author(Owner.user("42")).agent("bot")
                .metadata(Map.of("k", List.of(1, 1.5, "two", Map.of()), "n", Long.MAX_VALUE));
        NewMessage second = NewMessage.assistant("It shipped").failed("provider timeout");
        Conversation plain = store.create(NewConversation.of(ALICE, "support"));
        Conversation batch = store.create(NewConversation.of(ALICE, "support"));
        store.archive(plain.id());
        store.archive(batch.id());
        clock.advanceMicros(5);
        store.append(plain.id(), first);
        store.append(plain.id(), second);
        // Two messages in one call: the transaction path on both databases.
        store.appendAll(batch.id(), List.of(first, second));
        try (Connection conn = database.dataSource().getConnection()) {
            assertThat(rows(conn, "messages", "conversation_id", plain.id(), "sequence", "id", "conversation_id"))
                    .isEqualTo(rows(conn, "messages", "conversation_id", batch.id(), "sequence", "id", "conversation_id"));
            assertThat(rows(conn, "message_events", "conversation_id", plain.id(), "created_at, type", "id", "conversation_id", "message_id"))
                    .isEqualTo(rows(conn, "message_events", "conversation_id", batch.id(), "created_at, type", "id", "conversation_id",
                            "message_id"));
            assertThat(rows(conn, "conversations", "id", plain.id(), "id", "id"))
                    .isEqualTo(rows(conn, "conversations", "id", batch.id(), "id", "id"));
        }
        assertThat(store.require(plain.id()).status()).isEqualTo(ConversationStatus.OPEN);
        assertThat(store.require(plain.id()).title()).isEqualTo("Where is my order?");
    }

    /** Every row of {@code table} whose {@code key} is {@code id}, in {@code order}, as column → value text, without {@code skip}. */
    private static List<Map<String, String>> rows(Connection conn, String table, String key, UUID id, String order, String... skip)
            throws SQLException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Statement st = conn.createStatement();
             var rs = st.executeQuery("SELECT * FROM atlas_" + table + " WHERE " + key + " = '" + id + "' ORDER BY " + order)) {
            var meta = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new java.util.TreeMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    if (!List.of(skip).contains(meta.getColumnName(i))) {
                        row.put(meta.getColumnName(i), rs.getString(i));
                    }
                }
                out.add(row);
            }
        }
        assertThat(out).as(table).isNotEmpty();
        return out;
    }

    @Test
    @DisplayName("appendAll of a content of distinct words beyond the 1 MB a PostgreSQL tsvector holds stores it byte-exact on both"
            + " databases, and search finds it (the index is an array of terms since V23)")
    void appendAllStoresContentBeyondTheOldFullTextLimit() {
        Conversation c = convo();
        StringBuilder words = new StringBuilder();
        for (int i = 0; words.length() < Limits.MAX_CONTENT_LENGTH - 20; i++) {
            words.append(Integer.toString(i, 36)).append("q ");
        }
        String distinct = words.toString();
        List<NewMessage> list = List.of(NewMessage.user("short"), NewMessage.assistant(distinct), NewMessage.user("after"));
        assertThat(store.appendAll(c.id(), list).get(1).content()).isEqualTo(distinct);
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::content).containsExactly("short", distinct, "after");
        assertThat(atlas.tenant("acme").search().text(dev.atlas.search.TextQuery.messages("zzzq"))).singleElement()
                .satisfies(h -> assertThat(h.conversationId()).isEqualTo(c.id()));
    }

    /** Runs {@code calls} 8 at a time and returns what each returned (nulls left out). */
    private static List<Message> runAll(List<Callable<Message>> calls) throws Exception {
        return runAllRefusing(calls, null, null);
    }

    /** {@link #runAll}, where a call may also fail with {@code refusal} naming {@code field} (when given). */
    private static List<Message> runAllRefusing(List<Callable<Message>> calls, Class<? extends RuntimeException> refusal, String field)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Message> out = new ArrayList<>();
            for (Future<Message> f : pool.invokeAll(calls)) {
                try {
                    if (f.get() != null) {
                        out.add(f.get());
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(refusal).as("unexpected failure: %s", e.getCause()).isNotNull();
                    assertThat(e.getCause()).isInstanceOf(refusal);
                    if (field != null) {
                        assertThat(((ConflictException) e.getCause()).field()).isEqualTo(field);
                    }
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The conversation holds exactly {@code acknowledged}, at sequences 1..n, each with its created event. */
    private void assertStoredExactly(Conversation c, List<Message> acknowledged) {
        int n = acknowledged.size();
        assertThat(store.messages(c.id(), 0, Limits.MAX_PAGE_SIZE)).containsExactlyInAnyOrderElementsOf(acknowledged)
                .extracting(Message::sequence).containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(n);
        for (Message m : acknowledged) {
            assertThat(store.events(m.id()).items()).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED);
        }
    }

    @Test
    @DisplayName("concurrent re-sends of one client id store exactly one message")
    void concurrentIdempotentAppends() throws Exception {
        Conversation c = convo();
        List<Callable<Message>> sends = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            sends.add(() -> store.append(c.id(), NewMessage.user("once").clientId("same")));
        }
        assertOneMessageStored(c, sends);
    }

    /** Runs {@code sends} (re-sends of one client id) 8 at a time: every caller gets the same message, stored once. */
    private void assertOneMessageStored(Conversation c, List<Callable<Message>> sends) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Set<UUID> ids = new HashSet<>();
            for (Future<Message> f : pool.invokeAll(sends)) {
                ids.add(f.get().id());
            }
            assertThat(ids).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.messages(c.id(), 0, 100)).hasSize(1);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
    }

    // ---- sibling invariant, deleted conversations, foreign ids, paged audit trail ----------

    @Test
    @DisplayName("8 threads activating 8 different siblings at once, 10 rounds: every call succeeds and exactly one sibling is active")
    void concurrentActivates() throws Exception {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("Tell me a joke"));
        int n = 8;
        List<Message> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            answers.add(store.append(c.id(), NewMessage.assistant("joke " + i).parent(q.id())));
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            for (int round = 0; round < 10; round++) {
                CountDownLatch ready = new CountDownLatch(n);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Message>> futures = new ArrayList<>();
                for (Message a : answers) {
                    futures.add(pool.submit(() -> {
                        ready.countDown();
                        go.await();
                        return store.activate(a.id());
                    }));
                }
                ready.await();
                go.countDown();
                for (Future<Message> f : futures) {
                    assertThat(f.get().active()).isTrue();
                }
                assertThat(store.siblings(answers.get(0).id())).filteredOn(Message::active).hasSize(1);
                assertThat(store.history(c.id())).hasSize(2).first().extracting(Message::id).isEqualTo(q.id());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("retries appended while other siblings are activated, all at once: every call succeeds and exactly one sibling is active")
    void concurrentRetriesAndActivates() throws Exception {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("Tell me a joke"));
        List<Message> answers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            answers.add(store.append(c.id(), NewMessage.assistant("joke " + i).parent(q.id())));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                CountDownLatch ready = new CountDownLatch(8);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Message>> futures = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Message a = answers.get(i);
                    String retry = "retry " + round + "-" + i;
                    futures.add(pool.submit(() -> {
                        ready.countDown();
                        go.await();
                        return store.activate(a.id());
                    }));
                    futures.add(pool.submit(() -> {
                        ready.countDown();
                        go.await();
                        return store.append(c.id(), NewMessage.assistant(retry).parent(q.id()));
                    }));
                }
                ready.await();
                go.countDown();
                for (Future<Message> f : futures) {
                    assertThat(f.get().active()).isTrue();
                }
                assertThat(store.siblings(answers.get(0).id())).hasSize(4 + 4 * (round + 1))
                        .filteredOn(Message::active).hasSize(1);
                assertThat(store.history(c.id())).hasSize(2);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("one retry sent by 6 threads at once with one client id, while other retries are appended: one sibling is stored, every"
            + " repeat gets it back, and exactly one sibling is active")
    void sameClientIdRetryFromSixThreadsAtOnce() throws Exception {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("Tell me a joke"));
        Message first = store.append(c.id(), NewMessage.assistant("joke").parent(q.id()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 3; round++) {
                String key = "retry-" + round;
                String other = "other " + round;
                CountDownLatch ready = new CountDownLatch(8);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Message>> same = new ArrayList<>();
                List<Future<Message>> plain = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    boolean repeat = i < 6;
                    Future<Message> f = pool.submit(() -> {
                        ready.countDown();
                        go.await();
                        return store.append(c.id(), repeat ? NewMessage.assistant("joke again").parent(q.id()).clientId(key)
                                : NewMessage.assistant(other).parent(q.id()));
                    });
                    (repeat ? same : plain).add(f);
                }
                ready.await();
                go.countDown();
                Set<UUID> ids = new HashSet<>();
                for (Future<Message> f : same) {
                    ids.add(f.get(60, TimeUnit.SECONDS).id());
                }
                for (Future<Message> f : plain) {
                    f.get(60, TimeUnit.SECONDS);
                }
                assertThat(ids).hasSize(1);
                List<Message> siblings = store.siblings(first.id());
                assertThat(siblings).filteredOn(m -> key.equals(m.clientId())).extracting(Message::id).containsExactlyElementsOf(ids);
                assertThat(siblings).hasSize(1 + 3 * (round + 1)).filteredOn(Message::active).hasSize(1);
                assertThat(store.require(c.id()).lastSequence()).isEqualTo(2 + 3 * (round + 1));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("the database itself refuses a second active sibling")
    void oneActiveSiblingInTheSchema() throws Exception {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("question"));
        store.append(c.id(), NewMessage.assistant("first answer").parent(q.id()));
        store.append(c.id(), NewMessage.assistant("second answer").parent(q.id()));
        try (Connection conn = database.dataSource().getConnection(); Statement s = conn.createStatement()) {
            assertThatThrownBy(() -> s.executeUpdate("UPDATE atlas_messages SET is_active = (1 = 1) WHERE content = 'first answer'"))
                    .isInstanceOf(SQLException.class);
        }
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("question", "second answer");
    }

    @Test
    @DisplayName("regenerating an answer after a later user message is refused with ConflictException on parentId, as canRetry says")
    void retryAfterLaterUserMessage() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("Q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("A1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("Q2"));
        Message a2 = store.append(c.id(), NewMessage.assistant("A2").parent(q2.id()));
        assertThat(store.canRetry(a1.id())).isFalse();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("A1'").parent(q1.id())))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("Q1", "A1", "Q2", "A2");
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isEqualTo(4);

        assertThat(store.canRetry(a2.id())).isTrue();
        store.append(c.id(), NewMessage.assistant("A2'").parent(q2.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("Q1", "A1", "Q2", "A2'");

        // A first answer is not a regeneration: a question answered late (the user asked again
        // meanwhile) is accepted, in the order it came, though canRetry of Q3 says false.
        Message q3 = store.append(c.id(), NewMessage.user("Q3"));
        store.append(c.id(), NewMessage.user("Q4"));
        assertThat(store.canRetry(q3.id())).isFalse();
        store.append(c.id(), NewMessage.assistant("A3").parent(q3.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("Q1", "A1", "Q2", "A2'", "Q3", "Q4", "A3");
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("A3'").parent(q3.id())))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
    }

    @Test
    @DisplayName("every message operation treats messages of a soft-deleted conversation as not found until restore")
    void deletedConversationHidesMessages() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("secret question"));
        Message a1 = store.append(c.id(), NewMessage.assistant("first").parent(q.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("second").parent(q.id()).status(MessageStatus.QUEUED));
        store.delete(c.id());
        assertThat(store.getMessage(q.id())).isEmpty();
        assertThat(store.getMessage(a2.id())).isEmpty();
        List<Executable> calls = List.of(
                () -> store.siblings(a1.id()),
                () -> store.activate(a1.id()),
                () -> store.canRetry(a1.id()),
                () -> store.updateStatus(a2.id(), MessageStatus.PROCESSING, null),
                () -> store.markDelivered(a2.id()),
                () -> store.markRead(q.id()),
                () -> store.edit(q.id(), "changed"),
                () -> store.deleteMessage(q.id()),
                () -> store.events(q.id()),
                () -> store.events(MessageEventQuery.forMessage(a1.id()).limit(1)),
                () -> store.append(c.id(), NewMessage.assistant("third").parent(q.id())));
        for (Executable call : calls) {
            assertThatThrownBy(call::execute).isInstanceOf(NotFoundException.class);
        }
        store.restore(c.id());
        assertThat(store.getMessage(q.id()).orElseThrow()).isEqualTo(q);
        assertThat(store.getMessage(a2.id()).orElseThrow()).isEqualTo(a2);
        assertThat(store.getMessage(a1.id()).orElseThrow().active()).isFalse();
        assertThat(store.events(q.id()).items()).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED);
        assertThat(store.events(a1.id()).items()).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED);
        assertThat(store.markRead(q.id()).readAt()).isEqualTo(clock.instant());
    }

    @Test
    @DisplayName("another tenant's assistant or tool call id on create fails exactly like an unknown id, naming the field; nothing is written")
    void foreignIdsOnCreate() {
        Conversation parent = convo();
        Conversation theirs = other.create(NewConversation.of(BOB));
        UUID theirAssistant = atlas.tenant("globex").assistants().create(AssistantSpec.of("bot", "Bot")).id();
        UUID theirToolCall = atlas.tenant("globex").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id()))
                .step().toolCall("c1", "lookup", "{}").id();
        for (UUID id : List.of(theirAssistant, UUID.randomUUID())) {
            assertNotFound(() -> store.create(NewConversation.of(ALICE).assistant(id)), "assistantId");
        }
        for (UUID id : List.of(theirToolCall, UUID.randomUUID())) {
            assertNotFound(() -> store.create(NewConversation.toolThread(ALICE, null, parent.id(), id)), "parentToolCallId");
        }
        assertThat(store.list(ConversationQuery.all().includeDeleted(true)).items()).extracting(Conversation::id).containsExactly(parent.id());
    }

    @Test
    @DisplayName("another tenant's execution or step id on append fails exactly like an unknown id, naming the field; nothing is written")
    void foreignIdsOnAppend() {
        Conversation c = convo();
        ExecutionHandle mine = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        mine.step();
        Conversation theirs = other.create(NewConversation.of(BOB));
        ExecutionHandle their = atlas.tenant("globex").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id()));
        UUID theirStep = their.step().id();
        for (UUID id : List.of(their.id(), UUID.randomUUID())) {
            assertNotFound(() -> store.append(c.id(), NewMessage.assistant("x").execution(id, null)), "executionId");
        }
        for (UUID id : List.of(theirStep, UUID.randomUUID())) {
            assertNotFound(() -> store.append(c.id(), NewMessage.assistant("x").execution(mine.id(), id)), "stepId");
        }
        ExecutionHandle second = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        UUID stepOfSecond = second.step().id();
        assertField(() -> store.append(c.id(), NewMessage.assistant("x").execution(mine.id(), stepOfSecond)), "stepId");
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isZero();
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("events page through the audit trail oldest first with an opaque cursor; the page size is bounded")
    void eventsPaged() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("v0"));
        for (int i = 1; i <= 6; i++) {
            clock.advanceMicros(i % 2);
            store.edit(m.id(), "v" + i);
        }
        List<Object> previous = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        MessageEventQuery q = MessageEventQuery.forMessage(m.id()).limit(3);
        Page<MessageEvent> page = store.events(q);
        while (true) {
            sizes.add(page.items().size());
            page.items().forEach(e -> previous.add(e.type() == MessageEventType.CREATED ? "created" : e.details().get("previousContent")));
            if (!page.hasMore()) {
                break;
            }
            page = store.events(q.after(page.nextCursor().orElseThrow()));
        }
        assertThat(sizes).containsExactly(3, 3, 1);
        assertThat(previous).containsExactly("created", "v0", "v1", "v2", "v3", "v4", "v5");
        Page<MessageEvent> all = store.events(m.id());
        assertThat(all.items()).hasSize(7);
        assertThat(all.hasMore()).isFalse();
        assertThat(store.events(MessageEventQuery.forMessage(m.id()).limit(7)).hasMore()).isFalse();
        assertField(() -> MessageEventQuery.forMessage(m.id()).limit(Limits.MAX_PAGE_SIZE + 1), "limit");
        assertField(() -> MessageEventQuery.forMessage(m.id()).limit(0), "limit");
        assertField(() -> store.events(MessageEventQuery.forMessage(m.id()).after("not-a-cursor")), "cursor");
        assertThatThrownBy(() -> store.events(UUID.randomUUID())).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("a cursor is refused by every listing but its own (naming cursor), instead of being read as a position in"
            + " another order")
    void cursorOfAnotherListingIsRefused() {
        Conversation c = convo();
        convo();
        Message m = store.append(c.id(), NewMessage.user("v0"));
        store.edit(m.id(), "v1");
        String conversationsCursor = store.list(ConversationQuery.all().limit(1)).nextCursor().orElseThrow();
        String eventsCursor = store.events(MessageEventQuery.forMessage(m.id()).limit(1)).nextCursor().orElseThrow();
        assertField(() -> store.events(MessageEventQuery.forMessage(m.id()).after(conversationsCursor)), "cursor");
        assertField(() -> store.toolThreads(c.id(), 10, conversationsCursor), "cursor");
        assertField(() -> store.list(ConversationQuery.all().after(eventsCursor)), "cursor");
        assertThat(store.events(MessageEventQuery.forMessage(m.id()).after(eventsCursor)).items()).hasSize(1);
        assertThat(store.list(ConversationQuery.all().after(conversationsCursor)).items()).hasSize(1);
    }

    @Test
    @DisplayName("a cursor of conversations, tool threads or events under one filter (agent, owner, status, deleted, parent,"
            + " message) is refused naming cursor under another, whose rows differ; the same filter reads on")
    void cursorOfAnotherFilterIsRefused() {
        Conversation a = convo();
        Conversation b = convo();
        convo();
        String support = store.list(ConversationQuery.all().agent("support").limit(1)).nextCursor().orElseThrow();
        assertField(() -> store.list(ConversationQuery.all().agent("sales").after(support)), "cursor");
        assertField(() -> store.list(ConversationQuery.all().after(support)), "cursor");
        assertField(() -> store.list(ConversationQuery.all().agent("support").owner(Owner.user("bob")).after(support)), "cursor");
        assertField(() -> store.list(ConversationQuery.all().agent("support").includeDeleted(true).after(support)), "cursor");
        assertField(() -> store.list(ConversationQuery.all().agent("support").status(ConversationStatus.ARCHIVED).after(support)),
                "cursor");
        assertThat(store.list(ConversationQuery.all().agent("support").after(support)).items()).hasSize(2);

        for (int i = 0; i < 2; i++) {
            store.create(NewConversation.toolThread(ALICE, "writer", a.id(), toolCallIn(a)));
        }
        store.create(NewConversation.toolThread(ALICE, "writer", b.id(), toolCallIn(b)));
        String threads = store.toolThreads(a.id(), 1, null).nextCursor().orElseThrow();
        assertField(() -> store.toolThreads(b.id(), 1, threads), "cursor");
        assertThat(store.toolThreads(a.id(), 1, threads).items()).hasSize(1);

        Message m = store.append(a.id(), NewMessage.user("v0"));
        store.edit(m.id(), "v1");
        Message n = store.append(b.id(), NewMessage.user("w0"));
        store.edit(n.id(), "w1");
        String events = store.events(MessageEventQuery.forMessage(m.id()).limit(1)).nextCursor().orElseThrow();
        assertField(() -> store.events(MessageEventQuery.forMessage(n.id()).after(events)), "cursor");
        assertThat(store.events(MessageEventQuery.forMessage(m.id()).after(events)).items()).hasSize(1);
    }

    @Test
    @DisplayName("a cursor edited to hold a time outside 0001..9999 is refused naming cursor by every listing, not a"
            + " driver or arithmetic error")
    void tamperedCursorTimeIsRefused() {
        Conversation c = convo();
        convo();
        for (int i = 0; i < 2; i++) {
            store.create(NewConversation.toolThread(ALICE, "writer", c.id(), toolCallIn(c)));
        }
        Message m = store.append(c.id(), NewMessage.user("v0"));
        store.edit(m.id(), "v1");
        String conversations = store.list(ConversationQuery.all().limit(1)).nextCursor().orElseThrow();
        String threads = store.toolThreads(c.id(), 1, null).nextCursor().orElseThrow();
        String events = store.events(MessageEventQuery.forMessage(m.id()).limit(1)).nextCursor().orElseThrow();
        String id = UUID.randomUUID().toString();
        for (String micros : List.of(Long.toString(Long.MIN_VALUE), Long.toString(Long.MAX_VALUE), "-62135596800000001",
                "253402300800000000")) {
            assertField(() -> store.list(ConversationQuery.all().after(edited(conversations, micros, id))), "cursor");
            assertField(() -> store.toolThreads(c.id(), 10, edited(threads, micros, id)), "cursor");
            assertField(() -> store.events(MessageEventQuery.forMessage(m.id()).after(edited(events, micros, id))), "cursor");
        }
        // the bounds themselves are positions a real page could hand out
        assertThat(store.list(ConversationQuery.all().after(edited(conversations, "253402300799999999", id))).items())
                .isEqualTo(store.list(ConversationQuery.all().limit(100)).items());
    }

    /** {@code cursor} with its sort key replaced by {@code parts}, as a caller who decoded and edited one would write it. */
    private static String edited(String cursor, String... parts) {
        String[] raw = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8).split("\u001f");
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString((raw[0] + "\u001f" + raw[1] + "\u001f"
                + String.join("\u001f", parts)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void assertNotFound(Executable call, String field) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            call.execute();
        } catch (Throwable t) {
            thrown.set(t);
        }
        assertThat(thrown.get()).as("expected NotFoundException for " + field).isInstanceOf(NotFoundException.class);
        assertThat(((NotFoundException) thrown.get()).field()).contains(field);
        assertThat(thrown.get().getMessage()).startsWith(field + ": ");
    }

    // ---- external keys ------------------------------------------------------------------

    @Test
    @DisplayName("ensure creates a conversation for a new external key once, then returns it as stored")
    void ensureCreatesOnce() {
        Conversation first = store.ensure("chat-7", NewConversation.of(ALICE, "support").title("First"));
        assertThat(first.externalKey()).isEqualTo("chat-7");
        assertThat(first.title()).isEqualTo("First");
        Conversation again = store.ensure("chat-7", NewConversation.of(BOB, "other").title("Ignored"));
        assertThat(again).isEqualTo(first);
        assertThat(store.getByKey("chat-7")).contains(first);
        assertThat(store.requireByKey("chat-7")).isEqualTo(first);
        assertThat(store.get(first.id())).contains(first);
        assertThat(store.getByKey("chat-8")).isEmpty();
        assertThatThrownBy(() -> store.requireByKey("chat-8")).isInstanceOf(NotFoundException.class);
        assertThat(store.create(NewConversation.of(ALICE)).externalKey()).isNull();
    }

    @Test
    @DisplayName("callers racing on one external key, from two Atlas instances, all get one conversation")
    void ensureIsRaceFree() throws Exception {
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                String key = "race-" + round;
                java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
                List<Future<Conversation>> results = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    ConversationStore s = i % 2 == 0 ? store : second;
                    results.add(pool.submit(() -> {
                        start.await();
                        return s.ensure(key, NewConversation.of(ALICE, "support"));
                    }));
                }
                start.countDown();
                Set<UUID> ids = new HashSet<>();
                for (Future<Conversation> f : results) {
                    ids.add(f.get().id());
                }
                assertThat(ids).as("round " + round).hasSize(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.list(ConversationQuery.all().limit(100)).items()).hasSize(5);
    }

    @Test
    @DisplayName("external keys belong to a tenant: another tenant's key is not found and the same key is a different conversation")
    void externalKeysPerTenant() {
        Conversation mine = store.ensure("shared", NewConversation.of(ALICE));
        assertThat(other.getByKey("shared")).isEmpty();
        Conversation theirs = other.ensure("shared", NewConversation.of(ALICE));
        assertThat(theirs.id()).isNotEqualTo(mine.id());
        assertThat(theirs.tenantId()).isEqualTo("globex");
        assertThat(store.getByKey("shared")).contains(mine);
    }

    @Test
    @DisplayName("deleting a conversation frees its key; restoring it while another holds the key is a conflict on externalKey")
    void deleteFreesKey() {
        Conversation old = store.ensure("k", NewConversation.of(ALICE));
        store.delete(old.id());
        assertThat(store.getByKey("k")).isEmpty();
        Conversation fresh = store.ensure("k", NewConversation.of(ALICE));
        assertThat(fresh.id()).isNotEqualTo(old.id());
        assertThatThrownBy(() -> store.restore(old.id())).isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("externalKey");
        assertThat(store.get(old.id())).isEmpty();
        store.delete(fresh.id());
        assertThat(store.restore(old.id()).externalKey()).isEqualTo("k");
        assertThat(store.getByKey("k").orElseThrow().id()).isEqualTo(old.id());
    }

    @Test
    @DisplayName("an exotic external key is stored and found byte-exact (validation: ConversationInputValidationTest)")
    void externalKeyValidation() {
        String exotic = "chat/ß-😀-'; DROP TABLE x; --";
        assertThat(store.ensure(exotic, NewConversation.of(ALICE)).externalKey()).isEqualTo(exotic);
        assertThat(store.getByKey(exotic).orElseThrow().externalKey()).isEqualTo(exotic);
    }

    private static void assertField(Executable call, String field) {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try {
            call.execute();
        } catch (Throwable t) {
            thrown.set(t);
        }
        assertThat(thrown.get()).as("expected InvalidInputException for " + field).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) thrown.get()).field()).isEqualTo(field);
    }

    // ---- statement counts ---------------------------------------------------------------

    @Test
    @DisplayName("an append runs 3 statements (sequence, message, created event; on PostgreSQL one statement doing all three)"
            + " and a history read 1, as the runner counts them")
    void appendStatementCount() {
        Conversation c = convo();
        StatementCounter.Counted<Message> appended = StatementCounter.count(atlas, () -> store.append(c.id(), NewMessage.user("hello")));
        boolean postgres = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db().dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL;
        assertThat(appended.statements()).isEqualTo(postgres ? 1 : 3);
        StatementCounter.Counted<List<Message>> history = StatementCounter.count(atlas, () -> store.history(c.id()));
        assertThat(history.statements()).isEqualTo(1);
        assertThat(history.result()).containsExactly(appended.result());
        // An answer to a parent also checks the parent and deactivates the answer it replaces: 3 more.
        StatementCounter.Counted<Message> answer = StatementCounter.count(atlas,
                () -> store.append(c.id(), NewMessage.assistant("hi").parent(appended.result().id())));
        assertThat(answer.statements()).isEqualTo(6);
        // With a client id the append first looks for an earlier send, on both databases.
        StatementCounter.Counted<Message> keyed = StatementCounter.count(atlas,
                () -> store.append(c.id(), NewMessage.user("again").clientId("k-1")));
        assertThat(keyed.statements()).isEqualTo(4);
        // Both paths write the same created event.
        assertThat(store.events(appended.result().id()).items()).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(MessageEventType.CREATED);
            assertThat(e.details()).isEqualTo(Map.of("sequence", 1, "role", "user", "status", "delivered"));
        });
        assertThat(store.events(keyed.result().id()).items()).singleElement()
                .satisfies(e -> assertThat(e.details()).isEqualTo(Map.of("sequence", 3, "role", "user", "status", "delivered")));
        assertThat(store.history(c.id())).containsExactly(appended.result(), answer.result(), keyed.result());
    }

    // ---- issue 15: message metadata, restore, app events, sibling groups -----------------

    @Test
    @DisplayName("a message's metadata is replaced, read back exactly, and the previous metadata is kept in a metadata_updated event")
    void updateMessageMetadata() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("hi").metadata(Map.of("lang", "en", "score", 3)));
        Map<String, Object> next = new LinkedHashMap<>();
        next.put("lang", "fr");
        next.put("tags", List.of("a", "b"));
        Message updated = store.updateMessageMetadata(m.id(), next);
        assertThat(updated.metadata()).isEqualTo(next);
        assertThat(updated.content()).isEqualTo("hi");
        assertThat(store.getMessage(m.id()).orElseThrow()).isEqualTo(updated);
        MessageEvent event = store.events(m.id()).items().get(1);
        assertThat(event.type()).isEqualTo(MessageEventType.METADATA_UPDATED);
        assertThat(event.details()).isEqualTo(Map.of("previousMetadata", Map.of("lang", "en", "score", 3)));
        assertThat(store.updateMessageMetadata(m.id(), Map.of()).metadata()).isEmpty();

        assertField(() -> store.updateMessageMetadata(m.id(), Map.of("x", "v\u0000")), "metadata");
        assertField(() -> store.updateMessageMetadata(null, Map.of()), "messageId");
        Message theirs = other.append(other.create(NewConversation.of(BOB)).id(), NewMessage.user("theirs"));
        assertThatThrownBy(() -> store.updateMessageMetadata(theirs.id(), Map.of("x", 1))).isInstanceOf(NotFoundException.class);
        assertThat(other.getMessage(theirs.id()).orElseThrow().metadata()).isEmpty();
        store.deleteMessage(m.id());
        assertThatThrownBy(() -> store.updateMessageMetadata(m.id(), Map.of("x", 1))).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("a deleted message is restored with a restored event; it comes back inactive when another answer is active now")
    void restoreMessage() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("question"));
        Message first = store.append(c.id(), NewMessage.assistant("first").parent(q.id()));
        store.deleteMessage(first.id());
        assertThat(store.getMessage(first.id())).isEmpty();
        Message restored = store.restoreMessage(first.id());
        assertThat(restored.isDeleted()).isFalse();
        assertThat(restored.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("question", "first");
        assertThat(store.events(first.id()).items()).extracting(MessageEvent::type)
                .containsExactly(MessageEventType.CREATED, MessageEventType.DELETED, MessageEventType.RESTORED);
        assertThat(store.events(first.id()).items().get(2).details()).isEqualTo(Map.of("active", true));
        // Restoring a live message changes nothing.
        assertThat(store.restoreMessage(first.id())).isEqualTo(store.getMessage(first.id()).orElseThrow());
        assertThat(store.events(first.id()).items()).hasSize(3);

        // Branch rule: the answer shown now stays shown; the restored one comes back inactive.
        store.deleteMessage(first.id());
        Message second = store.append(c.id(), NewMessage.assistant("second").parent(q.id()));
        Message back = store.restoreMessage(first.id());
        assertThat(back.active()).isFalse();
        assertThat(store.events(first.id()).items().get(4).details()).isEqualTo(Map.of("active", false));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("question", "second");
        store.activate(first.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("question", "first");
        assertThat(store.getMessage(second.id()).orElseThrow().active()).isFalse();

        assertField(() -> store.restoreMessage(null), "messageId");
        assertThatThrownBy(() -> store.restoreMessage(UUID.randomUUID())).isInstanceOf(NotFoundException.class);
        Message theirs = other.append(other.create(NewConversation.of(BOB)).id(), NewMessage.user("theirs"));
        other.deleteMessage(theirs.id());
        assertThatThrownBy(() -> store.restoreMessage(theirs.id())).isInstanceOf(NotFoundException.class);
        assertThat(other.getMessage(theirs.id())).isEmpty();
        store.delete(c.id());
        assertThatThrownBy(() -> store.restoreMessage(first.id())).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("applications record their own app.* event types with details; names are validated and Atlas's types refused")
    void appEvents() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.assistant("answer"));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("reason", "wrong \"unit\"");
        details.put("stars", 1);
        MessageEvent recorded = store.recordEvent(m.id(), MessageEventType.app("feedback.thumbs_down"), details);
        assertThat(recorded.type().toString()).isEqualTo("app.feedback.thumbs_down");
        assertThat(recorded.type().isApp()).isTrue();
        assertThat(recorded.type().appName()).isEqualTo("feedback.thumbs_down");
        assertThat(recorded.messageId()).isEqualTo(m.id());
        assertThat(recorded.conversationId()).isEqualTo(c.id());
        List<MessageEvent> trail = store.events(m.id()).items();
        assertThat(trail).hasSize(2);
        assertThat(trail.get(1)).isEqualTo(recorded);
        assertThat(trail.get(1).type()).isEqualTo(MessageEventType.app("feedback.thumbs_down"));
        assertThat(MessageEventType.of("created")).isSameAs(MessageEventType.CREATED);
        // A soft-deleted message keeps its trail, and can still be annotated.
        store.deleteMessage(m.id());
        store.recordEvent(m.id(), MessageEventType.app("moderation.removed"), Map.of());
        assertThat(store.events(m.id()).items()).extracting(e -> e.type().toString())
                .containsExactly("created", "app.feedback.thumbs_down", "deleted", "app.moderation.removed");

        for (String bad : List.of("", "Upper", "1st", "a..b", "a.", ".a", "a-b", "a b", "a.1b", "x".repeat(65))) {
            assertField(() -> MessageEventType.app(bad), "type");
        }
        assertField(() -> MessageEventType.app(null), "type");
        assertField(() -> MessageEventType.of("app.Bad"), "type");
        assertField(() -> MessageEventType.of("renamed"), "type");
        assertThat(MessageEventType.app("x".repeat(64)).appName()).hasSize(64);
        assertField(() -> store.recordEvent(m.id(), MessageEventType.EDITED, Map.of()), "type");
        assertField(() -> store.recordEvent(m.id(), null, Map.of()), "type");
        assertField(() -> store.recordEvent(m.id(), MessageEventType.app("ok"), Map.of("x", "v\u0000")), "details");
        assertField(() -> store.recordEvent(null, MessageEventType.app("ok"), Map.of()), "messageId");
        assertThat(store.events(m.id()).items()).hasSize(4);
        Message theirs = other.append(other.create(NewConversation.of(BOB)).id(), NewMessage.user("theirs"));
        assertThatThrownBy(() -> store.recordEvent(theirs.id(), MessageEventType.app("ok"), Map.of()))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.recordEvent(UUID.randomUUID(), MessageEventType.app("ok"), Map.of()))
                .isInstanceOf(NotFoundException.class);
        assertThat(other.events(theirs.id()).items()).hasSize(1);
    }

    @Test
    @DisplayName("the database refuses an event type outside Atlas's and app.<name>")
    void eventTypeCheckInTheSchema() throws Exception {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("hi"));
        store.recordEvent(m.id(), MessageEventType.app("ok"), Map.of());
        try (Connection conn = database.dataSource().getConnection(); Statement s = conn.createStatement()) {
            for (String bad : List.of("renamed", "app.", "app.Bad", "app.a..b", "app.1a", "app.a-b")) {
                assertThatThrownBy(() -> s.executeUpdate("UPDATE atlas_message_events SET type = '" + bad + "' WHERE type = 'app.ok'"))
                        .as(bad).isInstanceOf(SQLException.class);
            }
            assertThat(s.executeUpdate("UPDATE atlas_message_events SET type = 'app.a_1.b2' WHERE type = 'app.ok'")).isEqualTo(1);
        }
        assertThat(store.events(m.id()).items().get(1).type()).isEqualTo(MessageEventType.app("a_1.b2"));
    }

    @Test
    @DisplayName("sibling groups: the answers one execution wrote stay active together; activating one switches the whole group")
    void siblingGroups() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("plan my trip"));
        UUID run1 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        Message a1 = store.append(c.id(), NewMessage.assistant("looking up flights").parent(q.id()).execution(run1, null));
        Message a2 = store.append(c.id(), NewMessage.assistant("here is the plan").parent(q.id()).execution(run1, null));
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("plan my trip", "looking up flights", "here is the plan");

        // The retry: a second execution answers the same question with two messages.
        UUID run2 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        Message b1 = store.append(c.id(), NewMessage.assistant("checking trains").parent(q.id()).execution(run2, null));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("plan my trip", "checking trains");
        Message b2 = store.append(c.id(), NewMessage.assistant("take the train").parent(q.id()).execution(run2, null));
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("plan my trip", "checking trains", "take the train");
        // A third answer without an execution is a group of its own.
        Message solo = store.append(c.id(), NewMessage.assistant("stay home").parent(q.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("plan my trip", "stay home");

        SiblingGroups groups = store.siblingGroups(a2.id());
        assertThat(groups.count()).isEqualTo(3);
        assertThat(groups.index()).isEqualTo(1);
        assertThat(groups.groups()).extracting(SiblingGroup::executionId).containsExactly(run1, run2, null);
        assertThat(groups.groups().get(0).messages()).extracting(Message::id).containsExactly(a1.id(), a2.id());
        assertThat(groups.groups().get(1).messages()).extracting(Message::id).containsExactly(b1.id(), b2.id());
        assertThat(groups.groups().get(2).messages()).extracting(Message::id).containsExactly(solo.id());
        assertThat(groups.groups()).extracting(SiblingGroup::active).containsExactly(false, false, true);
        assertThat(store.siblingGroups(b1.id()).index()).isEqualTo(2);
        assertThat(store.siblingGroups(solo.id()).current().messages()).extracting(Message::id).containsExactly(solo.id());
        assertThat(store.siblingGroups(q.id()).count()).isEqualTo(1);

        // Switching to the first execution's group brings both of its messages back.
        Message switched = store.activate(a2.id());
        assertThat(switched.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("plan my trip", "looking up flights", "here is the plan");
        assertThat(store.siblingGroups(b2.id()).groups()).extracting(SiblingGroup::active).containsExactly(true, false, false);
        assertThat(store.events(a1.id()).items()).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED,
                MessageEventType.ACTIVATED);
        // Activating the active group again changes nothing.
        store.activate(a1.id());
        assertThat(store.events(a1.id()).items()).hasSize(2);
        store.activate(b1.id());
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("plan my trip", "checking trains", "take the train");
        store.activate(solo.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("plan my trip", "stay home");

        // Deleting one message of a group leaves the rest of it; restoring it rejoins its group.
        store.activate(b2.id());
        store.deleteMessage(b1.id());
        assertThat(store.siblingGroups(b2.id()).current().messages()).extracting(Message::id).containsExactly(b2.id());
        assertThat(store.restoreMessage(b1.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("plan my trip", "checking trains", "take the train");

        assertField(() -> store.siblingGroups(null), "messageId");
        assertThatThrownBy(() -> store.siblingGroups(UUID.randomUUID())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.siblingGroups(a1.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.activate(a1.id())).isInstanceOf(NotFoundException.class);
        assertThat(store.getMessage(a1.id()).orElseThrow().active()).isFalse();
    }

    @Test
    @DisplayName("replacing metadata as deep as metadata may be keeps a readable audit trail: its metadata_updated event holds the"
            + " previous document one level down (events threw UnreadableRowException)")
    void metadataUpdateOfTheDeepestDocumentKeepsItsTrailReadable() {
        Conversation c = convo();
        Map<String, Object> deepest = Map.of("leaf", 1);
        for (int i = 1; i < Limits.MAX_JSON_DEPTH; i++) {
            deepest = Map.of("k", deepest);
        }
        Message m = store.append(c.id(), NewMessage.user("deep").metadata(deepest));
        store.updateMessageMetadata(m.id(), Map.of("shallow", true));
        assertThat(store.events(m.id()).items()).extracting(MessageEvent::type, MessageEvent::details).containsExactly(
                org.assertj.core.groups.Tuple.tuple(MessageEventType.CREATED, Map.of("sequence", 1, "role", "user", "status", "delivered")),
                org.assertj.core.groups.Tuple.tuple(MessageEventType.METADATA_UPDATED, Map.of("previousMetadata", deepest)));
    }

    @Test
    @DisplayName("a re-send under its clientId is the same message only with the same parent, execution, step, author and agent:"
            + " another is a ConflictException on clientId naming what differs, nothing written (it returned the stored message,"
            + " answering another question); metadata and status, which change after the send, are not compared")
    void resendWithOtherLinksOrAuthorConflicts() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message q2 = store.append(c.id(), NewMessage.user("q2"));
        NewMessage sent = NewMessage.assistant("a").parent(q1.id()).author(ALICE).agent("support").clientId("k");
        Message a = store.append(c.id(), sent);
        Map<String, NewMessage> resends = new LinkedHashMap<>();
        resends.put("parentId (another)", sent.parent(q2.id()));
        resends.put("parentId (none)", sent.parent(null));
        resends.put("executionId", sent.execution(UUID.randomUUID(), null));
        resends.put("author (another)", sent.author(BOB));
        resends.put("author (none)", sent.author(null));
        resends.put("agent", sent.agent("sales"));
        resends.put("parentId, author", sent.parent(q2.id()).author(BOB));
        Map<String, String> expected = new LinkedHashMap<>();
        Map<String, String> actual = new LinkedHashMap<>();
        for (Map.Entry<String, NewMessage> e : resends.entrySet()) {
            String differs = e.getKey().replaceFirst(" \\(.*", "");
            expected.put(e.getKey(), "clientId: 'k' was already used for message " + a.id() + " with a different " + differs
                    + " | messages[0].clientId");
            Throwable one = org.assertj.core.api.Assertions.catchThrowable(() -> store.append(c.id(), e.getValue()));
            Throwable all = org.assertj.core.api.Assertions.catchThrowable(() -> store.appendAll(c.id(), List.of(e.getValue())));
            actual.put(e.getKey(), (one instanceof ConflictException x ? x.getMessage() : String.valueOf(one)) + " | "
                    + (all instanceof ConflictException x ? x.field() : String.valueOf(all)));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(store.append(c.id(), sent.metadata(Map.of("other", true)).status(MessageStatus.QUEUED))).isEqualTo(a);
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(q1, q2, a);
    }

    @Test
    @DisplayName("an external key in a NotFoundException's message is escaped; id() is the key as given")
    void externalKeyInNotFoundIsEscaped() {
        String key = "k\n2026-12-05 ERROR forged\u202e";
        assertThatThrownBy(() -> store.requireByKey(key)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("conversation with external key k\\u000a2026-12-05 ERROR forged\\u202e not found")
                .satisfies(e -> assertThat(((NotFoundException) e).id()).isEqualTo(key));
    }

    @Test
    @DisplayName("a clientId in a conflict message is escaped: a line break or U+202E is shown as \\uXXXX, never carried into a log line"
            + " (it was quoted raw); a lone surrogate is refused before anything is stored")
    void clientIdInConflictIsEscaped() {
        Conversation c = convo();
        String key = "turn-1\nERROR forged\u202e";
        Message sent = store.append(c.id(), NewMessage.user("hi").clientId(key));
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.append(c.id(), NewMessage.user("other").clientId(key)))
                .getMessage()).isEqualTo("clientId: 'turn-1\\u000aERROR forged\\u202e' was already used for message " + sent.id()
                        + " with a different content");
        // What differs is named, each of role, contentType and content, in that order (it said "role or content" for each).
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.append(c.id(), NewMessage.assistant("hi").clientId(key)))
                .getMessage()).endsWith(" with a different role");
        store.append(c.id(), NewMessage.user("42").clientId("turn-2"));
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.append(c.id(), NewMessage.json(Role.USER, "42").clientId("turn-2")))
                .getMessage()).endsWith(" with a different contentType");
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.appendAll(c.id(),
                List.of(NewMessage.json(Role.ASSISTANT, "43").clientId("turn-2").agent("sales")))))
                .satisfies(e -> assertThat(e.field()).isEqualTo("messages[0].clientId"))
                .hasMessageEndingWith(" with a different role, contentType, content, agent");
        assertThat(catchThrowableOfType(ConflictException.class, () -> store.append(c.id(), NewMessage.user("hi").clientId(key).agent("sales")))
                .getMessage()).isEqualTo("clientId: 'turn-1\\u000aERROR forged\\u202e' was already used for message " + sent.id()
                        + " with a different agent");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> NewMessage.user("hi").clientId("turn-1\uD800")).getMessage())
                .isEqualTo("clientId: contains an unpaired UTF-16 surrogate at index 6; text must be valid Unicode");
        NewMessage twice = NewMessage.user("again").clientId("t\u2028");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.appendAll(c.id(), List.of(twice, twice))).getMessage())
                .isEqualTo("messages: client id 't\\u2028' is used by messages 0 and 1; each message needs its own");
    }

    @Test
    @DisplayName("README 'Fails gracefully': the four failures it shows read exactly as shown, and nothing is written")
    void readmeFailuresReadAsShown() {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        assertThat(sent.status()).isEqualTo(MessageStatus.DELIVERED);

        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("a\u0000b")))
                .isInstanceOf(InvalidInputException.class)
                .hasToString("dev.atlas.InvalidInputException: content: contains a NUL character (U+0000) at index 1,"
                        + " which databases cannot store");
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("Where is order 4321?").clientId("c-1")))
                .isInstanceOf(ConflictException.class)
                .hasToString("dev.atlas.ConflictException: clientId: 'c-1' was already used for message " + sent.id()
                        + " with a different content");
        assertThatThrownBy(() -> store.updateStatus(sent.id(), MessageStatus.QUEUED, null))
                .isInstanceOf(IllegalTransitionException.class)
                .hasToString("dev.atlas.IllegalTransitionException: status: cannot change from delivered to queued;"
                        + " allowed from delivered: none (final)");
        assertThatThrownBy(() -> dev.atlas.Atlas.builder().dataSource(database.dataSource()).tablePrefix("Atlas-").build())
                .isInstanceOf(dev.atlas.ConfigurationException.class)
                .hasToString("dev.atlas.ConfigurationException: tablePrefix 'Atlas-' is invalid: use 1 to 30 characters of"
                        + " lowercase letters, digits and underscores, starting with a letter (for example 'atlas_')");

        assertThat(store.messages(c.id(), 0, 100)).containsExactly(sent);
    }

    @Test
    @DisplayName("README: history() without a limit is the last 50 active, delivered messages (the builder's default historyLimit), oldest first")
    void historyDefaultsToFifty() {
        Conversation c = convo();
        List<NewMessage> batch = new ArrayList<>();
        for (int i = 1; i <= 55; i++) {
            batch.add(i % 2 == 1 ? NewMessage.user("q" + i) : NewMessage.assistant("a" + i));
        }
        store.appendAll(c.id(), batch);
        store.append(c.id(), NewMessage.user("still queued").status(MessageStatus.QUEUED));
        assertThat(atlas.config().historyLimit()).isEqualTo(50);
        List<Message> history = store.history(c.id());
        assertThat(history).extracting(Message::sequence).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(6, 55).boxed().toList());
        assertThat(history.get(0).content()).isEqualTo("a6");
    }

    // ---- probes: idempotency across instances, clock steps, foreign ids ----------------------

    @Test
    @DisplayName("a re-send of what was first sent is returned after two edits even when the clock stepped back between the edits")
    void resendAfterEditsAcrossAClockStepBack() {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("original").clientId("k"));
        clock.advanceMicros(10_000_000);
        store.edit(sent.id(), "first edit");
        clock.advanceMicros(-5_000_000);
        store.edit(sent.id(), "second edit");
        assertThat(store.append(c.id(), NewMessage.user("original").clientId("k")).id()).isEqualTo(sent.id());
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("first edit").clientId("k")))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::content).containsExactly("second edit");
        // The trail is listed by time, so the stepped-back second edit comes first; the mark tells the first edit.
        assertThat(store.events(sent.id()).items()).extracting(MessageEvent::details).containsExactlyInAnyOrder(
                Map.of("sequence", 1, "role", "user", "status", "delivered"),
                Map.of("previousContent", "original", "original", true), Map.of("previousContent", "first edit"));
    }

    @Test
    @DisplayName("a message's audit trail lists its events in the order they were written when an instance's clock runs an hour"
            + " behind the one that wrote the earlier events: each later event is recorded 1 µs after the latest, never before it")
    void auditTrailKeepsWriteOrderAcrossClockSkew() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("question").status(MessageStatus.QUEUED));
        clock.advanceMicros(10);
        store.edit(q.id(), "question, edited");
        Instant latest = clock.instant();
        ConversationStore behind = reopen(b -> b.clock(new MutableClock(latest.minusSeconds(3600)))).tenant("acme").conversations();
        behind.edit(q.id(), "question, edited again");
        behind.updateStatus(q.id(), MessageStatus.DELIVERED, null);
        behind.updateMessageMetadata(q.id(), Map.of("k", "v"));
        behind.deleteMessage(q.id());
        behind.restoreMessage(q.id());
        MessageEvent app = behind.recordEvent(q.id(), MessageEventType.app("feedback.thumbs_up"), Map.of());
        List<MessageEvent> trail = store.events(q.id()).items();
        assertThat(trail).extracting(MessageEvent::type).containsExactly(MessageEventType.CREATED, MessageEventType.EDITED,
                MessageEventType.EDITED, MessageEventType.STATUS_CHANGED, MessageEventType.METADATA_UPDATED, MessageEventType.DELETED,
                MessageEventType.RESTORED, MessageEventType.app("feedback.thumbs_up"));
        assertThat(trail.get(2).details()).containsEntry("previousContent", "question, edited");
        for (int i = 2; i < trail.size(); i++) {
            assertThat(trail.get(i).createdAt()).isEqualTo(latest.plusNanos(1_000L * (i - 1)));
        }
        assertThat(app).isEqualTo(trail.get(trail.size() - 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "client id", "appendAll"})
    @DisplayName("an append by an instance whose clock is an hour behind does not move the conversation's activity back:"
            + " lastMessageAt stays the latest, the list keeps it first")
    void activityNeverMovesBackAcrossClockSkew(String how) {
        Conversation quiet = convo();
        store.append(quiet.id(), NewMessage.user("earlier"));
        clock.advanceMicros(10);
        Conversation busy = convo();
        store.append(busy.id(), NewMessage.user("latest"));
        Instant latest = clock.instant();
        ConversationStore behind = reopen(b -> b.clock(new MutableClock(latest.minusSeconds(3600)))).tenant("acme").conversations();
        switch (how) {
            case "plain" -> behind.append(busy.id(), NewMessage.user("from behind"));
            case "client id" -> behind.append(busy.id(), NewMessage.user("from behind").clientId("behind-1"));
            default -> behind.appendAll(busy.id(), List.of(NewMessage.user("from behind"), NewMessage.assistant("answer")));
        }
        assertThat(store.require(busy.id()).lastMessageAt()).isEqualTo(latest);
        assertThat(store.list(ConversationQuery.all()).items()).extracting(Conversation::id).containsExactly(busy.id(), quiet.id());
    }

    @Test
    @DisplayName("an instance whose clock is an hour behind moves no conversation or message time back: updated, archived, closed, deleted, edited and read times are never before the row's last update")
    void rowTimesNeverMoveBackAcrossClockSkew() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("hello"));
        Message other = store.append(c.id(), NewMessage.assistant("answer").status(MessageStatus.QUEUED));
        Conversation closing = convo();
        Instant latest = clock.instant();
        ConversationStore behind = reopen(b -> b.clock(new MutableClock(latest.minusSeconds(3600)))).tenant("acme").conversations();

        assertThat(behind.updateTitle(c.id(), "renamed").updatedAt()).isEqualTo(latest);
        Conversation archived = behind.archive(c.id());
        assertThat(archived.archivedAt()).isEqualTo(latest);
        assertThat(archived.updatedAt()).isEqualTo(latest);
        assertThat(behind.close(closing.id()).closedAt()).isEqualTo(latest);
        behind.delete(closing.id());
        assertThat(store.list(ConversationQuery.all().includeDeleted(true)).items()).filteredOn(x -> x.id().equals(closing.id()))
                .singleElement().satisfies(x -> {
                    assertThat(x.deletedAt()).isEqualTo(latest);
                    assertThat(x.updatedAt()).isEqualTo(latest);
                });
        assertThat(behind.restore(closing.id()).updatedAt()).isEqualTo(latest);

        Message edited = behind.edit(m.id(), "hello again");
        assertThat(edited.editedAt()).isEqualTo(latest);
        assertThat(edited.updatedAt()).isEqualTo(latest);
        assertThat(behind.markRead(m.id()).readAt()).isEqualTo(latest);
        Message answer = store.append(c.id(), NewMessage.assistant("read by all"));
        behind.markAllRead(c.id());
        assertThat(store.requireMessage(answer.id()).readAt()).isEqualTo(latest);
        assertThat(behind.updateMessageMetadata(m.id(), Map.of("k", "v")).updatedAt()).isEqualTo(latest);
        assertThat(behind.markFailed(other.id(), "lost").updatedAt()).isEqualTo(latest);
        behind.deleteMessage(m.id());
        assertThat(behind.restoreMessage(m.id()).updatedAt()).isEqualTo(latest);
    }

    @Test
    @DisplayName("messages keep the append order when the clock steps back between appends")
    void appendOrderSurvivesAClockStepBack() {
        Conversation c = convo();
        Message a = store.append(c.id(), NewMessage.user("a"));
        clock.advanceMicros(-3_600_000_000L);
        Message b = store.append(c.id(), NewMessage.assistant("b").parent(a.id()));
        clock.advanceMicros(-1);
        Message d = store.append(c.id(), NewMessage.user("d"));
        assertThat(store.history(c.id(), 10)).extracting(Message::id).containsExactly(a.id(), b.id(), d.id());
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::id).containsExactly(a.id(), b.id(), d.id());
        assertThat(store.historyBefore(c.id(), 3, 1)).extracting(Message::id).containsExactly(b.id());
    }

    @Test
    @DisplayName("one client id sent 16 times at once through two Atlas instances stores one message, returned to every caller")
    void idempotentAppendsAcrossInstances() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        List<Callable<Message>> sends = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            boolean batch = i % 4 < 2;
            sends.add(() -> batch ? s.appendAll(c.id(), List.of(NewMessage.user("once").clientId("same"))).get(0)
                    : s.append(c.id(), NewMessage.user("once").clientId("same")));
        }
        assertOneMessageStored(c, sends);

        // The same key with 16 different contents at once: one is stored, its sender gets it, every other
        // sender a ConflictException on clientId naming content (and the stored message), never a second row.
        Conversation d = convo();
        List<Callable<Message>> differing = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            NewMessage m = NewMessage.user("v" + i).clientId("same");
            differing.add(i % 4 < 2 ? () -> s.appendAll(d.id(), List.of(m)).get(0) : () -> s.append(d.id(), m));
        }
        List<Message> won = new ArrayList<>();
        Map<Integer, ConflictException> refused = new java.util.TreeMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Message>> results = pool.invokeAll(differing);
            for (int i = 0; i < results.size(); i++) {
                try {
                    won.add(results.get(i).get());
                } catch (java.util.concurrent.ExecutionException e) {
                    assertThat(e.getCause()).isExactlyInstanceOf(ConflictException.class);
                    refused.put(i, (ConflictException) e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        Message stored = store.messages(d.id(), 0, 100).get(0);
        assertThat(store.messages(d.id(), 0, 100)).containsExactly(stored);
        assertThat(won).containsExactly(stored);
        assertThat(refused).hasSize(15).allSatisfy((i, e) -> {
            String field = i % 4 < 2 ? "messages[0].clientId" : "clientId";
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).isEqualTo(field + ": 'same' was already used for message " + stored.id() + " with a different content");
        });
        assertThat(store.require(d.id()).lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("appendAll batches of several keyed messages whose keys overlap ([k0 k1 k2], [k1 k2 k3], ...), sent at once from two"
            + " instances on one database: every key stored once, every caller given the same message for a key, six"
            + " sequences in all; a key twice in one batch is refused on messages before any write")
    void overlappingKeyedBatchesAcrossInstances() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        List<Callable<List<Message>>> sends = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            ConversationStore s = i % 2 == 0 ? store : second;
            int from = i % 4;
            sends.add(() -> s.appendAll(c.id(), List.of(NewMessage.user("m" + from).clientId("k" + from),
                    NewMessage.user("m" + (from + 1)).clientId("k" + (from + 1)), NewMessage.user("m" + (from + 2)).clientId("k" + (from + 2)))));
        }
        Map<String, Set<UUID>> idsByKey = new java.util.TreeMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (Future<List<Message>> f : pool.invokeAll(sends)) {
                for (Message m : f.get()) {
                    assertThat(m.content()).isEqualTo("m" + m.clientId().substring(1));
                    idsByKey.computeIfAbsent(m.clientId(), k -> new HashSet<>()).add(m.id());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(idsByKey.keySet()).containsExactly("k0", "k1", "k2", "k3", "k4", "k5");
        assertThat(idsByKey.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
        List<Message> stored = store.messages(c.id(), 0, 100);
        assertThat(stored).extracting(Message::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(stored).extracting(Message::clientId).doesNotHaveDuplicates();
        assertThat(stored).extracting(m -> idsByKey.get(m.clientId()).iterator().next()).isEqualTo(stored.stream().map(Message::id).toList());
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(6);
        // The same key twice in one list, even with the same message: refused on messages, nothing written.
        assertThatThrownBy(() -> second.appendAll(c.id(), List.of(NewMessage.user("m9").clientId("k9"), NewMessage.user("m9").clientId("k9"))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("messages: client id 'k9' is used by messages 0 and 1; each message needs its own");
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(6);
    }

    @Test
    @DisplayName("a client id is per conversation and per tenant: the same key elsewhere stores a new message")
    void clientIdScope() {
        Conversation c = convo();
        Conversation d = convo();
        Conversation g = other.create(NewConversation.of(ALICE, "support"));
        Message m1 = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        Message m2 = store.append(d.id(), NewMessage.user("other text").clientId("k"));
        Message m3 = other.append(g.id(), NewMessage.user("secret").clientId("k"));
        assertThat(Set.of(m1.id(), m2.id(), m3.id())).hasSize(3);
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("hi").clientId("k")))
                .isInstanceOf(ConflictException.class)
                .hasMessageNotContaining("secret")
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
        assertThat(store.append(c.id(), NewMessage.user("hi").clientId("k"))).isEqualTo(m1);
    }

    @Test
    @DisplayName("another tenant's message and conversation ids are not found on every message method, naming only the id given")
    void foreignIdsOnMessageMethods() {
        Conversation g = other.create(NewConversation.of(ALICE, "support"));
        Message q = other.append(g.id(), NewMessage.user("secret question"));
        Message a = other.append(g.id(), NewMessage.assistant("secret answer").parent(q.id()));
        UUID id = a.id();
        List<Executable> calls = List.of(() -> store.activate(id), () -> store.siblings(id), () -> store.siblingGroups(id),
                () -> store.canRetry(id), () -> store.edit(id, "x"), () -> store.deleteMessage(id), () -> store.restoreMessage(id),
                () -> store.markRead(id), () -> store.markDelivered(id), () -> store.updateMessageMetadata(id, Map.of("a", 1)),
                () -> store.recordEvent(id, MessageEventType.app("x.y"), Map.of()), () -> store.events(id),
                () -> store.requireMessage(id), () -> store.history(g.id()), () -> store.messages(g.id(), 0, 10),
                () -> store.historyBefore(g.id(), 5, 10), () -> store.markAllRead(g.id()), () -> store.unreadCount(g.id()),
                () -> store.updateTitle(g.id(), "t"), () -> store.archive(g.id()), () -> store.delete(g.id()),
                () -> store.restore(g.id()));
        for (Executable call : calls) {
            assertThatThrownBy(call::execute).isInstanceOf(NotFoundException.class)
                    .hasMessageNotContaining("secret").hasMessageNotContaining("globex");
        }
        Conversation mine = convo();
        assertThatThrownBy(() -> store.append(mine.id(), NewMessage.assistant("x").parent(q.id())))
                .isInstanceOf(NotFoundException.class).hasMessageContaining(q.id().toString());
        assertThat(other.requireMessage(id)).isEqualTo(a);
        assertThat(other.history(g.id(), 10)).extracting(Message::content).containsExactly("secret question", "secret answer");
    }

    @Test
    @DisplayName("unstorable text is refused naming the field before any write: content, edit, failure reason, metadata keys and values")
    void unstorableTextRefusedBeforeWrite() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("ok").status(MessageStatus.QUEUED));
        String nul = "a\u0000b";
        String lone = "a\ud800b";
        for (String bad : List.of(nul, lone)) {
            assertThatThrownBy(() -> NewMessage.user(bad)).isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("content");
            assertThatThrownBy(() -> store.edit(m.id(), bad)).isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("content");
            assertThatThrownBy(() -> store.markFailed(m.id(), bad)).isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("failureReason");
            assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("x").metadata(Map.of("k", bad)))).isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field().startsWith("metadata")).isEqualTo(true);
            assertThatThrownBy(() -> store.updateMessageMetadata(m.id(), Map.of(bad, 1))).isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field().startsWith("metadata")).isEqualTo(true);
            assertThatThrownBy(() -> store.updateMessageMetadata(m.id(), Map.of("k", List.of(Map.of("n", bad)))))
                    .isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field().startsWith("metadata")).isEqualTo(true);
            assertThatThrownBy(() -> store.recordEvent(m.id(), MessageEventType.app("x.y"), Map.of("k", bad)))
                    .isInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field().startsWith("details")).isEqualTo(true);
        }
        Object deep = "leaf";
        for (int i = 0; i < 100; i++) {
            deep = Map.of("d", deep);
        }
        Object tooDeep = deep;
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("x").metadata(Map.of("k", tooDeep)))).isInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field().startsWith("metadata")).isEqualTo(true);
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.json(Role.TOOL, "{\"a\":")))
                .isInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("content");
        assertThatThrownBy(() -> NewMessage.user("x".repeat(Limits.MAX_CONTENT_LENGTH + 1))).isInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("content");
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(m);
        assertThat(store.events(m.id()).items()).hasSize(1);
    }

    @Test
    @DisplayName("the largest content, JSON with escapes and astral text, reads back byte-exact through every read")
    void largestContentByteExact() {
        Conversation c = convo();
        StringBuilder b = new StringBuilder();
        while (b.length() < Limits.MAX_CONTENT_LENGTH) {
            b.append("𝄞 é\t\\'\"\u2028");
        }
        String big = b.substring(0, Limits.MAX_CONTENT_LENGTH - 2) + "\r\n";
        String json = "{\"lone\":\"\\ud800\",\"n\":1.000000000000000000001,\"e\":1E400, \"k\" : [ ] }";
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.json(Role.TOOL, "{\"nul\":\"\\u0000\"}")))
                .isInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("content");
        Message m = store.append(c.id(), NewMessage.user(big));
        Message j = store.append(c.id(), NewMessage.json(Role.TOOL, json));
        assertThat(store.requireMessage(m.id()).content()).isEqualTo(big);
        assertThat(store.history(c.id(), 10)).extracting(Message::content).containsExactly(big, json);
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::content).containsExactly(big, json);
        assertThat(store.edit(j.id(), json + " ").content()).isEqualTo(json + " ");
        assertThat(store.requireMessage(j.id()).content()).isEqualTo(json + " ");
    }

    @Test
    @DisplayName("regenerating at every position while the conversation is still at that turn keeps one active answer per parent")
    void regenerateAndEditAtEveryPosition() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1b.id()));
        Message q2b = store.append(c.id(), NewMessage.user("q2 edited").parent(a1b.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2b.id()));
        assertThat(store.canRetry(a1b.id())).isFalse();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("a1c").parent(q1.id())))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
        assertThat(store.history(c.id(), 10)).extracting(Message::content).containsExactly("q1", "a1b", "q2 edited", "a2");
        assertThat(store.siblings(q2.id())).extracting(Message::id).containsExactly(q2.id(), q2b.id());
        SiblingGroups groups = store.siblingGroups(a1.id());
        assertThat(groups.count()).isEqualTo(2);
        assertThat(groups.index()).isEqualTo(1);
        assertThat(store.siblingGroups(a1b.id()).current().active()).isTrue();
        store.activate(q2.id());
        assertThat(store.siblings(q2b.id())).extracting(Message::active).containsExactly(true, false);
        assertThat(store.siblings(a1.id())).extracting(Message::active).containsExactly(false, true);
        store.edit(a2.id(), "a2 edited");
        assertThat(store.requireMessage(a2.id()).content()).isEqualTo("a2 edited");
    }

    @Test
    @DisplayName("editing an answered question hides the old question's answers with it, and switching back shows them again")
    void editedQuestionTakesItsAnswersAlong() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        Message tool = store.append(c.id(), NewMessage.tool("t2").parent(a2.id()));
        Message a2more = store.append(c.id(), NewMessage.assistant("a2 after tool").parent(tool.id()));

        Message q2b = store.append(c.id(), NewMessage.user("q2 edited").parent(a1.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2 edited");
        assertThat(store.requireMessage(a2more.id()).active()).isFalse();
        Message a2b = store.append(c.id(), NewMessage.assistant("a2b").parent(q2b.id()));
        assertThat(a2b.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2 edited", "a2b");

        // A late first answer to the hidden question is stored hidden, with it.
        Message late = store.append(c.id(), NewMessage.assistant("late").parent(a2more.id()).clientId("late"));
        assertThat(late.active()).isFalse();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2 edited", "a2b");

        // Back to q2: its branch returns, showing the latest answer of each turn below it.
        Message back = store.activate(q2.id());
        assertThat(back.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("q1", "a1", "q2", "a2", "t2", "a2 after tool", "late");
        assertThat(store.requireMessage(a2b.id()).active()).isFalse();
        assertThat(store.requireMessage(q2b.id()).active()).isFalse();
        assertThat(store.append(c.id(), NewMessage.assistant("late").parent(a2more.id()).clientId("late"))).isEqualTo(
                store.requireMessage(late.id()));
        assertThat(store.events(a2.id()).items()).extracting(MessageEvent::type).contains(MessageEventType.ACTIVATED);

        // Activating an answer of a hidden branch shows the branch leading to it.
        assertThat(store.activate(a2b.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2 edited", "a2b");
        assertThat(store.requireMessage(late.id()).active()).isFalse();
    }

    @Test
    @DisplayName("switching to an older answer hides the turns that followed the other answer; switching back shows them")
    void switchingAnAnswerHidesWhatFollowedIt() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1b.id()));
        store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));

        store.activate(a1.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1");
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::active).containsExactly(true, true, false, false, false);
        // The hidden turn no longer follows in the history, so a1 may be regenerated again.
        assertThat(store.canRetry(a1.id())).isTrue();

        store.activate(a1b.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b", "q2", "a2");
        assertThat(store.canRetry(a1.id())).isFalse();
        List<Message> both = appendAllBranches(c, q2);
        assertThat(both).extracting(Message::active).containsExactly(false, true);
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b", "q2 again", "a2 again");

        // One list answering q2 again and then editing it returns the first answer hidden, as stored.
        store.activate(q2.id());
        List<Message> list = store.appendAll(c.id(), List.of(NewMessage.assistant("a2 third").parent(q2.id()),
                NewMessage.user("q2 third").parent(a1b.id())));
        assertThat(list).extracting(Message::active).containsExactly(false, true);
        assertThat(list.get(0)).isEqualTo(store.requireMessage(list.get(0).id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b", "q2 third");
    }

    @Test
    @DisplayName("a deleted answer restored after its question was replaced by an edit comes back hidden with that question")
    void restoredAnswerOfAHiddenQuestionStaysHidden() {
        Conversation c = convo();
        Message greeting = store.append(c.id(), NewMessage.assistant("hello"));
        Message q = store.append(c.id(), NewMessage.user("q").parent(greeting.id()));
        Message a = store.append(c.id(), NewMessage.assistant("a").parent(q.id()));
        store.deleteMessage(a.id());
        store.append(c.id(), NewMessage.user("q edited").parent(greeting.id()));
        assertThat(store.restoreMessage(a.id()).active()).isFalse();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("hello", "q edited");
        store.activate(q.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("hello", "q", "a");
    }

    @Test
    @DisplayName("a soft-deleted question still links its answers into their branch: regenerating an earlier answer hides them with"
            + " it, switching back shows them again, activating one of them shows its branch, and restoring the question shows it there")
    void answersOfADeletedQuestionStayInTheirBranch() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(q2.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        assertThat(store.requireMessage(a2.id()).active()).isFalse();
        store.activate(a1.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
        store.activate(a1b.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        assertThat(store.activate(a2.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
        assertThat(store.restoreMessage(q2.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2");
    }

    /**
     * The flags a store before the deleted-messages-keep-their-place change left behind: a message
     * deleted while shown kept {@code is_active} when an earlier answer was regenerated, and so did
     * what answers it. Set with plain SQL, as such a database holds them.
     */
    private void setStaleActive(UUID... ids) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        for (UUID id : ids) {
            db.write(h -> AdHoc.on(db, h, "UPDATE <p>messages SET is_active = TRUE WHERE tenant_id = 'acme' AND id = :id")
                    .bind("id", id).update());
        }
    }

    /**
     * Runs migration V36 again, as the upgrade runs it on such a database: it hides every message
     * flagged active under a hidden one, so an append trusts its parent's flag.
     */
    private void putRightAsV36() {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String folder = db.dialect() == dev.atlas.jdbi.internal.Dialect.SQLITE ? "sqlite" : "postgresql";
        String script;
        try (java.io.InputStream in = getClass().getClassLoader()
                .getResourceAsStream("dev/atlas/migrations/" + folder + "/V36__stale_branch_flags_put_right.sql")) {
            script = new String(java.util.Objects.requireNonNull(in, "V36 on the class path").readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String update = script.lines().filter(l -> !l.startsWith("--")).collect(java.util.stream.Collectors.joining("\n"))
                .replace("${prefix}", "<p>").replaceAll(";\\s*$", "");
        db.write(h -> AdHoc.on(db, h, update).update());
    }

    @Test
    @DisplayName("V36 puts right the flags an older version left (a deleted question and its answer flagged active under a replaced"
            + " answer): history q1, a1b instead of q1, a2, a1b, q3; activating q3 then shows q1, a1, a2, q3")
    void v36HidesStaleFlags() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(q2.id());
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        Message q3 = store.append(c.id(), NewMessage.user("q3").parent(a2.id()));
        setStaleActive(q2.id(), a2.id(), q3.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a2", "a1b", "q3");
        putRightAsV36();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        assertThat(List.of(store.requireMessage(a1.id()).active(), store.requireMessage(a2.id()).active(),
                store.requireMessage(q3.id()).active(), store.requireMessage(a1b.id()).active())).containsExactly(false, false, false, true);
        store.activate(q3.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2", "q3");
    }

    @Test
    @DisplayName("on a database written before deleted messages kept their place (a deleted question and its answer still flagged"
            + " active under a replaced answer), once V36 put them right activating that answer shows its branch: q1, a1, a2, and a1b is"
            + " hidden")
    void activateThroughAStaleDeletedAncestor() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(q2.id());
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        setStaleActive(q2.id(), a2.id());
        putRightAsV36();
        Message shown = store.activate(a2.id());
        assertThat(shown.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
        assertThat(store.requireMessage(a1b.id()).active()).isFalse();
        store.activate(a1b.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
    }

    @Test
    @DisplayName("on such a database, activating the answer that replaced the stale branch (already active) hides what the stale"
            + " flags showed beside it: history q1, a1b")
    void activateHidesAStaleBranchBesideIt() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(q2.id());
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        setStaleActive(q2.id(), a2.id());
        assertThat(store.activate(a1b.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        assertThat(store.requireMessage(a2.id()).active()).isFalse();
    }

    @Test
    @DisplayName("on a database with a stale flag (a question still flagged active under a replaced answer), once V36 put it right"
            + " an answer appended to it is stored hidden with its branch: history q1, a1b; activating the answer shows"
            + " q1, a1, q2, a2")
    void appendUnderAStaleActiveParentIsHidden() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        store.activate(a1.id());
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        store.activate(a1b.id());
        setStaleActive(q2.id());
        putRightAsV36();
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        assertThat(a2.active()).isFalse();
        assertThat(store.requireMessage(q2.id()).active()).isFalse();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        store.activate(a2.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2");
    }

    @Test
    @DisplayName("on such a database, once V36 put right both stale flags (q2 and a2 flagged active below the replaced answer), an"
            + " answer appended two levels below is stored hidden too: history q1, a1b")
    void appendTwoStaleLevelsBelowIsHidden() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        store.activate(a1.id());
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.activate(a1b.id());
        setStaleActive(q2.id(), a2.id());
        putRightAsV36();
        List<Message> added = store.appendAll(c.id(), List.of(NewMessage.user("q3").parent(a2.id())));
        assertThat(added.get(0).active()).isFalse();
        assertThat(List.of(store.requireMessage(q2.id()).active(), store.requireMessage(a2.id()).active())).containsExactly(false, false);
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
    }

    @Test
    @DisplayName("restoring an answer whose question is still deleted brings back that answer alone, where its branch shows:"
            + " history q1, a1, a2 (q2 stays deleted)")
    void restoreUnderADeletedQuestionShowsOnItsBranch() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(a2.id());
        store.deleteMessage(q2.id());
        assertThat(store.restoreMessage(a2.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
        assertThat(store.getMessage(q2.id())).isEmpty();
    }

    @Test
    @DisplayName("on a database with stale flags (a deleted question and its deleted answer still flagged active under a replaced"
            + " answer), once V36 put them right restoring the answer keeps it hidden with its branch: history q1, a1b; activating"
            + " it then shows q1, a1, a2")
    void restoreUnderAStaleDeletedQuestionStaysHidden() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(a2.id());
        store.deleteMessage(q2.id());
        store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        setStaleActive(q2.id(), a2.id());
        putRightAsV36();
        assertThat(store.restoreMessage(a2.id()).active()).isFalse();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b");
        store.activate(a2.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "a2");
    }

    @Test
    @DisplayName("activating an answer of a hidden branch shows its path and hides every answer of the other siblings, also those"
            + " that were shown when their branch was: after activate(a2) only a2 of its turn and a1 of its turn are active")
    void activateHidesAnswersOfOtherSiblings() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        Message q3 = store.append(c.id(), NewMessage.user("q3").parent(a1b.id()));
        Message a3 = store.append(c.id(), NewMessage.assistant("a3").parent(q3.id()));
        store.activate(a1.id());
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        Message a2b = store.append(c.id(), NewMessage.assistant("a2b").parent(q2.id()));
        store.activate(a3.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b", "q3", "a3");
        store.activate(a2.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2");
        assertThat(List.of(a1b, q3, a3, a2b).stream().map(m -> store.requireMessage(m.id()).active()).toList())
                .containsExactly(false, false, false, false);
    }

    @Test
    @DisplayName("three tool results answering one assistant message without an execution all show, in append order; a retry of one"
            + " with the same parent shows beside them (delete the failed one to drop it); activating one hides none of the others")
    void parallelToolResultsWithoutAnExecutionAllShow() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Message call = store.append(c.id(), NewMessage.assistant("calls three tools").parent(q.id()));
        Message t1 = store.append(c.id(), NewMessage.tool("t1").parent(call.id()));
        Message t2 = store.append(c.id(), NewMessage.tool("t2").parent(call.id()));
        Message t3 = store.append(c.id(), NewMessage.tool("t3").parent(call.id()));
        assertThat(List.of(t1.active(), t2.active(), t3.active())).containsExactly(true, true, true);
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "calls three tools", "t1", "t2", "t3");
        assertThat(store.siblings(t2.id())).extracting(Message::content).containsExactly("t2");

        Message retry = store.append(c.id(), NewMessage.tool("t2 again").parent(call.id()));
        assertThat(retry.active()).isTrue();
        store.deleteMessage(t2.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "calls three tools", "t1", "t3", "t2 again");
        assertThat(store.activate(t1.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "calls three tools", "t1", "t3", "t2 again");

        // The answer after the results, in one appendAll with two more results, as a tool loop records a round.
        List<Message> round = store.appendAll(c.id(), List.of(NewMessage.tool("t4").parent(call.id()),
                NewMessage.tool("t5").parent(call.id()), NewMessage.assistant("done").parent(t3.id())));
        assertThat(round).extracting(Message::active).containsExactly(true, true, true);
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("q", "calls three tools", "t1", "t3", "t2 again", "t4", "t5", "done");

        // A regenerated call hides its results with it; switching back shows every one of them again.
        store.append(c.id(), NewMessage.assistant("calls again").parent(q.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "calls again");
        assertThat(store.activate(t3.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("q", "calls three tools", "t1", "t3", "t2 again", "t4", "t5", "done");
        assertThat(store.restoreMessage(t2.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content)
                .containsExactly("q", "calls three tools", "t1", "t2", "t3", "t2 again", "t4", "t5", "done");
    }

    @Test
    @DisplayName("SQLite: a conversation whose activity_at is stored as text ('12abc') fails a listing with UnreadableRowException naming"
            + " conversations, its id and the column")
    void listingOverATextActivityTimeNamesTheRow() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Conversation c = convo();
        try (java.sql.Connection conn = database.dataSource().getConnection(); java.sql.Statement s = conn.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_conversations SET activity_at = '12abc' WHERE id = '" + c.id() + "'")).isEqualTo(1);
        }
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(dev.atlas.UnreadableRowException.class,
                        () -> store.list(ConversationQuery.all())))
                .hasMessageContaining("activity_at")
                .satisfies(e -> assertThat(e.table()).isEqualTo("conversations"))
                .satisfies(e -> assertThat(e.rowId()).isEqualTo(c.id().toString()));
    }

    @Test
    @DisplayName("a tool result without an execution arriving after a later user message is accepted like a first answer (it answers"
            + " its own tool call, it regenerates nothing), beside the earlier result; an assistant regeneration there is still refused")
    void lateParallelToolResultIsAFirstAnswer() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Message call = store.append(c.id(), NewMessage.assistant("calls two tools").parent(q.id()));
        store.append(c.id(), NewMessage.tool("t1").parent(call.id()));
        store.append(c.id(), NewMessage.user("q2"));
        Message late = store.append(c.id(), NewMessage.tool("t2").parent(call.id()));
        assertThat(late.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "calls two tools", "t1", "q2", "t2");
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("calls again").parent(q.id())))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
    }

    @Test
    @DisplayName("canRetry says what append does: true for a tool result without an execution even after a later user message"
            + " (another result for its parent is accepted), false for the assistant call it answers (its regeneration is refused)")
    void canRetryOfAParallelToolResultMatchesAppend() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Message call = store.append(c.id(), NewMessage.assistant("calls two tools").parent(q.id()));
        Message t1 = store.append(c.id(), NewMessage.tool("t1").parent(call.id()));
        store.append(c.id(), NewMessage.user("q2"));
        assertThat(store.canRetry(t1.id())).isTrue();
        assertThat(store.canRetry(call.id())).isFalse();
        assertThat(store.append(c.id(), NewMessage.tool("t2").parent(call.id())).active()).isTrue();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("calls again").parent(q.id())))
                .isInstanceOf(ConflictException.class).extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
    }

    /**
     * A chain of {@code depth} messages in {@code c}, each answering the one before (a user message, then assistant steps),
     * all shown; their ids, top first.
     */
    private UUID[] deepChain(Conversation c, int depth) {
        Message root = store.append(c.id(), NewMessage.user("m0"));
        // An agent's chain of assistant steps, each answering the one before, stored as appends store them, in one
        // statement that makes its rows in the database: a 10,000-row JDBC batch was most of each deep-chain test's
        // time (about 40 s of PostgresConversationStoreTest on a loaded CI machine). The ids are made up, and the same
        // in Java and in SQL: step i is ...-8000-<i as 12 hex digits>, no id Atlas generates (those start with the time).
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        boolean postgres = db.dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL;
        String idOf = postgres ? "CAST('00000000-0000-7000-8000-' || lpad(to_hex(%s), 12, '0') AS uuid)"
                : "printf('00000000-0000-7000-8000-%%012x', %s)";
        UUID[] ids = new UUID[depth];
        ids[0] = root.id();
        for (int i = 1; i < depth; i++) {
            ids[i] = chainStepId(i);
        }
        int inserted = db.write(h -> {
            int n = AdHoc.on(db, h, "WITH RECURSIVE steps (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM steps WHERE i < :last)"
                    + " INSERT INTO <p>messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status, is_active,"
                    + " parent_id, metadata, created_at, updated_at, search_text) SELECT 'acme', " + String.format(idOf, "i") + ", :c,"
                    + " i + 1, 'assistant', 'text', 'm' || i, 'delivered', TRUE, CASE WHEN i = 1 THEN :root ELSE "
                    + String.format(idOf, "i - 1") + " END, '{}', :now, :now, 'm' || i FROM steps")
                    .bind("last", (long) depth - 1).bind("c", c.id()).bind("root", root.id()).bind("now", clock.instant()).update();
            AdHoc.on(db, h, "UPDATE <p>conversations SET last_sequence = :n WHERE tenant_id = 'acme' AND id = :c")
                    .bind("n", (long) depth).bind("c", c.id()).update();
            return n;
        });
        assertThat(inserted).isEqualTo(depth - 1);
        return ids;
    }

    /**
     * Statements of a regeneration that hides a whole chain below it: an answer's append (the conversation's sequence, the
     * parent, the retry rule, the sibling switch, the insert and its event), the branch pass's read and one hiding update.
     */
    private static final int REGENERATE_HIDING_A_CHAIN = 8;
    /**
     * Statements of {@code activate} at the bottom of a hidden chain: the lock, the message, its parent's flag, the path
     * (one recursive statement), the top turn's switch and its event, the branch pass's read, one showing update and one
     * insert of every activated event, and the message read back.
     */
    private static final int ACTIVATE_AT_THE_BOTTOM_OF_A_HIDDEN_CHAIN = 12;

    private static UUID chainStepId(int i) {
        return UUID.fromString(String.format("00000000-0000-7000-8000-%012x", i));
    }

    @Test
    @DisplayName("restoring the deleted last message of a 10,000-deep chain runs 6 statements and none walks the path (no recursive"
            + " query: its cost does not grow with the depth, as an append's does not since V36); it shows again as the newest message")
    void restoreAtTheBottomOfADeepChainReadsNoPath() {
        Conversation c = convo();
        int depth = 10_000;
        UUID bottom = deepChain(c, depth)[depth - 1];
        store.deleteMessage(bottom);
        assertThat(store.history(c.id(), 1)).extracting(Message::content).containsExactly("m" + (depth - 2));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        db.statementListener((name, text) -> ran.add(name + (text.contains("RECURSIVE") ? " (recursive)" : "")));
        Message restored;
        try {
            restored = store.restoreMessage(bottom);
        } finally {
            db.statementListener(null);
        }
        assertThat(restored.active()).isTrue();
        assertThat(ran).hasSize(6).noneMatch(name -> name.endsWith("(recursive)"));
        assertThat(store.history(c.id(), 2)).extracting(Message::content).containsExactly("m" + (depth - 2), "m" + (depth - 1));
    }

    @Test
    @DisplayName("activating the bottom of a hidden chain reads its path in one recursive statement that carries no message's content"
            + " or metadata (a path of 10,000 agent steps with large tool outputs was read whole, every content and metadata);"
            + " the chain comes back whole with its content")
    void activateUnderAHiddenChainReadsThePathWithoutContent() {
        Conversation c = convo();
        Message root = store.append(c.id(), NewMessage.user("q"));
        String big = "x".repeat(10_000);
        List<Message> chain = new ArrayList<>();
        Message parent = root;
        for (int i = 0; i < 5; i++) {
            parent = store.append(c.id(), NewMessage.assistant(big + i).parent(parent.id()).metadata(Map.of("step", i)));
            chain.add(parent);
        }
        store.append(c.id(), NewMessage.assistant("a1b").parent(root.id()));
        assertThat(store.requireMessage(chain.get(4).id()).active()).isFalse();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        List<String> recursive = java.util.Collections.synchronizedList(new ArrayList<>());
        db.statementListener((name, text) -> {
            if (text.contains("RECURSIVE")) {
                recursive.add(text);
            }
        });
        try {
            assertThat(store.activate(chain.get(4).id()).active()).isTrue();
        } finally {
            db.statementListener(null);
        }
        assertThat(recursive).hasSize(1);
        assertThat(recursive.get(0)).as(recursive.get(0)).doesNotContainPattern("(?i)\\bcontent\\b").doesNotContainPattern("(?i)\\bmetadata\\b");
        assertThat(store.history(c.id(), 10)).extracting(Message::content)
                .containsExactly("q", big + 0, big + 1, big + 2, big + 3, big + 4);
        assertThat(store.requireMessage(chain.get(2).id()).metadata()).isEqualTo(Map.of("step", 2));
    }

    @Test
    @DisplayName("activating the shown last message of a 10,000-deep chain, and switching between two answers at its bottom, reads"
            + " no path (no recursive statement): a shown message's flag is its path's since V36, and a hidden answer of a shown"
            + " message needs only that message's flag; history ends on the answer activated")
    void activateAtTheBottomOfADeepShownChainReadsNoPath() {
        Conversation c = convo();
        int depth = 10_000;
        UUID[] ids = deepChain(c, depth);
        Message other = store.append(c.id(), NewMessage.assistant("other").parent(ids[depth - 2]));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        List<String> ran = java.util.Collections.synchronizedList(new ArrayList<>());
        db.statementListener((name, text) -> ran.add(name + (text.contains("RECURSIVE") ? " (recursive)" : "")));
        try {
            assertThat(store.activate(other.id()).active()).isTrue();
            assertThat(ran).as(ran.toString()).noneMatch(name -> name.endsWith("(recursive)"));
            ran.clear();
            assertThat(store.activate(ids[depth - 1]).active()).isTrue();
            assertThat(ran).as(ran.toString()).noneMatch(name -> name.endsWith("(recursive)"));
            ran.clear();
            assertThat(store.activate(ids[depth - 1]).active()).isTrue();
            assertThat(ran).as(ran.toString()).hasSizeLessThanOrEqualTo(6).noneMatch(name -> name.endsWith("(recursive)"));
        } finally {
            db.statementListener(null);
        }
        assertThat(store.history(c.id(), 2)).extracting(Message::content).containsExactly("m" + (depth - 2), "m" + (depth - 1));
        assertThat(store.requireMessage(other.id()).active()).isFalse();
    }

    @Test
    @DisplayName("a 10,000-deep chain hidden by a regenerated first answer comes back whole when its last message is activated,"
            + " in a fixed number of statements (one update showing the chain, one insert of its activated events, not one per"
            + " 500 or 200 levels), as its hiding by the regeneration took; the regenerated answer is hidden")
    void activateAtTheBottomOfADeepHiddenChain() {
        Conversation c = convo();
        int depth = 10_000;
        UUID[] ids = deepChain(c, depth);
        Message root = store.requireMessage(ids[0]);
        assertThat(store.history(c.id(), 3)).extracting(Message::content)
                .containsExactly("m" + (depth - 3), "m" + (depth - 2), "m" + (depth - 1));
        StatementCounter.Counted<Message> regenerating = StatementCounter.count(atlas,
                () -> store.append(c.id(), NewMessage.assistant("m1b").parent(root.id())));
        Message regenerated = regenerating.result();
        assertThat(store.history(c.id(), 5)).extracting(Message::content).containsExactly("m0", "m1b");
        UUID bottom = ids[depth - 1];
        StatementCounter.Counted<Message> shown = StatementCounter.count(atlas, () -> store.activate(bottom));
        assertThat(shown.result().active()).isTrue();
        // Hiding 9,998 messages, and showing 9,999 again with their activated events, each in one statement: the same
        // counts at any depth (they were 20 statements per 10,000 hidden, 70 per 10,000 shown: about 11 s on PostgreSQL).
        assertThat(List.of(regenerating.statements(), shown.statements())).as("statements of the append hiding the chain, of the"
                + " activate at its bottom").containsExactly(REGENERATE_HIDING_A_CHAIN, ACTIVATE_AT_THE_BOTTOM_OF_A_HIDDEN_CHAIN);
        assertThat(store.history(c.id(), 3)).extracting(Message::content)
                .containsExactly("m" + (depth - 3), "m" + (depth - 2), "m" + (depth - 1));
        assertThat(store.requireMessage(ids[1]).active()).isTrue();
        assertThat(store.requireMessage(regenerated.id()).active()).isFalse();
        assertThat(store.messages(c.id(), 0, 1000).stream().filter(Message::active).count()).isEqualTo(1000);
    }

    @Test
    @DisplayName("the retry rule reads the history as shown: in a hidden branch a regeneration is refused (ConflictException on"
            + " parentId, canRetry false) once the shown branch has a later user message, and accepted once that branch is activated")
    void retryInAHiddenBranchFollowsTheShownHistory() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message a1b = store.append(c.id(), NewMessage.assistant("a1b").parent(q1.id()));
        store.activate(a1.id());
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.activate(a1b.id());
        store.append(c.id(), NewMessage.user("q3").parent(a1b.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1b", "q3");
        assertThat(store.canRetry(a2.id())).isFalse();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.assistant("a2b").parent(q2.id())))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("parentId"));
        assertThat(store.siblings(a2.id())).extracting(Message::content).containsExactly("a2");
        store.activate(a2.id());
        assertThat(store.canRetry(a2.id())).isTrue();
        Message a2b = store.append(c.id(), NewMessage.assistant("a2b").parent(q2.id()));
        assertThat(a2b.active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2b");
    }

    @Test
    @DisplayName("a soft-deleted answer of an execution's group keeps its place too: when its group is shown again, what answers it"
            + " comes back with it, and restoring it shows it with its group")
    void answersOfADeletedGroupMemberComeBackWithTheGroup() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q"));
        UUID e1 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        Message a1x = store.append(c.id(), NewMessage.assistant("a1x").parent(q.id()).execution(e1, null));
        Message a1y = store.append(c.id(), NewMessage.assistant("a1y").parent(q.id()).execution(e1, null));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1y.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        store.deleteMessage(q2.id());
        store.deleteMessage(a1y.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "a1x", "a2");
        UUID e2 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        store.append(c.id(), NewMessage.assistant("a1z").parent(q.id()).execution(e2, null));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "a1z");
        store.activate(a1x.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "a1x", "a2");
        assertThat(store.requireMessage(a2.id()).active()).isTrue();
        assertThat(store.restoreMessage(a1y.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q", "a1x", "a1y", "a2");
    }

    @Test
    @DisplayName("edits, answers and switches racing from two instances keep the tree: an active message's parent is active, one answer per turn")
    void racingBranchSwitchesKeepTheTree() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        Message hello = store.append(c.id(), NewMessage.assistant("hello"));
        Message q = store.append(c.id(), NewMessage.user("q").parent(hello.id()));
        store.append(c.id(), NewMessage.assistant("a").parent(q.id()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Object>> calls = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                ConversationStore s = i % 2 == 0 ? store : second;
                int n = i;
                calls.add(switch (i % 3) {
                    case 0 -> () -> {
                        Message edit = s.append(c.id(), NewMessage.user("q" + n).parent(hello.id()));
                        return answer(s, c, edit, "a" + n);
                    };
                    case 1 -> () -> {
                        List<Message> edits = s.siblings(q.id());
                        return answer(s, c, edits.get(n % edits.size()), "r" + n);
                    };
                    default -> () -> {
                        List<Message> edits = s.siblings(q.id());
                        return s.activate(edits.get(n % edits.size()).id());
                    };
                });
            }
            for (Future<Object> f : pool.invokeAll(calls)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        List<Message> all = store.messages(c.id(), 0, 1000);
        Map<UUID, Message> byId = new LinkedHashMap<>();
        all.forEach(m -> byId.put(m.id(), m));
        Map<List<Object>, Integer> activePerTurn = new LinkedHashMap<>();
        for (Message m : all) {
            if (m.active() && m.parentId() != null) {
                assertThat(byId.get(m.parentId()).active()).as("parent of active #" + m.sequence()).isTrue();
                activePerTurn.merge(List.of(m.parentId(), m.role()), 1, Integer::sum);
            }
        }
        assertThat(activePerTurn.values()).containsOnly(1);
        List<Message> history = store.history(c.id(), 1000);
        assertThat(history).extracting(Message::role).containsExactly(Role.ASSISTANT, Role.USER, Role.ASSISTANT);
        assertThat(history.get(1).parentId()).isEqualTo(hello.id());
        assertThat(history.get(2).parentId()).isEqualTo(history.get(1).id());
    }

    @Test
    @DisplayName("a re-send of a message deleted since returns it as stored, deleted, and stores nothing; appendAll alike")
    void resendOfADeletedMessageReturnsItDeleted() {
        Conversation c = convo();
        Message sent = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        store.deleteMessage(sent.id());
        Message again = store.append(c.id(), NewMessage.user("hi").clientId("k"));
        assertThat(again.id()).isEqualTo(sent.id());
        assertThat(again.deletedAt()).isNotNull();
        assertThat(store.appendAll(c.id(), List.of(NewMessage.user("hi").clientId("k")))).containsExactly(again);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(1);
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("other").clientId("k")))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("clientId");
    }

    @Test
    @DisplayName("a branch shown again shows the latest sibling group of each turn whole; activating a hidden group shows its path")
    void hiddenSiblingGroupsComeBackWhole() {
        Conversation c = convo();
        Message hello = store.append(c.id(), NewMessage.assistant("hello"));
        Message q = store.append(c.id(), NewMessage.user("plan my trip").parent(hello.id()));
        UUID run1 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        Message a1 = store.append(c.id(), NewMessage.assistant("flights").parent(q.id()).execution(run1, null));
        store.append(c.id(), NewMessage.assistant("fly").parent(q.id()).execution(run1, null));
        UUID run2 = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id())).id();
        store.append(c.id(), NewMessage.assistant("trains").parent(q.id()).execution(run2, null));
        store.append(c.id(), NewMessage.assistant("take the train").parent(q.id()).execution(run2, null));
        store.activate(a1.id());
        Message edit = store.append(c.id(), NewMessage.user("plan my holiday").parent(hello.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("hello", "plan my holiday");

        store.activate(q.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("hello", "plan my trip", "trains", "take the train");
        store.activate(edit.id());
        assertThat(store.activate(a1.id()).active()).isTrue();
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("hello", "plan my trip", "flights", "fly");
        assertThat(store.siblingGroups(a1.id()).groups()).extracting(SiblingGroup::active).containsExactly(true, false);
        assertThat(store.requireMessage(edit.id()).active()).isFalse();
    }

    @Test
    @DisplayName("retry branches as a chat UI uses them: an edit of a middle user turn is refused (ConflictException on parentId,"
            + " canRetry false, nothing written); an edit of the last turn and an edit within that branch each show their own path"
            + " in history and historyBefore, and switching back shows the old path whole; an appendAll re-sending keyed messages"
            + " of hidden branches returns them as stored, inactive, and appends the new one on the shown path")
    void branchOfABranchShowsItsOwnPath() {
        Conversation c = convo();
        Message q1 = store.append(c.id(), NewMessage.user("q1"));
        Message a1 = store.append(c.id(), NewMessage.assistant("a1").parent(q1.id()));
        Message q2 = store.append(c.id(), NewMessage.user("q2").parent(a1.id()));
        Message a2 = store.append(c.id(), NewMessage.assistant("a2").parent(q2.id()));
        Message q3 = store.append(c.id(), NewMessage.user("q3").parent(a2.id()).clientId("k-q3"));
        store.append(c.id(), NewMessage.assistant("a3").parent(q3.id()));
        long before = store.require(c.id()).lastSequence();
        // A middle turn: an active user message (q3) follows q2's parent.
        assertThat(store.canRetry(q2.id())).isFalse();
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("q2 edited").parent(a1.id())))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("parentId"));
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(before);
        // The last turn edited, answered and continued.
        assertThat(store.canRetry(q3.id())).isTrue();
        Message q3b = store.append(c.id(), NewMessage.user("q3b").parent(a2.id()));
        Message a3b = store.append(c.id(), NewMessage.assistant("a3b").parent(q3b.id()));
        Message q4b = store.append(c.id(), NewMessage.user("q4b").parent(a3b.id()).clientId("k-q4b"));
        store.append(c.id(), NewMessage.assistant("a4b").parent(q4b.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2", "q3b", "a3b", "q4b", "a4b");
        // A branch of the branch: q4b edited.
        Message q4c = store.append(c.id(), NewMessage.user("q4c").parent(a3b.id()));
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2", "q3b", "a3b", "q4c");
        assertThat(store.history(c.id(), 2)).extracting(Message::content).containsExactly("a3b", "q4c");
        assertThat(store.historyBefore(c.id(), q4c.sequence(), 3)).extracting(Message::content).containsExactly("a2", "q3b", "a3b");
        // appendAll: q4b's and q3's keys (both hidden now) come back as stored; the new answer goes on the shown path.
        List<Message> sent = store.appendAll(c.id(), List.of(NewMessage.user("q4b").parent(a3b.id()).clientId("k-q4b"),
                NewMessage.user("q3").parent(a2.id()).clientId("k-q3"), NewMessage.assistant("a4c").parent(q4c.id()).clientId("k-a4c")));
        assertThat(sent).extracting(Message::id).startsWith(q4b.id(), q3.id());
        assertThat(sent).extracting(Message::active).containsExactly(false, false, true);
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2", "q3b", "a3b", "q4c", "a4c");
        // The same key with other content: a ConflictException naming the field, nothing written.
        long last = store.require(c.id()).lastSequence();
        assertThatThrownBy(() -> store.appendAll(c.id(), List.of(NewMessage.user("new").parent(sent.get(2).id()).clientId("k-new"),
                NewMessage.user("q3 changed").parent(a2.id()).clientId("k-q3"))))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("messages[1].clientId"));
        assertThatThrownBy(() -> store.append(c.id(), NewMessage.user("q4b").parent(a2.id()).clientId("k-q4b")))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientId"));
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(last);
        // Switching back to the first path shows it whole, and back to the first branch's own continuation.
        store.activate(q3.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2", "q3", "a3");
        store.activate(q4b.id());
        assertThat(store.history(c.id())).extracting(Message::content).containsExactly("q1", "a1", "q2", "a2", "q3b", "a3b", "q4b", "a4b");
        assertThat(store.historyBefore(c.id(), q4b.sequence(), 50)).extracting(Message::content)
                .containsExactly("q1", "a1", "q2", "a2", "q3b", "a3b");
    }

    /** Answers {@code question}, or is refused naming parentId: regenerating once a later edit is shown, as canRetry says. */
    private static Object answer(ConversationStore s, Conversation c, Message question, String text) {
        try {
            return s.append(c.id(), NewMessage.assistant(text).parent(question.id()));
        } catch (ConflictException laterEditShown) {
            assertThat(laterEditShown.field()).isEqualTo("parentId");
            return laterEditShown;
        }
    }

    /** An edit of q2 in one call; then in another a first answer to the now hidden q2 and one to the edit. */
    private List<Message> appendAllBranches(Conversation c, Message q2) {
        Message edited = store.appendAll(c.id(), List.of(NewMessage.user("q2 again").parent(q2.parentId()))).get(0);
        return store.appendAll(c.id(), List.of(NewMessage.tool("t").parent(q2.id()), NewMessage.assistant("a2 again").parent(edited.id())));
    }

    @Test
    @DisplayName("appendAll names the message whose parent, execution or step is refused (messages[i].parentId ...); nothing is stored")
    void appendAllNamesTheRefusedMessage() {
        Conversation c = convo();
        Conversation d = convo();
        Message elsewhere = store.append(d.id(), NewMessage.user("elsewhere"));
        Conversation theirs = other.create(NewConversation.of(BOB));
        Message theirMessage = other.append(theirs.id(), NewMessage.user("secret"));
        ExecutionHandle mine = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        UUID stepOfSecond = atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()))
                .step().id();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Map<NewMessage, String> refused = new LinkedHashMap<>();
        refused.put(NewMessage.assistant("x").parent(theirMessage.id()), "messages[2].parentId");
        refused.put(NewMessage.assistant("x").parent(elsewhere.id()), "messages[2].parentId");
        refused.put(NewMessage.assistant("x").execution(UUID.randomUUID(), null), "messages[2].executionId");
        refused.put(NewMessage.assistant("x").execution(mine.id(), UUID.randomUUID()), "messages[2].stepId");
        refused.put(NewMessage.assistant("x").execution(mine.id(), stepOfSecond), "messages[2].stepId");
        for (Map.Entry<NewMessage, String> e : refused.entrySet()) {
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> store.appendAll(c.id(),
                    List.of(NewMessage.assistant("a").parent(q.id()), NewMessage.user("next"), e.getKey())));
            String field = x instanceof NotFoundException n ? n.field().orElse(null) : x instanceof InvalidInputException i ? i.field() : String.valueOf(x);
            assertThat(field).as(e.getKey().toString()).isEqualTo(e.getValue());
            assertThat(x).hasMessageNotContaining("secret");
        }
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(q);
        // 100 messages, the 51st answering another tenant's message: refused as one that exists nowhere but for the id, its
        // index named, and nothing of the 50 before it kept (sequence, activity, title). (1,000 and the 501st held alike: one
        // transaction, message by message; kept at 100 for the suite's time.)
        Conversation before = store.require(c.id());
        List<NewMessage> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(i % 2 == 0 ? NewMessage.user("u" + i) : NewMessage.assistant("a" + i));
        }
        many.set(50, NewMessage.assistant("x").parent(theirMessage.id()));
        clock.advanceMicros(1_000_000);
        NotFoundException foreign = org.assertj.core.api.Assertions.catchThrowableOfType(NotFoundException.class, () -> store.appendAll(c.id(), many));
        assertThat(foreign.field()).contains("messages[50].parentId");
        UUID nowhere = UUID.randomUUID();
        NotFoundException unknown = org.assertj.core.api.Assertions.catchThrowableOfType(NotFoundException.class,
                () -> store.appendAll(c.id(), List.of(NewMessage.assistant("x").parent(nowhere))));
        List<String> texts = List.of(foreign.getMessage().replace(theirMessage.id().toString(), "<id>").replace("[50]", "[i]"),
                unknown.getMessage().replace(nowhere.toString(), "<id>").replace("[0]", "[i]"));
        assertThat(texts.get(0)).isEqualTo(texts.get(1));
        assertThat(store.require(c.id())).isEqualTo(before);
        assertThat(store.messages(c.id(), 0, 10)).containsExactly(q);
    }

    @Test
    @DisplayName("regenerations and activations racing through two Atlas instances: every call succeeds and exactly one answer is"
            + " active; once the next user turn is stored, a regeneration through the other instance is refused on parentId")
    void branchingAcrossInstances() throws Exception {
        Conversation c = convo();
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();
        Message q = store.append(c.id(), NewMessage.user("q"));
        Message a0 = store.append(c.id(), NewMessage.assistant("a0").parent(q.id()));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Message>> calls = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                ConversationStore s = i % 2 == 0 ? store : second;
                int n = i;
                calls.add(switch (i % 3) {
                    case 0 -> () -> s.append(c.id(), NewMessage.assistant("a" + n).parent(q.id()));
                    case 1 -> () -> s.append(c.id(), NewMessage.assistant("b" + n).parent(q.id()).clientId("b" + n / 2));
                    default -> () -> {
                        List<Message> answers = s.siblings(a0.id());
                        return s.activate(answers.get(n % answers.size()).id());
                    };
                });
            }
            for (Future<Message> f : pool.invokeAll(calls)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.siblings(a0.id())).hasSize(33).filteredOn(Message::active).hasSize(1);
        assertThat(store.require(c.id()).lastSequence()).isEqualTo(34);
        store.append(c.id(), NewMessage.user("next").parent(store.history(c.id(), 1).get(0).id()));
        assertThatThrownBy(() -> second.append(c.id(), NewMessage.assistant("late").parent(q.id())))
                .isInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("parentId");
    }

    @Test
    @DisplayName("while a conversation is soft-deleted every write to it or its messages is NotFoundException and changes nothing;"
            + " restored, all is as before")
    void deletedConversationRefusesEveryWrite() {
        Conversation c = convo();
        Message q = store.append(c.id(), NewMessage.user("q").clientId("q"));
        Message a = store.append(c.id(), NewMessage.assistant("a").parent(q.id()).status(MessageStatus.PROCESSING));
        Conversation before = store.require(c.id());
        List<Message> messagesBefore = store.messages(c.id(), 0, 10);
        store.delete(c.id());
        Conversation deleted = store.get(c.id()).orElse(null);
        assertThat(deleted).isNull();
        List<Executable> writes = List.of(() -> store.append(c.id(), NewMessage.user("q").clientId("q")),
                () -> store.append(c.id(), NewMessage.assistant("again").parent(q.id())),
                () -> store.appendAll(c.id(), List.of(NewMessage.user("x"))), () -> store.updateTitle(c.id(), "t"),
                () -> store.updateSummary(c.id(), "s"), () -> store.updateMetadata(c.id(), Map.of("a", 1)),
                () -> store.updateMetadata(c.id(), Map.of(), Map.of("a", 1)), () -> store.archive(c.id()),
                () -> store.close(c.id()), () -> store.delete(c.id()), () -> store.markAllRead(c.id()),
                () -> store.activate(q.id()), () -> store.edit(a.id(), "x"), () -> store.markDelivered(a.id()),
                () -> store.markRead(a.id()), () -> store.deleteMessage(a.id()), () -> store.restoreMessage(a.id()),
                () -> store.updateMessageMetadata(a.id(), Map.of("a", 1)),
                () -> store.recordEvent(a.id(), MessageEventType.app("x.y"), Map.of()));
        for (Executable w : writes) {
            assertThatThrownBy(w::execute).isInstanceOf(NotFoundException.class);
        }
        Conversation restored = store.restore(c.id());
        assertThat(restored.lastSequence()).isEqualTo(before.lastSequence());
        assertThat(restored.title()).isEqualTo(before.title());
        assertThat(restored.status()).isEqualTo(ConversationStatus.OPEN);
        assertThat(store.messages(c.id(), 0, 10)).isEqualTo(messagesBefore);
        assertThat(store.events(a.id()).items()).hasSize(1);
    }

    @Test
    @DisplayName("a huge conversation pages back byte-exact: historyBefore windows and messages(after) windows cover every message"
            + " once, skipping exactly the inactive, undelivered and deleted ones in history")
    void hugeConversationWindows() {
        Conversation c = convo();
        List<NewMessage> batch = new ArrayList<>();
        int n = 2_400;
        for (int i = 1; i <= n; i++) {
            NewMessage m = i % 2 == 1 ? NewMessage.user("q" + i + " 𝄞") : NewMessage.assistant("a" + i + "\n\t");
            batch.add(i % 97 == 0 ? m.status(MessageStatus.QUEUED) : m);
            if (batch.size() == Limits.MAX_PAGE_SIZE) {
                store.appendAll(c.id(), batch);
                batch.clear();
            }
        }
        store.appendAll(c.id(), batch);
        List<Message> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<Message> page = store.messages(c.id(), after, 333);
            if (page.isEmpty()) {
                break;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).sequence();
        }
        assertThat(all).extracting(Message::sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, n).boxed().toList());
        for (int i = 0; i < n; i += 101) {
            store.deleteMessage(all.get(i).id());
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (i % 101 != 0 && (i + 1) % 97 != 0) {
                expected.add(all.get(i).content());
            }
        }
        List<String> history = new ArrayList<>();
        long before = Long.MAX_VALUE;
        while (true) {
            List<Message> window = store.historyBefore(c.id(), before, 250);
            if (window.isEmpty()) {
                break;
            }
            List<String> older = new ArrayList<>(window.stream().map(Message::content).toList());
            older.addAll(history);
            history = older;
            before = window.get(0).sequence();
        }
        assertThat(history).containsExactlyElementsOf(expected);
        assertThat(store.history(c.id(), 1000)).extracting(Message::content).containsExactlyElementsOf(expected.subList(expected.size() - 1000, expected.size()));
    }
}
