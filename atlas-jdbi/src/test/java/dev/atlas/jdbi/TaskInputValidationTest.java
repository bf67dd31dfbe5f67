package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.Cron;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tasks: bad input is refused naming the field, with no SQL run (moved from TaskStoreContract and TaskScheduleContract). */
class TaskInputValidationTest extends RefusedBeforeSql {
    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private TaskStore store;

    @BeforeEach
    void store() {
        store = freshTenant().tasks();
    }

    private Task task(String kind) {
        return store.create(NewTask.of(kind, Map.of("n", 1)));
    }

    @Test
    @DisplayName("bad task queries are refused naming the field")
    void listBadInput() {
        refused("query", () -> store.list(null));
        refused("limit", () -> TaskQuery.all().limit(0));
        refused("limit", () -> TaskQuery.all().limit(1001));
        refused("kind", () -> TaskQuery.all().kind(" "));
        refused("kind", () -> TaskQuery.all().kind("a\u0000"));
        refused("statuses", () -> TaskQuery.all().statuses(null));
        refused("statuses", () -> TaskQuery.all().statuses(Collections.singleton(null)));
        refused("statuses", TaskQuery::withStatus);
        refused("statuses", () -> TaskQuery.withStatus((TaskStatus) null));
        refused("statuses", () -> TaskQuery.withStatus(TaskStatus.PENDING, null));
        refused("statuses", () -> TaskQuery.withStatus((TaskStatus[]) null));
        refused("status", () -> TaskStatus.of("finished"));
        // A status named twice counts once (a set): the same query, the same page.
        assertThat(TaskQuery.withStatus(TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.PENDING))
                .isEqualTo(TaskQuery.withStatus(TaskStatus.RUNNING, TaskStatus.PENDING));
        refused("cursor", () -> TaskQuery.all().after("x".repeat(201)));
        refused("cursor", () -> store.list(TaskQuery.all().after("not-a-cursor")));
    }

    @Test
    @DisplayName("bad operator input is refused naming the field before anything is written")
    void operatorBadInput() {
        Task t = task("a");
        refused("taskId", () -> store.completeAsOperator(null, Map.of()));
        refused("result", () -> store.completeAsOperator(t.id(), Map.of("v", "\uD800")));
        refused("taskId", () -> store.failAsOperator(null, "x"));
        refused("taskId", () -> store.requeue(null));
        refused("taskId", () -> store.requeue(null, Instant.now()));
        refused("runAfter", () -> store.requeue(t.id(), Instant.MAX));
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
    }

    @Test
    @DisplayName("bad tasks, leases, kinds, results and errors are rejected naming the field, and nothing is written")
    void badInput() {
        refused("kind", () -> store.create(NewTask.of(" ", Map.of())));
        refused("kind", () -> store.create(NewTask.of("a\u0000", Map.of())));
        assertThatThrownBy(() -> NewTask.of("a", null)).isInstanceOf(dev.atlas.InvalidInputException.class)
                .hasMessage("payload: is required: Map.of() for a task without input");
        refused("payload", () -> new NewTask("a", null, null, null, null, 3, null, null));
        refused("maxAttempts", () -> NewTask.of("a", Map.of()).maxAttempts(0));
        refused("maxAttempts", () -> NewTask.of("a", Map.of()).maxAttempts(101));
        refused("runAfter", () -> NewTask.of("a", Map.of()).runAfter(Instant.parse("+10000-01-01T00:00:00Z")));
        refused("conversationId", () -> new NewTask("a", Map.of(), null, UUID.randomUUID(), null, 3, null));
        refused("payload", () -> store.create(NewTask.of("a", Map.of("v", "\u0000"))));
        refused("clientKey", () -> NewTask.of("a", Map.of()).clientKey(""));
        refused("clientKey", () -> NewTask.of("a", Map.of()).clientKey(" "));
        refused("clientKey", () -> NewTask.of("a", Map.of()).clientKey("a\u0000b"));
        refused("clientKey", () -> NewTask.of("a", Map.of()).clientKey("\uD800"));
        refused("clientKey", () -> NewTask.of("a", Map.of()).clientKey("k".repeat(dev.atlas.Limits.MAX_KEY_LENGTH + 1)));
        refused("task", () -> store.create(null));
        refused("tasks", () -> store.createAll(Collections.singletonList(null)));
        List<NewTask> tooMany = Collections.nCopies(1001, NewTask.of("a", Map.of()));
        refused("tasks", () -> store.createAll(tooMany));
        List<NewTask> oneBad = List.of(NewTask.of("a", Map.of()), NewTask.of("a", Map.of("v", "\u0000")));
        refused("tasks[1].payload", () -> store.createAll(oneBad));
        assertThat(store.claim(LEASE)).isEmpty();

        task("a");
        refused("lease", () -> store.claim(Duration.ZERO));
        refused("lease", () -> store.claim(Duration.ofSeconds(-1)));
        refused("lease", () -> store.claim(Duration.ofDays(2)));
        refused("lease", () -> store.claim(null));
        refused("kinds", () -> store.claim(LEASE, Set.of()));
        refused("kinds", () -> store.claim(LEASE, Set.of(" ")));
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        refused("result", () -> store.complete(c, Map.of("v", "\uD800")));
        refused("claim", () -> store.complete(null, Map.of()));
        assertThat(store.get(c.taskId()).orElseThrow()).isEqualTo(c.task());
    }

