package dev.atlas.asset;

/** What kind of file an asset is. */
public enum AssetType {
    IMAGE("image"),
    AUDIO("audio"),
    VIDEO("video"),
    DOCUMENT("document"),
    TEXT("text"),
    JSON("json"),
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

    /** Parses the stored form (case-insensitive), naming the allowed values when it is unknown. */
    public static AssetType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", AssetType.class, value);
    }
}
