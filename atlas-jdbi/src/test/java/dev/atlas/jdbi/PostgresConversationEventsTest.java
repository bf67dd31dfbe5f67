package dev.atlas.jdbi;

import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.ConversationEventsContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresConversationEventsTest extends ConversationEventsContract {
    PostgresConversationEventsTest() {
        super(new PostgresTestDatabase());
    }

    /**
     * PostgreSQL only: SQLite stamps a write under its database lock. On PostgreSQL an append
     * stamps its created event with {@code :now} taken before the statement that locks the
     * conversation, so it can wait behind a writer that locks first and stamps later (recordEvent,
     * edit, delete). The gate below holds the append between its stamp and its statement, the
     * window that wait opens, so the order is exact. All instances read one clock: none runs behind.
     */
    @Test
    @DisplayName("review27: an append stamped before another writer's events but committed after a first page was read sorts by"
            + " its stamp, as the Javadoc and docs/reliability.md say: oldest first not listed by the later pages, newest first"
            + " listed by a later page in its place (the append keeps its one statement: stamping after the lock would cost a round trip)")
    void appendStampedBeforeItCommitsSortsByItsStamp() throws Exception {
        ConversationStore s = atlas.tenant("acme").conversations();
        Conversation c = s.create(NewConversation.of(Owner.user("alice"), "support"));
        Message first = s.append(c.id(), NewMessage.user("first"));
        CountDownLatch stamped = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Clock gated = new Clock() {
            @Override
            public Instant instant() {
                Instant t = clock.instant();
                // Holds only Db.now() (the stamp), after reading the shared clock: the stamp is on time.
                boolean stamp = StackWalker.getInstance().walk(f -> f.anyMatch(
                        x -> x.getClassName().equals("dev.atlas.jdbi.internal.Db") && x.getMethodName().equals("now")));
                if (stamp && stamped.getCount() > 0) {
                    stamped.countDown();
                    try {
                        release.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return t;
            }

            @Override
            public ZoneId getZone() {
                return clock.getZone();
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }
        };
        ConversationStore writer = reopen(b -> b.clock(gated)).tenant("acme").conversations();
        clock.advanceMicros(10);
        CompletableFuture<Message> appended = CompletableFuture.supplyAsync(() -> writer.append(c.id(), NewMessage.user("stamped first")));
        try {
            assertThat(stamped.await(10, TimeUnit.SECONDS)).as("the append took its time").isTrue();
            clock.advanceMicros(10);
            MessageEvent second = s.recordEvent(first.id(), MessageEventType.app("second"), Map.of());
            clock.advanceMicros(10);
            MessageEvent third = s.recordEvent(first.id(), MessageEventType.app("third"), Map.of());
            ConversationEventQuery q = ConversationEventQuery.forConversation(c.id()).limit(2);
            Page<MessageEvent> page = s.events(q);
            List<MessageEvent> seen = new ArrayList<>(page.items());
            ConversationEventQuery newest = ConversationEventQuery.forConversation(c.id()).newestFirst().limit(1);
            Page<MessageEvent> newestPage = s.events(newest);
            List<MessageEvent> newestSeen = new ArrayList<>(newestPage.items());
            release.countDown();
            Message late = appended.get(10, TimeUnit.SECONDS);
            while (page.hasMore()) {
                page = s.events(q.after(page.nextCursor().orElseThrow()));
                seen.addAll(page.items());
            }
            while (newestPage.hasMore()) {
                newestPage = s.events(newest.after(newestPage.nextCursor().orElseThrow()));
                newestSeen.addAll(newestPage.items());
            }
            MessageEvent lateCreated = s.events(late.id()).items().get(0);
            MessageEvent firstCreated = s.events(first.id()).items().get(0);
            assertThat(lateCreated.createdAt()).isEqualTo(late.createdAt()).isBefore(second.createdAt()).isAfter(firstCreated.createdAt());
            // ConversationStore#events(ConversationEventQuery): "earlier when ... the append waited for the conversation's lock".
            assertThat(seen.stream().map(e -> e.type() + "@" + e.createdAt()).toList())
                    .as("oldest first: stamped before the cursor, so not listed after the first page")
                    .containsExactly(firstCreated.type() + "@" + firstCreated.createdAt(), second.type() + "@" + second.createdAt(),
                            third.type() + "@" + third.createdAt());
            assertThat(newestSeen.stream().map(e -> e.type() + "@" + e.createdAt()).toList())
                    .as("newest first: a later page lists it in its place")
                    .containsExactly(third.type() + "@" + third.createdAt(), second.type() + "@" + second.createdAt(),
                            lateCreated.type() + "@" + lateCreated.createdAt(), firstCreated.type() + "@" + firstCreated.createdAt());
        } finally {
            release.countDown();
        }
    }
}
