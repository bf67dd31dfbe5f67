package dev.atlas.task;

import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

import dev.atlas.IllegalTransitionException;

/**
 * Lifecycle of a {@link Task}. Allowed changes: pending → running | cancelled; running →
 * completed | failed | pending (a failed attempt that will be retried) | cancelled. Completed,
 * failed and cancelled are final.
 */
public enum TaskStatus {
    PENDING("pending"),
    RUNNING("running"),
    COMPLETED("completed"),
    FAILED("failed"),
    CANCELLED("cancelled");

    private final String wire;

    TaskStatus(String wire) {
        this.wire = wire;
    }

    /** The states this one may move to. */
    public Set<TaskStatus> next() {
        return switch (this) {
            case PENDING -> EnumSet.of(RUNNING, CANCELLED);
            case RUNNING -> EnumSet.of(PENDING, COMPLETED, FAILED, CANCELLED);
            case COMPLETED, FAILED, CANCELLED -> EnumSet.noneOf(TaskStatus.class);
        };
    }

    public boolean isFinal() {
        return next().isEmpty();
    }

    public boolean canMoveTo(TaskStatus target) {
        return next().contains(target);
    }

    /** Throws {@link IllegalTransitionException} unless this state may move to {@code target}. */
    public void checkMoveTo(TaskStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    public static TaskStatus of(String value) {
        return Check.enumValue("status", TaskStatus.class, value);
    }
}
