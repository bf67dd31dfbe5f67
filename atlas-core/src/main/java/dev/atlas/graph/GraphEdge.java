package dev.atlas.graph;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A directed, typed, weighted edge of the memory graph; unique per (source, target, type).
 *
 * @param id the id Atlas assigned
 * @param sourceKey key of the node the edge starts at
 * @param targetKey key of the node the edge points to
 * @param type the application-defined edge type, such as {@code "likes"}
 * @param weight a finite number; 1.0 unless given
 * @param metadata JSON-compatible application data; empty when none
 * @param createdAt when it was created
 * @param updatedAt when it was last written
 */
public record GraphEdge(UUID id, String sourceKey, String targetKey, String type, double weight, Map<String, Object> metadata,
                        Instant createdAt, Instant updatedAt) {
    /**
     * Copies {@code metadata} (keeping JSON {@code null} values), so the edge does not change with the caller's map.
     *
     * @param id the id Atlas assigned
     * @param sourceKey the source node's key
     * @param targetKey the target node's key
     * @param type the type
     * @param weight the edge weight
     * @param metadata JSON-compatible application data
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     */
    public GraphEdge {
        metadata = dev.atlas.internal.Check.frozenJson(metadata);
    }
}
