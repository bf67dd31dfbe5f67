package dev.atlas.search;

import org.jspecify.annotations.Nullable;

import java.util.UUID;

/**
 * One search result.
 *
 * @param target what kind of item {@code id} names
 * @param id the id of the message, memory or asset
 * @param conversationId the message's conversation, the memory's provenance conversation, or
 *                       the conversation an asset vector was indexed with; {@code null} when none
 * @param score higher is better. Semantic search: cosine similarity in [-1, 1]. Full-text:
 *              a relevance computed from this row and the query alone (term frequency
 *              and length, no statistics of other rows or tenants), the same on every database
 * @param snippet full-text only: a short excerpt with the matched words in {@code [brackets]}; {@code null} for semantic hits
 */
public record SearchHit(SearchTarget target, UUID id, @Nullable UUID conversationId, double score, @Nullable String snippet) {}
