package dev.atlas.conversation;

import dev.atlas.internal.Check;

import java.util.EnumSet;
import java.util.Set;

import dev.atlas.IllegalTransitionException;

/**
 * Delivery state of a message. Allowed changes: queued → processing | delivered | failed,
 * processing → delivered | failed, failed → queued (to resend). Delivered is final.
 */
public enum MessageStatus {
    QUEUED("queued"),
    PROCESSING("processing"),
    DELIVERED("delivered"),
    FAILED("failed");

    private final String wire;

    MessageStatus(String wire) {
        this.wire = wire;
    }

    /** The states this one may move to. */
    public Set<MessageStatus> next() {
        return switch (this) {
            case QUEUED -> EnumSet.of(PROCESSING, DELIVERED, FAILED);
            case PROCESSING -> EnumSet.of(DELIVERED, FAILED);
            case FAILED -> EnumSet.of(QUEUED);
            case DELIVERED -> EnumSet.noneOf(MessageStatus.class);
        };
    }

    /** Whether a message in this state may move to {@code target}. */
    public boolean canMoveTo(MessageStatus target) {
        return next().contains(target);
    }

    /** Throws {@link IllegalTransitionException} unless this state may move to {@code target}. */
    public void checkMoveTo(MessageStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    public static MessageStatus of(String value) {
        return Check.enumValue("status", MessageStatus.class, value);
    }
}
