package dev.atlas.graph;

/** Which edges of a node to follow in the memory graph. */
public enum Direction {
    /** Edges whose source is the node. */
    OUTGOING,
    /** Edges whose target is the node. */
    INCOMING,
    /** Both. */
    BOTH;

    /**
     * Parses a constant's name in any case ({@code "outgoing"} or {@code "OUTGOING"}), as the other enums' {@code of} do: an unknown name or
     * {@code null} is refused naming the allowed values, where {@code valueOf} throws Java's own
     * {@code IllegalArgumentException} or {@code NullPointerException}. For a value from a request or a property.
     *
     * @param value the name
     * @return the constant
     * @throws dev.atlas.InvalidInputException naming {@code direction} when {@code value} is no constant's name
     */
    public static Direction of(String value) {
        return dev.atlas.internal.Check.enumValue("direction", Direction.class, value);
    }
}
