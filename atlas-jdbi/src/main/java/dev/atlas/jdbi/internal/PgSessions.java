package dev.atlas.jdbi.internal;

import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

import java.sql.Connection;
import java.sql.SQLException;

/** What pgjdbc knows of a connection's session without a round trip; loaded only for PostgreSQL, whose driver is optional. */
final class PgSessions {
    private PgSessions() {}

    /**
     * Whether {@code c} is inside a transaction someone else began: a data source bound to the
     * application's transactions (Spring's {@code TransactionAwareDataSourceProxy}, a container's)
     * hands out such connections. A wrapper that does not unwrap to pgjdbc counts as idle, as a
     * connection fresh from a pool is.
     */
    static boolean inTransaction(Connection c) {
        try {
            return c.isWrapperFor(BaseConnection.class) && c.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE;
        } catch (SQLException | RuntimeException | LinkageError e) {
            return false;
        }
    }
}
