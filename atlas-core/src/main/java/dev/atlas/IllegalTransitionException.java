package dev.atlas;

/**
 * A status change that the entity's state machine does not allow, for example a delivered
 * message going back to queued. Nothing was written.
 */
public class IllegalTransitionException extends AtlasException {
    /** The input field the transition is about. */
    private final String field;
    /** The state it was in. */
    private final String from;
    /** The state it was asked to move to. */
    private final String to;

    /**
     * Creates the exception.
     *
     * @param field the input field to name in the exception
     * @param from inclusive lower bound of the creation time
     * @param to exclusive upper bound of the creation time
     * @param allowed the allowed
     */
    public IllegalTransitionException(String field, Object from, Object to, String allowed) {
        super(field + ": cannot change from " + from + " to " + to + "; allowed from " + from + ": " + allowed);
        this.field = field;
        this.from = String.valueOf(from);
        this.to = String.valueOf(to);
    }

    /**
     * The input field to name in the exception.
     *
     * @return the input field to name in the exception
     */
    public String field() {
        return field;
    }

    /**
     * Inclusive lower bound of the creation time.
     *
     * @return inclusive lower bound of the creation time
     */
    public String from() {
        return from;
    }

    /**
     * Exclusive upper bound of the creation time.
     *
     * @return exclusive upper bound of the creation time
     */
    public String to() {
        return to;
    }
}
