package dev.atlas.spring.boot;

import org.jspecify.annotations.Nullable;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

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
    // under (other) beside that meter. A value keeps its counter while admitted, so a hold is a lookup and an
    // increment, not an insertion and a removal in the map (which, nine per execution through a composite of two
    // registries, were a quarter of AtlasMetrics' time).
    private final ConcurrentHashMap<String, AtomicInteger> registering = new ConcurrentHashMap<>();

    BoundedTagValues(int max) {
        this.max = max;
    }

    boolean contains(String value) {
        return seen.contains(value);
    }

    /**
     * Holds {@code value} if it is admitted: releases spare it until {@link #settle} says its meter is registered.
     *
     * @return the hold to settle, or {@code null} when the value is not admitted
     */
    @Nullable AtomicInteger hold(String value) {
        if (!seen.contains(value)) {
            return null;
        }
        AtomicInteger holds = counter(value);
        holds.incrementAndGet();
        // Looked at again once held: a release that dropped it before seeing the hold is seen here, also when the
        // value was admitted again since (with a new counter, which releases look at instead of this one).
        if (seen.contains(value) && registering.get(value) == holds) {
            return holds;
        }
        holds.decrementAndGet();
        return null;
    }

    private AtomicInteger counter(String value) {
        AtomicInteger holds = registering.get(value);
        return holds != null ? holds : registering.computeIfAbsent(value, v -> new AtomicInteger());
    }

    /** Whether one more value fits; callers hold {@link AtlasMetrics}' admission lock, so the check and the add are one step. */
    boolean hasRoom() {
        return seen.size() < max;
    }

    /** Admits {@code value}, held as by {@link #hold}; callers hold the admission lock. */
    AtomicInteger admit(String value) {
        AtomicInteger holds = counter(value);
        holds.incrementAndGet();
        seen.add(value);
        return holds;
    }

    /** Counts {@code value}, carried by a meter already in the registry, past the bound if need be. */
    void count(String value) {
        seen.add(value);
    }

    /** Ends a {@link #hold} or {@link #admit}: the meters carrying its value are registered (or never will be). */
    static void settle(AtomicInteger holds) {
        holds.decrementAndGet();
    }

    private boolean held(String value) {
        AtomicInteger holds = registering.get(value);
        return holds != null && holds.get() > 0;
    }

    /**
     * Releases the admitted values not in {@code live} (the values the registry's meters carry) and not held. Callers
     * hold the admission lock, so only {@link #hold} and {@link #settle} run beside it.
     */
    void retainOnly(Collection<String> live) {
        for (String value : seen) {
            if (!live.contains(value) && !held(value)) {
                seen.remove(value);
                if (held(value)) {
                    // Held between the look and the removal: a thread saw it admitted and is registering its meter.
                    seen.add(value);
                } else {
                    // A hold that took the counter before this sees the value gone and lets its counter go.
                    registering.computeIfPresent(value, (v, holds) -> holds.get() == 0 ? null : holds);
                }
            }
        }
    }
}
