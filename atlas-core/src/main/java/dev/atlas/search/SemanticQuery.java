package dev.atlas.search;

import dev.atlas.internal.Check;

import dev.atlas.Limits;
import dev.atlas.Owner;

/**
 * A nearest-neighbour query: the {@code k} items of {@code target} whose vector from
 * {@code model} is most similar (cosine) to {@code vector}.
 *
 * <pre>{@code
 * search.similar(SemanticQuery.of(SearchTarget.MEMORY, "minilm-384", queryVector).k(5)
 *         .filter(SearchFilter.none().owner(Owner.user("42"))))
 * }</pre>
 *
 * @param target what kind of item to search
 * @param model the key of the embedding model whose vectors are compared
 * @param vector the query embedding: 1 to {@link Limits#MAX_VECTOR_DIMENSION} finite values, not all zero
 * @param filter which items qualify; {@link SearchFilter#none()} for all
 * @param k how many nearest items to return, 1 to {@link Limits#MAX_PAGE_SIZE}; 10 unless given
 */
public record SemanticQuery(SearchTarget target, String model, float[] vector, SearchFilter filter, int k) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param target what kind of item to search
     * @param model the model key
     * @param vector the embedding
     * @param filter which items qualify
     * @param k how many nearest items to return
     */
    public SemanticQuery {
        Check.notNull("target", target);
        dev.atlas.internal.VectorCheck.model("model", model);
        vector = dev.atlas.internal.VectorCheck.checked("vector", vector).clone();
        Check.notNull("filter", filter);
        filter.checkApplies(target);
        Check.positive("k", k, Limits.MAX_PAGE_SIZE);
    }

    /**
     * A copy of the query vector (the record keeps its own copy, validated once).
     *
     * @return the embedding
     */
    @Override
    public float[] vector() {
        return vector.clone();
    }

    /**
     * Creates a {@code SemanticQuery} from {@code target}, {@code model}, {@code vector}.
     *
     * @param target what kind of item to search
     * @param model the model key
     * @param vector the embedding
     * @return the new value
     */
    public static SemanticQuery of(SearchTarget target, String model, float[] vector) {
        return new SemanticQuery(target, model, vector, SearchFilter.none(), 10);
    }

    /**
     * Embeds {@code text} with the application's embedder now and queries with the result.
     *
     * @param target what kind of item to search
     * @param model the model key
     * @param text the text
     * @param embedder the application's embedding function
     * @return the new value
     */
    public static SemanticQuery of(SearchTarget target, String model, String text, Embedder embedder) {
        Check.required("text", text, Limits.MAX_CONTENT_LENGTH);
        return of(target, model, Check.notNull("embedder", embedder).embed(text));
    }

    /**
     * Returns a copy with {@code filter} replaced.
     *
     * @param filter which items qualify
     * @return a copy with this change
     */
    public SemanticQuery filter(SearchFilter filter) {
        return new SemanticQuery(target, model, vector, filter, k);
    }

    /**
     * Returns a copy with {@code k} replaced.
     *
     * @param k how many nearest items to return
     * @return a copy with this change
     */
    public SemanticQuery k(int k) {
        return new SemanticQuery(target, model, vector, filter, k);
    }
}
