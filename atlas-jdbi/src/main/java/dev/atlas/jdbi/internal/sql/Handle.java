package dev.atlas.jdbi.internal.sql;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;

/**
 * One borrowed connection for the length of a {@code db.read} or {@code db.write}: what the
 * {@link Sql} runner runs its statements on. Cleanables (settings put back before the connection
 * goes home) run newest first on {@link #close}, which returns the connection to its pool.
 */
public final class Handle implements AutoCloseable {
    /** Undoes a per-connection setting before the connection is returned. */
    @FunctionalInterface
    public interface Cleanable {
        void clean() throws SQLException;
    }

    private final Connection connection;
    private final ArrayDeque<Cleanable> cleanables = new ArrayDeque<>();

    public Handle(Connection connection) {
        this.connection = connection;
    }

    public Connection getConnection() {
        return connection;
    }

    public void addCleanable(Cleanable cleanable) {
        cleanables.push(cleanable);
    }

    /**
     * Runs {@code work} in one transaction on this connection and commits it; any failure rolls it
     * back. Inside a transaction already open on this handle, {@code work} joins it.
     */
    public <T> T inTransaction(HandleCallback<T> work) {
        boolean autoCommit;
        try {
            autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                return work.withHandle(this);
            }
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            throw new SqlFailure("could not begin a transaction: " + e.getMessage(), e, true);
        }
        boolean committed = false;
        try {
            T value = work.withHandle(this);
            connection.commit();
            committed = true;
            return value;
        } catch (SQLException e) {
            throw new SqlFailure("commit failed: " + e.getMessage(), e);
        } finally {
            if (!committed) {
                rollbackQuietly();
            }
            try {
                connection.setAutoCommit(true);
            } catch (SQLException ignored) {
                // the pool resets auto-commit (or discards the broken connection) on return
            }
        }
    }

    private void rollbackQuietly() {
        try {
            connection.rollback();
        } catch (SQLException | RuntimeException ignored) {
            // the work's own failure is the one to report; nothing was committed
        }
    }

    /** Puts back per-connection settings, then returns the connection to its pool. */
    @Override
    public void close() {
        SQLException failed = null;
        while (!cleanables.isEmpty()) {
            try {
                cleanables.pop().clean();
            } catch (SQLException e) {
                failed = e;
            }
        }
        try {
            connection.close();
        } catch (SQLException e) {
            failed = e;
        }
        if (failed != null) {
            throw new SqlFailure("could not return a connection: " + failed.getMessage(), failed, true);
        }
    }
}
