package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskSchedule;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import dev.atlas.task.TaskWorker;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user who read only README.md and docs/, across tasks, schedules, prices and usage: two
 * worker pools on two Atlas instances draining 200 tasks with failures and a shutdown mid-drain,
 * cron schedules in New York and Berlin across both 2026 changes, a schedule edited between
 * {@code enqueueScheduled}'s read and its write, a price changed mid-day reported over a New York
 * day, cost totals past what one execution may store; another tenant's ids and hostile text on each.
 */
public abstract class Newcomer35Contract extends AtlasContract {

    protected Newcomer35Contract(TestDatabase database) {
        super(database);
    }

    // ---- workers ---------------------------------------------------------------------------

    /** Of task {@code i}: how many first attempts fail (3 = every one of its 3: dead-lettered). */
    private static int failures(int i) {
        return (i * 7 + i / 5) % 4;
    }

    /**
     * A planned handler failure without a stack trace: the worker logs each failure with its throwable, and 2,000
     * tasks' worth of traces was 1.6 MB of test output; this one prints as one line.
     */
    private static final class PlannedFailure extends RuntimeException {
        PlannedFailure(String message) {
            super(message, null, false, false);
        }
    }

    @Test
    @DisplayName("4 worker threads on each of two instances drain 200 tasks: every attempt runs once and alone, exactly as planned; the instance closed mid-drain gives its held tasks back through the lease")
    void twoWorkerPoolsDrainTasksAndAClosedInstanceGivesItsTasksBack() throws Exception {
        int n = 200;
        // Real clocks: the retry backoff (1 s, 2 s) runs on the instance's clock.
        Atlas a = reopen(b -> b.clock(Clock.systemUTC()));
        Atlas b = reopen(b2 -> b2.clock(Clock.systemUTC()));
        TaskStore onA = a.tenant("acme").tasks();
        TaskStore onB = b.tenant("acme").tasks();
        // Another tenant's task of the same kind is never claimed by acme's workers.
        Task foreign = a.tenant("globex").tasks().create(NewTask.of("job", Map.of("i", -1)));
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(NewTask.of("job", Map.of("i", i)).maxAttempts(3));
        }
        Map<UUID, Integer> index = new ConcurrentHashMap<>();
        onA.createAll(batch).forEach(t -> index.put(t.id(), ((Number) t.payload().get("i")).intValue()));
        Map<UUID, Integer> running = new ConcurrentHashMap<>();
        Map<UUID, List<Integer>> attempts = new ConcurrentHashMap<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicInteger finishedRuns = new AtomicInteger();
        CountDownLatch midDrain = new CountDownLatch(1);
        // Every run is checked the same way: acme's, and never beside another run of the same task.
        java.util.function.Function<TaskWorker.Handler, TaskWorker.Handler> checked = inner -> task -> {
            if (!task.tenantId().equals("acme")) {
                problems.add("ran a task of " + task.tenantId());
            }
            if (running.merge(task.id(), 1, Integer::sum) != 1) {
                problems.add("two runs at once of " + task.id());
            }
            try {
                attempts.computeIfAbsent(task.id(), k -> new CopyOnWriteArrayList<>()).add(task.attempts());
                return inner.run(task);
            } finally {
                running.merge(task.id(), -1, Integer::sum);
                if (finishedRuns.incrementAndGet() == 80) {
                    midDrain.countDown();
                }
            }
        };
        TaskWorker.Handler job = checked.apply(task -> {
            int i = index.get(task.id());
            if (task.attempts() <= failures(i)) {
                throw new PlannedFailure("planned failure " + task.attempts() + " of task " + i + " \u0000 \uD800");
            }
            return Map.of("i", i, "attempt", task.attempts());
        });
        // Leases far longer than any write waits for the lock on a loaded machine: no outcome is lost, so the store
        // must hold exactly the plan. Only the held tasks below lose theirs, by construction.
        Duration lease = Duration.ofSeconds(30);
        TaskWorker workerA = TaskWorker.builder(onA).handler("job", job).concurrency(4).pollInterval(Duration.ofMillis(50))
                .lease(lease).start();
        TaskWorker workerB = TaskWorker.builder(onB).handler("job", job).concurrency(4).pollInterval(Duration.ofMillis(50))
                .lease(lease).start();
        // Instance B, mid-drain, holds four tasks of its own kind on 30 s leases (so it never claims one of them again
        // while it waits for the fourth) and is closed under them; its last heartbeat asks for the shortest lease.
        CountDownLatch bHeld = new CountDownLatch(4);
        CountDownLatch bRelease = new CountDownLatch(1);
        CountDownLatch bReturned = new CountDownLatch(4);
        Map<UUID, Task> heldTask = new ConcurrentHashMap<>();
        Map<UUID, Instant> heldLease = new ConcurrentHashMap<>();
        TaskWorker.Handler holding = checked.apply(task -> {
            try {
                heldTask.put(task.id(), task);
                bHeld.countDown();
                // Uninterruptibly: its outcome is lost with the closed instance, the lease brings the task back.
                while (true) {
                    try {
                        bRelease.await();
                        return Map.of("lost", true);
                    } catch (InterruptedException e) {
                        // keep holding
                    }
                }
            } finally {
                bReturned.countDown();
            }
        });
        TaskWorker.Handler takingBack = checked.apply(task -> {
            Instant lost = heldLease.get(task.id());
            // The store hands a held task to instance A only once B's lease on it ran out: A's lease starts (the
            // database's now at A's claim, as B's did) no earlier than B's ended.
            if (lost == null || task.leaseExpiresAt().minus(lease).isBefore(lost)) {
                problems.add("taken back before its lease ran out: " + task.id() + " " + lost);
            }
            return Map.of("held", task.payload().get("held"), "attempt", task.attempts());
        });
        List<Task> held;
        TaskWorker holdingB = null;
        TaskWorker takingBackA = null;
        try {
            assertThat(midDrain.await(120, TimeUnit.SECONDS)).as("80 runs finished").isTrue();
            // B's job pool stops claiming and finishes what it runs: those outcomes are written.
            assertThat(workerB.close(Duration.ofSeconds(60))).isTrue();
            List<NewTask> toHold = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                toHold.add(NewTask.of("held", Map.of("held", k)).maxAttempts(k % 2 == 0 ? 1 : 3));
            }
            held = onA.createAll(toHold);
            // Only B handles "held" yet, so B claims all four.
            holdingB = TaskWorker.builder(onB).handler("held", holding).concurrency(4).pollInterval(Duration.ofMillis(50))
                    .lease(lease).start();
            assertThat(bHeld.await(120, TimeUnit.SECONDS)).as("B's four threads held").isTrue();
            assertThat(heldTask).as("four tasks, each claimed once").hasSize(4);
            // B stops heartbeating; its four handlers ignore the interrupt and keep their claims. Its last heartbeat
            // (the public API, as a worker with the shortest lease would send it) leaves each lease 1 s; then B is gone.
            assertThat(holdingB.close(Duration.ofMillis(50))).isFalse();
            for (Map.Entry<UUID, Task> h : heldTask.entrySet()) {
                Task t = h.getValue();
                heldLease.put(h.getKey(), onB.heartbeat(new ClaimedTask(t, t.claimId(), t.leaseExpiresAt(), TaskStore.MIN_LEASE)).leaseExpiresAt());
            }
            b.close();
            bRelease.countDown();
            assertThat(bReturned.await(120, TimeUnit.SECONDS)).isTrue();
            takingBackA = TaskWorker.builder(onA).handler("held", takingBack).concurrency(2).pollInterval(Duration.ofMillis(50))
                    .lease(lease).start();
            waitUntilDrained(onA, n + 4);
        } finally {
            bRelease.countDown();
            workerA.close();
            workerB.close(Duration.ofSeconds(5));
            if (holdingB != null) {
                holdingB.close(Duration.ofSeconds(5));
            }
            if (takingBackA != null) {
                takingBackA.close();
            }
        }
        assertThat(problems).isEmpty();
        // The store holds exactly the plan: each attempt run once, in order; a success at the first planned success;
        // a dead letter at exactly maxAttempts with the handler's last error.
        int completed = 0;
        for (Task t : all(onA)) {
            if (!t.kind().equals("job")) {
                continue;
            }
            int i = index.get(t.id());
            int expected = Math.min(failures(i) + 1, 3);
            assertThat(attempts.get(t.id())).as("attempts run of task %d", i)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, expected).boxed().toList());
            assertThat(t.attempts()).as("task %d", i).isEqualTo(expected);
            if (failures(i) < 3) {
                completed++;
                assertThat(t.status()).as("task %d", i).isEqualTo(TaskStatus.COMPLETED);
                assertThat(t.result()).isEqualTo(Map.of("i", i, "attempt", expected));
            } else {
                assertThat(t.status()).as("task %d", i).isEqualTo(TaskStatus.FAILED);
                assertThat(t.error()).isEqualTo(PlannedFailure.class.getName() + ": planned failure 3 of task " + i + " \uFFFD \uFFFD");
            }
        }
        assertThat(completed).isEqualTo((int) java.util.stream.IntStream.range(0, n).filter(i -> failures(i) < 3).count());
        assertThat(index).hasSize(n);
        // Held with attempts left: run once more on A, as attempt 2, and completed. Held on its last attempt: failed
        // by A's claim once the lease ran out, never run again.
        for (int k = 0; k < 4; k++) {
            Task t = onA.require(held.get(k).id());
            if (k % 2 == 0) {
                assertThat(t.status()).isEqualTo(TaskStatus.FAILED);
                assertThat(t.error()).isEqualTo("lease expired after 1 attempts");
                assertThat(attempts.get(t.id())).containsExactly(1);
            } else {
                assertThat(t.status()).isEqualTo(TaskStatus.COMPLETED);
                assertThat(t.result()).isEqualTo(Map.of("held", k, "attempt", 2));
                assertThat(attempts.get(t.id())).containsExactly(1, 2);
            }
        }
        assertThat(a.tenant("globex").tasks().require(foreign.id()).status()).isEqualTo(TaskStatus.PENDING);
        assertThat(a.tenant("globex").tasks().require(foreign.id()).attempts()).isZero();
    }

    private static void waitUntilDrained(TaskStore tasks, int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (System.nanoTime() < end) {
            if (tasks.list(TaskQuery.withStatus(TaskStatus.PENDING, TaskStatus.RUNNING).limit(1)).items().isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not drained: " + all(tasks).stream().filter(t -> !t.status().isFinal()).count() + " of " + n + " left");
    }

    private static List<Task> all(TaskStore tasks) {
        List<Task> out = new ArrayList<>();
        String cursor = null;
        do {
            Page<Task> page = tasks.list(TaskQuery.all().limit(1_000).after(cursor));
            out.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        return out;
    }

    @Test
    @DisplayName("another tenant's claim, task id and listing cursor change nothing of it and name nothing of it; hostile payloads are refused on payload")
    void taskCallsWithAnotherTenantsIdsAndClaims() {
        TaskStore acme = atlas.tenant("acme").tasks();
        TaskStore globex = atlas.tenant("globex").tasks();
        Task theirs = globex.create(NewTask.of("job", Map.of("secret", "globex-payload")));
        globex.create(NewTask.of("job", Map.of("n", 2)));
        var claim = globex.claim(Duration.ofMinutes(1)).orElseThrow();
        assertThat(claim.taskId()).isEqualTo(theirs.id());
        assertThat(acme.claim(Duration.ofMinutes(1), Set.of("job"))).as("acme has no task").isEmpty();
        for (Runnable call : List.<Runnable>of(() -> acme.complete(claim, Map.of("x", 1)), () -> acme.fail(claim, "boom"),
                () -> acme.release(claim), () -> acme.heartbeat(claim), () -> acme.cancel(theirs.id()),
                () -> acme.completeAsOperator(theirs.id(), Map.of()), () -> acme.failAsOperator(theirs.id(), "x"),
                () -> acme.requeue(theirs.id()))) {
            assertThatThrownBy(call::run).isInstanceOf(NotFoundException.class).hasMessageNotContaining("globex")
                    .hasMessageNotContaining("secret");
        }
        assertThat(acme.get(theirs.id())).isEmpty();
        Task still = globex.require(theirs.id());
        assertThat(still.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(still.claimId()).isEqualTo(claim.claimId());
        assertThat(still.attempts()).isEqualTo(1);
        assertThat(globex.complete(claim, Map.of("ok", true)).status()).isEqualTo(TaskStatus.COMPLETED);
        // globex's listing cursor is not acme's.
        String cursor = globex.list(TaskQuery.all().limit(1)).nextCursor().orElseThrow();
        assertThatThrownBy(() -> acme.list(TaskQuery.all().limit(1).after(cursor))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("cursor");
        String scheduleCursor;
        globex.schedule(NewSchedule.every("a", Duration.ofHours(1), NewTask.of("g", Map.of())));
        globex.schedule(NewSchedule.every("b", Duration.ofHours(1), NewTask.of("g", Map.of())));
        scheduleCursor = globex.schedules(1, null).nextCursor().orElseThrow();
        assertThatThrownBy(() -> acme.schedules(1, scheduleCursor)).isInstanceOf(InvalidInputException.class).hasMessageContaining("cursor");
        // Hostile payloads: refused on payload before any write.
        Map<String, Object> deep = new HashMap<>();
        Map<String, Object> at = deep;
        for (int i = 0; i < 10_000; i++) {
            Map<String, Object> next = new HashMap<>();
            at.put("d", next);
            at = next;
        }
        for (Map<String, ?> bad : List.<Map<String, ?>>of(Map.of("k", "nul\u0000"), Map.of("k", "lone\uDFFF"), Map.of("k\u0000", 1),
                Map.of("k", new BigDecimal("1e400")), deep)) {
            assertThatThrownBy(() -> acme.create(NewTask.of("job", bad))).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("payload");
        }
        assertThat(acme.list(TaskQuery.all()).items()).isEmpty();
    }

    // ---- schedules across daylight-saving changes ------------------------------------------

    /**
     * Polls every half hour from {@code from} to {@code to}, returning the occurrences enqueued, in order. Every
     * occurrence the tests name lies on a poll (:30), and one enqueued wrongly would be enqueued by the next poll.
     */
    private List<Instant> pollEveryHalfHour(TaskStore tasks, Instant from, Instant to) {
        List<Instant> fired = new ArrayList<>();
        for (Instant at = from; !at.isAfter(to); at = at.plus(Duration.ofMinutes(30))) {
            clock.set(at);
            for (Task t : tasks.enqueueScheduled()) {
                assertThat(t.runAfter()).as("a task is enqueued no earlier than its occurrence").isBeforeOrEqualTo(at);
                fired.add(t.runAfter());
            }
        }
        fired.sort(Comparator.naturalOrder());
        return fired;
    }

    @Test
    @DisplayName("a New York cron fires the documented instants across both 2026 changes: the skipped 02:30 at 03:30 EDT, the repeated 01:30 once")
    void newYorkCronAcrossBothChanges() {
        TaskStore tasks = atlas.tenant("acme").tasks();
        clock.set(Instant.parse("2026-03-06T12:00:00Z"));
        tasks.schedule(NewSchedule.cron("ny-230", "CRON_TZ=America/New_York 30 2 * * *", NewTask.of("report", Map.of())));
        tasks.schedule(NewSchedule.cron("ny-130", "CRON_TZ=America/New_York 30 1 * * *", NewTask.of("report", Map.of())));
        // Another tenant's schedule of the same name is not acme's, and fires into its own tenant only.
        atlas.tenant("globex").tasks().schedule(NewSchedule.cron("ny-230", "CRON_TZ=America/New_York 0 12 * * *", NewTask.of("g", Map.of())));
        List<Instant> spring = pollEveryHalfHour(tasks, Instant.parse("2026-03-06T12:00:00Z"), Instant.parse("2026-03-10T00:00:00Z"));
        assertThat(spring).containsExactly(
                Instant.parse("2026-03-07T06:30:00Z"), // 01:30 EST
                Instant.parse("2026-03-07T07:30:00Z"), // 02:30 EST
                Instant.parse("2026-03-08T06:30:00Z"), // 01:30 EST, the change's day
                Instant.parse("2026-03-08T07:30:00Z"), // 02:30 does not exist: 03:30 EDT
                Instant.parse("2026-03-09T05:30:00Z"), // 01:30 EDT
                Instant.parse("2026-03-09T06:30:00Z")); // 02:30 EDT
        // Paused over the summer: resuming continues with the first occurrence after now, none of the paused ones.
        tasks.pauseSchedule("ny-230");
        tasks.pauseSchedule("ny-130");
        clock.set(Instant.parse("2026-10-30T12:00:00Z"));
        assertThat(tasks.enqueueScheduled()).isEmpty();
        assertThat(tasks.resumeSchedule("ny-230").nextRunAt()).isEqualTo(Instant.parse("2026-10-31T06:30:00Z"));
        assertThat(tasks.resumeSchedule("ny-130").nextRunAt()).isEqualTo(Instant.parse("2026-10-31T05:30:00Z"));
        List<Instant> fall = pollEveryHalfHour(tasks, Instant.parse("2026-10-30T12:00:00Z"), Instant.parse("2026-11-03T00:00:00Z"));
        assertThat(fall).containsExactly(
                Instant.parse("2026-10-31T05:30:00Z"), // 01:30 EDT
                Instant.parse("2026-10-31T06:30:00Z"), // 02:30 EDT
                Instant.parse("2026-11-01T05:30:00Z"), // 01:30 EDT, first pass only (not 06:30Z, 01:30 EST)
                Instant.parse("2026-11-01T07:30:00Z"), // 02:30 EST
                Instant.parse("2026-11-02T06:30:00Z"), // 01:30 EST
                Instant.parse("2026-11-02T07:30:00Z")); // 02:30 EST
        assertThat(tasks.list(TaskQuery.all()).items()).extracting(Task::kind).containsOnly("report");
        clock.set(Instant.parse("2026-11-02T18:00:00Z"));
        assertThat(atlas.tenant("globex").tasks().enqueueScheduled()).extracting(Task::kind).containsExactly("g");
    }

    @Test
    @DisplayName("a Berlin daily cron and a Berlin 15-minute cron fire the documented instants on two instances an hour apart in polling")
    void berlinCronOnTwoInstances() {
        Atlas other = reopen(b -> b.clock(clock));
        TaskStore one = atlas.tenant("acme").tasks();
        TaskStore two = other.tenant("acme").tasks();
        clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        one.schedule(NewSchedule.cron("nightly", "CRON_TZ=Europe/Berlin 30 2 * * *", NewTask.of("n", Map.of())));
        List<Instant> fired = new ArrayList<>();
        // Every 15 minutes: each occurrence (and the repeated 02:30 CET, 01:30Z on the 25th) lies on a poll.
        for (Instant at = Instant.parse("2026-10-24T12:00:00Z"); at.isBefore(Instant.parse("2026-10-27T00:00:00Z")); at = at.plus(Duration.ofMinutes(15))) {
            clock.set(at);
            // Both instances poll each step: every occurrence is enqueued by exactly one of them.
            one.enqueueScheduled().forEach(t -> fired.add(t.runAfter()));
            two.enqueueScheduled().forEach(t -> fired.add(t.runAfter()));
        }
        assertThat(fired).containsExactly(
                Instant.parse("2026-10-25T00:30:00Z"), // 02:30 CEST; the repeated 02:30 CET is not fired again
                Instant.parse("2026-10-26T01:30:00Z")); // 02:30 CET
        // The 24th's 02:30 CEST (00:30Z) lay before registration: never fired.
    }

    // ---- a schedule edited between enqueueScheduled's read and its write --------------------

    /**
     * A data source that runs {@code hook} once, on the polling thread, right after the result of the due-schedule read
     * is closed: between {@code enqueueScheduled}'s read and its write, deterministically.
     */
    private static DataSource afterDueRead(DataSource target, AtomicReference<Runnable> hook) {
        return proxy(DataSource.class, target, (m, r, args) -> r instanceof Connection c ? proxy(Connection.class, c, (cm, cr, cargs) ->
                cm.getName().startsWith("prepare") && cr instanceof PreparedStatement ps && cargs[0] instanceof String sql
                        && sql.contains("task_schedules") && sql.contains("next_run_at <=")
                        ? proxy(PreparedStatement.class, ps, (pm, pr, pargs) -> pr instanceof ResultSet rs
                                ? proxy(ResultSet.class, rs, (rm, rr, rargs) -> {
                                    if (rm.getName().equals("close")) {
                                        Runnable run = hook.getAndSet(null);
                                        if (run != null) {
                                            run.run();
                                        }
                                    }
                                    return rr;
                                }) : pr) : cr) : r);
    }

    /** What a proxied call returned, given the method and its arguments, possibly replaced. */
    private interface After {
        Object apply(java.lang.reflect.Method m, Object result, Object[] args);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, T target, After after) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                // Unwrapping to the interface itself stays on the proxy: Atlas prepares its kept statements on the unwrapped connection.
                (p, m, args) -> m.getName().equals("unwrap") && args[0] == type ? p : after.apply(m, invoke(m, target, args), args));
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    @DisplayName("enqueueScheduled fires only what it read and what is unchanged at its write: a schedule deleted, paused, paused and resumed or replaced after the read is not fired")
    void scheduleEditedBetweenReadAndWrite() {
        AtomicReference<Runnable> hook = new AtomicReference<>();
        Atlas poller = reopen(b -> b.dataSource(afterDueRead(pooledDatabase(), hook)).clock(clock));
        TaskStore editor = atlas.tenant("acme").tasks();
        TaskStore polling = poller.tenant("acme").tasks();
        Instant now = clock.instant();
        Instant due = now.minus(Duration.ofMinutes(1)).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        for (String name : List.of("deleted", "paused", "resumed", "replaced", "untouched")) {
            editor.schedule(NewSchedule.every(name, Duration.ofHours(1), NewTask.of("s", Map.of("s", name))).startingAt(due));
        }
        hook.set(() -> {
            editor.deleteSchedule("deleted");
            editor.pauseSchedule("paused");
            editor.pauseSchedule("resumed");
            editor.resumeSchedule("resumed");
            editor.deleteSchedule("replaced");
            editor.schedule(NewSchedule.every("replaced", Duration.ofHours(1), NewTask.of("s", Map.of("s", "replaced-v2")))
                    .startingAt(due.plusSeconds(30)));
        });
        List<Task> fired = polling.enqueueScheduled();
        assertThat(hook.get()).as("the hook ran").isNull();
        assertThat(fired).extracting(Task::payload).containsExactly(Map.of("s", "untouched"));
        assertThat(fired.get(0).runAfter()).isEqualTo(due);
        assertThat(editor.getSchedule("deleted")).isEmpty();
        TaskSchedule paused = editor.getSchedule("paused").orElseThrow();
        assertThat(paused.paused()).isTrue();
        assertThat(paused.nextRunAt()).isEqualTo(due);
        assertThat(paused.lastRunAt()).isNull();
        assertThat(editor.getSchedule("resumed").orElseThrow().nextRunAt()).isEqualTo(due.plus(Duration.ofHours(1)));
        // The next poll finds the replacement, due since its start, with its own template.
        List<Task> next = polling.enqueueScheduled();
        assertThat(next).extracting(Task::payload).containsExactly(Map.of("s", "replaced-v2"));
        assertThat(next.get(0).runAfter()).isEqualTo(due.plusSeconds(30));
        assertThat(polling.enqueueScheduled()).isEmpty();
        assertThat(editor.list(TaskQuery.all()).items()).hasSize(2);
    }

    @Test
    @DisplayName("schedule calls take no other tenant's schedule and refuse hostile names before any write")
    void scheduleCallsAcrossTenantsAndHostileNames() {
        TaskStore acme = atlas.tenant("acme").tasks();
        TaskStore globex = atlas.tenant("globex").tasks();
        globex.schedule(NewSchedule.every("shared-job", Duration.ofHours(1), NewTask.of("g", Map.of())));
        for (Runnable call : List.<Runnable>of(() -> acme.pauseSchedule("shared-job"), () -> acme.resumeSchedule("shared-job"),
                () -> acme.deleteSchedule("shared-job"))) {
            assertThatThrownBy(call::run).isInstanceOf(NotFoundException.class).hasMessageContaining("name")
                    .hasMessageNotContaining("globex");
        }
        assertThat(acme.getSchedule("shared-job")).isEmpty();
        assertThat(acme.schedules(10, null).items()).isEmpty();
        assertThat(globex.getSchedule("shared-job").orElseThrow().paused()).isFalse();
        // acme may use the name too: names are per tenant.
        acme.schedule(NewSchedule.every("shared-job", Duration.ofHours(1), NewTask.of("a", Map.of())));
        assertThatThrownBy(() -> acme.schedule(NewSchedule.every("shared-job", Duration.ofHours(1), NewTask.of("a", Map.of()))))
                .isInstanceOf(ConflictException.class).hasMessageContaining("name");
        for (String bad : List.of("nul\u0000name", "lone\uD800", "")) {
            assertThatThrownBy(() -> acme.schedule(NewSchedule.every(bad, Duration.ofHours(1), NewTask.of("a", Map.of()))))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
            assertThatThrownBy(() -> acme.pauseSchedule(bad)).isInstanceOf(InvalidInputException.class).hasMessageContaining("name");
        }
        assertThatThrownBy(() -> acme.schedule(NewSchedule.every("p", Duration.ofHours(1), NewTask.of("a", Map.of("k", "v\u0000")))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("task.payload");
        assertThatThrownBy(() -> acme.schedule(NewSchedule.cron("c", "CRON_TZ=Mars/Olympus 0 0 * * *", NewTask.of("a", Map.of()))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("cron");
        assertThat(acme.schedules(10, null).items()).extracting(TaskSchedule::name).containsExactly("shared-job");
    }

    // ---- prices and usage --------------------------------------------------------------------

    private Execution run(Tenant t, String model, Instant at, Usage usage) {
        clock.set(at);
        UUID[] id = new UUID[1];
        t.executions().record(ExecutionSpec.text("openai", model), exec -> {
            id[0] = exec.id();
            exec.usage(usage);
            return null;
        });
        return t.executions().require(id[0]);
    }

    @Test
    @DisplayName("a price changed mid-day bills each execution at the price of its creation, and a New York day's report holds exactly that day's executions")
    void priceChangedMidDayReportedOverANewYorkDay() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        acme.prices().create(ModelPrice.of("openai", "gpt-x", "2.50", "10.00", Instant.parse("2026-03-01T00:00:00Z")));
        acme.prices().create(ModelPrice.of("openai", "gpt-x", "3.00", "12.00", Instant.parse("2026-03-01T15:00:00Z")));
        // globex prices the model acme has no price for: it must not bill acme.
        globex.prices().create(ModelPrice.of("openai", "mystery", "1.00", "1.00", Instant.parse("2020-01-01T00:00:00Z")));
        Usage u = Usage.of(1234, 100);
        Execution before = run(acme, "gpt-x", Instant.parse("2026-03-01T04:59:59.999999Z"), u);
        Execution first = run(acme, "gpt-x", Instant.parse("2026-03-01T05:00:00Z"), u);
        Execution lastOld = run(acme, "gpt-x", Instant.parse("2026-03-01T14:59:59.999999Z"), u);
        Execution firstNew = run(acme, "gpt-x", Instant.parse("2026-03-01T15:00:00Z"), u);
        Execution lastOfDay = run(acme, "gpt-x", Instant.parse("2026-03-02T04:59:59.999999Z"), u);
        Execution after = run(acme, "gpt-x", Instant.parse("2026-03-02T05:00:00Z"), u);
        Execution unpriced = run(acme, "mystery", Instant.parse("2026-03-01T12:00:00Z"), Usage.of(500, 50));
        run(globex, "gpt-x", Instant.parse("2026-03-01T12:00:00Z"), Usage.of(1_000_000_000_000L, 1_000_000_000_000L));
        assertThat(before.cost()).isEqualByComparingTo("0.004085");
        assertThat(first.cost()).isEqualByComparingTo("0.004085");
        assertThat(lastOld.cost()).isEqualByComparingTo("0.004085");
        assertThat(firstNew.cost()).isEqualByComparingTo("0.004902");
        assertThat(lastOfDay.cost()).isEqualByComparingTo("0.004902");
        assertThat(after.cost()).isEqualByComparingTo("0.004902");
        assertThat(unpriced.cost()).as("no price of acme's: no cost (globex's price is globex's)").isNull();

        ZoneId ny = ZoneId.of("America/New_York");
        Instant from = LocalDate.parse("2026-03-01").atStartOfDay(ny).toInstant();
        Instant to = LocalDate.parse("2026-03-02").atStartOfDay(ny).toInstant();
        List<UsageRow> byModel = acme.executions().usageReport(UsageGroup.MODEL, from, to);
        assertThat(byModel).extracting(UsageRow::group).containsExactly("openai/gpt-x", "openai/mystery");
        assertThat(byModel.get(0).executions()).isEqualTo(4);
        assertThat(byModel.get(0).inputTokens()).isEqualTo(4 * 1234);
        assertThat(byModel.get(0).outputTokens()).isEqualTo(400);
        assertThat(byModel.get(0).cost()).isEqualByComparingTo("0.017974");
        assertThat(byModel.get(1).executions()).isEqualTo(1);
        assertThat(byModel.get(1).inputTokens()).isEqualTo(500);
        assertThat(byModel.get(1).cost()).as("executions without a price add 0").isEqualByComparingTo("0");
        List<UsageRow> byDay = acme.executions().usageReport(UsageGroup.DAY, from, to);
        assertThat(byDay).extracting(UsageRow::group).containsExactly("2026-03-01", "2026-03-02");
        assertThat(byDay.get(0).executions()).isEqualTo(4);
        assertThat(byDay.get(0).cost()).isEqualByComparingTo("0.013072");
        assertThat(byDay.get(1).executions()).isEqualTo(1);
        assertThat(byDay.get(1).cost()).isEqualByComparingTo("0.004902");
        List<UsageRow> tenant = acme.executions().usageReport(UsageGroup.TENANT, from, to);
        assertThat(tenant).extracting(UsageRow::group).containsExactly("acme");
        assertThat(tenant.get(0).inputTokens()).isEqualTo(4 * 1234 + 500);
    }

    @Test
    @DisplayName("cost totals past what one execution may store are exact; one execution past it is refused on usage; another tenant's never counted")
    void costTotalsNearTheStorableLimit() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Instant validFrom = Instant.parse("2026-01-01T00:00:00Z");
        acme.prices().create(ModelPrice.of("openai", "big", "9.223372", "0.000036", validFrom));
        globex.prices().create(ModelPrice.of("openai", "big", "9.223372", "0.000036", validFrom));
        Usage nearLimit = Usage.of(1_000_000_000_000L, 1_000_000L);
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        for (int i = 0; i < 3; i++) {
            assertThat(run(acme, "big", t0.plusSeconds(i), nearLimit).cost()).isEqualByComparingTo("9223372.000036");
        }
        run(globex, "big", t0, nearLimit);
        // 10^12 output tokens at 0.000036 add 36: past 2^63-1 pico-units.
        assertThatThrownBy(() -> run(acme, "big", t0.plusSeconds(10), Usage.of(1_000_000_000_000L, 1_000_000_000_000L)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("usage");
        List<UsageRow> rows = acme.executions().usageReport(UsageGroup.MODEL, t0, t0.plusSeconds(3));
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).executions()).isEqualTo(3);
        assertThat(rows.get(0).inputTokens()).isEqualTo(3_000_000_000_000L);
        assertThat(rows.get(0).cost()).isEqualTo(new BigDecimal("27670116.000108").setScale(rows.get(0).cost().scale()));
        assertThat(rows.get(0).cost().compareTo(new BigDecimal("27670116.000108"))).isZero();
        List<UsageRow> operator = atlas.usageReport(UsageGroup.MODEL, t0, t0.plusSeconds(3));
        assertThat(operator.get(0).executions()).isEqualTo(4);
        assertThat(operator.get(0).cost()).isEqualByComparingTo("36893488.000144");
    }

    @Test
    @DisplayName("prices refuse hostile text and duplicate instants naming the field, and are per tenant")
    void pricesRefuseHostileInput() {
        Tenant acme = atlas.tenant("acme");
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("open\u0000ai", "m", "1", "1", at)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("provider");
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("openai", "m\uDC00", "1", "1", at)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("model");
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("openai", "m", "1e400", "1", at)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("inputPerMillion");
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("openai", "m", "-1", "1", at)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("inputPerMillion");
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("openai", "m", "1", "0.0000001", at)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("outputPerMillion");
        atlas.tenant("globex").prices().create(ModelPrice.of("openai", "m", "1", "1", at));
        // globex's price at the same instant is no conflict for acme, and is not in acme's history.
        assertThat(acme.prices().list("openai", "m")).isEmpty();
        assertThat(acme.prices().get("openai", "m", at.plusSeconds(1))).isEmpty();
        acme.prices().create(ModelPrice.of("openai", "m", "2", "2", at));
        assertThatThrownBy(() -> acme.prices().create(ModelPrice.of("openai", "m", "3", "3", at)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("validFrom");
        assertThat(acme.prices().list("openai", "m")).extracting(ModelPrice::inputPerMillion).usingElementComparator(BigDecimal::compareTo)
                .containsExactly(new BigDecimal("2"));
    }
}
