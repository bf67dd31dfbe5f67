package dev.atlas.jdbi.kit;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Wraps a real {@link DataSource} and records the SQL text of every statement prepared or
 * executed through it (metadata calls are not statements). Test-only; no database is mocked.
 */
public final class SqlRecorder {
    private final DataSource target;
    private final List<String> statements = Collections.synchronizedList(new ArrayList<>());

    public SqlRecorder(DataSource target) {
        this.target = target;
    }

    public List<String> statements() {
        synchronized (statements) {
            return List.copyOf(statements);
        }
    }

    public DataSource dataSource() {
        return proxy(DataSource.class, target, (proxy, m, args) -> {
            Object result = invoke(target, m, args);
            return result instanceof Connection c ? connection(c) : result;
        });
    }

    private Connection connection(Connection c) {
        return proxy(Connection.class, c, (proxy, m, args) -> {
            if ((m.getName().equals("prepareStatement") || m.getName().equals("prepareCall")) && args != null && args[0] instanceof String sql) {
                statements.add(sql.strip());
            }
            Object result = invoke(c, m, args);
            return result instanceof Statement s && m.getName().equals("createStatement") ? statement(s) : result;
        });
    }

    private Statement statement(Statement s) {
        return proxy(Statement.class, s, (proxy, m, args) -> {
            if (m.getName().startsWith("execute") && args != null && args.length > 0 && args[0] instanceof String sql) {
                statements.add(sql.strip());
            }
            if (m.getName().equals("addBatch") && args != null && args[0] instanceof String sql) {
                statements.add(sql.strip());
            }
            return invoke(s, m, args);
        });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Object target, InvocationHandler handler) {
        return (T) Proxy.newProxyInstance(SqlRecorder.class.getClassLoader(), new Class<?>[] {type}, handler);
    }
}
