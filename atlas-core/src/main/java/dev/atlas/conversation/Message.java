package dev.atlas.conversation;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.atlas.Owner;

/**
 * A stored message. {@code sequence} is unique within its conversation, starts at 1 and has
 * no gaps. {@code active} is false for retry siblings that were replaced.
 */
public record Message(
        UUID id,
        String tenantId,
        UUID conversationId,
        long sequence,
        Role role,
        ContentType contentType,
        String content,
        MessageStatus status,
        String failureReason,
        boolean active,
        String clientId,
        Owner author,
        String agent,
        UUID parentId,
        UUID executionId,
        UUID stepId,
        Map<String, Object> metadata,
        Instant readAt,
        Instant editedAt,
        Instant createdAt,
        Instant updatedAt,
        Instant deletedAt) {

    public boolean isRead() {
        return readAt != null;
    }

    public boolean isDeleted() {
        return deletedAt != null;
    }
}
