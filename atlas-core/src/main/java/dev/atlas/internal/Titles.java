package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

import java.util.regex.Pattern;

/** Derives a conversation title from its first user message. Not public API. */
public final class Titles {
    /** Titles are cut to this many characters, ellipsis included. */
    public static final int MAX = 80;

    /** Compiled once: {@code String.replaceAll} compiled it on every append (issue 17, benchmark 1's profile). */
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private Titles() {}

    /**
     * The message's first words with whitespace collapsed, cut at a word boundary and ended with
     * an ellipsis when longer than {@link #MAX}; {@code null} for blank content.
     *
     * @param content the content, or {@code null}
     * @return the string, or {@code null}
     */
    public static @Nullable String fromMessage(@Nullable String content) {
        if (content == null) {
            return null;
        }
        String flat = WHITESPACE.matcher(content.strip()).replaceAll(" ");
        if (flat.isEmpty()) {
            return null;
        }
        if (flat.length() <= MAX) {
            return flat;
        }
        int cut = flat.lastIndexOf(' ', MAX - 1);
        if (cut < MAX / 2) {
            cut = MAX - 1;
        }
        if (Character.isHighSurrogate(flat.charAt(cut - 1))) {
            cut--;
        }
        return flat.substring(0, cut).stripTrailing() + "…";
    }
}
