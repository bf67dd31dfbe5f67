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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application's pool configured with auto-commit off (common advice for Hibernate, and
 * Spring Boot's {@code spring.datasource.hikari.auto-commit=false}) shared with Atlas.
 */
class HostPoolAutoCommitTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("on a host pool with auto-commit off, every write is committed (seen from another connection), multi-statement reads work, and no connection goes back to the pool inside a transaction")
    void writesCommitOnAPoolWithAutoCommitOff(String dialect) throws Exception {
        Properties login = new Properties();
        String url = hostDatabase(dialect, "autocommit", login);
        HikariConfig hc = pool(url, login);
        hc.setAutoCommit(false);
        hc.setMaximumPoolSize(2);
        try (HikariDataSource host = new HikariDataSource(hc); Atlas atlas = Atlas.builder().dataSource(host).build()) {
            Conversation c = atlas.conversations().create(NewConversation.of(Owner.user("u1")));
            atlas.conversations().append(c.id(), NewMessage.user("hello"));
            String answer = atlas.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> "hi");
            assertThat(answer).isEqualTo("hi");
            UUID execution = atlas.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0).id();
            assertThat(atlas.executions().tree(execution)).isPresent();
            assertThat(atlas.executions().historyWithTools(c.id(), 10)).hasSize(1);

            try (Connection other = DriverManager.getConnection(url, login); Statement s = other.createStatement()) {
                assertThat(count(s, "SELECT count(*) FROM atlas_conversations")).isEqualTo(1);
                assertThat(count(s, "SELECT count(*) FROM atlas_messages")).isEqualTo(1);
                assertThat(count(s, "SELECT count(*) FROM atlas_executions")).isEqualTo(1);
                if (dialect.equals("PostgreSQL")) {
                    assertThat(count(s, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"))
                            .isZero();
                }
            }
            // The application still gets its pool as configured.
            try (Connection own = host.getConnection()) {
                assertThat(own.getAutoCommit()).isFalse();
            }
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("PostgreSQL: a data source bound to the application's open transaction (as Spring's TransactionAwareDataSourceProxy is) is not committed by Atlas: the application's rollback undoes its own pending row and Atlas's write")
    void aConnectionInTheApplicationsTransactionIsNotCommitted() throws Exception {
        String url = PostgresTestDatabase.createDatabase("bound_" + ProcessHandle.current().pid());
        Properties login = new Properties();
        login.setProperty("user", "postgres");
        login.setProperty("password", "postgres");
        try (Atlas migrated = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build()) {
            migrated.conversations().list(dev.atlas.conversation.ConversationQuery.all());
        }
        try (Connection app = DriverManager.getConnection(url, login)) {
            try (Statement s = app.createStatement()) {
                s.execute("CREATE TABLE app_orders (id int)");
            }
            app.setAutoCommit(false);
            try (Statement s = app.createStatement()) {
                s.execute("INSERT INTO app_orders VALUES (1)");
            }
            // Every getConnection() inside the application's transaction gives its connection; close() leaves it open.
            Connection bound = (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("close")) {
                            return null;
                        }
                        try {
                            return method.invoke(app, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            javax.sql.DataSource boundSource = new org.postgresql.ds.PGSimpleDataSource() {
                @Override
                public Connection getConnection() {
                    return bound;
                }
            };
            try (Atlas atlas = Atlas.builder().dataSource(boundSource).migrate(false).build()) {
                atlas.conversations().create(NewConversation.of(Owner.user("u1")));
            }
            app.rollback();
        }
        try (Connection other = DriverManager.getConnection(url, login); Statement s = other.createStatement()) {
            assertThat(count(s, "SELECT count(*) FROM app_orders")).isZero();
            assertThat(count(s, "SELECT count(*) FROM atlas_conversations")).isZero();
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("PostgreSQL: on a host pool whose connections default to SERIALIZABLE, concurrent appends to one conversation all succeed (Atlas writes at READ COMMITTED, as its row locks expect) and the pool's connections keep SERIALIZABLE")
    void serializableHostPoolWritesAtReadCommitted() throws Exception {
        String url = PostgresTestDatabase.createDatabase("serializable_" + ProcessHandle.current().pid());
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername("postgres");
        hc.setPassword("postgres");
        hc.setTransactionIsolation("TRANSACTION_SERIALIZABLE");
        hc.setMaximumPoolSize(6);
        try (HikariDataSource host = new HikariDataSource(hc); Atlas atlas = Atlas.builder().dataSource(host).build()) {
            appendConcurrentlyToOneConversation(atlas);
            try (Connection own = host.getConnection()) {
                assertThat(own.getTransactionIsolation()).isEqualTo(Connection.TRANSACTION_SERIALIZABLE);
            }
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("PostgreSQL: on a database whose default isolation is SERIALIZABLE (ALTER DATABASE ... SET), Atlas's own pool writes at READ COMMITTED, so concurrent appends to one conversation all succeed")
    void serializableDatabaseDefaultOwnedPoolWritesAtReadCommitted() throws Exception {
        String url = PostgresTestDatabase.createDatabase("serializable_default_" + ProcessHandle.current().pid());
        String name = url.replaceFirst("^jdbc:postgresql://[^/]+/([^?]+).*$", "$1");
        try (Connection admin = java.sql.DriverManager.getConnection(url, "postgres", "postgres"); Statement s = admin.createStatement()) {
            s.execute("ALTER DATABASE " + name + " SET default_transaction_isolation = 'serializable'");
        }
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(6).build()) {
            appendConcurrentlyToOneConversation(atlas);
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("PostgreSQL: on an application's HikariCP pool of one connection, Atlas opens a new database (migrating through a"
            + " temporary pool of two, closed after) and works; the application's pool keeps its one connection")
    void onePooledConnection() throws Exception {
        String url = PostgresTestDatabase.createDatabase("one_connection_" + ProcessHandle.current().pid());
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername("postgres");
        hc.setPassword("postgres");
        hc.setMaximumPoolSize(1);
        hc.setPoolName("app");
        // Waiting for itself would end here, not in Hikari's 30 s default.
        hc.setConnectionTimeout(3000);
        try (HikariDataSource host = new HikariDataSource(hc); Atlas atlas = Atlas.builder().dataSource(host).build()) {
            Conversation c = atlas.tenant("t").conversations().create(NewConversation.of(Owner.user("1")));
            atlas.tenant("t").conversations().append(c.id(), NewMessage.user("hello"));
            assertThat(atlas.tenant("t").conversations().messages(c.id(), 0, 10)).hasSize(1);
            assertThat(host.getHikariPoolMXBean().getTotalConnections()).isEqualTo(1);
        }
        // A closed connection's server process exits just after the close returns, so a session
        // can still be listed for a moment; one a pool kept open stays listed past the deadline.
        try (Connection admin = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = admin.createStatement()) {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            int left;
            do {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")) {
                    rs.next();
                    left = rs.getInt(1);
                }
            } while (left > 0 && System.nanoTime() < deadline && pause());
            assertThat(left).as("sessions left on the database once both pools are closed").isZero();
        }
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(20);
        return true;
    }

    /** 48 appends to one conversation from 6 threads released at once: each must succeed, numbered 1..48. */
    private static void appendConcurrentlyToOneConversation(Atlas atlas) throws Exception {
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            Conversation c = atlas.conversations().create(NewConversation.of(Owner.user("u1")));
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            java.util.List<java.util.concurrent.Future<?>> appends = new java.util.ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int n = i;
                appends.add(threads.submit(() -> {
                    start.await();
                    return atlas.conversations().append(c.id(), NewMessage.user("m" + n));
                }));
            }
            start.countDown();
            for (var f : appends) {
                f.get();
            }
            assertThat(atlas.conversations().require(c.id()).lastSequence()).isEqualTo(48);
        } finally {
            threads.shutdown();
        }
    }

    private static long count(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("an application's pool failing to take a connection back fails no call: the append, the record and the read return, each write stored once")
    void returnFailureFailsNoCall(String dialect) throws Exception {
        Properties login = new Properties();
        String url = hostDatabase(dialect, "return_failure", login);
        HikariConfig hc = pool(url, login);
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

    /** A new database of {@code dialect} for an application's pool; fills {@code login} and returns the URL. */
    private String hostDatabase(String dialect, String name, Properties login) {
        if (dialect.equals("SQLite")) {
            return "jdbc:sqlite:" + dir.resolve(name + ".db") + "?journal_mode=WAL";
        }
        login.setProperty("user", "postgres");
        login.setProperty("password", "postgres");
        return PostgresTestDatabase.createDatabase(name + "_" + ProcessHandle.current().pid());
    }

    private static HikariConfig pool(String url, Properties login) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setDataSourceProperties(login);
        return hc;
    }
}
