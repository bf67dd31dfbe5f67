package dev.atlas.migrations;

import dev.atlas.StorageException;

import javax.sql.DataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Migrates a new, empty SQLite database without Flyway: the bundled scripts in version order,
 * the same SQL with the same placeholder, and the history table Flyway would have written (its
 * DDL, descriptions, script names, checksums, ranks, installer, success), all in one
 * transaction. A later Flyway run validates that history and applies newer scripts on top.
 *
 * <p>Starting Flyway costs a new file most of its time to the first message (class loading, a
 * class path scan, a transaction per script), and a new file is where that cost is paid by every
 * application's first run and every test. Anything other than an empty database in autocommit
 * mode, or scripts this class cannot prepare exactly as Flyway would, answers -1 and leaves the
 * work to Flyway.
 */
final class FreshSqlite {
    /** Flyway 11's SQLite history table DDL (SQLiteDatabase.getRawCreateScript, no baseline row). */
    private static final String HISTORY_DDL = """
            CREATE TABLE %1$s (
                "installed_rank" INT NOT NULL PRIMARY KEY,
                "version" VARCHAR(50),
                "description" VARCHAR(200) NOT NULL,
                "type" VARCHAR(20) NOT NULL,
                "script" VARCHAR(1000) NOT NULL,
                "checksum" INT,
                "installed_by" VARCHAR(100) NOT NULL,
                "installed_on" TEXT NOT NULL DEFAULT (strftime('%%Y-%%m-%%d %%H:%%M:%%f','now')),
                "execution_time" INT NOT NULL,
                "success" BOOLEAN NOT NULL
            )""";
    private static final String HISTORY_INDEX = "CREATE INDEX \"main\".\"%1$s_s_idx\" ON \"%1$s\" (\"success\")";
    /** Flyway's own insert: installed_on left to the column default, as Flyway does. */
    private static final String HISTORY_INSERT = "INSERT INTO %1$s (\"installed_rank\", \"version\", \"description\", \"type\","
            + " \"script\", \"checksum\", \"installed_by\", \"execution_time\", \"success\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private FreshSqlite() {}

    private record Prepared(Bundled.Script script, String sql, int checksum) {}

    /**
     * Applies {@code scripts} from {@code folder} to the database if it is empty; returns how many
     * were applied, or -1 when the database is not empty or a script needs Flyway. A failing
     * script rolls everything back (the file stays empty) and throws {@link StorageException}.
     */
    static int apply(DataSource dataSource, ClassLoader loader, String folder, List<Bundled.Script> scripts, String prefix) {
        List<Prepared> prepared = new ArrayList<>();
        try {
            for (Bundled.Script s : scripts) {
                String text = Bundled.read(loader, folder, s);
                if (text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                String sql = text.replace("${prefix}", prefix);
                if (sql.contains("${")) {
                    return -1;  // another placeholder (Flyway's built-ins or a typo): Flyway's rules apply
                }
                prepared.add(new Prepared(s, sql, checksum(text)));
            }
        } catch (IOException e) {
            return -1;
        }
        String table = "\"main\".\"" + prefix + "schema_history\"";
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit() || !empty(c)) {
                return -1;
            }
            try (Statement st = c.createStatement()) {
                // The write lock first, then the emptiness check again: another process may have
                // migrated the file since; it then goes through the history check as usual.
                st.executeUpdate("BEGIN IMMEDIATE");
                boolean done = false;
                try {
                    if (!empty(c)) {
                        return -1;
                    }
                    st.executeUpdate(String.format(HISTORY_DDL, table));
                    st.executeUpdate(String.format(HISTORY_INDEX, prefix + "schema_history"));
                    try (PreparedStatement insert = c.prepareStatement(String.format(HISTORY_INSERT, table))) {
                        int rank = 0;
                        for (Prepared p : prepared) {
                            long t0 = System.nanoTime();
                            try {
                                // sqlite3_exec: every statement of the script, as Flyway runs them one by one.
                                st.executeUpdate(p.sql());
                            } catch (SQLException e) {
                                throw new StorageException("Atlas's migrations failed: migration " + p.script().name() + " failed: "
                                        + e.getMessage(), e.getSQLState(), false, e);
                            }
                            insert.setInt(1, ++rank);
                            insert.setString(2, Long.toString(p.script().version()));
                            insert.setString(3, p.script().description());
                            insert.setString(4, "SQL");
                            insert.setString(5, p.script().name());
                            insert.setInt(6, p.checksum());
                            insert.setString(7, "");
                            insert.setInt(8, (int) ((System.nanoTime() - t0) / 1_000_000));
                            insert.setBoolean(9, true);
                            insert.executeUpdate();
                        }
                    }
                    st.executeUpdate("COMMIT");
                    done = true;
                    return prepared.size();
                } finally {
                    if (!done) {
                        rollback(st);
                    }
                }
            }
        } catch (SQLException e) {
            throw new StorageException("Atlas's migrations failed: " + e.getMessage(), e.getSQLState(), false, e);
        }
    }

    private static boolean empty(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
            return rs.next() && rs.getLong(1) == 0;
        }
    }

    private static void rollback(Statement st) {
        try {
            st.executeUpdate("ROLLBACK");
        } catch (SQLException ignored) {
            // Nothing was begun, or SQLite already rolled back; either way nothing is kept.
        }
    }

    /**
     * Flyway's checksum (ChecksumCalculator): CRC32 over the UTF-8 bytes of each line of the
     * script as written (placeholders not replaced), line breaks excluded, a leading BOM dropped.
     */
    static int checksum(String text) {
        CRC32 crc = new CRC32();
        try (BufferedReader r = new BufferedReader(new StringReader(text))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                crc.update(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);  // a StringReader does not fail
        }
        return (int) crc.getValue();
    }
}
