package dev.atlas.retention;

import dev.atlas.ConfigurationException;
import dev.atlas.internal.Check;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import dev.atlas.task.TaskWorker;

/**
 * Applies a tenant's {@link RetentionPolicy} on a schedule, like {@link dev.atlas.task.TaskWorker} runs tasks.
 * Several processes may run a worker for the same tenant: each run first takes a lease in the
 * database ({@link Retention#runExclusive}), so at most one of them purges at a time and the
 * others skip that tick. A failed run (an Error included) is logged and retried at the next tick;
 * once Atlas is closed the worker stops with one warning.
 *
 * <pre>{@code
 * RetentionWorker worker = RetentionWorker.builder(tenant.retention(), policy)
 *         .every(Duration.ofMinutes(10)).build();
 * ...
 * worker.close(Duration.ofSeconds(30));
 * }</pre>
 */
public final class RetentionWorker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RetentionWorker.class);
    /** Longest {@code every} and {@code initialDelay} accepted. */
    public static final Duration MAX_DELAY = Duration.ofDays(366);

    private final Retention retention;
    private final RetentionPolicy policy;
    private final Duration lease;
    private final Consumer<Optional<RetentionReport>> onRun;
    private final ScheduledExecutorService scheduler;
    /** Set by close: a run in progress stops at its next batch boundary. */
    private volatile boolean closing;
    /** The worker's thread: close called on it (from the listener) has no run to wait for. */
    private volatile Thread thread;

    private RetentionWorker(Builder b) {
        this.retention = b.retention;
        this.policy = b.policy;
        this.lease = b.lease;
        this.onRun = b.onRun;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "atlas-retention-worker");
            t.setDaemon(true);
            thread = t;
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::tick, b.initialDelay.toMillis(), b.every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A worker applying {@code policy} through {@code retention} (usually {@code tenant.retention()}).
     *
     * @param retention the tenant's retention, which takes the lease and runs the policy
     * @param policy    what each run deletes, archives and purges
     * @return a builder; {@link Builder#build()} starts the schedule
     * @throws ConfigurationException when {@code retention} or {@code policy} is {@code null}, as every setting of the
     *         builder that is invalid is (settings are not arguments: docs/api.md, "Null arguments")
     */
    public static Builder builder(Retention retention, RetentionPolicy policy) {
        return new Builder(retention, policy);
    }

    private void tick() {
        Optional<RetentionReport> report;
        try {
            report = retention.runExclusive(policy, lease, () -> closing);
        } catch (dev.atlas.AtlasClosedException e) {
            // Nothing will ever run again: one warning, not a failure logged every tick.
            log.warn("Atlas was closed; this RetentionWorker stops (close the worker before Atlas)");
            scheduler.shutdown();
            return;
        } catch (RuntimeException | Error e) {
            // A storage hiccup must not end the schedule; the next tick tries again. An Error too (a class
            // that failed to load, an assertion): a scheduled job that throws is never run again.
            log.warn("Retention run failed; retrying at the next tick", e);
            return;
        }
        try {
            onRun.accept(report);
        } catch (RuntimeException | Error e) {
            log.warn("Retention listener failed", e);
        }
    }

    /**
     * Stops scheduling, tells a run in progress to stop at its next batch boundary (the batch under way
     * commits, none starts after; its report, {@link RetentionReport#stopped()}, still goes to the listener)
     * and waits up to {@code timeout} for it to stop. The next run, by any worker, goes on from there.
     *
     * <p>Called from the worker's own {@code onRun} listener, it returns {@code true} at once: that run is over.
     *
     * @param timeout how long to wait; zero or negative does not wait
     * @return {@code true} if no run was left in progress, {@code false} on timeout or interrupt
     */
    public boolean close(Duration timeout) {
        Check.notNull("timeout", timeout);
        closing = true;
        scheduler.shutdown();
        if (Thread.currentThread() == thread) {
            return true;
        }
        long millis;
        try {
            millis = Math.max(0, timeout.toMillis());
        } catch (ArithmeticException e) {
            millis = timeout.isNegative() ? 0 : Long.MAX_VALUE;
        }
        try {
            return scheduler.awaitTermination(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@link #close(Duration)} with 30 seconds. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Settings of a {@link RetentionWorker}. */
    public static final class Builder {
        private final Retention retention;
        private final RetentionPolicy policy;
        private Duration every = Duration.ofMinutes(10);
        private Duration initialDelay = Duration.ZERO;
        private Duration lease = Duration.ofMinutes(10);
        private Consumer<Optional<RetentionReport>> onRun = r -> { };

        private Builder(Retention retention, RetentionPolicy policy) {
            this.retention = present("retention", retention);
            this.policy = present("policy", policy);
        }

        /**
         * Time between the end of one run and the start of the next (10 minutes unless given).
         *
         * @param every the delay between runs, 1 ms to {@link RetentionWorker#MAX_DELAY}
         * @return this builder
         * @throws ConfigurationException naming the setting when it is outside 1 ms to {@link RetentionWorker#MAX_DELAY} or {@code null}
         */
        public Builder every(Duration every) {
            this.every = positive("every", every);
            return this;
        }

        /**
         * Time before the first run (none unless given).
         *
         * @param delay the delay before the first run, zero to {@link RetentionWorker#MAX_DELAY}
         * @return this builder
         * @throws ConfigurationException naming the setting when it is negative, over {@link RetentionWorker#MAX_DELAY} or {@code null}
         */
        public Builder initialDelay(Duration delay) {
            if (delay == null || delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
                throw new ConfigurationException("initialDelay must be between zero and " + MAX_DELAY + ", was " + delay);
            }
            this.initialDelay = delay;
            return this;
        }

        /**
         * How long the tenant's retention lease is held (10 minutes unless given), renewed by every batch of a run; make it longer than a batch takes.
         *
         * @param lease the lease duration, {@link Retention#MIN_LEASE} to one day
         * @return this builder
         * @throws ConfigurationException naming the setting when it is outside {@link Retention#MIN_LEASE} to one day or {@code null}
         */
        public Builder lease(Duration lease) {
            if (lease == null || lease.compareTo(Retention.MIN_LEASE) < 0 || lease.compareTo(Duration.ofDays(1)) > 0) {
                throw new ConfigurationException("lease must be between " + Retention.MIN_LEASE + " and one day, was " + lease);
            }
            this.lease = lease;
            return this;
        }

        /**
         * Called after every tick with the run's report, or empty when another holder had the lease.
         * A failed run calls nothing; an exception the listener throws is logged and swallowed.
         *
         * @param listener receives each tick's outcome, on the worker's thread
         * @return this builder
         * @throws ConfigurationException naming the setting when it is {@code null}
         */
        public Builder onRun(Consumer<Optional<RetentionReport>> listener) {
            this.onRun = present("onRun", listener);
            return this;
        }

        /**
         * Creates the worker and starts its schedule on a daemon thread.
         *
         * @return the running worker; close it to stop
         */
        public RetentionWorker build() {
            return new RetentionWorker(this);
        }

        private static Duration positive(String setting, Duration d) {
            // compareTo, not toMillis: a duration beyond a long of milliseconds must be refused, not overflow.
            if (d == null || d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(MAX_DELAY) > 0) {
                throw new ConfigurationException(setting + " must be between 1 ms and " + MAX_DELAY + ", was " + d);
            }
            return d;
        }

        private static <T> T present(String setting, T value) {
            if (value == null) {
                throw new ConfigurationException(setting + " must not be null");
            }
            return value;
        }
    }
}
