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
    /** Stored as {@code "queued"}. */
    QUEUED("queued"),
    /** Stored as {@code "processing"}. */
    PROCESSING("processing"),
    /** Stored as {@code "delivered"}. */
    DELIVERED("delivered"),
    /** Stored as {@code "failed"}. */
    FAILED("failed");

    private final String wire;

    MessageStatus(String wire) {
        this.wire = wire;
    }

    /**
     * The states this one may move to.
     *
     * @return the set
     */
    public Set<MessageStatus> next() {
        return switch (this) {
            case QUEUED -> EnumSet.of(PROCESSING, DELIVERED, FAILED);
            case PROCESSING -> EnumSet.of(DELIVERED, FAILED);
            case FAILED -> EnumSet.of(QUEUED);
            case DELIVERED -> EnumSet.noneOf(MessageStatus.class);
        };
    }

    /**
     * Whether a message in this state may move to {@code target}.
     *
     * @param target the status to move to
     * @return whether a message in this state may move to {@code target}
     */
    public boolean canMoveTo(MessageStatus target) {
        return next().contains(target);
    }

    /**
     * Throws {@link IllegalTransitionException} unless this state may move to {@code target}.
     *
     * @param target the status to move to
     */
    public void checkMoveTo(MessageStatus target) {
        if (!canMoveTo(target)) {
            throw new IllegalTransitionException("status", this, target, next().isEmpty() ? "none (final)" : next().toString());
        }
    }

    @Override
    public String toString() {
        return wire;
    }

    /**
     * Creates a {@code MessageStatus} from {@code value}.
     *
     * @param value the value
     * @return the new value
     */
    public static MessageStatus of(String value) {
        return Check.enumValue("status", MessageStatus.class, value);
    }
}
