package dev.atlas.task;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import dev.atlas.AtlasClosedException;
import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;
import dev.atlas.LeaseLostException;
import dev.atlas.NotFoundException;

/**
 * A small polling worker over any {@link TaskStore}: it claims due tasks of the kinds it has
 * handlers for, runs each on a pool thread, heartbeats while the handler runs, and completes or
 * fails the task with the handler's outcome. A worker that dies leaves its leases to expire; the
 * tasks are then claimed again by whichever worker polls next, which is all "resume on startup"
 * needs. Each poll first enqueues the due occurrences of the tenant's recurring tasks
 * ({@link TaskStore#enqueueScheduled()}; each occurrence once, however many workers poll).
 *
 * <p>When a heartbeat finds the lease lost ({@link LeaseLostException}: the task was cancelled, or
 * its lease ran out and another worker claimed it) or the task gone ({@link NotFoundException}:
 * deleted with its owner or conversation) the handler's thread is interrupted, so a
 * handler that waits or checks {@link Thread#isInterrupted()} stops; nothing is written for that
 * run. Handler failures, lost leases and storage errors are logged through SLF4J (logger
 * {@code dev.atlas.task.TaskWorker}). Close the worker before Atlas: a poll that finds Atlas
 * closed ({@link dev.atlas.AtlasClosedException}) stops polling with one warning.
 *
 * <pre>{@code
 * try (TaskWorker worker = TaskWorker.builder(atlas.tenant("acme").tasks())
 *         .handler("summarize", task -> Map.of("summary", summarize(task.payload())))
 *         .concurrency(4)
 *         .start()) {
 *     ... // the application runs
 * }   // close() stops claiming and waits up to 30 s for running handlers
 * }</pre>
 */
public final class TaskWorker implements AutoCloseable {
    /** How long close() waits, after interrupting handlers, for them to record the interruption. */
    private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(1);

    /** How long {@link #close()} waits for running handlers. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(TaskWorker.class);

    /**
     * Runs one task; the returned map (or an empty one for null) becomes the task's result. A thrown
     * exception, or an {@link Error} other than a {@link VirtualMachineError} (a
     * {@link StackOverflowError} counts as thrown), fails the attempt (one that {@link #close(Duration)} interrupted too: the handler ran), and so does a result the store refuses (its error names {@code result}). The thread is interrupted when the lease is lost or when
     * {@link #close(Duration)} runs out of time.
     */
    @FunctionalInterface
    public interface Handler {
        /**
         * Runs one task and returns its result.
         *
         * @param task the task to create
         * @return the map
         * @throws Exception when the storage fails
         */
        Map<String, ?> run(Task task) throws Exception;
    }

    private final TaskStore store;
    private final Map<String, Handler> handlers;
    private final Duration lease;
    private final Semaphore slots;
    private final ExecutorService pool;
    private final ScheduledExecutorService scheduler;
    private final ScheduledFuture<?> polling;
    private final ReentrantLock pollLock = new ReentrantLock();
    /** Held by a poll while it enqueues due schedules, apart from {@link #pollLock}, so close() can wait for it too. */
    private final ReentrantLock scheduleLock = new ReentrantLock();
    /** The last claim found a task, so more may be due: a slot that frees up claims at once instead of at the next tick. */
    private volatile boolean backlog;
    /** A claim asked for (by a finished handler or a poll) while another thread held {@link #pollLock}: it claims again once it lets go. */
    private final AtomicBoolean claimWanted = new AtomicBoolean();
    private volatile boolean closed;
    /** Set by close() once it stops waiting: handlers it interrupts record their attempt as interrupted by close(). */
    private volatile boolean abandoning;
    /** Set by a poll that found Atlas closed: later polls do nothing. */
    private volatile boolean atlasClosed;
    /** The worker whose handler this thread is running, if any: close() from a handler cannot wait for itself. */
    private static final ThreadLocal<TaskWorker> HANDLING = new ThreadLocal<>();

