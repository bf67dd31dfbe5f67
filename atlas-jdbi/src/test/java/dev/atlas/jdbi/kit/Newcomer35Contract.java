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
 * worker pools on two Atlas instances draining 2,000 tasks with failures and a shutdown mid-drain,
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

    @Test
    @DisplayName("4 worker threads on each of two instances drain 2,000 tasks: every attempt runs once and alone; one instance closed mid-drain gives its tasks back through the lease")
    void twoWorkerPoolsDrainTwoThousandTasks() throws Exception {
        int n = 2_000;
        // Real clocks: the retry backoff (1 s, 2 s) runs on the instance's clock.
        Atlas a = reopen(b -> b.clock(Clock.systemUTC()));
        Atlas b = reopen(b2 -> b2.clock(Clock.systemUTC()));
        TaskStore onA = a.tenant("acme").tasks();
        TaskStore onB = b.tenant("acme").tasks();
        // Another tenant's task of the same kind is never claimed by acme's workers.
        Task foreign = a.tenant("globex").tasks().create(NewTask.of("job", Map.of("i", -1)));
        List<NewTask> batch = new ArrayList<>();
        Map<UUID, Integer> index = new ConcurrentHashMap<>();
        for (int i = 0; i < n; i++) {
            batch.add(NewTask.of("job", Map.of("i", i)).maxAttempts(3));
            if (batch.size() == 1_000) {
                onA.createAll(batch).forEach(t -> index.put(t.id(), ((Number) t.payload().get("i")).intValue()));
                batch.clear();
            }
        }
        Map<UUID, Integer> running = new ConcurrentHashMap<>();
        Map<UUID, List<Integer>> attempts = new ConcurrentHashMap<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicInteger finishedRuns = new AtomicInteger();
        // Instance B's four threads are held once 600 runs finished, then B is closed under them.
        AtomicBoolean holding = new AtomicBoolean();
        CountDownLatch bHeld = new CountDownLatch(4);
        CountDownLatch bRelease = new CountDownLatch(1);
        Set<UUID> heldOnB = ConcurrentHashMap.newKeySet();
        Map<UUID, Integer> heldAttempt = new ConcurrentHashMap<>();
        TaskWorker.Handler[] handlers = new TaskWorker.Handler[2];
        for (int w = 0; w < 2; w++) {
            boolean isB = w == 1;
            handlers[w] = task -> {
                if (!task.tenantId().equals("acme")) {
                    problems.add("ran a task of " + task.tenantId());
                }
                if (running.merge(task.id(), 1, Integer::sum) != 1) {
                    problems.add("two runs at once of " + task.id());
                }
                try {
                    attempts.computeIfAbsent(task.id(), k -> new CopyOnWriteArrayList<>()).add(task.attempts());
                    if (isB && holding.get() && bHeld.getCount() > 0) {
                        heldOnB.add(task.id());
                        heldAttempt.put(task.id(), task.attempts());
                        bHeld.countDown();
                        // Uninterruptibly: its outcome is lost with the closed instance, the lease brings the task back.
                        while (true) {
                            try {
                                bRelease.await();
                                break;
                            } catch (InterruptedException e) {
                                // keep holding
                            }
                        }
                        return Map.of("lost", true);
                    }
                    int i = index.get(task.id());
                    if (task.attempts() <= failures(i)) {
                        throw new IllegalStateException("planned failure " + task.attempts() + " of task " + i + " \u0000 \uD800");
                    }
                    return Map.of("i", i, "attempt", task.attempts());
                } finally {
                    running.merge(task.id(), -1, Integer::sum);
                    if (finishedRuns.incrementAndGet() == 600) {
                        holding.set(true);
                    }
                }
            };
        }
        TaskWorker workerA = TaskWorker.builder(onA).handler("job", handlers[0]).concurrency(4).pollInterval(Duration.ofMillis(50))
                .lease(Duration.ofSeconds(5)).start();
        TaskWorker workerB = TaskWorker.builder(onB).handler("job", handlers[1]).concurrency(4).pollInterval(Duration.ofMillis(50))
                .lease(Duration.ofSeconds(5)).start();
        try {
            assertThat(bHeld.await(120, TimeUnit.SECONDS)).as("B's four threads held").isTrue();
            // B stops claiming; its four handlers ignore the interrupt and keep their claims.
            assertThat(workerB.close(Duration.ofMillis(50))).isFalse();
            b.close();
            bRelease.countDown();
            waitUntilDrained(onA, n);
        } finally {
            bRelease.countDown();
            workerA.close();
            workerB.close(Duration.ofSeconds(5));
        }
        assertThat(problems).isEmpty();
        assertThat(heldOnB).hasSize(4);
        // What the store holds must be what the handlers did. An attempt's outcome is lost only when its lease ran out
        // before the outcome was written (B's held runs by construction; on a loaded machine a write queued past the
        // lease too): the next claim is then the next attempt, never a second run of the same attempt, never beside it.
        int completed = 0;
        int dead = 0;
        int lost = 0;
        for (Task t : all(onA)) {
            int i = index.get(t.id());
            List<Integer> ran = attempts.getOrDefault(t.id(), List.of());
            List<Integer> expectedRuns = java.util.stream.IntStream.rangeClosed(1, t.attempts()).boxed().toList();
            assertThat(ran).as("attempts run of task %d: each once, in order, none claimed without a run", i)
                    .containsExactlyElementsOf(expectedRuns);
            for (int at = 1; at < t.attempts(); at++) {
                boolean plannedSuccess = at > failures(i) && heldAttempt.getOrDefault(t.id(), 0) != at;
                lost += plannedSuccess ? 1 : 0;
            }
            if (t.status() == TaskStatus.COMPLETED) {
                completed++;
                assertThat(t.attempts()).as("task %d completed at a planned success", i).isGreaterThan(failures(i));
                assertThat(t.result()).isEqualTo(Map.of("i", i, "attempt", t.attempts()));
            } else {
                dead++;
                assertThat(t.status()).as("task %d", i).isEqualTo(TaskStatus.FAILED);
                assertThat(t.attempts()).as("a dead letter used exactly maxAttempts: task %d", i).isEqualTo(3);
                if (!t.error().equals("lease expired after 3 attempts")) {
                    assertThat(t.error()).isEqualTo("java.lang.IllegalStateException: planned failure 3 of task " + i + " \uFFFD \uFFFD");
                    assertThat(failures(i)).isEqualTo(3);
                }
            }
            if (failures(i) == 3) {
                assertThat(t.status()).as("task %d fails every attempt", i).isEqualTo(TaskStatus.FAILED);
            }
            if (heldAttempt.getOrDefault(t.id(), 0) == 3) {
                assertThat(t.error()).as("held on its last attempt: failed by the claim after its lease").isEqualTo("lease expired after 3 attempts");
            } else if (heldOnB.contains(t.id())) {
                assertThat(t.attempts()).as("a task held on the closed instance ran again elsewhere").isGreaterThan(heldAttempt.get(t.id()));
            }
        }
        assertThat(completed + dead).isEqualTo(n);
        long plannedDead = java.util.stream.IntStream.range(0, n).filter(i -> failures(i) == 3).count();
        assertThat(dead).as("dead letters: the planned ones, plus those whose third outcome was lost").isGreaterThanOrEqualTo((int) plannedDead);
        assertThat(lost).as("successes whose outcome was lost to an expired lease (SQLite under load)").isLessThan(n / 100);
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

    /** Polls every 15 minutes from {@code from} to {@code to}, returning the occurrences enqueued, in order. */
    private List<Instant> pollEveryQuarterHour(TaskStore tasks, Instant from, Instant to) {
        List<Instant> fired = new ArrayList<>();
        for (Instant at = from; !at.isAfter(to); at = at.plus(Duration.ofMinutes(15))) {
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
        List<Instant> spring = pollEveryQuarterHour(tasks, Instant.parse("2026-03-06T12:00:00Z"), Instant.parse("2026-03-10T00:00:00Z"));
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
        List<Instant> fall = pollEveryQuarterHour(tasks, Instant.parse("2026-10-30T12:00:00Z"), Instant.parse("2026-11-03T00:00:00Z"));
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
        for (Instant at = Instant.parse("2026-10-24T12:00:00Z"); at.isBefore(Instant.parse("2026-10-27T00:00:00Z")); at = at.plus(Duration.ofMinutes(5))) {
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
