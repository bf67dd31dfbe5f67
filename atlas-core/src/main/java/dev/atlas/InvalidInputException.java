package dev.atlas;

/**
 * An argument was rejected before anything was written. {@link #field()} names the offending
 * field; the message says what is allowed.
 */
public class InvalidInputException extends AtlasException {
    /** The input field that was refused. */
    private final String field;

    /**
     * Creates the exception.
     *
     * @param field the input field to name in the exception
     * @param problem the problem
     */
    public InvalidInputException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /**
     * The name of the rejected field, for example {@code "content"} or {@code "metadata"}.
     *
     * @return the input field to name in the exception
     */
    public String field() {
        return field;
    }
}
