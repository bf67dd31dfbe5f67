package dev.atlas.conversation;

import dev.atlas.InvalidInputException;
import dev.atlas.internal.Check;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What happened to a message, as recorded in its audit trail: one of Atlas's own types (the
 * constants, each one instance, so {@code ==} compares them) or an application's type made with
 * {@link #app}, stored as {@code "app."} and its name.
 */
public final class MessageEventType {
    /** Longest name of an {@link #app} type. */
    public static final int MAX_APP_NAME_LENGTH = 64;
    private static final Pattern APP_NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*");
    private static final String APP_PREFIX = "app.";

    /** Stored as {@code "created"}; details hold the message's {@code sequence}, {@code role} and {@code status} as appended. */
    public static final MessageEventType CREATED = new MessageEventType("created");
    /**
     * Stored as {@code "edited"}; details hold {@code previousContent}, and on a message's first
     * edit also {@code original: true} (its previous content is what was sent).
     */
    public static final MessageEventType EDITED = new MessageEventType("edited");
    /** Stored as {@code "deleted"}. */
    public static final MessageEventType DELETED = new MessageEventType("deleted");
    /** Stored as {@code "status_changed"}; details hold {@code from}, {@code to} and any {@code reason}. */
    public static final MessageEventType STATUS_CHANGED = new MessageEventType("status_changed");
    /** Stored as {@code "activated"}. */
    public static final MessageEventType ACTIVATED = new MessageEventType("activated");
    /** Stored as {@code "metadata_updated"}; details hold {@code previousMetadata}. */
    public static final MessageEventType METADATA_UPDATED = new MessageEventType("metadata_updated");
    /** Stored as {@code "restored"}; details hold {@code active}, whether it came back on the active branch. */
    public static final MessageEventType RESTORED = new MessageEventType("restored");

    private static final List<MessageEventType> ATLAS = List.of(CREATED, EDITED, DELETED, STATUS_CHANGED, ACTIVATED,
            METADATA_UPDATED, RESTORED);

    private final String wire;

    private MessageEventType(String wire) {
        this.wire = wire;
    }

    /**
     * An application-defined type, stored as {@code "app." + name}.
     *
     * @param name lower-case words of letters, digits and underscores, separated by dots, starting
     *             with a letter, at most {@value #MAX_APP_NAME_LENGTH} characters (for example
     *             {@code "refund_requested"} or {@code "moderation.flagged"})
     * @return the type
     * @throws InvalidInputException naming {@code type} when the name is not of that form
     */
    public static MessageEventType app(String name) {
        Check.notNull("type", name);
        if (name.length() > MAX_APP_NAME_LENGTH || !APP_NAME.matcher(name).matches()) {
            throw new InvalidInputException("type", "app event name " + Check.quoted(name) + " must be lower-case words of a-z, 0-9"
                    + " and _ separated by dots, starting with a letter, at most " + MAX_APP_NAME_LENGTH + " characters");
        }
        return new MessageEventType(APP_PREFIX + name);
    }

    /**
     * Whether an application defined this type (with {@link #app}).
     *
     * @return whether it is an application's type
     */
    public boolean isApp() {
        return wire.startsWith(APP_PREFIX);
    }

    /**
     * The application's name of an {@link #app} type, without {@code "app."}.
     *
     * @return the name, or {@code null} for Atlas's own types
     */
    public @org.jspecify.annotations.Nullable String appName() {
        return isApp() ? wire.substring(APP_PREFIX.length()) : null;
    }

    @Override
    public String toString() {
        return wire;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageEventType t && t.wire.equals(wire);
    }

    @Override
    public int hashCode() {
        return wire.hashCode();
    }

    /**
     * The type stored as {@code value}: one of the constants, or an {@link #app} type.
     *
     * @param value the stored text
     * @return the type
     * @throws InvalidInputException naming {@code type} for any other text
     */
    public static MessageEventType of(String value) {
        Check.notNull("type", value);
        for (MessageEventType t : ATLAS) {
            if (t.wire.equals(value)) {
                return t;
            }
        }
        if (value.startsWith(APP_PREFIX)) {
            return app(value.substring(APP_PREFIX.length()));
        }
        throw new InvalidInputException("type", Check.quoted(value) + " is not a message event type: one of " + ATLAS
                + " or app.<name>");
    }
}
