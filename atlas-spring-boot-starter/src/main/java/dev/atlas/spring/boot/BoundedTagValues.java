package dev.atlas.spring.boot;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values one tag takes in one registry: at most {@code max} distinct values are admitted as they are, any later one
 * is {@link AtlasMetrics#OTHER}. Tag values that come from users or models (a model name typed in a request, a tool
 * name a model made up) would otherwise make one meter per value, each kept for the registry's life. A value is
 * released once no meter of the registry carries it any more ({@link #retainOnly}), so a registry whose old meters were
 * removed admits new names again. Values of meters that reach the registry without being admitted here ({@link #count})
 * take room too, past the bound if need be, since those meters exist.
 */
final class BoundedTagValues {
    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    // Values tagged whose meters are still being registered, with how many threads are at it. A release must spare
    // them: a value released in that moment would get its meter beside the bound, and its later uses would count
    // under (other) beside that meter.
    private final Map<String, Integer> registering = new ConcurrentHashMap<>();

    BoundedTagValues(int max) {
        this.max = max;
    }

    boolean contains(String value) {
        return seen.contains(value);
    }

    /**
     * Whether {@code value} is admitted; if so it is held, spared by releases until {@link #settle} says its meter is
     * registered.
     */
    boolean hold(String value) {
        if (!seen.contains(value)) {
            return false;
        }
        registering.merge(value, 1, Integer::sum);
        // Looked at again once held: a release that dropped it before seeing the hold is seen here.
        if (seen.contains(value)) {
            return true;
        }
        settle(value);
        return false;
    }

    /** Whether one more value fits; callers hold {@link AtlasMetrics}' admission lock, so the check and the add are one step. */
    boolean hasRoom() {
        return seen.size() < max;
    }

    /** Admits {@code value}, held as by {@link #hold}. */
    void admit(String value) {
        registering.merge(value, 1, Integer::sum);
        seen.add(value);
    }

    /** Counts {@code value}, carried by a meter already in the registry, past the bound if need be. */
    void count(String value) {
        seen.add(value);
    }

    /** Ends a {@link #hold} or {@link #admit}: the meters carrying {@code value} are registered (or never will be). */
    void settle(String value) {
        registering.computeIfPresent(value, (v, n) -> n == 1 ? null : n - 1);
    }

    /**
     * Releases the admitted values not in {@code live} (the values the registry's meters carry) and not held. Callers
     * hold the admission lock, so only {@link #hold} and {@link #settle} run beside it.
     */
    void retainOnly(Collection<String> live) {
        for (String value : seen) {
            if (!live.contains(value) && !registering.containsKey(value)) {
                seen.remove(value);
                // Held between the look and the removal: a thread saw it admitted and is registering its meter.
                if (registering.containsKey(value)) {
                    seen.add(value);
                }
            }
        }
    }
}
