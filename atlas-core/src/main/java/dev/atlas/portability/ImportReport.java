package dev.atlas.portability;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Portability#importFrom} did.
 *
 * @param imported  rows inserted per type
 * @param unchanged rows skipped per type because a row with the same id and values was already there
 */
public record ImportReport(Map<String, Long> imported, Map<String, Long> unchanged) {
    public ImportReport {
        imported = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(imported));
        unchanged = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(unchanged));
    }

    /** Rows of {@code type} inserted. */
    public long imported(String type) {
        return imported.getOrDefault(type, 0L);
    }

    /** Rows of {@code type} skipped as already present. */
    public long unchanged(String type) {
        return unchanged.getOrDefault(type, 0L);
    }

    /** Rows inserted in all. */
    public long totalImported() {
        return imported.values().stream().mapToLong(Long::longValue).sum();
    }
}
