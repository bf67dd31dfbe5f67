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
}
