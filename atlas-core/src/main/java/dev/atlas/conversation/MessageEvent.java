package dev.atlas.conversation;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One entry of a message's audit trail, written in the same transaction as the change.
 *
 * @param details what changed, for example {@code {"from":"queued","to":"delivered"}} or the
 *                previous content of an edit
 */
public record MessageEvent(
        UUID id,
        UUID conversationId,
        UUID messageId,
        MessageEventType type,
        Map<String, Object> details,
        Instant createdAt) {}
