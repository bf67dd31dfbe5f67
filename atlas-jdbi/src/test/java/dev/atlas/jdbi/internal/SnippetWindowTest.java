package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippet's window (no database): the one-pass choice equals trying every occurrence's window and counting. */
class SnippetWindowTest {

    /** Pieces of text for snippets: ASCII words of every case, x-words, digits, joiners, CJK, accents, marks, emoji, NUL, lone surrogates. */
    private static final List<String> VOCABULARY = List.of("cat", "Cat", "CAT", "dog", "DOG", "xray", "Xray", "x", "X", "a1", "A1", "2024",
            "user_id", "e-mail", "don't", "ada@example.com", "2.5.1", "\u4e2d", "\u6587", "\u4e2d\u6587", "caf\u00e9", "CAF\u00c9", "cafe\u0301",
            "\u00e9", "\uFB01le", "\uD83D\uDC4D", "\uD83D\uDC4D\uD83C\uDFFD", "\u0130stanbul", "stra\u00dfe", "\u0000", "\uD800", "\uDC00x",
            "c".repeat(70), "C".repeat(64) + "at", "\u00e9".repeat(70), "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0e20\u0e32\u0e29\u0e32");
    private static final List<String> GAPS = List.of(" ", " ", " ", "  ", ", ", ". ", "\n", " \u2014 ", "!", "", "-", "   ".repeat(30), "\u3002");

