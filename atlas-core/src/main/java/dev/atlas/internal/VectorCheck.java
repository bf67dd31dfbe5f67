package dev.atlas.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

/** Validation of embedding vectors, shared by every entry point that accepts one. Not public API. */
public final class VectorCheck {
    private VectorCheck() {}

    /**
     * Returns {@code vector} when it is usable for cosine similarity: present, 1 to
     * {@link Limits#MAX_VECTOR_DIMENSION} values, all finite, not all zero.
     *
     * @param field the input field to name in the exception
     * @param vector the embedding
     * @return the float[]
     */
    public static float[] checked(String field, float @Nullable [] vector) {
        if (vector == null) {
            throw new InvalidInputException(field, "is required");
        }
        if (vector.length == 0 || vector.length > Limits.MAX_VECTOR_DIMENSION) {
            throw new InvalidInputException(field, "has " + vector.length + " dimensions; 1 to " + Limits.MAX_VECTOR_DIMENSION + " are allowed");
        }
        double norm = 0;
        for (int i = 0; i < vector.length; i++) {
            float v = vector[i];
            if (!Float.isFinite(v)) {
                throw new InvalidInputException(field, "value at index " + i + " is " + v + "; only finite numbers are allowed");
            }
            norm += (double) v * v;
        }
        if (norm == 0) {
            throw new InvalidInputException(field, "is the zero vector, which has no direction for cosine similarity");
        }
        if (!Double.isFinite(norm)) {
            throw new InvalidInputException(field, "is too large: its squared length overflows");
        }
        return vector;
    }

    private static final java.util.regex.Pattern MODEL = java.util.regex.Pattern.compile("[A-Za-z0-9._:/@+-]{1,200}");

    /**
     * Embedding model names: 1 to 200 of {@code A-Z a-z 0-9 . _ : / @ + -}.
     *
     * @param field the input field to name in the exception
     * @param model the model key, or {@code null}
     * @return the model key
     */
    public static String model(String field, @Nullable String model) {
        if (model == null) {
            throw new InvalidInputException(field, "is required");
        }
        if (!MODEL.matcher(model).matches()) {
            throw new InvalidInputException(field, "must be 1 to 200 of A-Z a-z 0-9 . _ : / @ + -");
        }
        return model;
    }
}
