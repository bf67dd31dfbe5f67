package dev.atlas.internal;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The one-pass title equals the regex definition it replaced, on every kind of whitespace and text. */
class TitlesTest {
    private static final Pattern WHITESPACE = Pattern.compile("\\p{javaWhitespace}+");
    private static final Pattern GRAPHEME = Pattern.compile("\\X");

    /**
     * The definition: white space ({@link Character#isWhitespace}) stripped and collapsed over the
     * whole content, then cut at a word boundary, or at a character boundary as a reader sees
     * characters (a grapheme: an accent stays on its letter, a flag stays whole).
     */
    private static String reference(String content) {
        String flat = WHITESPACE.matcher(content.strip()).replaceAll(" ");
        if (flat.isEmpty()) {
            return null;
        }
        if (flat.length() <= Titles.MAX) {
            return flat;
        }
        int cut = flat.lastIndexOf(' ', Titles.MAX - 1);
        if (cut < Titles.MAX / 2) {
            Matcher grapheme = GRAPHEME.matcher(flat);
            cut = 0;
            while (grapheme.find() && grapheme.end() <= Titles.MAX - 1) {
                cut = grapheme.end();
            }
            if (cut == 0) {
                // One grapheme longer than a title (a letter under hundreds of marks): code points.
                cut = Titles.MAX - 1;
                if (Character.isHighSurrogate(flat.charAt(cut - 1))) {
                    cut--;
                }
            }
        }
        return flat.substring(0, cut).stripTrailing() + "…";
    }

    @Test
    void equalsTheRegexDefinition() {
        String[] pieces = {" ", "\t", "\n", "\r\n", "\u000B", "\f", "\u00A0", "\u2003", "\u001C", "\u3000", "a", "word", "Wörter",
                "𝄞", "\uD834", "\uDD1E", ".", "x".repeat(90), "  \t ", "é", "中文",
                "\u2028", "\u2029", "\u0085", "e\u0301", "\u0301", "\uD83C\uDDEA\uD83C\uDDF7", "\uD83C\uDDEA", "\uD83D\uDC69\u200D\uD83D\uDCBB"};
        Random random = new Random(17);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int parts = random.nextInt(60);
            for (int i = 0; i < parts; i++) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String content = sb.toString();
            assertThat(Titles.fromMessage(content)).as("title of %s", content.codePoints().mapToObj(Integer::toHexString).toList())
                    .isEqualTo(reference(content));
        }
    }

    @Test
    void everyWhiteSpaceCollapsesAndACutKeepsCharactersWhole() {
        assertThat(Titles.fromMessage("Order\u2028#1234 is\u2029\u2029late\u3000again")).isEqualTo("Order #1234 is late again");
        assertThat(Titles.fromMessage("e\u0301".repeat(60))).isEqualTo("e\u0301".repeat(39) + "…");
        assertThat(Titles.fromMessage("\uD83C\uDDEA\uD83C\uDDF7".repeat(30))).isEqualTo("\uD83C\uDDEA\uD83C\uDDF7".repeat(19) + "…");
        assertThat(Titles.fromMessage("a\u00A0b")).isEqualTo("a\u00A0b");
        assertThat(Titles.fromMessage("e" + "\u0301".repeat(100))).isEqualTo("e" + "\u0301".repeat(78) + "…");
    }

    @Test
    void readsOnlyTheStartOfAHugeContent() {
        String huge = "  first words of a long document\n\n" + "lorem ipsum ".repeat(200_000);
        assertThat(Titles.fromMessage(huge)).isEqualTo(reference(huge)).endsWith("…").hasSizeLessThanOrEqualTo(Titles.MAX);
        assertThat(Titles.fromMessage(null)).isNull();
        assertThat(Titles.fromMessage("\u2003 \u3000")).isNull();
    }
}
