package dev.atlas.conversation;

import dev.atlas.internal.Check;

/** What happened to a message, as recorded in its audit trail. */
public enum MessageEventType {
    /** Stored as {@code "created"}. */
    CREATED("created"),
    /** Stored as {@code "edited"}. */
    EDITED("edited"),
    /** Stored as {@code "deleted"}. */
    DELETED("deleted"),
    /** Stored as {@code "status_changed"}. */
    STATUS_CHANGED("status_changed"),
    /** Stored as {@code "activated"}. */
    ACTIVATED("activated");

    private final String wire;

    MessageEventType(String wire) {
        this.wire = wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code MessageEventType} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static MessageEventType of(String value) {
        return Check.enumValue("type", MessageEventType.class, value);
    }
}
