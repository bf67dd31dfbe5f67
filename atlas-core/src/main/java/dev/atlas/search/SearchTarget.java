package dev.atlas.search;

/** What a search looks at. Assets have vectors but no full-text index. */
public enum SearchTarget {
    MESSAGE("message"),
    MEMORY("memory"),
    ASSET("asset");

    private final String wire;

    SearchTarget(String wire) {
        this.wire = wire;
    }

    @Override
    public String toString() {
        return wire;
    }

    public static SearchTarget of(String value) {
        return dev.atlas.internal.Check.enumValue("target", SearchTarget.class, value);
    }
}
