package dev.atlas.asset;

/** What kind of file an asset is. */
public enum AssetType {
    /** Stored as {@code "image"}. */
    IMAGE("image"),
    /** Stored as {@code "audio"}. */
    AUDIO("audio"),
    /** Stored as {@code "video"}. */
    VIDEO("video"),
    /** Stored as {@code "document"}. */
    DOCUMENT("document"),
    /** Stored as {@code "text"}. */
    TEXT("text"),
    /** Stored as {@code "json"}. */
    JSON("json"),
    /** Stored as {@code "file"}. */
    FILE("file");

    private final String wire;

    AssetType(String wire) {
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
    public static AssetType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", AssetType.class, value);
    }
}
