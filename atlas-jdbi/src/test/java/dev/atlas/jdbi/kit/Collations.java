package dev.atlas.jdbi.kit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * PostgreSQL databases are often created with a natural-language collation ({@code en_US.UTF-8},
 * the default of the official images and of most managed services), which orders {@code "B"}
 * after {@code "a"} and ignores {@code -} and {@code _} at first; the test server's databases
 * use {@code C.UTF-8}. {@link #natural} gives one column such a collation, so a test can check
 * that Atlas's text listings come back in code point order, as on SQLite, whatever the database's.
 */
final class Collations {
    private Collations() {}

    /** On PostgreSQL, re-types {@code atlas_<table>.<column>} with the ICU English collation; on SQLite, nothing. */
    static void natural(TestDatabase database, String table, String column) {
        if (!database.name().startsWith("PostgreSQL")) {
            return;
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE atlas_" + table + " ALTER COLUMN " + column + " TYPE text COLLATE \"en-x-icu\"");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
