package dev.atlas.internal;

import dev.atlas.execution.ExecutionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * Calls {@link ExecutionListener}s as {@link ExecutionListener}'s Javadoc promises: in order, and
 * one that throws (its stack overflowing included) is logged at warn under the listener
 * interface's logger and swallowed, the others still run. The recorder (atlas-jdbi) calls its
 * registered listeners through it, and the Spring Boot starter the application's listener beans,
 * so both behave alike.
 */
public final class ListenerCalls {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionListener.class);

    private ListenerCalls() {}

    /**
     * Runs {@code call} on every listener, in order.
     *
     * @param listeners the listeners to call
     * @param event     the callback's name, for the log line of a listener that throws
     * @param call      the callback, made on one listener
     * @throws VirtualMachineError a failure of the JVM itself (out of memory, an internal error)
     *                             other than a listener's stack overflowing
     */
    public static void fire(List<? extends ExecutionListener> listeners, String event,
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
}
