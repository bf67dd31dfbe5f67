package dev.atlas.jdbi.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * How a full-text hit is ranked and shown, from the row's own text and the query only: its score
 * over the stored search column ({@link SearchText#index}) and its snippet of the content.
 */
final class TextRanking {
    private TextRanking() {}

    // BM25's term-frequency saturation and length normalisation with a fixed average length and
    // no inverse document frequency: a row's score depends on that row and the query only.
    private static final double K1 = 1.2;
    private static final double B = 0.75;
    private static final double AVERAGE_WORDS = 32;

    /** The relevance of a row with search column {@code index}: 0 unless every phrase (terms joined by spaces) occurs in it. */
    static double score(String index, List<String> phrases) {
        double norm = K1 * (1 - B + B * SearchText.length(index) / AVERAGE_WORDS);
        double score = 0;
        for (String phrase : phrases) {
            int tf = SearchText.count(index, phrase);
            if (tf == 0) {
                return 0;
            }
            score += tf * (K1 + 1) / (tf + norm);
        }
        return score;
    }

    private static final int SNIPPET_WORDS = 16;
    private static final int SNIPPET_CONTEXT = 3;

    /**
     * At most {@value #SNIPPET_WORDS} words of {@code content} around the matches, each matched
     * phrase in one pair of brackets, with "…" where the content was cut; a word or the text
     * between two words longer than {@value #SNIPPET_SPAN} code points is cut to that.
     */
    static String snippet(String content, List<List<String>> phrases) {
        SearchText.Spans words = SearchText.spans(content);
        int n = words.size();
        boolean[] matched = new boolean[n];
        boolean[] joined = new boolean[n]; // word i and i + 1 are in one matched phrase
        List<int[]> occurrences = new ArrayList<>(); // {first word, phrase}
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < phrases.size(); p++) {
                List<String> phrase = phrases.get(p);
                if (words.at(i, phrase)) {
                    for (int j = 0; j < phrase.size(); j++) {
                        matched[i + j] = true;
                        if (j > 0) {
                            joined[i + j - 1] = true;
                        }
                    }
                    occurrences.add(new int[] {i, p});
                }
            }
        }
        int from = n > SNIPPET_WORDS ? window(occurrences, phrases, n) : 0;
        int to = Math.min(n, from + SNIPPET_WORDS); // exclusive
        if (n == 0) {
            return cut(new StringBuilder(), content, 0, content.length(), false).toString();
        }
        StringBuilder out = new StringBuilder(128);
        if (from > 0) {
            out.append('…');
        }
        // The text before the first word is shown only at the start of the content, by its end.
        cut(out, content, from == 0 ? 0 : words.start(from), words.start(from), true);
        for (int i = from; i < to; i++) {
            if (matched[i] && (i == from || !joined[i - 1])) {
                out.append('[');
            }
            cut(out, content, words.start(i), words.end(i), false);
            if (matched[i] && (i == to - 1 || !joined[i])) {
                out.append(']');
            }
            if (i + 1 < to || to == n) { // the text up to the next word shown, or the content's end
                cut(out, content, words.end(i), i + 1 < n ? words.start(i + 1) : content.length(), false);
            }
        }
        if (to < n) {
            out.append('…');
        }
        return out.toString();
    }

    /**
     * The first word of the snippet's window: of the windows starting {@value #SNIPPET_CONTEXT} words before an
     * occurrence (kept within the content), the one holding the most different phrases whole, the earliest of equals.
     * Every occurrence is a candidate, in one pass: the windows' starts and ends only move forward, so each occurrence
     * enters the count once (when the window's end reaches its end) and leaves it once (when the start passes it).
     * {@code occurrences}: {first word, phrase}, in word order.
     */
    static int window(List<int[]> occurrences, List<List<String>> phrases, int n) {
        int m = occurrences.size();
        Integer[] byEnd = new Integer[m];
        for (int k = 0; k < m; k++) {
            byEnd[k] = k;
        }
        java.util.Arrays.sort(byEnd, java.util.Comparator.comparingInt(k -> occurrences.get(k)[0] + phrases.get(occurrences.get(k)[1]).size()));
        int[] counts = new int[phrases.size()];
        boolean[] in = new boolean[m];
        boolean[] passed = new boolean[m];
        int distinct = 0;
        int best = -1;
        int from = 0;
        for (int k = 0, added = 0, left = 0; k < m; k++) {
            int start = Math.max(0, Math.min(occurrences.get(k)[0] - SNIPPET_CONTEXT, n - SNIPPET_WORDS));
            for (; left < m && occurrences.get(left)[0] < start; left++) {
                passed[left] = true;
                if (in[left] && --counts[occurrences.get(left)[1]] == 0) {
                    distinct--;
                }
            }
            for (; added < m; added++) {
                int o = byEnd[added];
                if (occurrences.get(o)[0] + phrases.get(occurrences.get(o)[1]).size() > start + SNIPPET_WORDS) {
                    break;
                }
                if (!passed[o]) {
                    in[o] = true;
                    if (counts[occurrences.get(o)[1]]++ == 0) {
                        distinct++;
                    }
                }
            }
            if (distinct > best) {
                best = distinct;
                from = start;
            }
        }
        return from;
    }

    /** Longest word, or text between words, a snippet shows whole; longer ones are cut to it with "…". */
    private static final int SNIPPET_SPAN = 64;

    /**
     * Appends {@code content[start, end)}, cut to its first (or, with {@code keepEnd}, last)
     * {@value #SNIPPET_SPAN} code points when longer, so a snippet of huge words or runs of
     * punctuation stays short and never splits a surrogate pair.
     */
    private static StringBuilder cut(StringBuilder out, String content, int start, int end, boolean keepEnd) {
        if (end - start <= SNIPPET_SPAN || content.codePointCount(start, end) <= SNIPPET_SPAN) {
            return out.append(content, start, end);
        }
        return keepEnd ? out.append('…').append(content, content.offsetByCodePoints(end, -SNIPPET_SPAN), end)
                : out.append(content, start, content.offsetByCodePoints(start, SNIPPET_SPAN)).append('…');
    }
}
