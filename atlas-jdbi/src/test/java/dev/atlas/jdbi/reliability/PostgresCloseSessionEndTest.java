package dev.atlas.jdbi.reliability;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresStuckCommit;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Atlas.close() giving up on a write whose COMMIT the server is running ends that write's server
 * session by its process id. Process ids are reused once a process exits: after close() closed the
 * write's socket, its process may exit and its id go to another session before the helper that
 * ends sessions names it. Here the recorded id is, deterministically, the one such a reuse most
 * readily produces: the helper's own, freshly borrowed connection.
 */
class PostgresCloseSessionEndTest {

    @Test
    @DisplayName("close() giving up on a write stuck in its COMMIT, whose recorded process id now belongs to the session Atlas's helper"
            + " ends sessions from (the id was reused), ends no session but the one that was committing: the helper's own session"
            + " is not terminated. Before, pg_terminate_backend(pid) ended whichever session had that id by then")
    void closeEndsNoSessionThatReusedTheCommittingOnesProcessId() throws Exception {
        String url = newDatabase("atlas_close_pid_");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = pool(url, 2);
             Connection admin = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = admin.createStatement();
             Connection helpers = DriverManager.getConnection(url, "postgres", "postgres")) {
            int helpersPid = helpers.unwrap(PGConnection.class).getBackendPID();
            javax.sql.DataSource reusing = endingSessionsOn(helpers, app, c -> reportingPid(c, helpersPid));
            Atlas shared = Atlas.builder().dataSource(reusing).migrate(false).closeTimeout(Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732102, threads);
            shared.close();
            assertLives(helpers, helpersPid, "the session that had the recorded process id, not the committing one");
            PostgresStuckCommit.releaseAndAwait(s, 732102, write); // how it failed: Newcomer22Contract's subject
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("close() giving up on a write stuck in its COMMIT that holds the only connection of the application's pool still ends"
            + " that session: with no connection to spare to read the session's start first, it closes the stuck connection, which"
            + " frees one, and reads the start after; the write is not stored, neither right after close() nor once the lock is released")
    void closeEndsTheStuckSessionWhenItHoldsThePoolsOnlyConnection() throws Exception {
        String url = newDatabase("atlas_close_one_");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = pool(url, 1);
             Connection admin = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = admin.createStatement()) {
            Atlas shared = Atlas.builder().dataSource(app).migrate(false).closeTimeout(Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732103, threads);
            shared.close();
            assertThat(PostgresStuckCommit.committing(s)).as("sessions still running a COMMIT right after close()").isZero();
            PostgresStuckCommit.releaseAndAwait(s, 732103, write); // how it failed: Newcomer22Contract's subject
            try (Atlas reader = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").migrate(false).build()) {
                assertThat(reader.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("once the lock was released").isEmpty();
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("close() giving up on a write stuck in its COMMIT that holds the application's pool's only connection ends that"
            + " session and no other, even when the stuck connection's process id names another session by the time the pool"
            + " frees a connection (a reused id): the session is named by the id and start Atlas read when it first used the"
            + " connection. Before, the start was read after the stuck connection was closed, so the later session was ended")
    void closeWithThePoolsOnlyConnectionStuckEndsNoSessionThatReusedItsProcessId() throws Exception {
        String url = newDatabase("atlas_close_reuse1_");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = pool(url, 1);
             Connection admin = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = admin.createStatement();
             // The session a reused process id would name: any other live session, whose id the stuck connection reports.
             Connection later = DriverManager.getConnection(url, "postgres", "postgres")) {
            int laterPid = later.unwrap(PGConnection.class).getBackendPID();
            // Until close(), each connection reports its own process id; from then on, the later session's.
            java.util.concurrent.atomic.AtomicBoolean reused = new java.util.concurrent.atomic.AtomicBoolean();
            javax.sql.DataSource reusing = (javax.sql.DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                        Object result = invoke(app, dm, dargs);
                        return dm.getName().equals("getConnection") ? reportingPid((Connection) result, laterPid, reused) : result;
                    });
            Atlas shared = Atlas.builder().dataSource(reusing).migrate(false).closeTimeout(Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732104, threads);
            reused.set(true);
            shared.close();
            assertLives(later, laterPid, "the session the stuck connection's process id names now");
            assertThat(PostgresStuckCommit.committing(s)).as("sessions still running a COMMIT right after close()").isZero();
            PostgresStuckCommit.releaseAndAwait(s, 732104, write); // how it failed: Newcomer22Contract's subject
            try (Atlas reader = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").migrate(false).build()) {
                assertThat(reader.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("once the lock was released").isEmpty();
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("close() giving up on a write stuck in its COMMIT on a connection whose driver names another session than the one"
            + " answering it (a pooling proxy such as PgBouncer, whose key is not a server process id) ends no session by that name,"
            + " even with a connection to spare: the named session is a bystander's. Before, the connection was kept as 'unknown' and"
            + " close() read the bystander's start and ended it")
    void closeBehindAProxyEndsNoSessionTheDriverNames() throws Exception {
        String url = newDatabase("atlas_close_proxy_");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = pool(url, 2);
             Connection admin = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = admin.createStatement();
             Connection bystander = DriverManager.getConnection(url, "postgres", "postgres")) {
            int bystanderPid = bystander.unwrap(PGConnection.class).getBackendPID();
            // Every connection's driver names the bystander from the start, as a proxy's key would name whichever process has that id.
            javax.sql.DataSource proxied = (javax.sql.DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                        Object result = invoke(app, dm, dargs);
                        return dm.getName().equals("getConnection") ? reportingPid((Connection) result, bystanderPid) : result;
                    });
            Atlas shared = Atlas.builder().dataSource(proxied).migrate(false).closeTimeout(Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732105, threads);
            shared.close();
            assertLives(bystander, bystanderPid, "the bystander session the proxied driver names");
            PostgresStuckCommit.releaseAndAwait(s, 732105, write); // how it failed: Newcomer22Contract's subject
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("close() giving up on a write stuck in its COMMIT whose recorded session (process id and start) is the very session"
            + " Atlas's helper ends sessions from ends no session: the statements that end and wait for sessions exclude the asking"
            + " one, so the helper never terminates itself, whatever it was told")
    void closeNeverEndsTheHelpersOwnSessionEvenWhenItIsTheRecordedOne() throws Exception {
        String url = newDatabase("atlas_close_self_");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = pool(url, 2);
             Connection admin = DriverManager.getConnection(url, "postgres", "postgres");
             Statement s = admin.createStatement();
             Connection helpers = DriverManager.getConnection(url, "postgres", "postgres")) {
            int helpersPid = helpers.unwrap(PGConnection.class).getBackendPID();
            // Atlas's connections report the helper's process id and read their session on the helper's connection, so the
            // session recorded for each (id and start alike) is the helper's own: the one case the start cannot tell apart.
            javax.sql.DataSource self = endingSessionsOn(helpers, app, c -> recordingAs(c, helpers, helpersPid));
            Atlas shared = Atlas.builder().dataSource(self).migrate(false).closeTimeout(Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732106, threads);
            shared.close();
            assertLives(helpers, helpersPid, "the helper's own session, recorded as the committing one's");
            PostgresStuckCommit.releaseAndAwait(s, 732106, write); // how it failed: Newcomer22Contract's subject
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * {@code c}, whose pgjdbc connection says {@code pid} and prepares its reads of pg_stat_activity on {@code other}: the
     * session Atlas records for {@code c} is {@code other}'s.
     */
    private static Connection recordingAs(Connection c, Connection other, int pid) throws Exception {
        PGConnection pg = c.unwrap(PGConnection.class);
        PGConnection recording = (PGConnection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(),
                new Class<?>[] {PGConnection.class, Connection.class}, (p, m, args) -> {
                    if (m.getName().equals("getBackendPID")) {
                        return pid;
                    }
                    if (m.getName().equals("prepareStatement") && String.valueOf(args[0]).contains("pg_stat_activity")) {
                        return invoke(other, m, args);
                    }
                    return invoke(pg, m, args);
                });
        return (Connection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> m.getName().equals("unwrap") && args[0] == PGConnection.class ? recording : invoke(c, m, args));
    }

    @Test
    @DisplayName("a role that may not read pg_stat_activity (SELECT revoked, as hardened servers do): Atlas works, and asks for a"
            + " connection's session once, not at every borrow. Before, the failed read was not remembered and ran again, failing on"
            + " the server, at the start of every call")
    void sessionReadRefusedIsNotRepeatedAtEveryBorrow() throws Exception {
        String name = "atlas_session_read_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        String role = "atlas_low_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        PostgresTestDatabase.createMigratedDatabase(name);
        String url = "jdbc:postgresql://localhost:" + PostgresTestDatabase.server().getPort() + "/" + name;
        try (Connection admin = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = admin.createStatement()) {
            s.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'low'");
            s.execute("GRANT USAGE ON SCHEMA public TO " + role);
            s.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + role);
            s.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO " + role);
            s.execute("REVOKE SELECT ON pg_catalog.pg_stat_activity FROM PUBLIC");
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(role);
        hc.setPassword("low");
        hc.setMaximumPoolSize(1);
        java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> refused = new java.util.concurrent.atomic.AtomicReference<>();
        Map<PGConnection, PGConnection> counters = new java.util.IdentityHashMap<>();
        try (HikariDataSource app = new HikariDataSource(hc)) {
            try (Connection c = app.getConnection(); Statement s = c.createStatement()) {
                s.executeQuery("SELECT pid FROM pg_stat_activity").close();
            } catch (java.sql.SQLException e) {
                refused.set(e.getSQLState());
            }
            assertThat(refused.get()).as("the role may not read pg_stat_activity").isEqualTo("42501");
            // Counts the reads of pg_stat_activity on pgjdbc's own connection, where Atlas reads its session; changes nothing else.
            javax.sql.DataSource counting = (javax.sql.DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                        Object result = invoke(app, dm, dargs);
                        return dm.getName().equals("getConnection") ? countingSessionReads((Connection) result, reads, counters) : result;
                    });
            try (Atlas atlas = Atlas.builder().dataSource(counting).migrate(false).build()) {
                Tenant acme = atlas.tenant("acme");
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                for (int i = 0; i < 20; i++) {
                    acme.conversations().append(c.id(), NewMessage.user("m" + i));
                }
                assertThat(acme.conversations().messages(c.id(), 0, 100)).hasSize(20);
            }
            assertThat(reads.get()).as("reads of the one pooled connection's session over 22 calls").isEqualTo(1);
        } finally {
            try (Connection admin = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = admin.createStatement()) {
                s.execute("GRANT SELECT ON pg_catalog.pg_stat_activity TO PUBLIC");
            }
        }
    }

    /**
     * {@code c}, whose pgjdbc connection (through {@code unwrap(PGConnection.class)}) counts the statements it prepares that read
     * pg_stat_activity; one counting connection per pgjdbc connection ({@code counters}), as pgjdbc unwraps to itself at every borrow.
     */
    private static Connection countingSessionReads(Connection c, java.util.concurrent.atomic.AtomicInteger reads,
            Map<PGConnection, PGConnection> counters) throws Exception {
        PGConnection pg = c.unwrap(PGConnection.class);
        PGConnection counting;
        synchronized (counters) {
            counting = counters.computeIfAbsent(pg, real -> (PGConnection) Proxy.newProxyInstance(
                    PostgresCloseSessionEndTest.class.getClassLoader(), new Class<?>[] {PGConnection.class, Connection.class}, (p, m, args) -> {
                        if (m.getName().equals("prepareStatement") && String.valueOf(args[0]).contains("pg_stat_activity")) {
                            reads.incrementAndGet();
                        }
                        return invoke(real, m, args);
                    }));
        }
        return (Connection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> m.getName().equals("unwrap") && args[0] == PGConnection.class ? counting : invoke(c, m, args));
    }

    /** {@code c}, whose {@code getBackendPID()} (through {@code unwrap(PGConnection.class)}) says {@code pid}. */
    private static Connection reportingPid(Connection c, int pid) throws Exception {
        return reportingPid(c, pid, new java.util.concurrent.atomic.AtomicBoolean(true));
    }

    /** {@code c}, whose {@code getBackendPID()} says {@code pid} once {@code lying} is set, its own process id until then. */
    private static Connection reportingPid(Connection c, int pid, java.util.concurrent.atomic.AtomicBoolean lying) throws Exception {
        PGConnection pg = c.unwrap(PGConnection.class);
        // A Connection too, as pgjdbc's own is: everything but the process id it reports is the real connection's.
        PGConnection reporting = (PGConnection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(),
                new Class<?>[] {PGConnection.class, Connection.class},
                (p, m, args) -> m.getName().equals("getBackendPID") && lying.get() ? pid : invoke(pg, m, args));
        return (Connection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> {
                    if (m.getName().equals("unwrap") && args[0] == PGConnection.class) {
                        return reporting;
                    }
                    return invoke(c, m, args);
                });
    }

    /** A connection made of another. */
    private interface Wrapping {
        Connection wrap(Connection c) throws Exception;
    }

    /**
     * {@code app}, whose connections are {@code wrapped}, except that Atlas's helper that ends sessions gets {@code helpers}
     * (left open when it closes it): the session the test then asks whether it still lives.
     */
    private static javax.sql.DataSource endingSessionsOn(Connection helpers, javax.sql.DataSource app, Wrapping wrapped) {
        return (javax.sql.DataSource) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                    if (!dm.getName().equals("getConnection")) {
                        return invoke(app, dm, dargs);
                    }
                    if (Thread.currentThread().getName().equals("atlas-end-sessions")) {
                        return notClosing(helpers);
                    }
                    return wrapped.wrap((Connection) invoke(app, dm, dargs));
                });
    }

    /** {@code c}, left open when the helper closes it, so the test can ask it afterwards whether its session still lives. */
    private static Connection notClosing(Connection c) {
        return (Connection) Proxy.newProxyInstance(PostgresCloseSessionEndTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                (p, m, args) -> m.getName().equals("close") ? null : invoke(c, m, args));
    }

    /** {@code session} still answers, as the session of process {@code pid}. */
    private static void assertLives(Connection session, int pid, String which) {
        assertThatCode(() -> {
            try (Statement h = session.createStatement(); ResultSet rs = h.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(pid);
            }
        }).as(which).doesNotThrowAnyException();
    }

    /** A new migrated database of the shared server, named {@code prefix} and this run; its URL. */
    private static String newDatabase(String prefix) {
        String name = prefix + ProcessHandle.current().pid() + "_" + System.nanoTime();
        PostgresTestDatabase.createMigratedDatabase(name);
        return "jdbc:postgresql://localhost:" + PostgresTestDatabase.server().getPort() + "/" + name;
    }

    /** The application's own pool of {@code size} connections. */
    private static HikariDataSource pool(String url, int size) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername("postgres");
        hc.setPassword("postgres");
        hc.setMaximumPoolSize(size);
        return new HikariDataSource(hc);
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
