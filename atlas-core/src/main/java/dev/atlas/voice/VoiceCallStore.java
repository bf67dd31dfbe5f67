package dev.atlas.voice;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Voice sessions of one tenant, from {@code atlas.tenant("acme").voiceCalls()}. The transcript is
 * always written whole in one statement, so a reader never sees half of a checkpoint.
 */
public interface VoiceCallStore {
    /** Starts a call in status active with an empty transcript. */
    VoiceCall start(NewVoiceCall call);

    /** Replaces the transcript of an active call with {@code transcript} (the whole list so far). */
    VoiceCall checkpoint(UUID callId, List<VoiceTurn> transcript);

    /** active → completed with the final transcript; records the completion time and duration. */
    VoiceCall complete(UUID callId, List<VoiceTurn> transcript);

    /** active → failed; the transcript so far is kept. */
    VoiceCall fail(UUID callId);

    /** Sets the summary (any status); {@code null} clears it. */
    VoiceCall summarize(UUID callId, String summary);

    Optional<VoiceCall> get(UUID callId);

    /** The conversation's calls, oldest first. */
    List<VoiceCall> byConversation(UUID conversationId);

    /** Calls with the provider's session id, oldest first. */
    List<VoiceCall> bySession(String sessionId);

    /** Marks active calls started more than {@code olderThan} ago completed; returns how many. */
    int completeStale(Duration olderThan);
}
