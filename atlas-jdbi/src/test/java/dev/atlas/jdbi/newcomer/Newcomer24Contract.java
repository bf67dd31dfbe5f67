package dev.atlas.jdbi.newcomer;

import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A team building a knowledge-graph memory for its agents and scheduled maintenance jobs, following
 * README.md, docs/memory-and-search.md (graph), docs/assistants-credentials-tasks.md (schedules) and
 * the Javadoc of dev.atlas.graph and dev.atlas.task, through the public API only: hub pages walked while
 * another instance edits the hub, another tenant's keys on reads and writes, hostile edge metadata and
 * edge-type filters, schedules across US daylight-saving changes on two instances 90 s apart, and
 * schedules paused or deleted while their task runs.
 */
public abstract class Newcomer24Contract extends AtlasContract {
    protected Newcomer24Contract(TestDatabase database) {
        super(database);
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-") : "?";
        return t.getClass().getSimpleName() + " on " + field + ": " + t.getMessage();
    }

    private static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    @Test
    @DisplayName("a hub's BOTH pages walked while a second instance adds edges at every weight and deletes others between pages: every"
            + " edge that existed throughout is listed exactly once, and no edge twice")
    void hubPagesUnderConcurrentEdits() {
        MemoryGraph graph = atlas.tenant("acme").graph();
        MemoryGraph second = reopen(b -> b.clock(clock)).tenant("acme").graph();
        graph.upsertNode(NewGraphNode.of("hub"));
        Set<UUID> stable = new HashSet<>();
        List<String> volatileKeys = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String k = "n" + i;
            graph.upsertNode(NewGraphNode.of(k));
            // Few distinct weights: long runs of ties, ordered by edge id.
            GraphEdge e = i % 3 == 0 ? graph.upsertEdge(NewGraphEdge.of(k, "in", "hub").weight(i % 4))
                    : graph.upsertEdge(NewGraphEdge.of("hub", "out", k).weight(i % 4));
            if (i % 5 == 0) {
                volatileKeys.add(k);
            } else {
                stable.add(e.id());
            }
        }
        graph.upsertEdge(NewGraphEdge.of("hub", "self", "hub").weight(2));
        stable.add(graph.neighbours("hub", Direction.OUTGOING, "self").get(0).edge().id());
        List<UUID> seen = new ArrayList<>();
        String cursor = null;
        int page = 0;
        do {
            Page<GraphNeighbour> p = graph.neighbours("hub", Direction.BOTH, null, 4, cursor);
            p.items().forEach(n -> seen.add(n.edge().id()));
            cursor = p.nextCursor().orElse(null);
            // Between pages the other instance deletes a volatile edge and adds new ones, at every weight.
            String v = volatileKeys.get(page % volatileKeys.size());
            catchThrowable(() -> second.deleteEdge("hub", "out", v));
            catchThrowable(() -> second.deleteEdge(v, "in", "hub"));
            second.upsertNode(NewGraphNode.of("new" + page));
            second.upsertEdge(NewGraphEdge.of("hub", "out", "new" + page).weight(page % 4));
            second.upsertEdge(NewGraphEdge.of("new" + page, "in", "hub").weight((page + 1) % 4));
            page++;
        } while (cursor != null);
        assertThat(new HashSet<>(seen)).as("no edge listed twice").hasSize(seen.size());
        assertThat(seen).as("every edge that existed throughout").containsAll(stable);
    }

    @Test
    @DisplayName("another tenant's node keys on reads and writes are refused exactly as keys that exist nowhere (same exception, field"
            + " and message), nothing is written to either tenant, and the other tenant's node keeps no edge")
    void foreignKeysAsNowhere() {
        MemoryGraph mine = atlas.tenant("acme").graph();
        MemoryGraph theirs = atlas.tenant("globex").graph();
        mine.upsertNode(NewGraphNode.of("mine"));
        List<Supplier<String>> calls = List.of(
                () -> outcome(() -> mine.upsertEdge(NewGraphEdge.of("mine", "knows", "x"))),
                () -> outcome(() -> mine.upsertEdge(NewGraphEdge.of("x", "knows", "mine"))),
                () -> outcome(() -> mine.upsertEdge(NewGraphEdge.of("x", "knows", "y"))),
                () -> outcome(() -> mine.deleteEdge("x", "knows", "y")),
                () -> outcome(() -> mine.deleteEdge("mine", "knows", "x")),
                () -> outcome(() -> mine.deleteNode("x")),
                () -> outcome(() -> mine.requireNode("x")),
                () -> outcome(() -> mine.neighbours("x", Direction.BOTH, null, 10, null)),
                () -> outcome(() -> mine.neighbours("x", Direction.INCOMING, "knows")),
                () -> outcome(() -> mine.traverse("x", Direction.BOTH, "knows", 3, 10)),
                () -> String.valueOf(mine.getNode("x")));
        List<String> nowhere = calls.stream().map(Supplier::get).toList();
        theirs.upsertNode(NewGraphNode.of("x"));
        theirs.upsertNode(NewGraphNode.of("y"));
        theirs.upsertEdge(NewGraphEdge.of("x", "knows", "y"));
        List<String> foreign = calls.stream().map(Supplier::get).toList();
        assertThat(foreign).isEqualTo(nowhere);
        assertThat(nowhere.subList(0, 3)).containsExactly("NotFoundException on targetKey: targetKey: graph node x not found",
                "NotFoundException on sourceKey: sourceKey: graph node x not found",
                "NotFoundException on sourceKey: sourceKey: graph node x not found");
        assertThat(nowhere.get(5)).isEqualTo("NotFoundException on key: key: graph node x not found");
        assertThat(mine.neighbours("mine", Direction.BOTH, null)).isEmpty();
        assertThat(theirs.neighbours("x", Direction.BOTH, null)).extracting(n -> n.node().key()).containsExactly("y");
        assertThat(theirs.neighbours("y", Direction.BOTH, null)).extracting(n -> n.node().key()).containsExactly("x");
    }

    @Test
    @DisplayName("edge types with LIKE syntax, case, a trailing space and full-width look-alikes are distinct filters for neighbours and"
            + " traverse; a 10,000-character label or type is refused naming it")
    void hostileEdgeTypes() {
        MemoryGraph g = atlas.tenant("acme").graph();
        g.upsertNode(NewGraphNode.of("a"));
        List<String> types = List.of("likes", "lik%", "lik_", "LIKES", "likes ", "\uFF4Cikes", "lik\\%", "l'); DROP TABLE x;--");
        for (int i = 0; i < types.size(); i++) {
            g.upsertNode(NewGraphNode.of("t" + i));
            g.upsertEdge(NewGraphEdge.of("a", types.get(i), "t" + i));
        }
        for (int i = 0; i < types.size(); i++) {
            assertThat(g.neighbours("a", Direction.OUTGOING, types.get(i))).as(types.get(i)).extracting(n -> n.node().key())
                    .containsExactly("t" + i);
        }
        assertThat(g.traverse("a", Direction.OUTGOING, "lik%", 2, 10)).extracting(r -> r.node().key()).containsExactly("t1");
        assertThat(g.traverse("a", Direction.BOTH, "lik_", 2, 10)).extracting(r -> r.node().key()).containsExactly("t2");
        assertThat(g.neighbours("a", Direction.OUTGOING, "lik")).isEmpty();
        String huge = "x".repeat(10_000);
        assertThat(outcome(() -> NewGraphNode.of("b").label(huge))).startsWith("InvalidInputException on label: ");
        assertThat(outcome(() -> NewGraphNode.of("b").type(huge))).startsWith("InvalidInputException on type: ");
        assertThat(outcome(() -> NewGraphEdge.of("a", huge, "t0"))).startsWith("InvalidInputException on type: ");
        assertThat(outcome(() -> g.neighbours("a", Direction.OUTGOING, huge, 10, null))).startsWith("InvalidInputException on edgeType: ");

    }

    private static final Duration MINUTE = Duration.ofMinutes(1);

    @Test
    @DisplayName("two instances 90 s apart polling in turn through New York's 2026 fall-back: a CRON_TZ=America/New_York half-hourly"
            + " schedule fires every 30 real minutes once, also in both passes of 01:xx; 30 1 * * * fires once, in the first pass;"
            + " a CRON_TZ=+5 expression is stored as CRON_TZ=+05:00")
    void newYorkFallBackOnSkewedInstances() {
        Instant from = Instant.parse("2026-11-01T04:50:00Z");
        MutableClock ahead = new MutableClock(from.plusSeconds(90));
        clock.set(from);
        TaskStore a = atlas.tenant("acme").tasks();
        TaskStore b = reopen(x -> x.clock(ahead)).tenant("acme").tasks();
        a.schedule(NewSchedule.cron("half-hourly", "CRON_TZ=America/New_York */30 * * * *", NewTask.of("half", Map.of())));
        b.schedule(NewSchedule.cron("daily", "CRON_TZ=America/New_York 30 1 * * *", NewTask.of("daily", Map.of())));
        // Stored as Cron.expression() gives it, not as written (docs/assistants-credentials-tasks.md).
        assertThat(a.schedule(NewSchedule.cron("offset", "CRON_TZ=+5  30 2 * * *", NewTask.of("offset", Map.of()))).cron())
                .isEqualTo("CRON_TZ=+05:00 30 2 * * *");
        List<Task> fired = new ArrayList<>();
        int poll = 0;
        for (Instant t = from; t.isBefore(Instant.parse("2026-11-01T07:10:00Z")); t = t.plus(Duration.ofMinutes(10))) {
            clock.set(t);
            ahead.set(t.plusSeconds(90));
            fired.addAll(poll++ % 2 == 0 ? a.enqueueScheduled() : b.enqueueScheduled());
        }
        // 01:00 EDT, 01:30 EDT, 01:00 EST, 01:30 EST, 02:00 EST; 30 1 * * *: 01:30 EDT only.
        assertThat(fired.stream().filter(x -> x.kind().equals("half")).map(Task::runAfter)).containsExactly(
                Instant.parse("2026-11-01T05:00:00Z"), Instant.parse("2026-11-01T05:30:00Z"), Instant.parse("2026-11-01T06:00:00Z"),
                Instant.parse("2026-11-01T06:30:00Z"), Instant.parse("2026-11-01T07:00:00Z"));
        assertThat(fired.stream().filter(x -> x.kind().equals("daily")).map(Task::runAfter))
                .containsExactly(Instant.parse("2026-11-01T05:30:00Z"));
    }

    @Test
    @DisplayName("a schedule paused, resumed and deleted while its fired task runs: the claimed task completes as usual, a paused or"
            + " deleted schedule fires nothing more, and resuming continues with the first occurrence after now")
    void scheduleChangedWhileItsTaskRuns() {
        TaskStore store = atlas.tenant("acme").tasks();
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("job", MINUTE, NewTask.of("job", Map.of("n", 1))).startingAt(start));
        assertThat(store.enqueueScheduled()).extracting(Task::runAfter).containsExactly(start);
        ClaimedTask claim = store.claim(Duration.ofMinutes(5)).orElseThrow();
        store.pauseSchedule("job");
        clock.advanceMicros(150_000_000);
        assertThat(store.enqueueScheduled()).isEmpty();
        assertThat(store.complete(claim, Map.of("ok", true))).returns(TaskStatus.COMPLETED, Task::status);
        assertThat(store.resumeSchedule("job").nextRunAt()).isEqualTo(start.plus(MINUTE.multipliedBy(3)));
        clock.advanceMicros(30_000_000);
        assertThat(store.enqueueScheduled()).extracting(Task::runAfter).containsExactly(start.plus(MINUTE.multipliedBy(3)));
        ClaimedTask second = store.claim(Duration.ofMinutes(5)).orElseThrow();
        store.deleteSchedule("job");
        clock.advanceMicros(600_000_000);
        assertThat(store.enqueueScheduled()).isEmpty();
        assertThat(store.complete(second, null)).returns(TaskStatus.COMPLETED, Task::status);
        assertThat(store.list(TaskQuery.all().kind("job").limit(10)).items()).extracting(Task::status)
                .containsExactly(TaskStatus.COMPLETED, TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("schedule names with LIKE syntax, quotes, look-alikes and a trailing space are matched exactly by get, pause, resume"
            + " and delete; NUL, a lone surrogate or 10,000 characters are refused naming name; another tenant's name is as unknown")
    void hostileScheduleNames() {
        TaskStore store = atlas.tenant("acme").tasks();
        TaskStore other = atlas.tenant("globex").tasks();
        List<String> names = List.of("a%", "a_", "A%", "a% ", "\uFF41%", "x'); DROP TABLE task_schedules;--");
        for (String n : names) {
            store.schedule(NewSchedule.every(n, MINUTE, NewTask.of("k", Map.of("name", n))));
        }
        for (String probe : List.of("%", "_", "a", "a\\%")) {
            assertThat(store.getSchedule(probe)).as(probe).isEmpty();
            assertThat(outcome(() -> store.pauseSchedule(probe))).as(probe)
                    .isEqualTo(outcome(() -> other.pauseSchedule(probe)));
            assertThat(outcome(() -> store.deleteSchedule(probe))).as(probe).startsWith("NotFoundException on name: ");
        }
        for (String n : names) {
            assertThat(store.pauseSchedule(n).name()).isEqualTo(n);
            assertThat(store.getSchedule(n).orElseThrow().paused()).isTrue();
            assertThat(outcome(() -> other.resumeSchedule(n))).isEqualTo(outcome(() -> other.resumeSchedule(n + "-ghost").name())
                    .replace(n + "-ghost", n));
        }
        assertThat(store.schedules(100, null).items()).allMatch(s -> s.paused());
        for (String bad : List.of("a\u0000", "a\uD800", "x".repeat(10_000), " ")) {
            assertThat(outcome(() -> NewSchedule.every(bad, MINUTE, NewTask.of("k", Map.of())))).startsWith("InvalidInputException on name: ");
            assertThat(outcome(() -> store.getSchedule(bad))).startsWith("InvalidInputException on name: ");
            assertThat(outcome(() -> store.pauseSchedule(bad))).startsWith("InvalidInputException on name: ");
        }
    }
}
