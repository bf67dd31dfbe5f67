package dev.atlas.bench;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A DataSource that counts, at the JDBC level, the statements prepared and the transactions
 * committed on the connections it hands out. The same instrument serves Atlas and the raw
 * baselines, so their counts compare directly. Used for counting passes only, never timed.
 */
final class CountingDataSource {
    final AtomicLong statements = new AtomicLong();
    final AtomicLong commits = new AtomicLong();
    final DataSource dataSource;

    CountingDataSource(DataSource target) {
        this.dataSource = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    return "getConnection".equals(method.getName()) ? connection((Connection) result) : result;
                });
    }

    void reset() {
        statements.set(0);
        commits.set(0);
    }

    private Connection connection(Connection target) {
        InvocationHandler h = (proxy, method, args) -> {
            switch (method.getName()) {
                case "prepareStatement", "createStatement", "prepareCall" -> statements.incrementAndGet();
                case "commit" -> commits.incrementAndGet();
                default -> { }
            }
            Object result = invoke(target, method, args);
            // SQLite's group commit ends its transaction with an explicit COMMIT statement.
            return result instanceof java.sql.Statement st && method.getName().equals("createStatement") ? statement(st) : result;
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private java.sql.Statement statement(java.sql.Statement target) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().startsWith("execute") && args != null && args.length > 0 && args[0] instanceof String sql
                    && sql.trim().equalsIgnoreCase("COMMIT")) {
                commits.incrementAndGet();
            }
            return invoke(target, method, args);
        };
        return (java.sql.Statement) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {java.sql.Statement.class}, h);
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
