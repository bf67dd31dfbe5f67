package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Derives a conversation title from its first user message. Not public API. */
public final class Titles {
    /** Titles are cut to this many characters, ellipsis included. */
    public static final int MAX = 80;

    private static final Pattern GRAPHEME = Pattern.compile("\\X");

    private Titles() {}

    /**
     * The message's first words with white space collapsed, cut at a word boundary (or between
     * graphemes when no word ends late enough) and ended with an ellipsis when longer than
     * {@link #MAX}; {@code null} for blank content.
     *
     * @param content the content, or {@code null}
     * @return the string, or {@code null}
     */
    public static @Nullable String fromMessage(@Nullable String content) {
        if (content == null) {
            return null;
        }
        // One pass over at most the first MAX + 1 characters of the collapsed text, not the whole
        // content (up to megabytes): the title never looks further. White space is what strip()
        // trims (Character.isWhitespace), line and paragraph separators and ideographic space
        // included, so a title never holds a line break.
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
        StringBuilder flat = new StringBuilder(Math.min(end - start, MAX + 2));
        boolean space = false;
        for (int i = start; i < end && flat.length() <= MAX; ) {
            int cp = content.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp)) {
                space = true;
                continue;
            }
            if (space) {
                flat.append(' ');
                space = false;
            }
            flat.appendCodePoint(cp);
        }
        if (flat.length() <= MAX) {
            return flat.toString();
        }
        int cut = flat.lastIndexOf(" ", MAX - 1);
        if (cut < MAX / 2) {
            // No word boundary late enough: cut between characters as a reader sees them, so an
            // accent stays on its letter and a flag or emoji sequence stays whole.
            Matcher grapheme = GRAPHEME.matcher(flat);
            cut = 0;
            while (grapheme.find() && grapheme.end() <= MAX - 1) {
                cut = grapheme.end();
            }
            if (cut == 0) {
                // One grapheme longer than a title (a letter under hundreds of marks): code points.
                cut = MAX - 1;
                if (Character.isHighSurrogate(flat.charAt(cut - 1))) {
                    cut--;
                }
            }
        }
        return flat.substring(0, cut).stripTrailing() + "…";
    }
}
