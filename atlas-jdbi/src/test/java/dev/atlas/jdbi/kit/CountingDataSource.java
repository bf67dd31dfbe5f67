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
 * databases: a statement is one execution of a prepared (or called) statement (a batch counts
 * once) or one SQL text executed on a plain statement, except transaction control ({@code BEGIN},
 * {@code COMMIT}, {@code ROLLBACK}, savepoints) and SQLite connection set-up ({@code PRAGMA}); a
 * commit is {@link Connection#commit()} or an executed {@code COMMIT} (SQLite's
 * {@code BEGIN IMMEDIATE} transactions). Executions, not prepares, are counted because Atlas
 * prepares a statement once per pooled connection; the connections unwrap to themselves, so
 * whatever Atlas prepares goes through the count. Test and benchmark use only; the database is
 * real, nothing is stubbed.
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

    /** Statements run since the last {@link #reset}. */
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
                case "commit" -> commits.incrementAndGet();
                case "unwrap" -> {
                    if (args[0] == Connection.class) {
                        return proxy;
                    }
                }
                default -> { }
            }
            Object result = invoke(target, method, args);
            return switch (method.getName()) {
                case "createStatement" -> statement((Statement) result, null, Statement.class);
                case "prepareStatement" -> statement((Statement) result, (String) args[0], java.sql.PreparedStatement.class);
                case "prepareCall" -> statement((Statement) result, (String) args[0], java.sql.CallableStatement.class);
                default -> result;
            };
        };
        return (Connection) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    /** Counts each execution: of {@code prepared}'s text, or of the text passed to a plain statement. */
    private Statement statement(Statement target, String prepared, Class<? extends Statement> type) {
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            String sql = prepared != null ? prepared : args != null && args.length > 0 && args[0] instanceof String s ? s : null;
            boolean runs = prepared != null ? name.startsWith("execute") && (args == null || args.length == 0)
                    : (name.startsWith("execute") || name.equals("addBatch")) && sql != null;
            if (runs && sql != null) {
                String verb = sql.strip().split("\\s+", 2)[0].toUpperCase(java.util.Locale.ROOT);
                switch (verb) {
                    case "COMMIT", "END" -> commits.incrementAndGet();
                    case "BEGIN", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA" -> { }
                    default -> statements.incrementAndGet();
                }
            }
            return invoke(target, method, args);
        };
        return (Statement) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type}, h);
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
