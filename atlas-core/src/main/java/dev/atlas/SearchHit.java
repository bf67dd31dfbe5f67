package dev.atlas;

import java.util.UUID;

/**
 * One search result.
 *
 * @param conversationId the message's conversation, the memory's provenance conversation, or
 *                       the conversation an asset vector was indexed with; {@code null} when none
 * @param score          higher is better. Semantic search: cosine similarity in [-1, 1]. Full-text:
 *                       the database's relevance (negated bm25 on SQLite, ts_rank on PostgreSQL),
 *                       comparable only within one result list
 * @param snippet        full-text only: a short excerpt with the matched words in {@code [brackets]}; {@code null} for semantic hits
 */
public record SearchHit(SearchTarget target, UUID id, UUID conversationId, double score, String snippet) {}
