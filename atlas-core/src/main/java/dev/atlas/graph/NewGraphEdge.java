package dev.atlas.graph;

import dev.atlas.internal.Check;

import java.util.Map;

import dev.atlas.InvalidInputException;

/**
 * An edge to create or update: {@code NewGraphEdge.of("user:42", "likes", "topic:jazz").weight(0.7)}.
 *
 * @param sourceKey key of the node the edge starts at; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param type the application-defined edge type; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param targetKey key of the node the edge points to; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param weight a finite number; 1.0 unless given
 * @param metadata JSON-compatible application data; {@code null} is stored as empty
 */
public record NewGraphEdge(String sourceKey, String type, String targetKey, double weight, Map<String, Object> metadata) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param sourceKey the source node's key
     * @param type the type
     * @param targetKey the target node's key
     * @param weight a finite number; 1.0 unless given
     * @param metadata JSON-compatible application data
     */
    public NewGraphEdge {
        Check.key("sourceKey", sourceKey);
        Check.key("type", type);
        Check.key("targetKey", targetKey);
        if (!Double.isFinite(weight)) {
            throw new InvalidInputException("weight", "must be a finite number, was " + weight);
        }
        weight += 0.0; // -0.0 becomes 0.0: SQLite cannot store a negative zero
        metadata = Check.metadata("metadata", metadata);
    }

    /**
     * Creates a {@code NewGraphEdge} from {@code sourceKey}, {@code type}, {@code targetKey}.
     *
     * @param sourceKey the source node's key
     * @param type the type
     * @param targetKey the target node's key
     * @return the new value
     */
    public static NewGraphEdge of(String sourceKey, String type, String targetKey) {
        return new NewGraphEdge(sourceKey, type, targetKey, 1.0, Map.of());
    }

    /**
     * Returns a copy with {@code weight} replaced.
     *
     * @param weight a finite number; 1.0 unless given
     * @return a copy with this change
     */
    public NewGraphEdge weight(double weight) {
        return new NewGraphEdge(sourceKey, type, targetKey, weight, metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewGraphEdge metadata(Map<String, ?> metadata) {
        return new NewGraphEdge(sourceKey, type, targetKey, weight, Check.given(metadata));
    }
}
