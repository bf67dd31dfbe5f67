package dev.atlas.assistant;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

/**
 * A stored assistant: its definition plus a pointer to the current {@link AssistantRevision}.
 *
 * @param owner                 who owns it, or {@code null}
 * @param temperature           at scale 2, or {@code null}
 * @param topP                  at scale 2, or {@code null}
 * @param currentRevisionId     the revision in use, or {@code null} before the first publish
 * @param currentRevisionNumber number of the revision in use, 0 before the first publish
 * @param lastRevisionNumber    highest revision number allocated so far
 * @param deletedAt             when it was soft-deleted, or {@code null}
 */
public record Assistant(
        UUID id,
        String tenantId,
        String slug,
        String name,
        @Nullable String description,
        boolean active,
        boolean isPublic,
        @Nullable Owner owner,
        @Nullable String defaultModel,
        @Nullable BigDecimal temperature,
        @Nullable BigDecimal topP,
        @Nullable Integer maxOutputTokens,
        List<String> tools,
        Map<String, Object> metadata,
        @Nullable UUID currentRevisionId,
        int currentRevisionNumber,
        int lastRevisionNumber,
        Instant createdAt,
        Instant updatedAt,
        @Nullable Instant deletedAt) {

    public Assistant {
        tools = List.copyOf(tools);
    }

    public Optional<UUID> currentRevision() {
        return Optional.ofNullable(currentRevisionId);
    }

    public boolean isDeleted() {
        return deletedAt != null;
    }
}
