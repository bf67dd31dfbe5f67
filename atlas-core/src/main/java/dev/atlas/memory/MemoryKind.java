package dev.atlas.memory;


import java.util.regex.Pattern;

import dev.atlas.InvalidInputException;

/**
 * What a memory is: one of the well-known kinds below or an application-defined kind. Kinds
 * are lower-case identifiers (letters, digits, {@code _ . -}, at most 64 characters).
 *
 * @param value the stored form, for example {@code "fact"}
 */
public record MemoryKind(String value) {
    private static final Pattern FORM = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

    /** The built-in kind stored as {@code "fact"}. */
    public static final MemoryKind FACT = new MemoryKind("fact");
    /** The built-in kind stored as {@code "preference"}. */
    public static final MemoryKind PREFERENCE = new MemoryKind("preference");
    /** The built-in kind stored as {@code "summary"}. */
    public static final MemoryKind SUMMARY = new MemoryKind("summary");
    /** The built-in kind stored as {@code "task"}. */
    public static final MemoryKind TASK = new MemoryKind("task");
    /** The built-in kind stored as {@code "constraint"}. */
    public static final MemoryKind CONSTRAINT = new MemoryKind("constraint");
    /** The built-in kind stored as {@code "episode"}. */
    public static final MemoryKind EPISODE = new MemoryKind("episode");

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it,
     * whose message quotes at most the first 40 code points of the value (never half a surrogate
     * pair), controls and unpaired surrogates as escapes. The value is taken as given, never
     * lower-cased: normalise a model's output before calling this.
     *
     * @param value the stored form, for example {@code "fact"}
     */
    public MemoryKind {
        if (value == null) {
            throw new InvalidInputException("kind", "is required");
        }
        if (!FORM.matcher(value).matches()) {
            throw new InvalidInputException("kind", dev.atlas.internal.Check.quoted(value) + " is not a kind: use 1 to 64 of a-z 0-9 _ . - starting with a letter");
        }
    }

    /**
     * A well-known or application-defined kind.
     *
     * @param value the stored form, for example {@code "fact"}
     * @return the new value
     */
    public static MemoryKind of(String value) {
        return new MemoryKind(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
