package dev.atlas.jdbi.internal;

import dev.atlas.Limits;
import dev.atlas.UnreadableRowException;
import dev.atlas.jdbi.internal.sql.RowMapper;
import org.jspecify.annotations.Nullable;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A keyset listing that skips the rows this version cannot read, each named in one WARN, and reads on past them so a page
 * is full whenever more readable rows follow (tasks and task schedules: claim fails an unreadable task, so the failed
 * tasks an operator lists would otherwise be unreadable as a whole). Two rows stop it with {@link UnreadableRowException}
 * instead of reading on: one whose key does not page past it (unreadable, or read as a value that does not order as
 * stored: the same rows would come back forever), and the {@value #MAX_SKIPPED_IN_A_ROW}th unreadable row in a row (a
 * table of unreadable rows was read in full by every listing: about 2,000 statements for 100,000 rows).
 *
 * @param <T> the listed type
 * @param <K> the keyset key of a row
 */
final class SkippingListing<T, K> {
    /** Unreadable rows one listing call skips in a row before it fails naming the first of them. */
    static final int MAX_SKIPPED_IN_A_ROW = Limits.MAX_PAGE_SIZE;

    /** A fetched row: its value, or null when unreadable (then {@code unreadable} says why); its key, or null when that cannot be read either. */
    record Row<T, K>(@Nullable T value, String id, @Nullable K key, @Nullable UnreadableRowException unreadable) {}

    /** Reads the keyset key of a row whose value cannot be read. */
    interface RowKey<K> {
        K read(ResultSet rs) throws SQLException;
    }

    /** The page of rows after {@code key} (from the start when null), in key order, at most {@code limit}. */
    interface Fetch<T, K> {
        List<Row<T, K>> after(@Nullable K key, int limit);
    }

    private final String table;
    private final String keyColumn;
    private final String noun;
    private final String tenant;
    private final TaskSchedules.Warned warned;
    private final org.slf4j.Logger log;

    /**
     * @param table the table, as {@link UnreadableRowException#table()} names it
     * @param keyColumn the column that orders the listing (named when the listing cannot page past a row)
     * @param noun the row's name in a warning ("task", "task schedule")
     */
    SkippingListing(String table, String keyColumn, String noun, String tenant, TaskSchedules.Warned warned, org.slf4j.Logger log) {
        this.table = table;
        this.keyColumn = keyColumn;
        this.noun = noun;
        this.tenant = tenant;
        this.warned = warned;
        this.log = log;
    }

    /** {@code mapper}'s rows as listed: a row it cannot read keeps its id and, where {@code rowKey} still reads, its key. */
    static <T, K> RowMapper<Row<T, K>> rows(RowMapper<T> mapper, Function<T, String> idOf, Function<T, K> keyOf, RowKey<K> rowKey) {
        return (rs, ctx) -> {
            try {
                T value = mapper.map(rs, ctx);
                return new Row<>(value, idOf.apply(value), keyOf.apply(value), null);
            } catch (UnreadableRowException e) {
                K key;
                try {
                    key = rowKey.read(rs);
                } catch (RuntimeException | SQLException keyUnreadable) {
                    key = null;
                    e.addSuppressed(keyUnreadable);
                }
                return new Row<>(null, String.valueOf(e.rowId()), key, e);
            }
        };
    }

    /**
     * The readable rows after {@code start}: {@code limit + 1} of them when more follow ({@link
     * dev.atlas.jdbi.internal.sql.Cursor#page} then says so), fewer on the last page.
     */
    List<T> read(@Nullable K start, int limit, Fetch<T, K> fetch) {
        List<T> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        K after = start;
        Row<T, K> pagedFrom = null;
        Row<T, K> firstSkipped = null;
        int skippedInARow = 0;
        while (true) {
            List<Row<T, K>> page = fetch.after(after, limit + 1);
            for (Row<T, K> row : page) {
                if (!seen.add(row.id())) {
                    throw cannotPagePast(pagedFrom, "its stored value does not order as the " + pagedFrom.key() + " read from it",
                            new IllegalStateException("keyset did not advance"));
                }
            }
            for (Row<T, K> row : page) {
                if (row.value() != null) {
                    found.add(row.value());
                    skippedInARow = 0;
                    continue;
                }
                UnreadableRowException why = row.unreadable();
                warned.once(table + " " + tenant + " " + row.id() + " " + why.why(), () -> log.warn(
                        "Skipping {} {} of tenant {} in a listing: this version cannot read it: {}", noun, row.id(), tenant, why.why()));
                firstSkipped = skippedInARow == 0 ? row : firstSkipped;
                if (++skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                    throw new UnreadableRowException(table, firstSkipped.id(), "this row and the " + (MAX_SKIPPED_IN_A_ROW - 1)
                            + " listed after it cannot be read; a listing skips at most " + MAX_SKIPPED_IN_A_ROW
                            + " unreadable rows in a row: repair or delete them", firstSkipped.unreadable());
                }
            }
            if (found.size() > limit || page.size() <= limit) {
                return found;
            }
            pagedFrom = page.get(page.size() - 1);
            if (pagedFrom.key() == null) {
                UnreadableRowException e = pagedFrom.unreadable();
                Throwable keyError = e.getSuppressed().length > 0 ? e.getSuppressed()[0] : e;
                throw cannotPagePast(pagedFrom, "its " + keyColumn + " cannot be read: " + dev.atlas.internal.Check.bounded(
                        keyError instanceof UnreadableRowException u ? u.why() : String.valueOf(keyError.getMessage())), keyError);
            }
            after = pagedFrom.key();
        }
    }

    /** {@code row} is the last of a full page and the next page cannot start after it. */
    private UnreadableRowException cannotPagePast(Row<T, K> row, String why, Throwable cause) {
        return new UnreadableRowException(table, row.id(), keyColumn + ": a listing cannot page past this row, " + why, cause);
    }
}
