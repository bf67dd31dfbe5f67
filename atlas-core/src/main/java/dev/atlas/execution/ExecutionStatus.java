package dev.atlas.execution;

import dev.atlas.IllegalTransitionException;
import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle of an execution, a step or a tool call. Allowed changes: pending → queued |
 * processing | cancelled, queued → processing | cancelled, processing → completed | failed |
 * cancelled. Completed, failed and cancelled are final. The sweep
 * ({@link ExecutionRecorder#sweepInterrupted}) alone also fails a pending execution or tool call,
 * and a queued tool call whose execution is over, as interrupted.
 */
public enum ExecutionStatus {
    /** Stored as {@code "pending"}. */
    PENDING("pending"),
    /** Stored as {@code "queued"}. */
    QUEUED("queued"),
    /** Stored as {@code "processing"}. */
    PROCESSING("processing"),
    /** Stored as {@code "completed"}. */
    COMPLETED("completed"),
    /** Stored as {@code "failed"}. */
    FAILED("failed"),
    /** Stored as {@code "cancelled"}. */
    CANCELLED("cancelled");

    private final String wire;

    ExecutionStatus(String wire) {
        this.wire = wire;
    }

    /**
     * The states this one may move to.
     *
     * @return the set
     */
    public Set<ExecutionStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(QUEUED, PROCESSING, CANCELLED);
            case QUEUED -> EnumSet.of(PROCESSING, CANCELLED);
            case PROCESSING -> EnumSet.of(COMPLETED, FAILED, CANCELLED);
            case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(ExecutionStatus.class);
        };
    }

    /**
     * Whether this status may move to {@code target}.
     *
     * @param target the status to move to
     * @return whether this status may move to {@code target}
     */
    public boolean canMoveTo(ExecutionStatus target) {
        return next().contains(target);
    }

    /**
     * Throws {@link IllegalTransitionException} unless this state may move to {@code target}.
     *
     * @param target the status to move to
     */
    public void checkMoveTo(ExecutionStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    /**
     * Whether no further change is allowed.
     *
     * @return whether no further change is allowed
     */
    public boolean isFinal() {
        return next().isEmpty();
    }

    /**
     * The states that may move to {@code target}.
     *
     * @param target the status to move to
     * @return the statuses from which {@code target} may be reached
     */
    public static Set<ExecutionStatus> from(ExecutionStatus target) {
        Set<ExecutionStatus> from = EnumSet.noneOf(ExecutionStatus.class);
        for (ExecutionStatus s : values()) {
            if (s.canMoveTo(target)) {
                from.add(s);
            }
        }
        return from;
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates an {@code ExecutionStatus} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static ExecutionStatus of(String value) {
        return Check.enumValue("status", ExecutionStatus.class, value);
    }
}
