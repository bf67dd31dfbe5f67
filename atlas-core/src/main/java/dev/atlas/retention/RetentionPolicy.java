package dev.atlas.retention;

import dev.atlas.internal.Check;

import java.time.Duration;

import dev.atlas.InvalidInputException;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Retention#runRetention(RetentionPolicy)} does. Every rule is off until set; ages
 * are measured from the run's current time.
 *
 * <pre>{@code
 * RetentionPolicy.none()
 *         .deleteMessagesOlderThan(Duration.ofDays(365)).hardDeleteAfter(Duration.ofDays(30))
 *         .archiveIdleConversations(Duration.ofDays(30)).purgeArchivedAfter(Duration.ofDays(90))
 *         .dropExpiredMemories(true)
 * }</pre>
 *
 * @param deleteMessagesAfter     soft-delete messages created longer ago than this
 * @param hardDeleteAfter         hard-delete messages (and memories) soft-deleted longer ago than this grace period
 * @param archiveIdleAfter        archive open conversations with no activity for this long
 * @param purgeArchivedAfter      remove archived conversations (archived this long ago) with everything hanging off them,
 *                                unless something was written in them or their tool threads within this time; the
 *                                same holds for conversations deleted longer ago than {@code hardDeleteAfter}
 * @param dropExpiredMemories     remove memories whose expiry time has passed
 * @param batchSize               rows per write transaction, 1 to 10,000 (500 unless given); a purge
 *                                counts a conversation as its messages and their audit events, and
 *                                takes at least one conversation per transaction
 * @param dryRun                  count what would change without changing anything
 */
public record RetentionPolicy(@Nullable Duration deleteMessagesAfter, @Nullable Duration hardDeleteAfter, @Nullable Duration archiveIdleAfter,
                              @Nullable Duration purgeArchivedAfter, boolean dropExpiredMemories, int batchSize, boolean dryRun) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param deleteMessagesAfter soft-delete messages created longer ago than this
     * @param hardDeleteAfter hard-delete messages (and memories) soft-deleted longer ago than this grace period
     * @param archiveIdleAfter archive open conversations with no activity for this long
     * @param purgeArchivedAfter remove archived conversations (archived this long ago) with everything hanging off them, unless something was written in them or their tool threads within this time; the same holds for conversations deleted longer ago than {@code hardDeleteAfter}
     * @param dropExpiredMemories remove memories whose expiry time has passed
     * @param batchSize rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages and their audit events, and takes at least one conversation per transaction
     * @param dryRun count what would change without changing anything
     */
    public RetentionPolicy {
        positive("deleteMessagesAfter", deleteMessagesAfter);
        positive("hardDeleteAfter", hardDeleteAfter);
        positive("archiveIdleAfter", archiveIdleAfter);
        positive("purgeArchivedAfter", purgeArchivedAfter);
        Check.positive("batchSize", batchSize, 10_000);
    }

    /**
     * A policy that does nothing yet.
     *
     * @return the new value
     */
    public static RetentionPolicy none() {
        return new RetentionPolicy(null, null, null, null, false, 500, false);
    }

    /**
     * Returns a copy with {@code age} replaced.
     *
     * @param age the age
     * @return a copy with this change
     */
    public RetentionPolicy deleteMessagesOlderThan(Duration age) {
        return new RetentionPolicy(Check.notNull("deleteMessagesAfter", age), hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code grace} replaced.
     *
     * @param grace how long soft-deleted rows stay
     * @return a copy with this change
     */
    public RetentionPolicy hardDeleteAfter(Duration grace) {
        return new RetentionPolicy(deleteMessagesAfter, Check.notNull("hardDeleteAfter", grace), archiveIdleAfter, purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code idle} replaced.
     *
     * @param idle how long a conversation may stay idle
     * @return a copy with this change
     */
    public RetentionPolicy archiveIdleConversations(Duration idle) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, Check.notNull("archiveIdleAfter", idle), purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code age} replaced.
     *
     * @param age the age
     * @return a copy with this change
     */
    public RetentionPolicy purgeArchivedAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, Check.notNull("purgeArchivedAfter", age),
                dropExpiredMemories, batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code drop} replaced.
     *
     * @param drop the drop
     * @return a copy with this change
     */
    public RetentionPolicy dropExpiredMemories(boolean drop) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, drop, batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code batchSize} replaced.
     *
     * @param batchSize rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages and their audit events, and takes at least one conversation per transaction
     * @return a copy with this change
     */
    public RetentionPolicy batchSize(int batchSize) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun);
    }

    /**
     * Returns a copy with {@code dryRun} replaced.
     *
     * @param dryRun count what would change without changing anything
     * @return a copy with this change
     */
    public RetentionPolicy dryRun(boolean dryRun) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun);
    }

    private static void positive(String field, Duration d) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new InvalidInputException(field, "must be a positive duration, was " + d);
        }
        if (d != null && d.compareTo(Duration.ofDays(365L * 1000)) > 0) {
            throw new InvalidInputException(field, "must be at most 1000 years, was " + d);
        }
    }
}
