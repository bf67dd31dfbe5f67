package dev.atlas.graph;

import dev.atlas.internal.Check;

import java.util.Map;

import dev.atlas.InvalidInputException;

/**
 * An edge to create or update: {@code NewGraphEdge.of("user:42", "likes", "topic:jazz").weight(0.7)}.
 *
 * @param weight a finite number; 1.0 unless given
 */
public record NewGraphEdge(String sourceKey, String type, String targetKey, double weight, Map<String, Object> metadata) {
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

    public static NewGraphEdge of(String sourceKey, String type, String targetKey) {
        return new NewGraphEdge(sourceKey, type, targetKey, 1.0, Map.of());
    }

    public NewGraphEdge weight(double weight) {
        return new NewGraphEdge(sourceKey, type, targetKey, weight, metadata);
    }

    public NewGraphEdge metadata(Map<String, ?> metadata) {
        return new NewGraphEdge(sourceKey, type, targetKey, weight, Check.metadata("metadata", metadata));
    }
}
