package dev.atlas;

import dev.atlas.internal.Check;
import java.util.List;
import java.util.Optional;

/**
 * One page of a keyset-paginated listing. Pass {@link #nextCursor()} to the same query to get
 * the next page; it is empty on the last page. Cursors are opaque and belong to the tenant,
 * listing and filter that handed them out: any other cursor (another tenant's, even for the same
 * call, another listing's or filter's, an edited one) is refused with an
 * {@link InvalidInputException} on {@code cursor} that reveals nothing of it. Cursors handed out
 * by Atlas versions before cursors were bound to their tenant are refused once: start the
 * listing again.
 *
 * @param <T> the item type
 * @param items the items of this page in the query's order; empty when nothing (more) matches
 * @param nextCursor the cursor of the next page; empty on the last page
 */
public record Page<T>(List<T> items, Optional<String> nextCursor) {
    /**
     * Copies {@code items}, so the page does not change with the caller's list.
     *
     * @param items the items
     * @param nextCursor the next cursor
     * @throws InvalidInputException naming {@code items} or {@code nextCursor} when it is {@code null}, or {@code items}
     *         when it holds a {@code null}
     */
    public Page {
        items = Check.copy("items", items);
        Check.notNull("nextCursor", nextCursor);
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
