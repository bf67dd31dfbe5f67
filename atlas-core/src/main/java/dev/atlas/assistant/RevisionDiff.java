package dev.atlas.assistant;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What differs between two revisions of one assistant, comparing top-level settings keys.
 * A key whose value differs in any way (including nested content or JSON type) is "changed".
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
        added = Set.copyOf(added);
        removed = Set.copyOf(removed);
        changed = Set.copyOf(changed);
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
        Map<String, Object> a = from.settings();
        Map<String, Object> b = to.settings();
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
        return new RevisionDiff(from.number(), to.number(), added, removed, changed, !from.systemPrompt().equals(to.systemPrompt()));
    }
}
