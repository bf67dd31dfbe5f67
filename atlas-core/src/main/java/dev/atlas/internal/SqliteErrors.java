package dev.atlas.internal;

import java.sql.SQLException;

/** SQLite's answers as they reach Java through a driver, a pool or Flyway. Not public API. */
public final class SqliteErrors {
    private SqliteErrors() {}

    /**
     * Whether SQLite reported SQLITE_BUSY (primary result code 5, any extended code such as
     * BUSY_SNAPSHOT) anywhere in {@code e}'s causes: pools and Flyway wrap the driver's exception.
     *
     * @param e the failure
     * @return whether another connection held the lock it needed
     */
    public static boolean busy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && (sql.getErrorCode() & 0xff) == 5) {
                return true;
            }
        }
        return false;
    }
}
