package dev.atlas.jdbi.newcomer;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresStuckCommit;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A team whose agent runs inside a busy server (request threads with timeouts that interrupt them,
 * a pool shared with the application's own work), following README.md, docs/api.md,
 * docs/reliability.md and docs/scaling.md as written, through the public API only: a caller
 * interrupted while it waits for a pool connection or for another caller's write, with the pool
 * exhausted by the application. After each event the interrupted call has written all or nothing,
 * its thread is still interrupted, the other callers' calls are untouched, and the pool is whole.
 */
public abstract class Newcomer22Contract extends AtlasContract {
    protected Newcomer22Contract(TestDatabase database) {
        super(database);
    }

    private boolean sqlite() {
        return atlas.config().jdbcUrl() == null;
    }

    /** The application's own HikariCP pool of two on the test's database, shared with Atlas as Spring Boot would. */
    private HikariDataSource applicationPool() {
        HikariConfig hc = new HikariConfig();
        if (sqlite()) {
            hc.setJdbcUrl("jdbc:sqlite:" + atlas.config().sqliteFile());
        } else {
            hc.setJdbcUrl(atlas.config().jdbcUrl());
            hc.setUsername("postgres");
            hc.setPassword("postgres");
        }
        hc.setPoolName("app-pool");
        hc.setMaximumPoolSize(2);
        hc.setMinimumIdle(2);
        return new HikariDataSource(hc);
    }

    /** Waits (bounded, failing after 20 s) until {@code t} parks with a frame matching {@code where} on its stack. */
    private static void awaitParkedIn(Thread t, Predicate<StackTraceElement> where, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < end) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                for (StackTraceElement e : t.getStackTrace()) {
                    if (where.test(e)) {
                        return;
                    }
                }
            }
            TimeUnit.MILLISECONDS.sleep(1);
        }
        throw new AssertionError(t.getName() + " never reached " + what + ": " + t.getState());
    }

    private static final Predicate<StackTraceElement> POOL_WAIT =
            e -> e.getClassName().equals("com.zaxxer.hikari.pool.HikariPool") && e.getMethodName().equals("getConnection");
    private static final Predicate<StackTraceElement> WRITE_QUEUE =
            e -> e.getClassName().equals("dev.atlas.jdbi.internal.WriteCombiner") && e.getMethodName().equals("write");

    /** A request thread of the server: its own thread, so a timeout can interrupt it. */
    private record Request(Thread thread, Future<Message> outcome, AtomicReference<Boolean> interruptedAfter) {}

    private static Request request(ExecutorService pool, Tenant tenant, Conversation c, String text) throws InterruptedException {
        AtomicReference<Thread> thread = new AtomicReference<>();
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        Future<Message> f = pool.submit(() -> {
            thread.set(Thread.currentThread());
            started.countDown();
            try {
                return tenant.conversations().append(c.id(), NewMessage.user(text));
            } finally {
                interruptedAfter.set(Thread.interrupted());
            }
        });
        started.await();
        return new Request(thread.get(), f, interruptedAfter);
    }

    private static Throwable failure(Future<?> f) throws InterruptedException {
        try {
            f.get(20, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the call did not end", e);
        }
    }

    @Test
    @DisplayName("a request interrupted while its append waits for a connection of the application's exhausted pool fails alone with a non-retryable"
            + " StorageException, its interrupt kept and nothing of it stored; the append queued with it (SQLite: in the same"
            + " group-commit batch) is stored once a connection frees, and the pool then serves every thread")
    void interruptedWaitForAConnectionFailsOnlyItsOwnCall() throws Exception {
        boolean sqlite = sqlite();
        ExecutorService requests = Executors.newFixedThreadPool(5);
        try (HikariDataSource app = applicationPool(); Atlas shared = Atlas.builder().dataSource(app).migrate(false).build()) {
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            // The application's own work holds both connections (a long report, a batch job).
            Connection first = app.getConnection();
            Connection second = app.getConnection();
            // A first request leads (SQLite: the group commit's leader) and waits for a connection; two more queue behind it.
            Request lead = request(requests, acme, c, "lead");
            awaitParkedIn(lead.thread(), POOL_WAIT, "the wait for a connection");
            Request timedOut = request(requests, acme, c, "times out");
            awaitParkedIn(timedOut.thread(), sqlite ? WRITE_QUEUE : POOL_WAIT, "the wait for its write");
            Request patient = request(requests, acme, c, "patient");
            awaitParkedIn(patient.thread(), sqlite ? WRITE_QUEUE : POOL_WAIT, "the wait for its write");

            // The first request's timeout: its call fails alone, promptly, and keeps the interrupt.
            lead.thread().interrupt();
            // Not retryable: the interrupt is the caller's own cancellation, and a retry on that thread
            // stops at the pool's wait again.
            Throwable leadFailure = failure(lead.outcome());
            assertThat(leadFailure).isInstanceOf(StorageException.class)
                    .hasMessage("database call failed: app-pool - Interrupted during connection acquisition");
            assertThat(((StorageException) leadFailure).isRetryable()).isFalse();
            assertThat(lead.interruptedAfter().get()).as("the interrupt is kept").isTrue();

            if (sqlite) {
                // One of the two queued appends now leads their batch (both) and waits for a connection: the next timeout hits it.
                Thread leader = null;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (leader == null && System.nanoTime() < end) {
                    for (Request r : List.of(timedOut, patient)) {
                        for (StackTraceElement e : r.thread().getStackTrace()) {
                            if (POOL_WAIT.test(e) && r.thread().getState() != Thread.State.RUNNABLE) {
                                leader = r.thread();
                            }
                        }
                    }
                    TimeUnit.MILLISECONDS.sleep(1);
                }
                assertThat(leader).as("a leader waits for a connection").isNotNull();
                if (leader == patient.thread()) {
                    Request swap = timedOut;
                    timedOut = patient;
                    patient = swap;
                }
            }
            timedOut.thread().interrupt();

            Throwable x = failure(timedOut.outcome());
            assertThat(x).isInstanceOf(StorageException.class)
                    .hasMessage("database call failed: app-pool - Interrupted during connection acquisition");
            assertThat(((StorageException) x).isRetryable()).isFalse();
            assertThat(timedOut.interruptedAfter().get()).as("the interrupt is kept").isTrue();
            assertThat(patient.outcome().isDone()).as("the other request still waits for a connection").isFalse();

            first.close();
            second.close();
            Message stored = patient.outcome().get(20, TimeUnit.SECONDS);
            assertThat(patient.interruptedAfter().get()).isFalse();
            String survivor = stored.content();
            List<String> expected = new ArrayList<>();
            expected.add(survivor);
            assertThat(acme.conversations().history(c.id(), 10)).extracting(Message::content).containsExactlyElementsOf(expected);

            // The pool is whole: every thread's next calls succeed.
            List<Future<Message>> more = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String text = "after " + i;
                more.add(requests.submit(() -> acme.conversations().append(c.id(), NewMessage.user(text))));
            }
            for (Future<Message> f : more) {
                assertThat(f.get(20, TimeUnit.SECONDS).content()).startsWith("after ");
            }
            assertThat(acme.conversations().history(c.id(), 20)).hasSize(expected.size() + 5);
        } finally {
            requests.shutdownNow();
            assertThat(requests.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("Atlas.close() on the application's pool that gives up on a write still waiting for a lock (closeTimeout 0) stops it:"
            + " the write fails with a StorageException and its change is never stored, even once the lock is released")
    void closeGivingUpOnAWriteOnTheApplicationsPoolRollsItBack() throws Exception {
        boolean sqlite = sqlite();
        ExecutorService requests = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = applicationPool()) {
            Atlas shared = Atlas.builder().dataSource(app).migrate(false).closeTimeout(java.time.Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> pending;
            try (Connection lock = app.getConnection(); Statement s = lock.createStatement()) {
                // The application's own transaction holds what the write needs.
                if (sqlite) {
                    s.execute("BEGIN IMMEDIATE");
                } else {
                    lock.setAutoCommit(false);
                    s.execute("SELECT id FROM atlas_conversations WHERE tenant_id = 'acme' AND id = '" + c.id() + "' FOR UPDATE");
                }
                AtomicReference<Thread> thread = new AtomicReference<>();
                pending = requests.submit(() -> {
                    thread.set(Thread.currentThread());
                    return acme.conversations().updateMessageMetadata(m.id(), java.util.Map.of("late", true));
                });
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                boolean blocked = false;
                while (!blocked && System.nanoTime() < end) {
                    TimeUnit.MILLISECONDS.sleep(1);
                    if (sqlite) {
                        Thread t = thread.get();
                        StackTraceElement[] stack = t == null ? new StackTraceElement[0] : t.getStackTrace();
                        blocked = stack.length > 0 && stack[0].getClassName().startsWith("org.sqlite")
                                && java.util.Arrays.stream(stack).anyMatch(e -> e.getMethodName().equals("control"));
                    } else {
                        try (Connection probe = database.dataSource().getConnection(); Statement q = probe.createStatement();
                             java.sql.ResultSet rs = q.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                     + " AND datname = current_database()")) {
                            rs.next();
                            blocked = rs.getInt(1) > 0;
                        }
                    }
                }
                assertThat(blocked).as("the write waits for the lock").isTrue();
                shared.close();
                if (sqlite) {
                    s.execute("COMMIT");
                } else {
                    lock.commit();
                }
            }
            Throwable x = failure(pending);
            assertThat(x).isInstanceOf(StorageException.class);
            assertThat(x.getMessage()).startsWith("Atlas was closed with this call still running after its closeTimeout (PT0S):"
                    + " the call was stopped and its transaction rolled back");
            assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).isEmpty();
        } finally {
            requests.shutdownNow();
            assertThat(requests.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The application's pool, each of whose connections, once {@code armed}, counts down
     * {@code atCommit} and waits for {@code release} before its commit is handed to the driver
     * (PostgreSQL: {@code commit()}; SQLite's group commit: its {@code COMMIT} statement).
     */
    private static javax.sql.DataSource commitHeldAt(HikariDataSource app, java.util.concurrent.atomic.AtomicBoolean armed,
            java.util.concurrent.CountDownLatch atCommit, java.util.concurrent.CountDownLatch release) {
        Runnable hold = () -> {
            if (armed.getAndSet(false)) {
                atCommit.countDown();
                try {
                    if (!release.await(20, TimeUnit.SECONDS)) {
                        throw new AssertionError("the commit was never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        };
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(Newcomer22Contract.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                    Object r = invoke(app, dm, dargs);
                    if (!dm.getName().equals("getConnection")) {
                        return r;
                    }
                    Connection c = (Connection) r;
                    return java.lang.reflect.Proxy.newProxyInstance(Newcomer22Contract.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (cp, cm, cargs) -> {
                                if (cm.getName().equals("commit")) {
                                    hold.run();
                                }
                                Object cr = invoke(c, cm, cargs);
                                if (cm.getName().equals("prepareStatement") && "COMMIT".equals(cargs[0])) {
                                    java.sql.PreparedStatement ps = (java.sql.PreparedStatement) cr;
                                    return java.lang.reflect.Proxy.newProxyInstance(Newcomer22Contract.class.getClassLoader(),
                                            new Class<?>[] {java.sql.PreparedStatement.class}, (sp, sm, sargs) -> {
                                                if (sm.getName().equals("execute") && sargs == null) {
                                                    hold.run();
                                                }
                                                return invoke(ps, sm, sargs);
                                            });
                                }
                                return cr;
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static final String CLOSED_ROLLED_BACK = "Atlas was closed with this call still running after its closeTimeout (PT0S):"
            + " the call was stopped and its transaction rolled back: ";
    private static final String CLOSED_MAY_HAVE_BEEN_STORED = "Atlas was closed with this call still running after its closeTimeout (PT0S)"
            + " while its write was committing, so it may have been stored; read it back, or repeat it only with the same client id or key: ";

    @Test
    @DisplayName("Atlas.close() that gives up on the calls still running (closeTimeout 0) while a write's commit is about to be sent on the"
            + " application's pool never lets it commit after close() returned. SQLite (group commit): close() returns once that"
            + " COMMIT has ended, and the write reports success and is stored. PostgreSQL: close() returns once the write's connection"
            + " is closed; the write, released, fails with the rolled-back StorageException and nothing of it is ever stored")
    void closeGivingUpDuringACommitNeverCommitsAfterwards() throws Exception {
        boolean sqlite = sqlite();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch atCommit = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (HikariDataSource app = applicationPool()) {
            Atlas shared = Atlas.builder().dataSource(commitHeldAt(app, armed, atCommit, release)).migrate(false)
                    .closeTimeout(java.time.Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            armed.set(true);
            Future<Message> write = threads.submit(() -> acme.conversations().updateMessageMetadata(m.id(), java.util.Map.of("late", true)));
            assertThat(atCommit.await(20, TimeUnit.SECONDS)).as("the write reaches its commit").isTrue();
            if (sqlite) {
                AtomicReference<Thread> closer = new AtomicReference<>();
                java.util.concurrent.CountDownLatch closerStarted = new java.util.concurrent.CountDownLatch(1);
                Future<?> closing = threads.submit(() -> {
                    closer.set(Thread.currentThread());
                    closerStarted.countDown();
                    shared.close();
                });
                closerStarted.await();
                awaitParkedIn(closer.get(), e -> e.getClassName().equals("dev.atlas.jdbi.internal.WriteCombiner")
                        && e.getMethodName().equals("abandon"), "close()'s wait for the COMMIT under way");
                assertThat(closing.isDone()).as("close() returned while the write's COMMIT was under way").isFalse();
                release.countDown();
                closing.get(20, TimeUnit.SECONDS);
                assertThat(write.get(20, TimeUnit.SECONDS).metadata()).isEqualTo(java.util.Map.of("late", true));
                assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).isEqualTo(java.util.Map.of("late", true));
            } else {
                shared.close();
                assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("right after close()").isEmpty();
                release.countDown(); // the commit goes on only now, after close() returned
                Throwable x = failure(write);
                assertThat(x).isInstanceOf(StorageException.class);
                assertThat(x.getMessage()).startsWith(CLOSED_ROLLED_BACK);
                assertThat(((StorageException) x).isOutcomeUnknown()).isFalse();
                assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("once the write ended").isEmpty();
            }
        } finally {
            release.countDown();
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("PostgreSQL: Atlas.close() that gives up (closeTimeout 0) on a write whose COMMIT the server is still running (held by a"
            + " deferred trigger waiting for a lock) returns only once that session is over: the write is not stored, neither right"
            + " after close() nor once the lock is released, and it fails with the StorageException saying it may have been stored"
            + " (its COMMIT was sent without a reply). Closing the driver's connection alone left the COMMIT running on the server")
    void closeGivingUpDuringACommitTheServerRunsEndsThatSession() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sqlite(), "SQLite commits in the JVM's own process: no server holds a COMMIT");
        ExecutorService threads = Executors.newFixedThreadPool(1);
        try (HikariDataSource app = applicationPool(); Connection admin = database.dataSource().getConnection();
             Statement s = admin.createStatement()) {
            Atlas shared = Atlas.builder().dataSource(app).migrate(false).closeTimeout(java.time.Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            Future<Message> write = PostgresStuckCommit.start(s, acme, m, 732101, threads);
            shared.close();
            assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("right after close()").isEmpty();
            PostgresStuckCommit.release(s, 732101);
            Throwable x = failure(write);
            assertThat(x).isInstanceOf(StorageException.class);
            assertThat(x.getMessage()).startsWith(CLOSED_MAY_HAVE_BEEN_STORED);
            assertThat(((StorageException) x).isOutcomeUnknown()).isTrue();
            assertThat(((StorageException) x).isRetryable()).isFalse();
            assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).as("once the lock was released").isEmpty();
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("Atlas.close() does not wait (closeTimeout 1 hour) for a call still waiting for its first connection from the application's"
            + " exhausted pool: close() returns, and once the pool hands that call a connection it fails with AtlasClosedException,"
            + " gives the connection back without using it, and stores nothing")
    void closeDoesNotWaitForACallWaitingForItsFirstConnection() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean closeReturned = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> usedAfterClose = java.util.Collections.synchronizedList(new ArrayList<>());
        Connection first = null;
        Connection second = null;
        try (HikariDataSource app = applicationPool()) {
            try {
                javax.sql.DataSource watched = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                            Object r = invoke(app, dm, dargs);
                            if (!dm.getName().equals("getConnection")) {
                                return r;
                            }
                            Connection c = (Connection) r;
                            return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                    (cp, cm, cargs) -> {
                                        if (closeReturned.get() && !cm.getName().equals("close")) {
                                            usedAfterClose.add(cm.getName());
                                        }
                                        return invoke(c, cm, cargs);
                                    });
                        });
                Atlas shared = Atlas.builder().dataSource(watched).migrate(false).closeTimeout(java.time.Duration.ofHours(1)).build();
                Tenant acme = shared.tenant("acme");
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                first = app.getConnection();
                second = app.getConnection();
                Request waiting = request(threads, acme, c, "sent while closing");
                awaitParkedIn(waiting.thread(), POOL_WAIT, "the wait for a connection");
                Future<?> closing = threads.submit(() -> {
                    shared.close();
                    closeReturned.set(true);
                });
                closing.get(20, TimeUnit.SECONDS);
                assertThat(waiting.outcome().isDone()).as("the call still waits for its connection").isFalse();
                first.close();
                first = null;
                Throwable x = failure(waiting.outcome());
                assertThat(x).isExactlyInstanceOf(dev.atlas.AtlasClosedException.class).hasMessage("this Atlas instance is closed");
                assertThat(usedAfterClose).as("connection methods Atlas called after close() returned").isEmpty();
                assertThat(atlas.tenant("acme").conversations().history(c.id(), 10)).isEmpty();
            } finally {
                // Before the pool closes, which would otherwise wait for them.
                if (first != null) {
                    first.close();
                }
                if (second != null) {
                    second.close();
                }
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The application's pool, whose connections do not support {@code abort} (a wrapper written
     * before JDBC 4.1, unwrapping to itself as a Connection) and, once {@code armed}, hold their
     * {@code commit()} as {@link #commitHeldAt} does, recording their server process in {@code pid}.
     * Atlas's helper that ends sessions ({@code atlas-end-sessions}) is handed, once {@code helperGo}
     * opens, a connection of {@code admin} instead, after counting down {@code helperAsked}.
     */
    private static javax.sql.DataSource abortUnsupported(HikariDataSource app, javax.sql.DataSource admin,
            java.util.concurrent.atomic.AtomicBoolean armed, java.util.concurrent.atomic.AtomicInteger pid,
            java.util.concurrent.CountDownLatch atCommit, java.util.concurrent.CountDownLatch release,
            java.util.concurrent.CountDownLatch helperAsked, java.util.concurrent.CountDownLatch helperGo) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(Newcomer22Contract.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                    if (dm.getName().equals("getConnection") && Thread.currentThread().getName().equals("atlas-end-sessions")) {
                        helperAsked.countDown();
                        if (!helperGo.await(20, TimeUnit.SECONDS)) {
                            throw new java.sql.SQLException("the helper was never let go");
                        }
                        return admin.getConnection();
                    }
                    Object r = invoke(app, dm, dargs);
                    if (!dm.getName().equals("getConnection")) {
                        return r;
                    }
                    Connection c = (Connection) r;
                    return java.lang.reflect.Proxy.newProxyInstance(Newcomer22Contract.class.getClassLoader(),
                            new Class<?>[] {Connection.class}, (cp, cm, cargs) -> {
                                if (cm.getName().equals("unwrap") && cargs[0] == Connection.class) {
                                    return cp;
                                }
                                if (cm.getName().equals("abort")) {
                                    throw new java.sql.SQLFeatureNotSupportedException("abort");
                                }
                                if (cm.getName().equals("commit") && armed.getAndSet(false)) {
                                    pid.set(c.unwrap(org.postgresql.PGConnection.class).getBackendPID());
                                    atCommit.countDown();
                                    if (!release.await(20, TimeUnit.SECONDS)) {
                                        throw new AssertionError("the commit was never released");
                                    }
                                }
                                return invoke(c, cm, cargs);
                            });
                });
    }

    @Test
    @DisplayName("PostgreSQL: Atlas.close() that gives up (closeTimeout 0) on a write whose commit is about to be sent on a connection it"
            + " cannot close (the application's wrapper does not support abort) never ends that connection's server session: the"
            + " connection goes back to the application's pool alive once the write has committed, and the application's own"
            + " transaction on it goes on. Before, close() ended the session by its process id after the application had it back")
    void closeNeverEndsTheSessionOfAConnectionItCouldNotClose() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sqlite(), "SQLite has no server sessions");
        ExecutorService threads = Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger pid = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch atCommit = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        // Counted down by the helper asking for its connection (before the fix) or by close() returning (after).
        java.util.concurrent.CountDownLatch closedOrHelperAsked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch helperGo = new java.util.concurrent.CountDownLatch(1);
        List<Connection> appWork = new ArrayList<>();
        HikariDataSource app = applicationPool();
        try {
            Atlas shared = Atlas.builder().dataSource(abortUnsupported(app, database.dataSource(), armed, pid, atCommit, release,
                    closedOrHelperAsked, helperGo)).migrate(false).closeTimeout(java.time.Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            armed.set(true);
            Future<Message> write = threads.submit(() -> acme.conversations().updateMessageMetadata(m.id(), java.util.Map.of("late", true)));
            assertThat(atCommit.await(20, TimeUnit.SECONDS)).as("the write reaches its commit").isTrue();
            Future<?> closing = threads.submit(() -> {
                shared.close();
                closedOrHelperAsked.countDown();
            });
            assertThat(closedOrHelperAsked.await(20, TimeUnit.SECONDS)).isTrue();
            release.countDown();
            // close() could not stop this commit (its documented limit): it commits, and says so.
            assertThat(write.get(20, TimeUnit.SECONDS).metadata()).isEqualTo(java.util.Map.of("late", true));
            // The application's own work, on both connections of its pool: one is the write's, back alive.
            List<Integer> pids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Connection own = app.getConnection();
                appWork.add(own);
                own.setAutoCommit(false);
                try (Statement st = own.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    pids.add(rs.getInt(1));
                }
            }
            assertThat(pids).as("the application's connections").contains(pid.get());
            helperGo.countDown();
            closing.get(20, TimeUnit.SECONDS);
            for (Connection own : appWork) {
                try (Statement st = own.createStatement()) {
                    st.execute("SELECT 1");
                }
                own.commit();
            }
        } finally {
            release.countDown();
            helperGo.countDown();
            // Before the pool closes, which would otherwise wait for them.
            for (Connection own : appWork) {
                try {
                    own.close();
                } catch (java.sql.SQLException ignored) {
                    // a connection the test failed on
                }
            }
            app.close();
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    @DisplayName("PostgreSQL: when the pool hands Atlas's helper its connection only after close() gave up waiting for it (the helper's"
            + " SESSION_END_WAIT, a pool that does not heed interrupts), the helper runs nothing on it: no session is ended after"
            + " close() returned, when its process id may belong to another session by then. Before, it ended the sessions late")
    void closeEndsNoSessionAfterItReturned() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(sqlite(), "SQLite has no server sessions");
        ExecutorService threads = Executors.newFixedThreadPool(2);
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch atCommit = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch helperGo = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean closeReturned = new java.util.concurrent.atomic.AtomicBoolean();
        List<String> ranAfterClose = java.util.Collections.synchronizedList(new ArrayList<>());
        try (HikariDataSource app = applicationPool()) {
            javax.sql.DataSource held = commitHeldAt(app, armed, atCommit, release);
            javax.sql.DataSource slowForHelper = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {javax.sql.DataSource.class}, (ds, dm, dargs) -> {
                        if (!dm.getName().equals("getConnection") || !Thread.currentThread().getName().equals("atlas-end-sessions")) {
                            return invoke(held, dm, dargs);
                        }
                        boolean interrupted = false;
                        while (true) {
                            try {
                                if (!helperGo.await(20, TimeUnit.SECONDS)) {
                                    throw new java.sql.SQLException("the helper was never let go");
                                }
                                break;
                            } catch (InterruptedException e) {
                                interrupted = true; // a pool that finishes its connect first
                            }
                        }
                        if (interrupted) {
                            Thread.currentThread().interrupt();
                        }
                        Connection c = database.dataSource().getConnection();
                        return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (cp, cm, cargs) -> {
                                    if (closeReturned.get() && (cm.getName().startsWith("prepare") || cm.getName().equals("createStatement"))) {
                                        ranAfterClose.add(cargs == null ? cm.getName() : String.valueOf(cargs[0]));
                                    }
                                    return invoke(c, cm, cargs);
                                });
                    });
            Atlas shared = Atlas.builder().dataSource(slowForHelper).migrate(false).closeTimeout(java.time.Duration.ZERO).build();
            Tenant acme = shared.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
            armed.set(true);
            Future<Message> write = threads.submit(() -> acme.conversations().updateMessageMetadata(m.id(), java.util.Map.of("late", true)));
            assertThat(atCommit.await(20, TimeUnit.SECONDS)).as("the write reaches its commit").isTrue();
            threads.submit(() -> {
                shared.close();
                closeReturned.set(true);
            }).get(20, TimeUnit.SECONDS);
            // Started before close() waited for it: it is there, whether or not it has asked for its connection yet.
            List<Thread> helpers = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("atlas-end-sessions") && t.isAlive()).toList();
            assertThat(helpers).as("close()'s helper, still waiting for its connection").hasSize(1);
            helperGo.countDown();
            helpers.get(0).join(TimeUnit.SECONDS.toMillis(20));
            assertThat(helpers.get(0).isAlive()).as("the helper ended").isFalse();
            assertThat(ranAfterClose).as("statements the helper ran after close() returned").isEmpty();
            release.countDown();
            Throwable x = failure(write);
            assertThat(x).isInstanceOf(StorageException.class);
            assertThat(x.getMessage()).startsWith(CLOSED_ROLLED_BACK);
            assertThat(atlas.tenant("acme").conversations().requireMessage(m.id()).metadata()).isEmpty();
        } finally {
            release.countDown();
            helperGo.countDown();
            threads.shutdownNow();
            assertThat(threads.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
        }
    }
}
