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

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param slug the assistant's slug
     * @param name the name
     * @param description free text
     * @param active whether it is active
     * @param isPublic whether every user may see it
     * @param owner who owns it, or {@code null}
     * @param defaultModel the model key
     * @param temperature at scale 2, or {@code null}
     * @param topP at scale 2, or {@code null}
     * @param maxOutputTokens the output token limit
     * @param tools the tool names
     * @param metadata JSON-compatible application data
     * @param currentRevisionId the revision in use, or {@code null} before the first publish
     * @param currentRevisionNumber number of the revision in use, 0 before the first publish
     * @param lastRevisionNumber highest revision number allocated so far
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     * @param deletedAt when it was soft-deleted, or {@code null}
     */
    public Assistant {
        tools = List.copyOf(tools);
    }

    /**
     * The revision in use, or empty before the first publish.
     *
     * @return the UUID, or empty when there is none (an id of another tenant is absent)
     */
    public Optional<UUID> currentRevision() {
        return Optional.ofNullable(currentRevisionId);
    }

    /**
     * Whether it was soft-deleted.
     *
     * @return whether it was soft-deleted
     */
    public boolean isDeleted() {
        return deletedAt != null;
    }
}
