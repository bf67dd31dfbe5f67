package dev.atlas.assistant;

import dev.atlas.Owner;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One immutable entry in a {@link Settings} history, like {@link AssistantRevision} without a
 * system prompt.
 *
 * @param number             1, 2, 3 … per settings document, gapless, in publish order
 * @param kind               published, or rollback
 * @param rolledBackToId     for a rollback: the earlier revision whose values this one copies; else {@code null}
 * @param rolledBackToNumber for a rollback: that revision's number; else 0
 * @param values             the settings as published, for example {@code {"model": "gpt-4o", "temperature": 0.7}}
 * @param label              a short human label, or {@code null}
 * @param author             who published or rolled back, or {@code null}
 */
public record SettingsRevision(
        UUID id,
        String tenantId,
        UUID settingsId,
        int number,
        RevisionKind kind,
        @Nullable UUID rolledBackToId,
        int rolledBackToNumber,
        Map<String, Object> values,
        @Nullable String label,
        @Nullable Owner author,
        Instant createdAt) {
}
