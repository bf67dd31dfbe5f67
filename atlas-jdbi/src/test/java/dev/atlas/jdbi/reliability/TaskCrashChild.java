package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Child JVM of {@link TaskCrashTest}: a task producer and worker in one process, killed with SIGKILL
 * by the parent at a line count of its choosing. Arguments: {@code sqlite <file>} or
 * {@code postgres <jdbcUrl>}. It first registers {@link #SCHEDULES} schedules firing every second from an
 * hour ago (kind {@code tick}); each round then runs {@code enqueueScheduled()}, creates {@link #BATCH} keyed tasks of
 * kind {@code work} in one {@code createAll} (the first with a payload of {@link #BIG} characters, so the kill often lands inside a large
 * write), then claims two tasks of kind {@code work} with a lease of {@link #LEASE}: the first it completes, the second it
 * keeps without a heartbeat, as a handler still running when its process dies. It prints one line
 * per call that returned:
 *
 * <pre>
 * SCHEDULED                 the schedules are registered
 * TICKS n                   enqueueScheduled() returned n tasks
 * BATCH r id,id,id          createAll of round r returned these tasks
 * CLAIM task claim attempts k  claim k (0: to complete, 1: to keep) of the round returned
 * DONE task                  complete returned
 * </pre>
 */
public final class TaskCrashChild {
    static final int BATCH = 3;
    static final int BIG = 100_000;
    static final Duration LEASE = Duration.ofSeconds(2);
    static final int SCHEDULES = 20;

    public static void main(String[] args) {
        Atlas atlas = args[0].equals("sqlite")
                ? Atlas.sqlite(Path.of(args[1]))
                : Atlas.builder().jdbcUrl(args[1]).credentials("postgres", "postgres").build();
        TaskStore tasks = atlas.tenant("crash").tasks();
        java.time.Instant start = java.time.Instant.now().minusSeconds(3600);
        for (int s = 0; s < SCHEDULES; s++) {
            tasks.schedule(NewSchedule.every("s" + s, Duration.ofSeconds(1), NewTask.of("tick", Map.of("schedule", "s" + s))).startingAt(start));
        }
        ack("SCHEDULED");
        for (int round = 0; ; round++) {
            ack("TICKS " + tasks.enqueueScheduled().size());
            List<NewTask> batch = new ArrayList<>();
            for (int j = 0; j < BATCH; j++) {
                batch.add(NewTask.of("work", payload(round, j)).clientKey(key(round, j)));
            }
            List<Task> created = tasks.createAll(batch);
            ack("BATCH " + round + " " + created.stream().map(t -> t.id().toString()).collect(Collectors.joining(",")));
            for (int k = 0; k < 2; k++) {
                Optional<ClaimedTask> claim = tasks.claim(LEASE, Set.of("work"));
                if (claim.isEmpty()) {
                    break;
                }
                ClaimedTask c = claim.get();
                ack("CLAIM " + c.taskId() + " " + c.claimId() + " " + c.task().attempts() + " " + k);
                if (k == 0) {
                    tasks.complete(c, result(c.taskId().toString()));
                    ack("DONE " + c.taskId());
                }
            }
        }
    }

    static String key(int round, int j) {
        return "r" + round + "-" + j;
    }

    /** The payload of task {@code j} of round {@code round}: the parent rebuilds it to compare what it reads. */
    static Map<String, Object> payload(int round, int j) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("round", round);
        p.put("j", j);
        p.put("text", j == 0 ? ("é\u2028😀" + round).repeat(BIG / 8) : "small " + round);
        return p;
    }

    static Map<String, Object> result(String taskId) {
        return Map.of("by", "child", "task", taskId);
    }

    /** Reports a call that returned: what it wrote must survive the kill. */
    static void ack(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
