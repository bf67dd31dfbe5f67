package dev.atlas.execution;

/**
 * What kind of provider call an execution is: the 16 types of seed 002's {@code ExecutionType}.
 * The database refuses any other value in the column (a CHECK on PostgreSQL, triggers on SQLite,
 * since V10).
 */
public enum ExecutionType {
    /** Stored as {@code "text"}. */
    TEXT("text"),
    /** Stored as {@code "structured"}. */
    STRUCTURED("structured"),
    /** Stored as {@code "stream"}. */
    STREAM("stream"),
    /** Stored as {@code "image"}. */
    IMAGE("image"),
    /** Stored as {@code "image_to_text"}. */
    IMAGE_TO_TEXT("image_to_text"),
    /** Stored as {@code "audio"}. */
    AUDIO("audio"),
    /** Stored as {@code "audio_to_text"}. */
    AUDIO_TO_TEXT("audio_to_text"),
    /** Stored as {@code "speech"}. */
    SPEECH("speech"),
    /** Stored as {@code "embed"}. */
    EMBED("embed"),
    /** Stored as {@code "moderate"}. */
    MODERATE("moderate"),
    /** Stored as {@code "rerank"}. */
    RERANK("rerank"),
    /** Stored as {@code "video"}. */
    VIDEO("video"),
    /** Stored as {@code "video_to_text"}. */
    VIDEO_TO_TEXT("video_to_text"),
    /** Stored as {@code "music"}. */
    MUSIC("music"),
    /** Stored as {@code "sfx"}. */
    SFX("sfx"),
    /** Stored as {@code "voice"}. */
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

    /**
     * Parses the stored form (case-insensitive), naming the allowed values when it is unknown.
     *
     * @param value the value
     * @return the new value
     */
    public static ExecutionType of(String value) {
        return dev.atlas.internal.Check.enumValue("type", ExecutionType.class, value);
    }
}
