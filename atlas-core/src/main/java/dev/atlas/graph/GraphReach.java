package dev.atlas.graph;

/**
 * A node reached by a traversal, at its shortest distance (in edges) from the start.
 *
 * @param node the node reached
 * @param depth its shortest distance from the start in edges, 1 or more
 */
public record GraphReach(GraphNode node, int depth) {}
