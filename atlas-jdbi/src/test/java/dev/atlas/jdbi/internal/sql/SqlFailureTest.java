package dev.atlas.jdbi.internal.sql;

import dev.atlas.StorageException;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a driver error turned into Atlas's exception quotes: what the server said of the failure,
 * never the row values the statement sent, on either driver, whatever the pool's settings.
 */
class SqlFailureTest {

    /** The printed stack trace of the StorageException {@code statement}'s failure becomes (batched as the stores batch). */
    private static String traceOf(Connection c, String sql, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                ps.setObject(i + 1, values[i]);
            }
            ps.addBatch();
            ps.executeBatch();
        } catch (SQLException e) {
            StorageException thrown = (StorageException) Db.translate(new SqlFailure("test.insert", e));
            StringWriter trace = new StringWriter();
            thrown.printStackTrace(new PrintWriter(trace));
            return trace.toString();
        }
        throw new AssertionError(sql + " did not fail");
    }

    @Test
    @DisplayName("sqlite-jdbc: a UNIQUE and a CHECK failure name the table, columns and constraint, never the values")
    void sqliteQuotesNoValues() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:")) {
            c.createStatement().execute("CREATE TABLE t (k TEXT UNIQUE, n INTEGER CONSTRAINT n_small CHECK (n < 10))");
            c.createStatement().execute("INSERT INTO t (k, n) VALUES ('secret-k1', 1)");
            assertThat(traceOf(c, "INSERT INTO t (k, n) VALUES (?, ?)", "secret-k1", 2))
                    .contains("UNIQUE constraint failed: t.k").doesNotContain("secret-k1");
            assertThat(traceOf(c, "INSERT INTO t (k, n) VALUES (?, ?)", "secret-k2", 987654))
                    .contains("CHECK constraint failed: n_small").doesNotContain("secret-k2").doesNotContain("987654");
        }
    }

    @Test
    @DisplayName("pgjdbc with logServerErrorDetail on (its default): a batch's unique and check failures quote the server's primary"
            + " message, not the batch entry's SQL with its values nor the Detail (key values, the failing row)")
    void pgjdbcQuotesOnlyTheServersMessage() throws SQLException {
        String name = "sqlfailure_" + ProcessHandle.current().pid();
        PostgresTestDatabase.createDatabase(name);
        try (Connection c = PostgresTestDatabase.server().getDatabase("postgres", name).getConnection()) {
            c.createStatement().execute("CREATE TABLE t (k TEXT CONSTRAINT t_k UNIQUE, n INTEGER CONSTRAINT n_small CHECK (n < 10))");
            c.createStatement().execute("INSERT INTO t (k, n) VALUES ('secret-k1', 1)");
            String unique = traceOf(c, "INSERT INTO t (k, n) VALUES (?, ?)", "secret-k1", 2);
            assertThat(unique).contains("duplicate key value violates unique constraint \"t_k\"").doesNotContain("secret-k1");
            assertThat(traceOf(c, "INSERT INTO t (k, n) VALUES (?, ?)", "secret-k2", 987654))
                    .contains("violates check constraint \"n_small\"").doesNotContain("secret-k2").doesNotContain("987654");
        } finally {
            try (Connection admin = PostgresTestDatabase.server().getPostgresDatabase().getConnection()) {
                admin.createStatement().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    @Test
    @DisplayName("the copy keeps what Atlas classifies by: SQL state, error code, transient kind, and the driver's stack trace")
    void copyKeepsClassification() {
        SQLTransientConnectionException pool = new SQLTransientConnectionException("pool timed out", "08001", 5);
        SqlFailure f = new SqlFailure("could not get a connection", pool, true);
        assertThat((Object) f.sql()).isInstanceOf(java.sql.SQLTransientException.class).isNotSameAs(pool);
        assertThat(f.sql().getSQLState()).isEqualTo("08001");
        assertThat(f.sql().getErrorCode()).isEqualTo(5);
        assertThat(f.sql().getStackTrace()).isEqualTo(pool.getStackTrace());
        assertThat(f.getMessage()).isEqualTo("could not get a connection: pool timed out");
        assertThat((Object) f.committing().sql()).isSameAs(f.sql());
        assertThat(f.committing().wasCommitting()).isTrue();
        assertThat(f.committing().connection()).isTrue();
    }
}
