package dev.atlas.memory;

import java.time.Instant;
import java.util.UUID;

/** One entry of a memory's revision trail: the content it had at {@code revision}, replaced at {@code replacedAt}. */
public record MemoryRevision(UUID memoryId, int revision, String content, Instant replacedAt) {}
