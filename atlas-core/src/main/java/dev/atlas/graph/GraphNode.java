package dev.atlas.graph;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A node of the memory graph, identified within its tenant by {@code key}.
 *
 * @param id the id Atlas assigned
 * @param key the key, unique within the tenant
 * @param label display text, or {@code null} when none was given
 * @param type the application-defined node type, or {@code null} when none was given
 * @param metadata JSON-compatible application data; empty when none
 * @param createdAt when it was created
 * @param updatedAt when it was last written
 */
public record GraphNode(UUID id, String key, @Nullable String label, @Nullable String type, Map<String, Object> metadata, Instant createdAt, Instant updatedAt) {
    /**
     * Copies {@code metadata} (keeping JSON {@code null} values), so the node does not change with the caller's map.
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
        metadata = dev.atlas.internal.Check.frozenJson(metadata);
    }
}
