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
    OPEN("open"),
    ARCHIVED("archived"),
    CLOSED("closed");

    private final String wire;

    ConversationStatus(String wire) {
        this.wire = wire;
    }

    public Set<ConversationStatus> next() {
        return switch (this) {
            case OPEN -> EnumSet.of(ARCHIVED, CLOSED);
            case ARCHIVED -> EnumSet.of(OPEN, CLOSED);
            case CLOSED -> EnumSet.noneOf(ConversationStatus.class);
        };
    }

    public boolean canMoveTo(ConversationStatus target) {
        return next().contains(target);
    }

    public void checkMoveTo(ConversationStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    public static ConversationStatus of(String value) {
        return Check.enumValue("status", ConversationStatus.class, value);
    }
}
