package dev.atlas.conversation;

/** Who a message is from, as a provider sees it. */
public enum Role {
    /** Stored as {@code "system"}. */
    SYSTEM("system"),
    /** Stored as {@code "user"}. */
    USER("user"),
    /** Stored as {@code "assistant"}. */
    ASSISTANT("assistant"),
    /** Stored as {@code "tool"}. */
    TOOL("tool");

    private final String wire;

    Role(String wire) {
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
    public static Role of(String value) {
        return dev.atlas.internal.Check.enumValue("role", Role.class, value);
    }
}
