package dev.atlas.jdbi.kit;

import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import dev.atlas.task.TaskWorker;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user of durable tasks (session 42), reading docs/assistants-credentials-tasks.md and the {@link TaskStore} and
 * {@link TaskWorker} Javadoc alone.
 */
public abstract class Newcomer42tContract extends AtlasContract {
    protected Newcomer42tContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("a TaskWorker with a backlog claims the next due task as soon as a handler finishes, not at its next poll (the"
            + " Builder: pollInterval is the pause between polls when no task is due): with pollInterval an hour and concurrency 1,"
            + " three due tasks all complete, in their claim order")
    void backlogDrainsWithoutWaitingForThePollInterval() {
        TaskStore tasks = atlas.tenant("acme").tasks();
        List<UUID> created = tasks.createAll(List.of(NewTask.of("job", Map.of("n", 1)), NewTask.of("job", Map.of("n", 2)),
                NewTask.of("job", Map.of("n", 3)))).stream().map(Task::id).toList();
        List<UUID> ran = new CopyOnWriteArrayList<>();
        try (TaskWorker worker = TaskWorker.builder(tasks).handler("job", t -> {
            ran.add(t.id());
            return Map.of("n", t.payload().get("n"));
        }).pollInterval(Duration.ofHours(1)).start()) {
            await(() -> tasks.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items().size() == 3,
                    () -> "completed: " + tasks.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items().size() + " of 3, ran " + ran.size());
        }
        assertThat(ran).containsExactlyElementsOf(created);
        assertThat(tasks.list(TaskQuery.all()).items()).extracting(Task::status, Task::attempts)
                .containsOnly(org.assertj.core.groups.Tuple.tuple(TaskStatus.COMPLETED, 1));
    }

    @Test
    @DisplayName("a backlog drained by claims after each task keeps to concurrency and goes on past handlers that throw: with"
            + " concurrency 3 and pollInterval an hour, 12 due tasks (every third throwing, one attempt each) all end, 8"
            + " completed and 4 failed, and the worker never holds more than 3 claims (a claimed task waiting for a pool"
            + " thread would hold its lease unrenewed)")
    void backlogDrainKeepsToConcurrencyAndGoesOnPastFailures() {
        TaskStore tasks = atlas.tenant("acme").tasks();
        List<NewTask> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            batch.add(NewTask.of("job", Map.of("n", i)).maxAttempts(1));
        }
        tasks.createAll(batch);
        java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        // The store as the worker sees it, counting the claims it holds: from a claim that took a task until that task's
        // outcome is stored, which the worker does before it frees the slot.
        TaskStore counting = (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(), new Class<?>[] {TaskStore.class},
                (proxy, method, args) -> {
                    try {
                        Object result = method.invoke(tasks, args);
                        if (method.getName().equals("claim") && ((java.util.Optional<?>) result).isPresent()) {
                            most.accumulateAndGet(held.incrementAndGet(), Math::max);
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (method.getName().equals("complete") || method.getName().equals("fail")) {
                            held.decrementAndGet();
                        }
                    }
                });
        try (TaskWorker worker = TaskWorker.builder(counting).handler("job", t -> {
            int n = ((Number) t.payload().get("n")).intValue();
            if (n > 0) {
                // The first ends at once while the others still run, so the claims after it would show an overshoot.
                Thread.sleep(300);
            }
            if (n % 3 == 0) {
                throw new IllegalStateException("task " + t.payload().get("n") + " fails");
            }
            return Map.of();
        }).concurrency(3).pollInterval(Duration.ofHours(1)).start()) {
            await(() -> tasks.list(TaskQuery.all()).items().stream().allMatch(t -> t.status() == TaskStatus.COMPLETED
                    || t.status() == TaskStatus.FAILED), () -> "not ended: " + tasks.list(TaskQuery.all()).items().stream()
                    .filter(t -> t.status() != TaskStatus.COMPLETED && t.status() != TaskStatus.FAILED).count() + " of 12");
        }
        assertThat(tasks.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items()).hasSize(8);
        assertThat(tasks.list(TaskQuery.withStatus(TaskStatus.FAILED)).items()).hasSize(4)
                .allSatisfy(t -> assertThat(t.error()).contains("fails"));
        assertThat(most.get()).as("claims held at once").isBetween(1, 3);
    }

