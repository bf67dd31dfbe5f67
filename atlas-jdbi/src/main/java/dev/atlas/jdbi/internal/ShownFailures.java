package dev.atlas.jdbi.internal;

import dev.atlas.internal.Check;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Another component's exception (a blob store's, a JSON reader's) as Atlas may carry it in its
 * own: its text is the component's, may quote anything (a stored row, a megabyte) and reaches the
 * application's logs whole with a logged stack trace, cause and suppressed exceptions included.
 */
public final class ShownFailures {
    private ShownFailures() {}

    /** Deeper cause chains are cut: no component nests its exceptions so far. */
    private static final int MAX_DEPTH = 16;

    /**
     * {@code e} itself when every message of it, its causes and its suppressed exceptions reads as
     * {@link Check#bounded} shows it; otherwise a copy of the chain whose messages are the class
     * name and the bounded text, with the original stack traces.
     *
     * @param e the exception, or {@code null}
     * @return {@code e}, or its scrubbed copy
     */
    public static @org.jspecify.annotations.Nullable Throwable scrubbed(@org.jspecify.annotations.Nullable Throwable e) {
        return scrubbed(e, Check::bounded);
    }

    /**
     * {@code e} itself when {@code shown} changes no message of it, its causes and its suppressed
     * exceptions; otherwise a copy of the chain whose messages are the class name and the shown
     * text, with the original stack traces (a driver's text with its secrets masked, a component's
     * text bounded).
     *
     * @param e the exception, or {@code null}
     * @param shown what a message may show of the text
     * @return {@code e}, or its scrubbed copy
     */
    public static @org.jspecify.annotations.Nullable Throwable scrubbed(@org.jspecify.annotations.Nullable Throwable e, UnaryOperator<String> shown) {
        return e == null || clean(e, shown, 0) ? e : copy(e, shown, 0);
    }

    private static boolean clean(Throwable e, UnaryOperator<String> shown, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        String message = e.getMessage();
        if (message != null && !message.equals(shown.apply(message))) {
            return false;
        }
        for (Throwable s : e.getSuppressed()) {
            if (!clean(s, shown, depth + 1)) {
                return false;
            }
        }
        Throwable cause = e.getCause();
        return cause == null || cause == e || clean(cause, shown, depth + 1);
    }

    private static Throwable copy(Throwable e, UnaryOperator<String> shown, int depth) {
        Throwable cause = e.getCause();
        String message = e.getMessage();
        RuntimeException copy = new RuntimeException(e.getClass().getName() + (message == null ? "" : ": " + shown.apply(message)),
                cause == null || cause == e || depth >= MAX_DEPTH ? null : copy(cause, shown, depth + 1));
        copy.setStackTrace(e.getStackTrace());
        if (depth < MAX_DEPTH) {
            for (Throwable s : e.getSuppressed()) {
                copy.addSuppressed(copy(Objects.requireNonNull(s), shown, depth + 1));
            }
        }
        return copy;
    }
}
