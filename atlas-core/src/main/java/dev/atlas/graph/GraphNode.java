package dev.atlas.graph;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A node of the memory graph, identified within its tenant by {@code key}. */
public record GraphNode(UUID id, String key, @Nullable String label, @Nullable String type, Map<String, Object> metadata, Instant createdAt, Instant updatedAt) {
    public GraphNode {
        metadata = dev.atlas.internal.Check.jsonObject(metadata);
    }
}
