package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

/** Derives a conversation title from its first user message. Not public API. */
public final class Titles {
    /** Titles are cut to this many characters, ellipsis included. */
    public static final int MAX = 80;

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
        // One pass over at most the first MAX + 1 characters of the collapsed text, not the whole
        // content (up to megabytes): the title never looks further. Same result as
        // content.strip().replaceAll("\\s+", " ") cut to that length: strip() trims
        // Character.isWhitespace, while \s collapses only the six ASCII whitespace characters.
        int start = 0;
        int end = content.length();
        while (start < end && Character.isWhitespace(content.codePointAt(start))) {
            start += Character.charCount(content.codePointAt(start));
        }
        while (end > start && Character.isWhitespace(content.codePointBefore(end))) {
            end -= Character.charCount(content.codePointBefore(end));
        }
        if (start == end) {
            return null;
        }
        StringBuilder flat = new StringBuilder(Math.min(end - start, MAX + 1));
        for (int i = start; i < end && flat.length() <= MAX; i++) {
            char ch = content.charAt(i);
            if (isAsciiSpace(ch)) {
                while (i + 1 < end && isAsciiSpace(content.charAt(i + 1))) {
                    i++;
                }
                ch = ' ';
            }
            flat.append(ch);
        }
        if (flat.length() <= MAX) {
            return flat.toString();
        }
        int cut = flat.lastIndexOf(" ", MAX - 1);
        if (cut < MAX / 2) {
            cut = MAX - 1;
        }
        if (Character.isHighSurrogate(flat.charAt(cut - 1))) {
            cut--;
        }
        return flat.substring(0, cut).stripTrailing() + "…";
    }

    /** What {@code \s} matches without UNICODE_CHARACTER_CLASS. */
    private static boolean isAsciiSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }
}
