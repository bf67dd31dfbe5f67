package dev.atlas.jdbi;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.Limits;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.Role;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.NewTask;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memories, the memory graph, search queries and stored JSON: bad input is refused naming the
 * field, with no SQL run (moved from MemoryStoreContract, MemoryGraphContract, SearchContract and
 * StoredJsonContract).
 */
class MemoryInputValidationTest extends RefusedBeforeSql {
    private static final Owner ALICE = Owner.user("alice");
    private static final String MODEL = "test-model";

    private Tenant tenant;
    private MemoryStore memories;
    private MemoryGraph graph;

    @BeforeEach
    void stores() {
        tenant = freshTenant();
        memories = tenant.memories();
        graph = tenant.graph();
    }

    @Test
    @DisplayName("bad memories are rejected naming the field, and nothing is written")
    void badMemories() {
        refused("importance", () -> memories.create(NewMemory.fact(ALICE, "x").importance(Double.NaN)));
        refused("importance", () -> memories.create(NewMemory.fact(ALICE, "x").importance(1.5)));
        refused("importance", () -> memories.create(NewMemory.fact(ALICE, "x").importance(-0.1)));
        refused("content", () -> memories.create(NewMemory.fact(ALICE, " ")));
        refused("content", () -> memories.create(NewMemory.fact(ALICE, "nul\u0000")));
        refused("content", () -> memories.create(NewMemory.fact(ALICE, "lone \uD800 surrogate")));
        refused("kind", () -> memories.create(NewMemory.of(ALICE, MemoryKind.of("Not A Kind"), "x")));
        refused("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags(Collections.nCopies(65, "t").stream()
                .map(t -> t + Math.random()).toList())));
        refused("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags("")));
        refused("metadata", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(Map.of("k", "v\u0000"))));
        refused("expiresAt", () -> memories.create(NewMemory.fact(ALICE, "x").expiresAt(Instant.parse("+10000-01-01T00:00:00Z"))));
        refused("cursor", () -> memories.list(MemoryQuery.all().after("'; DROP TABLE x")));
        refused("limit", () -> memories.list(MemoryQuery.all().limit(0)));
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        Memory m = memories.create(NewMemory.fact(ALICE, "kept"));
        refused("metadata", () -> memories.update(m.id(), MemoryPatch.content("changed").metadata(Map.of("k", "v\u0000"))));
        assertThat(memories.require(m.id()).content()).isEqualTo("kept");
        assertThat(memories.revisions(m.id())).isEmpty();
    }

    @Test
    @DisplayName("bad graph input is rejected naming the field")
    void badGraphInput() {
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        refused("key", () -> graph.upsertNode(NewGraphNode.of(" ")));
        refused("key", () -> graph.upsertNode(NewGraphNode.of("nul\u0000")));
        refused("weight", () -> graph.upsertEdge(NewGraphEdge.of("a", "r", "b").weight(Double.NaN)));
        refused("weight", () -> graph.upsertEdge(NewGraphEdge.of("a", "r", "b").weight(Double.POSITIVE_INFINITY)));
        refused("maxDepth", () -> graph.traverse("a", Direction.BOTH, null, 0, 10));
        refused("maxDepth", () -> graph.traverse("a", Direction.BOTH, null, 11, 10));
        refused("limit", () -> graph.traverse("a", Direction.BOTH, null, 1, 0));
        refused("metadata", () -> graph.upsertNode(NewGraphNode.of("c").metadata(Map.of("k", "v\u0000"))));
        assertThat(graph.getNode("c")).isEmpty();
        assertThat(graph.neighbours("a", Direction.BOTH, null)).isEmpty();
    }

    @Test
    @DisplayName("bad metadata, tag and agent filters are refused naming the field, before any query")
    void badMetadataTagAndAgentFilters() {
        refused("metadata", () -> SearchFilter.none().metadata(null, "x"));
        refused("metadata", () -> SearchFilter.none().metadata("k\u0000", "x"));
        refused("metadata", () -> SearchFilter.none().metadata("k".repeat(256), "x"));
        refused("metadata", () -> SearchFilter.none().metadata("source", null));
        refused("metadata", () -> SearchFilter.none().metadata("source", "v".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH + 1)));
        SearchFilter many = SearchFilter.none();
        for (int i = 0; i < SearchFilter.MAX_METADATA; i++) {
            many = many.metadata("k" + i, "v");
        }
        SearchFilter full = many;
        refused("metadata", () -> full.metadata("one-more", "v"));
        refused("tags", () -> SearchFilter.none().tag(null));
        refused("tags", () -> SearchFilter.none().tag(""));
        refused("tags", () -> SearchFilter.none().tag("t".repeat(101)));
        refused("agent", () -> SearchFilter.none().agent(" "));
        refused("agent", () -> SearchFilter.none().agent(null));
        refused("tags", () -> TextQuery.messages("x").filter(SearchFilter.none().tag("urgent")));
        refused("metadata", () -> SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 0})
                .filter(SearchFilter.none().metadata("k", "v")));
        refused("agent", () -> SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 0}).filter(SearchFilter.none().agent("a")));
        refused("tags", () -> SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 0}).filter(SearchFilter.none().tag("a")));
    }

    @Test
    @DisplayName("bad search queries are rejected naming the field")
    void badQueries() {
        refused("text", () -> TextQuery.messages("nul\u0000"));
        refused("text", () -> TextQuery.messages("x".repeat(1001)));
        refused("target", () -> new TextQuery(SearchTarget.ASSET, "x", SearchFilter.none(), 10));
        refused("role", () -> TextQuery.memories("x").filter(SearchFilter.none().role(Role.USER)));
        refused("kind", () -> TextQuery.messages("x").filter(SearchFilter.none().kind(MemoryKind.FACT)));
        refused("to", () -> SearchFilter.none().between(clock.instant(), clock.instant()));
        refused("limit", () -> TextQuery.messages("x").limit(0));
        refused("k", () -> SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1}).k(1001));
        refused("model", () -> SemanticQuery.of(SearchTarget.ASSET, "bad model'", new float[] {1}));
    }

    /** Numbers that no 64-bit double holds exactly, or integers past the read limit. */
    private static List<Object> unreadableNumbers() {
        return List.of(new BigDecimal("1E+1200"), new BigDecimal("-1E+400"), new BigDecimal("1E-1200"),
                new BigDecimal("0.1234567890123456789"), new BigInteger("9".repeat(Limits.MAX_JSON_NUMBER_LENGTH + 1)),
                new BigInteger("-" + "1".repeat(1200)), Double.NaN, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    }

    @Test
    @DisplayName("a number that would not read back as given (huge, tiny, over-precise, NaN, over-long integer) is refused naming the field, and nothing is written")
    void unreadableNumbersAreRefused() {
        GraphNode node = graph.upsertNode(NewGraphNode.of("a"));
        for (Object n : unreadableNumbers()) {
            Map<String, Object> doc = Map.of("n", n);
            Map<String, Object> inList = Map.of("list", List.of(1, Map.of("n", n)));
            refused("metadata", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(doc)));
            refused("metadata", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(inList)));
            refused("metadata", () -> tenant.conversations().create(NewConversation.of(ALICE, "support").metadata(doc)));
            refused("metadata", () -> graph.upsertNode(NewGraphNode.of("a").metadata(doc)));
            refused("payload", () -> tenant.tasks().create(NewTask.of("mail", doc)));
        }
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
        assertThat(graph.getNode("a")).contains(node);
    }
    /** A map of the application's whose entries cannot be read: its exception text is the application's, of any size. */
    static Map<String, Object> failingMap(String text) {
        return new java.util.AbstractMap<>() {
            @Override
            public java.util.Set<Map.Entry<String, Object>> entrySet() {
                throw new IllegalStateException(text);
            }
        };
    }

    @Test
    @DisplayName("a nested map whose entries cannot be read is refused naming the field, its exception text shown escaped and cut at 300 code points")
    void unserialisableValueTextIsBounded() {
        String huge = "\u001b[31m" + "x".repeat(1_000_000);
        var e = refused("metadata", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(Map.of("v", failingMap(huge)))));
        assertThat(e.getMessage()).startsWith("metadata: is not JSON-serialisable: \\u001b[31m" + "x".repeat(290))
                .endsWith("\u2026").doesNotContain("\u001b").hasSizeLessThan(400);
        var p = refused("payload", () -> tenant.tasks().create(NewTask.of("mail", Map.of("v", failingMap("bad\nline")))));
        assertThat(p.getMessage()).isEqualTo("payload: is not JSON-serialisable: bad\\u000aline");
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
    }
}
