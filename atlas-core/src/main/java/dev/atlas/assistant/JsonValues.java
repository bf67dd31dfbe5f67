package dev.atlas.assistant;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Deep, unmodifiable copies of JSON documents, for the value classes documented as immutable. */
final class JsonValues {
    private JsonValues() {}

    /**
     * An unmodifiable copy of {@code map}, every map and list within it copied alike. Keeps
     * {@code null} values and key order; other values (strings, numbers, booleans) are immutable already.
     */
    static Map<String, Object> frozen(Map<String, ?> map) {
        if (map == null || map.isEmpty()) {
            return Map.of();
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(k, frozenValue(v)));
        return Collections.unmodifiableMap(copy);
    }

    @SuppressWarnings("unchecked")
    private static Object frozenValue(Object value) {
        if (value instanceof Map<?, ?> m) {
            return frozen((Map<String, ?>) m);
        }
        if (value instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            l.forEach(v -> copy.add(frozenValue(v)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }
}
