package dev.atlas.cli;

import dev.atlas.Atlas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Session 39: a lone surrogate (half of a UTF-16 pair, which no UTF-8 output can carry) in text the CLI prints is
 * shown as its visible {@code \\udXXX} code, as control characters are: the output stays well-formed and says which
 * half it was, where the output encoder wrote an indistinguishable {@code ?} before.
 */
class Newcomer39CliJvmTextTest {
    @TempDir
    static Path dir;

    @Test
    void oneLineShowsALoneSurrogateAsItsCodeAndKeepsPairs() {
        assertThat(Text.oneLine("a\ud800b")).isEqualTo("a\\ud800b");
        assertThat(Text.oneLine("a\udc00")).isEqualTo("a\\udc00");
        assertThat(Text.oneLine("\udc00\ud800")).as("a low half before a high half is no pair").isEqualTo("\\udc00\\ud800");
        assertThat(Text.oneLine("\ud83d\ude00")).as("a real pair (an emoji) is printed as it is").isEqualTo("\ud83d\ude00");
        assertThat(Text.safe("x\ud83d")).isEqualTo("x\\ud83d");
        assertThat(Text.cutOneLine("\ud800" + "b".repeat(20), 10)).isEqualTo("\\ud800bbb…");
    }

    @Test
    void cutKeepsPairsWholeAndTakesAnyLimit() {
        assertThat(Text.cut("ab\ud83d\ude00cd", 4)).as("the pair would be split: cut before it").isEqualTo("ab…");
        assertThat(Text.cut("\udc00xyz", 1)).as("a lone low half first, limit 1").isEqualTo("…");
        assertThat(Text.cut("xyz", 0)).isEqualTo("…");
        assertThat(Text.cut("xyz", 3)).isEqualTo("xyz");
    }

    @Test
    void jsonOutputEscapesALoneSurrogateAndStaysTheSameJsonValue() throws Exception {
        String raw = "{\"q\":\"a\ud800\"}";
        String shown = Text.jsonSafe(raw);
        assertThat(shown).isEqualTo("{\"q\":\"a\\ud800\"}");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(shown).get("q").asText()).isEqualTo("a\ud800");
    }

    @Test
    void aShellWordWithALoneSurrogateIsWellFormedUtf8() {
        String word = Text.shellWord("a\ud800");
        assertThat(word).isEqualTo("$'a\\xef\\xbf\\xbd'");
    }

    @Test
    void anErrorQuotingALoneSurrogateShowsItsCodeNotAQuestionMark() {
        Path db = dir.resolve("surrogate.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            atlas.tenant("acme");
        }
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "list", "--limit", "x\ud800");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("atlas: --limit: 'x\\ud800' is not an int");
        byte[] bytes = r.err().getBytes(StandardCharsets.UTF_8);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(r.err());
    }
}
