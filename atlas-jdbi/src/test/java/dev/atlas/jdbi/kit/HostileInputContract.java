package dev.atlas.jdbi.kit;

import dev.atlas.AtlasException;
import dev.atlas.Conversation;
import dev.atlas.ConversationQuery;
import dev.atlas.ConversationStore;
import dev.atlas.Message;
import dev.atlas.MessageStatus;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.Owner;
import dev.atlas.Role;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generated corpus of hostile values pushed through every public write method. Each call
 * either fails with a typed {@link AtlasException} and leaves the database byte-for-byte
 * unchanged, or succeeds and reads back exactly what was written.
 */
public abstract class HostileInputContract extends AtlasContract {
    static final List<String> HOSTILE = List.of(
            "a\u0000b",
            "\uD800",
            "x\uDC00y",
            "x".repeat(10 * 1024 * 1024),
            "x".repeat(255),
            "x".repeat(256),
            "'; DROP TABLE atlas_messages; --",
            "\" OR \"1\"=\"1",
            "Robert'); DELETE FROM atlas_conversations WHERE ('1'='1",
            "<p>conversations",
            "${prefix}",
            "😀👩‍👩‍👧 𝄞",
            "",
            "   ",
            "\u202E RTL \u200B zero width \uFEFF",
            "\\u0000",
            "line1\r\nline2\ttab",
            "%_\\ LIKE wildcards");

    static final List<String> HOSTILE_JSON = List.of(
            "[".repeat(10_000) + "]".repeat(10_000),
            "{\"a\":",
            "{\"nul\":\"\\u0000\"}",
            "{\"big\":\"" + "y".repeat(2 * 1024 * 1024) + "\"}",
            "{\"a\":1,\"a\":2}",
            "  [1e400, -0, \"\\ud83d\\ude00\"]  ",
            "NaN",
            "{\"x\":\"'; DROP TABLE atlas_messages; --\"}");

    private ConversationStore store;
    private Conversation convo;
    private Message queued;

    protected HostileInputContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void seed() {
        store = atlas.tenant("acme").conversations();
        convo = store.create(NewConversation.of(Owner.user("1"), "agent"));
        queued = store.append(convo.id(), NewMessage.assistant("pending").status(MessageStatus.QUEUED));
    }

    /** One generated case: a write, and how to read back the value it should have stored. */
    record Case(String name, Supplier<Object> write, Function<Object, Object> readBack, Object expected) {}

    private List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (String h : HOSTILE) {
            String tag = h.length() > 40 ? h.substring(0, 10) + "…(" + h.length() + ")" : h;
            cases.add(new Case("owner.type " + tag, () -> store.create(NewConversation.of(Owner.of(h, "1"))),
                    r -> store.require(((Conversation) r).id()).owner().type(), h));
            cases.add(new Case("owner.id " + tag, () -> store.create(NewConversation.of(Owner.of("user", h))),
                    r -> store.require(((Conversation) r).id()).owner().id(), h));
            cases.add(new Case("agent " + tag, () -> store.create(NewConversation.of(Owner.user("1"), h)),
                    r -> store.require(((Conversation) r).id()).agent(), h));
            cases.add(new Case("title " + tag, () -> store.create(NewConversation.of(Owner.user("1")).title(h)),
                    r -> store.require(((Conversation) r).id()).title(), h));
            cases.add(new Case("metadata value " + tag, () -> store.create(NewConversation.of(Owner.user("1")).metadata(Map.of("k", h))),
                    r -> store.require(((Conversation) r).id()).metadata().get("k"), h));
            cases.add(new Case("metadata key " + tag, () -> store.updateMetadata(convo.id(), Map.of(h, 1)),
                    r -> store.require(convo.id()).metadata().keySet().iterator().next(), h));
            cases.add(new Case("updateTitle " + tag, () -> store.updateTitle(convo.id(), h),
                    r -> store.require(convo.id()).title(), h));
            cases.add(new Case("updateSummary " + tag, () -> store.updateSummary(convo.id(), h),
                    r -> store.require(convo.id()).summary(), h));
            cases.add(new Case("content " + tag, () -> store.append(convo.id(), NewMessage.user(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().content(), h));
            cases.add(new Case("clientId " + tag, () -> store.append(convo.id(), NewMessage.user("c").clientId(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().clientId(), h));
            cases.add(new Case("message agent " + tag, () -> store.append(convo.id(), NewMessage.assistant("c").agent(h)),
                    r -> store.message(((Message) r).id()).orElseThrow().agent(), h));
            cases.add(new Case("author " + tag, () -> store.append(convo.id(), NewMessage.user("c").author(Owner.of("user", h))),
                    r -> store.message(((Message) r).id()).orElseThrow().author().id(), h));
            cases.add(new Case("failureReason " + tag, () -> store.markFailed(queued.id(), h),
                    r -> store.message(queued.id()).orElseThrow().failureReason(), h));
            cases.add(new Case("edit " + tag, () -> store.edit(queued.id(), h),
                    r -> store.message(queued.id()).orElseThrow().content(), h));
            cases.add(new Case("tenant " + tag, () -> atlas.tenant(h).conversations().create(NewConversation.of(Owner.user("1"))),
                    r -> atlas.tenant(h).conversations().require(((Conversation) r).id()).tenantId(), h));
        }
        for (String json : HOSTILE_JSON) {
            String tag = json.length() > 40 ? json.substring(0, 10) + "…(" + json.length() + ")" : json;
            cases.add(new Case("json content " + tag, () -> store.append(convo.id(), NewMessage.json(Role.TOOL, json)),
                    r -> store.message(((Message) r).id()).orElseThrow().content(), json));
        }
        for (int n : new int[] {Integer.MIN_VALUE, -1, 0, 1001, Integer.MAX_VALUE}) {
            cases.add(new Case("history limit " + n, () -> store.history(convo.id(), n), r -> null, null));
            cases.add(new Case("list limit " + n, () -> store.list(ConversationQuery.all().limit(n)), r -> null, null));
            cases.add(new Case("messages limit " + n, () -> store.messages(convo.id(), 0, n), r -> null, null));
        }
        for (long s : new long[] {Long.MIN_VALUE, -1}) {
            cases.add(new Case("messages after " + s, () -> store.messages(convo.id(), s, 10), r -> null, null));
            cases.add(new Case("history before " + s, () -> store.historyBefore(convo.id(), s, 10), r -> null, null));
        }
        cases.add(new Case("illegal transition", () -> store.markDelivered(store.markDelivered(queued.id()).id()), r -> null, null));
        return cases;
    }

    @Test
    @DisplayName("every hostile value is either rejected with a typed error and no change, or stored and read back exactly")
    void corpus() {
        List<Case> cases = cases();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(200);
        int rejected = 0;
        int stored = 0;
        for (Case c : cases) {
            String before = DatabaseDigest.of(database.dataSource(), "atlas_");
            Object result;
            try {
                result = c.write().get();
            } catch (AtlasException e) {
                rejected++;
                assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).as("database unchanged after rejected " + c.name()).isEqualTo(before);
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError("untyped failure for " + c.name() + ": " + e, e);
            }
            stored++;
            if (c.expected() != null) {
                assertThat(Objects.toString(c.readBack().apply(result))).as("read back " + c.name()).isEqualTo(c.expected());
            }
        }
        assertThat(rejected).isPositive();
        assertThat(stored).isPositive();
    }
}
