package dev.atlas.internal;

import dev.atlas.execution.ExecutionListener;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Calls {@link ExecutionListener}s as {@link ExecutionListener}'s Javadoc promises: in order, and
 * one that throws (its stack overflowing included) is logged at warn under the listener
 * interface's logger and swallowed, the others still run. The recorder (atlas-jdbi) calls its
 * registered listeners through it, and the Spring Boot starter the application's listener beans,
 * so both behave alike.
 *
 * <p>Listeners run on the thread that made the write, after its commit. An integration that records
 * while holding a lock of its own (the Spring AI advisor's run lock, a chat memory's key lock) opens a
 * {@link #defer()} scope around the locked section: the calls fired inside it are queued and made when
 * the outermost scope of the thread closes, after the lock is released, on the same thread, in the
 * order they were fired, each in the OpenTelemetry context current when it was fired, and with the
 * same handling of a listener that throws. So a listener never runs while Atlas holds such a lock, and
 * one that waits for another thread working on the same call (closing it, recording its next step)
 * cannot deadlock it.
 */
public final class ListenerCalls {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionListener.class);
    /** The calls fired inside this thread's open {@link #defer()} scopes, in order; null when none is open. */
    private static final ThreadLocal<@Nullable List<Runnable>> DEFERRED = new ThreadLocal<>();

    private ListenerCalls() {}

    /**
     * Runs {@code call} on every listener, in order; inside a {@link #defer()} scope, when that scope's
     * outermost one closes.
     *
     * @param listeners the listeners to call
     * @param event     the callback's name, for the log line of a listener that throws
     * @param call      the callback, made on one listener
     * @throws VirtualMachineError a failure of the JVM itself (out of memory, an internal error)
     *                             other than a listener's stack overflowing
     */
    public static void fire(List<? extends ExecutionListener> listeners, String event,
                            Consumer<ExecutionListener> call) {
        List<Runnable> queue = DEFERRED.get();
        if (queue != null) {
            List<? extends ExecutionListener> these = List.copyOf(listeners);
            Object context = CallerContext.capture();
            queue.add(() -> CallerContext.callIn(context, () -> {
                call(these, event, call);
                return null;
            }));
            return;
        }
        call(listeners, event, call);
    }

    private static void call(List<? extends ExecutionListener> listeners, String event,
                             Consumer<ExecutionListener> call) {
        for (ExecutionListener l : listeners) {
            try {
                call.accept(l);
            } catch (StackOverflowError e) {
                // The listener's own recursion: its frames are unwound here, so it is a listener bug like any other.
                LOG.warn("execution listener {} failed on {}", l, event, e);
            } catch (VirtualMachineError e) {
                throw e; // out of memory, an internal error: the JVM itself is in trouble
            } catch (Throwable e) {
                // The data is committed: a failing observer must not turn a stored write into an error.
                LOG.warn("execution listener {} failed on {}", l, event, e);
            }
        }
    }

    /**
     * Opens a scope on this thread in which {@link #fire} queues its calls instead of making them; open
     * it before taking the lock, so that closing it (try-with-resources) comes after the lock is
     * released. Scopes nest: an inner one's close does nothing, the outermost one's makes the queued
     * calls, in order, on this thread (a call fired by a listener then runs at once).
     *
     * @return the scope, to close once the lock is released
     */
    public static Deferral defer() {
        if (DEFERRED.get() != null) {
            return NESTED;
        }
        DEFERRED.set(new ArrayList<>());
        return OUTERMOST;
    }

    /** A {@link #defer()} scope; closing it makes the calls queued in it when it is the thread's outermost one. */
    public interface Deferral extends AutoCloseable {
        /**
         * Makes the queued calls (outermost scope), or does nothing (a nested one).
         *
         * @throws VirtualMachineError a failure of the JVM itself raised by a listener; the calls queued after it are dropped
         */
        @Override
        void close();
    }

    private static final Deferral NESTED = () -> { };

    private static final Deferral OUTERMOST = () -> {
        List<Runnable> queue = DEFERRED.get();
        DEFERRED.remove();
        if (queue != null) {
            for (Runnable r : queue) {
                r.run();
            }
        }
    };
}
