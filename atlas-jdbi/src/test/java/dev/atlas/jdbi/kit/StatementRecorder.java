package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.JdbiAtlas;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records every SQL string an Atlas instance sends to its database: each connection the stores
 * get is wrapped ({@code Db#decorateConnections}) and the text of every statement run is noted, with the
 * Atlas method that ran it, once per run (a statement Atlas keeps prepared across calls included).
 * The statement cache stays on: the suites run the path production takes. The database still runs
 * everything; nothing is stubbed. Test-only.
 */
public final class StatementRecorder {
    /** One statement and the first Atlas frame below the connection (class#method) that sent it. */
    public record Recorded(String sql, String caller, List<String> callers) {}

    private static final Set<String> PREPARE = Set.of("prepareStatement", "prepareCall");
    private static final Set<String> EXECUTE = Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate", "addBatch");
    /** A prepared statement's runs (a batch is noted once, at its executeBatch). */
    private static final Set<String> RUN = Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate", "executeBatch", "executeLargeBatch");
    private static final StackWalker WALKER = StackWalker.getInstance();

    private final List<Recorded> recorded = new CopyOnWriteArrayList<>();

    private StatementRecorder() {}

    /** Starts recording what {@code atlas} runs from now on. */
    public static StatementRecorder attach(Atlas atlas) {
        StatementRecorder recorder = new StatementRecorder();
        ((JdbiAtlas) atlas).db().decorateConnections(recorder::wrap);
        return recorder;
    }

    public List<Recorded> recorded() {
        return List.copyOf(recorded);
    }

    private Connection wrap(Connection target) {
        return proxy(Connection.class, target, (method, args) -> {
            Object result = method.invoke(target, args);
            if (PREPARE.contains(method.getName()) && args != null && args[0] instanceof String sql
                    && result instanceof PreparedStatement ps) {
                // Noted on every run, not at its prepare: Atlas keeps statements prepared per pooled
                // connection (Db#open prepares them through this wrapper too) and runs them again.
                return proxy(PreparedStatement.class, ps, (m, a) -> {
                    if (RUN.contains(m.getName()) && (a == null || a.length == 0)) {
                        note(sql);
                    }
                    return m.invoke(ps, a);
                });
            }
            if (method.getName().equals("createStatement") && result instanceof Statement s) {
                return proxy(Statement.class, s, (m, a) -> {
                    if (EXECUTE.contains(m.getName()) && a != null && a.length > 0 && a[0] instanceof String sql) {
                        note(sql);
                    }
                    return m.invoke(s, a);
                });
            }
            return result;
        });
    }

    private void note(String sql) {
        // The test's own SQL run on Atlas's handle (AdHoc, a lambda of a contract) may run on Atlas's writer thread, below
        // Atlas's frames: the innermost frame that is the kit's or Atlas's says whose statement it is.
        boolean tests = WALKER.walk(frames -> frames
                .map(StackWalker.StackFrame::getClassName)
                .filter(c -> c.startsWith("dev.atlas.") && !c.equals(StatementRecorder.class.getName()) && !c.startsWith(StatementRecorder.class.getName() + "$")
                        && !c.startsWith("dev.atlas.jdbi.internal.sql.") && !c.equals("dev.atlas.jdbi.internal.Db"))
                .findFirst().map(c -> c.startsWith("dev.atlas.jdbi.kit.") || c.split("\\$")[0].endsWith("Test")).orElse(true));
        List<String> callers = tests ? List.of() : WALKER.walk(frames -> frames
                .filter(f -> f.getClassName().startsWith("dev.atlas.") && !f.getClassName().startsWith("dev.atlas.jdbi.kit.")
                        && !f.getClassName().startsWith("dev.atlas.jdbi.internal.sql.") && !f.getClassName().equals("dev.atlas.jdbi.internal.Db"))
                .map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "#" + f.getMethodName())
                .toList());
        recorded.add(new Recorded(sql, callers.isEmpty() ? "?" : callers.get(0), callers));
    }

    @FunctionalInterface
    private interface Call {
        Object invoke(Method method, Object[] args) throws Throwable;
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T target, Call call) {
        InvocationHandler handler = (p, method, args) -> {
            try {
                return call.invoke(method, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
    }
}
