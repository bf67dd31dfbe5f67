package dev.atlas.search;

import dev.atlas.Atlas;

/**
 * The application's embedding model. Atlas never computes embeddings itself; give it one of
 * these (a lambda around your provider's client) or pass vectors directly. Every vector one
 * model returns must have the same dimension.
 */
@FunctionalInterface
public interface Embedder {
    /**
     * Turns {@code text} into a vector with the application's embedding model.
     *
     * @param text the text
     * @return the float[]
     */
    float[] embed(String text);
}
