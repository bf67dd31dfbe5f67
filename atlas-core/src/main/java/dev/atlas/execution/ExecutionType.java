package dev.atlas.execution;

/**
 * What kind of provider call an execution is: the 16 types of seed 002's {@code ExecutionType}.
 * The database refuses any other value in the column (a CHECK on PostgreSQL, triggers on SQLite,
 * since V10).
 */
public enum ExecutionType {
    TEXT("text"),
    STRUCTURED("structured"),
    STREAM("stream"),
    IMAGE("image"),
    IMAGE_TO_TEXT("image_to_text"),
    AUDIO("audio"),
    AUDIO_TO_TEXT("audio_to_text"),
    SPEECH("speech"),
    EMBED("embed"),
    MODERATE("moderate"),
    RERANK("rerank"),
    VIDEO("video"),
    VIDEO_TO_TEXT("video_to_text"),
    MUSIC("music"),
    SFX("sfx"),
    VOICE("voice");

    private final String wire;

    ExecutionType(String wire) {
        this.wire = wire;
    }

    /** The stored form; also accepted by {@link #of(String)}. */
    @Override
    public String toString() {
        return wire;
    }

    /** Parses the stored form (case-insensitive), naming the allowed values when it is unknown. */
    public static ExecutionType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", ExecutionType.class, value);
    }
}
