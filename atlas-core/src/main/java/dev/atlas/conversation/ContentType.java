package dev.atlas.conversation;

/** How a message's content is to be read: plain text or a JSON document. */
public enum ContentType {
    /** Stored as {@code "text"}. */
    TEXT("text"),
    /** Stored as {@code "json"}. */
    JSON("json");

    private final String wire;

    ContentType(String wire) {
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
    public static ContentType of(String value) {
        return dev.atlas.internal.Check.enumValue("contentType", ContentType.class, value);
    }
}
