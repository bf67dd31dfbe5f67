package dev.atlas.assistant;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.atlas.Owner;

/**
 * One immutable entry in an assistant's history: the system prompt and settings as they were
 * published (or restored by a rollback), who did it and when.
 *
 * @param number             1, 2, 3 … per assistant, gapless, in publish order
 * @param kind               published, or rollback
 * @param rolledBackToId     for a rollback: the earlier revision whose content this one copies; else {@code null}
 * @param rolledBackToNumber for a rollback: that revision's number; else 0
 * @param label              a short human label, or {@code null}
 * @param author             who published or rolled back, or {@code null}
 */
public record AssistantRevision(
        UUID id,
        String tenantId,
        UUID assistantId,
        int number,
        RevisionKind kind,
        UUID rolledBackToId,
        int rolledBackToNumber,
        String systemPrompt,
        Map<String, Object> settings,
        String label,
        Owner author,
        Instant createdAt) {
}
