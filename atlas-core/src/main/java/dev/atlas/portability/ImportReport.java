package dev.atlas.portability;

import dev.atlas.internal.Check;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Portability#importFrom} did.
 *
 * @param imported  rows inserted per type
 * @param unchanged rows skipped per type because a row with the same id and values was already there
 */
public record ImportReport(Map<String, Long> imported, Map<String, Long> unchanged) {
    /**
     * Copies both maps, keeping their order.
     *
     * @param imported  rows inserted per type
     * @param unchanged rows skipped per type because a row with the same id and values was already there
     */
    public ImportReport {
        imported = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Check.notNull("imported", imported)));
        unchanged = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Check.notNull("unchanged", unchanged)));
    }

    /**
     * Rows of {@code type} inserted.
     *
     * @param type a row type such as {@code message}
     * @return the count, 0 when none
     */
    public long imported(String type) {
        return imported.getOrDefault(type, 0L);
    }

    /**
     * Rows of {@code type} skipped as already present.
     *
     * @param type a row type such as {@code message}
     * @return the count, 0 when none
     */
    public long unchanged(String type) {
        return unchanged.getOrDefault(type, 0L);
    }

    /**
     * Rows inserted in all.
     *
     * @return the sum over every type
     */
    public long totalImported() {
        return imported.values().stream().mapToLong(Long::longValue).sum();
    }
}
