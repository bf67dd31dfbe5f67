package dev.atlas.conversation;

import dev.atlas.internal.Check;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link ConversationStore#list(ConversationQuery)}: newest activity first.
 *
 * <pre>{@code
 * store.list(ConversationQuery.forOwner(Owner.user("42")).agent("support").limit(20))
 * }</pre>
 *
 * @param owner          only this owner's conversations, or {@code null} for any
 * @param agent          only this agent's conversations, or {@code null} for any
 * @param status         only this status, or {@code null} for any
 * @param includeDeleted whether soft-deleted conversations are listed
 * @param limit          page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor         {@link Page#nextCursor()} of the previous page, or {@code null}
 */
public record ConversationQuery(@Nullable Owner owner, @Nullable String agent, @Nullable ConversationStatus status, boolean includeDeleted, int limit, @Nullable String cursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param owner only this owner's conversations, or {@code null} for any
     * @param agent only this agent's conversations, or {@code null} for any
     * @param status only this status, or {@code null} for any
     * @param includeDeleted whether soft-deleted conversations are listed
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     */
    public ConversationQuery {
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
        return new ConversationQuery(null, null, null, false, 50, null);
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
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent only this agent's conversations, or {@code null} for any
     * @return a copy with this change
     */
    public ConversationQuery agent(@Nullable String agent) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }

    /**
     * Returns a copy with {@code status} replaced.
     *
     * @param status only this status, or {@code null} for any
     * @return a copy with this change
     */
    public ConversationQuery status(@Nullable ConversationStatus status) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }

    /**
     * Returns a copy with {@code includeDeleted} replaced.
     *
     * @param includeDeleted whether soft-deleted conversations are listed
     * @return a copy with this change
     */
    public ConversationQuery includeDeleted(boolean includeDeleted) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this change
     */
    public ConversationQuery limit(int limit) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }

    /**
     * Returns a copy with {@code cursor} replaced.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     * @return a copy with this change
     */
    public ConversationQuery after(@Nullable String cursor) {
        return new ConversationQuery(owner, agent, status, includeDeleted, limit, cursor);
    }
}
