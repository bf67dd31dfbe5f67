package dev.atlas.memory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.atlas.Owner;

/**
 * A stored long-term memory.
 *
 * @param agent          the agent this memory is scoped to, or {@code null} for every agent of the owner
 * @param tags           distinct tags in alphabetical order
 * @param importance     0.0 (trivia) to 1.0 (essential)
 * @param conversationId provenance: the conversation it was observed in, or {@code null}
 * @param messageId      provenance: the message that produced it, or {@code null}
 * @param toolCallId     provenance: the tool call that produced it, or {@code null}
 * @param expiresAt      after this instant the memory is invisible, or {@code null} for never
 * @param revision       1 when created, incremented by each content change
 */
public record Memory(
        UUID id,
        String tenantId,
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
        Instant expiresAt,
        int revision,
        Instant createdAt,
        Instant updatedAt) {

    public Memory {
        tags = List.copyOf(tags);
        metadata = dev.atlas.internal.Check.jsonObject(metadata);
    }
}
