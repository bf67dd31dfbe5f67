package dev.atlas.jdbi.internal.sql;

import dev.atlas.ConflictException;
import dev.atlas.NotFoundException;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one guarded status change: an UPDATE that matches only rows in a status allowed to move to
 * the target. When it matches nothing, the row is read again: missing is a
 * {@link NotFoundException}; a status that may not move is refused by the status type's own rule
 * ({@code checkMoveTo}); otherwise another call changed it in between, a {@link ConflictException}
 * on {@code status} the caller may retry.
 */
public final class Transition {
    private Transition() {}

    public static <T> T apply(Optional<T> moved, Supplier<Optional<T>> current, Supplier<NotFoundException> missing,
                              Consumer<T> checkMove) {
        if (moved.isPresent()) {
            return moved.get();
        }
        T now = current.get().orElseThrow(missing);
        checkMove.accept(now);
        throw new ConflictException("status", "was changed by a concurrent call; read it again and retry");
    }
}
