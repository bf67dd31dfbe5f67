package dev.atlas.graph;

import java.util.List;
import java.util.Optional;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * The tenant's memory graph: nodes keyed by an application key (for example {@code "user:42"})
 * and typed, weighted, directed edges between them. Both are written with upsert semantics.
 * Obtain it from {@code atlas.tenant("acme").graph()}.
 */
public interface MemoryGraph {

    /**
     * Creates the node, or updates label, type and metadata of the node with the same key.
     *
     * @param node the node
     * @return the graphNode
     */
    GraphNode upsertNode(NewGraphNode node);

    /**
     * Reads the node with this key; absent when there is none.
     *
     * @param key the key
     * @return the GraphNode, or empty when there is none (an id of another tenant is absent)
     */
    Optional<GraphNode> getNode(String key);

    /**
     * The node with this key; throws {@link dev.atlas.NotFoundException} naming {@code key} when absent.
     *
     * @param key the key
     * @return the graphNode
     */
    default GraphNode requireNode(String key) {
        return getNode(key).orElseThrow(() -> new dev.atlas.NotFoundException("graph node", key, "key"));
    }

    /**
     * @deprecated use {@link #getNode(String)}; removed in 1.0.
     * @param key the key
     * @return the GraphNode, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<GraphNode> node(String key) {
        return getNode(key);
    }

    /**
     * Deletes the node and every edge touching it; throws {@link NotFoundException} naming {@code key} when there is none.
     *
     * @param key the key
     * @throws NotFoundException naming {@code key} when this tenant has no node with that key
     */
    void deleteNode(String key);

    /**
     * Creates the edge, or updates weight and metadata of the edge with the same source, target
     * and type. Both nodes must exist ({@link NotFoundException} otherwise).
     *
     * @param edge the edge
     * @return the graphEdge
     * @throws NotFoundException naming {@code sourceKey} (checked first) or {@code targetKey} when this tenant has no
     *         node with that key (another tenant's node is refused alike, with the same message); nothing is written
     */
    GraphEdge upsertEdge(NewGraphEdge edge);

    /**
     * Deletes one edge; throws {@link NotFoundException} naming {@code sourceKey} when there is none.
     *
     * @param sourceKey the source node's key
     * @param type the type
     * @param targetKey the target node's key
     * @throws NotFoundException naming {@code sourceKey} when this tenant has no such edge (whichever part is missing)
     */
    void deleteEdge(String sourceKey, String type, String targetKey);

    /**
     * One page of the nodes one edge away, heaviest edge first (ties: oldest edge first). With
     * {@link Direction#BOTH} a node linked both ways appears once per edge, and a self-loop once (it is one edge).
     * One statement looks the node up and reads its edges, so one snapshot at every isolation level,
     * also inside an application's transaction that Atlas joins (where it also sees the
     * application's own uncommitted writes): a {@link #deleteNode} committed meanwhile by another
     * instance gives the edges as they were, never the node without them.
     *
     * @param edgeType only edges of this type, or {@code null} for any
     * @param limit    page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor   {@link Page#nextCursor()} of the previous page of this tenant's same key,
     *                 direction and edge type, or {@code null} for the first; any other is an
     *                 {@link dev.atlas.InvalidInputException} on {@code cursor}
     * @param key the key
     * @param direction which edges to follow
     * @return one page of results and the cursor of the next
     * @throws NotFoundException naming {@code key} when this tenant has no node with that key
     */
    Page<GraphNeighbour> neighbours(String key, Direction direction, @Nullable String edgeType, int limit, @Nullable String cursor);

    /**
     * Every node one edge away, as {@link #neighbours(String, Direction, String, int, String)},
     * when there are at most {@link Limits#MAX_PAGE_SIZE}; with more it fails with
     * {@link InvalidInputException} naming {@code key} (never a silently shortened list).
     *
     * @param key the key
     * @param direction which edges to follow
     * @param edgeType only edges of this type, or {@code null} for any
     * @return the matching items, in order
     * @throws NotFoundException naming {@code key} when this tenant has no node with that key
     */
    default List<GraphNeighbour> neighbours(String key, Direction direction, @Nullable String edgeType) {
        Page<GraphNeighbour> page = neighbours(key, direction, edgeType, Limits.MAX_PAGE_SIZE, null);
        if (page.hasMore()) {
            throw new InvalidInputException("key", "has more than " + Limits.MAX_PAGE_SIZE
                    + " neighbours; page them with neighbours(key, direction, edgeType, limit, cursor)");
        }
        return page.items();
    }

    /**
     * Every node reachable from {@code key} in 1 to {@code maxDepth} edges (at most
     * {@link Limits#MAX_GRAPH_DEPTH}), nearest first, at most {@code limit} nodes. The start
     * node is not included. One statement (a recursive query) on both databases, which also looks
     * the start node up: one snapshot at every isolation level, also inside an application's
     * transaction that Atlas joins.
     *
     * @param edgeType only edges of this type, or {@code null} for any
     * @param key the key
     * @param direction which edges to follow
     * @param maxDepth how many hops at most
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return the matching items, in order
     * @throws NotFoundException naming {@code key} when this tenant has no node with that key
     */
    List<GraphReach> traverse(String key, Direction direction, @Nullable String edgeType, int maxDepth, int limit);
}
