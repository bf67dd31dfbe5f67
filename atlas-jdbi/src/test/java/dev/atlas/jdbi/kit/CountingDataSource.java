package dev.atlas.jdbi.kit;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A DataSource that counts, at the JDBC level, the SQL statements run and the transactions
 * committed on the connections it hands out. The same instrument serves Atlas, the framework
 * adapters and the raw baselines (atlas-bench), so their counts compare directly on both
 * databases: a statement is one prepared (or called) statement or one SQL text executed on a plain
 * statement, except transaction control ({@code BEGIN}, {@code COMMIT}, {@code ROLLBACK},
 * savepoints) and SQLite connection set-up ({@code PRAGMA}); a commit is
 * {@link Connection#commit()} or an executed {@code COMMIT} (SQLite's {@code BEGIN IMMEDIATE}
 * transactions). Test and benchmark use only; the database is real, nothing is stubbed.
 */
public final class CountingDataSource {
    private final AtomicLong statements = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final DataSource dataSource;

    /** Counts what goes through connections of {@code target}. */
    public CountingDataSource(DataSource target) {
        this.dataSource = (DataSource) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    return "getConnection".equals(method.getName()) ? connection((Connection) result) : result;
                });
    }

    /** The counting data source to hand to the code under measurement. */
    public DataSource dataSource() {
        return dataSource;
    }

    /** Statements prepared or created since the last {@link #reset}. */
    public long statements() {
        return statements.get();
    }

    /** Commits since the last {@link #reset}. */
    public long commits() {
        return commits.get();
    }

    /** Starts counting from zero. */
    public void reset() {
        statements.set(0);
        commits.set(0);
    }

    private Connection connection(Connection target) {
        InvocationHandler h = (proxy, method, args) -> {
            switch (method.getName()) {
                case "prepareStatement", "prepareCall" -> statements.incrementAndGet();
                case "commit" -> commits.incrementAndGet();
                default -> { }
            }
            Object result = invoke(target, method, args);
            return "createStatement".equals(method.getName()) ? statement((Statement) result) : result;
        };
        return (Connection) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private Statement statement(Statement target) {
        InvocationHandler h = (proxy, method, args) -> {
            if ((method.getName().startsWith("execute") || method.getName().equals("addBatch"))
                    && args != null && args.length > 0 && args[0] instanceof String sql) {
                String verb = sql.strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
                switch (verb) {
                    case "COMMIT", "END" -> commits.incrementAndGet();
                    case "BEGIN", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA" -> { }
                    default -> statements.incrementAndGet();
                }
            }
            return invoke(target, method, args);
        };
        return (Statement) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {Statement.class}, h);
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
