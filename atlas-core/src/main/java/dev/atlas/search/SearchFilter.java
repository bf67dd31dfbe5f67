package dev.atlas.search;

import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.conversation.Role;
import dev.atlas.memory.MemoryKind;
import org.jspecify.annotations.Nullable;

/**
 * Filters shared by full-text and semantic search. The tenant filter is always applied; every
 * other component is optional ({@code null} = any).
 *
 * <ul>
 *   <li>{@code conversationId}: messages of that conversation; memories observed in it (provenance); assets indexed with it.</li>
 *   <li>{@code owner}: the owner of the message's conversation, or of the memory.</li>
 *   <li>{@code kind}: memories only. {@code role}: messages only.</li>
 *   <li>{@code from} (inclusive) and {@code to} (exclusive): creation time of the message or memory (of the vector for assets).</li>
 * </ul>
 *
 * @param conversationId only items of this conversation (see above), or {@code null} for any
 * @param owner only items of this owner, or {@code null} for any; not for assets
 * @param kind only memories of this kind, or {@code null} for any
 * @param role only messages of this role, or {@code null} for any
 * @param from inclusive lower bound of the creation time, or {@code null} for none
 * @param to exclusive upper bound of the creation time, after {@code from}, or {@code null} for none
 */
public record SearchFilter(@Nullable UUID conversationId, @Nullable Owner owner, @Nullable MemoryKind kind, @Nullable Role role, @Nullable Instant from, @Nullable Instant to) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param conversationId the conversation's id
     * @param owner who it belongs to
     * @param kind the kind
     * @param role who wrote the message
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     */
    public SearchFilter {
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
    }

    /**
     * A filter that lets every item through.
     *
     * @return the new value
     */
    public static SearchFilter none() {
        return new SearchFilter(null, null, null, null, null, null);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation's id
     * @return a copy with this change
     */
    public SearchFilter conversation(UUID conversationId) {
        return new SearchFilter(Check.notNull("conversationId", conversationId), owner, kind, role, from, to);
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it belongs to
     * @return a copy with this change
     */
    public SearchFilter owner(Owner owner) {
        return new SearchFilter(conversationId, Check.notNull("owner", owner), kind, role, from, to);
    }

    /**
     * Returns a copy with {@code kind} replaced.
     *
     * @param kind the kind
     * @return a copy with this change
     */
    public SearchFilter kind(MemoryKind kind) {
        return new SearchFilter(conversationId, owner, Check.notNull("kind", kind), role, from, to);
    }

    /**
     * Returns a copy with {@code role} replaced.
     *
     * @param role who wrote the message
     * @return a copy with this change
     */
    public SearchFilter role(Role role) {
        return new SearchFilter(conversationId, owner, kind, Check.notNull("role", role), from, to);
    }

    /**
     * Created at or after {@code from} and before {@code to}; either may be null.
     *
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @return a copy with this change
     */
    public SearchFilter between(@Nullable Instant from, @Nullable Instant to) {
        return new SearchFilter(conversationId, owner, kind, role, from, to);
    }

    /**
     * Rejects components that do not apply to {@code target}.
     *
     * @param target what kind of item to search
     */
    public void checkApplies(SearchTarget target) {
        if (kind != null && target != SearchTarget.MEMORY) {
            throw new InvalidInputException("kind", "filters memories only, the search target is " + target);
        }
        if (role != null && target != SearchTarget.MESSAGE) {
            throw new InvalidInputException("role", "filters messages only, the search target is " + target);
        }
        if (owner != null && target == SearchTarget.ASSET) {
            throw new InvalidInputException("owner", "cannot filter assets");
        }
    }
}
