package dev.atlas.jdbi.internal;

import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * A JSON text already validated, bound as jsonb on PostgreSQL and as text on SQLite.
 *
 * @param text the JSON text
 * @param read the object {@code text} reads back as ({@link Json#readMap(String)}'s frozen map) when the writer parsed
 *             it already, so {@link Json#readMap(JsonDoc)} need not parse it again; {@code null} when not known
 */
public record JsonDoc(String text, @Nullable Map<String, Object> read) {
    /** A document of {@code text} whose read-back is not known yet. */
    public JsonDoc(String text) {
        this(text, null);
    }
}
