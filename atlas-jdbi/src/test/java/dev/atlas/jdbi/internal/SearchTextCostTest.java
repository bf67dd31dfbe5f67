package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** What the tokeniser costs on large texts (no database), in normalisations: the costly step, about a microsecond each. */
class SearchTextCostTest {

    /** {@code chars} characters of a CJK text: 500 different Han characters and, every 40 of them, a full stop, カタカナ and a space. */
    private static String cjk(int chars) {
        StringBuilder text = new StringBuilder(chars);
        for (int i = 0; text.length() < chars; i++) {
            text.append((char) (0x4E00 + i * 7 % 500));
            if (i % 40 == 39) {
                text.append("。カタカナ ");
            }
        }
        return text.toString();
    }

    @Test
    @DisplayName("graph18: a text's words are normalised once per different word, not once per word: a CJK text twice as long"
            + " costs no more normalisations (a snippet of 1 MB of CJK took 1 to 2 s, each character normalised)")
    void aWordIsNormalisedOncePerText() {
        String text = cjk(20_000);
        String twice = text + text;
        SearchText.Terms once = new SearchText.Terms();
        List<SearchText.Word> words = SearchText.words(text, Integer.MAX_VALUE, once);
        SearchText.Terms again = new SearchText.Terms();
        List<SearchText.Word> doubled = SearchText.words(twice, Integer.MAX_VALUE, again);
        assertThat(doubled).hasSize(2 * words.size());
        int different = words.stream().map(w -> text.substring(w.start(), w.end())).collect(Collectors.toSet()).size();
        assertThat(different).isEqualTo(503); // 500 Han characters and カ, タ, ナ: each character of these scripts is a word
        assertThat(once.normalised()).isEqualTo(different);
        assertThat(again.normalised()).isEqualTo(different);
        // The terms are the same as each word's own.
        for (int i = 0; i < words.size(); i += 97) {
            SearchText.Word w = words.get(i);
            assertThat(w.term()).isEqualTo(SearchText.term(text.substring(w.start(), w.end()), false));
        }
        assertThat(SearchText.index(twice)).isEqualTo(SearchText.index(text) + " " + SearchText.index(text));
    }

    /** Pieces of hostile text: NFKC-changing, combining, astral, emoji, CJK, Thai, RTL, Turkish, German, lone surrogates. */
    private static final List<String> HOSTILE = List.of("\uFB01le \uFB00 \u216B \u2460 \u338F", "\uFF21\uFF22\uFF23\uFF11\uFF12\uFF13",
            "x\u00B2 X\u00B2 xylophone Xylophone", "\uFF8A\uFF9D\uFF76\uFF78 \uFF76\uFF9E", "\u1100\u1161 \uAC00", "e\u0301 \u0301 a\u0308\u0304",
            "\uD835\uDC00\uD835\uDC01\uD835\uDC02", "\uD840\uDC00\uD840\uDC01", "\uD83D\uDC4D\uD83C\uDFFD\uD83D\uDC4D",
            "\uD83C\uDDE7\uD83C\uDDEA\uD83C\uDDF7\uD83C\uDDFA", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", "\uD83E\uDD79\u270C\uFE0F",
            "\u4E2D\u6587\u641C\u7D22\u3002", "\u0E20\u0E32\u0E29\u0E32\u0E44\u0E17\u0E22", "\u0645\u064E\u0631\u0652\u062D\u064E\u0628\u064B\u0627 \u0645\u0631\u062D\u0628\u0627",
            "\u05E9\u05C1\u05B8\u05DC\u05D5\u05B9\u05DD\u200F", "\u0130stanbul \u0131i I \u0130", "Stra\u00DFe STRASSE \u1E9E",
            "\uD800 \uDC00x\uD800", "\u039F\u0394\u039F\u03A3 \u03BF\u03B4\u03BF\u03C2", "\u00E9".repeat(100), "A".repeat(100),
            "co\u00ADoperate", "caf\u00E9 CAF\u00C9 cafe\u0301", "\u0000 NUL\u0000word", "\u2163\u00BD\u0663\u0664", " \t\n ", "");