    @Test
    @DisplayName("a heartbeat already under way when its handler finished, landing after the task was completed, logs no 'lost its"
            + " lease' warning: the task completed and nothing was lost or interrupted")
    void heartbeatLandingAfterCompletionIsNoLostLease() throws Exception {
        TaskStore tasks = atlas.tenant("acme").tasks();
        Task t = tasks.create(NewTask.of("job", Map.of()));
        CountDownLatch heartbeatStarted = new CountDownLatch(1);
        CountDownLatch completed = new CountDownLatch(1);
        AtomicReference<Thread> heartbeatThread = new AtomicReference<>();
        AtomicReference<Throwable> heldHeartbeatFailure = new AtomicReference<>();
        // The store as the worker sees it: its first heartbeat is held until the handler's result is stored, as a
        // heartbeat that started just before the handler returned and reached the database just after the completion.
        TaskStore gated = (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(), new Class<?>[] {TaskStore.class},
                (proxy, method, args) -> {
                    boolean held = method.getName().equals("heartbeat") && heartbeatThread.compareAndSet(null, Thread.currentThread());
                    try {
                        if (held) {
                            heartbeatStarted.countDown();
                            assertThat(completed.await(30, TimeUnit.SECONDS)).isTrue();
                        }
                        Object result = method.invoke(tasks, args);
                        if (method.getName().equals("complete")) {
                            completed.countDown();
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        if (held) {
                            heldHeartbeatFailure.set(e.getCause());
                        }
                        throw e.getCause();
                    }
                });
        try (LogCapture logs = LogCapture.start()) {
            try (TaskWorker worker = TaskWorker.builder(gated).handler("job", task -> {
                assertThat(heartbeatStarted.await(30, TimeUnit.SECONDS)).isTrue();
                return Map.of("done", true);
            }).lease(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10)).start()) {
                assertThat(completed.await(30, TimeUnit.SECONDS)).isTrue();
                // The held heartbeat has answered (the task is completed) once its thread is back waiting for work.
                await(() -> java.util.Arrays.stream(heartbeatThread.get().getStackTrace())
                        .anyMatch(f -> f.getMethodName().equals("take") && f.getClassName().contains("DelayedWorkQueue")),
                        () -> "heartbeat thread still at " + java.util.Arrays.toString(heartbeatThread.get().getStackTrace()));
            }
            assertThat(tasks.require(t.id())).returns(TaskStatus.COMPLETED, Task::status).returns(Map.of("done", true), Task::result);
            // The case itself: the held heartbeat was refused because the task had completed, and the worker kept quiet.
            assertThat(heldHeartbeatFailure.get()).isExactlyInstanceOf(dev.atlas.LeaseLostException.class)
                    .hasMessageContaining("the task is completed");
            assertThat(logs.text()).doesNotContain("lost its lease").doesNotContain("interrupting its handler");
        }
    }

