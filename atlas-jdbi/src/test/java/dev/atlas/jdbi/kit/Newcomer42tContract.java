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
    @DisplayName("a heartbeat already under way when its handler finished, landing after the task was completed, logs no 'lost its"
            + " lease' warning: the task completed and nothing was lost or interrupted")
    void heartbeatLandingAfterCompletionIsNoLostLease() throws Exception {
        TaskStore tasks = atlas.tenant("acme").tasks();
        Task t = tasks.create(NewTask.of("job", Map.of()));
        CountDownLatch heartbeatStarted = new CountDownLatch(1);
        CountDownLatch completed = new CountDownLatch(1);
        AtomicReference<Thread> heartbeatThread = new AtomicReference<>();
        // The store as the worker sees it: its first heartbeat is held until the handler's result is stored, as a
        // heartbeat that started just before the handler returned and reached the database just after the completion.
        TaskStore gated = (TaskStore) Proxy.newProxyInstance(TaskStore.class.getClassLoader(), new Class<?>[] {TaskStore.class},
                (proxy, method, args) -> {
                    try {
                        if (method.getName().equals("heartbeat") && heartbeatThread.compareAndSet(null, Thread.currentThread())) {
                            heartbeatStarted.countDown();
                            assertThat(completed.await(30, TimeUnit.SECONDS)).isTrue();
                        }
                        Object result = method.invoke(tasks, args);
                        if (method.getName().equals("complete")) {
                            completed.countDown();
                        }
                        return result;
                    } catch (InvocationTargetException e) {
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
            assertThat(logs.text()).doesNotContain("lost its lease").doesNotContain("interrupting its handler");
        }
    }

    /** Waits up to a minute for {@code condition}, a bound only for failing: a worker that waits its hour-long poll never gets there. */
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
