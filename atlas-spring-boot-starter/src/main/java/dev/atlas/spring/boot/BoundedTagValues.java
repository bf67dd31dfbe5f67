package dev.atlas.spring.boot;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values one tag takes: the first {@code max} distinct values are kept as they are, any later one is
 * {@link AtlasMetrics#OTHER}. Tag values that come from users or models (a model name typed in a request, a tool
 * name a model made up) would otherwise make one meter per value, each kept for the registry's life.
 */
final class BoundedTagValues {
    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedTagValues(int max) {
        this.max = max;
    }

    String tag(String value) {
        if (seen.contains(value)) {
            return value;
        }
        // The size check and the add must be one step, or racing threads could pass the bound together.
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(value);
                return value;
            }
        }
        return seen.contains(value) ? value : AtlasMetrics.OTHER;
    }
}
