package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
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
}
