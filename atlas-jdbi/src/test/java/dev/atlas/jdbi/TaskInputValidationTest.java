package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.task.ClaimedTask;
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

/** Tasks: bad input is refused naming the field, with no SQL run (moved from TaskStoreContract). */
class TaskInputValidationTest extends RefusedBeforeSql {
    private static final Duration LEASE = Duration.ofSeconds(30);

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
        refused("error", () -> store.failAsOperator(t.id(), null));
        refused("error", () -> store.failAsOperator(t.id(), " "));
        refused("error", () -> store.failAsOperator(t.id(), "x".repeat(65_537)));
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
    }

    @Test
    @DisplayName("bad tasks, leases, kinds, results and errors are rejected naming the field, and nothing is written")
    void badInput() {
        refused("kind", () -> store.create(NewTask.of(" ", Map.of())));
        refused("kind", () -> store.create(NewTask.of("a\u0000", Map.of())));
        refused("maxAttempts", () -> NewTask.of("a", Map.of()).maxAttempts(0));
        refused("maxAttempts", () -> NewTask.of("a", Map.of()).maxAttempts(101));
        refused("runAfter", () -> NewTask.of("a", Map.of()).runAfter(Instant.parse("+10000-01-01T00:00:00Z")));
        refused("conversationId", () -> new NewTask("a", Map.of(), null, UUID.randomUUID(), null, 3, null));
        refused("payload", () -> store.create(NewTask.of("a", Map.of("v", "\u0000"))));
        refused("task", () -> store.create(null));
        refused("tasks", () -> store.createAll(Collections.singletonList(null)));
        List<NewTask> tooMany = Collections.nCopies(1001, NewTask.of("a", Map.of()));
        refused("tasks", () -> store.createAll(tooMany));
        List<NewTask> oneBad = List.of(NewTask.of("a", Map.of()), NewTask.of("a", Map.of("v", "\u0000")));
        refused("payload", () -> store.createAll(oneBad));
        assertThat(store.claim(LEASE)).isEmpty();

        task("a");
        refused("lease", () -> store.claim(Duration.ZERO));
        refused("lease", () -> store.claim(Duration.ofSeconds(-1)));
        refused("lease", () -> store.claim(Duration.ofDays(2)));
        refused("lease", () -> store.claim(null));
        refused("kinds", () -> store.claim(LEASE, Set.of()));
        refused("kinds", () -> store.claim(LEASE, Set.of(" ")));
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        refused("error", () -> store.fail(c, " "));
        refused("error", () -> store.fail(c, "x".repeat(65_537)));
        refused("result", () -> store.complete(c, Map.of("v", "\uD800")));
        refused("claim", () -> store.complete(null, Map.of()));
        assertThat(store.get(c.taskId()).orElseThrow()).isEqualTo(c.task());
    }
}
