package dev.atlas.jdbi.kit;

import dev.atlas.StorageException;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * An application's transactions that an Atlas instance joins: {@link #dataSource()} hands out the connection of the
 * transaction {@link #in} holds open, as Spring's TransactionAwareDataSourceProxy does (auto-commit off, close() left to
 * the application), and a pooled connection of the test database otherwise. It counts how often Atlas asks that
 * connection its isolation level (pgjdbc: SHOW TRANSACTION ISOLATION LEVEL, a round trip). The database is real.
 */
public final class ApplicationTransactions {
    private final DataSource base;
    private final boolean postgres;
    private final AtomicReference<Connection> bound = new AtomicReference<>();
    /** The thread that holds the application's transaction, when only it is handed that transaction's connection. */
    private volatile Thread holder;
    private volatile boolean perThread;
    private final AtomicInteger isolationAsked = new AtomicInteger();
    private final DataSource dataSource;

    public ApplicationTransactions(TestDatabase database, boolean postgres) {
        this(database.dataSource(), postgres);
    }

    /** Over {@code base}'s connections (one with session options of its own, say). */
    public ApplicationTransactions(DataSource base, boolean postgres) {
        this.base = base;
        this.postgres = postgres;
        this.dataSource = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Connection app = perThread && Thread.currentThread() != holder ? null : bound.get();
                    if (method.getName().equals("getConnection") && app != null) {
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (p, m, a) -> {
                            if (m.getName().equals("close")) {
                                return null;
                            }
                            if (m.getName().equals("getTransactionIsolation")) {
                                isolationAsked.incrementAndGet();
                            }
                            return invoke(m, app, a);
                        });
                    }
                    return invoke(method, base, args);
                });
    }

    /**
     * Hands the application's transaction only to the thread running {@link #in}, as Spring binds a transaction to its
     * thread: Atlas's own threads (a back-fill, a set-up) borrow from the pool as another thread of the application would.
     * Without it, every thread is handed that transaction's connection while it is open.
     */
    public ApplicationTransactions boundToItsThread() {
        perThread = true;
        return this;
    }

    /** The DataSource to build the joining instance on. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** How often Atlas asked the application's connection for its isolation level since the last call. */
    int isolationAsked() {
        return isolationAsked.getAndSet(0);
    }

    /**
     * {@code work} inside an application transaction at {@code level} (PostgreSQL; SQLite has its one level), rolled
     * back after it.
     */
    public <T> T in(int level, Callable<T> work) throws Exception {
        try (Connection app = base.getConnection()) {
            if (postgres) {
                app.setTransactionIsolation(level);
            }
            app.setAutoCommit(false);
            holder = Thread.currentThread();
            bound.set(app);
            try {
                return work.call();
            } finally {
                bound.set(null);
                app.rollback();
                app.setAutoCommit(true);
                if (postgres) {
                    app.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                }
            }
        }
    }

    /**
     * What {@code read} does inside an application's READ COMMITTED transaction whose own statement failed just before
     * (PostgreSQL aborts the transaction, SQLite does not): "answered", or the StorageException's SQL state and
     * retryability.
     */
    String afterAFailedStatement(Runnable read) throws Exception {
        return in(Connection.TRANSACTION_READ_COMMITTED, () -> {
            Connection app = bound.get();
            try (Statement s = app.createStatement()) {
                s.execute("SELECT * FROM no_such_table_of_the_application");
            } catch (SQLException expected) {
                // the application's statement failed
            }
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(read::run);
            return x == null ? "answered" : x instanceof StorageException s
                    ? "StorageException " + s.sqlState() + " retryable=" + s.isRetryable() : x.toString();
        });
    }

    private static Object invoke(Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
