package dev.atlas.conversation;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One entry of a message's audit trail, written in the same transaction as the change.
 *
 * @param id the event's id
 * @param conversationId the conversation of the message
 * @param messageId the message the event is about
 * @param type what happened to the message
 * @param details what changed, as each {@link MessageEventType} constant says (for example
 *                {@code {"to":"delivered","from":"queued"}}, or the previous content of an edit); keys
 *                iterate in PostgreSQL jsonb's order on both databases
 * @param createdAt when the change was written
 */
public record MessageEvent(
        UUID id,
        UUID conversationId,
        UUID messageId,
        MessageEventType type,
        Map<String, Object> details,
        Instant createdAt) {
    /**
     * Copies {@code details} deeply into a map that cannot be changed.
     *
     * @param id the event's id
     * @param conversationId the conversation
     * @param messageId the message
     * @param type what changed
     * @param details the details
     * @param createdAt when the change was written
     */
    public MessageEvent {
        details = dev.atlas.internal.Check.frozenJson(details);
    }
}
