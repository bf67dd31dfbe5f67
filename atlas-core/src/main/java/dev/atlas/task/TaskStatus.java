package dev.atlas.task;

import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

import dev.atlas.IllegalTransitionException;

/**
 * Lifecycle of a {@link Task}. Allowed changes: pending → running | cancelled | completed |
 * failed (the last two only by an operator, {@link TaskStore#completeAsOperator} and
 * {@link TaskStore#failAsOperator}); running → completed | failed | pending (a failed attempt
 * that will be retried) | cancelled. Completed, failed and cancelled are final: no worker or
 * automatic step leaves them; only an operator's {@link TaskStore#requeue} moves a failed task
 * back to pending.
 */
public enum TaskStatus {
    /** Stored as {@code "pending"}. */
    PENDING("pending"),
    /** Stored as {@code "running"}. */
    RUNNING("running"),
    /** Stored as {@code "completed"}. */
    COMPLETED("completed"),
    /** Stored as {@code "failed"}. */
    FAILED("failed"),
    /** Stored as {@code "cancelled"}. */
    CANCELLED("cancelled");

    private final String wire;

    TaskStatus(String wire) {
        this.wire = wire;
    }

    /**
     * The states this one may move to.
     *
     * @return the set
     */
    public Set<TaskStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(RUNNING, CANCELLED, COMPLETED, FAILED);
            case RUNNING -> EnumSet.of(PENDING, COMPLETED, FAILED, CANCELLED);
            case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(TaskStatus.class);
        };
    }

    /**
     * Whether no transition leaves this status.
     *
     * @return whether no transition leaves this status
     */
    public boolean isFinal() {
        return next().isEmpty();
    }

    /**
     * Whether this status may move to {@code target}.
     *
     * @param target the status to move to
     * @return whether this status may move to {@code target}
     */
    public boolean canMoveTo(TaskStatus target) {
        return next().contains(target);
    }

    /**
     * Throws {@link IllegalTransitionException} unless this state may move to {@code target}.
     *
     * @param target the status to move to
     */
    public void checkMoveTo(TaskStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code TaskStatus} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static TaskStatus of(String value) {
        return Check.enumValue("status", TaskStatus.class, value);
    }
}
