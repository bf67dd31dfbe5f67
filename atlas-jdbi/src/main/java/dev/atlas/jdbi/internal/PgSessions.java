package dev.atlas.jdbi.internal;

import dev.atlas.ConfigurationException;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.SqlFailure;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;

/** What pgjdbc knows of a connection's session without a round trip; loaded only for PostgreSQL, whose driver is optional. */
public final class PgSessions {
    private PgSessions() {}

    /**
     * Takes the transaction's advisory lock {@code :lock} (see {@link #keyLock}): how a create with
     * a client key waits for another instance's create with the same key.
     */
    static final String XACT_KEY_LOCK = "SELECT pg_advisory_xact_lock(:lock)";

    /**
     * Takes the transaction's advisory locks {@code :locks} (a {@code bigint[]} literal, see {@link #lockArray}) in one
     * statement, in the array's order: the volatile lock call is evaluated row by row as the ordered rows come
     * (a subquery with ORDER BY is never flattened), so callers passing sorted ids take them in one global order
     * and cannot deadlock each other. Returns one row, the count.
     */
    public static final String XACT_KEY_LOCKS = "SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(u.k) FROM unnest(CAST(:locks AS bigint[]))"
            + " WITH ORDINALITY AS u(k, n) ORDER BY u.n) l";

    /** {@code locks} ascending without repeats, as the {@code bigint[]} literal {@link #XACT_KEY_LOCKS} binds. */
    public static String lockArray(java.util.stream.LongStream locks) {
        return locks.sorted().distinct().mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(",", "{", "}"));
    }

    /** The lock scope of each table whose rows have client keys (the texts the stores have always hashed). */
    private static final java.util.Map<String, String> CLIENT_KEY_SCOPES = java.util.Map.of("memories", "atlas memory client key ",
            "tasks", "atlas task client key ", "assets", "atlas blob key client key ");

    /** Whether rows of {@code table} have client keys, whose creates lock them ({@link #clientKeyLock}). */
    public static boolean hasClientKeys(String table) {
        return CLIENT_KEY_SCOPES.containsKey(table);
    }

    /**
     * The advisory lock of client key {@code key} of a {@code table} row in {@code tenant}: the one a
     * keyed create and an import of a keyed row both take, so either waits for the other's commit
     * and then sees its row, instead of passing its check and meeting the unique index.
     */
    public static long clientKeyLock(String table, String tenant, String key) {
        return keyLock(CLIENT_KEY_SCOPES.get(table) + tenant.length() + ":" + tenant + ":" + key);
    }

    /** The advisory lock of {@code text} (a scope, the tenant and a key): the first 64 bits of its SHA-256. */
    static long keyLock(String text) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.nio.ByteBuffer.wrap(digest).getLong();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * Whether {@code c} is inside a transaction someone else began: a data source bound to the
     * application's transactions (Spring's {@code TransactionAwareDataSourceProxy}, a container's)
     * hands out such connections. A wrapper that does not unwrap to pgjdbc counts as idle, as a
     * connection fresh from a pool is.
     */
    static boolean inTransaction(Connection c) {
        try {
            return c.isWrapperFor(BaseConnection.class) && c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
        } catch (SQLException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * What the server said of {@code e}, a pgjdbc exception: its severity and primary message, not
     * its {@code Detail}, {@code Hint} or {@code Where}, which quote row values (a key's, a failed
     * check's row). A client-side error (no server message) keeps pgjdbc's own message.
     */
    public static String serverMessage(SQLException e) {
        org.postgresql.util.ServerErrorMessage server = e instanceof org.postgresql.util.PSQLException p ? p.getServerErrorMessage() : null;
        if (server == null || server.getMessage() == null) {
            return String.valueOf(e.getMessage());
        }
        return (server.getSeverity() == null ? "" : server.getSeverity() + ": ") + server.getMessage();
    }

    /**
     * Cancels the statement {@code c} is running, if any (a cancel request on another connection;
     * returns once the server took it). Best effort: a connection that does not unwrap to pgjdbc,
     * or a failed request, is left as it is.
     */
    static void cancel(Connection c) {
        try {
            c.unwrap(org.postgresql.PGConnection.class).cancelQuery();
        } catch (SQLException | RuntimeException | LinkageError ignored) {
            // nothing more to do: the pool's close still aborts the connection
        }
    }

    /**
     * For a supplied pool whose connections default to another isolation level than READ
     * COMMITTED: what makes Atlas's write transactions run at READ COMMITTED. Atlas orders its
     * writers with row locks, which READ COMMITTED waits on; under REPEATABLE READ or SERIALIZABLE
     * the same writes fail with serialization errors whenever two touch one row. Each write sets
     * the level on its connection and puts the pool's back (two statements per write, for such
     * pools only); a connection inside the application's transaction keeps the application's.
     */
    public static Optional<Consumer<Db>> forSuppliedPool(DataSource dataSource) {
        int level;
        boolean autoCommit;
        try (Connection c = dataSource.getConnection()) {
            level = c.getTransactionIsolation();
            autoCommit = c.getAutoCommit();
        } catch (SQLException e) {
            throw new ConfigurationException("could not read the transaction isolation of the supplied DataSource: " + e.getMessage(), e);
        }
        if (level == Connection.TRANSACTION_READ_COMMITTED && !autoCommit) {
            return Optional.empty();
        }
        return Optional.of(db -> {
            if (autoCommit) {
                db.autoCommitOffIsApplications();
            }
            if (level != Connection.TRANSACTION_READ_COMMITTED) {
                db.beforeEachWrite(h -> readCommitted(db, h, level));
            }
        });
    }

    /**
     * The pool's level is the one read at start-up (its connections are put back at it), so no
     * round trip asks each connection for it again.
     */
    private static void readCommitted(Db db, Handle handle, int poolLevel) {
        Connection c = handle.getConnection();
        try {
            if (!c.getAutoCommit() && db.inApplicationTransaction(c)) {
                return;
            }
        } catch (SQLException e) {
            throw new SqlFailure("could not read a pooled connection's auto-commit mode", e, true);
        }
        try {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        } catch (SQLException e) {
            throw new SqlFailure("could not switch a pooled connection to READ COMMITTED", e, true);
        }
        handle.addCleanable(() -> {
            try {
                c.setTransactionIsolation(poolLevel);
            } catch (SQLException e) {
                // The write is committed by now: a connection that cannot go back to the pool's level
                // leaves the pool, rather than the committed write being reported as a retryable failure.
                db.discard(handle);
            }
        });
    }
}
