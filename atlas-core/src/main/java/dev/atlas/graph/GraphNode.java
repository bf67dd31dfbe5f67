package dev.atlas.graph;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A node of the memory graph, identified within its tenant by {@code key}. */
public record GraphNode(UUID id, String key, @Nullable String label, @Nullable String type, Map<String, Object> metadata, Instant createdAt, Instant updatedAt) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param id the id Atlas assigned
     * @param key the key
     * @param label a short label
     * @param type the type
     * @param metadata JSON-compatible application data
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     */
    public GraphNode {
        metadata = dev.atlas.internal.Check.jsonObject(metadata);
    }
}
