package dev.atlas.conversation;

import dev.atlas.internal.Check;

/** What happened to a message, as recorded in its audit trail. */
public enum MessageEventType {
    CREATED("created"),
    EDITED("edited"),
    DELETED("deleted"),
    STATUS_CHANGED("status_changed"),
    ACTIVATED("activated");

    private final String wire;

    MessageEventType(String wire) {
        this.wire = wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    public static MessageEventType of(String value) {
        return Check.enumValue("type", MessageEventType.class, value);
    }
}
