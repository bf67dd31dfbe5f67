package dev.atlas.graph;

import dev.atlas.internal.Check;

import java.util.Map;

import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

/**
 * A node to create or update by key: {@code NewGraphNode.of("user:42").label("Ada").type("person")}.
 *
 * @param label display text, or {@code null}
 * @param type  application-defined node type, or {@code null}
 */
public record NewGraphNode(String key, @Nullable String label, @Nullable String type, Map<String, Object> metadata) {
    public NewGraphNode {
        Check.key("key", key);
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
        Check.optionalKey("type", type);
        metadata = Check.metadata("metadata", metadata);
    }

    public static NewGraphNode of(String key) {
        return new NewGraphNode(key, null, null, Map.of());
    }

    public NewGraphNode label(@Nullable String label) {
        return new NewGraphNode(key, label, type, metadata);
    }

    public NewGraphNode type(@Nullable String type) {
        return new NewGraphNode(key, label, type, metadata);
    }

    public NewGraphNode metadata(Map<String, ?> metadata) {
        return new NewGraphNode(key, label, type, Check.metadata("metadata", metadata));
    }
}
