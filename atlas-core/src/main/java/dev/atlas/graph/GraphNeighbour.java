package dev.atlas.graph;

/** A node adjacent to the starting node, with the edge that connects them. */
public record GraphNeighbour(GraphNode node, GraphEdge edge) {}
