package dev.atlas.jdbi.internal;

import dev.atlas.execution.ExecutionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * Calls the application's {@link ExecutionListener}s. The recorder calls {@link #fire} only after
 * {@link Db#write} returned, that is after the commit and outside the SQLite write lock, so a
 * listener never runs inside a transaction and a rolled-back write fires nothing.
 */
final class ExecutionEvents {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionListener.class);

    private final List<ExecutionListener> listeners;

    ExecutionEvents(List<ExecutionListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** Whether any listener is registered: the recorder reads stored rows back only then. */
    boolean active() {
        return !listeners.isEmpty();
    }

    /** Runs {@code event} on every listener; one that throws (its stack overflowing included) is logged and the others still run. */
    void fire(String event, Consumer<ExecutionListener> call) {
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
