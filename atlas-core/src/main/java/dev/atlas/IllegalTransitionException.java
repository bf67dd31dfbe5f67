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
     * @param from the state it was in
     * @param to the state it was asked to move to
     * @param allowed the states allowed from {@code from}, as the message should list them
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
     * The state it was in.
     *
     * @return the state it was in, as text
     */
    public String from() {
        return from;
    }

    /**
     * The state it was asked to move to.
     *
     * @return the requested state, as text
     */
    public String to() {
        return to;
    }
}
