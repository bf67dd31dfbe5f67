package dev.atlas.jdbi.internal;

import dev.atlas.AtlasException;
import dev.atlas.AtlasClosedException;
import dev.atlas.NotFoundException;
import dev.atlas.StorageException;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.HandleCallback;
import dev.atlas.jdbi.internal.sql.SqlFailure;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One database: its connections and transactions (plain JDBC on the pool, see {@link Handle}),
 * the statement catalogues run by {@link dev.atlas.jdbi.internal.sql.Sql}, one write path, and the
 * translation of driver errors into {@link StorageException}.
 *
 * <p>SQLite allows one writer at a time. Connections that all wait in SQLite's busy handler
 * poll and queue unfairly, so on SQLite write calls queue in the JVM and run in shared, group-
 * committed transactions ({@link WriteCombiner}); readers run concurrently under WAL. PostgreSQL
 * needs neither: row locks order writers and its WAL flush already groups concurrent commits.
 */
public final class Db {
    private final DataSource dataSource;
    private final Dialect dialect;
    private final String prefix;
    private final Clock clock;
    private final WriteCombiner combiner;
    private volatile @Nullable WalCheckpointer checkpointer;
    private volatile boolean closed;
    /** Why calls still running fail: close() stopped waiting for them (null until then). */
    private volatile @Nullable String abandoned;
    /** {@link #abandoned} for a call whose connection was lost while it committed: it may be stored. */
    private volatile @Nullable String abandonedWhileCommitting;
    private static final String MAY_HAVE_BEEN_STORED = ", so it may have been stored; read it back, or repeat it only with the same client id or key";
    /** Guards {@link #committing}, and {@link #abandoned} against a commit about to start. */
    private final Object commits = new Object();
    /**
     * PostgreSQL connections whose write may commit now: a transaction between its last check of
     * {@link #abandoned} and the end of its commit ({@link #commitGate}), or (value true) a
     * {@link #writeOneStatement} in auto-commit mode, whose commit travels with the statement, so a
     * statement waiting for a lock would commit once the lock is released. close() cancels the
     * latter when it gives up, and ends the session of any still here ({@link #endCommitsUnderWay}).
     */
    private final java.util.Map<Connection, Boolean> committing = new java.util.IdentityHashMap<>();
    /** How long close() waits for the server to end the sessions of writes still committing once their connections are closed. */
    static final java.time.Duration SESSION_END_WAIT = java.time.Duration.ofSeconds(5);
    private volatile String installationId;
    private volatile @Nullable Consumer<Handle> beforeEachWrite;
    private volatile @Nullable Consumer<Handle> onEachConnection;
    private volatile @Nullable UnaryOperator<Connection> connectionDecorator;
    private volatile @Nullable StatementListener statementListener;
    private final java.util.concurrent.ConcurrentHashMap<Class<?>, Object> catalogues = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The statements prepared on each pooled connection, kept across borrows (guarded by itself;
     * each inner map is used only by the thread that holds its connection), at most
     * {@code Handle}'s 256 per connection. A retired connection's entry goes when the next new
     * connection comes (its statements closed with it: both drivers close a connection's
     * statements when it closes).
     */
    private final java.util.Map<Connection, java.util.Map<dev.atlas.jdbi.internal.sql.Statement, java.sql.PreparedStatement>> prepared =
            new java.util.IdentityHashMap<>();

