package dev.atlas.jdbi.kit;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.UnreadableRowException;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static dev.atlas.jdbi.kit.MemoryStoreContract.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JSON documents (metadata, task payloads) read back equal on every database, to the value the
 * write returned; what could not is refused before any write, naming the field; and a row that
 * cannot be read (written by hand or by an older version) fails alone, with
 * {@link UnreadableRowException} naming its table and id.
 */
public abstract class StoredJsonContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private Tenant acme;

    protected StoredJsonContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void tenant() {
        acme = atlas.tenant("acme");
    }

    /** Numbers that no 64-bit double holds exactly, or integers past the read limit. */
    private static List<Object> unreadableNumbers() {
        return List.of(new BigDecimal("1E+1200"), new BigDecimal("-1E+400"), new BigDecimal("1E-1200"),
                new BigDecimal("0.1234567890123456789"), new BigInteger("9".repeat(Limits.MAX_JSON_NUMBER_LENGTH + 1)),
                new BigInteger("-" + "1".repeat(1200)), Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }

    /** A map {@code depth} objects deep (the kit's hostile-input contracts use it too). */
    static Map<String, Object> nested(int depth) {
        Map<String, Object> doc = Map.of("leaf", 1);
        for (int i = 1; i < depth; i++) {
            doc = Map.of("d", doc);
        }
        return doc;
    }

    /** Every key of {@code doc} and of the objects inside it, in iteration order, as {@code path/key}. */
    private static List<String> keyOrder(Object doc, String path) {
        List<String> out = new ArrayList<>();
        if (doc instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                out.add(path + "/" + k);
                out.addAll(keyOrder(v, path + "/" + k));
            });
        } else if (doc instanceof List<?> l) {
            l.forEach(v -> out.addAll(keyOrder(v, path + "[]")));
        }
        return out;
    }

    @Test
    @DisplayName("a document's keys iterate in one order on every database, in what the write returns and what reads return (PostgreSQL jsonb's: shortest first, then by UTF-8 bytes)")
    void keyOrderIsTheSameEverywhere() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("yy", 1);
        inner.put("b", 2);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("zeta", 1);
        doc.put("\u00e9", 2);
        doc.put("mm", List.of(inner));
        doc.put("a", inner);
        doc.put("\uD83D\uDE00", 3);
        doc.put("\uFF21", 4);
        List<String> expected = List.of("/a", "/a/b", "/a/yy", "/mm", "/mm[]/b", "/mm[]/yy", "/\u00e9", "/\uFF21", "/zeta", "/\uD83D\uDE00");
        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("hi").metadata(doc));
        assertThat(keyOrder(m.metadata(), "")).containsExactlyElementsOf(expected);
        assertThat(keyOrder(acme.conversations().requireMessage(m.id()).metadata(), "")).containsExactlyElementsOf(expected);
        Memory memory = acme.memories().create(NewMemory.fact(ALICE, "x").metadata(doc));
        assertThat(keyOrder(memory.metadata(), "")).containsExactlyElementsOf(expected);
        assertThat(keyOrder(acme.memories().require(memory.id()).metadata(), "")).containsExactlyElementsOf(expected);
        assertThat(keyOrder(acme.conversations().events(m.id()).items().get(0).details(), ""))
                .containsExactly("/role", "/status", "/sequence");
    }

    @Test
    @DisplayName("a document nested " + Limits.MAX_JSON_DEPTH + " levels deep is stored and read back; one level deeper is refused naming the field")
    void nestingDepth() {
        Memory deepest = acme.memories().create(NewMemory.fact(ALICE, "deep").metadata(nested(Limits.MAX_JSON_DEPTH)));
        assertThat(deepest.metadata()).isEqualTo(nested(Limits.MAX_JSON_DEPTH));
        assertThat(acme.memories().require(deepest.id())).isEqualTo(deepest);
        invalid("metadata", () -> acme.memories().create(NewMemory.fact(ALICE, "too deep").metadata(nested(Limits.MAX_JSON_DEPTH + 1))));
        invalid("payload", () -> acme.tasks().create(NewTask.of("mail", nested(Limits.MAX_JSON_DEPTH + 1))));
        assertThat(acme.memories().list(MemoryQuery.all()).items()).containsExactly(deepest);
    }

    /** Given numbers and what every database reads back for each: fractions as doubles, integers exactly. */
    private static Map<String, Object[]> numbers() {
        Map<String, Object[]> m = new LinkedHashMap<>();
        m.put("tenMillion", new Object[] {1.0E7, 1.0E7});
        m.put("small", new Object[] {1.5E-7, 1.5E-7});
        m.put("tenth", new Object[] {0.1, 0.1});
        m.put("max", new Object[] {Double.MAX_VALUE, Double.MAX_VALUE});
        m.put("min", new Object[] {Double.MIN_VALUE, Double.MIN_VALUE});
        m.put("e22", new Object[] {1e22, 1e22});
        m.put("negativeZero", new Object[] {-0.0, 0.0});
        m.put("half", new Object[] {0.5f, 0.5});
        m.put("decimalTenth", new Object[] {new BigDecimal("0.10"), 0.1});
        m.put("decimalExponent", new Object[] {new BigDecimal("1E+5"), 100000.0});
        m.put("int", new Object[] {42, 42});
        m.put("long", new Object[] {Long.MAX_VALUE, Long.MAX_VALUE});
        m.put("big", new Object[] {new BigInteger("123456789012345678901234567890"), new BigInteger("123456789012345678901234567890")});
        m.put("longest", new Object[] {new BigInteger("9".repeat(Limits.MAX_JSON_NUMBER_LENGTH)),
                new BigInteger("9".repeat(Limits.MAX_JSON_NUMBER_LENGTH))});
        return m;
    }

    private static Map<String, Object> given() {
        Map<String, Object> doc = new LinkedHashMap<>();
        numbers().forEach((k, v) -> doc.put(k, v[0]));
        doc.put("list", new ArrayList<>(numbers().values().stream().map(v -> v[0]).toList()));
        return doc;
    }

    private static Map<String, Object> expected() {
        Map<String, Object> doc = new LinkedHashMap<>();
        numbers().forEach((k, v) -> doc.put(k, v[1]));
        doc.put("list", numbers().values().stream().map(v -> v[1]).toList());
        return doc;
    }

    @Test
    @DisplayName("numbers read back as the same doubles and integers on every database, equal to what the write returned")
    void numbersReadBackEqual() {
        Memory memory = acme.memories().create(NewMemory.fact(ALICE, "numbers").metadata(given()));
        assertThat(memory.metadata()).isEqualTo(expected());
        assertThat(acme.memories().require(memory.id())).isEqualTo(memory);

        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support").metadata(given()));
        assertThat(c.metadata()).isEqualTo(expected());
        assertThat(acme.conversations().require(c.id()).metadata()).isEqualTo(expected());
        Message m = acme.conversations().append(c.id(), NewMessage.user("hi").metadata(given()));
        assertThat(m.metadata()).isEqualTo(expected());
        assertThat(acme.conversations().getMessage(m.id()).orElseThrow().metadata()).isEqualTo(expected());

        GraphNode node = acme.graph().upsertNode(NewGraphNode.of("n").metadata(given()));
        assertThat(node.metadata()).isEqualTo(expected());
        assertThat(acme.graph().getNode("n")).contains(node);

        Task task = acme.tasks().create(NewTask.of("mail", given()));
        assertThat(task.payload()).isEqualTo(expected());
        assertThat(acme.tasks().get(task.id()).orElseThrow().payload()).isEqualTo(expected());
    }

    @Test
    @DisplayName("every metadata-bearing call of conversations and messages returns the numbers as they read back (-0.0 as 0.0,"
            + " a Float as the Double of its text, 0.10 as 0.1): updateMetadata (also compare-and-set with the given numbers as"
            + " expected), appendAll, updateMessageMetadata and an application event's details")
    void conversationCallsReturnNumbersAsTheyReadBack() {
        var conversations = acme.conversations();
        Conversation c = conversations.create(NewConversation.of(ALICE, "support"));
        assertThat(conversations.updateMetadata(c.id(), given()).metadata()).isEqualTo(expected());
        assertThat(conversations.require(c.id()).metadata()).isEqualTo(expected());
        assertThat(conversations.updateMetadata(c.id(), given(), Map.of("v", 2)).metadata()).isEqualTo(Map.of("v", 2));
        List<Message> appended = conversations.appendAll(c.id(), List.of(NewMessage.user("a").metadata(given()),
                NewMessage.user("b").metadata(given())));
        assertThat(appended).extracting(Message::metadata).containsExactly(expected(), expected());
        Message m = appended.get(0);
        assertThat(conversations.requireMessage(m.id()).metadata()).isEqualTo(expected());
        assertThat(conversations.updateMessageMetadata(m.id(), given()).metadata()).isEqualTo(expected());
        assertThat(conversations.requireMessage(m.id()).metadata()).isEqualTo(expected());
        var event = conversations.recordEvent(m.id(), dev.atlas.conversation.MessageEventType.app("rated"), given());
        assertThat(event.details()).isEqualTo(expected());
        assertThat(conversations.events(dev.atlas.conversation.MessageEventQuery.forMessage(m.id())).items())
                .filteredOn(e -> e.id().equals(event.id())).extracting(dev.atlas.conversation.MessageEvent::details)
                .containsExactly(expected());
    }

    private static Map<String, Object> withNulls() {
        Map<String, Object> inner = new HashMap<>();
        inner.put("b", null);
        Map<String, Object> doc = new HashMap<>();
        doc.put("a", null);
        doc.put("inner", inner);
        doc.put("list", Arrays.asList(1, null, "x"));
        return doc;
    }

    @Test
    @DisplayName("null values in metadata are stored and returned, as JSON allows, by memories, graph nodes and graph edges")
    void nullValues() {
        Memory memory = acme.memories().create(NewMemory.fact(ALICE, "nulls").metadata(withNulls()));
        assertThat(memory.metadata()).isEqualTo(withNulls()).containsEntry("a", null);
        assertThat(acme.memories().require(memory.id())).isEqualTo(memory);
        Memory updated = acme.memories().update(memory.id(), dev.atlas.memory.MemoryPatch.none().metadata(withNulls()));
        assertThat(updated.metadata()).isEqualTo(withNulls());

        GraphNode a = acme.graph().upsertNode(NewGraphNode.of("a").metadata(withNulls()));
        acme.graph().upsertNode(NewGraphNode.of("b"));
        assertThat(a.metadata()).isEqualTo(withNulls());
        assertThat(acme.graph().getNode("a")).contains(a);
        GraphEdge edge = acme.graph().upsertEdge(NewGraphEdge.of("a", "knows", "b").metadata(withNulls()));
        assertThat(edge.metadata()).isEqualTo(withNulls());
        assertThat(acme.graph().neighbours("a", dev.atlas.graph.Direction.OUTGOING, null).get(0).edge()).isEqualTo(edge);
    }

    private void sql(String statement) {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate(statement.replace("<p>", atlas.config().tablePrefix()))).isEqualTo(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** A document every database stores but no read accepts: an integer past the read limit. */
    private static final String UNREADABLE = "{\"n\": " + "1".repeat(1200) + "}";

    private static void corrupt(String table, UUID id, Runnable read) {
        assertThatThrownBy(read::run).isInstanceOfSatisfying(UnreadableRowException.class, e -> {
            assertThat(e.table()).isEqualTo(table);
            assertThat(e.rowId()).isEqualTo(id.toString());
            assertThat(e.getMessage()).contains(table, id.toString());
        });
    }

    @Test
    @DisplayName("a memory row with unreadable JSON fails get and list with UnreadableRowException naming the table and id; deleting it unblocks the list")
    void unreadableMemoryRow() {
        Memory good = acme.memories().create(NewMemory.fact(ALICE, "fine"));
        Memory bad = acme.memories().create(NewMemory.fact(ALICE, "broken"));
        sql("UPDATE <p>memories SET metadata = '" + UNREADABLE + "' WHERE id = '" + bad.id() + "'");
        corrupt("memories", bad.id(), () -> acme.memories().get(bad.id()));
        corrupt("memories", bad.id(), () -> acme.memories().list(MemoryQuery.all()));
        assertThat(acme.memories().get(good.id())).isPresent();
        acme.memories().delete(bad.id());
        assertThat(acme.memories().list(MemoryQuery.all()).items()).containsExactly(good);
    }

    @Test
    @DisplayName("a message, conversation, graph node, voice call, execution, assistant or asset that cannot be read fails with UnreadableRowException naming its table and id")
    void unreadableRowsOfOtherTables() {
        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
        sql("UPDATE <p>messages SET metadata = '" + UNREADABLE + "' WHERE id = '" + m.id() + "'");
        corrupt("messages", m.id(), () -> acme.conversations().history(c.id()));
        corrupt("messages", m.id(), () -> acme.conversations().getMessage(m.id()));

        sql("UPDATE <p>conversations SET metadata = '" + UNREADABLE + "' WHERE id = '" + c.id() + "'");
        corrupt("conversations", c.id(), () -> acme.conversations().get(c.id()));
        // A stored JSON string where an object belongs: the reader's text quotes it, shown escaped in the message and every cause.
        sql("UPDATE <p>conversations SET metadata = '\"x\\u001b[2J\\u000aERROR forged\"' WHERE id = '" + c.id() + "'");
        assertThatThrownBy(() -> acme.conversations().get(c.id())).isInstanceOfSatisfying(UnreadableRowException.class, e -> {
            StringBuilder chain = new StringBuilder();
            for (Throwable x = e; x != null; x = x.getCause()) {
                chain.append(x).append(" | ");
            }
            assertThat(chain.toString()).contains("x\\u001b[2J\\u000aERROR forged").doesNotContain("\u001b").doesNotContain("\n");
        });

        GraphNode node = acme.graph().upsertNode(NewGraphNode.of("a"));
        sql("UPDATE <p>graph_nodes SET metadata = '" + UNREADABLE + "' WHERE id = '" + node.id() + "'");
        corrupt("graph_nodes", node.id(), () -> acme.graph().getNode("a"));

        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("rt", "openai", "gpt-realtime"));
        sql("UPDATE <p>voice_calls SET transcript = '[{\"role\": \"robot\", \"content\": \"beep\"}]' WHERE id = '" + call.id() + "'");
        corrupt("voice_calls", call.id(), () -> acme.voiceCalls().get(call.id()));
        corrupt("voice_calls", call.id(), () -> acme.voiceCalls().bySession("rt"));

        dev.atlas.execution.Execution e = acme.executions().create(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        sql("UPDATE <p>executions SET metadata = '" + UNREADABLE + "' WHERE id = '" + e.id() + "'");
        corrupt("executions", e.id(), () -> acme.executions().get(e.id()));

        dev.atlas.assistant.Assistant a = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("helper", "Helper"));
        sql("UPDATE <p>assistants SET metadata = '" + UNREADABLE + "' WHERE id = '" + a.id() + "'");
        corrupt("assistants", a.id(), () -> acme.assistants().get(a.id()));

        dev.atlas.asset.Asset asset = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "a.png", "image/png"),
                new byte[] {1});
        sql("UPDATE <p>assets SET metadata = '" + UNREADABLE + "' WHERE id = '" + asset.id() + "'");
        corrupt("assets", asset.id(), () -> acme.assets().get(asset.id()));
    }
}
