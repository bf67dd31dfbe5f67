package dev.atlas.jdbi.internal;

import dev.atlas.internal.Check;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a read parses is frozen where it is parsed, so the value built of it keeps it without a second, deep copy. */
class JsonReadMapFrozenTest {
    @Test
    @DisplayName("Json.readMap returns a map frozen at every level that Check.frozenJson (every read model's constructor) hands on as"
            + " the same instance")
    void aReadMapIsFrozenOnceAndNotCopiedAgain() {
        Map<String, Object> read = Json.readMap("{\"a\":{\"b\":[1,{\"c\":null}]},\"k\":\"v\"}");

        assertThat(Check.frozenJson(read)).isSameAs(read);
        assertThat(read).isEqualTo(Map.of("k", "v", "a", Map.of("b", List.of(1, new java.util.HashMap<>(java.util.Collections.singletonMap("c", null))))));
        assertThatThrownBy(() -> read.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> a = (Map<String, Object>) read.get("a");
        assertThatThrownBy(() -> a.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        List<Object> b = (List<Object>) a.get("b");
        assertThatThrownBy(() -> b.add(2)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(Json.readMap("{}")).isSameAs(Map.of());
    }
}
