package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * One borrowed connection for the length of a {@code db.read} or {@code db.write}: what the
 * {@link Sql} runner runs its statements on. Cleanables (settings put back before the connection
 * goes home) run newest first on {@link #close}, which returns the connection to its pool and
 * never fails: a failure there is logged, since the work on the connection is already over.
 *
 * <p>A handle on a pooled connection {@link #shareStatements shares} the statements prepared on
 * that connection in earlier borrows; a handle held across calls on a connection that is not
 * shared {@link #cacheStatements caches} its own: either way each catalogued statement is
 * prepared once per connection. A statement still in use (a call made while iterating another
 * call of the same statement, on this handle or on another borrow of the same connection) gets a
 * fresh one.
 */
public final class Handle implements AutoCloseable {
    /** Undoes a per-connection setting before the connection is returned. */
    @FunctionalInterface
    public interface Cleanable {
        void clean() throws SQLException;
    }

    private final Connection connection;
    private final ArrayDeque<Cleanable> cleanables = new ArrayDeque<>();
    /** Distinct statements cached per connection at most (renderings beyond it are prepared per call). */
    private static final int CACHE_LIMIT = 256;
    private @Nullable Map<Statement, PreparedStatement> cache;
    /** The connection cached statements are prepared on: the pool's physical one when the cache outlives this handle. */
    private @Nullable Connection preparer;
    /** Whether {@link #close} closes the cached statements (false when the cache belongs to a pooled connection). */
    private boolean ownsCache;
    /** Transaction-control statements prepared once on a caching handle ({@link #control}). */
    private final Map<String, PreparedStatement> controls = new HashMap<>(8);
    /**
     * The cached statements this handle's calls have taken out of {@link #cache} while they run, with
     * their keys. Taken out, not marked: a nested borrow of the same pooled connection (an
     * application's transaction handed out twice, as Spring's {@code TransactionAwareDataSourceProxy}
     * does, by a call made while this one iterates rows) shares the cache but not this handle, and
     * must never run a statement whose result set is still being read.
     */
    private final Map<PreparedStatement, Statement> busy = new IdentityHashMap<>();

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
     * From now on, statements prepared on this handle are kept for its next calls (until
     * {@link #close}); a handle already {@link #shareStatements sharing} its pooled connection's
     * statements keeps sharing them (they then outlive it, for the connection's next borrower).
     */
    public void cacheStatements() {
        if (cache == null) {
            cache = new HashMap<>();
            preparer = connection;
            ownsCache = true;
        }
    }

    /**
     * Uses {@code statements}, the statements already prepared on {@code physical} (the pooled
     * connection under this handle's proxy, or a test's decorator of it), and adds to it: a statement
     * is then prepared once per pooled connection, not once per borrow. They are prepared on
     * {@code physical} so that the pool, which closes what was prepared through its proxy when the
     * connection goes back, leaves them open; nothing closes them but that connection's own close
     * (both drivers close a connection's statements with it), and a handle closes only those it
     * could not put back.
     */
    public void shareStatements(Map<Statement, PreparedStatement> statements, Connection physical) {
        cache = statements;
        preparer = physical;
        ownsCache = false;
    }

    /**
     * Runs a parameterless transaction-control statement ({@code BEGIN IMMEDIATE}, {@code COMMIT},
     * a fixed {@code SAVEPOINT} name). On a caching handle it is prepared once, as the hot
     * statements are: compiling it per transaction was per-call work the held write connection
     * need not repeat. Pass only fixed texts: each distinct one stays prepared until {@link #close}.
     */
    public void control(String sql) throws SQLException {
        if (cache == null) {
            try (java.sql.Statement s = connection.createStatement()) {
                s.execute(sql);
            }
            return;
        }
        PreparedStatement ps = controls.get(sql);
        if (ps == null) {
            ps = connection.prepareStatement(sql);
            controls.put(sql, ps);
        }
        ps.execute();
    }

    /** The statement prepared for one call; hand it back with {@link #done}. */
    PreparedStatement prepare(Statement statement) throws SQLException {
        Map<Statement, PreparedStatement> c = cache;
        if (c == null) {
            return connection.prepareStatement(statement.jdbc());
        }
        PreparedStatement ps = c.remove(statement);
        if (ps != null && !ps.isClosed()) { // one a host pool closed behind our back is prepared again below
            ps.clearParameters();
            // A call abandoned between add() and batch() (a refusal mid-batch) left its rows queued
            // on the statement; the next batch would write them too. Clearing costs no round trip.
            ps.clearBatch();
            if (ps.getFetchSize() != 0) {
                ps.setFetchSize(0);
            }
            busy.put(ps, statement);
            return ps;
        }
        PreparedStatement fresh = preparer.prepareStatement(statement.jdbc());
        busy.put(fresh, statement);
        return fresh;
    }

    /**
     * Ends a call's use of {@code ps}: a cached statement goes back to the cache (unless one
     * prepared meanwhile is there, or the cache is full), any other is closed; {@code failed}
     * closes it.
     */
    void done(Statement statement, PreparedStatement ps, boolean failed) throws SQLException {
        if (busy.remove(ps) != null && !failed && putBack(statement, ps)) {
            return;
        }
        ps.close();
    }

    private boolean putBack(Statement statement, PreparedStatement ps) {
        Map<Statement, PreparedStatement> c = cache;
        return c != null && c.size() < CACHE_LIMIT && c.putIfAbsent(statement, ps) == null;
    }

    /** Forgets calls left unfinished (a callback that threw between binding and running): their statements are free again. */
    public void releaseAll() {
        for (Map.Entry<PreparedStatement, Statement> e : busy.entrySet()) {
            if (!putBack(e.getValue(), e.getKey())) {
                try {
                    e.getKey().close();
                } catch (SQLException ignored) {
                    // a statement that will not close goes with its connection
                }
            }
        }
        busy.clear();
    }

    /**
     * Runs {@code work} in one transaction on this connection and commits it; any failure rolls it
     * back. Inside a transaction already open on this handle (the application's), {@code work}
     * joins it under a savepoint: a failing call takes back only its own statements and leaves
     * that transaction usable, as a refused call writes nothing.
     */
    public <T> T inTransaction(HandleCallback<T> work) {
        return inTransaction(work, null);
    }

    /** Lets a commit through, or refuses it; told when a commit it let through has ended. */
    public interface CommitGate {
        /** Called right before {@code c} commits: throws to roll back instead; else {@link #exit} follows. */
        void enter(Connection c);

        /** Called once the commit of {@code c} it let through returned or failed. */
        void exit(Connection c);
    }

    /**
     * {@link #inTransaction(HandleCallback)}, its commit passing {@code gate} first: a gate that
     * refuses rolls the transaction back, and the gate knows which commits are under way.
     */
    public <T> T inTransaction(HandleCallback<T> work, @Nullable CommitGate gate) {
        boolean autoCommit;
        try {
            autoCommit = connection.getAutoCommit();
            if (!autoCommit) {
                return inSavepoint(work);
            }
            connection.setAutoCommit(false);
        } catch (SQLException e) {
            throw new SqlFailure("could not begin a transaction", e, true);
        }
        boolean committed = false;
        try {
            T value = work.withHandle(this);
            if (gate == null) {
                connection.commit();
            } else {
                gate.enter(connection);
                try {
                    connection.commit();
                } finally {
                    gate.exit(connection);
                }
            }
            committed = true;
            return value;
        } catch (SQLException e) {
            throw SqlFailure.committing("commit failed", e);
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

    /** The application's transaction: its state, not the connection, decides (an aborted one is no retry's cure). */
    private <T> T inSavepoint(HandleCallback<T> work) {
        java.sql.Savepoint savepoint;
        try {
            savepoint = connection.setSavepoint();
        } catch (SQLException e) {
            throw new SqlFailure("could not set a savepoint in the application's transaction", e);
        }
        boolean done = false;
        try {
            T value = work.withHandle(this);
            done = true;
            return value;
        } finally {
            if (done) {
                try {
                    connection.releaseSavepoint(savepoint);
                } catch (SQLException e) {
                    throw new SqlFailure("could not release a savepoint in the application's transaction", e);
                }
            } else {
                try {
                    connection.rollback(savepoint);
                } catch (SQLException | RuntimeException ignored) {
                    // the work's own failure is the one to report
                }
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
        releaseAll();
        if (cache != null && ownsCache) {
            for (PreparedStatement ps : cache.values()) {
                try {
                    ps.close();
                } catch (SQLException e) {
                    failed = e;
                }
            }
            cache.clear();
        }
        for (PreparedStatement ps : controls.values()) {
            try {
                ps.close();
            } catch (SQLException e) {
                failed = e;
            }
        }
        controls.clear();
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
            // The work on this connection is over (committed, rolled back or answered): failing the
            // call now would report a stored write as failed, and a retry would store it twice.
            org.slf4j.LoggerFactory.getLogger(Handle.class).warn("could not return a connection to its pool: {}",
                    dev.atlas.internal.Redaction.url(String.valueOf(failed.getMessage())));
        }
    }
}
