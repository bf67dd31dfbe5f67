package dev.atlas.graph;

import dev.atlas.internal.Check;

import java.util.Map;

import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

/**
 * A node to create or update by key: {@code NewGraphNode.of("user:42").label("Ada").type("person")}.
 *
 * @param key the node's key, unique within the tenant; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param label display text, or {@code null}
 * @param type application-defined node type, or {@code null}
 * @param metadata JSON-compatible application data; {@code null} is stored as empty
 */
public record NewGraphNode(String key, @Nullable String label, @Nullable String type, Map<String, Object> metadata) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param key the key
     * @param label display text, or {@code null}
     * @param type application-defined node type, or {@code null}
     * @param metadata JSON-compatible application data
     */
    public NewGraphNode {
        Check.key("key", key);
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
        Check.optionalKey("type", type);
        metadata = Check.metadata("metadata", metadata);
    }

    /**
     * Creates a {@code NewGraphNode} from {@code key}.
     *
     * @param key the key
     * @return the new value
     */
    public static NewGraphNode of(String key) {
        return new NewGraphNode(key, null, null, Map.of());
    }

    /**
     * Returns a copy with {@code label} replaced.
     *
     * @param label display text, or {@code null}
     * @return a copy with this change
     */
    public NewGraphNode label(@Nullable String label) {
        return new NewGraphNode(key, label, type, metadata);
    }

    /**
     * Returns a copy with {@code type} replaced.
     *
     * @param type application-defined node type, or {@code null}
     * @return a copy with this change
     */
    public NewGraphNode type(@Nullable String type) {
        return new NewGraphNode(key, label, type, metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewGraphNode metadata(Map<String, ?> metadata) {
        return new NewGraphNode(key, label, type, Check.given(metadata));
    }
}
