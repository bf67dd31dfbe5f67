package dev.atlas.internal;

import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A store's read hands a value the JSON it just parsed: frozen in place by {@link Check#frozenFresh}, the value keeps it
 * as it is instead of copying it again (the deep copy of every read model's JSON), and no level of it can be changed.
 */
class FrozenFreshTest {
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");

    /** As Jackson parses {"a":1,"list":[1,{"x":null}],"nested":{"deep":"v"}}: mutable maps and lists. */
    private static Map<String, Object> parsed() {
        Map<String, Object> inList = new LinkedHashMap<>();
        inList.put("x", null);
        Map<String, Object> nested = new LinkedHashMap<>(Map.of("deep", "v"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("list", new ArrayList<>(Arrays.asList(1, inList)));
        m.put("nested", nested);
        return m;
    }

    private static Task taskWith(Map<String, Object> payload) {
        return new Task(UUID.fromString("0190f0e0-0000-7000-8000-000000000001"), "acme", "mail", payload, null, null, null,
                TaskStatus.PENDING, 0, 3, Map.of(), null, AT, null, null, AT, AT, null, null);
    }

    @Test
    @DisplayName("a map frozen by frozenFresh is kept as it is by a value (the same instance), equals the parsed map, and no level of it"
            + " changes: put, nested put, list add, entry setValue and clear throw UnsupportedOperationException")
    void aFreshlyFrozenMapIsKeptAndCannotChange() {
        Map<String, Object> frozen = Check.frozenFresh(parsed());

        Task task = taskWith(frozen);

        assertThat(task.payload()).isSameAs(frozen).isEqualTo(parsed());
        assertThat(parsed()).isEqualTo(frozen);
        assertThat(frozen.hashCode()).isEqualTo(parsed().hashCode());
        assertThat(frozen).hasToString(parsed().toString());
        assertThat(Check.frozenJson(Map.of("outer", frozen)).get("outer")).isSameAs(frozen);
        assertThatThrownBy(() -> frozen.put("b", 2)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(frozen::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozen.entrySet().iterator().next().setValue(5)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> frozen.replaceAll((k, v) -> v)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> nested = (Map<String, Object>) frozen.get("nested");
        assertThatThrownBy(() -> nested.put("deep", "changed")).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) frozen.get("list");
        assertThatThrownBy(() -> list.add(2)).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> inList = (Map<String, Object>) list.get(1);
        assertThatThrownBy(() -> inList.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(inList).containsEntry("x", null);
        assertThat(Check.frozenFresh(new LinkedHashMap<>())).isSameAs(Map.of());
    }

    @Test
    @DisplayName("any other map, an unmodifiable view of a changeable one too, is still copied deeply: a later change to it does not"
            + " reach the value")
    void anyOtherMapIsCopied() {
        Map<String, Object> given = parsed();
        Map<String, Object> view = java.util.Collections.unmodifiableMap(given);

        Task task = taskWith(view);
        given.put("a", 2);
        @SuppressWarnings("unchecked")
        Map<String, Object> nested = (Map<String, Object>) given.get("nested");
        nested.put("deep", "changed");

        assertThat(task.payload()).isNotSameAs(view).isEqualTo(parsed());
    }
}
