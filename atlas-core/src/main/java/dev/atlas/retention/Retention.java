package dev.atlas.retention;

/**
 * Retention for one tenant: expire messages, archive idle conversations, purge archived ones
 * with everything that hangs off them, and drop expired memories. Obtain it from
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
     * after the run. Empty when another holder's lease has not expired yet. The lease must outlast
     * a run; an expired lease is taken over, so a crashed holder delays the next run by at most
     * {@code lease}. {@link RetentionWorker} calls this on a schedule.
     *
     * @param policy what to delete, archive and purge
     * @param lease  how long the lease is held, {@link #MIN_LEASE} to one day; must outlast a run
     * @return the run's report, or empty when another holder has the lease
     * @throws dev.atlas.InvalidInputException naming {@code lease} when it is shorter than {@link #MIN_LEASE} or longer than a day
     */
    java.util.Optional<RetentionReport> runExclusive(RetentionPolicy policy, java.time.Duration lease);
}
