package dev.atlas;

/**
 * A status change that the entity's state machine does not allow, for example a delivered
 * message going back to queued. Nothing was written.
 */
public class IllegalTransitionException extends AtlasException {
    private final String field;
    private final String from;
    private final String to;

    public IllegalTransitionException(String field, Object from, Object to, String allowed) {
        super(field + ": cannot change from " + from + " to " + to + "; allowed from " + from + ": " + allowed);
        this.field = field;
        this.from = String.valueOf(from);
        this.to = String.valueOf(to);
    }

    public String field() {
        return field;
    }

    public String from() {
        return from;
    }

    public String to() {
        return to;
    }
}
