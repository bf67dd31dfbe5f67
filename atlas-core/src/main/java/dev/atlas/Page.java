package dev.atlas;

import java.util.List;
import java.util.Optional;

/**
 * One page of a keyset-paginated listing. Pass {@link #nextCursor()} to the same query to get
 * the next page; it is empty on the last page. Cursors are opaque.
 */
public record Page<T>(List<T> items, Optional<String> nextCursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param items the items
     * @param nextCursor the next cursor
     */
    public Page {
        items = List.copyOf(items);
    }

    /**
     * Whether another page follows.
     *
     * @return whether another page follows
     */
    public boolean hasMore() {
        return nextCursor.isPresent();
    }
}
