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
 */
public record SearchFilter(@Nullable UUID conversationId, @Nullable Owner owner, @Nullable MemoryKind kind, @Nullable Role role, @Nullable Instant from, @Nullable Instant to) {
    public SearchFilter {
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
    }

    public static SearchFilter none() {
        return new SearchFilter(null, null, null, null, null, null);
    }

    public SearchFilter conversation(UUID conversationId) {
        return new SearchFilter(Check.notNull("conversationId", conversationId), owner, kind, role, from, to);
    }

    public SearchFilter owner(Owner owner) {
        return new SearchFilter(conversationId, Check.notNull("owner", owner), kind, role, from, to);
    }

    public SearchFilter kind(MemoryKind kind) {
        return new SearchFilter(conversationId, owner, Check.notNull("kind", kind), role, from, to);
    }

    public SearchFilter role(Role role) {
        return new SearchFilter(conversationId, owner, kind, Check.notNull("role", role), from, to);
    }

    /** Created at or after {@code from} and before {@code to}; either may be null. */
    public SearchFilter between(@Nullable Instant from, @Nullable Instant to) {
        return new SearchFilter(conversationId, owner, kind, role, from, to);
    }

    /** Rejects components that do not apply to {@code target}. */
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
