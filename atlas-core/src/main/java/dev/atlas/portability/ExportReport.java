package dev.atlas.portability;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Portability#exportTo} wrote.
 *
 * @param exported rows written per type ({@code conversation}, {@code message}, …)
 */
public record ExportReport(Map<String, Long> exported) {
    public ExportReport {
        exported = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(exported));
    }

    /** Rows of {@code type} written. */
    public long count(String type) {
        return exported.getOrDefault(type, 0L);
    }

    /** Rows written in all. */
    public long total() {
        return exported.values().stream().mapToLong(Long::longValue).sum();
    }
}
