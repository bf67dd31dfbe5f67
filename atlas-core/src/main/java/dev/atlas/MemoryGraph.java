package dev.atlas;

import java.util.List;
import java.util.Optional;

/**
 * The tenant's memory graph: nodes keyed by an application key (for example {@code "user:42"})
 * and typed, weighted, directed edges between them. Both are written with upsert semantics.
 * Obtain it from {@code atlas.tenant("acme").graph()}.
 */
public interface MemoryGraph {

    /** Creates the node, or updates label, type and metadata of the node with the same key. */
    GraphNode upsertNode(NewGraphNode node);

    Optional<GraphNode> node(String key);

    /** Deletes the node and every edge touching it; false when there was no such node. */
    boolean deleteNode(String key);

    /**
     * Creates the edge, or updates weight and metadata of the edge with the same source, target
     * and type. Both nodes must exist ({@link NotFoundException} otherwise).
     */
    GraphEdge upsertEdge(NewGraphEdge edge);

    /** Deletes one edge; false when there was no such edge. */
    boolean deleteEdge(String sourceKey, String type, String targetKey);

    /**
     * The nodes one edge away, heaviest edge first.
     *
     * @param edgeType only edges of this type, or {@code null} for any
     */
    List<GraphNeighbour> neighbours(String key, Direction direction, String edgeType);

    /**
     * Every node reachable from {@code key} in 1 to {@code maxDepth} edges (at most
     * {@link Limits#MAX_GRAPH_DEPTH}), nearest first, at most {@code limit} nodes. The start
     * node is not included. One statement (a recursive query) on both databases.
     *
     * @param edgeType only edges of this type, or {@code null} for any
     */
    List<GraphReach> traverse(String key, Direction direction, String edgeType, int maxDepth, int limit);
}
