package dev.atlas.execution;

import dev.atlas.IllegalTransitionException;
import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle of an execution, a step or a tool call. Allowed changes: pending → queued |
 * processing | cancelled, queued → processing | cancelled, processing → completed | failed |
 * cancelled. Completed, failed and cancelled are final.
 */
public enum ExecutionStatus {
    PENDING("pending"),
    QUEUED("queued"),
    PROCESSING("processing"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled");

    private final String wire;

    ExecutionStatus(String wire) {
        this.wire = wire;
    }

    /** The states this one may move to. */
    public Set<ExecutionStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(QUEUED, PROCESSING, CANCELLED);
            case QUEUED -> EnumSet.of(PROCESSING, CANCELLED);
            case PROCESSING -> EnumSet.of(COMPLETED, FAILED, CANCELLED);
            case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(ExecutionStatus.class);
        };
    }

    public boolean canMoveTo(ExecutionStatus target) {
        return next().contains(target);
    }

    /** Throws {@link IllegalTransitionException} unless this state may move to {@code target}. */
    public void checkMoveTo(ExecutionStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    /** Whether no further change is allowed. */
    public boolean isFinal() {
        return next().isEmpty();
    }

    /** The states that may move to {@code target}. */
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

    public static ExecutionStatus of(String value) {
        return Check.enumValue("status", ExecutionStatus.class, value);
    }
}