    @Test
    @DisplayName("bad schedules are refused naming the field, before anything is stored")
    void badSchedules() {
        NewTask task = NewTask.of("k", Map.of());
        for (String bad : new String[] {"", " ", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
                "* * * 13 *", "* * * * 8", "5-1 * * * *", "*/0 * * * *", "a * * * *", "MON * * * *", "* * * JAN *", "@daily",
                "? * * * *", "1,,2 * * * *", "-1 * * * *", "0 0 30 2 *", "0 0 31 4 *", "L * * * *", "1-2-3 * * * *", "x".repeat(201)}) {
            refused("cron", () -> store.schedule(NewSchedule.cron("c", bad, task)));
        }
        refused("cron", () -> NewSchedule.cron("c", null, task));
        refused("interval", () -> NewSchedule.every("i", Duration.ZERO, task));
        refused("interval", () -> NewSchedule.every("i", Duration.ofMillis(999), task));
        refused("interval", () -> NewSchedule.every("i", Duration.ofDays(367), task));
        refused("interval", () -> NewSchedule.every("i", Duration.ofNanos(1_000_000_001), task));
        refused("interval", () -> NewSchedule.every("i", null, task));
        refused("cron", () -> new NewSchedule("both", task, MINUTE, Cron.parse("* * * * *"), null));
        refused("interval", () -> new NewSchedule("none", task, null, null, null));
        refused("name", () -> NewSchedule.every(" ", MINUTE, task));
        refused("name", () -> NewSchedule.every("n".repeat(dev.atlas.Limits.MAX_KEY_LENGTH + 1), MINUTE, task));
        refused("name", () -> NewSchedule.every(null, MINUTE, task));
        refused("task", () -> NewSchedule.every("i", MINUTE, null));
        refused("task.runAfter", () -> NewSchedule.every("i", MINUTE, task.runAfter(clock.instant())));
        refused("task.conversationId", () -> NewSchedule.every("i", MINUTE, task.forConversation(UUID.randomUUID())));
        // one key cannot name every occurrence's task: silently dropping it would leave the caller believing the tasks are keyed
        refused("task.clientKey", () -> NewSchedule.every("i", MINUTE, task.clientKey("k")));
        refused("task.clientKey", () -> NewSchedule.cron("c", "* * * * *", task.clientKey("k")));
        refused("startAt", () -> NewSchedule.cron("c", "* * * * *", task).startingAt(clock.instant()));
        refused("schedule", () -> store.schedule(null));
        refused("name", () -> store.getSchedule(" "));
        refused("name", () -> store.pauseSchedule(null));
        refused("limit", () -> store.schedules(0, null));
        refused("cursor", () -> store.schedules(10, "not-a-cursor"));
        assertThat(store.schedules(100, null).items()).isEmpty();
    }
}
