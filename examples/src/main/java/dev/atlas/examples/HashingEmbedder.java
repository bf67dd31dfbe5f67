package dev.atlas.examples;

import dev.atlas.search.Embedder;

import java.util.Locale;

/**
 * The examples' stand-in for an embedding model: a hashed bag of words in 64 dimensions.
 *
 * <p>Each word (lowercased, a plural "s" dropped) adds 1 to the dimension its hash falls in, so
 * texts that share words point the same way and their cosine similarity is high. It is
 * deterministic, offline and instant, but it knows nothing of meaning: "phone" and "call" are
 * unrelated to it. In your application, call your provider's embedding endpoint (or a local
 * model such as all-MiniLM-L6-v2) instead; Atlas only stores and compares the vectors.
 */
final class HashingEmbedder implements Embedder {

    /** The model key vectors are stored under; every vector of one model has the same dimension. */
    static final String MODEL = "hashing-bow-64";

    private static final int DIMENSIONS = 64;

    @Override
    public float[] embed(String text) {
        float[] vector = new float[DIMENSIONS];
        for (String word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (word.isEmpty()) {
                continue;
            }
            // String.hashCode is specified by the JDK, so the vectors are the same in every run.
            vector[Math.floorMod(stem(word).hashCode(), DIMENSIONS)] += 1;
        }
        return vector;
    }

    /** "prefers" and "prefer", "calls" and "call" count as the same word. */
    private static String stem(String word) {
        return word.length() > 3 && word.endsWith("s") ? word.substring(0, word.length() - 1) : word;
    }
}
