package dev.atlas.jdbi.internal;

import java.util.List;

/**
 * The words of a text in arrays (no object per word): where each is ({@code [start, end)} in UTF-16 units)
 * and its stored term. The snippet held its content's words so until srch20 (a megabyte of CJK is a million words);
 * it now streams them ({@link TextRanking}), and these are the tests' reference of each word's term.
 */
final class Spans {
    private int n;
    private int[] starts = new int[16];
    private int[] ends = new int[16];
    private String[] terms = new String[16];

    private void add(int start, int end, String term) {
        if (n == starts.length) {
            int size = n * 2;
            starts = java.util.Arrays.copyOf(starts, size);
            ends = java.util.Arrays.copyOf(ends, size);
            terms = java.util.Arrays.copyOf(terms, size);
        }
        starts[n] = start;
        ends[n] = end;
        terms[n++] = term;
    }

    /** How many words. */
    int size() {
        return n;
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }

    String term(int i) {
        return terms[i];
    }

    /** Whether the words from {@code i} on are the terms of {@code phrase}. */
    boolean at(int i, List<String> phrase) {
        if (i + phrase.size() > n) {
            return false;
        }
        for (int j = 0; j < phrase.size(); j++) {
            if (!terms[i + j].equals(phrase.get(j))) {
                return false;
            }
        }
        return true;
    }

    /** The words of {@code text}, all of them. */
    static Spans of(String text) {
        Spans spans = new Spans();
        SearchText.Terms terms = new SearchText.Terms();
        SearchText.scan(text, Integer.MAX_VALUE, (start, end, ascii) -> spans.add(start, end, terms.of(text, start, end, ascii)));
        return spans;
    }
}