    /** The terms as the tokeniser made them before SearchText.Terms: each word's own, from its substring. */
    private static List<String> eachWordsOwn(String text, Spans spans) {
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < spans.size(); i++) {
            String raw = text.substring(spans.start(i), spans.end(i));
            terms.add(SearchText.term(raw, raw.chars().allMatch(c -> c < 0x80)));
        }
        return terms;
    }

    @Test
    @DisplayName("srch19: the terms a text's words share (SearchText.Terms) are each word's own term on hostile text (NFKC-changing"
            + " characters, combining marks, astral letters, emoji, CJK, Thai, RTL, Turkish and German letters, lone surrogates, NUL), in"
            + " the index, the words and the snippet's spans; a text of more different words than Terms keeps gets them all right, keeping"
            + " at most Terms.KEPT")
    void sharedTermsAreEachWordsOwn() {
        Random random = new Random(19);
        List<String> texts = new ArrayList<>(HOSTILE);
        StringBuilder mixed = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            String piece = HOSTILE.get(random.nextInt(HOSTILE.size()));
            int from = random.nextInt(piece.length() + 1);
            mixed.append(piece, from, from + random.nextInt(piece.length() - from + 1)).append(random.nextBoolean() ? " " : "");
        }
        texts.add(mixed.toString());
        StringBuilder different = new StringBuilder();
        for (int i = 0; i < SearchText.Terms.KEPT / 2 + 100; i++) { // 200 different words more than Terms keeps
            different.append("\u00E9").append(i).append(' ').appendCodePoint(0x4E00 + i);
        }
        texts.add(different.toString() + different);
        for (String text : texts) {
            Spans spans = Spans.of(text);
            List<String> own = eachWordsOwn(text, spans);
            List<String> spanTerms = new ArrayList<>();
            List<SearchText.Word> expected = new ArrayList<>();
            for (int i = 0; i < spans.size(); i++) {
                spanTerms.add(spans.term(i));
                expected.add(new SearchText.Word(spans.start(i), spans.end(i), own.get(i)));
            }
            assertThat(spanTerms.equals(own)).as(text).isTrue();
            assertThat(SearchText.words(text, Integer.MAX_VALUE).equals(expected)).as(text).isTrue();
            assertThat(SearchText.index(text).equals(String.join(" ", own))).as(text).isTrue();
        }
        SearchText.Terms terms = new SearchText.Terms();
        String text = texts.get(texts.size() - 1);
        SearchText.words(text, Integer.MAX_VALUE, terms);
        assertThat(terms.kept()).isEqualTo(SearchText.Terms.KEPT);
        // Words beyond the first KEPT different ones are normalised each time they come: twice here.
        assertThat(terms.normalised()).isEqualTo(SearchText.Terms.KEPT + 2 * 200);
    }

    @Test
    @DisplayName("srch20: a snippet's memory is its window's, not its text's: 128K characters of CJK and of ASCII whose every word"
            + " matches the query allocate under 1 MB each for their snippet (srch19's snippet, holding every word's position and term"
            + " and every occurrence boxed, allocated 11 MB and 4.5 MB; 88 MB and 36 MB for a megabyte)")
    void aSnippetsMemoryIsBoundedByItsWindow() throws ReflectiveOperationException {
        long thread = Thread.currentThread().getId();
        java.util.Map<String, String> snippets = new java.util.LinkedHashMap<>();
        snippets.put("\u4e2d".repeat(131_072), "[\u4e2d]".repeat(16) + "\u2026");
        snippets.put("cat dog ".repeat(16_384), "[cat] [dog] ".repeat(7) + "[cat] [dog]\u2026");
        for (var text : snippets.entrySet()) {
            List<List<String>> phrases = SearchText.phrases(text.getKey().startsWith("cat") ? "cat dog" : "\u4e2d", 32);
            TextRanking.snippet(text.getKey().substring(0, 4096), phrases); // warm: classes loaded
            long before = allocatedBytes(thread);
            String snippet = TextRanking.snippet(text.getKey(), phrases);
            long allocated = allocatedBytes(thread) - before;
            assertThat(snippet).isEqualTo(text.getValue());
            assertThat(allocated).as("bytes allocated").isLessThan(1_000_000);
        }
    }

    @Test
    @DisplayName("a snippet reads its content's words once, and only its window's again: the snippet of 6,000 different accented"
            + " words ending with the one match allocates under 1.25 times the snippet of the same words without a match (reading"
            + " every word up to the window again made each word's term again: twice)")
    void aSnippetReadsOnlyItsWindowTwice() throws ReflectiveOperationException {
        long thread = Thread.currentThread().getId();
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < 6000; i++) {
            words.append("caf\u00e9").append(i).append(' ');
        }
        String text = words.toString();
        List<List<String>> phrases = SearchText.phrases("n\u00e9edle", 32);
        TextRanking.snippet(text.substring(0, 4096) + "n\u00e9edle", phrases); // warm: classes loaded
        long before = allocatedBytes(thread);
        assertThat(TextRanking.snippet(text, phrases)).isEqualTo("caf\u00e90 " + "caf\u00e91 caf\u00e92 caf\u00e93 caf\u00e94 caf\u00e95"
                + " caf\u00e96 caf\u00e97 caf\u00e98 caf\u00e99 caf\u00e910 caf\u00e911 caf\u00e912 caf\u00e913 caf\u00e914 caf\u00e915\u2026");
        long none = allocatedBytes(thread) - before;
        before = allocatedBytes(thread);
        assertThat(TextRanking.snippet(text + "n\u00e9edle", phrases))
                .isEqualTo("\u2026" + text.substring(text.indexOf("caf\u00e95985 ")) + "[n\u00e9edle]");
        long end = allocatedBytes(thread) - before;
        assertThat(end).as("bytes allocated, %d without a match", none).isLessThan(none * 5 / 4);
    }

    /**
     * com.sun.management.ThreadMXBean#getThreadAllocatedBytes, by reflection: the test module does not read jdk.management (the
     * bean's methods allocate nothing per call once resolved).
     */
    private static long allocatedBytes(long thread) throws ReflectiveOperationException {
        if (allocated == null) {
            allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
        }
        return (long) allocated.invoke(java.lang.management.ManagementFactory.getThreadMXBean(), thread);
    }

    private static java.lang.reflect.Method allocated;
}
