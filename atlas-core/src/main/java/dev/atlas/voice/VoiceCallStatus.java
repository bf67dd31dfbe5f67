package dev.atlas.voice;

/** Lifecycle of a voice call: active → completed | failed. */
public enum VoiceCallStatus {
    /** Stored as {@code "active"}. */
    ACTIVE("active"),
    /** Stored as {@code "completed"}. */
    COMPLETED("completed"),
    /** Stored as {@code "failed"}. */
    FAILED("failed");

    private final String wire;

    VoiceCallStatus(String wire) {
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
    public static VoiceCallStatus of(String value) {
        return dev.atlas.internal.Check.enumValue("status", VoiceCallStatus.class, value);
    }
}
