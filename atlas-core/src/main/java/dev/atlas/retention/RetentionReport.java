package dev.atlas.retention;

import dev.atlas.internal.Check;
import java.util.Map;

import dev.atlas.conversation.ConversationStore;

/**
 * What a retention run did (or, for a dry run, would do): rows per table and action. Keys are
 * {@code "<table>.<action>"} without the table prefix, for example {@code "messages.soft_deleted"},
 * {@code "messages.deleted"}, {@code "conversations.archived"}, {@code "conversations.deleted"},
 * {@code "conversations.skipped"}, {@code "message_events.deleted"}, {@code "vectors.deleted"},
 * {@code "memories.deleted"}, {@code "messages.detached"} and {@code "voice_calls.unlinked"} (rows
 * kept without the link to an execution the run purged). A table with nothing to do is absent.
 * Messages of a conversation the same run purges in a later batch are not counted as detached (they
 * are counted as deleted there); a run stopped before that batch has unlinked them without counting
 * them, and the next run counts them as deleted.
 *
 * <p>A report holds counts only, never the ids of the rows, so its size does not grow with the
 * data; a dry run likewise reads the rows it counts a batch at a time. To see which
 * conversations would go, list them through {@link ConversationStore} with the same criteria.
 *
 * @param dryRun whether nothing was changed and the counts say what a run would do
 * @param counts rows per {@code "<table>.<action>"} key, in key order (the same for a run on either database); a table with
 *               nothing to do is absent
 * @param stopped whether the run was stopped before its end (a stop signal, {@link RetentionWorker#close(java.time.Duration)}):
 *                the counts say what was done until then, and the next run goes on from there
 */
public record RetentionReport(boolean dryRun, Map<String, Long> counts, boolean stopped) {
    /**
     * Copies {@code counts} in key order, so the report does not change with the caller's map and prints alike on
     * every run and database.
     *
     * @param dryRun count without changing anything
     * @param counts the counts
     * @param stopped whether the run stopped before its end
     */
    public RetentionReport {
        counts = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(Check.notNull("counts", counts)));
    }

    /**
     * A report of a run that went to its end.
     *
     * @param dryRun count without changing anything
     * @param counts the counts
     */
    public RetentionReport(boolean dryRun, Map<String, Long> counts) {
        this(dryRun, counts, false);
    }

    /**
     * The count for a key, 0 when absent.
     *
     * @param key the key
     * @return the count for a key, 0 when absent
     */
    public long count(String key) {
        return counts.getOrDefault(Check.notNull("key", key), 0L);
    }

    /**
     * Conversations the purge chose but did not delete: no longer purgeable when their turn came
     * (an append reopened one, a restore undeleted one), or already deleted by a concurrent run
     * (another instance's, which counts it as deleted: each conversation is counted deleted once,
     * in the report of the run that deleted it); the key {@code "conversations.skipped"}. Always 0
     * for a dry run.
     *
     * @return how many chosen conversations were left in place
     */
    public long skipped() {
        return count("conversations.skipped");
    }
}
