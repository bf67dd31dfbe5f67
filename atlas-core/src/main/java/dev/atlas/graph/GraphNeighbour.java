package dev.atlas.graph;

/**
 * A node adjacent to the starting node, with the edge that connects them.
 *
 * @param node the adjacent node
 * @param edge the edge between the starting node and {@code node}
 */
public record GraphNeighbour(GraphNode node, GraphEdge edge) {}
