package dev.atlas.jdbi.kit;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A data source that stops one thread at a statement boundary: once {@link #arm} is called on a
 * thread, its {@code n}-th statement prepared after that waits, before it is prepared, until
 * {@link #release}. Another thread can then run whole operations between that thread's statements
 * (which share the transaction the first of them began), and the race is deterministic.
 */
public final class StatementGate {
    private final DataSource target;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile Thread armed;
    private volatile int stopAt;
    private final AtomicInteger prepared = new AtomicInteger();

    public StatementGate(DataSource target) {
        this.target = target;
    }

    /** The gated data source. */
    public DataSource dataSource() {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, args) -> {
            Object value = invoke(target, m, args);
            return value instanceof Connection c && m.getName().equals("getConnection") ? connection(c) : value;
        });
    }

    private Connection connection(Connection c) {
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, args) -> {
            if (m.getName().startsWith("prepare") && Thread.currentThread() == armed && prepared.incrementAndGet() == stopAt) {
                reached.countDown();
                if (!released.await(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the gate was never released");
                }
            }
            return invoke(c, m, args);
        });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Stops the calling thread before its {@code n}-th prepared statement from now on. */
    public void arm(int n) {
        prepared.set(0);
        stopAt = n;
        armed = Thread.currentThread();
    }

    /**
     * The armed thread's work ended before its {@code n}-th statement (it had fewer): lets {@link #awaitReached} return, the
     * work being over as surely as if it stood at the gate.
     */
    public void finished() {
        reached.countDown();
    }

    /** Waits until the armed thread stands at the gate or called {@link #finished}. */
    public void awaitReached() throws InterruptedException {
        if (!reached.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the armed thread never reached the gate");
        }
    }

    public void release() {
        released.countDown();
    }
}
