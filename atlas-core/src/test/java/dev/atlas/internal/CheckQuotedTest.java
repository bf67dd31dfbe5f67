package dev.atlas.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.memory.MemoryKind;
import dev.atlas.search.SearchTarget;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How error messages quote a text value the caller gave: never a lone surrogate (a message goes
 * to logs, JSON and UTF-8 terminals, where one is an encoding error), never a raw control or line
 * break, and never the whole of a long value.
 */
class CheckQuotedTest {
    private static final String KIND_RULE = "' is not a kind: use 1 to 64 of a-z 0-9 _ . - starting with a letter";

    @Test
    @DisplayName("MemoryKind cuts a long value after 40 code points, never inside a surrogate pair (it cut at the 40th char, leaving half an emoji)")
    void memoryKindNeverSplitsAPair() {
        String value = "A".repeat(39) + "\uD83D\uDE00" + "tail";
        assertThat(message("kind", () -> MemoryKind.of(value)))
                .isEqualTo("kind: '" + "A".repeat(39) + "\uD83D\uDE00\u2026" + KIND_RULE);
        String exactly40 = "B".repeat(39) + "\uD83D\uDE00";
        assertThat(message("kind", () -> MemoryKind.of(exactly40))).isEqualTo("kind: '" + exactly40 + KIND_RULE);
    }

    @Test
    @DisplayName("a lone surrogate, NUL, line break or other control in a quoted kind is shown as a \\uXXXX escape")
    void memoryKindEscapesWhatIsNotText() {
        assertThat(message("kind", () -> MemoryKind.of("a\uD800b"))).isEqualTo("kind: 'a\\ud800b" + KIND_RULE);
        assertThat(message("kind", () -> MemoryKind.of("\uDC00"))).isEqualTo("kind: '\\udc00" + KIND_RULE);
        assertThat(message("kind", () -> MemoryKind.of("fact\nERROR forged log line\u0000\u202e")))
                .isEqualTo("kind: 'fact\\u000aERROR forged log line\\u0000\\u202e" + KIND_RULE);
        assertThat(message("kind", () -> MemoryKind.of("Fact"))).isEqualTo("kind: 'Fact" + KIND_RULE);
        assertThat(message("kind", () -> MemoryKind.of("caf\u00e9 \uD83C\uDDEA\uD83C\uDDF7"))).isEqualTo("kind: 'caf\u00e9 \uD83C\uDDEA\uD83C\uDDF7" + KIND_RULE);
    }

    @Test
    @DisplayName("an enum value (SearchTarget.of) is quoted the same way: 40 code points at most, escapes for what is not text (it quoted a megabyte whole, lone surrogates included)")
    void enumValuesQuotedAlike() {
        String huge = "x".repeat(39) + "\uD83D\uDE00" + "y".repeat(1_000_000);
        assertThat(message("target", () -> SearchTarget.of(huge)))
                .isEqualTo("target: '" + "x".repeat(39) + "\uD83D\uDE00\u2026' is not one of [message, memory, asset]");
        assertThat(message("target", () -> SearchTarget.of("mem\uDBFFory\r\n")))
                .isEqualTo("target: 'mem\\udbffory\\u000d\\u000a' is not one of [message, memory, asset]");
        assertThat(message("target", () -> SearchTarget.of(null))).isEqualTo("target: 'null' is not one of [message, memory, asset]");
        assertThat(SearchTarget.of("MEMORY")).isEqualTo(SearchTarget.MEMORY);
    }

    private static String message(String field, Runnable r) {
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, r::run);
        assertThat(e).as("refused").isNotNull();
        assertThat(e.field()).isEqualTo(field);
        String m = e.getMessage();
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < m.length() && Character.isLowSurrogate(m.charAt(i + 1))) {
                i++;
            } else {
                assertThat(Character.isSurrogate(c)).as("lone surrogate at " + i + " of " + m.substring(0, Math.min(m.length(), 120))).isFalse();
            }
        }
        return m;
    }
}
