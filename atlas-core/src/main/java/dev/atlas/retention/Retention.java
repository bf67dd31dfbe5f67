package dev.atlas.retention;

/**
 * Retention for one tenant: expire messages, archive idle conversations, purge archived ones
 * with everything that hangs off them, and drop expired memories; optionally remove executions and
 * finished voice calls that belong to no conversation, finished tasks and deleted assets (see
 * {@link RetentionPolicy}). A row no rule reaches is kept: a voice call of no conversation goes only
 * under {@link RetentionPolicy#purgeDetachedVoiceCallsAfter(java.time.Duration)}. Obtain it from
 * {@code atlas.tenant("acme").retention()} and call it from a scheduled job.
 *
 * <p>Work is done in bounded batches, each in its own short write transaction, so a large purge
 * never holds SQLite's single write lock long enough to stall appends. A run that stops half-way
 * leaves consistent data; the next run continues.
 *
 * <p>Runs are safe beside live traffic: a message whose append was acknowledged is never purged
 * (appending reopens an archived conversation, and the purge re-checks each conversation under a
 * row lock before deleting it), and concurrent appends never make a run fail. A conversation that
 * stopped qualifying between being chosen and being purged is left and counted in
 * {@link RetentionReport#skipped()}.
 *
 * <p>That promise is about races, not clocks: every age is measured with the clock of the instance
 * that runs retention ({@code AtlasBuilder.clock}) against stamps the writing instances' clocks
 * made. A runner whose clock is ahead of a writer's by an hour applies an hour-long rule to a row
 * that writer acknowledged a moment ago. Keep every age far above the clock skew between instances.
 */
public interface Retention {
    /**
     * Shortest lease {@link #runExclusive} accepts. A lease shorter than the time it takes to
     * start the run would already have expired when the run begins, so a second caller would take
     * it over and both would run: no exclusivity at all.
     */
    java.time.Duration MIN_LEASE = java.time.Duration.ofSeconds(1);

    /**
     * Applies {@code policy} to this tenant (or counts what it would change for a dry run).
     *
     * @param policy what to delete, archive and purge
     * @return the retentionReport
     */
    RetentionReport runRetention(RetentionPolicy policy);

    /**
     * Runs {@code policy} only if no other caller (in this or another process) is running retention
     * for this tenant: a lease row in the database is taken for {@code lease} first and released
     * after the run. Empty when another holder's lease has not expired yet. Every batch renews the
     * lease for {@code lease} in its own transaction, so the lease must outlast a batch, not a whole run;
     * an expired lease is taken over, so a crashed holder delays the next run by at most
     * {@code lease}, and a run whose lease was taken over (a batch outlasted it) stops before its next
     * batch ({@link RetentionReport#stopped()}). {@link RetentionWorker} calls this on a schedule.
     *
     * @param policy what to delete, archive and purge
     * @param lease  how long the lease is held, {@link #MIN_LEASE} to one day, renewed by every batch; must outlast a batch
     * @return the run's report, or empty when another holder has the lease
     * @throws dev.atlas.InvalidInputException naming {@code lease} when it is shorter than {@link #MIN_LEASE} or longer than a day
     */
    java.util.Optional<RetentionReport> runExclusive(RetentionPolicy policy, java.time.Duration lease);

    /**
     * {@link #runRetention(RetentionPolicy)} that stops at the next batch boundary once {@code stop} says so:
     * {@code stop} is asked before every batch transaction (a dry run: before every page it reads); the batch under way
     * commits, none starts after, and the report counts what was done, with {@link RetentionReport#stopped()}.
     * The next run goes on where this one stopped. {@link RetentionWorker#close(java.time.Duration)} stops its run this way.
     * An implementation that cannot stop (this default) runs to the end.
     *
     * @param policy what to delete, archive and purge
     * @param stop   asked before each batch; once it returns {@code true} the run ends
     * @return the report of what was done
     * @throws dev.atlas.InvalidInputException naming {@code stop} when it is null
     */
    default RetentionReport runRetention(RetentionPolicy policy, java.util.function.BooleanSupplier stop) {
        dev.atlas.internal.Check.notNull("stop", stop);
        return runRetention(policy);
    }

    /**
     * {@link #runExclusive(RetentionPolicy, java.time.Duration)} stopping at the next batch boundary once
     * {@code stop} says so, as {@link #runRetention(RetentionPolicy, java.util.function.BooleanSupplier)}; the lease
     * is released either way. An implementation that cannot stop (this default) runs to the end.
     *
     * @param policy what to delete, archive and purge
     * @param lease  how long the lease is held, {@link #MIN_LEASE} to one day
     * @param stop   asked before each batch; once it returns {@code true} the run ends
     * @return the run's report, or empty when another holder has the lease
     * @throws dev.atlas.InvalidInputException naming {@code lease} or {@code stop}
     */
    default java.util.Optional<RetentionReport> runExclusive(RetentionPolicy policy, java.time.Duration lease,
                                                             java.util.function.BooleanSupplier stop) {
        dev.atlas.internal.Check.notNull("stop", stop);
        return runExclusive(policy, lease);
    }
}
