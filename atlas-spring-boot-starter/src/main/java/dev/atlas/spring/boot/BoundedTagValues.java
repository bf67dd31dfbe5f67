package dev.atlas.spring.boot;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values one tag takes in one registry: at most {@code max} distinct values are admitted as they are, any later one
 * is {@link AtlasMetrics#OTHER}. Tag values that come from users or models (a model name typed in a request, a tool
 * name a model made up) would otherwise make one meter per value, each kept for the registry's life. A value is
 * released once no meter of the registry carries it any more ({@link #retainOnly}), so a registry whose old meters were
 * removed admits new names again.
 */
final class BoundedTagValues {
    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedTagValues(int max) {
        this.max = max;
    }

    boolean contains(String value) {
        return seen.contains(value);
    }

    /** Whether one more value fits; callers hold {@link AtlasMetrics}' admission lock, so the check and the add are one step. */
    boolean hasRoom() {
        return seen.size() < max;
    }

    void add(String value) {
        seen.add(value);
    }

    /** Releases the admitted values not in {@code live}, the values the registry's meters still carry. */
    void retainOnly(Collection<String> live) {
        seen.retainAll(live);
    }
}
