package dev.atlas;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small polling worker over any {@link TaskStore}: it claims due tasks of the kinds it has
 * handlers for, runs each on a pool thread, heartbeats while the handler runs, and completes or
 * fails the task with the handler's outcome. A worker that dies leaves its leases to expire; the
 * tasks are then claimed again by whichever worker polls next, which is all "resume on startup"
 * needs.
 *
 * <pre>{@code
 * try (TaskWorker worker = TaskWorker.builder(atlas.tenant("acme").tasks())
 *         .handler("summarize", task -> Map.of("summary", summarize(task.payload())))
 *         .concurrency(4)
 *         .start()) {
 *     ... // the application runs
 * }   // close() stops claiming and waits for running handlers
 * }</pre>
 */
public final class TaskWorker implements AutoCloseable {

    /** Runs one task; the returned map (or an empty one for null) becomes the task's result. A thrown exception fails the attempt. */
    @FunctionalInterface
    public interface Handler {
        Map<String, ?> run(Task task) throws Exception;
    }

    private final TaskStore store;
    private final Map<String, Handler> handlers;
    private final Duration lease;
    private final Semaphore slots;
    private final ExecutorService pool;
    private final ScheduledExecutorService scheduler;
    private final ScheduledFuture<?> polling;
    private final Object pollLock = new Object();
    private volatile boolean closed;

    private TaskWorker(Builder b) {
        this.store = b.store;
        this.handlers = Map.copyOf(b.handlers);
        this.lease = b.lease;
        this.slots = new Semaphore(b.concurrency);
        this.pool = Executors.newFixedThreadPool(b.concurrency, threads("atlas-task-worker"));
        this.scheduler = Executors.newScheduledThreadPool(2, threads("atlas-task-poller"));
        this.polling = scheduler.scheduleWithFixedDelay(this::poll, 0, b.pollInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    public static Builder builder(TaskStore store) {
        return new Builder(store);
    }

    private void poll() {
        // Held for the whole poll so close() can wait until no claim is between store and pool.
        synchronized (pollLock) {
            pollLocked();
        }
    }

    private void pollLocked() {
        while (!closed && slots.tryAcquire()) {
            Optional<ClaimedTask> claim;
            try {
                claim = store.claim(lease, handlers.keySet());
            } catch (RuntimeException e) {
                // Storage hiccup: try again on the next tick rather than kill the schedule.
                slots.release();
                return;
            }
            if (claim.isEmpty()) {
                slots.release();
                return;
            }
            pool.execute(() -> run(claim.get()));
        }
    }

    private void run(ClaimedTask claim) {
        AtomicReference<ClaimedTask> current = new AtomicReference<>(claim);
        long every = Math.max(1, lease.toMillis() / 3);
        ScheduledFuture<?> heartbeat = scheduler.scheduleAtFixedRate(() -> {
            try {
                current.set(store.heartbeat(current.get()));
            } catch (RuntimeException e) {
                // Lease lost or storage down: complete/fail below reports it to the store.
            }
        }, every, every, TimeUnit.MILLISECONDS);
        try {
            Map<String, ?> result = handlers.get(claim.task().kind()).run(claim.task());
            heartbeat.cancel(false);
            store.complete(current.get(), result == null ? Map.of() : result);
        } catch (LeaseLostException e) {
            // Cancelled or reclaimed meanwhile: the other outcome stands.
        } catch (Exception e) {
            heartbeat.cancel(false);
            try {
                store.fail(current.get(), describe(e));
            } catch (RuntimeException ignored) {
                // Lease lost: the task is someone else's now. Storage down: the lease expires and it is retried.
            }
        } finally {
            heartbeat.cancel(false);
            slots.release();
        }
    }

    static String describe(Exception e) {
        String s = e.toString();
        StringBuilder sb = new StringBuilder(Math.min(s.length(), Limits.MAX_REASON_LENGTH));
        for (int i = 0; i < s.length() && sb.length() < Limits.MAX_REASON_LENGTH - 1; i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                sb.append(c).append(s.charAt(++i));
            } else if (c == 0 || Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Stops claiming, waits for every running handler to finish and report, then stops the threads. */
    @Override
    public void close() {
        closed = true;
        polling.cancel(false);
        synchronized (pollLock) {
            // A poll in progress has handed its claims to the pool; later polls see closed.
        }
        pool.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (pool.awaitTermination(1, TimeUnit.SECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        scheduler.shutdownNow();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
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

        /** Runs tasks of {@code kind} with {@code handler}. */
        public Builder handler(String kind, Handler handler) {
            if (kind == null || kind.isBlank() || handler == null) {
                throw new ConfigurationException("handler needs a non-blank kind and a handler");
            }
            if (handlers.putIfAbsent(kind, handler) != null) {
                throw new ConfigurationException("a handler for kind '" + kind + "' is already registered");
            }
            return this;
        }

        /** How many tasks run at once (1 to 256, default 1). */
        public Builder concurrency(int concurrency) {
            if (concurrency < 1 || concurrency > 256) {
                throw new ConfigurationException("concurrency must be between 1 and 256, was " + concurrency);
            }
            this.concurrency = concurrency;
            return this;
        }

        /** Pause between polls when no task is due (10 ms to 1 hour, default 1 s). */
        public Builder pollInterval(Duration pollInterval) {
            if (pollInterval == null || pollInterval.toMillis() < 10 || pollInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new ConfigurationException("pollInterval must be between 10 ms and 1 hour, was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /** Lease per claim, renewed every third of it while the handler runs (1 s to 1 day, default 60 s). */
        public Builder lease(Duration lease) {
            if (lease == null || lease.toMillis() < 1000 || lease.compareTo(TaskStore.MAX_LEASE) > 0) {
                throw new ConfigurationException("lease must be between 1 second and 1 day, was " + lease);
            }
            this.lease = lease;
            return this;
        }

        public TaskWorker start() {
            if (handlers.isEmpty()) {
                throw new ConfigurationException("register at least one handler before start()");
            }
            return new TaskWorker(this);
        }
    }
}
