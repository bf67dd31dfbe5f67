package dev.atlas.portability;

import dev.atlas.internal.Check;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an erase deleted, or in a dry run would delete.
 *
 * @param dryRun whether nothing was changed
 * @param counts rows per table ({@code conversations}, {@code messages}, …), blob files
 *               ({@code asset_blobs}) and messages kept without their author
 *               ({@code messages_detached}), executions kept without their owner
 *               ({@code executions_detached}), revisions of assistants and settings the erased owner does
 *               not own kept without it as their author ({@code assistant_revisions_detached},
 *               {@code settings_revisions_detached}), and messages and voice calls kept without their link to
 *               an erased execution ({@code messages_unlinked}, {@code voice_calls_unlinked}), other
 *               owners' conversations and executions kept without the erased owner's assistant
 *               ({@code conversations_unlinked}, {@code executions_unlinked}); tables with nothing
 *               to delete are absent
 */
public record EraseReport(boolean dryRun, Map<String, Long> counts) {
    /**
     * Copies the map, keeping its order.
     *
     * @param dryRun whether nothing was changed
     * @param counts rows per table and blob files; tables with nothing to delete are absent
     */
    public EraseReport {
        counts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(Check.notNull("counts", counts)));
    }

    /**
     * Rows of {@code table} deleted (0 when absent).
     *
     * @param table a table name such as {@code messages}, or {@code asset_blobs}
     * @return the count, 0 when absent
     */
    public long count(String table) {
        return counts.getOrDefault(table, 0L);
    }
}
