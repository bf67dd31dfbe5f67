package dev.atlas.voice;

import dev.atlas.Owner;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A voice session with its whole transcript, oldest turn first. */
public record VoiceCall(
        UUID id,
        String tenantId,
        String sessionId,
        UUID conversationId,
        UUID executionId,
        Owner owner,
        String agent,
        String provider,
        String model,
        VoiceCallStatus status,
        List<VoiceTurn> transcript,
        String summary,
        Long durationMs,
        Map<String, Object> metadata,
        Instant startedAt,
        Instant completedAt,
        Instant createdAt,
        Instant updatedAt) {

    public VoiceCall {
        transcript = List.copyOf(transcript);
    }
}
