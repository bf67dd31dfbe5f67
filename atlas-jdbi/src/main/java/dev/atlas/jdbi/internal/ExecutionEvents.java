package dev.atlas.jdbi.internal;

import dev.atlas.execution.ExecutionListener;
import dev.atlas.internal.ListenerCalls;

import java.util.List;
import java.util.function.Consumer;

/**
 * Calls the application's {@link ExecutionListener}s. The recorder calls {@link #fire} only after
 * {@link Db#write} returned, that is after the commit and outside the SQLite write lock, so a
 * listener never runs inside a transaction and a rolled-back write fires nothing.
 */
final class ExecutionEvents {
    private final List<ExecutionListener> listeners;

    ExecutionEvents(List<ExecutionListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    /** Whether any listener is registered: the recorder reads stored rows back only then. */
    boolean active() {
        return !listeners.isEmpty();
    }

    /** Runs {@code event} on every listener; one that throws is logged and the others still run ({@link ListenerCalls}). */
    void fire(String event, Consumer<ExecutionListener> call) {
        ListenerCalls.fire(listeners, event, call);
    }
}
