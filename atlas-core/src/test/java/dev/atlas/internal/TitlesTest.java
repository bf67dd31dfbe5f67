package dev.atlas.internal;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The one-pass title equals the regex definition it replaced, on every kind of whitespace and text. */
class TitlesTest {
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    /** The definition: whitespace stripped and collapsed over the whole content, then cut. */
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
            cut = Titles.MAX - 1;
        }
        if (Character.isHighSurrogate(flat.charAt(cut - 1))) {
            cut--;
        }
        return flat.substring(0, cut).stripTrailing() + "…";
    }

    @Test
    void equalsTheRegexDefinition() {
        String[] pieces = {" ", "\t", "\n", "\r\n", "\u000B", "\f", "\u00A0", "\u2003", "\u001C", "\u3000", "a", "word", "Wörter",
                "𝄞", "\uD834", "\uDD1E", ".", "x".repeat(90), "  \t ", "é", "中文"};
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
    void readsOnlyTheStartOfAHugeContent() {
        String huge = "  first words of a long document\n\n" + "lorem ipsum ".repeat(200_000);
        assertThat(Titles.fromMessage(huge)).isEqualTo(reference(huge)).endsWith("…").hasSizeLessThanOrEqualTo(Titles.MAX);
        assertThat(Titles.fromMessage(null)).isNull();
        assertThat(Titles.fromMessage("\u2003 \u3000")).isNull();
    }
}
