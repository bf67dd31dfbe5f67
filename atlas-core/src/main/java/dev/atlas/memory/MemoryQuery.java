package dev.atlas.memory;

import dev.atlas.internal.Check;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link MemoryStore#list(MemoryQuery)}: newest first, keyset-paginated.
 *
 * <pre>{@code
 * memories.list(MemoryQuery.forOwner(Owner.user("42")).agent("support").kind(MemoryKind.PREFERENCE).tag("contact"))
 * }</pre>
 *
 * @param owner         only this owner's memories, or {@code null} for any
 * @param agent         only memories scoped to this agent (plus global ones when {@code includeGlobal}), or {@code null} for any scope
 * @param includeGlobal with {@code agent}: also list memories that have no agent scope
 * @param kind          only this kind, or {@code null}
 * @param tag           only memories carrying this tag, or {@code null}
 * @param limit         page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor        {@link Page#nextCursor()} of the previous page of the same tenant and filters,
 *                      or {@code null}; any other is refused by {@code list} naming {@code cursor}
 */
public record MemoryQuery(@Nullable Owner owner, @Nullable String agent, boolean includeGlobal, @Nullable MemoryKind kind, @Nullable String tag, int limit, @Nullable String cursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param owner only this owner's memories, or {@code null} for any
     * @param agent only memories scoped to this agent (plus global ones when {@code includeGlobal}), or {@code null} for any scope
     * @param includeGlobal with {@code agent}: also list memories that have no agent scope
     * @param kind only this kind, or {@code null}
     * @param tag only memories carrying this tag, or {@code null}
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     */
    public MemoryQuery {
        Check.optionalKey("agent", agent);
        Check.optionalNonBlank("tag", tag, Limits.MAX_TAG_LENGTH);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * A query for every memory (global ones included), newest first, 50 per page.
     *
     * @return the new value
     */
    public static MemoryQuery all() {
        return new MemoryQuery(null, null, true, null, null, 50, null);
    }

    /**
     * Creates a {@code MemoryQuery} from {@code owner}.
     *
     * @param owner only this owner's memories
     * @return the new value
     */
    public static MemoryQuery forOwner(Owner owner) {
        return all().owner(Check.notNull("owner", owner));
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner only this owner's memories, or {@code null} for any
     * @return a copy with this change
     */
    public MemoryQuery owner(@Nullable Owner owner) {
        return new MemoryQuery(owner, agent, includeGlobal, kind, tag, limit, cursor);
    }

    /**
     * Memories for this agent, including the owner's global memories.
     *
     * @param agent only memories scoped to this agent (plus global ones when {@code includeGlobal})
     * @return a copy with this change
     */
    public MemoryQuery agent(String agent) {
        return new MemoryQuery(owner, Check.key("agent", agent), true, kind, tag, limit, cursor);
    }

    /**
     * Memories scoped to exactly this agent, without global ones.
     *
     * @param agent only memories scoped to this agent (plus global ones when {@code includeGlobal})
     * @return a copy with this change
     */
    public MemoryQuery agentOnly(String agent) {
        return new MemoryQuery(owner, Check.key("agent", agent), false, kind, tag, limit, cursor);
    }

    /**
     * Returns a copy with {@code kind} replaced.
     *
     * @param kind only this kind, or {@code null}
     * @return a copy with this change
     */
    public MemoryQuery kind(@Nullable MemoryKind kind) {
        return new MemoryQuery(owner, agent, includeGlobal, kind, tag, limit, cursor);
    }

    /**
     * Returns a copy with {@code tag} replaced.
     *
     * @param tag only memories carrying this tag, or {@code null}
     * @return a copy with this change
     */
    public MemoryQuery tag(@Nullable String tag) {
        return new MemoryQuery(owner, agent, includeGlobal, kind, tag, limit, cursor);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this change
     */
    public MemoryQuery limit(int limit) {
        return new MemoryQuery(owner, agent, includeGlobal, kind, tag, limit, cursor);
    }

    /**
     * Returns a copy with {@code cursor} replaced.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null}
     * @return a copy with this change
     */
    public MemoryQuery after(@Nullable String cursor) {
        return new MemoryQuery(owner, agent, includeGlobal, kind, tag, limit, cursor);
    }
}
