package dev.atlas.portability;

import dev.atlas.internal.Check;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Portability#exportTo} wrote.
 *
 * @param exported rows written per type ({@code conversation}, {@code message}, …)
 */
public record ExportReport(Map<String, Long> exported) {
    /**
     * Copies the map, keeping its order.
     *
     * @param exported rows written per type
     */
    public ExportReport {
        exported = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Check.notNull("exported", exported)));
    }

    /**
     * Rows of {@code type} written.
     *
     * @param type a row type such as {@code message}
     * @return the count, 0 when none
     */
    public long count(String type) {
        return exported.getOrDefault(type, 0L);
    }

    /**
     * Rows written in all.
     *
     * @return the sum over every type
     */
    public long total() {
        return exported.values().stream().mapToLong(Long::longValue).sum();
    }
}
