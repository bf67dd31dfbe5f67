package dev.atlas.execution;

/** Where a tool runs: in the application (local), on an MCP server, or inside the provider. */
public enum ToolCallType {
    /** Stored as {@code "local"}. */
    LOCAL("local"),
    /** Stored as {@code "mcp"}. */
    MCP("mcp"),
    /** Stored as {@code "provider"}. */
    PROVIDER("provider");

    private final String wire;

    ToolCallType(String wire) {
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
    public static ToolCallType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", ToolCallType.class, value);
    }
}
