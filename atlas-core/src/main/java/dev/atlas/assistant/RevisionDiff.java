package dev.atlas.assistant;

import dev.atlas.internal.Check;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What differs between two revisions of one assistant (or of one settings document), comparing
 * top-level settings keys.
 * A key whose value differs in any way (including nested content or JSON type) is "changed";
 * values compare as they read back, so {@code 1} and {@code 1L} are the same while {@code 1}
 * and {@code 1.0} (stored as written) are changed.
 *
 * @param fromNumber    the older side of the comparison as asked
 * @param toNumber      the newer side as asked
 * @param added         keys present in {@code to} only
 * @param removed       keys present in {@code from} only
 * @param changed       keys present in both with different values
 * @param promptChanged whether the system prompts differ
 */
public record RevisionDiff(int fromNumber, int toNumber, Set<String> added, Set<String> removed, Set<String> changed, boolean promptChanged) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param fromNumber the older side of the comparison as asked
     * @param toNumber the newer side as asked
     * @param added keys present in {@code to} only
     * @param removed keys present in {@code from} only
     * @param changed keys present in both with different values
     * @param promptChanged whether the system prompts differ
     */
    public RevisionDiff {
        added = keys("added", added);
        removed = keys("removed", removed);
        changed = keys("changed", changed);
    }

    private static Set<String> keys(String field, Set<String> keys) {
        Check.notNull(field, keys);
        for (String key : keys) { // not contains(null): immutable sets throw on it
            if (key == null) {
                throw new dev.atlas.InvalidInputException(field, "must not contain null");
            }
        }
        return Set.copyOf(keys);
    }

    /**
     * True when the two revisions have the same prompt and settings.
     *
     * @return true when the two revisions have the same prompt and settings
     */
    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty() && !promptChanged;
    }

    /**
     * Compares {@code from} with {@code to}; pure, no database access.
     *
     * @param from the older revision
     * @param to the newer revision
     * @return the top-level settings keys added, removed and changed from {@code from} to {@code to}, and whether the prompt changed
     */
    public static RevisionDiff between(AssistantRevision from, AssistantRevision to) {
        Check.notNull("from", from);
        Check.notNull("to", to);
        return between(from.number(), from.settings(), to.number(), to.settings(), !from.systemPrompt().equals(to.systemPrompt()));
    }

    /**
     * Compares the values of two settings revisions as {@link SettingsStore#diff} does; pure, no
     * database access. Settings have no prompt, so {@link #promptChanged()} is {@code false}.
     *
     * @param from the older revision
     * @param to the newer revision
     * @return the top-level keys added, removed and changed from {@code from} to {@code to}
     */
    public static RevisionDiff between(SettingsRevision from, SettingsRevision to) {
        Check.notNull("from", from);
        Check.notNull("to", to);
        return between(from.number(), from.values(), to.number(), to.values(), false);
    }

    private static RevisionDiff between(int fromNumber, Map<String, Object> a, int toNumber, Map<String, Object> b, boolean promptChanged) {
        Set<String> added = new TreeSet<>();
        Set<String> removed = new TreeSet<>();
        Set<String> changed = new TreeSet<>();
        for (Map.Entry<String, Object> e : b.entrySet()) {
            if (!a.containsKey(e.getKey())) {
                added.add(e.getKey());
            } else if (!Objects.equals(a.get(e.getKey()), e.getValue())) {
                changed.add(e.getKey());
            }
        }
        for (String k : a.keySet()) {
            if (!b.containsKey(k)) {
                removed.add(k);
            }
        }
        return new RevisionDiff(fromNumber, toNumber, added, removed, changed, promptChanged);
    }
}
