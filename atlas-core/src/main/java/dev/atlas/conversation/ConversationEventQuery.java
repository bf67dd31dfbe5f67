package dev.atlas.conversation;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * One page of a conversation's event trail for {@link ConversationStore#events(ConversationEventQuery)}:
 * the audit events of all its messages (created, edited, deleted, restored, status and metadata
 * changes, activations, an application's {@link MessageEventType#app} events), soft-deleted
 * messages' included (retention's hard delete of a message removes its events), in the order of {@link MessageEvent#createdAt()}, ties broken by
 * {@link MessageEvent#id()}. Every filter is optional and they combine with AND.
 *
 * <pre>{@code
 * ConversationEventQuery q = ConversationEventQuery.forConversation(conversationId)
 *         .types(MessageEventType.EDITED, MessageEventType.app("feedback.thumbs_down"))
 *         .from(Instant.parse("2026-03-01T00:00:00Z")).to(Instant.parse("2026-04-01T00:00:00Z"))
 *         .newestFirst().limit(100);
 * Page<MessageEvent> page = store.events(q);
 * while (page.hasMore()) {
 *     page = store.events(q.after(page.nextCursor().get()));
 * }
 * }</pre>
 *
 * <p>A cursor belongs to the tenant and to the query that handed it out (the conversation, the
 * types, the bounds and the order; not the limit, which may change between pages): any other
 * cursor is refused with {@link InvalidInputException} on {@code cursor}.
 */
public final class ConversationEventQuery {
    /** The page size of {@link #forConversation(UUID)}. */
    public static final int DEFAULT_LIMIT = 50;
    /** The most distinct types one query may filter on. */
    public static final int MAX_TYPES = 100;

    /** The order of the trail. */
    public enum Order {
        /** Oldest first: by {@link MessageEvent#createdAt()}, then by id. */
        OLDEST_FIRST,
        /** Newest first: by {@link MessageEvent#createdAt()} descending, then by id descending. */
        NEWEST_FIRST;

        /**
         * Parses a constant's name in any case ({@code "newest_first"} or {@code "NEWEST_FIRST"}), as the other enums' {@code of} do: an unknown name or
         * {@code null} is refused naming the allowed values, where {@code valueOf} throws Java's own
         * {@code IllegalArgumentException} or {@code NullPointerException}. For a value from a request or a property.
         *
         * @param value the name
         * @return the constant
         * @throws dev.atlas.InvalidInputException naming {@code order} when {@code value} is no constant's name
         */
        public static Order of(String value) {
            return dev.atlas.internal.Check.enumValue("order", Order.class, value);
        }
    }

    private final UUID conversationId;
    private final Set<MessageEventType> types;
    private final @Nullable Instant from;
    private final @Nullable Instant to;
    private final Order order;
    private final int limit;
    private final @Nullable String cursor;

    private ConversationEventQuery(UUID conversationId, Set<MessageEventType> types, @Nullable Instant from, @Nullable Instant to,
                                   Order order, int limit, @Nullable String cursor) {
        this.conversationId = conversationId;
        this.types = types;
        this.from = from;
        this.to = to;
        this.order = order;
        this.limit = limit;
        this.cursor = cursor;
    }

    /**
     * The first page of the conversation's events, oldest first, every type, {@value #DEFAULT_LIMIT} at most.
     *
     * @param conversationId the conversation whose messages' events are listed
     * @return the new value
     * @throws InvalidInputException on {@code conversationId} when it is {@code null}
     */
    public static ConversationEventQuery forConversation(UUID conversationId) {
        return new ConversationEventQuery(Check.notNull("conversationId", conversationId), Set.of(), null, null, Order.OLDEST_FIRST,
                DEFAULT_LIMIT, null);
    }

    /**
     * Returns a copy listing only events of one of these types (Atlas's own and applications' alike).
     *
     * @param type  a type to list
     * @param more  more types to list; a type given twice counts once
     * @return a copy with this filter
     * @throws InvalidInputException on {@code types} when a type is {@code null} or more than
     *         {@value #MAX_TYPES} distinct types are given
     */
    public ConversationEventQuery types(MessageEventType type, MessageEventType... more) {
        Check.notNull("types", more);
        List<MessageEventType> all = new ArrayList<>(more.length + 1);
        all.add(type);
        all.addAll(Arrays.asList(more));
        return types(all);
    }

    /**
     * Returns a copy listing only events of one of these types; an empty collection lists every type.
     *
     * @param types the types to list (a type given twice counts once), or empty for any
     * @return a copy with this filter
     * @throws InvalidInputException on {@code types} when it or a type in it is {@code null}, or
     *         it holds more than {@value #MAX_TYPES} distinct types
     */
    public ConversationEventQuery types(Collection<MessageEventType> types) {
        Check.notNull("types", types);
        Set<MessageEventType> distinct = new LinkedHashSet<>();
        for (MessageEventType t : types) {
            distinct.add(Check.notNull("types", t));
        }
        if (distinct.size() > MAX_TYPES) {
            throw new InvalidInputException("types", "must name at most " + MAX_TYPES + " distinct types, was " + distinct.size());
        }
        // In one order whatever the caller's: the query's equality and its text do not depend on it.
        List<MessageEventType> sorted = new ArrayList<>(distinct);
        sorted.sort(Comparator.comparing(MessageEventType::toString));
        return new ConversationEventQuery(conversationId, Collections.unmodifiableSet(new LinkedHashSet<>(sorted)), from, to, order,
                limit, cursor);
    }

    /**
     * Returns a copy listing only events recorded at or after {@code from}.
     *
     * @param from inclusive lower bound of {@link MessageEvent#createdAt()}, or {@code null} for none
     * @return a copy with this bound
     * @throws InvalidInputException on {@code from} when it is outside {@link Limits#MIN_INSTANT}
     *         .. {@link Limits#MAX_INSTANT}, or not before {@link #to()}
     */
    public ConversationEventQuery from(@Nullable Instant from) {
        Check.instant("from", from);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInputException("from", "must be before to (" + to + "), was " + from);
        }
        return new ConversationEventQuery(conversationId, types, from, to, order, limit, cursor);
    }

    /**
     * Returns a copy listing only events recorded before {@code to}; {@link Limits#MAX_INSTANT},
     * the latest bound accepted, includes itself, as in every listing by time.
     *
     * @param to exclusive upper bound of {@link MessageEvent#createdAt()}, or {@code null} for none
     * @return a copy with this bound
     * @throws InvalidInputException on {@code to} when it is outside {@link Limits#MIN_INSTANT}
     *         .. {@link Limits#MAX_INSTANT}, or not after {@link #from()}
     */
    public ConversationEventQuery to(@Nullable Instant to) {
        Check.instant("to", to);
        if (to != null && from != null && !from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
        return new ConversationEventQuery(conversationId, types, from, to, order, limit, cursor);
    }

    /**
     * Returns a copy in {@code order}; a cursor of the other order is refused.
     *
     * @param order {@link Order#OLDEST_FIRST} (the default) or {@link Order#NEWEST_FIRST}
     * @return a copy with this order
     * @throws InvalidInputException on {@code order} when it is {@code null}
     */
    public ConversationEventQuery order(Order order) {
        return new ConversationEventQuery(conversationId, types, from, to, Check.notNull("order", order), limit, cursor);
    }

    /**
     * Returns a copy listing newest first: {@code order(Order.NEWEST_FIRST)}.
     *
     * @return a copy with this order
     */
    public ConversationEventQuery newestFirst() {
        return order(Order.NEWEST_FIRST);
    }

    /**
     * Returns a copy listing oldest first (the default): {@code order(Order.OLDEST_FIRST)}.
     *
     * @return a copy with this order
     */
    public ConversationEventQuery oldestFirst() {
        return order(Order.OLDEST_FIRST);
    }

    /**
     * Returns a copy with another page size.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this page size
     * @throws InvalidInputException on {@code limit} when it is outside that range
     */
    public ConversationEventQuery limit(int limit) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        return new ConversationEventQuery(conversationId, types, from, to, order, limit, cursor);
    }

    /**
     * The page after the one that returned {@code cursor}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null} for the first page
     * @return a copy that reads the page after {@code cursor}
     * @throws InvalidInputException on {@code cursor} when it is longer than 200 characters or holds
     *         text no string can (NUL, an unpaired surrogate); like every query's cursor, one that is
     *         empty or was not handed out by a page of the same query is accepted here and refused by
     *         the store's {@link ConversationStore#events(ConversationEventQuery)}
     */
    public ConversationEventQuery after(@Nullable String cursor) {
        Check.optional("cursor", cursor, 200);
        return new ConversationEventQuery(conversationId, types, from, to, order, limit, cursor);
    }

    /**
     * The conversation whose messages' events are listed.
     *
     * @return the conversation's id
     */
    public UUID conversationId() {
        return conversationId;
    }

    /**
     * Only events of one of these types; empty for any type.
     *
     * @return the types, in the order of their stored text (unmodifiable)
     */
    public Set<MessageEventType> types() {
        return types;
    }

    /**
     * Inclusive lower bound of {@link MessageEvent#createdAt()}.
     *
     * @return the bound, or {@code null} for none
     */
    public @Nullable Instant from() {
        return from;
    }

    /**
     * Exclusive upper bound of {@link MessageEvent#createdAt()} ({@link Limits#MAX_INSTANT} includes itself).
     *
     * @return the bound, or {@code null} for none
     */
    public @Nullable Instant to() {
        return to;
    }

    /**
     * The order of the trail.
     *
     * @return {@link Order#OLDEST_FIRST} unless set otherwise
     */
    public Order order() {
        return order;
    }

    /**
     * The page size, 1 to {@link Limits#MAX_PAGE_SIZE}.
     *
     * @return the page size
     */
    public int limit() {
        return limit;
    }

    /**
     * {@link Page#nextCursor()} of the previous page.
     *
     * @return the cursor, or {@code null} for the first page
     */
    public @Nullable String cursor() {
        return cursor;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConversationEventQuery q && conversationId.equals(q.conversationId) && types.equals(q.types)
                && Objects.equals(from, q.from) && Objects.equals(to, q.to) && order == q.order && limit == q.limit
                && Objects.equals(cursor, q.cursor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conversationId, types, from, to, order, limit, cursor);
    }

    @Override
    public String toString() {
        return "ConversationEventQuery[conversationId=" + conversationId + ", types=" + types + ", from=" + from + ", to=" + to
                + ", order=" + order + ", limit=" + limit + ", cursor=" + cursor + "]";
    }
}
