package dev.atlas.jdbi.internal;

import dev.atlas.StorageException;

import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.HandleCallback;
import dev.atlas.jdbi.internal.sql.SqlFailure;
import org.jspecify.annotations.Nullable;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Group commit for SQLite, which has one writer at a time and pays a commit (and, with
 * {@code synchronous=FULL}, an fsync) per transaction. Write calls queue; one caller at a time
 * leads: it drains what is queued (up to {@link #MAX_BATCH}), runs each call in its own
 * {@code SAVEPOINT} inside one {@code BEGIN IMMEDIATE} ... {@code COMMIT}, and only then hands each
 * caller its result or its own exception. A failing call (closed conversation, idempotency
 * conflict) is rolled back to its savepoint alone; a failing COMMIT fails every call of the batch,
 * none of which was acknowledged. A lone caller runs without savepoints and without a hand-off.
 *
 * <p>The transaction is begun and committed with explicit statements on a connection left in
 * auto-commit mode, because sqlite-jdbc's {@code commit()} immediately begins the next
 * transaction, which with IMMEDIATE mode takes the write lock a second time per call.
 *
 * <p>On Atlas's own pool the combiner keeps one connection for writes (not returned between
 * batches), with each catalogued statement and its BEGIN / COMMIT / SAVEPOINT prepared once on it
 * ({@link Handle#cacheStatements}, {@link Handle#control});
 * a transaction that fails to begin, commit or roll back gives that connection up and the next
 * batch borrows a fresh one. On a host's pool it borrows per batch, so the host's settings and
 * pool size are left alone.
 *
 * <p>A write started from inside another write's callback on the same thread runs inline, in a
 * nested savepoint of the transaction already open, instead of waiting for itself.
 */
final class WriteCombiner {
    /** Calls per transaction at most: bounds how long the last caller of a batch waits for its answer. */
    static final int MAX_BATCH = 64;

    private static final ThreadLocal<@Nullable Handle> CURRENT = new ThreadLocal<>();

    /** Borrows a connection on behalf of that many calls that have not borrowed one yet ({@link Db#open(int)}). */
    private final java.util.function.IntFunction<Handle> open;
    private final java.util.function.Supplier<@Nullable Consumer<Handle>> beforeEachWrite;
    private final ArrayDeque<Pending<?>> queue = new ArrayDeque<>();
    private boolean leading;
    private int savepoints;
    /** Whether to keep the write connection between batches. */
    private volatile boolean hold;
    private boolean closed;
    /** Why a batch may no longer commit: close() stopped waiting for it; null while open. Guarded by this. */
    private @Nullable String abandoned;
    /** Whether the leader is committing now, which {@link #abandon} waits for. Guarded by this. */
    private boolean committing;
    /** The held write connection; touched only by the leader, or by {@link #close} when none leads. */
    private @Nullable Handle held;
    /** Checkpoints the log off the writers' path while a connection is held; null until {@link #holdConnection}. */
    private volatile @Nullable WalCheckpointer checkpointer;

    WriteCombiner(java.util.function.IntFunction<Handle> open, java.util.function.Supplier<@Nullable Consumer<Handle>> beforeEachWrite) {
        this.open = open;
        this.beforeEachWrite = beforeEachWrite;
    }

    private static final class Pending<T> {
        final HandleCallback<T> work;
        /** Whether the call has not borrowed a connection yet: close() need not wait while its batch waits for one. */
        final boolean first;
        /** When the call joined the queue ({@link System#nanoTime}), stamped under the monitor as it joins. */
        long queuedAt;
        @Nullable T value;
        @Nullable Throwable error;
        boolean done;

        Pending(HandleCallback<T> work, boolean first) {
            this.work = work;
            this.first = first;
        }
    }

    /**
     * Keeps the write connection open between batches from now on (Atlas's own pool only: it holds
     * one of its connections), its automatic checkpoint off: {@code checkpointer} does it instead.
     */
    void holdConnection(WalCheckpointer checkpointer) {
        this.checkpointer = checkpointer;
        hold = true;
    }

    /**
     * Closes the held write connection after the batch running now, waiting for that batch until
     * {@code deadlineNanos} ({@link System#nanoTime()}); a batch still running then closes it
     * itself when it ends (the pool, closed under it, has usually failed it by then). Later
     * batches borrow per batch.
     */
    void close(long deadlineNanos) {
        release(true, deadlineNanos);
    }

    /**
     * From now on no batch commits: one still running rolls back and its calls fail with a
     * {@link StorageException} saying {@code why}. A COMMIT already under way finishes first
     * (it is short), so a write either committed before this returns or never does.
     */
    void abandon(String why) {
        synchronized (this) {
            abandoned = why;
            awaitWhile(() -> committing);
        }
    }

    /** Returns the held write connection after the batch running now; the next batch borrows (and holds) a fresh one. */
    void releaseConnection() {
        release(false, Long.MAX_VALUE);
    }

    private void release(boolean close, long deadlineNanos) {
        Handle h;
        synchronized (this) {
            boolean interrupted = false;
            closed |= close;
            while (leading) {
                long left = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return; // the leader sees closed when its batch ends and closes the held connection
                }
                try {
                    if (left == Long.MAX_VALUE) {
                        wait();
                    } else {
                        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            h = held;
            held = null;
        }
        if (h != null) {
            closeQuietly(h);
        }
    }

    private Handle borrow(List<Pending<?>> batch) {
        Handle h = held;
        if (h != null) {
            return h;
        }
        int firsts = 0;
        for (Pending<?> p : batch) {
            if (p.first) {
                firsts++;
            }
        }
        h = open.apply(firsts);
        boolean keep;
        synchronized (this) {
            keep = hold && !closed;
        }
        if (keep) {
            h.cacheStatements();
            if (checkpointer != null) {
                try {
                    Connection c = h.getConnection();
                    execute(c, "PRAGMA wal_autocheckpoint=0");
                    // Each call's savepoint keeps the pages it changes in a statement journal, which
                    // SQLite moves to a temporary file past 64 KiB unless temp_store is MEMORY: with
                    // it, 8 writers' batches ran about 15% faster (benchmark 5's writer, issue 17).
                    execute(c, "PRAGMA temp_store=MEMORY");
                    h.addCleanable(() -> {
                        execute(c, "PRAGMA wal_autocheckpoint=1000"); // SQLite's defaults, for the pool's next user
                        execute(c, "PRAGMA temp_store=DEFAULT");
                    });
                } catch (SQLException e) {
                    closeQuietly(h);
                    throw new SqlFailure("could not hand checkpoints to the background", e, true);
                }
            }
            held = h;
        }
        return h;
    }

    private static void closeQuietly(Handle h) {
        try {
            h.close();
        } catch (RuntimeException ignored) {
            // a broken connection: the pool discards it
        }
    }

    /** Write calls waiting for a leader (for metrics and tests). */
    synchronized int queued() {
        return queue.size();
    }

    /**
     * Runs {@code work} in a committed write transaction, possibly shared with other callers', and
     * returns its result; {@code first}: the call has not borrowed a connection yet.
     */
    <T> T write(HandleCallback<T> work, boolean first) {
        Handle open = CURRENT.get();
        if (open != null) {
            return nested(open, work);
        }
        Pending<T> mine = new Pending<>(work, first);
        synchronized (this) {
            // Stamped here, not when built: a thread paused in between must not count as queued before a BEGIN it never waited for.
            mine.queuedAt = System.nanoTime();
            queue.add(mine);
        }
        while (true) {
            List<Pending<?>> batch;
            synchronized (this) {
                while (!mine.done && leading) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // The call may already be in a running batch, so it cannot be withdrawn:
                        // wait for its outcome and keep the interrupt for the caller.
                        Thread.currentThread().interrupt();
                        awaitWhile(() -> !mine.done && leading);
                    }
                }
                if (mine.done) {
                    return result(mine);
                }
                leading = true;
                batch = new ArrayList<>(Math.min(queue.size(), MAX_BATCH));
                while (!queue.isEmpty() && batch.size() < MAX_BATCH) {
                    batch.add(queue.poll());
                }
            }
            Handle orphan = null;
            try {
                run(batch, mine);
            } finally {
                synchronized (this) {
                    leading = false;
                    if (closed) {
                        // close() stopped waiting for this batch: the held connection is the leader's to close.
                        orphan = held;
                        held = null;
                    }
                    notifyAll();
                }
            }
            if (orphan != null) {
                closeQuietly(orphan);
            }
        }
    }

    /** Waits on this monitor (held by the caller) while {@code condition} holds; an interrupt is kept, not acted on. */
    private void awaitWhile(java.util.function.BooleanSupplier condition) {
        boolean interrupted = false;
        while (condition.getAsBoolean()) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T result(Pending<T> p) {
        if (p.error instanceof RuntimeException e) {
            throw e;
        }
        if (p.error instanceof Error e) {
            throw e;
        }
        if (p.error != null) {
            throw new IllegalStateException(p.error);
        }
        return (T) p.value;
    }

    private void run(List<Pending<?>> batch, Pending<?> mine) {
        Throwable fatal = null;
        Handle h = null;
        boolean broken = true;
        try {
            h = borrow(batch);
        } catch (RuntimeException | Error e) {
            if (Thread.currentThread().isInterrupted() && !(batch.size() == 1 && batch.get(0) == mine)) {
                // The leader's thread was interrupted (a request timeout), which stops a pool's wait
                // for a connection: only the leader's own call, which has not run, fails of it.
                withdraw(batch, mine, e);
                return;
            }
            finish(batch, e);
            return;
        }
        try {
            Consumer<Handle> hook = beforeEachWrite.get();
            if (hook != null) {
                hook.accept(h);
            }
            WalCheckpointer ck = h == held ? checkpointer : null;
            if (ck != null && ck.restartWanted()) {
                // Between transactions nothing else writes, so this copies the whole log and the next write starts it over.
                ck.restarted();
                try {
                    execute(h.getConnection(), "PRAGMA wal_checkpoint(PASSIVE)");
                } catch (SQLException e) {
                    // Housekeeping: the batch's writes do not depend on it, and the next full log asks again.
                }
            }
            long beginSent = System.nanoTime();
            try {
                h.control("BEGIN IMMEDIATE");
            } catch (SQLException e) {
                if (!dev.atlas.internal.SqliteErrors.busy(e)) {
                    throw e;
                }
                // The calls queued before this BEGIN have waited for the lock as long as it did:
                // waiting a busy timeout more per batch of MAX_BATCH queued calls left a call at
                // the tail of a long queue waiting without bound while another process held the lock.
                failQueuedBefore(beginSent, e);
                throw lockNotGranted(e);
            }
            CURRENT.set(h);
            boolean ended = false;
            try {
                if (batch.size() == 1) {
                    // A lone call needs no savepoint: a failure rolls back the whole transaction,
                    // which holds only its work.
                    runAlone(h, batch.get(0));
                } else {
                    for (Pending<?> p : batch) {
                        runInSavepoint(h, p);
                    }
                }
                // A lone call that failed has nothing to keep; otherwise commit what succeeded.
                boolean rollback = batch.size() == 1 && batch.get(0).error != null;
                if (rollback) {
                    h.control("ROLLBACK");
                } else {
                    // Two uncontended monitor entries per batch (not per call), so close() can
                    // tell a COMMIT that may still land from one that never will.
                    startCommit();
                    try {
                        h.control("COMMIT");
                    } finally {
                        endCommit();
                    }
                }
                ended = true;
                if (ck != null && !rollback) {
                    ck.committed(batch.size());
                }
            } finally {
                CURRENT.remove();
                h.releaseAll();
                if (!ended) {
                    rollbackQuietly(h);
                }
            }
            broken = false;
        } catch (SQLException e) {
            fatal = new SqlFailure("write transaction failed", e);
        } catch (RuntimeException | Error e) {
            fatal = e;
        } finally {
            if (h != null && (h != held || broken)) {
                if (h == held) {
                    held = null; // begin, commit or rollback failed: the next batch starts on a fresh connection
                }
                if (fatal == null) {
                    try {
                        h.close();
                    } catch (RuntimeException e) {
                        fatal = e; // a failure to put back settings is this batch's failure, as before
                    }
                } else {
                    closeQuietly(h);
                }
            }
        }
        finish(batch, fatal);
    }

    /** Hands each call of {@code batch} its outcome: its own, or {@code fatal} where the batch failed as a whole. */
    private void finish(List<Pending<?>> batch, @Nullable Throwable fatal) {
        for (Pending<?> p : batch) {
            if (fatal != null && p.error == null) {
                p.error = fatal;
                p.value = null;
            }
        }
        synchronized (this) {
            for (Pending<?> p : batch) {
                p.done = true;
            }
        }
    }

    /**
     * The leader's interrupted wait for a connection failed: its own call fails with {@code failure}
     * (nothing of it ran), and the other calls of the batch go back to the head of the queue, in
     * their order, for the next leader. The leader's call is taken from the queue when the batch
     * did not hold it (more than {@link #MAX_BATCH} calls were queued before it).
     */
    private synchronized void withdraw(List<Pending<?>> batch, Pending<?> mine, Throwable failure) {
        queue.remove(mine);
        for (int i = batch.size() - 1; i >= 0; i--) {
            if (batch.get(i) != mine) {
                queue.addFirst(batch.get(i));
            }
        }
        mine.error = failure;
        mine.done = true;
    }

    /** The BEGIN of a batch gave up waiting for another connection's write lock (SQLITE_BUSY after the busy timeout). */
    private static StorageException lockNotGranted(SQLException e) {
        return new StorageException("the write waited its busy timeout for SQLite's write lock, which another connection holds"
                + " (another process or Atlas instance on this file, a backup, a shell); nothing of it was stored, repeat it later: "
                + dev.atlas.internal.Redaction.url(e.getMessage()), e.getSQLState(), true, e);
    }

    /**
     * Fails with {@link #lockNotGranted} every call still queued that joined the queue before {@code beginSent}:
     * each call then waits for the lock at most two busy timeouts (the rest of the wait under way
     * when it came, and one BEGIN of its own), however long the queue.
     */
    private synchronized void failQueuedBefore(long beginSent, SQLException busy) {
        boolean any = false;
        for (java.util.Iterator<Pending<?>> it = queue.iterator(); it.hasNext(); ) {
            Pending<?> p = it.next();
            if (p.queuedAt - beginSent < 0) {
                it.remove();
                p.error = lockNotGranted(busy); // one per call: each caller's thread may add to it
                p.done = true;
                any = true;
            }
        }
        if (any) {
            notifyAll();
        }
    }

    private synchronized void startCommit() {
        if (abandoned != null) {
            throw new StorageException(abandoned, null, false, null);
        }
        committing = true;
    }

    private synchronized void endCommit() {
        committing = false;
        notifyAll();
    }

    private static <T> void runAlone(Handle h, Pending<T> p) {
        try {
            p.value = p.work.withHandle(h);
        } catch (RuntimeException | Error e) {
            p.error = e;
        }
    }

    private static <T> void runInSavepoint(Handle h, Pending<T> p) throws SQLException {
        h.control("SAVEPOINT atlas_call");
        try {
            p.value = p.work.withHandle(h);
        } catch (RuntimeException | Error e) {
            p.error = e;
            h.control("ROLLBACK TO atlas_call");
        }
        h.control("RELEASE atlas_call");
    }

    private <T> T nested(Handle h, HandleCallback<T> work) {
        Connection c = h.getConnection();
        String name = "atlas_nested_" + (++savepoints);
        try {
            execute(c, "SAVEPOINT " + name);
            T value;
            try {
                value = work.withHandle(h);
            } catch (RuntimeException | Error e) {
                execute(c, "ROLLBACK TO " + name);
                execute(c, "RELEASE " + name);
                throw e;
            }
            execute(c, "RELEASE " + name);
            return value;
        } catch (SQLException e) {
            throw new SqlFailure("savepoint failed", e);
        }
    }

    /** Runs a PRAGMA or SAVEPOINT statement and reads its rows, if any, to the end: an unfinished one would make the next COMMIT fail. */
    private static void execute(Connection c, String sql) throws SQLException {
        try (java.sql.Statement s = c.createStatement()) {
            if (s.execute(sql)) {
                try (java.sql.ResultSet rs = s.getResultSet()) {
                    while (rs.next()) {
                        // the setting's new value, or the checkpoint's counts: not needed here
                    }
                }
            }
        }
    }

    private static void rollbackQuietly(Handle h) {
        try {
            h.control("ROLLBACK");
        } catch (SQLException | RuntimeException ignored) {
            // no transaction left to roll back, or the connection is gone: either way nothing was committed
        }
    }
}