    public Db(DataSource dataSource, Dialect dialect, String prefix, Clock clock) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.prefix = prefix;
        this.clock = clock;
        this.combiner = dialect == Dialect.SQLITE ? new WriteCombiner(this::open, () -> beforeEachWrite) : null;
    }

    /** Calls counted in {@link #inFlight} that wait for their first connection: close() does not wait for them. */
    private final java.util.concurrent.atomic.AtomicInteger borrowing = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Whether the calling thread's call has not borrowed a connection yet: true outside
     * {@link #running}, and for the first borrow of a running call.
     */
    boolean firstBorrow() {
        Running r = runningHere.get();
        if (r == null) {
            return true;
        }
        boolean first = !r.borrowed;
        r.borrowed = true;
        return first;
    }

    /**
     * {@link #open()} on behalf of {@code waiters} calls that have not borrowed a connection yet.
     * A call waiting for its first connection (an application's pool exhausted by the application)
     * has done nothing: close() does not wait for it, and it then fails with
     * {@link AtlasClosedException} once the pool answers, giving the connection back unused.
     * Leaving the count first and reading {@link #closed} second, as close() sets it first and
     * reads the count second, means either close() waits for the call or the call sees close().
     */
    Handle open(int waiters) {
        if (waiters <= 0) {
            return open();
        }
        borrowing.addAndGet(waiters);
        if (closed) {
            wakeCloser();
        }
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            borrowing.addAndGet(-waiters);
            if (closed) {
                throw new AtlasClosedException();
            }
            throw borrowFailed(e);
        } catch (RuntimeException | Error e) {
            borrowing.addAndGet(-waiters);
            throw e;
        }
        borrowing.addAndGet(-waiters);
        if (closed) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // an unused connection that will not go back: the pool's problem, not this call's
            }
            throw new AtlasClosedException();
        }
        return prepare(c);
    }

    /** The pool Atlas borrows its connections from. */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Borrows a connection and applies the per-connection settings ({@link #onEachConnection});
     * closing the handle puts them back and returns the connection.
     */
    Handle open() {
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw borrowFailed(e);
        }
        return prepare(c);
    }

    private static SqlFailure borrowFailed(SQLException e) {
        // A wait for a connection cut short by an interrupt (a request timeout, an executor shutting
        // down) is the caller's cancellation, not the database's trouble: a retry on that thread would
        // stop at the pool's wait again, so it is not retryable, and the interrupt is kept.
        boolean interrupted = Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException;
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new SqlFailure("could not get a connection", e, !interrupted);
    }

    /**
     * The session (process id and start) of each PostgreSQL connection Atlas has used, by pgjdbc's
     * connection: read once per physical connection (one round trip), while the session is surely
     * the connection's. close() names a session stuck in its COMMIT by these, never by an id read
     * after its connection was closed, when the id may already be another session's. Weak keys:
     * a connection the pool retires leaves with it. Guarded by itself.
     */
    private final java.util.Map<Object, Session> sessions = new java.util.WeakHashMap<>();

    /** A PostgreSQL session: its process id, and its start in microseconds since 1970 (null when not known). */
    private record Session(int pid, @Nullable Long started) {}

    /**
     * A connection whose driver names another process than the session answering it (a pooling
     * proxy): the id it reports is the proxy's key, which may be any server process's, a bystander's.
     */
    private static final Session PROXIED = new Session(0, null);

    /**
     * A connection whose session could not be read (a role that may not read pg_stat_activity, a
     * PostgreSQL-compatible server without it): close() names it by its process id alone, as before
     * the read existed. Remembered, so the read that failed is not sent again at every borrow.
     */
    private static final Session UNREAD = new Session(-1, null);

    /** Applies the per-connection settings to {@code c}, fresh from the pool. */
    private Handle prepare(Connection c) {
        boolean reset = false;
        boolean autoCommit;
        try {
            // A host pool with auto-commit off (Hibernate's advice): Atlas's statements would all
            // join one transaction nobody commits. Each borrow runs in auto-commit mode and the
            // connection goes back as the pool configured it. A connection already inside the
            // application's transaction (a data source bound to it) is left as it is: switching
            // would commit the application's pending work, so Atlas's writes join that transaction.
            autoCommit = c.getAutoCommit();
            if (!autoCommit && !inApplicationTransaction(c)) {
                c.setAutoCommit(true);
                reset = true;
                autoCommit = true;
            }
        } catch (SQLException e) {
            closeQuietly(new Handle(c));
            throw new SqlFailure("could not switch a pooled connection to auto-commit", e, true);
        }
        if (dialect == Dialect.POSTGRESQL && autoCommit) {
            // Not inside the application's transaction: a statement there would be part of it.
            rememberSession(c);
        }
        UnaryOperator<Connection> decorator = connectionDecorator;
        Handle h = new Handle(decorator == null ? c : decorator.apply(c));
        if (reset) {
            h.addCleanable(() -> {
                try {
                    c.setAutoCommit(false);
                } catch (SQLException e) {
                    // Atlas's work on it is done (committed or rolled back); a connection that
                    // cannot go back as configured leaves the pool instead of failing that work.
                    discard(h);
                }
            });
        }
        shareStatements(h, c, decorator);
        Consumer<Handle> each = onEachConnection;
        if (each != null) {
            try {
                each.accept(h);
            } catch (RuntimeException | Error e) {
                closeQuietly(h);
                throw e;
            }
        }
        return h;
    }

    /**
     * Set for a supplied pool whose connections come in auto-commit mode: one handed out
     * with auto-commit off was switched by the application's transaction manager (Spring's
     * {@code DataSourceTransactionManager} through a {@code TransactionAwareDataSourceProxy}), even
     * before that transaction ran a statement, when pgjdbc still reports it idle.
     */
    private volatile boolean autoCommitOffIsApplications;

    public void autoCommitOffIsApplications() {
        this.autoCommitOffIsApplications = true;
    }

    /**
     * Whether {@code c} (auto-commit off) belongs to the application's open transaction, which
     * Atlas's statements join; switching it to auto-commit would commit the application's work.
     */
    boolean inApplicationTransaction(Connection c) {
        return autoCommitOffIsApplications || (dialect == Dialect.POSTGRESQL && PgSessions.inTransaction(c));
    }

    /**
     * Lets {@code h} reuse the statements prepared on its pooled connection in earlier borrows, as
     * a hand-written DAO holding a connection would: preparing per call cost a driver statement,
     * its date formatter and the pool's proxy per statement (benchmark 1's profile, issue 17);
     * on SQLite compiling the statement, a fifth of a graph page's time (perf23's profile).
     * A pool whose proxy does not unwrap gets no cache.
     *
     * <p>SQLite: a kept statement holds no read transaction between calls. sqlite-jdbc resets a
     * statement when its result set closes and at the end of every {@code executeUpdate} and
     * batch, and the runner closes every result set it opens (a call that fails midway included);
     * a statement that ran to its last row has already ended its read. So a cached statement pins
     * no WAL snapshot (later reads see later commits, checkpoints can reset the log), and a schema
     * change by another connection only makes SQLite compile it again on its next run
     * ({@code StatementCacheContract}).
     */
    private void shareStatements(Handle h, Connection c, @Nullable UnaryOperator<Connection> decorator) {
        Connection physical;
        try {
            physical = c.unwrap(Connection.class);
        } catch (SQLException | RuntimeException e) {
            return;
        }
        // A decorated connection (a test recording the SQL sent) shares them too, prepared through
        // the decorator: the statements tests run are the ones production reuses.
        Connection preparer = decorator == null ? physical : decorator.apply(physical);
        java.util.Map<dev.atlas.jdbi.internal.sql.Statement, java.sql.PreparedStatement> statements;
        synchronized (prepared) {
            statements = prepared.get(physical);
            if (statements == null) {
                // A new connection: the pool may have retired others, whose statements closed with them.
                prepared.keySet().removeIf(Db::isClosed);
                statements = new java.util.HashMap<>();
                prepared.put(physical, statements);
            }
        }
        h.shareStatements(statements, preparer);
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    private void rememberSession(Connection c) {
        Object key = PgSessionEnd.physical(c);
        if (key == null) {
            return;
        }
        synchronized (sessions) {
            if (sessions.containsKey(key)) {
                return;
            }
        }
        Session own;
        try {
            own = PgSessionEnd.own((Connection) key, statements(SessionSql.class, SessionSql::new));
        } catch (SQLException e) {
            String state = e.getSQLState();
            if (isClosed(c) || (state != null && (state.startsWith("08") || state.startsWith("57P")))) {
                // The session is gone (the server ended it, a failover): this is the call's first statement on the
                // connection, so the call fails with what the server said, retryable, nothing of it sent.
                closeQuietly(new Handle(c));
                throw new SqlFailure("could not use a pooled connection", e, true);
            }
            // A role that may not read it, or a server without it (a PostgreSQL-compatible one): asking again at each
            // borrow would fail again, a round trip and a server error per call.
            own = UNREAD;
        }
        Integer reported = PgSessionEnd.pid(c);
        if (own == null || reported == null) {
            own = UNREAD;
        } else if (own != UNREAD && own.pid() != reported) {
            // A pooling proxy (PgBouncer): the server session answering now is lent to other clients
            // between transactions, so it must never be ended for this connection, and the id the driver
            // reports is the proxy's, which may name a bystander: close() only closes such a connection.
            own = PROXIED;
        }
        synchronized (sessions) {
            sessions.put(key, own);
        }
    }

    /**
     * {@code c}'s session as first read ({@link #sessions}); else its process id alone; null when pgjdbc
     * is hidden or a pooling proxy stands between ({@link #PROXIED}).
     */
    private @Nullable Session sessionOf(Connection c) {
        Object key = PgSessionEnd.physical(c);
        if (key != null) {
            synchronized (sessions) {
                Session known = sessions.get(key);
                if (known == PROXIED) {
                    return null;
                }
                if (known != null && known != UNREAD) {
                    return known;
                }
            }
        }
        Integer pid = PgSessionEnd.pid(c);
        return pid == null ? null : new Session(pid, null);
    }

    /**
     * Takes {@code h}'s connection out of the pool for good, for a connection left in a state that
     * cannot be undone (a transaction that would not end). HikariCP evicts it; under any pool its
     * physical connection is closed (which rolls back what is open), so another pool's validation
     * finds it closed before handing it out. Best effort: the caller is already reporting a failure.
     */
    public void discard(Handle h) {
        Connection c = h.getConnection();
        try {
            if (dataSource instanceof com.zaxxer.hikari.HikariDataSource hikari) {
                hikari.evictConnection(c); // a no-op for a connection it did not hand out (a test's wrapper)
            }
            c.unwrap(Connection.class).close();
        } catch (SQLException | RuntimeException ignored) {
            // nothing more to do for a connection that cannot even be closed
        }
    }

    private static void closeQuietly(Handle h) {
        try {
            h.close();
        } catch (RuntimeException ignored) {
            // the setting's own failure is the one to report
        }
    }

    public Dialect dialect() {
        return dialect;
    }

    public String prefix() {
        return prefix;
    }

    /** The current time, truncated to what both databases store exactly. */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    public Clock clock() {
        return clock;
    }

    /** The random id migration V5 gave this database, read once; it namespaces blob keys. */
    public String installationId() {
        String id = installationId;
        if (id == null) {
            InstallationSql q = statements(InstallationSql.class, InstallationSql::new);
            id = read(h -> dev.atlas.jdbi.internal.sql.Sql.crossTenant(this).on(h, q.id).one(dev.atlas.jdbi.internal.sql.Sql.STRING));
            installationId = id;
        }
        return id;
    }

    /** Calls between {@link #enter} and {@link #exit}; guarded by itself for close's wait. */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    /** Set on a thread inside {@link #running}: its own statements still run while close() waits for it. */
    private final ThreadLocal<Running> runningHere = new ThreadLocal<>();

    /** A call of several transactions ({@link #running}); only its first borrow may be left out of close()'s wait. */
    private static final class Running {
        boolean borrowed;
    }

    private void enter() {
        inFlight.incrementAndGet();
        // Read only once closed: the thread-local costs the open path nothing.
        if (closed && (abandoned != null || runningHere.get() == null)) {
            exit();
            throw new AtlasClosedException();
        }
    }

    private void exit() {
        inFlight.decrementAndGet();
        if (closed) {
            wakeCloser();
        }
    }

    /** close() waits for the calls in flight but those waiting for their first connection: a change of either wakes it. */
    private void wakeCloser() {
        synchronized (inFlight) {
            inFlight.notifyAll();
        }
    }

    /**
     * After this, every call fails fast instead of reporting a (retryable) pool error. Calls
     * already running finish first, for up to {@code grace} (the configured close timeout):
     * closing the pool under them would fail a write that was about to commit. Calls still
     * waiting for their first connection are not waited for ({@link #open(int)}). Then no write
     * commits any more: on PostgreSQL one whose commit is under way gets up to {@code grace} more,
     * then its connection is aborted and its session ended on the server, which this waits for
     * (up to {@link #SESSION_END_WAIT}); on SQLite a COMMIT under way ends first.
     */
    public void close(java.time.Duration grace) {
        closed = true;
        long deadline = System.nanoTime() + grace.toNanos();
        boolean interrupted = false;
        boolean gaveUp = false;
        synchronized (inFlight) {
            // An interrupt (an executor shutting down) does not cut the wait short: closing the pool
            // under a write is what this wait prevents. The interrupt is kept for the caller.
            while (inFlight.get() - borrowing.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LoggerFactory.getLogger(Db.class).warn("closing Atlas with {} call(s) still running after {}",
                            inFlight.get() - borrowing.get(), grace);
                    String closedAfter = "Atlas was closed with this call still running after its closeTimeout (" + grace + ")";
                    String why = closedAfter + ": the call was stopped and its transaction rolled back";
                    abandonedWhileCommitting = closedAfter + " while its write was committing" + MAY_HAVE_BEEN_STORED;
                    synchronized (commits) {
                        abandoned = why;
                        // Under the lock: a statement cancelled here cannot go back to the pool (and a
                        // host's next borrower) before the cancel has landed.
                        committing.forEach((c, statement) -> {
                            if (statement) {
                                PgSessions.cancel(c);
                            }
                        });
                    }
                    gaveUp = true;
                    if (combiner != null) {
                        // SQLite's driver ignores the pool's abort: the write must not commit after close() returns.
                        combiner.abandon(why);
                    }
                    break;
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(inFlight, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (gaveUp && dialect == Dialect.POSTGRESQL) {
            // A COMMIT under way gets up to closeTimeout more; one still running is stopped on the
            // server, so close() returns with each such write committed or never to commit.
            interrupted |= endCommitsUnderWay(grace);
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (combiner != null) {
            combiner.close(deadline);
        }
        WalCheckpointer ck = checkpointer;
        if (ck != null) {
            ck.close();
        }
    }

    /**
     * Keeps SQLite's write connection open between write transactions, its statements prepared
     * once, and moves WAL checkpoints off the writers' path ({@link WalCheckpointer}): for Atlas's
     * own pool, which has a connection to spare (not a host's pool, whose connections and settings
     * are the host's).
     */
    public synchronized void holdWriteConnection() {
        if (combiner != null && checkpointer == null) {
            checkpointer = new WalCheckpointer(dataSource, prefix);
            combiner.holdConnection(checkpointer);
        }
    }

    /** Background WAL checkpoints that copied pages so far; 0 when writers checkpoint themselves (tests). */
    public long backgroundCheckpoints() {
        WalCheckpointer ck = checkpointer;
        return ck == null ? 0 : ck.checkpoints();
    }

    /**
     * Runs a call of several transactions with work between them (an upload streamed to the blob
     * store) as one running call: {@link #close} waits for all of it, as for a single write.
     */
    public <T> T running(java.util.function.Supplier<T> call) {
        enter();
        boolean outermost = runningHere.get() == null;
        if (outermost) {
            runningHere.set(new Running());
        }
        try {
            return call.get();
        } finally {
            if (outermost) {
                runningHere.remove();
            }
            exit();
        }
    }

    /** Fails with {@link AtlasClosedException} once {@link #close} ran; for calls that do work before their first statement. */
    public void checkOpen() {
        if (closed) {
            throw new AtlasClosedException();
        }
    }

    /** Runs {@code hook} on the handle of every write transaction, before it begins (see {@link SqliteSettings}). */
    public void beforeEachWrite(Consumer<Handle> hook) {
        this.beforeEachWrite = hook;
    }

    /** Runs {@code hook} on every connection Atlas borrows, reads and writes (see {@link SqliteSettings}). */
    public void onEachConnection(Consumer<Handle> hook) {
        this.onEachConnection = hook;
    }

    /**
     * Wraps every connection borrowed from now on (tests record the SQL sent), and the pooled
     * connection the shared statements are prepared on; null for none.
     */
    public void decorateConnections(@Nullable UnaryOperator<Connection> decorator) {
        this.connectionDecorator = decorator;
        if (combiner != null) {
            combiner.releaseConnection(); // the held write connection was borrowed undecorated
        }
        synchronized (prepared) {
            // Statements prepared through the previous decorator (or none) are forgotten, not closed
            // (a borrower may be running one): they close with their connections.
            prepared.clear();
        }
    }

    /**
     * Runs {@code work} in one write transaction and returns once it is committed. On SQLite the
     * transaction may be shared with other callers' writes ({@link WriteCombiner}: group commit,
     * each call in its own savepoint); a failing call rolls back only its own work.
     */
    public <T> T write(HandleCallback<T> work) {
        enter();
        try {
            return writeOpen(work);
        } finally {
            exit();
        }
    }

    /**
     * {@link #write} for work that is one statement: PostgreSQL runs it in auto-commit mode, where a
     * single statement is atomic and commits with its reply, saving the round trips of BEGIN and
     * COMMIT. Inside the application's transaction (a connection bound to it) it joins that
     * transaction, as {@link #write} does. SQLite: {@link #write}.
     */
    public <T> T writeOneStatement(HandleCallback<T> work) {
        enter();
        try {
            return writeOpen(work, false);
        } finally {
            exit();
        }
    }

    private <T> T writeOpen(HandleCallback<T> work) {
        return writeOpen(work, true);
    }

    private <T> T writeOpen(HandleCallback<T> work, boolean transaction) {
        try {
            if (combiner != null) {
                if (autoCommitOffIsApplications && !(dataSource instanceof com.zaxxer.hikari.HikariDataSource)) {
                    // A wrapper that may hand this thread the application's transaction (Spring's
                    // TransactionAwareDataSourceProxy): the write joins it here, under a savepoint; the
                    // combiner would commit it, or run it on another caller's connection.
                    Handle h = open(firstBorrow() ? 1 : 0);
                    if (!autoCommit(h)) {
                        try (h) {
                            return h.inTransaction(work);
                        }
                    }
                    h.close();
                }
                return combiner.write(work, firstBorrow());
            }
            try (Handle h = open(firstBorrow() ? 1 : 0)) {
                Consumer<Handle> hook = beforeEachWrite;
                if (hook != null) {
                    hook.accept(h);
                }
                // Inside the application's transaction (auto-commit left off) even one statement
                // runs under inTransaction's savepoint: its failure must not abort that transaction.
                return transaction || !autoCommit(h) ? h.inTransaction(t -> unlessAbandoned(work.withHandle(t)), commitGate) : autoCommitted(h, work);
            }
        } catch (AtlasException e) {
            throw e;
        } catch (SqlFailure e) {
            refuseIfAbandoned(e);
            SQLException sql = findSql(e);
            Optional<NotFoundException> dangling = sql == null ? Optional.empty() : References.notFound(sql, prefix);
            if (dangling.isPresent()) {
                throw dangling.get();
            }
            throw translate(e);
        }
    }

    /**
     * {@code value}, unless close() gave up on the calls still running: the transaction then rolls
     * back instead of committing after close() returned. Atlas's own pool aborts such a call's
     * connection as it closes; an application's pool (which Atlas does not close) did not, so a
     * write that waited for a lock past the close timeout committed once the lock was released.
     */
    private <T> T unlessAbandoned(T value) {
        String why = abandoned;
        if (why != null) {
            throw new StorageException(why, null, false, null);
        }
        return value;
    }

    /**
     * The check of {@link #abandoned} and the start of the commit, made one step: a close() that
     * gives up either sees the commit under way (and waits for it, or ends it) or is seen by it
     * (it rolls back). Otherwise a commit checked just before close() gave up went on after close()
     * returned, on an application's pool (which close() does not close) reported as a success.
     */
    private final Handle.CommitGate commitGate = new Handle.CommitGate() {
        @Override
        public void enter(Connection c) {
            committingFrom(c, false);
        }

        @Override
        public void exit(Connection c) {
            committed(c);
        }
    };

    private void committingFrom(Connection c, boolean statement) {
        synchronized (commits) {
            String why = abandoned;
            if (why != null) {
                throw new StorageException(why, null, false, null);
            }
            committing.put(c, statement);
        }
    }

    /** Waits for a cancel or an abort close() is sending to {@code c}: it must land before {@code c} goes back to the pool. */
    private void committed(Connection c) {
        synchronized (commits) {
            committing.remove(c);
            if (committing.isEmpty()) {
                commits.notifyAll();
            }
        }
    }

    /** Runs one statement in auto-commit mode where close() can cancel it ({@link #committing}). */
    private <T> T autoCommitted(Handle h, HandleCallback<T> work) {
        Connection c = h.getConnection();
        committingFrom(c, true);
        try {
            return work.withHandle(h);
        } catch (SqlFailure e) {
            // The statement commits as it runs: a connection lost on it leaves the write's fate unknown.
            throw e.committing();
        } finally {
            committed(c);
        }
    }

    /**
     * After close() gave up: waits up to {@code grace} more for the writes committing to end,
     * then closes the connections of those still running (a COMMIT not yet sent then fails as
     * rolled back) and ends their sessions on the server, waiting up to {@link #SESSION_END_WAIT}
     * for them to be gone. Closing the connection alone is not enough: a COMMIT the server already
     * received (held by a lock in a deferred trigger, a synchronous standby, a slow disk) still
     * commits once it can, after close() returned ({@code Newcomer22Contract}).
     */
    private boolean endCommitsUnderWay(java.time.Duration grace) {
        boolean interrupted = false;
        long end = System.nanoTime() + grace.toNanos();
        // Connections pgjdbc names the session of: by the process id and start read when Atlas first used
        // them, else by the id alone, closed once that session's start is read.
        java.util.Map<Connection, Session> named = new java.util.IdentityHashMap<>();
        int ending = 0;
        int unnamed = 0;
        synchronized (commits) {
            while (!committing.isEmpty()) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    ending = committing.size();
                    for (Connection c : committing.keySet()) {
                        Session session = sessionOf(c);
                        if (session != null) {
                            named.put(c, session);
                        } else {
                            PgSessionEnd.abort(c);
                            unnamed++;
                        }
                    }
                    break;
                }
                try {
                    java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(commits, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (ending > 0) {
            LoggerFactory.getLogger(Db.class).warn("closing Atlas: ending the session of {} write(s) still committing after {}", ending, grace);
            if (unnamed > 0) {
                LoggerFactory.getLogger(Db.class).warn("closing Atlas: {} connection(s) name no server session Atlas can end (no pgjdbc under them, or a pooling"
                        + " proxy between); their writes may still commit", unnamed);
            }
        }
        if (!named.isEmpty()) {
            interrupted |= PgSessionEnd.end(dataSource, statements(SessionSql.class, SessionSql::new), named, this::abortIfCommitting,
                    SESSION_END_WAIT);
        }
        return interrupted;
    }

    /**
     * Closes {@code c} if its commit is still under way, and says whether it did. Under the lock that
     * {@link #committed} takes: a connection whose commit ended meanwhile may be another caller's by
     * now, and one closed here cannot go back to the pool before the close has landed.
     */
    private boolean abortIfCommitting(Connection c) {
        synchronized (commits) {
            if (!committing.containsKey(c)) {
                return false;
            }
            if (!PgSessionEnd.abort(c)) {
                LoggerFactory.getLogger(Db.class).warn("closing Atlas: a connection still committing could not be closed; its write may still commit");
                return false;
            }
            return true;
        }
    }

    /** Ends PostgreSQL sessions from outside them; a class of its own, loaded only on PostgreSQL (pgjdbc is optional). */
    private static final class PgSessionEnd {
        private PgSessionEnd() {}

        /** {@code c}'s server process id, without a round trip; null for a connection that does not unwrap to pgjdbc. */
        static @Nullable Integer pid(Connection c) {
            try {
                return c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
            } catch (SQLException | RuntimeException | LinkageError ignored) {
                return null; // a wrapper that hides pgjdbc: its session cannot be named, only its socket closed
            }
        }

        /**
         * Closes {@code c}'s socket now and says whether it could. On this thread: pgjdbc's abort only
         * closes the socket, taking none of the locks the call blocked on it holds, so it has taken
         * effect on return (handed to another thread, a COMMIT could still be sent after close()
         * returned).
         */
        static boolean abort(Connection c) {
            try {
                c.unwrap(Connection.class).abort(Runnable::run);
                return true;
            } catch (SQLException | RuntimeException | LinkageError e) {
                // Not closed (a wrapper without abort): the connection goes back to the pool alive once
                // its commit ends, and the application's next transaction would run in that session,
                // so it must not be ended (Newcomer22Contract#closeNeverEndsTheSessionOfAConnectionItCouldNotClose).
                return false;
            }
        }

        /**
         * pgjdbc's own connection under {@code c} (what identifies its session across borrows), or null
         * for a wrapper that hides it or a pgjdbc that is not also a {@link Connection}.
         */
        static @Nullable Object physical(Connection c) {
            try {
                Object pg = c.unwrap(org.postgresql.PGConnection.class);
                return pg instanceof Connection ? pg : null;
            } catch (SQLException | RuntimeException | LinkageError ignored) {
                return null;
            }
        }

        /**
         * The session of {@code c} (pgjdbc's own connection, in auto-commit mode) as it says itself,
         * or null when it cannot say (close() then names it by its process id alone).
         */
        static @Nullable Session own(Connection c, SessionSql sql) throws SQLException {
            try (java.sql.PreparedStatement own = c.prepareStatement(sql.own.jdbc()); java.sql.ResultSet rs = own.executeQuery()) {
                return rs.next() ? new Session(rs.getInt(1), rs.getLong(2)) : null;
            } catch (RuntimeException e) {
                return null;
            }
        }

        /**
         * Closes the connections {@code named} (through {@code abort}, which skips those whose commit
         * has ended) and ends their server sessions from a fresh connection of {@code pool}, waiting
         * until they are gone, so their transactions are over (committed or rolled back for good).
         *
         * <p>A session is named by its process id AND its start time, read while the session was surely
         * alive: once its connection is closed, its process may exit and the id go to another session
         * (the helper's own new connection, the application's) before it is ended. Atlas read both
         * when it first used the connection ({@link Db#sessions}); for a session it could not read
         * then, the helper reads the start before the connection is closed. A session whose start
         * was read neither way (the pool had no connection to spare for half of {@code within}, every
         * one stuck) only has its connection closed: ending it by an id read after that could end
         * another session.
         *
         * <p>Runs on a thread of its own so that a pool with no connection to spare, or a server that
         * does not answer, delays close() by {@code within} at most; once that has passed, the thread
         * runs nothing any more, however late the pool answers. Returns whether the caller was
         * interrupted (kept, not acted on).
         */
        static boolean end(DataSource pool, SessionSql sql, java.util.Map<Connection, Session> named,
                java.util.function.Predicate<Connection> abort, java.time.Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            java.util.Map<Integer, Long> known = new java.util.LinkedHashMap<>();
            java.util.List<Integer> unknown = new java.util.ArrayList<>();
            for (Session s : named.values()) {
                if (s.started() != null) {
                    known.put(s.pid(), s.started());
                } else if (!unknown.contains(s.pid())) {
                    unknown.add(s.pid());
                }
            }
            // Completed by the helper once it has read the unknown starts, or by this thread when it stops
            // waiting for that: whichever comes first says whether those reads came before the close.
            java.util.concurrent.CompletableFuture<Void> started = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<java.util.Set<Integer>> closed = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<Boolean> ended = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
            Thread t = new Thread(() -> {
                try {
                    ended.complete(endNow(pool, sql, known, unknown, started, closed, deadline, late));
                } catch (Throwable e) {
                    started.completeExceptionally(e);
                    ended.completeExceptionally(e);
                }
            }, "atlas-end-sessions");
            t.setDaemon(true);
            t.start();
            boolean[] interrupted = {false};
            String failure = null;
            if (!unknown.isEmpty()) {
                try {
                    await(started, deadline - within.toNanos() / 2, interrupted);
                } catch (java.util.concurrent.TimeoutException e) {
                    // no connection yet: closing the stuck ones gives the pool theirs back
                    started.completeExceptionally(e);
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = dev.atlas.internal.Redaction.url(String.valueOf(e.getCause()));
                }
            }
            java.util.Set<Integer> ending = new java.util.LinkedHashSet<>();
            for (java.util.Map.Entry<Connection, Session> e : named.entrySet()) {
                if (abort.test(e.getKey())) {
                    ending.add(e.getValue().pid());
                }
            }
            if (failure == null) {
                closed.complete(ending);
                try {
                    if (!await(ended, deadline, interrupted)) {
                        failure = "they were still there after " + within;
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    failure = "no answer within " + within;
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = dev.atlas.internal.Redaction.url(String.valueOf(e.getCause()));
                }
            }
            if (failure != null) {
                // Before close() returns: a process id named after that may be another session's by then
                // (Newcomer22Contract#closeEndsNoSessionAfterItReturned).
                late.set(true);
                t.interrupt();
                LoggerFactory.getLogger(Db.class).warn("closing Atlas: could not end the server sessions {} of writes still committing ({});"
                        + " those writes may still commit", ending, failure);
            }
            return interrupted[0];
        }

        /** {@code f}'s value, waiting until {@code deadline}; an interrupt is noted in {@code interrupted[0]}, not acted on. */
        private static <T> T await(java.util.concurrent.CompletableFuture<T> f, long deadline, boolean[] interrupted)
                throws java.util.concurrent.TimeoutException, java.util.concurrent.ExecutionException {
            while (true) {
                try {
                    return f.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted[0] = true;
                }
            }
        }

        /**
         * Reads the start of the sessions {@code unknown} and says so ({@code started}), unless the
         * caller stopped waiting for that first (those starts are then dropped: they may have been
         * read after the close); waits for the caller to close the connections and name those it
         * closed ({@code closed}), then ends them, {@code known} ones included.
         */
        private static boolean endNow(DataSource pool, SessionSql sql, java.util.Map<Integer, Long> known, java.util.List<Integer> unknown,
                java.util.concurrent.CompletableFuture<Void> started, java.util.concurrent.CompletableFuture<java.util.Set<Integer>> closed,
                long deadline, java.util.concurrent.atomic.AtomicBoolean late) throws Exception {
            try (Connection c = pool.getConnection()) {
                if (late.get()) {
                    return false; // a pool that answered after close() returned (one that does not heed the interrupt)
                }
                boolean autoCommit = c.getAutoCommit();
                if (!autoCommit) {
                    c.setAutoCommit(true); // pg_stat_activity is read once per transaction: each poll must be its own
                }
                // Prepared once each and bound by position (:pid, then :started): polled in a loop, on a
                // connection no Handle owns.
                try (java.sql.PreparedStatement terminate = c.prepareStatement(sql.terminate.jdbc());
                     java.sql.PreparedStatement present = c.prepareStatement(sql.present.jdbc())) {
                    java.util.Map<Integer, Long> starts = new java.util.LinkedHashMap<>(known);
                    java.util.Map<Integer, Long> readNow = new java.util.LinkedHashMap<>();
                    for (int pid : unknown) {
                        Long start = startOf(present, pid);
                        if (start != null) {
                            readNow.put(pid, start);
                        }
                    }
                    if (started.complete(null)) {
                        readNow.forEach(starts::putIfAbsent);
                    }
                    starts.keySet().retainAll(closed.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS));
                    for (java.util.Map.Entry<Integer, Long> s : starts.entrySet()) {
                        if (late.get()) {
                            return false;
                        }
                        terminate.setInt(1, s.getKey());
                        terminate.setLong(2, s.getValue());
                        terminate.executeQuery().close();
                    }
                    for (java.util.Map.Entry<Integer, Long> s : starts.entrySet()) {
                        // Gone, or its id already another session's: either way its transaction is over.
                        while (s.getValue().equals(startOf(present, s.getKey()))) {
                            if (System.nanoTime() - deadline > 0) {
                                return false;
                            }
                            Thread.sleep(5);
                        }
                    }
                    return true;
                } finally {
                    if (!autoCommit) {
                        c.setAutoCommit(false);
                    }
                }
            }
        }

        /** The start of process {@code pid}'s session, or null when there is none (or it is the asking one). */
        private static @Nullable Long startOf(java.sql.PreparedStatement present, int pid) throws SQLException {
            present.setInt(1, pid);
            try (java.sql.ResultSet rs = present.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    private static boolean autoCommit(Handle h) {
        try {
            return h.getConnection().getAutoCommit();
        } catch (SQLException e) {
            throw new SqlFailure("could not read a connection's auto-commit mode", e, true);
        }
    }

    /** Write calls queued behind the current SQLite write transaction; always 0 on PostgreSQL. */
    public int queuedWrites() {
        return combiner == null ? 0 : combiner.queued();
    }

    /** Runs read-only {@code work} on a pooled connection without a transaction. */
    public <T> T read(HandleCallback<T> work) {
        enter();
        try (Handle h = open(firstBorrow() ? 1 : 0)) {
            return work.withHandle(h);
        } catch (AtlasException e) {
            throw e;
        } catch (SqlFailure e) {
            refuseIfAbandoned(e);
            throw translate(e);
        } finally {
            exit();
        }
    }

    /**
     * A call that failed because close() closed the pool under it (PostgreSQL's driver aborts its
     * connection) says so, not retryable: repeating it would only meet {@link AtlasClosedException}.
     */
    private void refuseIfAbandoned(SqlFailure e) {
        String why = abandoned;
        if (why != null) {
            SQLException sql = findSql(e);
            String detail = dev.atlas.internal.Redaction.url(sql != null ? sql.getMessage() : e.getMessage());
            boolean unknown = e.wasCommitting() && connectionLost(sql);
            throw new StorageException((unknown ? abandonedWhileCommitting : why) + ": " + detail,
                    sql == null ? null : sql.getSQLState(), false, unknown, e);
        }
    }

    /**
     * Runs {@code work} on a connection in auto-commit mode, outside any transaction: for the DDL
     * that refuses to run in one ({@code CREATE INDEX CONCURRENTLY}). Errors are translated as for reads.
     */
    public <T> T outsideTransaction(HandleCallback<T> work) {
        return read(work);
    }

    /**
     * Runs read-only {@code work} on one snapshot: all its statements see the same committed state,
     * so a read of several statements never shows half of a write committed meanwhile.
     *
     * <p>PostgreSQL: a REPEATABLE READ, READ ONLY transaction (READ COMMITTED, the default, takes a
     * snapshot per statement). {@code SET TRANSACTION} as the transaction's first statement costs
     * one round trip and ends with it, so nothing is left to reset on the pooled connection
     * ({@code setTransactionIsolation} costs a round trip to set and another to reset). SQLite: a
     * deferred transaction, whose WAL snapshot is fixed at its first read and which takes no lock a
     * writer waits for (a JDBC transaction would be IMMEDIATE here and queue behind the writer).
     * A read of one statement needs none of this: one statement is one snapshot at every isolation
     * level, so such reads use {@link #read} (a memory with its tags, a node with its edges).
     *
     * <p>Except inside an application's transaction that Atlas joins (the pool handed out a
     * connection with auto-commit off): {@code work} then runs in it as it is, asking the
     * connection nothing more, and sees the application's own uncommitted writes. That is one
     * snapshot on SQLite and on PostgreSQL at REPEATABLE READ or SERIALIZABLE, but at READ
     * COMMITTED (PostgreSQL's default) each statement sees what was committed when it began, so
     * the callers' statements may show part of a write committed meanwhile (the README lists those
     * reads). Work that must not, and can read in one statement, uses
     * {@link #readConsistent(SnapshotRead)}.
     */
    public <T> T readConsistent(HandleCallback<T> work) {
        return readConsistent((h, oneSnapshot) -> work.withHandle(h));
    }

    /** Read-only work told whether its statements share one snapshot ({@link #readConsistent(SnapshotRead)}). */
    @FunctionalInterface
    public interface SnapshotRead<T> {
        T withHandle(Handle h, boolean oneSnapshot);
    }

    /**
     * {@link #readConsistent(HandleCallback)}, telling {@code work} whether its statements share one
     * snapshot: false in any application's transaction on PostgreSQL that Atlas joins (whose
     * isolation cannot change once it has begun, and which must stay writable), whatever its
     * level: the level is not asked (pgjdbc's {@code getTransactionIsolation} is a round trip per
     * call, and fails in an aborted transaction). The work then reads what must agree in one
     * statement.
     */
    public <T> T readConsistent(SnapshotRead<T> work) {
        return read(h -> {
            if (!autoCommit(h)) {
                // The application's transaction: its snapshot rules, and it must stay writable.
                return work.withHandle(h, dialect != Dialect.POSTGRESQL);
            }
            return dialect == Dialect.POSTGRESQL ? h.inTransaction(t -> {
                control(t, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                return work.withHandle(t, true);
            }) : readDeferred(h, w -> work.withHandle(w, true));
        });
    }

    private <T> T readDeferred(Handle h, HandleCallback<T> work) {
        control(h, "BEGIN DEFERRED");
        boolean committed = false;
        try {
            T value = work.withHandle(h);
            control(h, "COMMIT");
            committed = true;
            return value;
        } finally {
            if (!committed) {
                rollbackOrDiscard(h);
            }
        }
    }

    /**
     * Ends a read transaction whose work or COMMIT failed. Should even ROLLBACK fail, the
     * transaction may still be open, and the pool would hand out a connection holding its WAL
     * snapshot for good (no checkpoint could pass it), so the connection is discarded. The failure
     * reported is the work's or COMMIT's, not this one.
     */
    private void rollbackOrDiscard(Handle h) {
        try {
            control(h, "ROLLBACK");
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(Db.class).warn("could not end a read transaction, discarding its connection: {}", e.toString());
            discard(h);
        }
    }

    private static void control(Handle h, String sql) {
        try {
            h.control(sql);
        } catch (SQLException e) {
            throw new SqlFailure(sql + " failed", e);
        }
    }

    public static AtlasException translate(SqlFailure e) {
        SQLException sql = findSql(e);
        String state = sql == null ? null : sql.getSQLState();
        // A driver or pool message can quote the JDBC URL (connection failures do): mask its secrets.
        String message = dev.atlas.internal.Redaction.url(sql != null ? sql.getMessage() : e.getMessage());
        if (e.wasCommitting() && connectionLost(sql)) {
            // The server may have committed and lost only its reply: repeating an append without a
            // client id would store it twice, so it is not reported retryable.
            return new StorageException("database call failed: the connection was lost while the write was committing"
                    + MAY_HAVE_BEEN_STORED + ": " + message, state, false, true, e);
        }
        boolean retryable = isRetryable(sql, e);
        return new StorageException("database call failed" + (retryable ? " (retryable)" : "") + ": " + message, state, retryable, e);
    }

    /**
     * The connection broke after the statement was sent, or the server ended the session: the
     * statement may have run. Not 08003 (the driver's connection was already closed: nothing was
     * sent) nor 08001/08004 (no connection was made).
     */
    private static boolean connectionLost(SQLException sql) {
        String state = sql == null ? null : sql.getSQLState();
        return state != null && (state.equals("08000") || state.equals("08006") || state.equals("08007")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03"));
    }

    private static SQLException findSql(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }

    private static boolean isRetryable(SQLException sql, SqlFailure e) {
        if (e.connection()) {
            return true;
        }
        if (sql == null) {
            return false;
        }
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || state.equals("40001") || state.equals("40P01")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03") || state.equals("55P03"))) {
            return true;
        }
        if (sql instanceof java.sql.SQLTransientException || sql instanceof java.sql.SQLRecoverableException) {
            return true;
        }
        // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6) clear once the other writer finishes.
        int code = sql.getErrorCode() & 0xFF;
        String msg = String.valueOf(sql.getMessage());
        return (code == 5 || code == 6) && msg.contains("SQLITE_") || msg.contains("SQLITE_BUSY") || msg.contains("SQLITE_LOCKED");
    }

    /** Told of every statement the {@link dev.atlas.jdbi.internal.sql.Sql} runner ran: its name and JDBC text. */
    @FunctionalInterface
    public interface StatementListener {
        void ran(String name, String sql);
    }

    /** Sets the listener told of each statement run (tests count with it); null for none. */
    public void statementListener(@org.jspecify.annotations.Nullable StatementListener listener) {
        this.statementListener = listener;
    }

    /** Called by the runner after each statement. */
    public void statementRan(String name, String sql) {
        StatementListener l = statementListener;
        if (l != null) {
            l.ran(name, sql);
        }
    }

    /**
     * The statement catalogue {@code type}, declared once per database by {@code declare} on the
     * first call: stores are built per tenant, their statements once.
     */
    public <T> T statements(Class<T> type, java.util.function.Function<dev.atlas.jdbi.internal.sql.Catalogue, T> declare) {
        return type.cast(catalogues.computeIfAbsent(type, k -> declare.apply(new dev.atlas.jdbi.internal.sql.Catalogue(dialect, prefix))));
    }
}
