package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application's pool that fails to take a connection back after Atlas's work on it is done
 * (committed, or a read answered). The work's outcome stands: a committed write reported as
 * failed (and retryable) would be stored twice by a caller that retries it.
 */
class ConnectionReturnFailureTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("a pool failing to take a connection back fails no call: the append, the record and the read return, each write stored once")
    void returnFailureFailsNoCall(String dialect) throws Exception {
        String url;
        Properties login = new Properties();
        if (dialect.equals("SQLite")) {
            url = "jdbc:sqlite:" + dir.resolve("host.db") + "?journal_mode=WAL";
        } else {
            url = PostgresTestDatabase.createDatabase("return_failure_" + ProcessHandle.current().pid());
            login.setProperty("user", "postgres");
            login.setProperty("password", "postgres");
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setDataSourceProperties(login);
        hc.setMaximumPoolSize(4);
        AtomicBoolean failReturns = new AtomicBoolean();
        AtomicInteger failedReturns = new AtomicInteger();
        try (HikariDataSource pool = new HikariDataSource(hc);
             Atlas atlas = Atlas.builder().dataSource(new FailingReturns(pool, failReturns, failedReturns)).build()) {
            Conversation c = atlas.conversations().create(NewConversation.of(Owner.user("u1")));
            failReturns.set(true);

            Message m = atlas.conversations().append(c.id(), NewMessage.user("stored once"));
            String answer = atlas.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> "hi");
            assertThat(answer).isEqualTo("hi");
            assertThat(atlas.conversations().get(c.id())).isPresent();
            assertThat(atlas.conversations().history(c.id(), 10)).extracting(Message::id).containsExactly(m.id());
            assertThat(failedReturns.get()).isPositive();

            failReturns.set(false);
            try (Connection other = DriverManager.getConnection(url, login); Statement s = other.createStatement()) {
                assertThat(count(s, "SELECT count(*) FROM atlas_messages")).isEqualTo(1);
                assertThat(count(s, "SELECT count(*) FROM atlas_executions WHERE status = 'completed'")).isEqualTo(1);
            }
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Returns each connection to the real pool, then reports a failure while {@code failReturns} is set. */
    private record FailingReturns(DataSource pool, AtomicBoolean failReturns, AtomicInteger failedReturns) implements DataSource {
        @Override
        public Connection getConnection() throws SQLException {
            Connection real = pool.getConnection();
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[]{Connection.class}, (proxy, method, args) -> {
                if (method.getName().equals("unwrap") && args[0] == Connection.class) {
                    return real.unwrap(Connection.class);
                }
                try {
                    Object result = method.invoke(real, args);
                    if (method.getName().equals("close") && failReturns.get()) {
                        failedReturns.incrementAndGet();
                        throw new SQLException("the pool could not take the connection back");
                    }
                    return result;
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        }

        @Override
        public Connection getConnection(String user, String password) {
            throw new UnsupportedOperationException();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return pool.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return pool.isWrapperFor(iface);
        }
    }
}
