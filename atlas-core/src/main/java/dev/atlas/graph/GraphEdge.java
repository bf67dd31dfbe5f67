package dev.atlas.graph;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A directed, typed, weighted edge of the memory graph; unique per (source, target, type). */
public record GraphEdge(UUID id, String sourceKey, String targetKey, String type, double weight, Map<String, Object> metadata,
                        Instant createdAt, Instant updatedAt) {
    public GraphEdge {
        metadata = dev.atlas.internal.Check.jsonObject(metadata);
    }
}
