package dev.atlas.jdbi.internal;

import java.util.ArrayList;
import java.util.BitSet;
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
     * phrase in one pair of brackets, with "…" where the content was cut.
     */
    static String snippet(String content, List<List<String>> phrases) {
        List<SearchText.Word> words = SearchText.words(content, Integer.MAX_VALUE);
        int n = words.size();
        boolean[] matched = new boolean[n];
        boolean[] joined = new boolean[n]; // word i and i + 1 are in one matched phrase
        List<int[]> occurrences = new ArrayList<>(); // {first word, phrase}
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < phrases.size(); p++) {
                List<String> phrase = phrases.get(p);
                if (SearchText.at(words, i, phrase)) {
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
        int from = 0;
        if (n > SNIPPET_WORDS) {
            // The window showing the most different phrases; the earliest of equals.
            int bestCount = -1;
            for (int k = 0; k < occurrences.size() && k < 100; k++) {
                int start = Math.max(0, Math.min(occurrences.get(k)[0] - SNIPPET_CONTEXT, n - SNIPPET_WORDS));
                BitSet seen = new BitSet();
                for (int[] o : occurrences) {
                    if (o[0] >= start && o[0] + phrases.get(o[1]).size() <= start + SNIPPET_WORDS) {
                        seen.set(o[1]);
                    }
                }
                if (seen.cardinality() > bestCount) {
                    bestCount = seen.cardinality();
                    from = start;
                }
            }
        }
        int to = Math.min(n, from + SNIPPET_WORDS); // exclusive
        int begin = from == 0 ? 0 : words.get(from).start();
        int end = to == n ? content.length() : words.get(to - 1).end();
        StringBuilder out = new StringBuilder(end - begin + 16);
        if (begin > 0) {
            out.append('…');
        }
        int at = begin;
        for (int i = from; i < to; i++) {
            SearchText.Word w = words.get(i);
            if (matched[i] && (i == from || !joined[i - 1])) {
                out.append(content, at, w.start()).append('[');
                at = w.start();
            }
            if (matched[i] && (i == to - 1 || !joined[i])) {
                out.append(content, at, w.end()).append(']');
                at = w.end();
            }
        }
        out.append(content, at, end);
        if (end < content.length()) {
            out.append('…');
        }
        return out.toString();
    }
}
