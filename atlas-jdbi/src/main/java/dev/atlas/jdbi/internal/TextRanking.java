package dev.atlas.jdbi.internal;

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
     * <p>Its memory is the window's, whatever the content: a first scan streams the words through a
     * {@link Window}, which keeps the last few words only (and the start of the first word to read again for
     * the best window so far); a second scan reads the words of the chosen window only, from the first word of
     * a phrase that may end in it (for the brackets of phrases crossing its edges): each word is read once
     * but those few.
     */
    static String snippet(String content, List<List<String>> phrases) {
        Matcher matcher = new Matcher(phrases);
        Window window = new Window(matcher.lengths);
        int longest = matcher.longest;
        // The last words' starts, as far back as the first word a second scan reads for a window counted now.
        int[] starts = new int[Integer.highestOneBit((2 * longest + SNIPPET_WORDS) * 2)];
        int[] read = {0, 0, 0}; // words; then the first word the second scan reads for the best window so far, and its start
        SearchText.scan(content, Integer.MAX_VALUE, (start, end, ascii) -> {
            int w = read[0]++;
            starts[w & (starts.length - 1)] = start;
            int best = window.from;
            window.next(matcher.next(content, start, end, ascii));
            if (window.from != best) {
                read[1] = Math.max(0, window.from - longest + 1);
                read[2] = starts[read[1] & (starts.length - 1)];
            }
        });
        int n = read[0];
        if (n == 0) {
            return cut(new StringBuilder(), content, 0, content.length(), false).toString();
        }
        int from = n > SNIPPET_WORDS ? window.from(n) : 0;
        int to = Math.min(n, from + SNIPPET_WORDS); // exclusive
        // The words of the window and of the phrases that may cross its edges: [lo, hi), read again from lo's start
        // (the phrases ending in the window start there or later).
        int lo = Math.max(0, from - longest + 1);
        int hi = Math.min(n, to + longest - 1);
        int[] wordStarts = new int[hi - lo];
        int[] ends = new int[hi - lo];
        long[] ending = new long[hi - lo]; // the phrases ending at each word
        Matcher again = new Matcher(phrases);
        int[] at = new int[1];
        SearchText.scan(content, lo == read[1] ? read[2] : starts[lo & (starts.length - 1)], hi - lo, (start, end, ascii) -> {
            wordStarts[at[0]] = start;
            ends[at[0]] = end;
            ending[at[0]++] = again.next(content, start, end, ascii);
        });
        boolean[] matched = new boolean[hi - lo];
        boolean[] joined = new boolean[hi - lo]; // word i and i + 1 are in one matched phrase
        for (int i = 0; i < hi - lo; i++) {
            for (long e = ending[i]; e != 0; e &= e - 1) {
                int length = matcher.lengths[Long.numberOfTrailingZeros(e)];
                for (int j = i - length + 1; j <= i; j++) {
                    if (j >= 0) { // a phrase ending before from shows nothing of itself
                        matched[j] = true;
                        if (j < i) {
                            joined[j] = true;
                        }
                    }
                }
            }
        }
        StringBuilder out = new StringBuilder(128);
        if (from > 0) {
            out.append('…');
        }
        // The text before the first word is shown only at the start of the content, by its end.
        cut(out, content, from == 0 ? 0 : wordStarts[from - lo], wordStarts[from - lo], true);
        for (int i = from; i < to; i++) {
            int w = i - lo;
            if (matched[w] && (i == from || !joined[w - 1])) {
                out.append('[');
            }
            cut(out, content, wordStarts[w], ends[w], false);
            if (matched[w] && (i == to - 1 || !joined[w])) {
                out.append(']');
            }
            if (i + 1 < to || to == n) { // the text up to the next word shown, or the content's end
                cut(out, content, ends[w], i + 1 < n ? wordStarts[w + 1] : content.length(), false);
            }
        }
        if (to < n) {
            out.append('…');
        }
        return out.toString();
    }

    /**
     * Which of a query's phrases end at each word of a text, read word by word: it keeps the query's terms and
     * the last words' terms as numbers (a word that is no term of the query is -1), so a word costs no memory kept.
     * A plain ASCII word of letters and digits is compared with the query's terms as it is, without making its term.
     */
    static final class Matcher {
        /** Each phrase's number of words. */
        final int[] lengths;
        /** The most words of a phrase. */
        final int longest;
        private final int[][] phrases; // each phrase's terms, as numbers
        private final String[] terms; // the query's different terms, by number
        private final java.util.Map<String, Integer> numbers = new java.util.HashMap<>();
        private final SearchText.Terms made = new SearchText.Terms();
        private final int[] last; // the last words' term numbers, by word number modulo its length
        private int words;

        Matcher(List<List<String>> query) {
            if (query.size() > Long.SIZE) {
                throw new IllegalArgumentException("at most 64 phrases: " + query.size());
            }
            lengths = new int[query.size()];
            phrases = new int[query.size()][];
            int most = 1;
            for (int p = 0; p < query.size(); p++) {
                List<String> phrase = query.get(p);
                lengths[p] = phrase.size();
                most = Math.max(most, phrase.size());
                phrases[p] = new int[phrase.size()];
                for (int j = 0; j < phrase.size(); j++) {
                    phrases[p][j] = numbers.computeIfAbsent(phrase.get(j), t -> numbers.size());
                }
            }
            longest = most;
            terms = new String[numbers.size()];
            numbers.forEach((t, k) -> terms[k] = t);
            last = new int[most];
        }

        /** The phrases (bit p: phrase p) whose last word is the next word, {@code text[start, end)}. */
        long next(String text, int start, int end, boolean ascii) {
            int w = words++;
            last[w % last.length] = number(text, start, end, ascii);
            long ending = 0;
            for (int p = 0; p < phrases.length; p++) {
                int[] phrase = phrases[p];
                if (phrase.length <= w + 1) {
                    boolean all = true;
                    for (int j = 0; all && j < phrase.length; j++) {
                        all = last[(w - phrase.length + 1 + j) % last.length] == phrase[j];
                    }
                    if (all) {
                        ending |= 1L << p;
                    }
                }
            }
            return ending;
        }

        private int number(String text, int start, int end, boolean ascii) {
            if (ascii && plain(text, start, end)) {
                // Its term is itself in lower case (SearchText.term, SearchText.encode).
                for (int k = 0; k < terms.length; k++) {
                    if (terms[k].length() == end - start && text.regionMatches(true, start, terms[k], 0, end - start)) {
                        return k;
                    }
                }
                return -1;
            }
            Integer k = numbers.get(made.of(text, start, end, ascii));
            return k == null ? -1 : k;
        }

        /** Whether ASCII {@code text[start, end)} is letters and digits, not starting with x, at most a term long. */
        private static boolean plain(String text, int start, int end) {
            if (end - start > SearchText.MAX_TERM || text.charAt(start) == 'x' || text.charAt(start) == 'X') {
                return false;
            }
            for (int i = start; i < end; i++) {
                char c = text.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * The first word of the snippet's window: of the windows starting {@value #SNIPPET_CONTEXT} words before an
     * occurrence (kept within the content), the one holding the most different phrases whole, the earliest of equals.
     * The words come one at a time with the phrases ending at each ({@link #next}); a window is counted once its
     * last word has come, from the occurrences starting in the last words, which a ring keeps: the memory is the
     * ring's, whatever the number of words or occurrences. A window past the content's end is the content's last
     * {@value #SNIPPET_WORDS} words, counted at the end ({@link #from}).
     */
    static final class Window {
        private final int[] lengths;
        private final int mask;
        private final long[] starting; // the phrases found starting at each of the last words, by word number & mask
        private final boolean[] waiting; // a window starting at that word is to be counted when its last word comes
        private int words;
        private int best = -1;
        private int from;

        /** A window for phrases of {@code lengths} words (at most 64 phrases). */
        Window(int[] lengths) {
            this.lengths = lengths;
            int longest = 1;
            for (int length : lengths) {
                longest = Math.max(longest, length);
            }
            // A window is counted at the latest when its first word is longest + SNIPPET_CONTEXT - 1 words back.
            int size = Integer.highestOneBit(Math.max(longest + SNIPPET_CONTEXT, SNIPPET_WORDS) * 2);
            mask = size - 1;
            starting = new long[size];
            waiting = new boolean[size];
        }

        /** The next word: bit p of {@code ending} is set when an occurrence of phrase p ends at it. */
        void next(long ending) {
            int w = words++;
            starting[w & mask] = 0;
            waiting[w & mask] = false;
            for (long e = ending; e != 0; e &= e - 1) {
                int p = Long.numberOfTrailingZeros(e);
                starting[(w - lengths[p] + 1) & mask] |= 1L << p;
            }
            // Then the windows: one counted now holds every phrase ending at this word, not only those before it.
            for (long e = ending; e != 0; e &= e - 1) {
                int first = w - lengths[Long.numberOfTrailingZeros(e)] + 1;
                int start = Math.max(0, first - SNIPPET_CONTEXT);
                if (start + SNIPPET_WORDS - 1 <= w) {
                    count(start);
                } else {
                    waiting[start & mask] = true;
                }
            }
            int start = w - SNIPPET_WORDS + 1;
            if (start >= 0 && waiting[start & mask]) {
                waiting[start & mask] = false;
                count(start);
            }
        }

        /** The window's first word, for a content of {@code n} words in all (n > {@value #SNIPPET_WORDS}). */
        int from(int n) {
            // A window still waiting starts past n - SNIPPET_WORDS: it is the last one.
            int last = n - SNIPPET_WORDS;
            for (int s = last + 1; s < n; s++) {
                if (waiting[s & mask]) {
                    count(last);
                    break;
                }
            }
            return from;
        }

        /** Counts the different phrases whole in the window from word {@code start}, all of whose words have come. */
        private void count(int start) {
            long seen = 0;
            for (int i = start; i < start + SNIPPET_WORDS; i++) {
                for (long s = starting[i & mask]; s != 0; s &= s - 1) {
                    int p = Long.numberOfTrailingZeros(s);
                    if (i + lengths[p] <= start + SNIPPET_WORDS) {
                        seen |= 1L << p;
                    }
                }
            }
            int distinct = Long.bitCount(seen);
            if (distinct > best || (distinct == best && start < from)) {
                best = distinct;
                from = start;
            }
        }
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
