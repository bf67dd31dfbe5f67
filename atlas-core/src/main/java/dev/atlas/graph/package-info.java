/**
 * A small property graph of memory nodes and typed edges, with neighbour listing and bounded
 * traversal. Start at {@link dev.atlas.graph.MemoryGraph}.
 */
@NullMarked
package dev.atlas.graph;

import org.jspecify.annotations.NullMarked;
