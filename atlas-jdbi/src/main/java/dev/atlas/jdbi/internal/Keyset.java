package dev.atlas.jdbi.internal;

/**
 * The keyset condition of a listing ordered by a column then its id: the rows strictly after the
 * cursor's row {@code (:at, :id)}. Written once for every catalogue: the OR alone
 * ({@code x > :at OR (x = :at AND id > :id)}) gives neither database an index range start, so
 * each page after a cursor would read every row of the pages before it again (SQLite searches the
 * equality columns only, PostgreSQL filters): paging through n rows would cost O(n²). The first
 * term ({@code x >= :at}, {@code x <= :at} newest first) starts the index range at the cursor's
 * key; the OR then breaks a tie of that key by id.
 */
final class Keyset {
    private Keyset() {}

    /**
     * Rows after the cursor in ascending {@code (column, idColumn)} order.
     *
     * @param column the ordering column, the index's column after its equality columns
     * @param idColumn the tie-breaking id column
     * @param at the parameter name (without the colon) of the cursor's {@code column} value
     * @param id the parameter name (without the colon) of the cursor's id
     * @return the condition, parenthesized where it needs to be to follow an {@code AND}
     */
    static String after(String column, String idColumn, String at, String id) {
        return condition(column, idColumn, at, id, '>');
    }

    /**
     * Rows after the cursor in descending {@code (column, idColumn)} order (newest first): those before it.
     *
     * @param column the ordering column, the index's column after its equality columns
     * @param idColumn the tie-breaking id column
     * @param at the parameter name (without the colon) of the cursor's {@code column} value
     * @param id the parameter name (without the colon) of the cursor's id
     * @return the condition, parenthesized where it needs to be to follow an {@code AND}
     */
    static String before(String column, String idColumn, String at, String id) {
        return condition(column, idColumn, at, id, '<');
    }

    private static String condition(String column, String idColumn, String at, String id, char op) {
        return column + " " + op + "= :" + at + " AND (" + column + " " + op + " :" + at + " OR (" + column + " = :" + at
                + " AND " + idColumn + " " + op + " :" + id + "))";
    }
}
