package dev.atlas.memory;

import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;

/**
 * What to remember. Start from a factory such as {@link #fact(Owner, String)} and refine:
 *
 * <pre>{@code
 * NewMemory.preference(Owner.user("42"), "Prefers email over phone")
 *         .agent("support").tags("contact").importance(0.8).from(conversationId, messageId)
 * }</pre>
 *
 * @param tags       distinct tags, at most {@link Limits#MAX_TAGS}, each at most 100 characters
 * @param importance 0.0 to 1.0; 0.5 unless given
 */
public record NewMemory(
        Owner owner,
        String agent,
        MemoryKind kind,
        String content,
        List<String> tags,
        Map<String, Object> metadata,
        double importance,
        UUID conversationId,
        UUID messageId,
        UUID toolCallId,
        Instant expiresAt) {

    public NewMemory {
        Check.notNull("owner", owner);
        Check.optionalKey("agent", agent);
        Check.notNull("kind", kind);
        Check.required("content", content, Limits.MAX_CONTENT_LENGTH);
        tags = checkTags(tags);
        metadata = Check.metadata("metadata", metadata);
        importance = checkImportance(importance);
        Check.instant("expiresAt", expiresAt);
    }

    public static NewMemory of(Owner owner, MemoryKind kind, String content) {
        return new NewMemory(owner, null, kind, content, List.of(), Map.of(), 0.5, null, null, null, null);
    }

    public static NewMemory fact(Owner owner, String content) {
        return of(owner, MemoryKind.FACT, content);
    }

    public static NewMemory preference(Owner owner, String content) {
        return of(owner, MemoryKind.PREFERENCE, content);
    }

    public static NewMemory summary(Owner owner, String content) {
        return of(owner, MemoryKind.SUMMARY, content);
    }

    public static NewMemory task(Owner owner, String content) {
        return of(owner, MemoryKind.TASK, content);
    }

    public static NewMemory constraint(Owner owner, String content) {
        return of(owner, MemoryKind.CONSTRAINT, content);
    }

    public static NewMemory episode(Owner owner, String content) {
        return of(owner, MemoryKind.EPISODE, content);
    }

    /** Scopes the memory to one agent; {@code null} makes it global for the owner. */
    public NewMemory agent(String agent) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    public NewMemory tags(String... tags) {
        return tags(java.util.Arrays.asList(Check.notNull("tags", tags)));
    }

    public NewMemory tags(List<String> tags) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    public NewMemory metadata(Map<String, ?> metadata) {
        return new NewMemory(owner, agent, kind, content, tags, Check.metadata("metadata", metadata), importance, conversationId,
                messageId, toolCallId, expiresAt);
    }

    public NewMemory importance(double importance) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    /** Provenance: the conversation and (optionally) the message this memory came from. */
    public NewMemory from(UUID conversationId, UUID messageId) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    /** Provenance: the tool call this memory came from. */
    public NewMemory toolCall(UUID toolCallId) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    /** The memory disappears from reads at this instant; {@code null} for never. */
    public NewMemory expiresAt(Instant expiresAt) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt);
    }

    static List<String> checkTags(List<String> tags) {
        List<String> given = Check.list("tags", tags);
        if (given.size() > Limits.MAX_TAGS) {
            throw new InvalidInputException("tags", given.size() + " tags given; at most " + Limits.MAX_TAGS + " are allowed");
        }
        LinkedHashSet<String> distinct = new LinkedHashSet<>();
        for (String tag : given) {
            distinct.add(Check.required("tags", tag, Limits.MAX_TAG_LENGTH));
        }
        return List.copyOf(distinct);
    }

    static double checkImportance(double importance) {
        if (!(importance >= 0.0 && importance <= 1.0)) {
            throw new InvalidInputException("importance", "must be between 0.0 and 1.0, was " + importance);
        }
        return importance + 0.0; // -0.0 becomes 0.0: SQLite cannot store a negative zero
    }
}
