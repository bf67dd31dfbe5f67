package dev.atlas;

import org.jspecify.annotations.Nullable;

import java.util.Optional;

/**
 * The referenced row does not exist in the calling tenant (or was deleted). A row that exists
 * in another tenant is reported exactly like one that does not exist at all.
 */
public class NotFoundException extends AtlasException {
    /** What was looked up, for example {@code "conversation"}. */
    private final String entity;
    /** The id that was not found, as the caller gave it. */
    private final Object id;
    /** The input field that carried the id, or {@code null}. */
    private final @Nullable String field;

    /**
     * Creates the exception.
     *
     * @param entity what was looked up, for example {@code "conversation"}
     * @param id the id or key that was looked up (a UUID, an external key, a graph node's key, a name)
     */
    public NotFoundException(String entity, Object id) {
        this(entity, id, null);
    }

    /**
     * An id passed in {@code field} of a write (for example {@code "assistantId"}) names no row
     * of this tenant; the message starts with the field, as {@link InvalidInputException}'s does.
     *
     * @param entity what was looked up, for example {@code "conversation"}
     * @param id the id or key that was looked up (a UUID, an external key, a graph node's key, a name)
     * @param field the input field to name in the exception, or {@code null}
     */
    public NotFoundException(String entity, Object id, @Nullable String field) {
        // A key (a graph node's, an external key, a schedule's name) may hold a line break or a bidi
        // control: the message shows it escaped, so it forges no log line; id() keeps it as given.
        super((field == null ? "" : field + ": ") + entity + " " + (id instanceof String key ? dev.atlas.internal.Check.escaped(key) : id)
                + " not found");
        this.entity = entity;
        this.id = id;
        this.field = field;
    }

    /**
     * What kind of row was looked up, for example {@code "conversation"}.
     *
     * @return what was looked up, for example {@code "conversation"}
     */
    public String entity() {
        return entity;
    }

    /**
     * The id that was looked up.
     *
     * @return the id or key as given, unescaped (the message shows a key's control characters escaped)
     */
    public Object id() {
        return id;
    }

    /**
     * The argument field that carried the id, when the id came in a write's input.
     *
     * @return the field's name, or empty when the id was looked up directly
     */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }
}
