package dev.atlas.jdbi.kit;

import dev.atlas.NotFoundException;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.GraphReach;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.atlas.jdbi.kit.MemoryStoreContract.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The behaviour every {@link MemoryGraph} implementation must have, on every database. */
public abstract class MemoryGraphContract extends AtlasContract {
    protected MemoryGraph graph;
    protected MemoryGraph other;

    protected MemoryGraphContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void graphs() {
        graph = atlas.tenant("acme").graph();
        other = atlas.tenant("globex").graph();
    }

    private void nodes(String... keys) {
        for (String k : keys) {
            graph.upsertNode(NewGraphNode.of(k));
        }
    }

    @Test
    @DisplayName("upserting a node by an existing key updates it in place and keeps its id")
    void upsertNode() {
        GraphNode first = graph.upsertNode(NewGraphNode.of("user:42").label("Ada").type("person").metadata(Map.of("a", 1)));
        GraphNode second = graph.upsertNode(NewGraphNode.of("user:42").label("Ada L.").type("person"));
        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.label()).isEqualTo("Ada L.");
        assertThat(second.metadata()).isEmpty();
        assertThat(graph.getNode("user:42")).contains(second);
        assertThat(graph.getNode("user:43")).isEmpty();
    }

    @Test
    @DisplayName("an edge is unique per source, target and type: upserting again updates its weight; another type is another edge")
    void upsertEdge() {
        nodes("a", "b");
        GraphEdge e1 = graph.upsertEdge(NewGraphEdge.of("a", "knows", "b").weight(0.5));
        GraphEdge e2 = graph.upsertEdge(NewGraphEdge.of("a", "knows", "b").weight(0.9).metadata(Map.of("since", 2020)));
        graph.upsertEdge(NewGraphEdge.of("a", "likes", "b"));
        assertThat(e2.id()).isEqualTo(e1.id());
        assertThat(e2.weight()).isEqualTo(0.9);
        assertThat(e2.metadata()).containsEntry("since", 2020);
        assertThat(e2.sourceKey()).isEqualTo("a");
        assertThat(e2.targetKey()).isEqualTo("b");
        assertThat(graph.neighbours("a", Direction.OUTGOING, null)).hasSize(2);
    }

    @Test
    @DisplayName("an edge to a node that does not exist is rejected with NotFoundException")
    void edgeToMissingNode() {
        nodes("a");
        assertThatThrownBy(() -> graph.upsertEdge(NewGraphEdge.of("a", "knows", "ghost"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> graph.neighbours("ghost", Direction.BOTH, null)).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("an edge naming a missing node is a NotFoundException naming sourceKey or targetKey, whichever is missing, and nothing is written")
    void edgeToMissingNodeNamesTheField() {
        nodes("a");
        assertThatThrownBy(() -> graph.upsertEdge(NewGraphEdge.of("a", "knows", "ghost")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("targetKey"));
        assertThatThrownBy(() -> graph.upsertEdge(NewGraphEdge.of("ghost", "knows", "a")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("sourceKey"));
        other.upsertNode(NewGraphNode.of("theirs"));
        assertThatThrownBy(() -> graph.upsertEdge(NewGraphEdge.of("a", "knows", "theirs")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("targetKey"));
        assertThat(graph.neighbours("a", Direction.BOTH, null)).isEmpty();
    }

    @Test
    @DisplayName("an edge upserted while one of its nodes is deleted: either the edge is written and deleted with the node, or NotFoundException; never a storage error or a dangling edge")
    void edgeRacingNodeDelete() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 25; i++) {
                String a = "a" + i;
                String b = "b" + i;
                nodes(a, b);
                var start = new java.util.concurrent.CyclicBarrier(2);
                var delete = pool.submit(() -> {
                    start.await();
                    graph.deleteNode(b);
                    return null;
                });
                var upsert = pool.submit(() -> {
                    start.await();
                    try {
                        return graph.upsertEdge(NewGraphEdge.of(a, "knows", b));
                    } catch (NotFoundException e) {
                        return e;
                    }
                });
                delete.get();
                assertThat(upsert.get()).as("round %d", i).isInstanceOfAny(dev.atlas.graph.GraphEdge.class, NotFoundException.class);
                assertThat(graph.getNode(b)).isEmpty();
                assertThat(graph.neighbours(a, Direction.BOTH, null)).as("round %d", i).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("neighbours follow direction and edge type, heaviest edge first")
    void neighbours() {
        nodes("me", "x", "y", "z");
        graph.upsertEdge(NewGraphEdge.of("me", "likes", "x").weight(0.2));
        graph.upsertEdge(NewGraphEdge.of("me", "likes", "y").weight(0.9));
        graph.upsertEdge(NewGraphEdge.of("z", "likes", "me"));
        graph.upsertEdge(NewGraphEdge.of("me", "knows", "z"));
        assertThat(keys(graph.neighbours("me", Direction.OUTGOING, "likes"))).containsExactly("y", "x");
        assertThat(keys(graph.neighbours("me", Direction.INCOMING, null))).containsExactly("z");
        assertThat(keys(graph.neighbours("me", Direction.BOTH, null))).containsExactlyInAnyOrder("x", "y", "z", "z");
        GraphNeighbour n = graph.neighbours("me", Direction.INCOMING, "likes").get(0);
        assertThat(n.edge().sourceKey()).isEqualTo("z");
        assertThat(n.edge().targetKey()).isEqualTo("me");
    }

    @Test
    @DisplayName("a traversal stops at the depth bound, reports shortest depths, survives cycles and excludes the start")
    void traverse() {
        nodes("a", "b", "c", "d", "e");
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("b", "r", "c"));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "a"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "c"));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "d"));
        graph.upsertEdge(NewGraphEdge.of("d", "other", "e"));
        List<GraphReach> two = graph.traverse("a", Direction.OUTGOING, "r", 2, 100);
        assertThat(two).extracting(r -> r.node().key() + "@" + r.depth()).containsExactly("b@1", "c@1", "d@2");
        assertThat(graph.traverse("a", Direction.OUTGOING, null, 10, 100)).extracting(r -> r.node().key())
                .containsExactly("b", "c", "d", "e");
        assertThat(graph.traverse("e", Direction.INCOMING, null, 1, 100)).extracting(r -> r.node().key()).containsExactly("d");
        assertThat(graph.traverse("e", Direction.BOTH, null, 2, 100)).extracting(r -> r.node().key()).containsExactly("d", "c");
        assertThat(graph.traverse("a", Direction.OUTGOING, null, 10, 2)).hasSize(2);
    }

    @Test
    @DisplayName("deleting a node deletes the edges touching it; deleting an edge leaves the nodes")
    void deletes() {
        nodes("a", "b", "c");
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("b", "r", "c"));
        graph.deleteEdge("b", "r", "c");
        assertThatThrownBy(() -> graph.deleteEdge("b", "r", "c")).isInstanceOf(NotFoundException.class)
                .hasMessage("sourceKey: graph edge b -r-> c not found");
        graph.deleteNode("b");
        assertThatThrownBy(() -> graph.deleteNode("b")).isInstanceOf(NotFoundException.class)
                .hasMessage("key: graph node b not found");
        assertThat(graph.neighbours("a", Direction.BOTH, null)).isEmpty();
        assertThat(graph.getNode("c")).isPresent();
    }

    @Test
    @DisplayName("another tenant sees none of the nodes or edges and cannot link to them")
    void tenantIsolation() {
        nodes("a", "b");
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        assertThat(other.getNode("a")).isEmpty();
        assertThatThrownBy(() -> other.neighbours("a", Direction.BOTH, null)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.traverse("a", Direction.BOTH, null, 3, 10)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.upsertEdge(NewGraphEdge.of("a", "r", "b"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.deleteEdge("a", "r", "b")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.deleteNode("a")).isInstanceOf(NotFoundException.class);
        other.upsertNode(NewGraphNode.of("a").label("globex's a"));
        assertThat(graph.getNode("a").orElseThrow().label()).isNull();
        assertThat(graph.neighbours("a", Direction.OUTGOING, null)).hasSize(1);
    }

    private static List<String> keys(List<GraphNeighbour> ns) {
        return ns.stream().map(n -> n.node().key()).toList();
    }

    @Test
    @DisplayName("neighbours page with a keyset cursor, heaviest edge first, each edge exactly once, ties and self-loops included")
    void neighbourPaging() {
        nodes("hub", "a", "b", "c", "d", "e");
        graph.upsertEdge(NewGraphEdge.of("hub", "r", "a").weight(0.5));
        graph.upsertEdge(NewGraphEdge.of("hub", "r", "b").weight(0.5));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "hub").weight(0.5));
        graph.upsertEdge(NewGraphEdge.of("hub", "r", "d").weight(0.9));
        graph.upsertEdge(NewGraphEdge.of("e", "r", "hub").weight(0.1));
        graph.upsertEdge(NewGraphEdge.of("hub", "self", "hub").weight(0.5));
        List<GraphNeighbour> all = graph.neighbours("hub", Direction.BOTH, null);
        assertThat(all).hasSize(7);
        assertThat(all).extracting(n -> n.edge().weight()).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        List<GraphNeighbour> paged = new java.util.ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<GraphNeighbour> page = graph.neighbours("hub", Direction.BOTH, null, 2, cursor);
            assertThat(page.items().size()).isLessThanOrEqualTo(2);
            paged.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(all);
        assertThat(keys(graph.neighbours("hub", Direction.OUTGOING, "r", 10, null).items())).containsExactly("d", "a", "b");
        assertThatThrownBy(() -> graph.neighbours("hub", Direction.BOTH, null, 0, null))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("limit"));
        assertThatThrownBy(() -> graph.neighbours("hub", Direction.BOTH, null, 2, "bm90LWEtY3Vyc29y"))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("cursor"));
    }

    @Test
    @DisplayName("traverse lists the nodes of one depth in code point order of their keys on every database, whatever the PostgreSQL database's collation")
    void traverseInCodePointOrder() {
        Collations.natural(database, "graph_nodes", "node_key");
        graph.upsertNode(NewGraphNode.of("start"));
        for (String key : List.of("b", "B", "a-c", "ab", "a_d", "aa", "A", "\uFF21", "\uD83D\uDE00")) {
            graph.upsertNode(NewGraphNode.of(key));
            graph.upsertEdge(NewGraphEdge.of("start", "knows", key));
        }
        // Code point order, as SQLite's BINARY sorts: never the database's natural-language collation.
        assertThat(graph.traverse("start", Direction.OUTGOING, null, 1, 100)).extracting(r -> r.node().key())
                .containsExactly("A", "B", "a-c", "a_d", "aa", "ab", "b", "\uFF21", "\uD83D\uDE00");
        assertThat(graph.traverse("start", Direction.OUTGOING, null, 1, 3)).extracting(r -> r.node().key()).containsExactly("A", "B", "a-c");
    }
}
