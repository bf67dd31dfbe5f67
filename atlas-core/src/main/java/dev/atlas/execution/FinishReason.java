package dev.atlas.execution;

/** Why the provider stopped generating in a step. */
public enum FinishReason {
    STOP("stop"),
    TOOL_CALLS("tool_calls"),
    LENGTH("length"),
    CONTENT_FILTER("content_filter"),
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

    /** Parses the stored form (case-insensitive), naming the allowed values when it is unknown. */
    public static FinishReason of(String value) {
        return dev.atlas.internal.Check.enumValue("finishReason", FinishReason.class, value);
    }
}
