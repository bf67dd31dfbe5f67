package dev.atlas.jdbi.internal;

import dev.atlas.ConfigurationException;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.SqlFailure;
import org.sqlite.SQLiteConfig.TransactionMode;
import org.sqlite.SQLiteConnection;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;

/**
 * Atlas's SQLite settings on a pool the application supplied. Atlas's own pool gets them in its
 * URL; a host pool usually has none of them, and Atlas silently running without them loses what
 * they buy (readers that never block the writer, writers that wait instead of failing, enforced
 * foreign keys, write transactions that cannot fail half-way with SQLITE_BUSY).
 *
 * <p>Per-connection settings are applied to every connection Atlas borrows and put back when Atlas
 * returns it, so the host's own code on the same pool keeps its settings. Busy timeout and
 * IMMEDIATE transactions are driver fields (no statement); foreign keys need a PRAGMA and matter
 * only to writes, so they are switched on before each write transaction only (a read on such a
 * pool costs no extra statement; a write costs three). The journal mode is a property of the database file, not of
 * a connection: Atlas does not change the host's database behind its back and refuses a pool
 * whose database is not in WAL mode, saying how to set it.
 */
public final class SqliteSettings {
    /** Milliseconds a connection waits for another process's write lock (Atlas's own pool uses the same). */
    public static final int BUSY_TIMEOUT_MS = 10_000;

    private SqliteSettings() {}

    /** Whether the supplied pool hands out connections in auto-commit mode (JDBC's default). */
    public static boolean defaultsToAutoCommit(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            return c.getAutoCommit();
        } catch (SQLException e) {
            throw new ConfigurationException("could not read the auto-commit mode of the supplied DataSource: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a supplied SQLite pool (refusing it when its database is not in WAL mode) and
     * returns what installs the missing per-connection settings on a {@link Db}; a pool whose
     * connections already have them all gets nothing installed and pays nothing.
     */
    public static Optional<java.util.function.Consumer<Db>> forSuppliedPool(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            String journal = pragma(c, "journal_mode").toLowerCase(Locale.ROOT);
            if (!journal.equals("wal") && !inMemory(c)) {
                throw new ConfigurationException("the supplied SQLite DataSource's database runs journal_mode=" + journal
                        + ", and Atlas needs journal_mode=WAL (readers never block the writer). WAL is a property of the database"
                        + " file, so Atlas does not change it for you: add journal_mode=WAL to the pool's JDBC URL"
                        + " (jdbc:sqlite:app.db?journal_mode=WAL) or SQLiteConfig.setJournalMode(JournalMode.WAL), or run"
                        + " PRAGMA journal_mode=WAL once on the database");
            }
            if (!c.isWrapperFor(SQLiteConnection.class)) {
                throw new ConfigurationException("the supplied SQLite DataSource's connections do not unwrap to"
                        + " org.sqlite.SQLiteConnection, so Atlas cannot set busy_timeout, foreign_keys and transaction_mode on"
                        + " them: use a pool whose connections support unwrap (HikariCP does), or pass a jdbc:sqlite: URL to"
                        + " Atlas.builder().jdbcUrl(..) and let Atlas pool it");
            }
            SQLiteConnection sc = c.unwrap(SQLiteConnection.class);
            boolean driverSettings = sc.getBusyTimeout() >= BUSY_TIMEOUT_MS
                    && sc.getConnectionConfig().getTransactionMode() == TransactionMode.IMMEDIATE;
            boolean fk = foreignKeys(c);
            if (driverSettings && fk) {
                return Optional.empty();
            }
            return Optional.of(db -> {
                if (!driverSettings) {
                    db.onEachConnection(SqliteSettings::perConnection);
                }
                if (!fk) {
                    db.beforeEachWrite(SqliteSettings::foreignKeysForWrite);
                }
            });
        } catch (SQLException e) {
            throw new ConfigurationException("could not read the SQLite settings of the supplied DataSource: " + e.getMessage(), e);
        }
    }

    /** Sets Atlas's busy timeout and transaction mode on each borrowed connection and restores the host's on release. */
    private static void perConnection(Handle handle) {
        try {
            SQLiteConnection sc = handle.getConnection().unwrap(SQLiteConnection.class);
            int busy = sc.getBusyTimeout();
            TransactionMode mode = sc.getConnectionConfig().getTransactionMode();
            if (busy < BUSY_TIMEOUT_MS) {
                sc.setBusyTimeout(BUSY_TIMEOUT_MS);
            }
            sc.getConnectionConfig().setTransactionMode(TransactionMode.IMMEDIATE);
            // Cleanables run before the handle hands the connection back to the pool.
            handle.addCleanable(() -> {
                if (busy < BUSY_TIMEOUT_MS) {
                    sc.setBusyTimeout(busy);
                }
                sc.getConnectionConfig().setTransactionMode(mode);
            });
        } catch (SQLException e) {
            throw new SqlFailure("could not apply Atlas's SQLite settings to a connection", e, true);
        }
    }

    /** Foreign keys on for one write transaction (the PRAGMA is ignored inside one, so before BEGIN), off again on release. */
    private static void foreignKeysForWrite(Handle handle) {
        Connection c = handle.getConnection();
        try {
            if (!foreignKeys(c)) {
                execute(c, "PRAGMA foreign_keys = ON");
                handle.addCleanable(() -> {
                    if (!c.isClosed()) {
                        execute(c, "PRAGMA foreign_keys = OFF");
                    }
                });
            }
        } catch (SQLException e) {
            throw new SqlFailure("could not switch on foreign keys", e, true);
        }
    }

    private static boolean inMemory(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA database_list")) {
            while (rs.next()) {
                if ("main".equals(rs.getString("name"))) {
                    String file = rs.getString("file");
                    return file == null || file.isEmpty();
                }
            }
            return false;
        }
    }

    private static boolean foreignKeys(Connection c) throws SQLException {
        return pragma(c, "foreign_keys").equals("1");
    }

    private static String pragma(Connection c, String name) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA " + name)) {
            return rs.next() ? String.valueOf(rs.getString(1)) : "";
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
