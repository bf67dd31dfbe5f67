package dev.atlas.search;

import java.util.List;
import java.util.UUID;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Full-text and semantic search over one tenant's messages, memories and assets. Obtain it
 * from {@code atlas.tenant("acme").search()}. Deleted and expired rows, and messages of deleted
 * conversations, are never returned; the full-text index follows edits and deletes in the same
 * transaction.
 *
 * <p>Vectors are stored per (target, id, model). Every vector of one model in a tenant has the
 * same dimension, fixed by the first one stored. Atlas does not compute embeddings: pass the
 * vector, or an {@link Embedder} that Atlas calls with the stored text.
 *
 * <p>A search reads one state: a hit's score and snippet come from the same content. Outside an
 * application's transaction that state is one committed state. Inside an application's
 * transaction that Atlas joins (a {@code DataSource} handing out the connection of the
 * application's open transaction) the search reads in that transaction, at any isolation level:
 * it sees what the transaction sees, the application's own uncommitted writes included, and on
 * PostgreSQL a full-text search reads every candidate's content in its one statement.
 */
public interface Search {

    /**
     * Ranked full-text search, best first (equal scores by id); one list of at most
     * {@code query.limit()} hits; {@link #text(TextQuery, String)} pages on past them.
     *
     * @param query the query: text, target, filter and limit
     * @return the matching items, in order
     */
    List<SearchHit> text(TextQuery query);

    /**
     * One page of ranked full-text hits, best first: score descending, then id (as text)
     * ascending, the same order as {@link #text(TextQuery)} and on every database. Pass
     * {@link Page#nextCursor()} with the same query (the page size may differ) for the next
     * page. A cursor records the last hit's score and id (keyset): a row written or changed
     * between pages appears on a later page exactly when it ranks after that position, so a hit
     * of an earlier page changed to rank after it appears again (de-duplicate by id if that
     * matters). Every page
     * scores all of the query's candidates again, so a late page costs what the first does.
     *
     * <pre>{@code
     * Page<SearchHit> page = search.text(TextQuery.memories("invoice").limit(50), null);
     * while (page.hasMore()) {
     *     page = search.text(TextQuery.memories("invoice").limit(50), page.nextCursor().get());
     * }
     * }</pre>
     *
     * @param query the query: text, target, filter and page size ({@code limit})
     * @param cursor {@link Page#nextCursor()} of the previous page of this query, or {@code null} for the first
     * @return one page of hits and the cursor of the next
     * @throws InvalidInputException naming {@code cursor} for a cursor not returned by this query
     *                               (another text, target or filter) in this tenant
     */
    Page<SearchHit> text(TextQuery query, @Nullable String cursor);

    /**
     * The {@code k} most similar items, most similar first (equal scores by id); fewer when fewer
     * qualify, and none when the model has no vectors in this tenant yet.
     *
     * @param query the query: target, model, vector, filter and k
     * @return the matching items, in order
     * @throws InvalidInputException naming {@code vector} when its dimension is not the model's in this tenant
     */
    List<SearchHit> similar(SemanticQuery query);

    /**
     * Stores (or replaces) the vector of a message or memory, which must exist in this tenant.
     *
     * @param target whether {@code id} is a message's or a memory's
     * @param id the message's or memory's id, as {@code target} says
     * @param model the model key
     * @param vector the embedding
     * @throws InvalidInputException for a NaN, infinite or zero vector, or a dimension other
     *                               than the one the model already has
     * @throws NotFoundException naming {@code id} for an unknown, deleted, expired or other tenant's memory, or such a
     *                           message or a message of a deleted conversation (worded alike)
     */
    void upsertVector(SearchTarget target, UUID id, String model, float[] vector);

    /**
     * @deprecated use {@link #upsertVector(SearchTarget, UUID, String, float[])}; removed in 1.0.
     * @param target whether {@code id} is a message's or a memory's
     * @param id the message's or memory's id, as {@code target} says
     * @param model the model key
     * @param vector the embedding
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default void putVector(SearchTarget target, UUID id, String model, float[] vector) {
        upsertVector(target, id, model, vector);
    }

    /**
     * Stores (or replaces) the vector of an asset, which must exist (not deleted) in this tenant;
     * deleting the asset removes its vectors. Give the conversation it belongs to (or
     * {@code null}) so purging that conversation removes it.
     *
     * @param assetId the asset's id
     * @param conversationId the conversation's id, or {@code null}
     * @param model the model key
     * @param vector the embedding
     * @throws NotFoundException naming {@code assetId} or {@code conversationId} for an unknown, deleted or other tenant's asset or conversation
     */
    void upsertAssetVector(UUID assetId, @Nullable UUID conversationId, String model, float[] vector);

    /**
     * @deprecated use {@link #upsertAssetVector(UUID, UUID, String, float[])}; removed in 1.0.
     * @param assetId the asset's id
     * @param conversationId the conversation's id
     * @param model the model key
     * @param vector the embedding
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default void putAssetVector(UUID assetId, UUID conversationId, String model, float[] vector) {
        upsertAssetVector(assetId, conversationId, model, vector);
    }

    /**
     * Embeds the current content of a message or memory with {@code embedder} and stores it.
     * The embedder runs outside any transaction; the vector is stored only if the content is
     * still the one embedded.
     *
     * @param target whether {@code id} is a message's or a memory's
     * @param id the message's or memory's id, as {@code target} says
     * @param model the model key
     * @param embedder the application's embedding function
     * @throws ConflictException naming {@code id} when the content changed while the embedder ran
     *                           (nothing is stored; embed again); an exception the embedder throws
     *                           reaches the caller as thrown, and a vector it returns is checked as
     *                           {@link #upsertVector}'s is
     * @throws InvalidInputException naming {@code target} for {@link SearchTarget#ASSET} (Atlas holds no text for assets)
     * @throws NotFoundException naming {@code id}, as {@link #upsertVector} does, before the embedder is called
     */
    void embed(SearchTarget target, UUID id, String model, Embedder embedder);

    /**
     * Deletes one vector; throws {@link NotFoundException} naming {@code id} when there is none, or when its
     * message or memory is not found by reads (deleted, expired, in a deleted conversation), and then keeps it.
     *
     * @param target whether {@code id} is a message's or a memory's
     * @param id the message's or memory's id, as {@code target} says
     * @param model the model key
     */
    void deleteVector(SearchTarget target, UUID id, String model);

    /**
     * @deprecated use {@link #deleteVector(SearchTarget, UUID, String)}; removed in 1.0.
     * @param target whether {@code id} is a message's or a memory's
     * @param id the message's or memory's id, as {@code target} says
     * @param model the model key
     * @return whether a vector was removed
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default boolean removeVector(SearchTarget target, UUID id, String model) {
        try {
            deleteVector(target, id, model);
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * The dimension of a model's vectors in this tenant, or 0 when none were stored yet. It stays
     * once set, also when every vector of the model is deleted: vectors of another dimension need
     * another model key.
     *
     * @param model the model key
     * @return the dimension of a model's vectors in this tenant, or 0 when none were stored yet
     */
    int dimension(String model);
}
