package dev.atlas.graph;

/** Which edges of a node to follow in the memory graph. */
public enum Direction {
    /** Edges whose source is the node. */
    OUTGOING,
    /** Edges whose target is the node. */
    INCOMING,
    /** Both. */
    BOTH
}
