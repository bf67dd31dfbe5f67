package dev.atlas;

/**
 * The call contradicts what is already stored, for example a client message id reused with
 * different content, or a unique key that is already taken.
 */
public class ConflictException extends AtlasException {
    private final String field;

    public ConflictException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The field whose value conflicts with stored data. */
    public String field() {
        return field;
    }
}
