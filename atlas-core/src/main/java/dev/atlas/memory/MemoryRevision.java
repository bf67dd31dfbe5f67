package dev.atlas.memory;

import java.time.Instant;
import java.util.UUID;

/**
 * One entry of a memory's revision trail: the content it had at {@code revision}, replaced at {@code replacedAt}.
 *
 * @param memoryId the memory
 * @param revision the revision that had this content (1 is the content it was created with)
 * @param content the content it had
 * @param replacedAt when the next revision replaced it
 */
public record MemoryRevision(UUID memoryId, int revision, String content, Instant replacedAt) {}
