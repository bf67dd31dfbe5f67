package dev.atlas.conversation;

import dev.atlas.internal.Check;

import java.util.UUID;

import dev.atlas.Limits;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * One page of a message's audit trail for {@link ConversationStore#events(MessageEventQuery)},
 * oldest first. A conversation's trail (all its messages' events, by type and time, either
 * order) is {@link ConversationEventQuery}'s.
 *
 * <pre>{@code
 * Page<MessageEvent> page = store.events(MessageEventQuery.forMessage(id).limit(100));
 * while (page.hasMore()) {
 *     page = store.events(MessageEventQuery.forMessage(id).limit(100).after(page.nextCursor().get()));
 * }
 * }</pre>
 *
 * @param messageId the message whose events are listed
 * @param limit     page size, 1 to {@link Limits#MAX_PAGE_SIZE}; 50 by default
 * @param cursor    {@link Page#nextCursor()} of the previous page, or {@code null}
 */
public record MessageEventQuery(UUID messageId, int limit, @Nullable String cursor) {
    /** The page size of {@link #forMessage(UUID)} and of {@link ConversationStore#events(UUID)}. */
    public static final int DEFAULT_LIMIT = 50;

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param messageId the message whose events are listed
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}; 50 by default
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     */
    public MessageEventQuery {
        Check.notNull("messageId", messageId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * The first page of the message's events, {@value #DEFAULT_LIMIT} at most.
     *
     * @param messageId the message whose events are listed
     * @return the new value
     */
    public static MessageEventQuery forMessage(UUID messageId) {
        return new MessageEventQuery(messageId, DEFAULT_LIMIT, null);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}; 50 by default
     * @return a copy with this change
     */
    public MessageEventQuery limit(int limit) {
        return new MessageEventQuery(messageId, limit, cursor);
    }

    /**
     * The page after the one that returned {@code cursor}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     * @return a copy with this change
     */
    public MessageEventQuery after(@Nullable String cursor) {
        return new MessageEventQuery(messageId, limit, cursor);
    }
}
