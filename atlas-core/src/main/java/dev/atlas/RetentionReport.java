package dev.atlas;

import java.util.Map;

/**
 * What a retention run did (or, for a dry run, would do): rows per table and action. Keys are
 * {@code "<table>.<action>"} without the table prefix, for example {@code "messages.soft_deleted"},
 * {@code "messages.deleted"}, {@code "conversations.archived"}, {@code "conversations.deleted"},
 * {@code "message_events.deleted"}, {@code "vectors.deleted"}, {@code "memories.deleted"}. A
 * table with nothing to do is absent.
 */
public record RetentionReport(boolean dryRun, Map<String, Long> counts) {
    public RetentionReport {
        counts = Map.copyOf(counts);
    }

    /** The count for a key, 0 when absent. */
    public long count(String key) {
        return counts.getOrDefault(key, 0L);
    }
}
