package dev.atlas.conversation;

import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

import dev.atlas.IllegalTransitionException;

/**
 * Lifecycle of a conversation. Allowed changes: open → archived | closed, archived → open |
 * closed. Closed is final: a closed conversation takes no new messages. Appending to an
 * archived conversation reopens it.
 */
public enum ConversationStatus {
    /** Stored as {@code "open"}. */
    OPEN("open"),
    /** Stored as {@code "archived"}. */
    ARCHIVED("archived"),
    /** Stored as {@code "closed"}. */
    CLOSED("closed");

    private final String wire;

    ConversationStatus(String wire) {
        this.wire = wire;
    }

    /**
     * The states this one may move to.
     *
     * @return the set
     */
    public Set<ConversationStatus> next() {
        return switch (this) {
            case OPEN -> EnumSet.of(ARCHIVED, CLOSED);
            case ARCHIVED -> EnumSet.of(OPEN, CLOSED);
            case CLOSED -> EnumSet.noneOf(ConversationStatus.class);
        };
    }

    /**
     * Whether this status may move to {@code target}.
     *
     * @param target the status to move to
     * @return whether this status may move to {@code target}
     */
    public boolean canMoveTo(ConversationStatus target) {
        return next().contains(target);
    }

    /**
     * Throws {@link dev.atlas.IllegalTransitionException} unless this status may move to {@code target}.
     *
     * @param target the status to move to
     */
    public void checkMoveTo(ConversationStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code ConversationStatus} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static ConversationStatus of(String value) {
        return Check.enumValue("status", ConversationStatus.class, value);
    }
}
