package dev.atlas;

/**
 * A stored row could not be read back: its JSON does not parse within Atlas's limits, or a
 * column holds a value Atlas never writes (for example a row written by hand or by an older
 * version). Only that row fails; the message names its table and id so it can be repaired or
 * deleted. Atlas refuses such values on write, so a row written through Atlas never causes this.
 */
public class CorruptDataException extends AtlasException {
    private final String table;
    private final String rowId;
    private final String problem;

    public CorruptDataException(String table, String rowId, String problem, Throwable cause) {
        super(describe(table, rowId) + problem, cause);
        this.table = table;
        this.rowId = rowId;
        this.problem = problem;
    }

    private static String describe(String table, String rowId) {
        if (table == null) {
            return "stored data could not be read: ";
        }
        return "stored row " + table + (rowId == null ? "" : " " + rowId) + " could not be read: ";
    }

    /** The logical table of the unreadable row (for example {@code "memories"}), or {@code null} when unknown. */
    public String table() {
        return table;
    }

    /** The id of the unreadable row, or {@code null} when unknown. */
    public String rowId() {
        return rowId;
    }

    /** What was wrong with the stored value, without the table and row. */
    public String problem() {
        return problem;
    }
}