    private TaskWorker(Builder b) {
        this.store = b.store;
        this.handlers = Map.copyOf(b.handlers);
        this.lease = b.lease;
        this.slots = new Semaphore(b.concurrency);
        this.pool = Executors.newFixedThreadPool(b.concurrency, threads("atlas-task-worker"));
        this.scheduler = Executors.newScheduledThreadPool(2, threads("atlas-task-poller"));
        this.polling = scheduler.scheduleWithFixedDelay(this::poll, 0, b.pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Starts configuring a worker that claims tasks from {@code store}.
     *
     * @param store the store
     * @return the builder
     * @throws ConfigurationException when {@code store} is {@code null}, as for every invalid setting of the builder
     */
    public static Builder builder(TaskStore store) {
        return new Builder(store);
    }

    private void poll() {
        if (atlasClosed) {
            return;
        }
        // Not under pollLock: a claim after a task holds that lock for as long as its claim takes (a busy database), and a
        // poll waiting for it enqueued no schedule meanwhile. close() waits for this lock as it waits for pollLock.
        scheduleLock.lock();
        try {
            if (closed || !enqueueScheduled()) {
                return;
            }
        } finally {
            scheduleLock.unlock();
        }
        // Claimed by whoever holds pollLock, never waited for: a claim after a task in progress claims again for this poll.
        claimWanted.set(true);
        claimWantedTasks();
    }

    /** Enqueues due schedules; false when Atlas was found closed. */
    private boolean enqueueScheduled() {
        try {
            // Recurring tasks become ordinary tasks here; each occurrence once, whichever worker gets it.
            store.enqueueScheduled();
        } catch (AtlasClosedException e) {
            stopPolling();
            return false;
        } catch (RuntimeException | Error e) {
            // An Error too (a class that failed to load, an assertion): a scheduled job that throws is
            // never run again, so the worker would stop polling without a word.
            log.warn("Enqueueing scheduled tasks failed; retrying at the next poll", e);
        }
        return true;
    }

    /**
     * Called on a pool thread whose handler just finished: while the last claim found a task, the freed slot claims the
     * next one now. Waiting for the next poll drained a backlog at {@code concurrency} tasks per {@code pollInterval} (one
     * a second by default), where the pause is meant only for when no task is due. Never waits for a poll in progress:
     * one that holds the lock claims again for it as it lets go ({@link #claimWanted}).
     */
    private void claimAfterTask() {
        if (backlog && !closed && !atlasClosed) {
            claimWanted.set(true);
            claimWantedTasks();
        }
    }

    /** Claims for the freed slots asked for by {@link #claimAfterTask} or a poll, unless whoever holds the lock will. */
    private void claimWantedTasks() {
        while (claimWanted.get() && !closed && !atlasClosed && pollLock.tryLock()) {
            try {
                claimWanted.set(false);
                claimWhileSlotsFree();
            } finally {
                pollLock.unlock();
            }
        }
    }

    /** Claims and starts tasks while slots are free and tasks are due; the caller holds {@link #pollLock}. */
    private void claimWhileSlotsFree() {
        while (!closed && !atlasClosed && slots.tryAcquire()) {
            Optional<ClaimedTask> claim;
            try {
                claim = store.claim(lease, handlers.keySet());
            } catch (AtlasClosedException e) {
                slots.release();
                stopPolling();
                return;
            } catch (RuntimeException | Error e) {
                // Storage hiccup (or an Error, as above): try again on the next tick rather than kill the schedule.
                log.warn("Claiming a task failed; retrying at the next poll", e);
                slots.release();
                return;
            }
            backlog = claim.isPresent();
            if (claim.isEmpty()) {
                slots.release();
                return;
            }
            try {
                pool.execute(new Job(claim.get()));
            } catch (RejectedExecutionException e) {
                // close() gave up waiting for this poll: the task never ran, so it goes back with its attempt.
                giveBack(claim.get(), "was claimed while the worker closed");
                slots.release();
                return;
            }
        }
    }

    /**
     * Atlas fails every call once closed, for good: polling on would log a failed claim at every
     * tick until the application closed the worker too. Handlers still running are left to finish.
     */
    private void stopPolling() {
        if (!atlasClosed) {
            atlasClosed = true;
            log.warn("Atlas was closed; this TaskWorker stops polling (close the worker before Atlas)");
        }
    }

    /** A claimed task handed to the pool; close() gives back the claims of those the pool never started. */
    private final class Job implements Runnable {
        private final ClaimedTask claim;

        Job(ClaimedTask claim) {
            this.claim = claim;
        }

        @Override
        public void run() {
            HANDLING.set(TaskWorker.this);
            try {
                TaskWorker.this.run(claim);
            } finally {
                HANDLING.remove();
            }
            claimAfterTask();
        }
    }

    /**
     * Gives a task this worker stops holding without an outcome back to the queue, with its
     * attempt: a shutdown is not the task's failure, and left to its lease the task would have
     * used up an attempt (with none left it would fail as "lease expired").
     */
    private void giveBack(ClaimedTask claim, String why) {
        try {
            store.release(claim);
            log.info("Task {} ({}) {}; it was given back to the queue", claim.taskId(), claim.task().kind(), why);
        } catch (RuntimeException e) {
            log.warn("Task {} ({}) {}; giving it back failed, so it is retried when its lease expires", claim.taskId(),
                    claim.task().kind(), why, e);
        }
    }

    /**
     * One handler run. Interrupts go to its thread only while the handler runs, never after it
     * returned, so a late heartbeat cannot interrupt the next task on the same pool thread.
     */
    private static final class Run {
        private final Thread thread = Thread.currentThread();
        private boolean finished;
        private boolean leaseLost;

        /** Interrupts the handler if it still runs; false when it had finished, so its outcome path reports instead. */
        synchronized boolean loseLease() {
            if (!finished && !leaseLost) {
                leaseLost = true;
                thread.interrupt();
                return true;
            }
            return false;
        }

        synchronized boolean isLeaseLost() {
            return leaseLost;
        }

        /** Ends the window for interrupts; true when the lease was lost meanwhile. */
        synchronized boolean finish() {
            finished = true;
            return leaseLost;
        }
    }

    private void run(ClaimedTask claim) {
        Task task = claim.task();
        Run run = new Run();
        AtomicReference<ClaimedTask> current = new AtomicReference<>(claim);
        long every = Math.max(1, lease.toMillis() / 3);
        ScheduledFuture<?> heartbeat = scheduler.scheduleAtFixedRate(() -> {
            if (run.isLeaseLost()) {
                return;
            }
            try {
                current.set(store.heartbeat(current.get()));
            } catch (LeaseLostException e) {
                // A heartbeat under way when the handler returned may land after its own completion ("the task is
                // completed"): nothing was lost, and a lease really lost is reported by the outcome path.
                if (run.loseLease()) {
                    log.warn("Task {} ({}) lost its lease while running: {}; interrupting its handler", task.id(), task.kind(), e.getMessage());
                }
            } catch (NotFoundException e) {
                // Deleted while it ran (its owner or conversation erased, or purged): no outcome can be recorded.
                if (run.loseLease()) {
                    log.warn("Task {} ({}) was deleted while running; interrupting its handler", task.id(), task.kind());
                }
            } catch (AtlasClosedException e) {
                // Nothing can renew the lease any more; the outcome path says so once, when the handler returns.
            } catch (RuntimeException | Error e) {
                // Storage down (or an Error: a job that throws is never run again, and the lease would
                // run out under a live handler): keep trying; if the lease runs out meanwhile, the next
                // heartbeat reports it lost.
                log.warn("Heartbeat for task {} ({}) failed; retrying", task.id(), task.kind(), e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        try {
            Map<String, ?> result;
            try {
                result = handlers.get(task.kind()).run(task);
            } catch (Exception | Error e) {
                // An Error from the handler (AssertionError, StackOverflowError, a class that failed to
                // load) fails the attempt like an exception; only a JVM in trouble (out of memory, an
                // internal error) goes on up, leaving the task to its lease.
                if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
                    throw (Error) e;
                }
                heartbeat.cancel(false);
                if (run.finish()) {
                    log.info("Task {} ({}) handler stopped after its lease was lost: {}", task.id(), task.kind(), e.toString());
                    return;
                }
                if (abandoning) {
                    // close() ran out of time and interrupted it. The handler did run, and may have
                    // done its side effects, so the attempt counts: maxAttempts bounds how often a
                    // handler runs, shutdowns included. With attempts left the task is retried.
                    log.warn("Task {} ({}) attempt {} of {} was interrupted by close()", task.id(), task.kind(), task.attempts(),
                            task.maxAttempts());
                    store.fail(current.get(), "interrupted by TaskWorker.close(): " + e);
                    return;
                }
                log.warn("Task {} ({}) attempt {} of {} failed", task.id(), task.kind(), task.attempts(), task.maxAttempts(), e);
                // Its text as it is: the store records a failure whatever it holds (NUL and unpaired surrogates as U+FFFD, cut).
                store.fail(current.get(), e.toString());
                return;
            }
            heartbeat.cancel(false);
            if (run.finish()) {
                log.warn("Task {} ({}) handler returned after its lease was lost; its result is dropped", task.id(), task.kind());
                return;
            }
            try {
                store.complete(current.get(), result == null ? Map.of() : result);
            } catch (InvalidInputException e) {
                // A result that cannot be stored fails the attempt like a thrown exception would:
                // left running, the task would run again once its lease expired, to the same end.
                log.warn("Task {} ({}) attempt {} of {} returned a result that cannot be stored", task.id(), task.kind(),
                        task.attempts(), task.maxAttempts(), e);
                store.fail(current.get(), e.getMessage());
            }
        } catch (LeaseLostException e) {
            log.warn("Task {} ({}) finished but its lease was lost: {}", task.id(), task.kind(), e.getMessage());
        } catch (NotFoundException e) {
            log.warn("Task {} ({}) finished but was deleted meanwhile; its outcome is dropped", task.id(), task.kind());
        } catch (AtlasClosedException e) {
            // The application closed Atlas under a running handler: expected at shutdown, so no error and no stack trace.
            log.warn("Task {} ({}) finished after Atlas was closed; its outcome is not recorded and it runs again when its lease"
                    + " expires", task.id(), task.kind());
        } catch (RuntimeException e) {
            // Storage down: the lease expires and the task is retried.
            log.error("Recording the outcome of task {} ({}) failed; it is retried when its lease expires", task.id(), task.kind(), e);
        } finally {
            heartbeat.cancel(false);
            run.finish();
            // Clear an interrupt aimed at this run so it cannot hit the next task on this thread.
            Thread.interrupted();
            slots.release();
        }
    }

    /**
     * Stops claiming and waits up to {@code timeout} for running handlers to finish and report
     * their outcome. Claimed tasks the pool never started are given back unrun
     * ({@link TaskStore#release}: pending at once, the attempt not counted). Handlers still running
     * are interrupted and their heartbeats stop; this call then waits up to one more second for
     * them to end. One that ends by throwing (as an interrupted wait does) records a failed
     * attempt: the handler ran, so the attempt counts, and the task is retried if it has attempts
     * left ({@code maxAttempts} bounds how often a handler runs, shutdowns included). One that
     * ignores the interrupt keeps its claim: its task goes to
     * another worker once the lease runs out (whatever such a handler reports later is rejected
     * with {@link LeaseLostException} if that happened). Calling it again waits again.
     *
     * <p>Called from one of this worker's own handlers it cannot wait for itself: it stops claiming and
     * returns {@code false} at once, the calling handler finishes and reports as usual, and the same close
     * (waiting up to {@code timeout} for every handler) goes on in the background.
     *
     * @param timeout how long to wait
     * @return true when every handler finished and reported within {@code timeout}
     * @throws InvalidInputException when {@code timeout} is null or negative
     */
    public boolean close(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw new InvalidInputException("timeout", "must be zero or positive, was " + timeout);
        }
        if (HANDLING.get() == this) {
            closed = true;
            polling.cancel(false);
            Thread t = new Thread(() -> close(timeout), "atlas-task-worker-close");
            t.setDaemon(true);
            t.start();
            return false;
        }
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        closed = true;
        polling.cancel(false);
        boolean interrupted = false;
        boolean finished = false;
        try {
            // A poll in progress ends its enqueueing, and a claim in progress hands its task to the pool, before the pool
            // stops taking work.
            if (scheduleLock.tryLock(remaining(deadline), TimeUnit.NANOSECONDS)) {
                scheduleLock.unlock();
            }
            if (pollLock.tryLock(remaining(deadline), TimeUnit.NANOSECONDS)) {
                pollLock.unlock();
            }
            pool.shutdown();
            finished = pool.awaitTermination(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            pool.shutdown();
            if (!finished) {
                abandoning = true;
                for (Runnable never : pool.shutdownNow()) {
                    if (never instanceof Job job) {
                        giveBack(job.claim, "was never started before the worker closed");
                        slots.release();
                    }
                }
                log.warn("TaskWorker closed before its running handlers finished (waited {}); they were interrupted", timeout);
                // A grace period for interrupted handlers to record the interruption, so that an
                // application closing Atlas right after this call does not cut those writes off.
                try {
                    pool.awaitTermination(INTERRUPT_GRACE.toNanos(), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            scheduler.shutdownNow();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return finished;
    }

    /**
     * {@link #close(Duration)} with {@link #DEFAULT_CLOSE_TIMEOUT} (30 s). A timeout is logged as a
     * warning; call {@link #close(Duration)} to act on it.
     */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Configures a {@link TaskWorker}; {@link #start()} begins polling. */
    public static final class Builder {
        private final TaskStore store;
        private final Map<String, Handler> handlers = new LinkedHashMap<>();
        private int concurrency = 1;
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration lease = Duration.ofSeconds(60);

        private Builder(TaskStore store) {
            if (store == null) {
                throw new ConfigurationException("store must not be null");
            }
            this.store = store;
        }

        /**
         * Runs tasks of {@code kind} with {@code handler}.
         *
         * @param kind the kind, as {@link NewTask#kind()} accepts it (at most {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters of storable text)
         * @param handler runs a task of this kind
         * @return this builder
         * @throws ConfigurationException when {@code kind} is blank, not a storable kind, or already has a handler, or the
         *         worker already runs {@link dev.atlas.Limits#MAX_PAGE_SIZE} kinds
         */
        public Builder handler(String kind, Handler handler) {
            if (kind == null || kind.isBlank() || handler == null) {
                throw new ConfigurationException("handler needs a non-blank kind and a handler");
            }
            try {
                // A kind no task can have would only surface as a claim refused at every poll.
                dev.atlas.internal.Check.key("kind", kind);
            } catch (InvalidInputException e) {
                throw new ConfigurationException("handler kind is not a kind a task can have: " + e.getMessage(), e);
            }
            if (handlers.size() >= dev.atlas.Limits.MAX_PAGE_SIZE && !handlers.containsKey(kind)) {
                // Its kinds go to every claim, which takes at most this many.
                throw new ConfigurationException("a worker runs at most " + dev.atlas.Limits.MAX_PAGE_SIZE + " kinds");
            }
            if (handlers.putIfAbsent(kind, handler) != null) {
                throw new ConfigurationException("a handler for kind '" + dev.atlas.internal.Check.escaped(kind) + "' is already registered");
            }
            return this;
        }

        /**
         * How many tasks run at once (1 to 256, default 1).
         *
         * @param concurrency how many tasks run at once
         * @return this builder
         * @throws ConfigurationException naming the setting when it is outside 1 to 256
         */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1 || concurrency > 256) {
                throw new ConfigurationException("concurrency must be between 1 and 256, was " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /**
         * Pause between polls when no task is due (10 ms to 1 hour, default 1 s). While the last claim found a task, a
         * handler that finishes claims the next one at once instead of waiting for the next poll (a claim that fails
         * waits for it).
         *
         * @param pollInterval how often to poll
         * @return this builder
         * @throws ConfigurationException naming the setting when it is outside 10 ms to 1 hour or {@code null}
         */
        public Builder pollInterval(Duration pollInterval) {
            // compareTo, not toMillis: a duration beyond a long of milliseconds must be refused, not overflow.
            if (pollInterval == null || pollInterval.compareTo(Duration.ofMillis(10)) < 0 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new ConfigurationException("pollInterval must be between 10 ms and 1 hour, was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * Lease per claim, renewed every third of it while the handler runs (1 s to 1 day, default 60 s).
         *
         * @param lease how long the claim holds before another worker may take the task
         * @return this builder
         * @throws ConfigurationException naming the setting when it is outside 1 s to 1 day or {@code null}
         */
        public Builder lease(Duration lease) {
            if (lease == null || lease.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(TaskStore.MAX_LEASE) > 0) {
                throw new ConfigurationException("lease must be between 1 second and 1 day, was " + lease);
            }
            this.lease = lease;
            return this;
        }

        /**
         * Starts polling for tasks in the background.
         *
         * @return the started worker (each call starts another)
         */
        public TaskWorker start() {
            if (handlers.isEmpty()) {
                throw new ConfigurationException("register at least one handler before start()");
            }
            return new TaskWorker(this);
        }
    }
}