    @Test
    @DisplayName("TaskWorker.close that gives up while a finished handler's thread is claiming the next task (close interrupts"
            + " that thread): the task the claim took is given back, pending with no attempt counted, not left held until its"
            + " lease runs out")
    void closeGivingUpDuringAClaimAfterATaskGivesTheClaimBack() throws Exception {
        TaskStore tasks = atlas.tenant("acme").tasks();
        Task first = tasks.create(NewTask.of("job", Map.of("n", 1)));
        Task second = tasks.create(NewTask.of("job", Map.of("n", 2)));
        java.util.concurrent.atomic.AtomicInteger claims = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch secondClaim = new CountDownLatch(1);
        CountDownLatch settled = new CountDownLatch(1);
        // The store as the worker sees it: the claim after the first task is still on its way to the database when close()
        // gives up and interrupts the worker's threads; it then goes through, as a statement already sent would.
        TaskStore slowSecondClaim = (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(), new Class<?>[] {TaskStore.class},
                (proxy, method, args) -> {
                    boolean held = method.getName().equals("claim") && claims.incrementAndGet() == 2;
                    if (held) {
                        secondClaim.countDown();
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (!Thread.currentThread().isInterrupted() && System.nanoTime() < deadline) {
                            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                        }
                    }
                    boolean claimedOne = false;
                    try {
                        Object result = method.invoke(tasks, args);
                        claimedOne = held && ((java.util.Optional<?>) result).isPresent();
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        // Settled once the held claim came back with nothing, or what it took was given back (or not).
                        if ((held && !claimedOne) || method.getName().equals("release")) {
                            settled.countDown();
                        }
                    }
                });
        TaskWorker worker = TaskWorker.builder(slowSecondClaim).handler("job", t -> Map.of("n", t.payload().get("n")))
                .pollInterval(Duration.ofHours(1)).start();
        assertThat(secondClaim.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.close(Duration.ZERO)).isFalse();
        assertThat(settled.await(30, TimeUnit.SECONDS)).as("the held claim came back and what it took was given back").isTrue();
        assertThat(tasks.require(first.id())).returns(TaskStatus.COMPLETED, Task::status);
        assertThat(tasks.require(second.id())).returns(TaskStatus.PENDING, Task::status).returns(0, Task::attempts);
    }

    /** Waits up to a minute for {@code condition}, a bound only for failing: a worker that waits its hour-long poll never gets there. */
    @Test
    @DisplayName("a TaskWorker's timed poll never waits behind a claim after a task: while a finished handler's thread is inside"
            + " a slow claim (a busy database), the poll still enqueues due schedules at every tick (it blocked on that claim's"
            + " lock, so no schedule fired until the claim returned), and every task still runs once")
    void timedPollDoesNotWaitBehindAClaimAfterATask() {
        TaskStore tasks = atlas.tenant("acme").tasks();
        List<NewTask> batch = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(NewTask.of("job", Map.of("n", i)));
        }
        tasks.createAll(batch);
        java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
        CountDownLatch slowed = new CountDownLatch(1);
        AtomicReference<String> heldUp = new AtomicReference<>();
        // The store as the worker sees it: the first claim made on a handler's thread (a claim after a task) waits, up to
        // 30 s, for three more polls to enqueue schedules, as a claim waiting for a busy database's lock would.
        TaskStore slow = (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(), new Class<?>[] {TaskStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("enqueueScheduled")) {
                        polls.incrementAndGet();
                    }
                    if (method.getName().equals("claim") && Thread.currentThread().getName().startsWith("atlas-task-worker")
                            && slowed.getCount() == 1) {
                        slowed.countDown();
                        int from = polls.get();
                        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                        while (polls.get() < from + 3 && System.nanoTime() < deadline) {
                            Thread.sleep(5);
                        }
                        if (polls.get() < from + 3) {
                            heldUp.set("the poll enqueued schedules " + (polls.get() - from) + " times in 30 s of a claim after a task");
                        }
                    }
                    try {
                        return method.invoke(tasks, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (TaskWorker worker = TaskWorker.builder(slow).handler("job", t -> Map.of()).pollInterval(Duration.ofMillis(10)).start()) {
            await(() -> tasks.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items().size() == 5,
                    () -> "completed: " + tasks.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items().size() + " of 5");
        }
        assertThat(slowed.getCount()).as("a claim was made on a handler's thread").isZero();
        assertThat(heldUp.get()).isNull();
        assertThat(tasks.list(TaskQuery.all()).items()).extracting(Task::status, Task::attempts)
                .containsOnly(org.assertj.core.groups.Tuple.tuple(TaskStatus.COMPLETED, 1));
    }

    static void await(BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within a minute: " + state.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
