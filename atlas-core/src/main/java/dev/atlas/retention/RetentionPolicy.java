package dev.atlas.retention;

import dev.atlas.InvalidInputException;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Objects;

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
 */
public final class RetentionPolicy {
    private final @Nullable Duration deleteMessagesAfter;
    private final @Nullable Duration hardDeleteAfter;
    private final @Nullable Duration archiveIdleAfter;
    private final @Nullable Duration purgeArchivedAfter;
    private final boolean dropExpiredMemories;
    private final int batchSize;
    private final boolean dryRun;
    private final @Nullable Duration purgeDetachedExecutionsAfter;
    private final @Nullable Duration purgeFinishedTasksAfter;
    private final @Nullable Duration purgeDeletedAssetsAfter;
    private final @Nullable Duration purgeDetachedVoiceCallsAfter;

    /**
     * Creates the value; every argument is as its accessor returns it, and
     * {@link #purgeDetachedVoiceCallsAfter()} is unset (set it with {@link #purgeDetachedVoiceCallsAfter(Duration)}).
     *
     * @param deleteMessagesAfter soft-delete messages created longer ago than this
     * @param hardDeleteAfter hard-delete messages (and memories) soft-deleted longer ago than this grace period
     * @param archiveIdleAfter archive open conversations with no activity for this long
     * @param purgeArchivedAfter remove archived conversations (archived this long ago) with everything hanging off them, unless something was written in them or their tool threads within this time; the same holds for conversations deleted longer ago than {@code hardDeleteAfter}
     * @param dropExpiredMemories remove memories whose expiry time has passed
     * @param batchSize rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages, their audit events and its executions with their steps, tool calls and assets (a detached execution as itself and its own), and takes at least one conversation (or execution) per transaction
     * @param dryRun count what would change without changing anything
     * @param purgeDetachedExecutionsAfter remove finished (completed, failed or cancelled) executions without a conversation, created longer ago than this, with their steps, tool calls and produced assets (rows and bytes); a voice call that pointed at one keeps its row without the link
     * @param purgeFinishedTasksAfter remove tasks that completed, failed or were cancelled longer ago than this
     * @param purgeDeletedAssetsAfter remove asset rows soft-deleted longer ago than this, with their blob bytes
     */
    public RetentionPolicy(
            @Nullable Duration deleteMessagesAfter,
            @Nullable Duration hardDeleteAfter,
            @Nullable Duration archiveIdleAfter,
            @Nullable Duration purgeArchivedAfter,
            boolean dropExpiredMemories,
            int batchSize,
            boolean dryRun,
            @Nullable Duration purgeDetachedExecutionsAfter,
            @Nullable Duration purgeFinishedTasksAfter,
            @Nullable Duration purgeDeletedAssetsAfter) {
        this(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories, batchSize, dryRun,
                purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, null);
    }

    private RetentionPolicy(
            @Nullable Duration deleteMessagesAfter,
            @Nullable Duration hardDeleteAfter,
            @Nullable Duration archiveIdleAfter,
            @Nullable Duration purgeArchivedAfter,
            boolean dropExpiredMemories,
            int batchSize,
            boolean dryRun,
            @Nullable Duration purgeDetachedExecutionsAfter,
            @Nullable Duration purgeFinishedTasksAfter,
            @Nullable Duration purgeDeletedAssetsAfter,
            @Nullable Duration purgeDetachedVoiceCallsAfter) {
        positive("purgeDetachedExecutionsAfter", purgeDetachedExecutionsAfter);
        positive("purgeFinishedTasksAfter", purgeFinishedTasksAfter);
        positive("purgeDeletedAssetsAfter", purgeDeletedAssetsAfter);
        positive("deleteMessagesAfter", deleteMessagesAfter);
        positive("hardDeleteAfter", hardDeleteAfter);
        positive("archiveIdleAfter", archiveIdleAfter);
        positive("purgeArchivedAfter", purgeArchivedAfter);
        positive("purgeDetachedVoiceCallsAfter", purgeDetachedVoiceCallsAfter);
        Check.positive("batchSize", batchSize, 10_000);

        this.deleteMessagesAfter = deleteMessagesAfter;
        this.hardDeleteAfter = hardDeleteAfter;
        this.archiveIdleAfter = archiveIdleAfter;
        this.purgeArchivedAfter = purgeArchivedAfter;
        this.dropExpiredMemories = dropExpiredMemories;
        this.batchSize = batchSize;
        this.dryRun = dryRun;
        this.purgeDetachedExecutionsAfter = purgeDetachedExecutionsAfter;
        this.purgeFinishedTasksAfter = purgeFinishedTasksAfter;
        this.purgeDeletedAssetsAfter = purgeDeletedAssetsAfter;
        this.purgeDetachedVoiceCallsAfter = purgeDetachedVoiceCallsAfter;
    }

