package dev.atlas.conversation;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.Atlas;
import dev.atlas.Owner;

/**
 * A stored conversation. Timestamps are UTC instants at microsecond precision.
 *
 * @param lastSequence  the sequence of the newest message (0 when empty)
 * @param lastMessageAt when the newest message was appended, or {@code null}
 * @param archivedAt    when it was last archived, or {@code null}
 * @param closedAt      when it was closed, or {@code null}
 * @param deletedAt     when it was soft-deleted, or {@code null}
 * @param assistantRevisionId the assistant revision it runs with, or {@code null}
 * @param externalKey   the id it is known by outside Atlas (see {@link ConversationStore#ensure}), or {@code null}
 */
public record Conversation(
        UUID id,
        String tenantId,
        Owner owner,
        String agent,
        UUID assistantId,
        ConversationType type,
        UUID parentConversationId,
        UUID parentToolCallId,
        String title,
        String summary,
        ConversationStatus status,
        Map<String, Object> metadata,
        long lastSequence,
        Instant lastMessageAt,
        Instant archivedAt,
        Instant closedAt,
        Instant createdAt,
        Instant updatedAt,
        Instant deletedAt,
        UUID assistantRevisionId,
        String externalKey) {

    public Optional<String> titleIfSet() {
        return Optional.ofNullable(title);
    }

    public boolean isDeleted() {
        return deletedAt != null;
    }
}
