package dev.atlas.conversation;

import dev.atlas.internal.Check;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link ConversationStore#list(ConversationQuery)}, in one of two orders:
 * {@link Order#ACTIVITY} (the default: newest activity first, a live view for an inbox) or
 * {@link Order#CREATION} (oldest first by id, a stable order for a job that must see every
 * conversation once).
 *
 * <pre>{@code
 * store.list(ConversationQuery.forOwner(Owner.user("42")).agent("support").limit(20))
 * store.list(ConversationQuery.all().order(ConversationQuery.Order.CREATION).limit(500))   // a sync job
 * }</pre>
 *
 * @param owner          only this owner's conversations, or {@code null} for any
 * @param agent          only this agent's conversations, or {@code null} for any
 * @param status         only this status, or {@code null} for any
 * @param includeDeleted whether soft-deleted conversations are listed
 * @param limit          page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor         {@link Page#nextCursor()} of the previous page, or {@code null}
 * @param order          the listing's order
 */
public record ConversationQuery(@Nullable Owner owner, @Nullable String agent, @Nullable ConversationStatus status, boolean includeDeleted, int limit, @Nullable String cursor, Order order) {
    /**
     * The order of a listing. A cursor reads on only in the order it was given out in: given to a
     * query of the other order it is refused with {@link dev.atlas.InvalidInputException} on
     * {@code cursor}.
     */
    public enum Order {
        /**
         * Newest activity first (the last message's time, else the creation time), then by id: a
         * live view. Every append moves its conversation to the front, so one that gets a message
         * while a client pages jumps from behind the cursor to before it and is not listed by the
         * pages that follow (nor one created meanwhile): start again from the first page to see
         * it. Not for a complete enumeration.
         */
        ACTIVITY,
        /**
         * Oldest first by id: ids are time-ordered UUIDv7 generated when a conversation is created
         * (an import keeps them), so this is creation order by the clock of the instance that
         * created each one: a conversation created by an instance whose clock runs behind is listed
         * before those another instance created earlier. An id never changes, so paging never skips
         * nor repeats a conversation that exists through the listing, whatever is appended,
         * archived or retitled meanwhile, whichever instances created them. One created meanwhile
         * may be missed: its id is taken before it commits (so one committed after a page can sort
         * before that page's cursor), and an instance whose clock runs behind gives it an id the
         * cursor has passed. A sync job that must see those re-lists from a cursor a little before
         * its last one (or from the first page) and skips ids it has seen. Use this order to
         * enumerate every conversation (a sync or export job).
         */
        CREATION;

        /**
         * Parses a constant's name in any case ({@code "creation"} or {@code "CREATION"}), as the other enums' {@code of} do: an unknown name or
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

    /**
     * A query in {@link Order#ACTIVITY} order (the form before {@link #order()} existed).
     *
     * @param owner only this owner's conversations, or {@code null} for any
     * @param agent only this agent's conversations, or {@code null} for any
     * @param status only this status, or {@code null} for any
     * @param includeDeleted whether soft-deleted conversations are listed
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     */
    public ConversationQuery(@Nullable Owner owner, @Nullable String agent, @Nullable ConversationStatus status, boolean includeDeleted, int limit, @Nullable String cursor) {
        this(owner, agent, status, includeDeleted, limit, cursor, Order.ACTIVITY);
    }

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param owner only this owner's conversations, or {@code null} for any
     * @param agent only this agent's conversations, or {@code null} for any
     * @param status only this status, or {@code null} for any
     * @param includeDeleted whether soft-deleted conversations are listed
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     * @param order the listing's order
     */
    public ConversationQuery {
        Check.notNull("order", order);
        Check.optionalKey("agent", agent);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * A query for every conversation, newest activity first, 50 per page.
     *
     * @return the new value
     */
    public static ConversationQuery all() {
        return new ConversationQuery(null, null, null, false, 50, null, Order.ACTIVITY);
    }

    /**
     * Creates a {@code ConversationQuery} from {@code owner}.
     *
     * @param owner only this owner's conversations
     * @return the new value
     */
    public static ConversationQuery forOwner(Owner owner) {
        return all().owner(Check.notNull("owner", owner));
    }

    /**
     * Creates a {@code ConversationQuery} from {@code agent}.
     *
     * @param agent only this agent's conversations
     * @return the new value
     */
    public static ConversationQuery forAgent(String agent) {
        return all().agent(Check.key("agent", agent));
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner only this owner's conversations, or {@code null} for any
     * @return a copy with this change
     */
    public ConversationQuery owner(@Nullable Owner owner) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent only this agent's conversations, or {@code null} for any
     * @return a copy with this change
     */
    public ConversationQuery agent(@Nullable String agent) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code status} replaced.
     *
     * @param status only this status, or {@code null} for any
     * @return a copy with this change
     */
    public ConversationQuery status(@Nullable ConversationStatus status) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code includeDeleted} replaced.
     *
     * @param includeDeleted whether soft-deleted conversations are listed
     * @return a copy with this change
     */
    public ConversationQuery includeDeleted(boolean includeDeleted) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this change
     */
    public ConversationQuery limit(int limit) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code cursor} replaced.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     * @return a copy with this change
     */
    public ConversationQuery after(@Nullable String cursor) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }

    /**
     * Returns a copy with {@code order} replaced; a cursor of the other order is refused.
     *
     * @param order {@link Order#ACTIVITY} (newest activity first) or {@link Order#CREATION} (oldest first by id)
     * @return a copy with this change
     * @throws dev.atlas.InvalidInputException on {@code order} when it is {@code null}
     */
    public ConversationQuery order(Order order) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor, order);
    }
}
