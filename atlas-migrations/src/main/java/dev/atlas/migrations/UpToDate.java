package dev.atlas.migrations;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * Decides, without Flyway, whether a database is exactly at the newest bundled migration. Any
 * doubt (no history table, an unreadable class path, a failed or newer row) answers "no", which
 * sends the caller through Flyway: this class may only ever skip work Flyway would not do.
 */
final class UpToDate {
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private UpToDate() {}

    /** Whether the history's latest row is a successful run of version {@code bundled}, the newest bundled one. */
    static boolean check(DataSource dataSource, AtlasMigrations.Dialect dialect, String prefix, long bundled) {
        try (Connection c = dataSource.getConnection()) {
            return check(c, dialect, prefix, bundled);
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /** {@link #check(DataSource, AtlasMigrations.Dialect, String, long)} on a connection the caller holds. */
    static boolean check(Connection c, AtlasMigrations.Dialect dialect, String prefix, long bundled) {
        try {
            String table = historyTable(c, dialect, prefix);
            if (table == null) {
                return false;
            }
            // The last row Flyway wrote decides: a successful run of the newest bundled version.
            // A failed row, a repeatable or baseline row, or any other version goes to Flyway.
            // Any failed row anywhere in the history (Flyway keeps them where DDL is not transactional) also does.
            try (PreparedStatement ps = c.prepareStatement("SELECT version, success, (SELECT count(*) FROM " + table
                    + " WHERE NOT success) FROM " + table + " ORDER BY installed_rank DESC LIMIT 1");
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                String version = rs.getString(1);
                boolean success = rs.getBoolean(2) && rs.getLong(3) == 0;
                return success && version != null && NUMBER.matcher(version).matches() && version.length() < 18
                        && Long.parseLong(version) == bundled;
            }
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The highest {@code installed_rank} in Atlas's history table; 0 when it has no row, -1 when it
     * does not exist or cannot be read. It only grows: a migrator that commits adds a row.
     */
    static long lastRank(DataSource dataSource, AtlasMigrations.Dialect dialect, String prefix) {
        try (Connection c = dataSource.getConnection()) {
            String table = historyTable(c, dialect, prefix);
            if (table == null) {
                return -1;
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(installed_rank), 0) FROM " + table);
                 ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        } catch (SQLException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * The history table exactly where Flyway keeps it (the connection's current schema on
     * PostgreSQL, {@code main} on SQLite), quoted; {@code null} when it does not exist there.
     */
    private static String historyTable(Connection c, AtlasMigrations.Dialect dialect, String prefix) throws SQLException {
        String name = prefix + "schema_history";
        String schema;
        String exists;
        if (dialect == AtlasMigrations.Dialect.POSTGRESQL) {
            try (PreparedStatement ps = c.prepareStatement("SELECT current_schema()"); ResultSet rs = ps.executeQuery()) {
                schema = rs.next() ? rs.getString(1) : null;
            }
            if (schema == null) {
                return null;
            }
            exists = "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?";
        } else {
            schema = "main";
            exists = "SELECT 1 FROM sqlite_master WHERE ? = 'main' AND type = 'table' AND name = ?";
        }
        try (PreparedStatement ps = c.prepareStatement(exists)) {
            ps.setString(1, schema);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
            }
        }
        return "\"" + schema.replace("\"", "\"\"") + "\".\"" + name + "\"";
    }
}
