package dev.atlas.jdbi;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Conversations and messages: bad input is refused naming the field, with no SQL run (moved from ConversationStoreContract). */
class ConversationInputValidationTest extends RefusedBeforeSql {
    private static final Owner ALICE = Owner.user("alice");

    private ConversationStore store;

    @BeforeEach
    void store() {
        store = freshTenant().conversations();
    }

    private Conversation convo() {
        return store.create(NewConversation.of(ALICE, "support"));
    }

    @Test
    @DisplayName("the check can fail: a refusal after a lookup (editing stored JSON needs its content type) is caught running SQL")
    void refusalAfterALookupIsCaught() {
        Message m = store.append(convo().id(), NewMessage.json(Role.TOOL, "{\"ok\":true}"));
        assertThat(run(() -> store.getMessage(m.id())).statements()).isPositive();
        // Valid per type and field, yet refused by the check: the edit reads the message first (so it stays per dialect).
        assertThatThrownBy(() -> refused("content", () -> store.edit(m.id(), "{oops"))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("SQL statements run before refusing");
    }

    @Test
    @DisplayName("a bad conversation event query (id, types, bounds, order, limit, cursor) is refused naming the field, before"
            + " any SQL: a cursor of another query too, so it tells nothing of the conversation")
    void conversationEventQueryBadInput() {
        Conversation c = convo();
        Conversation d = convo();
        store.append(d.id(), NewMessage.user("one"));
        store.append(d.id(), NewMessage.user("two"));
        ConversationEventQuery q = ConversationEventQuery.forConversation(c.id());
        java.time.Instant t = java.time.Instant.parse("2026-03-01T00:00:00Z");
        refused("conversationId", () -> ConversationEventQuery.forConversation(null));
        refused("types", () -> q.types((MessageEventType) null));
        refused("types", () -> q.types(MessageEventType.EDITED, (MessageEventType) null));
        refused("types", () -> q.types(MessageEventType.EDITED, (MessageEventType[]) null));
        refused("types", () -> q.types((java.util.Collection<MessageEventType>) null));
        refused("types", () -> q.types(Arrays.asList(MessageEventType.EDITED, null)));
        List<MessageEventType> many = new ArrayList<>();
        for (int i = 0; i < ConversationEventQuery.MAX_TYPES; i++) {
            many.add(MessageEventType.app("t" + i));
        }
        many.add(MessageEventType.app("t0"));
        assertThat(q.types(many).types()).hasSize(ConversationEventQuery.MAX_TYPES);
        many.add(MessageEventType.CREATED);
        assertThat(refused("types", () -> q.types(many))).hasMessage("types: must name at most 100 distinct types, was 101");
        refused("from", () -> q.from(Limits.MIN_INSTANT.minusNanos(1)));
        refused("to", () -> q.to(Limits.MAX_INSTANT.plusNanos(1)));
        assertThat(refused("to", () -> q.from(t).to(t))).hasMessage("to: must be after from (2026-03-01T00:00:00Z), was 2026-03-01T00:00:00Z");
        assertThat(refused("from", () -> q.to(t).from(t.plusNanos(1))))
                .hasMessage("from: must be before to (2026-03-01T00:00:00Z), was 2026-03-01T00:00:00.000000001Z");
        refused("order", () -> q.order(null));
        refused("limit", () -> q.limit(0));
        refused("limit", () -> q.limit(Limits.MAX_PAGE_SIZE + 1));
        refused("cursor", () -> q.after("x".repeat(201)));
        refused("cursor", () -> q.after("ab\u0000"));
        refused("cursor", () -> q.after("\ud800"));
        refused("query", () -> store.events((ConversationEventQuery) null));
        refused("cursor", () -> store.events(q.after("")));
        refused("cursor", () -> store.events(q.after("not-a-cursor")));
        String ofD = store.events(ConversationEventQuery.forConversation(d.id()).limit(1)).nextCursor().orElseThrow();
        refused("cursor", () -> store.events(q.after(ofD)));
        refused("cursor", () -> store.events(ConversationEventQuery.forConversation(java.util.UUID.randomUUID()).after(ofD)));
        refused("cursor", () -> store.events(ConversationEventQuery.forConversation(d.id()).newestFirst().after(ofD)));
        // Valid: a null cursor is the first page, null bounds none, an empty collection every type.
        assertThat(q.after(null).from(null).to(null).types(List.of())).isEqualTo(q);
        assertThat(q.types(MessageEventType.EDITED, MessageEventType.CREATED)).isEqualTo(q.types(List.of(MessageEventType.CREATED,
                MessageEventType.EDITED, MessageEventType.CREATED)));
        assertThat(q.types(MessageEventType.EDITED, MessageEventType.CREATED).toString()).isEqualTo("ConversationEventQuery[conversationId="
                + c.id() + ", types=[created, edited], from=null, to=null, order=OLDEST_FIRST, limit=50, cursor=null]");
    }

    @Test
    @DisplayName("review27: ConversationEventQuery.after accepts an empty cursor as every query's after does (its Javadoc says so"
            + " now), and the store refuses it on cursor before any SQL, as any cursor no page handed out")
    void conversationEventQueryAfterRefusesAnEmptyCursor() {
        ConversationEventQuery q = ConversationEventQuery.forConversation(convo().id());
        assertThat(q.after("").cursor()).isEqualTo("");
        assertThat(refused("cursor", () -> store.events(q.after(""))))
                .hasMessage("cursor: is not a cursor returned by a previous page of this listing");
    }

    @Test
    @DisplayName("bad tool-thread arguments are refused naming the field")
    void toolThreadsBadInput() {
        Conversation parent = convo();
        refused("conversationId", () -> store.toolThreads(null, 10, null));
        refused("limit", () -> store.toolThreads(parent.id(), 0, null));
        refused("limit", () -> store.toolThreads(parent.id(), 1001, null));
        refused("cursor", () -> store.toolThreads(parent.id(), 10, "not-a-cursor"));
        refused("cursor", () -> store.toolThreads(parent.id(), 10, "x".repeat(201)));
        refused("toolCallId", () -> store.toolThread(null));
    }

    @Test
    @DisplayName("a cursor that was not returned by a page is rejected")
    void badCursor() {
        assertThat(refused("cursor", () -> store.list(ConversationQuery.all().after("not-a-cursor")))).hasMessageContaining("cursor");
    }

    @Test
    @DisplayName("appendAll validates every message before writing: bad JSON at index 1 is refused naming messages[1].content, nothing stored")
    void appendAllValidatesBeforeAnyWrite() {
        Conversation c = convo();
        refused("messages[1].content", () -> store.appendAll(c.id(), List.of(NewMessage.user("fine"), NewMessage.json(Role.TOOL, "{"))));
        assertThat(store.require(c.id()).lastSequence()).isZero();
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("appendAll refuses bad requests naming the field, before any write: null list, null element, duplicate client id,"
            + " more than MAX_PAGE_SIZE; an empty list stores nothing")
    void appendAllBadRequests() {
        Conversation c = convo();
        List<NewMessage> withNull = new ArrayList<>();
        withNull.add(NewMessage.user("a"));
        withNull.add(null);
        List<NewMessage> tooMany = new ArrayList<>();
        for (int i = 0; i <= Limits.MAX_PAGE_SIZE; i++) {
            tooMany.add(NewMessage.user("m" + i));
        }
        for (List<NewMessage> bad : Arrays.asList(null, withNull,
                List.of(NewMessage.user("a").clientId("same"), NewMessage.user("a").clientId("same")), tooMany)) {
            refused("messages", () -> store.appendAll(c.id(), bad));
        }
        refused("conversationId", () -> store.appendAll(null, List.of(NewMessage.user("a"))));
        assertThat(store.appendAll(c.id(), List.of())).isEmpty();
        assertThat(store.require(c.id()).lastSequence()).isZero();
        assertThat(store.require(c.id()).updatedAt()).isEqualTo(c.updatedAt());
    }

    @Test
    @DisplayName("invalid JSON content is rejected naming content before any write")
    void invalidJsonContent() {
        // Moved from ConversationStoreContract#jsonContent, whose byte-exact read-back stays per dialect.
        Conversation c = convo();
        for (String bad : List.of("{", "{\"a\":1} trailing", "", "nope", "[1,]")) {
            refused("content", () -> store.append(c.id(), NewMessage.json(Role.USER, bad)));
        }
        String deep = "[".repeat(200) + "]".repeat(200);
        refused("content", () -> store.append(c.id(), NewMessage.json(Role.USER, deep)));
        assertThat(store.get(c.id()).orElseThrow().lastSequence()).isZero();
    }

    @Test
    @DisplayName("invalid tenant ids are rejected")
    void badTenant() {
        assertThat(refused("tenantId", () -> atlas.tenant(" "))).hasMessageContaining("tenantId");
        refused("tenantId", () -> atlas.tenant(null));
        refused("tenantId", () -> atlas.tenant("a\u0000b"));
        refused("tenantId", () -> atlas.tenant("x".repeat(129)));
        assertThat(atlas.defaultTenant().id()).isEqualTo("default");
    }

    @Test
    @DisplayName("a tenant id with white space at either end or a control character is refused naming tenantId, so"
            + " \"acme \" never becomes a second tenant beside \"acme\"; white space inside and 128 characters are kept")
    void tenantIdWithEdgeSpaceOrControlCharacter() {
        for (String bad : List.of(" acme", "acme ", "acme\t", "\nacme", "\u00A0acme", "acme\u3000", "ac\u0001me", "ac\u007Fme",
                "ac\u0085me", "ac\nme", "", "a\u0000b", "x".repeat(129))) {
            refused("tenantId", () -> atlas.tenant(bad));
        }
        for (String good : List.of("acme corp", "x".repeat(128), "\u00E9t\u00E9")) {
            Tenant t = atlas.tenant(good);
            assertThat(t.conversations().require(t.conversations().create(NewConversation.of(Owner.user("1"))).id()).tenantId())
                    .isEqualTo(good);
        }
    }

    @Test
    @DisplayName("text a database cannot store byte-exact is rejected with the field's name, before any write")
    void unstorableText() {
        Conversation c = convo();
        refused("content", () -> store.append(c.id(), NewMessage.user("a\u0000b")));
        refused("content", () -> store.append(c.id(), NewMessage.user("lone \uD800 surrogate")));
        refused("content", () -> store.append(c.id(), NewMessage.user("x".repeat((1 << 20) + 1))));
        refused("metadata", () -> store.append(c.id(), NewMessage.user("ok").metadata(Map.of("k", "v\u0000"))));
        refused("agent", () -> store.append(c.id(), NewMessage.user("ok").agent("  ")));
        refused("title", () -> store.create(NewConversation.of(ALICE).title("t\u0000")));
        refused("title", () -> store.updateTitle(c.id(), "x".repeat(501)));
        refused("metadata", () -> store.updateMetadata(c.id(), Map.of("thread", new Object() {
            @SuppressWarnings("unused")
            public Object getSelf() {
                return this;
            }
        })));
        Map<String, Object> deep = new LinkedHashMap<>();
        Map<String, Object> cursor = deep;
        for (int i = 0; i < 100; i++) {
            Map<String, Object> next = new LinkedHashMap<>();
            cursor.put("n", next);
            cursor = next;
        }
        refused("metadata", () -> store.updateMetadata(c.id(), deep));
        refused("owner.id", () -> Owner.of("user", ""));
        refused("content", () -> NewMessage.user(null));
        refused("role", () -> Role.of("robot"));
        assertThat(store.get(c.id()).orElseThrow()).isEqualTo(c);
        assertThat(store.messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("external keys are validated before any write")
    void externalKeyValidation() {
        // Moved from ConversationStoreContract#externalKeyValidation, whose exotic key read-back stays per dialect.
        refused("externalKey", () -> store.ensure(null, NewConversation.of(ALICE)));
        refused("externalKey", () -> store.ensure(" ", NewConversation.of(ALICE)));
        refused("externalKey", () -> store.ensure("a\u0000b", NewConversation.of(ALICE)));
        refused("externalKey", () -> store.ensure("x".repeat(256), NewConversation.of(ALICE)));
        refused("conversation", () -> store.ensure("ok", null));
        refused("externalKey", () -> store.getByKey(""));
        assertThat(store.list(ConversationQuery.all()).items()).isEmpty();
    }
    enum Channel { WEB }

    record Source(String channel, int id) {}

    @Test
    @DisplayName("metadata holds JSON values in Java's plain types: any other value (a Thread, an enum, a record, a byte[], an Instant,"
            + " a Set, a nested non-String key, a map holding itself) is refused naming the field and the path to it, before any SQL,"
            + " on every conversation and message method that takes JSON; appendAll names the message's index")
    void metadataOfOtherThanJsonValuesIsRefusedNamingThePath() {
        Conversation c = convo();
        Message m = store.append(c.id(), NewMessage.user("hi"));
        String plain = ", which is not a JSON value; give a Map with String keys, a List, a String, a Boolean, a number (Integer, Long,"
                + " Short, Byte, BigInteger, Float, Double or BigDecimal) or null (an enum, a UUID or a time as text, a record or a bean as a Map)";
        Map<String, Object> thread = Map.of("v", Thread.currentThread());
        assertThat(refused("metadata", () -> store.create(NewConversation.of(ALICE, "support").metadata(thread))).getMessage())
                .isEqualTo("metadata: the value at v is a java.lang.Thread" + plain);
        assertThat(refused("metadata", () -> store.append(c.id(), NewMessage.user("x").metadata(Map.of("a", List.of(1, Map.of("b c", Channel.WEB)))))).getMessage())
                .isEqualTo("metadata: the value at a[1]['b c'] is a dev.atlas.jdbi.ConversationInputValidationTest$Channel" + plain);
        assertThat(refused("messages[1].metadata", () -> store.appendAll(c.id(), List.of(NewMessage.user("ok"),
                NewMessage.user("bad").metadata(Map.of("src", new Source("web", 1))), NewMessage.user("ok")))).getMessage())
                .isEqualTo("messages[1].metadata: the value at src is a dev.atlas.jdbi.ConversationInputValidationTest$Source" + plain);
        assertThat(refused("metadata", () -> store.updateMetadata(c.id(), Map.of("bytes", new byte[] {1, 2}))).getMessage())
                .isEqualTo("metadata: the value at bytes is a byte[]" + plain);
        assertThat(refused("expected", () -> store.updateMetadata(c.id(), Map.of("at", java.time.Instant.EPOCH), Map.of())).getMessage())
                .isEqualTo("expected: the value at at is a java.time.Instant" + plain);
        assertThat(refused("metadata", () -> store.updateMessageMetadata(m.id(), Map.of("tags", new java.util.LinkedHashSet<>(List.of("a"))))).getMessage())
                .isEqualTo("metadata: the value at tags is a java.util.LinkedHashSet" + plain);
        assertThat(refused("details key", () -> store.recordEvent(m.id(), MessageEventType.app("x"), Map.of("n", Map.of(1, "one")))).getMessage())
                .isEqualTo("details key: the map at n has a key of type java.lang.Integer; keys must be Strings");
        // A Jackson tree reads back as maps and lists, not as the tree: refused, to be converted first (Limits.MAX_METADATA_LENGTH).
        assertThat(refused("metadata", () -> store.updateMetadata(c.id(), Map.of("tree",
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("a", 1)))).getMessage())
                .isEqualTo("metadata: the value at tree is a com.fasterxml.jackson.databind.node.ObjectNode" + plain);
        Map<String, Object> loop = new LinkedHashMap<>();
        loop.put("self", loop);
        assertThat(refused("metadata", () -> store.updateMessageMetadata(m.id(), Map.of("loop", loop))).getMessage())
                .isEqualTo("metadata: the value at loop.self is a map or list that holds itself, which JSON cannot hold");
        for (Object other : List.of(new Object(), 'c', new StringBuilder("s"), java.util.UUID.randomUUID(), java.util.Optional.empty(),
                new java.util.concurrent.atomic.AtomicInteger(1), new int[] {1}, new String[] {"a"}, (Runnable) () -> {})) {
            refused("metadata", () -> store.append(c.id(), NewMessage.user("x").metadata(Map.of("v", other))));
        }
        // A map holding itself at the root is named where it holds itself (self), as one nested in it is (loop.self).
        assertThat(refused("metadata", () -> store.updateMessageMetadata(m.id(), loop)).getMessage())
                .isEqualTo("metadata: the value at self is a map or list that holds itself, which JSON cannot hold");
        Map<String, Object> outer = new LinkedHashMap<>();
        outer.put("a", List.of(Map.of("back", outer)));
        assertThat(refused("metadata", () -> store.create(NewConversation.of(ALICE, "support").metadata(outer))).getMessage())
                .isEqualTo("metadata: the value at a[0].back is a map or list that holds itself, which JSON cannot hold");
        assertThat(store.messages(c.id(), 0, 10)).extracting(Message::id).containsExactly(m.id());
        assertThat(store.require(c.id()).metadata()).isEmpty();
        assertThat(store.requireMessage(m.id()).metadata()).isEmpty();
    }

    @Test
    @DisplayName("a NewMessage or NewConversation holds its metadata as given to metadata(...): a nested map or list the caller changes"
            + " afterwards changes neither the value nor what is stored")
    @SuppressWarnings("unchecked")
    void metadataIsCopiedWholeWhenGiven() {
        Map<String, Object> nested = new LinkedHashMap<>(Map.of("a", 1));
        List<Object> list = new java.util.ArrayList<>(List.of("x"));
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("n", nested);
        given.put("l", list);
        NewConversation conversation = NewConversation.of(ALICE, "support").metadata(given);
        NewMessage message = NewMessage.user("hi").metadata(given);
        nested.put("b", java.time.Instant.EPOCH);
        list.add(2);
        Map<String, Object> expected = Map.of("n", Map.of("a", 1), "l", List.of("x"));
        assertThat(message.metadata()).isEqualTo(expected);
        Conversation c = store.create(conversation);
        assertThat(store.require(c.id()).metadata()).isEqualTo(expected);
        assertThat(store.requireMessage(store.append(c.id(), message).id()).metadata()).isEqualTo(expected);
        assertThatThrownBy(() -> ((List<Object>) message.metadata().get("l")).add(3)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("a key that is not a String, or null, is refused on 'metadata key' in the same words at the top level as nested")
    @SuppressWarnings("unchecked")
    void keysThatAreNotStringsAreRefusedAlikeAtEveryLevel() {
        Map<String, Object> nullKey = new LinkedHashMap<>();
        nullKey.put(null, 1);
        assertThat(refused("metadata key", () -> NewMessage.user("x").metadata(nullKey)).getMessage())
                .isEqualTo("metadata key: the map has a null key; keys must be Strings");
        assertThat(refused("metadata key", () -> NewMessage.user("x").metadata((Map<String, ?>) (Map<?, ?>) Map.of(1, "one"))).getMessage())
                .isEqualTo("metadata key: the map has a key of type java.lang.Integer; keys must be Strings");
        Conversation c = convo();
        assertThat(refused("metadata key", () -> store.updateMetadata(c.id(), Map.of("n", nullKey))).getMessage())
                .isEqualTo("metadata key: the map at n has a null key; keys must be Strings");
    }
}
