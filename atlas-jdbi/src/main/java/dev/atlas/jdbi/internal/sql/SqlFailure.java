package dev.atlas.jdbi.internal.sql;

import java.sql.SQLException;

/**
 * A driver error on Atlas's write or read path, carried unchecked to {@link dev.atlas.jdbi.internal.Db}, which
 * translates it into the public exception. {@link #connection()} marks failures to get or keep a connection
 * (retryable whatever their SQL state says); {@link #committing()} marks failures of a statement that commits
 * a write (COMMIT, or one statement in auto-commit), whose outcome a lost connection leaves unknown.
 */
public final class SqlFailure extends RuntimeException {
    private final boolean connection;
    private final boolean committing;

    public SqlFailure(String message, SQLException cause) {
        this(message, cause, false);
    }

    public SqlFailure(String message, SQLException cause, boolean connection) {
        this(message, cause, connection, false);
    }

    private SqlFailure(String message, SQLException cause, boolean connection, boolean committing) {
        super(message, cause);
        this.connection = connection;
        this.committing = committing;
    }

    /** {@code failure} of a statement that was committing a write. */
    public static SqlFailure committing(String message, SQLException failure) {
        return new SqlFailure(message, failure, false, true);
    }

    /** This failure, marked as one of a statement that was committing a write. */
    public SqlFailure committing() {
        return committing ? this : new SqlFailure(getMessage(), sql(), connection, true);
    }

    public boolean connection() {
        return connection;
    }

    /** Whether the statement that failed was committing a write (its outcome unknown if the connection was lost). */
    public boolean wasCommitting() {
        return committing;
    }

    /** The driver's exception. */
    public SQLException sql() {
        return (SQLException) getCause();
    }
}
