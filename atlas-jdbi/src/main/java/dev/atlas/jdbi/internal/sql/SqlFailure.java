package dev.atlas.jdbi.internal.sql;

import java.sql.SQLException;

/**
 * A driver error on Atlas's write or read path, carried unchecked to {@link dev.atlas.jdbi.internal.Db}, which
 * translates it into the public exception. {@link #connection()} marks failures to get or keep a connection
 * (retryable whatever their SQL state says).
 */
public final class SqlFailure extends RuntimeException {
    private final boolean connection;

    public SqlFailure(String message, SQLException cause) {
        this(message, cause, false);
    }

    public SqlFailure(String message, SQLException cause, boolean connection) {
        super(message, cause);
        this.connection = connection;
    }

    public boolean connection() {
        return connection;
    }

    /** The driver's exception. */
    public SQLException sql() {
        return (SQLException) getCause();
    }
}
