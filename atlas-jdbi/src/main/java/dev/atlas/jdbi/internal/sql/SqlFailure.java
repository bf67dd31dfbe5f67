package dev.atlas.jdbi.internal.sql;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * A driver error on Atlas's write or read path, carried unchecked to {@link dev.atlas.jdbi.internal.Db}, which
 * translates it into the public exception. {@link #connection()} marks failures to get or keep a connection
 * (retryable whatever their SQL state says); {@link #committing()} marks failures of a statement that commits
 * a write (COMMIT, or one statement in auto-commit), whose outcome a lost connection leaves unknown.
 *
 * <p>The driver's exception is not kept: {@link #sql()} is a copy of it that says what the server said
 * and no more (its SQL state, error code and kind kept), because pgjdbc quotes the row values it
 * sent (a failed batch entry's SQL with its parameters, a key violation's {@code Detail}) unless the
 * pool sets {@code logServerErrorDetail=false}, which an application's pool need not.
 */
public final class SqlFailure extends RuntimeException {
    private final boolean connection;
    private final boolean committing;

    /** {@code failure} of {@code what} (a statement's name, an action): the message adds what the server said. */
    public SqlFailure(String what, SQLException failure) {
        this(what, failure, false);
    }

    public SqlFailure(String what, SQLException failure, boolean connection) {
        this(scrubbed(failure), what, connection, false);
    }

    private SqlFailure(SQLException scrubbed, String what, boolean connection, boolean committing) {
        super(what + ": " + scrubbed.getMessage(), scrubbed);
        this.connection = connection;
        this.committing = committing;
    }

    private SqlFailure(SqlFailure failure) {
        super(failure.getMessage(), failure.sql());
        this.connection = failure.connection;
        this.committing = true;
        setStackTrace(failure.getStackTrace());
    }

    /** {@code failure} of a statement that was committing a write. */
    public static SqlFailure committing(String what, SQLException failure) {
        return new SqlFailure(scrubbed(failure), what, false, true);
    }

    /** This failure, marked as one of a statement that was committing a write. */
    public SqlFailure committing() {
        return committing ? this : new SqlFailure(this);
    }

    public boolean connection() {
        return connection;
    }

    /** Whether the statement that failed was committing a write (its outcome unknown if the connection was lost). */
    public boolean wasCommitting() {
        return committing;
    }

    /** The driver's exception, as {@link #scrubbed}. */
    public SQLException sql() {
        return (SQLException) getCause();
    }

    /**
     * A copy of {@code e} and its SQL causes that keeps their SQL state, error code, kind (transient,
     * recoverable) and stack trace, with messages that quote no values: a batch's is its failed
     * entry's, pgjdbc's the server's primary message (the others' are kept: sqlite-jdbc names
     * columns and constraints, never values).
     */
    static SQLException scrubbed(SQLException e) {
        SQLException inner = e instanceof BatchUpdateException ? e.getNextException() : null;
        if (inner == null && e instanceof BatchUpdateException && e.getCause() instanceof SQLException c) {
            inner = c;
        }
        SQLException innerCopy = inner == null || inner == e ? null : scrubbed(inner);
        String message = innerCopy != null ? "a batch entry failed: " + innerCopy.getMessage()
                : e.getClass().getName().startsWith("org.postgresql.") ? dev.atlas.jdbi.internal.PgSessions.serverMessage(e)
                : e.getMessage();
        String state = e.getSQLState() != null || innerCopy == null ? e.getSQLState() : innerCopy.getSQLState();
        int code = e.getErrorCode() != 0 || innerCopy == null ? e.getErrorCode() : innerCopy.getErrorCode();
        SQLException copy = e instanceof SQLTransientException ? new SQLTransientException(message, state, code)
                : e instanceof SQLRecoverableException ? new SQLRecoverableException(message, state, code)
                : new SQLException(message, state, code);
        copy.setStackTrace(e.getStackTrace());
        Throwable cause = innerCopy != null ? innerCopy : e.getCause();
        if (cause != null && cause != e) {
            // A cause that is not SQL (a socket's error) quotes no row and is kept as it is.
            copy.initCause(cause instanceof SQLException s ? scrubbed(s) : cause);
        }
        return copy;
    }
}
