package dev.atlas.jdbi.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Folds SQLite's write-ahead log into the database file on a background thread, for the held write
 * connection of Atlas's own pool, whose automatic checkpoint is off ({@code wal_autocheckpoint=0}).
 *
 * <p>With SQLite's default, the commit that takes the log past 1,000 pages runs the checkpoint
 * itself: it copies the pages and syncs the database file, so every hundred or so appends one
 * caller waits milliseconds (on this project's test machine the mean append took about twice
 * its median because of it). Here a {@code PASSIVE} checkpoint runs on another connection while
 * writers go on: it never takes the write lock and never waits for one.
 *
 * <p>A passive checkpoint copies only what was committed when it started, and the log starts
 * over from its beginning only when a write begins with every frame copied. Under a steady
 * stream of writes that moment may not come, so once the log holds {@link #RESTART_FRAMES}
 * frames the write combiner runs one passive checkpoint itself between two transactions
 * ({@link #restartWanted}): with no writer active it copies the rest (little, the thread has
 * copied most) and the next write starts the log over. The log stays bounded; a reader holding
 * an old snapshot can delay that, as it delays SQLite's own checkpoints.
 */
final class WalCheckpointer {
    private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
    /** Write calls committed before the next checkpoint; about SQLite's 1,000-page default at a few pages per call. */
    static final int CALLS = 128;
    /** Milliseconds a smaller backlog waits, so a quiet database is checkpointed soon after its last write. */
    static final long IDLE_MILLIS = 200;
    /** Log frames past which the write combiner copies the rest itself, so the log can start over. */
    static final int RESTART_FRAMES = 8_000;

    private final DataSource dataSource;
    private final Thread thread;
    private int pending;
    private boolean closed;
    private volatile boolean restartWanted;
    private volatile long checkpoints;

    WalCheckpointer(DataSource dataSource, String name) {
        this.dataSource = dataSource;
        this.thread = new Thread(this::loop, "atlas-sqlite-checkpoint-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Called after a commit of {@code calls} write calls. */
    void committed(int calls) {
        synchronized (this) {
            pending += calls;
            // Wake the thread when a backlog starts (its idle timer) and when it is full.
            if (pending >= CALLS || pending == calls) {
                notifyAll();
            }
        }
    }

    /** Whether the log has grown past {@link #RESTART_FRAMES}: the next write transaction should copy the rest first. */
    boolean restartWanted() {
        return restartWanted;
    }

    /** The write combiner copied the rest of the log. */
    void restarted() {
        restartWanted = false;
    }

    /** Background checkpoints run so far that copied at least one frame (for tests and metrics). */
    long checkpoints() {
        return checkpoints;
    }

    /** Stops the thread after the checkpoint running now; the pool's last connection to close checkpoints the rest. */
    void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            synchronized (this) {
                try {
                    while (!closed && pending < CALLS) {
                        long start = System.nanoTime();
                        wait(pending == 0 ? 0 : IDLE_MILLIS);
                        if (pending > 0 && System.nanoTime() - start >= IDLE_MILLIS * 1_000_000L) {
                            break;
                        }
                    }
                } catch (InterruptedException e) {
                    return;
                }
                if (closed) {
                    return;
                }
                pending = 0;
            }
            checkpoint();
        }
    }

    private void checkpoint() {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            if (rs.next()) {
                int log = rs.getInt(2);
                int copied = rs.getInt(3);
                if (copied > 0) {
                    checkpoints++;
                }
                if (log >= RESTART_FRAMES) {
                    restartWanted = true;
                }
            }
        } catch (SQLException | RuntimeException e) {
            // A closed pool, a busy checkpoint lock (another process checkpointing): the next round tries again.
            LOG.debug("background WAL checkpoint failed: {}", e.toString());
        }
    }
}
