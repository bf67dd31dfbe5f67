package dev.atlas.conversation;

/** A conversation with a person, or an internal thread spawned by a tool call. */
public enum ConversationType {
    /** Stored as {@code "user"}. */
    USER("user"),
    /** Stored as {@code "tool"}. */
    TOOL("tool");

    private final String wire;

    ConversationType(String wire) {
        this.wire = wire;
    }

    /** The stored form; also accepted by {@link #of(String)}. */
    @Override
    public String toString() {
        return wire;
    }

    /**
     * Parses the stored form (case-insensitive), naming the allowed values when it is unknown.
     *
     * @param value the value
     * @return the new value
     */
    public static ConversationType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", ConversationType.class, value);
    }
}
