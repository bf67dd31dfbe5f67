package dev.atlas.graph;

/** A node reached by a traversal, at its shortest distance (in edges) from the start. */
public record GraphReach(GraphNode node, int depth) {}
