package dev.atlas.search;

/** What a search looks at. Assets have vectors but no full-text index. */
public enum SearchTarget {
    /** Stored as {@code "message"}. */
    MESSAGE("message"),
    /** Stored as {@code "memory"}. */
    MEMORY("memory"),
    /** Stored as {@code "asset"}. */
    ASSET("asset");

    private final String wire;

    SearchTarget(String wire) {
        this.wire = wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code SearchTarget} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static SearchTarget of(String value) {
        return dev.atlas.internal.Check.enumValue("target", SearchTarget.class, value);
    }
}
