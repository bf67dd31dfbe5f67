package dev.atlas;

/**
 * The call contradicts what is already stored, for example a client message id reused with
 * different content, or a unique key that is already taken.
 */
public class ConflictException extends AtlasException {
    /** The input field the conflict is about. */
    private final String field;

    /**
     * Creates the exception.
     *
     * @param field the input field to name in the exception
     * @param message what went wrong
     */
    public ConflictException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /**
     * The field whose value conflicts with stored data.
     *
     * @return the input field to name in the exception
     */
    public String field() {
        return field;
    }
}
