package dev.atlas.search;

import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
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
 *   <li>{@code metadata}: messages and memories whose metadata has each given top-level key with exactly the given
 *       string value (a number or a nested object never matches; case and accents count; an empty or blank key or
 *       value matches only that key or value, as metadata stores those).</li>
 *   <li>{@code tags}: memories carrying every given tag. {@code agent}: the agent of the message or memory; for memories
 *       only those scoped to that agent, not the owner's global ones (unlike {@code MemoryQuery.agent}): leave it unset to
 *       include them, or set {@code includeGlobal} ({@link #agentWithGlobal(String)}) to search that agent's memories and
 *       the global ones (no agent) together, as {@code MemoryQuery.agent} lists them; add {@link #owner(Owner)} for one
 *       owner's.</li>
 * </ul>
 *
 * <pre>{@code
 * SearchFilter.none().agent("billing").tag("urgent").metadata("source", "email")
 * }</pre>
 *
 * @param conversationId only items of this conversation (see above), or {@code null} for any
 * @param owner only items of this owner, or {@code null} for any; not for assets
 * @param kind only memories of this kind, or {@code null} for any
 * @param role only messages of this role, or {@code null} for any
 * @param from inclusive lower bound of the creation time, or {@code null} for none
 * @param to exclusive upper bound of the creation time, after {@code from}, or {@code null} for none
 * @param metadata only items whose metadata has each key with exactly this string value; empty for any
 * @param tags only memories carrying every one of these tags (at most {@link dev.atlas.Limits#MAX_TAGS} distinct ones); empty for any
 * @param agent only items of this agent, or {@code null} for any
 * @param includeGlobal with {@code agent}, memories only: also memories without an agent (global to their owner)
 */
public record SearchFilter(@Nullable UUID conversationId, @Nullable Owner owner, @Nullable MemoryKind kind, @Nullable Role role,
                           @Nullable Instant from, @Nullable Instant to, Map<String, String> metadata, List<String> tags,
                           @Nullable String agent, boolean includeGlobal) {
    /** At most this many metadata conditions in one filter. */
    public static final int MAX_METADATA = 16;
    /**
     * Longest metadata value a filter compares: {@link Limits#MAX_METADATA_LENGTH}, so every string value metadata can
     * store is a value a filter finds it by.
     */
    // Was 1,000: a memory stored with a longer value could not be found by it. Nothing indexes metadata values (both
    // dialects compare the bound value to each candidate's), so a long value costs its bytes only.
    public static final int MAX_METADATA_VALUE = Limits.MAX_METADATA_LENGTH;
    /** Longest tag, as memories store them. */
    private static final int MAX_TAG = 100;

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param conversationId the conversation's id
     * @param owner who it belongs to
     * @param kind the kind
     * @param role who wrote the message
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @param metadata top-level metadata keys and the string value each must have
     * @param tags tags a memory must all carry
     * @param agent the agent key, or {@code null}
     * @param includeGlobal with {@code agent}: also memories without an agent; {@code agent} is required with it
     */
    public SearchFilter {
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
        metadata = checkMetadata(metadata);
        tags = checkTags(tags);
        Check.optionalKey("agent", agent);
        if (includeGlobal && agent == null) {
            throw new InvalidInputException("includeGlobal", "needs an agent: without one every memory is searched already");
        }
    }

    /**
     * The filter without {@code includeGlobal} (the shape before it was added).
     *
     * @param conversationId the conversation's id
     * @param owner who it belongs to
     * @param kind the kind
     * @param role who wrote the message
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @param metadata top-level metadata keys and the string value each must have
     * @param tags tags a memory must all carry
     * @param agent the agent key, or {@code null}
     */
    public SearchFilter(@Nullable UUID conversationId, @Nullable Owner owner, @Nullable MemoryKind kind, @Nullable Role role,
                        @Nullable Instant from, @Nullable Instant to, Map<String, String> metadata, List<String> tags,
                        @Nullable String agent) {
        this(conversationId, owner, kind, role, from, to, metadata, tags, agent, false);
    }

    /**
     * The filter of the first six components, without metadata, tag or agent conditions.
     *
     * @param conversationId the conversation's id
     * @param owner who it belongs to
     * @param kind the kind
     * @param role who wrote the message
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     */
    public SearchFilter(@Nullable UUID conversationId, @Nullable Owner owner, @Nullable MemoryKind kind, @Nullable Role role,
                        @Nullable Instant from, @Nullable Instant to) {
        this(conversationId, owner, kind, role, from, to, Map.of(), List.of(), null);
    }

    // Any text metadata can hold, an empty or blank string included: metadata stores those and a filter must find
    // what was stored.
    private static String value(@Nullable String value) {
        return Check.text("metadata", Check.notNull("metadata", value), MAX_METADATA_VALUE);
    }

    // Any key metadata stores, an empty or blank one included (metadata stores those), so that what was stored can be
    // found: a blank key refused here left such a memory or message unfindable by its metadata.
    private static String key(@Nullable String key) {
        return Check.text("metadata", Check.notNull("metadata", key), Limits.MAX_KEY_LENGTH);
    }

    // Sorted copies: equal filters render the same SQL, and the order of conditions never matters.
    private static Map<String, String> checkMetadata(@Nullable Map<String, String> metadata) {
        if (metadata == null) {
            return Map.of();
        }
        if (metadata.size() > MAX_METADATA) {
            throw new InvalidInputException("metadata", "has more than " + MAX_METADATA + " conditions");
        }
        TreeMap<String, String> copy = new TreeMap<>();
        metadata.forEach((k, v) -> copy.put(key(k), value(v)));
        return Collections.unmodifiableMap(copy);
    }

    private static List<String> checkTags(@Nullable List<String> tags) {
        if (tags == null) {
            return List.of();
        }
        // The limit is on distinct tags: a tag required twice is one condition.
        TreeSet<String> copy = new TreeSet<>();
        for (String tag : tags) {
            copy.add(Check.required("tags", tag, MAX_TAG));
        }
        if (copy.size() > dev.atlas.Limits.MAX_TAGS) {
            throw new InvalidInputException("tags", "has more than " + dev.atlas.Limits.MAX_TAGS + " distinct tags");
        }
        return List.copyOf(copy);
    }

    /**
     * A filter that lets every item through.
     *
     * @return the new value
     */
    public static SearchFilter none() {
        return new SearchFilter(null, null, null, null, null, null, Map.of(), List.of(), null);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation's id
     * @return a copy with this change
     */
    public SearchFilter conversation(UUID conversationId) {
        return new SearchFilter(Check.notNull("conversationId", conversationId), owner, kind, role, from, to, metadata, tags, agent, includeGlobal);
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it belongs to
     * @return a copy with this change
     */
    public SearchFilter owner(Owner owner) {
        return new SearchFilter(conversationId, Check.notNull("owner", owner), kind, role, from, to, metadata, tags, agent, includeGlobal);
    }

    /**
     * Returns a copy with {@code kind} replaced.
     *
     * @param kind the kind
     * @return a copy with this change
     */
    public SearchFilter kind(MemoryKind kind) {
        return new SearchFilter(conversationId, owner, Check.notNull("kind", kind), role, from, to, metadata, tags, agent, includeGlobal);
    }

    /**
     * Returns a copy with {@code role} replaced.
     *
     * @param role who wrote the message
     * @return a copy with this change
     */
    public SearchFilter role(Role role) {
        return new SearchFilter(conversationId, owner, kind, Check.notNull("role", role), from, to, metadata, tags, agent, includeGlobal);
    }

    /**
     * Created at or after {@code from} and before {@code to}; either may be null.
     *
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @return a copy with this change
     */
    public SearchFilter between(@Nullable Instant from, @Nullable Instant to) {
        return new SearchFilter(conversationId, owner, kind, role, from, to, metadata, tags, agent, includeGlobal);
    }

    /**
     * Returns a copy that also requires the top-level metadata {@code key} to be the string {@code value}
     * (exactly: an empty or blank key or value matches only that string).
     *
     * @param key the metadata key: any text metadata stores (an empty or blank one included), at most
     *            {@link Limits#MAX_KEY_LENGTH} characters
     * @param value the string value it must have
     * @return a copy with this change
     */
    public SearchFilter metadata(String key, String value) {
        key(key);
        value(value);
        if (metadata.size() == MAX_METADATA && !metadata.containsKey(key)) {
            throw new InvalidInputException("metadata", "has more than " + MAX_METADATA + " conditions");
        }
        Map<String, String> more = new TreeMap<>(metadata);
        more.put(key, value);
        return new SearchFilter(conversationId, owner, kind, role, from, to, more, tags, agent, includeGlobal);
    }

    /**
     * Returns a copy that also requires memories to carry {@code tag}.
     *
     * @param tag the tag
     * @return a copy with this change
     */
    public SearchFilter tag(String tag) {
        List<String> more = new ArrayList<>(tags);
        more.add(Check.required("tags", tag, MAX_TAG));
        return new SearchFilter(conversationId, owner, kind, role, from, to, metadata, more, agent, includeGlobal);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key of the message or memory
     * @return a copy with this change
     */
    public SearchFilter agent(String agent) {
        return new SearchFilter(conversationId, owner, kind, role, from, to, metadata, tags, Check.key("agent", agent), false);
    }

    /**
     * Memories scoped to {@code agent} plus the global ones (no agent), as
     * {@code MemoryQuery.agent} lists them; with {@link #owner(Owner)}, that owner's. Memories only.
     *
     * @param agent the agent key
     * @return a copy with this change
     */
    public SearchFilter agentWithGlobal(String agent) {
        return new SearchFilter(conversationId, owner, kind, role, from, to, metadata, tags, Check.key("agent", agent), true);
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
        if (!tags.isEmpty() && target != SearchTarget.MEMORY) {
            throw new InvalidInputException("tags", "filter memories only, the search target is " + target);
        }
        if (!metadata.isEmpty() && target == SearchTarget.ASSET) {
            throw new InvalidInputException("metadata", "cannot filter assets");
        }
        if (agent != null && target == SearchTarget.ASSET) {
            throw new InvalidInputException("agent", "cannot filter assets");
        }
        if (includeGlobal && target != SearchTarget.MEMORY) {
            throw new InvalidInputException("includeGlobal", "applies to memories only (a memory without an agent is global to its"
                    + " owner), the search target is " + target);
        }
    }
}