    @Test
    @DisplayName("srch20: a snippet is byte-exact the snippet the code before srch20 made (every word and occurrence kept in memory), over"
            + " 300 random texts of hostile words and gaps and queries of 1 to 4 phrases of 1 to 20 words")
    void snippetIsTheSnippetOfTheCodeBefore() {
        Random random = new Random(20);
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 300; round++) {
            int words = random.nextInt(round % 10 == 0 ? 300 : 40);
            int vocabulary = 2 + random.nextInt(VOCABULARY.size() - 1); // a small vocabulary repeats words
            StringBuilder text = new StringBuilder(random.nextBoolean() ? GAPS.get(random.nextInt(GAPS.size())) : "");
            for (int i = 0; i < words; i++) {
                text.append(VOCABULARY.get(random.nextInt(vocabulary))).append(GAPS.get(random.nextInt(GAPS.size())));
            }
            StringBuilder query = new StringBuilder();
            for (int p = 1 + random.nextInt(4); p > 0; p--) {
                int length = 1 + random.nextInt(random.nextInt(8) == 0 ? 20 : 3);
                for (int w = 0; w < length; w++) {
                    query.append(w > 0 ? "-" : " ").append(VOCABULARY.get(random.nextInt(vocabulary)));
                }
            }
            String content = text.toString();
            List<List<String>> phrases = SearchText.phrases(query.toString(), 32);
            String expected = Before.snippet(content, phrases);
            String got = TextRanking.snippet(content, phrases);
            if (!got.equals(expected)) {
                wrong.add("round " + round + ": " + got + " instead of " + expected);
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    @DisplayName("two phrases ending at one word both count in the window the first one's occurrence completes: a 13-word phrase"
            + " and its last word, 3 words in, are both whole in the first 16 words, which the snippet shows")
    void phrasesEndingAtOneWordCountTogether() {
        String content = "w w w a b c d e f g h i j k l m w";
        List<List<String>> phrases = SearchText.phrases("a-b-c-d-e-f-g-h-i-j-k-l-m m", 32);
        assertThat(phrases).hasSize(2);
        assertThat(TextRanking.snippet(content, phrases)).isEqualTo("w w w [a b c d e f g h i j k l m]\u2026")
                .isEqualTo(Before.snippet(content, phrases));
        // Phrases of 13 to 16 words ending at word 15 with a one-word phrase: both whole in the window from word 0.
        for (int length = 13; length <= 16; length++) {
            List<int[]> occurrences = List.of(new int[] {16 - length, 0}, new int[] {15, 1});
            List<List<String>> lengths = List.of(java.util.Collections.nCopies(length, "w"), List.of("v"));
            assertThat(window(occurrences, lengths, 17)).as("%d words", length).isEqualTo(everyCandidate(occurrences, lengths, 17))
                    .isEqualTo(0);
        }
    }

    /** TextRanking's snippet as it was before srch20 (words and occurrences all held), the reference of the differential. */
    private static final class Before {
        static String snippet(String content, List<List<String>> phrases) {
            Spans words = Spans.of(content);
            int n = words.size();
            boolean[] matched = new boolean[n];
            boolean[] joined = new boolean[n];
            List<int[]> occurrences = new ArrayList<>();
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
            int from = n > 16 ? everyCandidate(occurrences, phrases, n) : 0;
            int to = Math.min(n, from + 16);
            if (n == 0) {
                return cut(new StringBuilder(), content, 0, content.length(), false).toString();
            }
            StringBuilder out = new StringBuilder(128);
            if (from > 0) {
                out.append('\u2026');
            }
            cut(out, content, from == 0 ? 0 : words.start(from), words.start(from), true);
            for (int i = from; i < to; i++) {
                if (matched[i] && (i == from || !joined[i - 1])) {
                    out.append('[');
                }
                cut(out, content, words.start(i), words.end(i), false);
                if (matched[i] && (i == to - 1 || !joined[i])) {
                    out.append(']');
                }
                if (i + 1 < to || to == n) {
                    cut(out, content, words.end(i), i + 1 < n ? words.start(i + 1) : content.length(), false);
                }
            }
            if (to < n) {
                out.append('\u2026');
            }
            return out.toString();
        }

        private static StringBuilder cut(StringBuilder out, String content, int start, int end, boolean keepEnd) {
            if (end - start <= 64 || content.codePointCount(start, end) <= 64) {
                return out.append(content, start, end);
            }
            return keepEnd ? out.append('\u2026').append(content, content.offsetByCodePoints(end, -64), end)
                    : out.append(content, start, content.offsetByCodePoints(start, 64)).append('\u2026');
        }
    }

    @Test
    @DisplayName("the snippet window is the window, 3 words before an occurrence, holding the most different phrases whole,"
            + " the earliest of equals, for any number of occurrences and phrases of 1 to 20 words")
    void windowEqualsTheCountOfEveryCandidate() {
        Random random = new Random(17);
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 400; round++) {
            int n = 17 + random.nextInt(round % 20 == 0 ? 300 : 60);
            List<List<String>> phrases = new ArrayList<>();
            for (int p = 1 + random.nextInt(4); p > 0; p--) {
                int length = 1 + random.nextInt(random.nextInt(8) == 0 ? 20 : 3);
                phrases.add(java.util.Collections.nCopies(length, "w"));
            }
            List<int[]> occurrences = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < phrases.size(); p++) {
                    if (i + phrases.get(p).size() <= n && random.nextInt(4) == 0) {
                        occurrences.add(new int[] {i, p});
                    }
                }
            }
            int got = window(occurrences, phrases, n);
            int expected = everyCandidate(occurrences, phrases, n);
            if (got != expected) {
                wrong.add("round " + round + ": " + got + " instead of " + expected);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** The window TextRanking.Window chooses, the words coming one at a time with the phrases ending at each. */
    private static int window(List<int[]> occurrences, List<List<String>> phrases, int n) {
        long[] ending = new long[n];
        for (int[] o : occurrences) {
            ending[o[0] + phrases.get(o[1]).size() - 1] |= 1L << o[1];
        }
        TextRanking.Window window = new TextRanking.Window(phrases.stream().mapToInt(List::size).toArray());
        for (long e : ending) {
            window.next(e);
        }
        return window.from(n);
    }

    /** Each occurrence's window counted afresh (the choice the snippet made among the first 100 before). */
    private static int everyCandidate(List<int[]> occurrences, List<List<String>> phrases, int n) {
        int from = 0;
        int best = -1;
        for (int[] at : occurrences) {
            int start = Math.max(0, Math.min(at[0] - 3, n - 16));
            BitSet seen = new BitSet();
            for (int[] o : occurrences) {
                if (o[0] >= start && o[0] + phrases.get(o[1]).size() <= start + 16) {
                    seen.set(o[1]);
                }
            }
            if (seen.cardinality() > best) {
                best = seen.cardinality();
                from = start;
            }
        }
        return from;
    }
}
