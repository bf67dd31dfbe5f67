package dev.atlas;

/**
 * An argument was rejected before anything was written. {@link #field()} names the offending
 * field; the message says what is allowed.
 */
public class InvalidInputException extends AtlasException {
    private final String field;

    public InvalidInputException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The name of the rejected field, for example {@code "content"} or {@code "metadata"}. */
    public String field() {
        return field;
    }
}
