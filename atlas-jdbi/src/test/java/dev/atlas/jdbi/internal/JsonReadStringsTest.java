package dev.atlas.jdbi.internal;

import dev.atlas.UnreadableRowException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link Json#readStrings}, the reader of a stored JSON array of strings (a memory's aggregated tags). */
class JsonReadStringsTest {

    @Test
    @DisplayName("an array of strings reads as written (NULL and [] as none, escapes decoded); anything else is UnreadableRowException"
            + " saying what was wrong, the parser's text bounded")
    void readsArraysOfStringsOnly() {
        assertThat(Json.readStrings(null)).isEmpty();
        assertThat(Json.readStrings("[]")).isEmpty();
        assertThat(Json.readStrings(" [ ] ")).isEmpty();
        assertThat(Json.readStrings("[\"b\", \"a\\u0000\", \"\\ud83d\\ude00\"]")).containsExactly("b", "a\u0000", "\uD83D\uDE00");
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("{}", "stored JSON is not an array of strings");
        refused.put("\"a\"", "stored JSON is not an array of strings");
        refused.put("", "stored JSON is not an array of strings");
        refused.put("[1]", "stored JSON array holds VALUE_NUMBER_INT where a string is required");
        refused.put("[\"a\", null]", "stored JSON array holds VALUE_NULL where a string is required");
        refused.put("[[\"a\"]]", "stored JSON array holds START_ARRAY where a string is required");
        refused.put("[\"a\"] [\"b\"]", "stored JSON has text after its array");
        for (Map.Entry<String, String> r : refused.entrySet()) {
            UnreadableRowException e = catchThrowableOfType(UnreadableRowException.class, () -> Json.readStrings(r.getKey()));
            assertThat(e.getMessage()).as(r.getKey()).isEqualTo("a stored value is unreadable: " + r.getValue());
            assertThat(e.table()).isNull();
        }
        for (String broken : List.of("[\"a\"", "[\"a\",]", "[\"" + "x".repeat(5_000))) {
            UnreadableRowException e = catchThrowableOfType(UnreadableRowException.class, () -> Json.readStrings(broken));
            assertThat(e.getMessage()).as(broken).startsWith("a stored value is unreadable: stored JSON could not be read: ");
            assertThat(e.getMessage().length()).as(broken).isLessThan(500);
        }
    }
}