    /**
     * Soft-delete messages created longer ago than this.
     *
     * @return soft-delete messages created longer ago than this
     */
    public @Nullable Duration deleteMessagesAfter() {
        return deleteMessagesAfter;
    }

    /**
     * Hard-delete messages (and memories) soft-deleted longer ago than this grace period.
     *
     * @return hard-delete messages (and memories) soft-deleted longer ago than this grace period
     */
    public @Nullable Duration hardDeleteAfter() {
        return hardDeleteAfter;
    }

    /**
     * Archive open conversations with no activity for this long.
     *
     * @return archive open conversations with no activity for this long
     */
    public @Nullable Duration archiveIdleAfter() {
        return archiveIdleAfter;
    }

    /**
     * Remove archived conversations (archived this long ago) with everything hanging off them, unless something was written in them or their tool threads within this time; the same holds for conversations deleted longer ago than {@code hardDeleteAfter}.
     *
     * @return remove archived conversations (archived this long ago) with everything hanging off them, unless something was written in them or their tool threads within this time; the same holds for conversations deleted longer ago than {@code hardDeleteAfter}
     */
    public @Nullable Duration purgeArchivedAfter() {
        return purgeArchivedAfter;
    }

    /**
     * Remove memories whose expiry time has passed.
     *
     * @return remove memories whose expiry time has passed
     */
    public boolean dropExpiredMemories() {
        return dropExpiredMemories;
    }

    /**
     * Rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages, their audit events and its executions with their steps, tool calls and assets (a detached execution as itself and its own), and takes at least one conversation (or execution) per transaction.
     *
     * @return rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages, their audit events and its executions with their steps, tool calls and assets (a detached execution as itself and its own), and takes at least one conversation (or execution) per transaction
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Count what would change without changing anything.
     *
     * @return count what would change without changing anything
     */
    public boolean dryRun() {
        return dryRun;
    }

    /**
     * Remove finished (completed, failed or cancelled) executions without a conversation, created longer ago than this, with their steps, tool calls and produced assets (rows and bytes); a voice call that pointed at one keeps its row without the link.
     *
     * @return remove finished (completed, failed or cancelled) executions without a conversation, created longer ago than this, with their steps, tool calls and produced assets (rows and bytes); a voice call that pointed at one keeps its row without the link
     */
    public @Nullable Duration purgeDetachedExecutionsAfter() {
        return purgeDetachedExecutionsAfter;
    }

    /**
     * Remove tasks that completed, failed or were cancelled longer ago than this.
     *
     * @return remove tasks that completed, failed or were cancelled longer ago than this
     */
    public @Nullable Duration purgeFinishedTasksAfter() {
        return purgeFinishedTasksAfter;
    }

    /**
     * Remove asset rows soft-deleted longer ago than this, with their blob bytes.
     *
     * @return remove asset rows soft-deleted longer ago than this, with their blob bytes
     */
    public @Nullable Duration purgeDeletedAssetsAfter() {
        return purgeDeletedAssetsAfter;
    }

