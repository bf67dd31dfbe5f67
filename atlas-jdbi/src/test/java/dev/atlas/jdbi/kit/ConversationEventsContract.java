package dev.atlas.jdbi.kit;

import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventQuery;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.portability.ExportScope;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A conversation's event trail ({@link ConversationStore#events(ConversationEventQuery)}, seed
 * 004's {@code message_events} by conversation): every message's events, soft-deleted messages'
 * included, oldest or newest first by time then id, filtered by type and [from, to), keyset-paged
 * with a cursor bound to the tenant and the query.
 */
public abstract class ConversationEventsContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Comparator<MessageEvent> OLDEST_FIRST = Comparator.comparing(MessageEvent::createdAt)
            .thenComparing(e -> e.id().toString());

    protected ConversationStore store;
    protected ConversationStore other;

    protected ConversationEventsContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").conversations();
        other = atlas.tenant("globex").conversations();
    }

    /** The trail of one conversation, a message's events and another conversation's beside it. */
    private record Trail(Conversation c, Message q, Message a, List<MessageEvent> events, Instant t0, Instant t1, Instant t2,
                         Instant t3) {}

    /**
     * At t0 a question and an answer (two created events at one time) and another conversation's
     * message; at t1 the question edited; at t2 the answer deleted and a thumbs-down on the question
     * (two events of two messages at one time); at t3 the answer restored.
     */
    private Trail trail() {
        Conversation c = store.create(NewConversation.of(ALICE, "support"));
        Conversation d = store.create(NewConversation.of(ALICE, "support"));
        Instant t0 = clock.instant();
        List<Message> qa = store.appendAll(c.id(), List.of(NewMessage.user("question"), NewMessage.assistant("answer")));
        Message q = qa.get(0);
        Message a = qa.get(1);
        Message elsewhere = store.append(d.id(), NewMessage.user("elsewhere"));
        store.edit(elsewhere.id(), "elsewhere, edited");
        clock.advanceMicros(10);
        Instant t1 = clock.instant();
        store.edit(q.id(), "question, edited");
        clock.advanceMicros(10);
        Instant t2 = clock.instant();
        store.deleteMessage(a.id());
        store.recordEvent(q.id(), MessageEventType.app("feedback.thumbs_down"), Map.of("reason", "wrong"));
        clock.advanceMicros(10);
        Instant t3 = clock.instant();
        store.restoreMessage(a.id());
        List<MessageEvent> events = new ArrayList<>(store.events(q.id()).items());
        events.addAll(store.events(a.id()).items());
        events.sort(OLDEST_FIRST);
        return new Trail(c, q, a, events, t0, t1, t2, t3);
    }

    /** Every page of {@code q} (its limit per page), each event once, in order; the pages' sizes in {@code sizes}. */
    private List<MessageEvent> all(ConversationStore s, ConversationEventQuery q, List<Integer> sizes) {
        List<MessageEvent> out = new ArrayList<>();
        Page<MessageEvent> page = s.events(q);
        while (true) {
            sizes.add(page.items().size());
            out.addAll(page.items());
            if (!page.hasMore()) {
                return out;
            }
            page = s.events(q.after(page.nextCursor().orElseThrow()));
        }
    }

    /** The one event of {@code type} in {@code events}. */
    private static MessageEvent of(List<MessageEvent> events, String type) {
        List<MessageEvent> found = events.stream().filter(x -> x.type().toString().equals(type)).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    private List<UUID> ids(List<MessageEvent> events) {
        return events.stream().map(MessageEvent::id).toList();
    }

    private List<UUID> ids(ConversationEventQuery q) {
        return ids(all(store, q, new ArrayList<>()));
    }

    @Test
    @DisplayName("a conversation's trail lists every message's events, a deleted message's too, oldest or newest first by"
            + " time then id, paging through ties of time (page boundaries inside each) without a repeat or a gap")
    void trailInOrderThroughTies() {
        Trail t = trail();
        List<MessageEvent> e = t.events();
        // created q, created a (t0), edited q (t1), deleted a and the thumbs-down (t2), restored a (t3)
        assertThat(e).extracting(x -> x.type().toString()).containsExactlyInAnyOrder("created", "created", "edited", "deleted",
                "app.feedback.thumbs_down", "restored");
        assertThat(e).extracting(MessageEvent::createdAt).containsExactly(t.t0(), t.t0(), t.t1(), t.t2(), t.t2(), t.t3());
        List<UUID> oldest = ids(e);
        List<UUID> newest = new ArrayList<>(oldest);
        java.util.Collections.reverse(newest);

        Page<MessageEvent> first = store.events(ConversationEventQuery.forConversation(t.c().id()));
        assertThat(first.items()).isEqualTo(e);
        assertThat(first.hasMore()).isFalse();
        for (int limit : new int[] {1, 2, 4, 6}) {
            List<Integer> sizes = new ArrayList<>();
            assertThat(ids(all(store, ConversationEventQuery.forConversation(t.c().id()).limit(limit), sizes))).as("limit " + limit)
                    .isEqualTo(oldest);
            assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(6);
            assertThat(ids(all(store, ConversationEventQuery.forConversation(t.c().id()).newestFirst().limit(limit), new ArrayList<>())))
                    .as("newest first, limit " + limit).isEqualTo(newest);
        }
        // A page boundary inside each tie: the cursor holds the time and the id.
        Page<MessageEvent> one = store.events(ConversationEventQuery.forConversation(t.c().id()).limit(1));
        assertThat(store.events(ConversationEventQuery.forConversation(t.c().id()).limit(1).after(one.nextCursor().orElseThrow()))
                .items()).extracting(MessageEvent::id).containsExactly(oldest.get(1));
        // The limit may change between pages; oldestFirst() is the default order.
        Page<MessageEvent> four = store.events(ConversationEventQuery.forConversation(t.c().id()).oldestFirst().limit(4));
        assertThat(store.events(ConversationEventQuery.forConversation(t.c().id()).limit(1000).after(four.nextCursor().orElseThrow()))
                .items()).extracting(MessageEvent::id).containsExactlyElementsOf(oldest.subList(4, 6));

        // The deleted answer's trail is listed while it is deleted; a deleted conversation is not found, restored it lists again.
        store.deleteMessage(t.a().id());
        List<MessageEvent> withDelete = store.events(ConversationEventQuery.forConversation(t.c().id())).items();
        assertThat(withDelete).hasSize(7);
        assertThat(withDelete.get(6).messageId()).isEqualTo(t.a().id());
        assertThat(withDelete.get(6).type()).isEqualTo(MessageEventType.DELETED);
        store.archive(t.c().id());
        assertThat(store.events(ConversationEventQuery.forConversation(t.c().id())).items()).isEqualTo(withDelete);
        store.delete(t.c().id());
        NotFoundException gone = catchThrowableOfType(NotFoundException.class,
                () -> store.events(ConversationEventQuery.forConversation(t.c().id())));
        assertThat(gone.getMessage()).isEqualTo("conversation " + t.c().id() + " not found");
        store.restore(t.c().id());
        assertThat(store.events(ConversationEventQuery.forConversation(t.c().id())).items()).isEqualTo(withDelete);
    }

    @Test
    @DisplayName("types (Atlas's and an application's) and [from, to) filter the trail in both orders, bounds finer than a"
            + " microsecond rounded up, whatever the JVM's time zone; each filter's cursor pages on under it and is refused"
            + " naming cursor under any other; another tenant's conversation id is not found worded as an id that exists"
            + " nowhere, and the same conversation imported into another tenant lists each tenant's events only")
    void filtersCursorsAndTenants() {
        Trail t = trail();
        UUID c = t.c().id();
        List<MessageEvent> e = t.events();
        ConversationEventQuery all = ConversationEventQuery.forConversation(c);
        TimeZone zone = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Chatham"));
        try {
            assertThat(ids(all.types(MessageEventType.EDITED, MessageEventType.app("feedback.thumbs_down"))))
                    .containsExactly(e.get(2).id(), of(e, "app.feedback.thumbs_down").id());
            assertThat(ids(all.types(MessageEventType.CREATED).limit(1))).containsExactly(e.get(0).id(), e.get(1).id());
            assertThat(ids(all.types(MessageEventType.CREATED, MessageEventType.CREATED).newestFirst().limit(1)))
                    .containsExactly(e.get(1).id(), e.get(0).id());
            assertThat(ids(all.types(List.of(MessageEventType.app("feedback"), MessageEventType.STATUS_CHANGED)))).isEmpty();
            assertThat(ids(all.types(List.of()))).isEqualTo(ids(e));
            assertThat(ids(all.from(t.t2()))).containsExactly(e.get(3).id(), e.get(4).id(), e.get(5).id());
            assertThat(ids(all.to(t.t2()))).containsExactly(e.get(0).id(), e.get(1).id(), e.get(2).id());
            assertThat(ids(all.from(t.t1()).to(t.t3()).newestFirst().limit(1))).containsExactly(e.get(4).id(), e.get(3).id(),
                    e.get(2).id());
            // [t0 + 1 ns, t2 + 1 ns): the databases keep microseconds, so t0's events are out and t2's in.
            assertThat(ids(all.from(t.t0().plusNanos(1)).to(t.t2().plusNanos(1)).limit(2))).containsExactly(e.get(2).id(),
                    e.get(3).id(), e.get(4).id());
            assertThat(ids(all.from(dev.atlas.Limits.MIN_INSTANT).to(dev.atlas.Limits.MAX_INSTANT))).isEqualTo(ids(e));
            assertThat(ids(all.types(MessageEventType.DELETED, MessageEventType.RESTORED, MessageEventType.CREATED).from(t.t2())
                    .newestFirst())).containsExactly(e.get(5).id(), of(e, "deleted").id());
        } finally {
            TimeZone.setDefault(zone);
        }

        // Each query's cursor: refused by every other query, accepted by its own (whatever the limit).
        List<ConversationEventQuery> queries = List.of(all, all.newestFirst(), all.types(MessageEventType.CREATED),
                all.types(MessageEventType.CREATED, MessageEventType.EDITED), all.from(t.t0()), all.to(t.t3()),
                all.from(t.t0()).to(t.t3()), all.from(t.t0().plusNanos(1000)), all.to(t.t3().plusNanos(1000)));
        for (ConversationEventQuery q : queries) {
            String cursor = store.events(q.limit(1)).nextCursor().orElseThrow();
            for (ConversationEventQuery under : queries) {
                if (under.equals(q)) {
                    assertThat(store.events(under.limit(1000).after(cursor)).items()).as(q + " under itself").isNotEmpty();
                } else {
                    assertField(() -> store.events(under.after(cursor)), "cursor");
                }
            }
        }
        // Types given in another order, or twice, are the same query and take its cursors.
        String createdOrEdited = store.events(all.types(MessageEventType.EDITED, MessageEventType.CREATED).limit(1)).nextCursor()
                .orElseThrow();
        assertThat(store.events(all.types(MessageEventType.CREATED, MessageEventType.EDITED, MessageEventType.EDITED)
                .after(createdOrEdited)).items()).extracting(MessageEvent::id).containsExactly(e.get(1).id(), e.get(2).id());
        // Another conversation's, a message trail's and the conversation list's cursors; an edited one.
        Conversation d = store.create(NewConversation.of(ALICE, "support"));
        store.append(d.id(), NewMessage.user("one"));
        store.append(d.id(), NewMessage.user("two"));
        String ofD = store.events(ConversationEventQuery.forConversation(d.id()).limit(1)).nextCursor().orElseThrow();
        String ofMessage = store.events(MessageEventQuery.forMessage(t.q().id()).limit(1)).nextCursor().orElseThrow();
        String ofList = store.list(ConversationQuery.all().limit(1)).nextCursor().orElseThrow();
        String ofAll = store.events(all.limit(1)).nextCursor().orElseThrow();
        assertField(() -> store.events(all.after(ofD)), "cursor");
        assertField(() -> store.events(all.after(ofMessage)), "cursor");
        assertField(() -> store.events(all.after(ofList)), "cursor");
        assertField(() -> store.events(MessageEventQuery.forMessage(t.q().id()).after(ofAll)), "cursor");
        assertField(() -> store.list(ConversationQuery.all().after(ofAll)), "cursor");
        assertField(() -> store.events(all.after(ofAll.substring(0, ofAll.length() - 2))), "cursor");
        assertField(() -> store.events(all.after("not-a-cursor")), "cursor");

        // Another tenant's conversation id is not found, worded as an id that exists nowhere, before or after a cursor.
        Conversation theirs = other.create(NewConversation.of(ALICE, "support"));
        other.append(theirs.id(), NewMessage.user("theirs"));
        UUID nowhere = UUID.randomUUID();
        String cursor = store.events(ConversationEventQuery.forConversation(c).limit(1)).nextCursor().orElseThrow();
        NotFoundException foreign = catchThrowableOfType(NotFoundException.class,
                () -> store.events(ConversationEventQuery.forConversation(theirs.id()).types(MessageEventType.CREATED)));
        NotFoundException unknown = catchThrowableOfType(NotFoundException.class,
                () -> store.events(ConversationEventQuery.forConversation(nowhere).types(MessageEventType.CREATED)));
        assertThat(foreign.getMessage()).isEqualTo("conversation " + theirs.id() + " not found");
        assertThat(unknown.getMessage()).isEqualTo("conversation " + nowhere + " not found");
        assertThat(foreign.getMessage().replace(theirs.id().toString(), "ID")).isEqualTo(unknown.getMessage().replace(nowhere.toString(), "ID"));
        assertThat(foreign.field()).isEqualTo(unknown.field());
        assertThat(foreign.entity()).isEqualTo(unknown.entity());
        // Another conversation's cursor is refused whether or not the id exists here: nothing tells them apart.
        assertField(() -> store.events(ConversationEventQuery.forConversation(theirs.id()).after(cursor)), "cursor");
        assertField(() -> store.events(ConversationEventQuery.forConversation(nowhere).after(cursor)), "cursor");
        assertField(() -> other.events(ConversationEventQuery.forConversation(c).after(cursor)), "cursor");

        // The conversation imported into globex under the same ids: each tenant lists its own rows only.
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        atlas.tenant("acme").portability().exportTo(file, ExportScope.conversation(c));
        Tenant globex = atlas.tenant("globex");
        globex.portability().importFrom(new ByteArrayInputStream(file.toByteArray()));
        clock.advanceMicros(10);
        MessageEvent theirsOnly = other.recordEvent(t.q().id(), MessageEventType.app("feedback.thumbs_up"), Map.of());
        assertThat(ids(ConversationEventQuery.forConversation(c))).isEqualTo(ids(t.events()));
        List<UUID> expected = new ArrayList<>(ids(t.events()));
        expected.add(theirsOnly.id());
        assertThat(ids(all(other, ConversationEventQuery.forConversation(c).limit(2), new ArrayList<>()))).isEqualTo(expected);
        assertField(() -> other.events(ConversationEventQuery.forConversation(c).limit(1).after(cursor)), "cursor");
        assertThat(store.events(ConversationEventQuery.forConversation(c).limit(1).after(cursor)).items()).extracting(MessageEvent::id)
                .containsExactly(t.events().get(1).id());
    }

    @Test
    @DisplayName("paging while another instance writes: newest first lists exactly the events committed before the first page,"
            + " oldest first those and then the later ones at the end, each once; an event a lagging clock stamps before the"
            + " cursor is listed only from the first page again")
    void pagingWhileAnotherInstanceWrites() {
        Trail t = trail();
        UUID c = t.c().id();
        List<UUID> before = ids(t.events());
        ConversationStore second = reopen(b -> b.clock(clock)).tenant("acme").conversations();

        ConversationEventQuery newest = ConversationEventQuery.forConversation(c).newestFirst().limit(2);
        Page<MessageEvent> page = store.events(newest);
        List<UUID> seen = new ArrayList<>(ids(page.items()));
        clock.advanceMicros(10);
        MessageEvent late = second.recordEvent(t.a().id(), MessageEventType.app("late"), Map.of());
        clock.advanceMicros(10);
        Message added = second.append(c, NewMessage.user("meanwhile"));
        while (page.hasMore()) {
            page = store.events(newest.after(page.nextCursor().orElseThrow()));
            seen.addAll(ids(page.items()));
        }
        List<UUID> reversed = new ArrayList<>(before);
        java.util.Collections.reverse(reversed);
        assertThat(seen).isEqualTo(reversed);

        ConversationEventQuery oldest = ConversationEventQuery.forConversation(c).limit(3);
        page = store.events(oldest);
        seen = new ArrayList<>(ids(page.items()));
        clock.advanceMicros(10);
        MessageEvent later = second.recordEvent(t.q().id(), MessageEventType.app("later"), Map.of());
        // An instance an hour behind stamps its append's created event an hour early: before the cursor.
        Instant behindNow = clock.instant().minusSeconds(3600);
        ConversationStore behind = reopen(b -> b.clock(new MutableClock(behindNow))).tenant("acme").conversations();
        Message lagging = behind.append(c, NewMessage.user("from behind"));
        while (page.hasMore()) {
            page = store.events(oldest.after(page.nextCursor().orElseThrow()));
            seen.addAll(ids(page.items()));
        }
        UUID created = store.events(added.id()).items().get(0).id();
        MessageEvent laggingCreated = store.events(lagging.id()).items().get(0);
        assertThat(laggingCreated.createdAt()).isEqualTo(behindNow);
        List<UUID> expected = new ArrayList<>(before);
        expected.addAll(List.of(late.id(), created, later.id()));
        assertThat(seen).isEqualTo(expected);
        List<UUID> fromTheStart = new ArrayList<>(List.of(laggingCreated.id()));
        fromTheStart.addAll(expected);
        assertThat(ids(oldest)).isEqualTo(fromTheStart);
    }

    private static void assertField(Executable call, String field) {
        Throwable thrown = null;
        try {
            call.execute();
        } catch (Throwable x) {
            thrown = x;
        }
        assertThat(thrown).as("expected InvalidInputException for " + field).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) thrown).field()).isEqualTo(field);
    }
}
