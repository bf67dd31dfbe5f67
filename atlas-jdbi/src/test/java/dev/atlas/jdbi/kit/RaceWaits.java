package dev.atlas.jdbi.kit;

import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * For races made by construction: a first call paused inside its write transaction waits until a
 * second call has either returned or is seen blocked behind that transaction, instead of a fixed
 * time. Blocked means: the second's thread parked on one of Atlas's own JVM locks (SQLite's write
 * combiner queue, an execution handle's lock); on PostgreSQL, a session of the test's database
 * waiting on a lock (the first call is paused in the JVM, not in the database, so it is the
 * second's); on SQLite, a second Atlas instance on the same file inside {@code BEGIN IMMEDIATE}
 * in SQLite's busy handler.
 */
public final class RaceWaits {
    /** The old fixed wait, now only an upper bound. */
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(2);

    private RaceWaits() {}

    /**
     * Called on the first call's thread while it holds its write open: returns once {@code returned}
     * has counted down, the second call ({@code second}'s thread, null until it started) is blocked
     * behind the first, or two seconds passed.
     */
    public static void awaitReturnedOrBlocked(CountDownLatch returned, Supplier<Thread> second, Db db, TestDatabase database)
            throws InterruptedException {
        long end = System.nanoTime() + MAX_NANOS;
        if (db.dialect() == Dialect.POSTGRESQL) {
            try (Connection probe = database.dataSource().getConnection();
                 PreparedStatement ps = probe.prepareStatement(
                         "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")) {
                while (!returned.await(2, TimeUnit.MILLISECONDS) && System.nanoTime() < end) {
                    if (jvmBlocked(second.get())) {
                        return;
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getInt(1) > 0) {
                            return;
                        }
                    }
                }
            } catch (SQLException e) {
                returned.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            return;
        }
        while (!returned.await(1, TimeUnit.MILLISECONDS) && System.nanoTime() < end) {
            Thread t = second.get();
            if (jvmBlocked(t) || sqliteBusy(t)) {
                return;
            }
        }
    }

    /**
     * Whether {@code t} waits on one of Atlas's own JVM locks: a monitor or {@code java.util.concurrent}
     * lock taken by Atlas's code (the SQLite write combiner's queue, an execution handle's lock).
     */
    private static boolean jvmBlocked(Thread t) {
        if (t == null) {
            return false;
        }
        Thread.State state = t.getState();
        if (state != Thread.State.WAITING && state != Thread.State.TIMED_WAITING && state != Thread.State.BLOCKED) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < stack.length; i++) {
            if (stack[i].getClassName().startsWith("dev.atlas.")) {
                // The innermost frame of Atlas's, and what it called.
                if (!stack[i].getClassName().startsWith("dev.atlas.jdbi.internal.")) {
                    return false;
                }
                if (i == 0) {
                    return state == Thread.State.BLOCKED;
                }
                String callee = stack[i - 1].getClassName();
                return callee.startsWith("java.util.concurrent.locks.")
                        || callee.equals("java.lang.Object") && stack[i - 1].getMethodName().startsWith("wait");
            }
        }
        return false;
    }

    /** Whether {@code t} runs SQLite's BEGIN IMMEDIATE (or COMMIT) in native code: a second instance in SQLite's busy handler. */
    private static boolean sqliteBusy(Thread t) {
        if (t == null) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        if (stack.length == 0 || !stack[0].getClassName().startsWith("org.sqlite")) {
            return false;
        }
        for (StackTraceElement e : stack) {
            // Past the driver and any test proxy of the connection (StatementRecorder), to Atlas's own code.
            if (e.getClassName().startsWith("dev.atlas.jdbi.internal.")) {
                return e.getClassName().equals("dev.atlas.jdbi.internal.sql.Handle") && e.getMethodName().equals("control");
            }
        }
        return false;
    }
}