    /**
     * Remove finished (completed or failed) voice calls that belong to no conversation, with their
     * transcripts, once their last write (their end, or a later summary) is longer ago than this. A
     * call of a conversation goes with its conversation (purge, erase); an active call stays
     * (end abandoned ones with {@link dev.atlas.voice.VoiceCallStore#completeStale}).
     *
     * @return how long after its last write a finished voice call of no conversation is removed, or {@code null} to keep them
     */
    public @Nullable Duration purgeDetachedVoiceCallsAfter() {
        return purgeDetachedVoiceCallsAfter;
    }

    /**
     * A policy that does nothing yet.
     *
     * @return the new value
     */
    public static RetentionPolicy none() {
        return new RetentionPolicy(null, null, null, null, false, 500, false, null, null, null);
    }

    /**
     * Returns a copy with {@code age} replaced. The age is a limit, with no floor: every message
     * older than it goes, even the last ones of a conversation and those still in a chat memory's
     * window (a LangChain4j memory then reads back only its newer messages). To remove
     * conversations only whole, once quiet for a time, archive and purge them instead
     * ({@link #archiveIdleConversations}, {@link #purgeArchivedAfter}): a conversation with recent
     * activity keeps all its messages.
     *
     * @param age the age
     * @return a copy with this change
     */
    public RetentionPolicy deleteMessagesOlderThan(Duration age) {
        return new RetentionPolicy(Check.notNull("deleteMessagesAfter", age), hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code grace} replaced.
     *
     * @param grace how long soft-deleted rows stay
     * @return a copy with this change
     */
    public RetentionPolicy hardDeleteAfter(Duration grace) {
        return new RetentionPolicy(deleteMessagesAfter, Check.notNull("hardDeleteAfter", grace), archiveIdleAfter, purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code idle} replaced.
     *
     * @param idle how long a conversation may stay idle
     * @return a copy with this change
     */
    public RetentionPolicy archiveIdleConversations(Duration idle) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, Check.notNull("archiveIdleAfter", idle), purgeArchivedAfter,
                dropExpiredMemories, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code age} replaced.
     *
     * @param age the age
     * @return a copy with this change
     */
    public RetentionPolicy purgeArchivedAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, Check.notNull("purgeArchivedAfter", age),
                dropExpiredMemories, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code drop} replaced.
     *
     * @param drop the drop
     * @return a copy with this change
     */
    public RetentionPolicy dropExpiredMemories(boolean drop) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, drop, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code batchSize} replaced.
     *
     * @param batchSize rows per write transaction, 1 to 10,000 (500 unless given); a purge counts a conversation as its messages, their audit events and its executions with their steps, tool calls and assets (a detached execution as itself and its own), and takes at least one conversation (or execution) per transaction
     * @return a copy with this change
     */
    public RetentionPolicy batchSize(int batchSize) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Returns a copy with {@code dryRun} replaced.
     *
     * @param dryRun count what would change without changing anything
     * @return a copy with this change
     */
    public RetentionPolicy dryRun(boolean dryRun) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * The policy without the rules for detached executions, finished tasks and deleted assets (the shape before they existed).
     *
     * @param deleteMessagesAfter soft-delete messages created longer ago than this, or {@code null} to keep them
     * @param hardDeleteAfter hard-delete messages (and memories) soft-deleted longer ago than this, or {@code null} to keep them
     * @param archiveIdleAfter archive open conversations idle this long, or {@code null} to never archive
     * @param purgeArchivedAfter remove conversations archived this long ago, or {@code null} to never purge
     * @param dropExpiredMemories remove memories whose expiry time has passed
     * @param batchSize rows per write transaction, 1 to 10,000
     * @param dryRun count what would change without changing anything
     */
    public RetentionPolicy(@Nullable Duration deleteMessagesAfter, @Nullable Duration hardDeleteAfter, @Nullable Duration archiveIdleAfter,
                           @Nullable Duration purgeArchivedAfter, boolean dropExpiredMemories, int batchSize, boolean dryRun) {
        this(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories, batchSize, dryRun,
                null, null, null);
    }

    /**
     * Removes finished executions that belong to no conversation once they were created longer ago than {@code age}.
     *
     * @param age how long after creation a detached finished execution is removed, positive
     * @return a copy with this rule set
     */
    public RetentionPolicy purgeDetachedExecutionsAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, Check.notNull("purgeDetachedExecutionsAfter", age), purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Removes completed, failed and cancelled tasks once they finished longer ago than {@code age}.
     *
     * @param age how long after finishing a task is removed, positive
     * @return a copy with this rule set
     */
    public RetentionPolicy purgeFinishedTasksAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, purgeDetachedExecutionsAfter, Check.notNull("purgeFinishedTasksAfter", age), purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    /**
     * Removes soft-deleted asset rows and their blob bytes once they were deleted longer ago than {@code age}.
     *
     * @param age how long after its soft delete an asset is removed, positive
     * @return a copy with this rule set
     */
    public RetentionPolicy purgeDeletedAssetsAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, Check.notNull("purgeDeletedAssetsAfter", age), purgeDetachedVoiceCallsAfter);
    }

    /**
     * Removes finished (completed or failed) voice calls that belong to no conversation, with their
     * transcripts, once their last write (their end, or a later summary) is longer ago than
     * {@code age}; reported as {@code voice_calls.deleted}. Without this rule such calls are kept for
     * ever: the other rules reach a voice call only through its conversation.
     *
     * @param age how long after its last write a finished voice call of no conversation is removed, positive
     * @return a copy with this rule set
     */
    public RetentionPolicy purgeDetachedVoiceCallsAfter(Duration age) {
        return new RetentionPolicy(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories,
                batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter,
                Check.notNull("purgeDetachedVoiceCallsAfter", age));
    }

    private static void positive(String field, Duration d) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new InvalidInputException(field, "must be a positive duration, was " + d);
        }
        if (d != null && d.compareTo(Duration.ofDays(365L * 1000)) > 0) {
            throw new InvalidInputException(field, "must be at most 1000 years, was " + d);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RetentionPolicy that)) {
            return false;
        }
        return true
            && Objects.equals(deleteMessagesAfter, that.deleteMessagesAfter)
            && Objects.equals(hardDeleteAfter, that.hardDeleteAfter)
            && Objects.equals(archiveIdleAfter, that.archiveIdleAfter)
            && Objects.equals(purgeArchivedAfter, that.purgeArchivedAfter)
            && dropExpiredMemories == that.dropExpiredMemories
            && batchSize == that.batchSize
            && dryRun == that.dryRun
            && Objects.equals(purgeDetachedExecutionsAfter, that.purgeDetachedExecutionsAfter)
            && Objects.equals(purgeFinishedTasksAfter, that.purgeFinishedTasksAfter)
            && Objects.equals(purgeDeletedAssetsAfter, that.purgeDeletedAssetsAfter)
            && Objects.equals(purgeDetachedVoiceCallsAfter, that.purgeDetachedVoiceCallsAfter);
    }

    @Override
    public int hashCode() {
        return Objects.hash(deleteMessagesAfter, hardDeleteAfter, archiveIdleAfter, purgeArchivedAfter, dropExpiredMemories, batchSize, dryRun, purgeDetachedExecutionsAfter, purgeFinishedTasksAfter, purgeDeletedAssetsAfter, purgeDetachedVoiceCallsAfter);
    }

    @Override
    public String toString() {
        return "RetentionPolicy[deleteMessagesAfter=" + deleteMessagesAfter + ", hardDeleteAfter=" + hardDeleteAfter + ", archiveIdleAfter=" + archiveIdleAfter + ", purgeArchivedAfter=" + purgeArchivedAfter + ", dropExpiredMemories=" + dropExpiredMemories + ", batchSize=" + batchSize + ", dryRun=" + dryRun + ", purgeDetachedExecutionsAfter=" + purgeDetachedExecutionsAfter + ", purgeFinishedTasksAfter=" + purgeFinishedTasksAfter + ", purgeDeletedAssetsAfter=" + purgeDeletedAssetsAfter + ", purgeDetachedVoiceCallsAfter=" + purgeDetachedVoiceCallsAfter + "]";
    }
}
