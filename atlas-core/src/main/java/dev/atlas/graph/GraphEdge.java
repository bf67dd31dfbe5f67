package dev.atlas.graph;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A directed, typed, weighted edge of the memory graph; unique per (source, target, type). */
public record GraphEdge(UUID id, String sourceKey, String targetKey, String type, double weight, Map<String, Object> metadata,
                        Instant createdAt, Instant updatedAt) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
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
        metadata = dev.atlas.internal.Check.jsonObject(metadata);
    }
}
