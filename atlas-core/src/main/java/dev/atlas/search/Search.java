package dev.atlas.search;

import java.util.List;
import java.util.UUID;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;

/**
 * Full-text and semantic search over one tenant's messages, memories and assets. Obtain it
 * from {@code atlas.tenant("acme").search()}. Deleted and expired rows, and messages of deleted
 * conversations, are never returned; the full-text index follows edits and deletes in the same
 * transaction.
 *
 * <p>Vectors are stored per (target, id, model). Every vector of one model in a tenant has the
 * same dimension, fixed by the first one stored. Atlas does not compute embeddings: pass the
 * vector, or an {@link Embedder} that Atlas calls with the stored text.
 */
public interface Search {

    /** Ranked full-text search, best first. */
    List<SearchHit> text(TextQuery query);

    /** The {@code k} most similar items, most similar first. */
    List<SearchHit> similar(SemanticQuery query);

    /**
     * Stores (or replaces) the vector of a message or memory, which must exist in this tenant.
     *
     * @throws InvalidInputException for a NaN, infinite or zero vector, or a dimension other
     *                               than the one the model already has
     */
    void putVector(SearchTarget target, UUID id, String model, float[] vector);

    /**
     * Stores (or replaces) the vector of an asset, which must exist (not deleted) in this tenant;
     * deleting the asset removes its vectors. Give the conversation it belongs to (or
     * {@code null}) so purging that conversation removes it.
     *
     * @throws NotFoundException for an unknown, deleted or other tenant's asset or conversation
     */
    void putAssetVector(UUID assetId, UUID conversationId, String model, float[] vector);

    /** Embeds the current content of a message or memory with {@code embedder} and stores it. */
    void embed(SearchTarget target, UUID id, String model, Embedder embedder);

    /** Removes one vector; false when there was none. */
    boolean removeVector(SearchTarget target, UUID id, String model);

    /** The dimension of a model's vectors in this tenant, or 0 when none were stored yet. */
    int dimension(String model);
}
