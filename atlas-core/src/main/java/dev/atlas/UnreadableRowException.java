package dev.atlas;

import org.jspecify.annotations.Nullable;

/**
 * A stored row cannot be read back: a column holds a value this version of Atlas does not accept
 * (written by an older version, by hand, or by another tool). The row is left as it is; the
 * message names the table and the row's id so an operator can repair or delete it.
 */
public class UnreadableRowException extends AtlasException {
    /** The table without the configured prefix, or {@code null}. */
    private final @Nullable String table;
    /** The row's id, or {@code null}. */
    private final @Nullable String rowId;
    /** What is wrong with the stored value. */
    private final String why;

    /**
     * Creates the exception.
     *
     * @param table the table, or {@code null}
     * @param rowId the row id, or {@code null}
     * @param why what is wrong
     * @param cause the underlying failure
     */
    public UnreadableRowException(@Nullable String table, @Nullable String rowId, String why, Throwable cause) {
        super((table == null ? "a stored value" : table + " row " + rowId) + " is unreadable: " + why, cause);
        this.table = table;
        this.rowId = rowId;
        this.why = why;
    }

    /**
     * The table without the configured prefix, for example {@code "tasks"}; {@code null} only
     * while a value is being parsed, before the row it belongs to is known (never thrown by a store).
     *
     * @return the table, or {@code null}
     */
    public @Nullable String table() {
        return table;
    }

    /**
     * The row's id as stored, or {@code null}.
     *
     * @return the row id, or {@code null}
     */
    public @Nullable String rowId() {
        return rowId;
    }

    /**
     * What could not be read, starting with the column, for example {@code "payload: ..."}.
     *
     * @return what is wrong
     */
    public String why() {
        return why;
    }
}
