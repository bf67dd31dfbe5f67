package dev.atlas;

/**
 * Retention for one tenant: expire messages, archive idle conversations, purge archived ones
 * with everything that hangs off them, and drop expired memories. Obtain it from
 * {@code atlas.tenant("acme").retention()} and call it from a scheduled job.
 *
 * <p>Work is done in bounded batches, each in its own short write transaction, so a large purge
 * never holds SQLite's single write lock long enough to stall appends. A run that stops half-way
 * leaves consistent data; the next run continues.
 */
public interface Retention {
    RetentionReport runRetention(RetentionPolicy policy);
}
