package dev.atlas.execution;

/** Why the provider stopped generating in a step. */
public enum FinishReason {
    /** Stored as {@code "stop"}. */
    STOP("stop"),
    /** Stored as {@code "tool_calls"}. */
    TOOL_CALLS("tool_calls"),
    /** Stored as {@code "length"}. */
    LENGTH("length"),
    /** Stored as {@code "content_filter"}. */
    CONTENT_FILTER("content_filter"),
    /** Stored as {@code "error"}. */
    ERROR("error");

    private final String wire;

    FinishReason(String wire) {
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
    public static FinishReason of(String value) {
        return dev.atlas.internal.Check.enumValue("finishReason", FinishReason.class, value);
    }
}
