package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.LeaseLostException;
import dev.atlas.Page;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskSchedule;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A task producer and worker JVM ({@link TaskCrashChild}) killed with SIGKILL in the middle of its
 * work: after the restart every acknowledged write is there as acknowledged, no {@code createAll} is
 * half-stored, the tasks the dead process held are claimed again once their leases run out, each
 * exactly once and by its next attempt, and the dead holder's claim can no longer complete them.
 */
class TaskCrashTest {
    private static final int LINES_BEFORE_KILL = 150;
    /** The default of NewTask.of. */
    private static final int MAX_ATTEMPTS = 3;

    @TempDir
    Path dir;

    /** A task's latest claim the child acknowledged: its id, the attempt it counted, which of the round's two, whether completed. */
    static final class Claim {
        final UUID id;
        final int attempts;
        final int k;
        boolean done;

        Claim(UUID id, int attempts, int k) {
            this.id = id;
            this.attempts = attempts;
            this.k = k;
        }
    }

    /** What the child acknowledged before it died: {@code ticks} tasks enqueued by schedules; {@code lastLine} its last call. */
    record Acks(TreeMap<Integer, List<UUID>> batches, Map<UUID, Claim> claims, int ticks, String lastLine) {}

    private Acks runAndKill(String kind, String target) throws Exception {
        List<String> command = ChildJvm.command(List.of(), TaskCrashChild.class, List.of(kind, target));
        Process child = new ProcessBuilder(command).redirectError(dir.resolve("child.err").toFile()).start();
        // A child that hangs (a lock it never gets) would block readLine below, and the build's fork with it: a watchdog
        // kills it, the pipe ends, and the test fails on the child ending unkilled instead of hanging CI.
        java.util.concurrent.ScheduledExecutorService watchdog = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "task-crash-watchdog");
            t.setDaemon(true);
            return t;
        });
        watchdog.schedule(() -> child.toHandle().destroyForcibly(), 240, TimeUnit.SECONDS);
        TreeMap<Integer, List<UUID>> batches = new TreeMap<>();
        Map<UUID, Claim> claims = new LinkedHashMap<>();
        String last = null;
        // A count that is not a multiple of one round's lines, so the kill lands at various points of a round.
        int lines = LINES_BEFORE_KILL + (int) (ProcessHandle.current().pid() % 13);
        int done = 0;
        boolean scheduled = false;
        int ticks = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean killed = false;
            // Read to the end, past the kill: the lines the child wrote before it died, still in the pipe, are calls that
            // returned too. Stopping at the kill missed them: a loaded machine let the child run rounds on between the
            // parent's last read and the kill, whose tasks were then taken for writes nobody acknowledged.
            while ((line = out.readLine()) != null) {
                last = line;
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "BATCH" -> batches.put(Integer.parseInt(f[1]),
                            java.util.Arrays.stream(f[2].split(",")).map(UUID::fromString).toList());
                    case "CLAIM" -> claims.put(UUID.fromString(f[1]), new Claim(UUID.fromString(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4])));
                    case "SCHEDULED" -> scheduled = true;
                    case "TICKS" -> ticks += Integer.parseInt(f[1]);
                    case "DONE" -> {
                        claims.get(UUID.fromString(f[1])).done = true;
                        done++;
                    }
                    default -> throw new AssertionError("unexpected line from the child: " + line);
                }
                if (!killed && --lines <= 0 && done > 0) {
                    // A child that died on its own (an exception: see child.err) would pass for one killed mid-work.
                    assertThat(child.isAlive()).as("the child still working when killed (see child.err)").isTrue();
                    // SIGKILL: no shutdown hook, no close, no rollback sent. Through the handle: Process.destroyForcibly also
                    // closes the pipe, and the lines still in it with it.
                    child.toHandle().destroyForcibly();
                    killed = true;
                }
            }
            assertThat(killed).as("the child ended before it was killed (see child.err)").isTrue();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            watchdog.shutdownNow();
            child.destroyForcibly();
        }
        assertThat(batches).as("child worked (see child.err)").isNotEmpty();
        assertThat(claims.values().stream().filter(c -> !c.done)).as("a task held when the child died").isNotEmpty();
        assertThat(scheduled).isTrue();
        return new Acks(batches, claims, ticks, last);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("a task worker killed with SIGKILL mid-work: every acknowledged create, claim and completion is there, no createAll"
            + " half-stored, the SQLite file passes integrity_check, and every task the dead JVM held is claimed again exactly once"
            + " after its lease ran out (its next attempt), its old claim then refused")
    void killedWorker(String kind) throws Exception {
        String target;
        if (kind.equals("sqlite")) {
            target = dir.resolve("tasks.db").toString();
        } else {
            // Migrated already (a copy of the template), so the child spends its time on tasks, not on migrations.
            target = PostgresTestDatabase.server().getJdbcUrl("postgres",
                    PostgresTestDatabase.createMigratedDatabase("taskcrash_" + ProcessHandle.current().pid()));
        }
        Acks acks = runAndKill(kind, target);
        if (kind.equals("sqlite")) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + target); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("ok");
            }
        }
        try (Atlas atlas = kind.equals("sqlite") ? Atlas.sqlite(Path.of(target))
                : Atlas.builder().jdbcUrl(target).credentials("postgres", "postgres").build()) {
            TaskStore store = atlas.tenant("crash").tasks();
            Map<UUID, Task> all = new LinkedHashMap<>();
            TaskQuery query = TaskQuery.all().kind("work").limit(1000);
            while (true) {
                Page<Task> page = store.list(query);
                page.items().forEach(t -> all.put(t.id(), t));
                if (page.nextCursor().isEmpty()) {
                    break;
                }
                query = query.after(page.nextCursor().get());
            }

            // A schedule is moved exactly when its occurrence's task is stored: the last occurrence fired is the latest task's,
            // no occurrence twice; the acknowledged polls' tasks are all there, at most one poll's more.
            List<Task> ticks = new ArrayList<>();
            for (TaskQuery q = TaskQuery.all().kind("tick").limit(1000); q != null; ) {
                Page<Task> page = store.list(q);
                ticks.addAll(page.items());
                q = page.nextCursor().isPresent() ? q.after(page.nextCursor().get()) : null;
            }
            assertThat(ticks.size()).as("tasks enqueued by schedules").isBetween(acks.ticks(), acks.ticks() + TaskCrashChild.SCHEDULES);
            Map<Object, List<Task>> bySchedule = ticks.stream().collect(Collectors.groupingBy(t -> t.payload().get("schedule")));
            for (int i = 0; i < TaskCrashChild.SCHEDULES; i++) {
                TaskSchedule schedule = store.getSchedule("s" + i).orElseThrow();
                List<java.time.Instant> fired = bySchedule.getOrDefault("s" + i, List.of()).stream().map(Task::runAfter).sorted().toList();
                assertThat(fired).as("occurrences of s" + i).doesNotHaveDuplicates();
                assertThat(schedule.lastRunAt()).as("last occurrence of s" + i)
                        .isEqualTo(fired.isEmpty() ? null : fired.get(fired.size() - 1));
                if (!fired.isEmpty()) {
                    assertThat(schedule.nextRunAt()).isAfter(fired.get(fired.size() - 1));
                }
            }

            // Every acknowledged createAll is there whole, payloads exact; any other round is all there or absent.
            Map<Integer, List<Task>> byRound = all.values().stream()
                    .collect(Collectors.groupingBy(t -> Integer.parseInt(t.clientKey().substring(1, t.clientKey().indexOf('-')))));
            int lastAcked = acks.batches().lastKey();
            assertThat(byRound.keySet()).as("rounds stored").allMatch(r -> r >= 0 && r <= lastAcked + 1);
            for (int r = 0; r <= lastAcked; r++) {
                assertThat(acks.batches()).containsKey(r);
            }
            byRound.forEach((round, tasks) -> {
                assertThat(tasks).as("tasks of round " + round).hasSize(TaskCrashChild.BATCH);
                for (Task t : tasks) {
                    int j = Integer.parseInt(t.clientKey().substring(t.clientKey().indexOf('-') + 1));
                    assertThat(t.kind()).isEqualTo("work");
                    assertThat(((Number) t.payload().get("round")).intValue()).isEqualTo(round);
                    assertThat(((Number) t.payload().get("j")).intValue()).isEqualTo(j);
                    assertThat(t.payload().get("text")).as("payload text of " + t.clientKey())
                            .isEqualTo(TaskCrashChild.payload(round, j).get("text"));
                }
            });
            acks.batches().forEach((round, ids) -> {
                for (int j = 0; j < ids.size(); j++) {
                    Task t = all.get(ids.get(j));
                    assertThat(t).as("acknowledged task " + ids.get(j)).isNotNull();
                    assertThat(t.clientKey()).isEqualTo(TaskCrashChild.key(round, j));
                }
            });

            // Every acknowledged claim and completion is there as acknowledged; of the unacknowledged, only the call in flight
            // landed (a claim or a complete); a task whose lease ran out on its last attempt may have been failed by a later claim's sweep.
            String[] lastLine = acks.lastLine().split(" ");
            String exhausted = "lease expired after " + MAX_ATTEMPTS + " attempts";
            Set<UUID> held = new HashSet<>();
            Set<UUID> pending = new HashSet<>();
            int inFlight = 0;
            for (Task t : all.values()) {
                Claim latest = acks.claims().get(t.id());
                if (latest == null) {
                    if (t.status() == TaskStatus.PENDING) {
                        assertThat(t.attempts()).isZero();
                        pending.add(t.id());
                    } else {
                        assertThat(t.status()).as("never acknowledged as claimed: " + t.id()).isEqualTo(TaskStatus.RUNNING);
                        assertThat(t.attempts()).isEqualTo(1);
                        held.add(t.id());
                        inFlight++;
                    }
                } else if (latest.done) {
                    assertThat(t.status()).isEqualTo(TaskStatus.COMPLETED);
                    assertThat(t.result()).isEqualTo(TaskCrashChild.result(t.id().toString()));
                    assertThat(t.attempts()).isEqualTo(latest.attempts);
                } else if (t.status() == TaskStatus.RUNNING && t.claimId().equals(latest.id)) {
                    assertThat(t.attempts()).isEqualTo(latest.attempts);
                    held.add(t.id());
                } else if (t.status() == TaskStatus.RUNNING) {
                    assertThat(t.attempts()).as("claimed again by the call in flight: " + t.id()).isEqualTo(latest.attempts + 1);
                    held.add(t.id());
                    inFlight++;
                } else if (t.status() == TaskStatus.COMPLETED) {
                    assertThat(lastLine).as("completed unacknowledged: only the last claim, to complete").containsExactly(
                            "CLAIM", t.id().toString(), latest.id.toString(), String.valueOf(latest.attempts), "0");
                    assertThat(t.result()).isEqualTo(TaskCrashChild.result(t.id().toString()));
                    inFlight++;
                } else {
                    assertThat(t.status()).as("task " + t.id()).isEqualTo(TaskStatus.FAILED);
                    assertThat(latest.attempts).isEqualTo(MAX_ATTEMPTS);
                    assertThat(t.error()).isEqualTo(exhausted);
                }
            }
            assertThat(inFlight).as("writes that landed unacknowledged: the call in flight at most").isLessThanOrEqualTo(1);
            assertThat(held).isNotEmpty();

            // Resume: the held tasks come back once their leases (the database's clock) ran out, each exactly once, as its
            // next attempt; those on their last attempt are failed instead by the first claim after that.
            Set<UUID> expected = new HashSet<>(pending);
            Set<UUID> toFail = new HashSet<>();
            for (UUID id : held) {
                (all.get(id).attempts() < MAX_ATTEMPTS ? expected : toFail).add(id);
            }
            Map<UUID, ClaimedTask> reclaimed = new LinkedHashMap<>();
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean staleTried = false;
            while (!reclaimed.keySet().equals(expected) || toFail.stream().anyMatch(id -> store.require(id).status() == TaskStatus.RUNNING)) {
                Optional<ClaimedTask> c = store.claim(Duration.ofMinutes(5), Set.of("work"));
                if (c.isEmpty()) {
                    assertThat(System.nanoTime()).as("held leases ran out; claimed so far " + reclaimed.size() + " of " + expected.size())
                            .isLessThan(giveUp);
                    Thread.sleep(100);
                    continue;
                }
                ClaimedTask claim = c.get();
                assertThat(reclaimed.put(claim.taskId(), claim)).as("claimed twice: " + claim.taskId()).isNull();
                assertThat(expected).contains(claim.taskId());
                Task before = all.get(claim.taskId());
                assertThat(claim.task().attempts()).as("next attempt of " + claim.taskId()).isEqualTo(before.attempts() + 1);
                if (held.contains(claim.taskId()) && !staleTried) {
                    // The dead worker's claim, as it would hand it back had it only stalled: refused, nothing written.
                    ClaimedTask stale = new ClaimedTask(before, before.claimId(), before.leaseExpiresAt(), TaskCrashChild.LEASE);
                    assertThatThrownBy(() -> store.complete(stale, Map.of("by", "stale")))
                            .isInstanceOfSatisfying(LeaseLostException.class, e -> assertThat(e.getMessage()).isEqualTo("claim: claim "
                                    + before.claimId() + " no longer holds task " + before.id()
                                    + ": another worker claimed it after this lease expired"));
                    assertThat(store.require(claim.taskId()).claimId()).isEqualTo(claim.claimId());
                    staleTried = true;
                }
                store.complete(claim, Map.of("by", "parent"));
            }
            assertThat(staleTried || expected.stream().noneMatch(held::contains)).isTrue();
            System.out.printf("%s: %d tasks, %d enqueued by schedules, %d rounds acknowledged, %d held by the dead JVM (%d on their last attempt), %d pending,"
                    + " %d unacknowledged write(s) landed%n", kind, all.size(), ticks.size(), acks.batches().size(), held.size(), toFail.size(),
                    pending.size(), inFlight);
            assertThat(store.claim(Duration.ofMinutes(5), Set.of("work"))).as("nothing left to claim").isEmpty();
            for (UUID id : expected) {
                Task t = store.require(id);
                assertThat(t.status()).isEqualTo(TaskStatus.COMPLETED);
                assertThat(t.result()).isEqualTo(Map.of("by", "parent"));
            }
            for (UUID id : toFail) {
                assertThat(store.require(id).status()).isEqualTo(TaskStatus.FAILED);
                assertThat(store.require(id).error()).isEqualTo(exhausted);
                assertThat(store.require(id).attempts()).isEqualTo(MAX_ATTEMPTS);
            }
        }
    }
}
