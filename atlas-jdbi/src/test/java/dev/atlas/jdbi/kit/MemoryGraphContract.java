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

    @Test
    @DisplayName("search35: every graph call with another tenant's node keys is refused with NotFoundException, message for message the"
            + " same as for keys no tenant ever used (nothing says the other tenant has them), and writes nothing to either tenant")
    void anotherTenantsKeysAreRefusedLikeUnknownOnes() {
        other.upsertNode(NewGraphNode.of("theirs-a").label("globex secret"));
        other.upsertNode(NewGraphNode.of("theirs-b"));
        other.upsertEdge(NewGraphEdge.of("theirs-a", "r", "theirs-b"));
        nodes("mine");
        for (String[] keys : new String[][] {{"theirs-a", "theirs-b"}, {"nobody-a", "nobody-b"}}) {
            String a = keys[0];
            String b = keys[1];
            List<Runnable> calls = List.of(
                    () -> graph.requireNode(a),
                    () -> graph.deleteNode(a),
                    () -> graph.upsertEdge(NewGraphEdge.of(a, "r", b)),
                    () -> graph.upsertEdge(NewGraphEdge.of("mine", "r", b)),
                    () -> graph.upsertEdge(NewGraphEdge.of(a, "r", "mine")),
                    () -> graph.deleteEdge(a, "r", b),
                    () -> graph.deleteEdge("mine", "r", b),
                    () -> graph.neighbours(a, Direction.BOTH, null),
                    () -> graph.neighbours(a, Direction.OUTGOING, "r", 1, null),
                    () -> graph.traverse(a, Direction.BOTH, null, 3, 10));
            List<String> messages = new java.util.ArrayList<>();
            for (Runnable call : calls) {
                Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call::run);
                assertThat(thrown).as(a).isInstanceOf(NotFoundException.class);
                messages.add(thrown.getMessage().replace(a, "A").replace(b, "B"));
            }
            if (a.startsWith("theirs")) {
                assertThat(graph.getNode(a)).isEmpty();
                refused.clear();
                refused.addAll(messages);
                assertThat(messages).noneSatisfy(m -> assertThat(m).containsAnyOf("globex", "secret"));
            } else {
                assertThat(messages).isEqualTo(refused);
            }
        }
        assertThat(graph.neighbours("mine", Direction.BOTH, null)).isEmpty();
        assertThat(other.neighbours("theirs-a", Direction.BOTH, null)).hasSize(1);
        assertThat(other.requireNode("theirs-a").label()).isEqualTo("globex secret");
    }

    private final List<String> refused = new java.util.ArrayList<>();

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
        assertThat(all).hasSize(6);   // six edges: the self-loop once
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

    // ---- probes of a demanding user (clock skew, loops, depth, edited cursors, bounds) ----------

    @Test
    @DisplayName("upserts from a second instance whose clock runs an hour behind keep createdAt and never move updatedAt back")
    void laggingClockUpserts() {
        GraphNode a = graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        GraphEdge e = graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        java.time.Instant t = a.createdAt();
        MemoryGraph lagging = reopen(x -> x.clock(new MutableClock(t.minus(java.time.Duration.ofHours(1))))).tenant("acme").graph();
        GraphNode a2 = lagging.upsertNode(NewGraphNode.of("a").label("late"));
        assertThat(a2.label()).isEqualTo("late");
        assertThat(a2.createdAt()).isEqualTo(t);
        assertThat(a2.updatedAt()).isEqualTo(t);
        GraphEdge e2 = lagging.upsertEdge(NewGraphEdge.of("a", "r", "b").weight(0.3));
        assertThat(e2.weight()).isEqualTo(0.3);
        assertThat(e2.createdAt()).isEqualTo(e.createdAt());
        assertThat(e2.updatedAt()).isEqualTo(e.updatedAt());
        assertThat(graph.getNode("a")).contains(a2);
        clock.advanceMicros(3);
        assertThat(graph.upsertNode(NewGraphNode.of("a")).updatedAt()).isEqualTo(t.plusNanos(3_000));
    }

    @Test
    @DisplayName("a self-loop is one outgoing and one incoming neighbour, and one neighbour both ways (one edge, once: the two rows would be"
            + " identical); traversal never reports the start, even through a loop or a cycle back to it")
    void selfLoops() {
        nodes("s", "t");
        graph.upsertEdge(NewGraphEdge.of("s", "self", "s").weight(0.25));
        assertThat(keys(graph.neighbours("s", Direction.OUTGOING, null))).containsExactly("s");
        assertThat(keys(graph.neighbours("s", Direction.INCOMING, null))).containsExactly("s");
        assertThat(keys(graph.neighbours("s", Direction.BOTH, null))).containsExactly("s");
        assertThat(keys(graph.neighbours("s", Direction.BOTH, "self", 1, null).items())).containsExactly("s");
        assertThat(graph.neighbours("s", Direction.BOTH, "self", 1, null).hasMore()).isFalse();
        for (Direction d : Direction.values()) {
            assertThat(graph.traverse("s", d, null, 10, 100)).as(d.name()).isEmpty();
        }
        graph.upsertEdge(NewGraphEdge.of("s", "r", "t"));
        graph.upsertEdge(NewGraphEdge.of("t", "r", "s"));
        graph.upsertEdge(NewGraphEdge.of("s", "r", "t"));
        assertThat(graph.neighbours("s", Direction.OUTGOING, "r")).hasSize(1);
        assertThat(graph.traverse("s", Direction.BOTH, null, 10, 100)).extracting(r -> r.node().key() + "@" + r.depth()).containsExactly("t@1");
    }

    @Test
    @DisplayName("a chain longer than the depth bound: traversal returns exactly maxDepth nodes at depths 1..maxDepth; depth and limit outside their bounds are refused by name")
    void deepChain() {
        int n = 40;
        for (int i = 0; i < n; i++) {
            graph.upsertNode(NewGraphNode.of(String.format("n%02d", i)));
            if (i > 0) {
                graph.upsertEdge(NewGraphEdge.of(String.format("n%02d", i - 1), "next", String.format("n%02d", i)));
            }
        }
        List<GraphReach> out = graph.traverse("n00", Direction.OUTGOING, "next", dev.atlas.Limits.MAX_GRAPH_DEPTH, dev.atlas.Limits.MAX_PAGE_SIZE);
        assertThat(out).extracting(r -> r.node().key() + "@" + r.depth())
                .containsExactly("n01@1", "n02@2", "n03@3", "n04@4", "n05@5", "n06@6", "n07@7", "n08@8", "n09@9", "n10@10");
        assertThat(graph.traverse("n39", Direction.INCOMING, null, 3, 2)).extracting(r -> r.node().key()).containsExactly("n38", "n37");
        assertThat(graph.traverse("n20", Direction.BOTH, null, 1, 10)).extracting(r -> r.node().key()).containsExactly("n19", "n21");
        assertThat(graph.traverse("n00", Direction.OUTGOING, "other", 10, 10)).isEmpty();
        for (int depth : new int[] {0, -1, Integer.MIN_VALUE, dev.atlas.Limits.MAX_GRAPH_DEPTH + 1, Integer.MAX_VALUE}) {
            invalid("maxDepth", () -> graph.traverse("n00", Direction.OUTGOING, null, depth, 10));
        }
        for (int limit : new int[] {0, -1, dev.atlas.Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            invalid("limit", () -> graph.traverse("n00", Direction.OUTGOING, null, 1, limit));
            invalid("limit", () -> graph.neighbours("n00", Direction.OUTGOING, null, limit, null));
        }
    }

    @Test
    @DisplayName("a node deleted with its edges and upserted again comes back as a new node without any of its old edges")
    void deleteThenRestore() {
        nodes("a", "b", "c");
        GraphNode before = graph.getNode("b").orElseThrow();
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("b", "r", "c"));
        graph.upsertEdge(NewGraphEdge.of("b", "self", "b"));
        graph.deleteNode("b");
        GraphNode restored = graph.upsertNode(NewGraphNode.of("b").label("again"));
        assertThat(restored.id()).isNotEqualTo(before.id());
        assertThat(graph.neighbours("b", Direction.BOTH, null)).isEmpty();
        assertThat(graph.neighbours("a", Direction.BOTH, null)).isEmpty();
        assertThat(graph.neighbours("c", Direction.BOTH, null)).isEmpty();
        assertThat(graph.traverse("a", Direction.BOTH, null, 10, 100)).isEmpty();
        assertThatThrownBy(() -> graph.deleteEdge("a", "r", "b")).isInstanceOf(NotFoundException.class);
        GraphEdge relinked = graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        assertThat(relinked.targetKey()).isEqualTo("b");
        assertThat(keys(graph.neighbours("a", Direction.OUTGOING, null))).containsExactly("b");
    }

    @Test
    @DisplayName("a neighbours cursor edited by hand (NaN or infinite weight, unknown direction, a bad id, another listing's) is refused naming cursor")
    void editedNeighbourCursors() {
        nodes("hub", "a", "b", "c");
        for (String k : List.of("a", "b", "c")) {
            graph.upsertEdge(NewGraphEdge.of("hub", "r", k));
        }
        String cursor = graph.neighbours("hub", Direction.BOTH, null, 1, null).nextCursor().orElseThrow();
        String raw = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
        String[] parts = raw.split("\u001f", -1);
        assertThat(parts).hasSize(5);
        java.util.function.Function<String[], String> enc = p -> java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(String.join("\u001f", p).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.util.function.BiFunction<Integer, String, String> with = (i, v) -> {
            String[] copy = parts.clone();
            copy[i] = v;
            return enc.apply(copy);
        };
        for (String edited : List.of(with.apply(2, "NaN"), with.apply(2, "Infinity"), with.apply(2, "-Infinity"), with.apply(2, "1e400"),
                with.apply(2, "x"), with.apply(4, "2"), with.apply(4, "-1"), with.apply(4, "99999999999999999999"), with.apply(3, "not-a-uuid"),
                with.apply(1, "memories"), enc.apply(java.util.Arrays.copyOf(parts, 4)))) {
            invalid("cursor", () -> graph.neighbours("hub", Direction.BOTH, null, 1, edited));
        }
        List<String> seen = new java.util.ArrayList<>(keys(graph.neighbours("hub", Direction.BOTH, null, 1, null).items()));
        seen.addAll(keys(graph.neighbours("hub", Direction.BOTH, null, 10, cursor).items()));
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "c");
    }

    @Test
    @DisplayName("a neighbours cursor is bound to its tenant and query: another tenant's cursor for the same key, or one of another"
            + " key, direction or edge type, is refused naming cursor; each tenant's own cursor pages on")
    void cursorOfAnotherTenantOrQueryIsRefused() {
        for (MemoryGraph g : List.of(graph, other)) {
            for (String k : List.of("hub", "a", "b")) {
                g.upsertNode(NewGraphNode.of(k));
            }
            g.upsertEdge(NewGraphEdge.of("hub", "r", "a").weight(0.9));
            g.upsertEdge(NewGraphEdge.of("hub", "r", "b").weight(0.1));
            g.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        }
        String acme = graph.neighbours("hub", Direction.BOTH, null, 1, null).nextCursor().orElseThrow();
        String globex = other.neighbours("hub", Direction.BOTH, null, 1, null).nextCursor().orElseThrow();
        invalid("cursor", () -> other.neighbours("hub", Direction.BOTH, null, 1, acme));
        invalid("cursor", () -> graph.neighbours("hub", Direction.BOTH, null, 1, globex));
        invalid("cursor", () -> graph.neighbours("hub", Direction.OUTGOING, null, 1, acme));
        invalid("cursor", () -> graph.neighbours("hub", Direction.BOTH, "r", 1, acme));
        invalid("cursor", () -> graph.neighbours("a", Direction.BOTH, null, 1, acme));
        assertThat(keys(graph.neighbours("hub", Direction.BOTH, null, 5, acme).items())).containsExactly("b");
        assertThat(keys(other.neighbours("hub", Direction.BOTH, null, 5, globex).items())).containsExactly("b");
    }

    @Test
    @DisplayName("concurrent upserts of one node key and of one edge leave one node and one edge, every caller seeing the same id")
    void concurrentUpserts() throws Exception {
        nodes("a", "b");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<java.util.UUID>> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int n = i;
                ids.add(pool.submit(() -> graph.upsertNode(NewGraphNode.of("k").label("v" + n)).id()));
                ids.add(pool.submit(() -> graph.upsertEdge(NewGraphEdge.of("a", "r", "b").weight(n)).id()));
            }
            java.util.Set<java.util.UUID> nodeIds = new java.util.HashSet<>();
            java.util.Set<java.util.UUID> edgeIds = new java.util.HashSet<>();
            for (int i = 0; i < ids.size(); i++) {
                (i % 2 == 0 ? nodeIds : edgeIds).add(ids.get(i).get());
            }
            assertThat(nodeIds).containsExactly(graph.getNode("k").orElseThrow().id());
            assertThat(edgeIds).hasSize(1);
            assertThat(graph.neighbours("a", Direction.OUTGOING, null)).extracting(x -> x.edge().id()).containsExactlyElementsOf(edgeIds);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("edge weights at the ends of double's range (±Double.MAX_VALUE, subnormals, ±Double.MIN_VALUE, zero) read back"
            + " bit-exact and page heaviest first, one edge a page, in the order of one page, both ways")
    void extremeWeightsPageExactly() {
        double[] weights = {-Double.MAX_VALUE, -Double.MIN_VALUE, 0.0, Double.MIN_VALUE, 1e-310, Double.MIN_NORMAL, Double.MAX_VALUE};
        nodes("hub");
        for (int i = 0; i < weights.length; i++) {
            nodes("n" + i);
            graph.upsertEdge(NewGraphEdge.of("hub", "r", "n" + i).weight(weights[i]));
            graph.upsertEdge(NewGraphEdge.of("n" + i, "r", "hub").weight(weights[i]));
        }
        List<Double> heaviestFirst = new java.util.ArrayList<>();
        for (int i = weights.length - 1; i >= 0; i--) {
            heaviestFirst.add(weights[i]);
        }
        for (Direction direction : List.of(Direction.OUTGOING, Direction.INCOMING)) {
            List<GraphNeighbour> whole = graph.neighbours("hub", direction, null, 100, null).items();
            assertThat(whole).extracting(n -> Double.doubleToRawLongBits(n.edge().weight()))
                    .containsExactlyElementsOf(heaviestFirst.stream().map(Double::doubleToRawLongBits).toList());
            List<GraphNeighbour> paged = new java.util.ArrayList<>();
            String cursor = null;
            do {
                dev.atlas.Page<GraphNeighbour> page = graph.neighbours("hub", direction, null, 1, cursor);
                paged.addAll(page.items());
                cursor = page.nextCursor().orElse(null);
            } while (cursor != null);
            assertThat(paged).as(direction.toString()).isEqualTo(whole);
        }
    }

    @Test
    @DisplayName("rf51: neighbour pages list a node's edges exactly as the database's own ORDER BY weight DESC, id (the statement's order"
            + " before V32) lists them, each direction, with and without a type, whole and one edge a page: a run of equal weights whose"
            + " ids differ in their first and last hex digits (UUID.compareTo's signed order is not the databases'), -0.0 beside 0.0,"
            + " ±Double.MAX_VALUE and subnormals, a self-loop")
    void neighbourOrderIsTheDatabasesOrder() throws java.sql.SQLException {
        Object[][] spec = {{"hub", "n0", "r", 1.0}, {"hub", "n1", "r", 1.0}, {"hub", "n2", "r", 1.0}, {"hub", "n3", "r", 1.0},
                {"hub", "n4", "r", 1.0}, {"n0", "hub", "r", 1.0}, {"n1", "hub", "r", 1.0}, {"n2", "hub", "r", 1.0},
                {"hub", "n5", "s", 1.0}, {"n5", "hub", "s", 1.0}, {"hub", "hub", "r", 1.0}, {"hub", "n6", "r", 0.0}, {"n6", "hub", "r", 0.0},
                {"hub", "n7", "r", Double.MAX_VALUE}, {"n7", "hub", "r", -Double.MAX_VALUE}, {"hub", "n8", "s", Double.MIN_VALUE},
                {"n8", "hub", "s", 1e-310}};
        String[] ids = {"ffffffff-ffff-7fff-bfff-fffffffffffe", "80000000-0000-7000-8000-000000000000", "7fffffff-ffff-7fff-bfff-ffffffffffff",
                "0000000a-0000-7000-8000-000000000000", "00000009-0000-7000-8000-000000000000", "00000000-0000-7000-8000-a00000000000",
                "00000000-0000-7000-8000-900000000000", "00000000-0000-7000-8000-00000000000a", "00000000-0000-7000-8000-000000000009",
                "00000000-0000-7000-8000-000000000001"};
        boolean pg = database.name().startsWith("PostgreSQL");
        String tenant = "acme";
        try (java.sql.Connection c = database.dataSource().getConnection()) {
            for (int i = 0; i < 10; i++) {
                graph.upsertNode(NewGraphNode.of(i == 0 ? "hub" : "n" + (i - 1)));
            }
            for (Object[] e : spec) {
                graph.upsertEdge(NewGraphEdge.of((String) e[0], (String) e[2], (String) e[1]).weight((double) e[3]));
            }
            // The equal weights' ids (UUIDv7, in creation order) replaced by ids that order differently as text and as signed longs.
            List<String> equal = new java.util.ArrayList<>();
            try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT id FROM atlas_graph_edges WHERE tenant_id = ? AND weight = 1.0 ORDER BY id")) {
                ps.setString(1, tenant);
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        equal.add(rs.getString(1));
                    }
                }
            }
            assertThat(equal).hasSize(11);
            for (int i = 0; i < ids.length; i++) {
                try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_graph_edges SET id = ? WHERE tenant_id = ? AND id = ?")) {
                    ps.setObject(1, pg ? java.util.UUID.fromString(ids[i]) : ids[i]);
                    ps.setString(2, tenant);
                    ps.setObject(3, pg ? java.util.UUID.fromString(equal.get(i)) : equal.get(i));
                    assertThat(ps.executeUpdate()).isEqualTo(1);
                }
            }
            // A negative zero (an import's or an older version's; NewGraphEdge stores 0.0) equals 0.0 and is ordered by id.
            try (java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_graph_edges SET weight = ? WHERE tenant_id = ?"
                    + " AND target_id = (SELECT id FROM atlas_graph_nodes WHERE tenant_id = ? AND node_key = 'n6')")) {
                ps.setDouble(1, -0.0);
                ps.setString(2, tenant);
                ps.setString(3, tenant);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            for (Direction d : Direction.values()) {
                String end = d == Direction.OUTGOING ? "e.source_id = h.id" : d == Direction.INCOMING ? "e.target_id = h.id"
                        : "(e.source_id = h.id OR e.target_id = h.id)";
                for (String type : new String[] {null, "s"}) {
                    List<java.util.UUID> expected = new java.util.ArrayList<>();
                    try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT e.id FROM atlas_graph_edges e JOIN atlas_graph_nodes h"
                            + " ON h.tenant_id = e.tenant_id AND h.node_key = 'hub' WHERE e.tenant_id = 'acme' AND " + end
                            + (type == null ? "" : " AND e.type = '" + type + "'") + " ORDER BY e.weight DESC, e.id")) {
                        try (java.sql.ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                expected.add(java.util.UUID.fromString(rs.getString(1)));
                            }
                        }
                    }
                    assertThat(expected).as(d + " " + type).hasSize(type != null ? (d == Direction.BOTH ? 4 : 2)
                            : d == Direction.BOTH ? 17 : d == Direction.OUTGOING ? 10 : 8);
                    List<GraphNeighbour> whole = graph.neighbours("hub", d, type, 100, null).items();
                    assertThat(whole).as(d + " " + type).extracting(n -> n.edge().id()).containsExactlyElementsOf(expected);
                    List<GraphNeighbour> paged = new java.util.ArrayList<>();
                    String cursor = null;
                    do {
                        dev.atlas.Page<GraphNeighbour> page = graph.neighbours("hub", d, type, 1, cursor);
                        paged.addAll(page.items());
                        cursor = page.nextCursor().orElse(null);
                    } while (cursor != null);
                    assertThat(paged).as(d + " " + type).isEqualTo(whole);
                }
            }
        }
    }

    @Test
    @DisplayName("NUL or an unpaired surrogate in a key, type, label or metadata is refused naming that field; nothing is written")
    void hostileGraphText() {
        nodes("a");
        invalid("key", () -> graph.upsertNode(NewGraphNode.of("a\u0000b")));
        invalid("key", () -> graph.upsertNode(NewGraphNode.of("\uD800")));
        invalid("label", () -> graph.upsertNode(NewGraphNode.of("b").label("x\u0000")));
        invalid("type", () -> graph.upsertNode(NewGraphNode.of("b").type("\uDC00")));
        invalid("metadata", () -> graph.upsertNode(NewGraphNode.of("b").metadata(Map.of("s", "a\u0000b"))));
        invalid("metadata", () -> graph.upsertEdge(NewGraphEdge.of("a", "r", "a").metadata(Map.of("n", Double.NaN))));
        invalid("type", () -> graph.upsertEdge(NewGraphEdge.of("a", "r\u0000", "a")));
        invalid("weight", () -> graph.upsertEdge(NewGraphEdge.of("a", "r", "a").weight(Double.NaN)));
        invalid("weight", () -> graph.upsertEdge(NewGraphEdge.of("a", "r", "a").weight(Double.NEGATIVE_INFINITY)));
        invalid("key", () -> graph.getNode("a\u0000"));
        assertThat(graph.getNode("b")).isEmpty();
        assertThat(graph.neighbours("a", Direction.BOTH, null)).isEmpty();
        GraphEdge negativeZero = graph.upsertEdge(NewGraphEdge.of("a", "r", "a").weight(-0.0));
        assertThat(graph.neighbours("a", Direction.OUTGOING, null).get(0).edge()).isEqualTo(negativeZero);
    }

    @Test
    @DisplayName("a BOTH traversal follows edges either way, with and without a type filter, each node at its shortest depth")
    void traverseBothWays() {
        nodes("a", "b", "c", "d", "e", "f");
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("d", "r", "c"));
        graph.upsertEdge(NewGraphEdge.of("d", "x", "e"));
        graph.upsertEdge(NewGraphEdge.of("f", "x", "a"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "a"));
        assertThat(graph.traverse("a", Direction.BOTH, null, 10, 100)).extracting(r -> r.node().key() + "@" + r.depth())
                .containsExactly("b@1", "f@1", "c@2", "d@3", "e@4");
        assertThat(graph.traverse("a", Direction.BOTH, "r", 10, 100)).extracting(r -> r.node().key() + "@" + r.depth())
                .containsExactly("b@1", "c@2", "d@3");
        assertThat(graph.traverse("b", Direction.INCOMING, "r", 10, 100)).extracting(r -> r.node().key() + "@" + r.depth())
                .containsExactly("a@1", "c@1", "d@2");
        assertThat(graph.traverse("e", Direction.INCOMING, "r", 10, 100)).isEmpty();
        assertThat(graph.traverse("e", Direction.BOTH, null, 2, 100)).extracting(r -> r.node().key() + "@" + r.depth())
                .containsExactly("d@1", "c@2");
    }

    @Test
    @DisplayName("a key quoted in a NotFoundException shows line breaks, controls and format characters as \\uXXXX escapes, so a"
            + " key cannot forge a log line (it was quoted raw)")
    void keysInErrorsAreEscaped() {
        String forged = "ghost\nERROR admin logged in\u202e\u0007";
        String shown = "ghost\\u000aERROR admin logged in\\u202e\\u0007";
        assertThatThrownBy(() -> graph.requireNode(forged)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("key: graph node " + shown + " not found")
                .satisfies(e -> assertThat(((NotFoundException) e).id()).as("id() is the key as given").isEqualTo(forged));
        assertThatThrownBy(() -> graph.deleteNode(forged)).hasMessage("key: graph node " + shown + " not found");
        graph.upsertNode(NewGraphNode.of("a"));
        assertThatThrownBy(() -> graph.upsertEdge(NewGraphEdge.of("a", "r\r", forged)))
                .hasMessage("targetKey: graph node " + shown + " not found");
        assertThatThrownBy(() -> graph.deleteEdge("a", "r\r", forged))
                .hasMessage("sourceKey: graph edge a -r\\u000d-> " + shown + " not found");
        assertThatThrownBy(() -> graph.requireNode("caf\u00e9 \uD83C\uDDEA\uD83C\uDDF7")).hasMessage("key: graph node caf\u00e9 \uD83C\uDDEA\uD83C\uDDF7 not found");
    }

    @Test
    @DisplayName("neighbours and traverse of a node another instance deletes with its edges right after the read's first statement"
            + " read the state before the delete (the node's edges), never the node without its edges: each is one statement"
            + " (the node looked up inside it), no commit, so one snapshot also inside an application's READ COMMITTED"
            + " transaction that Atlas joins, where they ask the connection nothing more and fail as its aborted state does"
            + " (PostgreSQL 25P02, not retryable)")
    void readsNeverShowHalfANodeDelete() throws Exception {
        boolean postgres = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
        ApplicationTransactions app = new ApplicationTransactions(database, postgres);
        CountingDataSource counting = new CountingDataSource(app.dataSource());
        dev.atlas.Atlas readerAtlas = reopen(b -> configure(b.dataSource(counting.dataSource())).migrate(false));
        MemoryGraph reader = readerAtlas.tenant("acme").graph();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) readerAtlas).db();
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        db.statementListener((name, sql) -> {
            if (name.startsWith("graph.") && armed.compareAndSet(true, false)) {
                graph.deleteNode("a"); // another instance commits right after the read's first statement
            }
        });
        List<String> seen = new java.util.ArrayList<>();
        try {
            for (boolean inApp : new boolean[] {false, true}) {
                for (boolean traverse : new boolean[] {false, true}) {
                    graph.upsertNode(NewGraphNode.of("a"));
                    graph.upsertNode(NewGraphNode.of("b"));
                    graph.upsertEdge(NewGraphEdge.of("a", "knows", "b"));
                    java.util.concurrent.Callable<List<String>> read = () -> {
                        counting.reset();
                        armed.set(true);
                        return traverse ? reader.traverse("a", Direction.OUTGOING, null, 2, 10).stream().map(r -> r.node().key()).toList()
                                : reader.neighbours("a", Direction.OUTGOING, null).stream().map(n -> n.node().key()).toList();
                    };
                    List<String> keys = inApp ? app.in(java.sql.Connection.TRANSACTION_READ_COMMITTED, read) : read.call();
                    seen.add((inApp ? "in the application's transaction, " : "") + (traverse ? "traverse " : "neighbours ") + keys + ": "
                            + counting.statements() + " statements, " + counting.commits() + " commits" + (armed.get() ? ", no delete ran" : ""));
                    assertThat(graph.node("a")).isEmpty();
                }
            }
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).containsExactly("neighbours [b]: 1 statements, 0 commits", "traverse [b]: 1 statements, 0 commits",
                "in the application's transaction, neighbours [b]: 1 statements, 0 commits",
                "in the application's transaction, traverse [b]: 1 statements, 0 commits");
        assertThat(app.isolationAsked()).as("getTransactionIsolation calls").isZero();
        graph.upsertNode(NewGraphNode.of("a"));
        for (Runnable r : List.<Runnable>of(() -> reader.neighbours("a", Direction.BOTH, null), () -> reader.traverse("a", Direction.BOTH, null, 2, 10))) {
            assertThat(app.afterAFailedStatement(r)).isEqualTo(postgres ? "StorageException 25P02 retryable=false" : "answered");
        }
    }

    @Test
    @DisplayName("node keys are matched exactly on every database: LIKE wildcards, case, a trailing space and the two"
            + " Unicode forms of one word are distinct keys, each reading its own node, edges and walk")
    void keysMatchExactly() {
        // A chain through the keys: each key's one outgoing neighbour is the next key.
        List<String> keys = List.of("a%", "ab", "a_", "a", "A", "a ", "café", "cafe\u0301");
        for (String k : keys) {
            graph.upsertNode(NewGraphNode.of(k).label("node " + k));
        }
        for (int i = 0; i + 1 < keys.size(); i++) {
            graph.upsertEdge(NewGraphEdge.of(keys.get(i), "r", keys.get(i + 1)));
        }
        for (int i = 0; i < keys.size(); i++) {
            String k = keys.get(i);
            assertThat(graph.getNode(k).orElseThrow().label()).as(k).isEqualTo("node " + k);
            assertThat(graph.neighbours(k, Direction.OUTGOING, null).stream().map(n -> n.node().key()).toList()).as(k)
                    .isEqualTo(i + 1 < keys.size() ? List.of(keys.get(i + 1)) : List.of());
        }
        assertThat(graph.traverse("a_", Direction.OUTGOING, null, 1, 10).stream().map(r -> r.node().key()).toList()).containsExactly("a");
        for (String absent : List.of("a%%", "a_b", "%", "AB", "a  ", "Café")) {
            assertThat(graph.getNode(absent)).as(absent).isEmpty();
        }
        graph.deleteNode("a%");
        graph.deleteNode("a_");
        assertThat(keys.stream().filter(k -> graph.getNode(k).isPresent()).toList()).containsExactly("ab", "a", "A", "a ", "café", "cafe\u0301");
    }
}
