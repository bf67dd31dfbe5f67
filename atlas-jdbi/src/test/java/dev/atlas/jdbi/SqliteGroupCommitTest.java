package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.StatementRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SQLite's group commit: calls queued behind a running write share one transaction, each in its
 * own savepoint, so one failing call gets its own exception and the others commit.
 */
class SqliteGroupCommitTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;
    private Db db;
    private ExecutorService pool;

    @BeforeEach
    void open() {
        atlas = database.open();
        db = ((JdbiAtlas) atlas).db();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void close() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        atlas.close();
        database.cleanup();
    }

    /** Holds the write path until released, so the calls submitted meanwhile queue into one batch. */
    private CountDownLatch holdWrites() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        pool.submit(() -> db.write(h -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        return release;
    }

    private void awaitQueued(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.queuedWrites() < n) {
            assertThat(System.nanoTime()).as("%d writes queued", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    @Test
    @DisplayName("a batch with a closed conversation and a clientId conflict: those two fail alone, the other appends commit gapless")
    void oneFailingCallFailsAloneAndTheRestCommitInOneTransaction() throws Exception {
        ConversationStore store = atlas.tenant("acme").conversations();
        UUID open = store.create(NewConversation.of(Owner.user("u1"))).id();
        UUID other = store.create(NewConversation.of(Owner.user("u2"))).id();
        UUID closed = store.create(NewConversation.of(Owner.user("u3"))).id();
        store.close(closed);
        StatementRecorder recorder = StatementRecorder.attach(atlas);

        CountDownLatch release = holdWrites();
        Future<Message> first = pool.submit(() -> store.append(open, NewMessage.user("first").clientId("k1")));
        awaitQueued(1);
        Future<Message> toClosed = pool.submit(() -> store.append(closed, NewMessage.user("refused")));
        awaitQueued(2);
        Future<Message> conflict = pool.submit(() -> store.append(open, NewMessage.user("other text").clientId("k1")));
        awaitQueued(3);
        Future<Message> second = pool.submit(() -> store.append(open, NewMessage.user("second")));
        awaitQueued(4);
        Future<Message> elsewhere = pool.submit(() -> store.append(other, NewMessage.user("elsewhere")));
        awaitQueued(5);
        release.countDown();

        assertThat(first.get(30, TimeUnit.SECONDS).sequence()).isEqualTo(1);
        assertThatThrownBy(() -> toClosed.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("conversationId"));
        assertThatThrownBy(() -> conflict.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("clientId"));
        assertThat(second.get(30, TimeUnit.SECONDS).sequence()).isEqualTo(2);
        assertThat(elsewhere.get(30, TimeUnit.SECONDS).sequence()).isEqualTo(1);

        assertThat(store.messages(open, 0, 10)).extracting(Message::content).containsExactly("first", "second");
        assertThat(store.require(open).lastSequence()).isEqualTo(2);
        assertThat(store.messages(closed, 0, 10)).isEmpty();
        assertThat(store.require(closed).lastSequence()).isZero();
        assertThat(store.messages(other, 0, 10)).extracting(Message::content).containsExactly("elsewhere");
        // The held write's transaction, then one transaction for the five queued calls.
        assertThat(recorder.recorded()).filteredOn(r -> r.sql().equals("BEGIN IMMEDIATE")).hasSize(2);
        assertThat(recorder.recorded()).filteredOn(r -> r.sql().equals("COMMIT")).hasSize(2);
    }

    @Test
    @DisplayName("a write started inside another write's callback runs inline in a savepoint instead of waiting for itself")
    void nestedWriteRunsInline() {
        ConversationStore store = atlas.tenant("acme").conversations();
        UUID c = store.create(NewConversation.of(Owner.user("u1"))).id();
        Message inner = db.write(h -> store.append(c, NewMessage.user("inner")));
        assertThat(inner.sequence()).isEqualTo(1);
        assertThatThrownBy(() -> db.write(h -> {
            store.append(c, NewMessage.user("rolled back with the outer call"));
            throw new IllegalStateException("outer fails");
        })).isInstanceOf(IllegalStateException.class).hasMessage("outer fails");
        assertThat(store.messages(c, 0, 10)).extracting(Message::content).containsExactly("inner");
        assertThat(store.require(c).lastSequence()).isEqualTo(1);
    }

    @Test
    @DisplayName("16 writers on 4 conversations: every acknowledged append is there, each conversation numbered 1..n without gaps")
    void concurrentWritersLoseNothingAndLeaveNoGaps() throws Exception {
        ConversationStore store = atlas.tenant("acme").conversations();
        List<UUID> conversations = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            conversations.add(store.create(NewConversation.of(Owner.user("u" + i))).id());
        }
        AtomicInteger acknowledged = new AtomicInteger();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 16; w++) {
            UUID target = conversations.get(w % 4);
            int writer = w;
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 50; i++) {
                    store.append(target, NewMessage.user("w" + writer + " m" + i).clientId("w" + writer + "-" + i));
                    acknowledged.incrementAndGet();
                }
            }, pool));
        }
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        assertThat(acknowledged.get()).isEqualTo(800);
        for (UUID c : conversations) {
            List<Message> all = store.messages(c, 0, 1000);
            assertThat(all).extracting(Message::sequence).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, 200).boxed().toList());
            assertThat(store.require(c).lastSequence()).isEqualTo(200);
        }
    }
}
