package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.LeaseLostException;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.Leases;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskSchedule;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TimeZone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A team running durable background work on Atlas tasks and schedules with several instances of their
 * application (two Atlas instances on one database, as two JVMs would be, each with its own clock),
 * following docs/assistants-credentials-tasks.md (tasks and schedules), the dev.atlas.task Javadoc,
 * docs/reliability.md and docs/scaling.md as written. What TaskStoreContract and TaskScheduleContract
 * already pin (a held lease against an instance an hour ahead, two instances racing expiring leases,
 * client keys from two instances, an hour's skew on one schedule, Berlin's changes on one instance) is
 * not pinned again.
 */
public abstract class Newcomer20Contract extends AtlasContract {
    private static final Duration LEASE = Duration.ofSeconds(30);

    protected Newcomer20Contract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("a worker that dies mid-task on an instance 3 minutes ahead: the worker of an instance 3 minutes behind takes the task"
            + " once the lease ran out on the database's clock, and sees the first attempt's start, counts and times as the docs say;"
            + " the dead worker's late calls get LeaseLostException naming why, and change nothing")
    void workerDiesMidTaskAcrossSkewedInstances() throws SQLException {
        MutableClock aheadClock = new MutableClock(clock.instant().plus(Duration.ofMinutes(3)));
        MutableClock behindClock = new MutableClock(clock.instant().minus(Duration.ofMinutes(3)));
        TaskStore a = reopen(b -> b.clock(aheadClock)).tenant("acme").tasks();
        TaskStore b = reopen(x -> x.clock(behindClock)).tenant("acme").tasks();
        Task created = b.create(NewTask.of("render", Map.of("page", 7)).maxAttempts(2));

        // The instance ahead takes it at once (its clock is past the task's runAfter), heartbeats, then its JVM dies.
        ClaimedTask first = a.claim(LEASE, Set.of("render")).orElseThrow();
        assertThat(first.task()).returns(TaskStatus.RUNNING, Task::status).returns(1, Task::attempts)
                .returns(aheadClock.instant(), Task::startedAt);
        aheadClock.advanceMicros(5_000_000);
        ClaimedTask beat = a.heartbeat(first);
        assertThat(beat.claimId()).isEqualTo(first.claimId());
        assertThat(beat.task().updatedAt()).isEqualTo(aheadClock.instant());
        // Its lease is live on the database's clock: the instance behind finds nothing due, whatever its own clock says.
        assertThat(b.claim(LEASE, Set.of("render"))).isEmpty();
        expireLease(beat);

        // The second worker sees the task as the first left it: the attempt counted, its start kept, no result, no
        // error (the first never reported), payload as created; a new claim. Its stamps never go before the last change,
        // though its clock is 6 minutes behind the stamps the first instance made.
        ClaimedTask second = b.claim(LEASE, Set.of("render")).orElseThrow();
        assertThat(second.claimId()).isNotEqualTo(first.claimId());
        assertThat(second.task()).returns(created.id(), Task::id).returns(TaskStatus.RUNNING, Task::status).returns(2, Task::attempts)
                .returns(first.task().startedAt(), Task::startedAt).returns(beat.task().updatedAt(), Task::updatedAt)
                .returns(null, Task::error).returns(Map.of(), Task::result).returns(Map.of("page", 7), Task::payload);

        // The first worker's process comes back (a long GC pause, not a death): every late call is refused, saying why.
        LeaseLostException lost = catchThrowableOfType(() -> a.complete(first, Map.of("by", "a")), LeaseLostException.class);
        assertThat(lost.field()).isEqualTo("claim");
        assertThat(lost.getMessage()).isEqualTo("claim: claim " + first.claimId() + " no longer holds task " + created.id()
                + ": another worker claimed it after this lease expired");
        assertThat(catchThrowableOfType(() -> a.heartbeat(first), LeaseLostException.class)).hasMessage(lost.getMessage());
        assertThat(catchThrowableOfType(() -> a.fail(first, null), LeaseLostException.class)).hasMessage(lost.getMessage());
        assertThat(catchThrowableOfType(() -> a.release(first), LeaseLostException.class)).hasMessage(lost.getMessage());
        assertThat(b.get(created.id()).orElseThrow()).isEqualTo(second.task());

        // The second worker's own failure on the last attempt is final; fail(claim, e.getMessage()) with a message-less
        // exception records it (error null) rather than throwing from the worker's catch.
        Task failed;
        try {
            throw new IllegalStateException();
        } catch (IllegalStateException e) {
            failed = b.fail(second, e.getMessage());
        }
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns(2, Task::attempts).returns(null, Task::error)
                .returns(null, Task::claimId).returns(beat.task().updatedAt(), Task::finishedAt);
        assertThat(a.get(created.id()).orElseThrow()).isEqualTo(failed);
        assertThat(catchThrowableOfType(() -> a.complete(first, Map.of()), LeaseLostException.class))
                .hasMessage("claim: claim " + first.claimId() + " no longer holds task " + created.id() + ": the task is failed");
    }

    @Test
    @DisplayName("'CRON_TZ=Europe/Berlin */15 * * * *' polled by two instances, one 20 minutes ahead, across both 2026 changes: every"
            + " occurrence is enqueued exactly once (the one ahead fires each up to 20 minutes early), none skipped, none twice")
    void berlinQuarterHoursOnTwoSkewedInstances() {
        MutableClock aheadClock = new MutableClock(clock.instant());
        TaskStore ahead = reopen(b -> b.clock(aheadClock)).tenant("acme").tasks();
        TaskStore exact = atlas.tenant("acme").tasks();
        for (String[] day : new String[][] {{"2026-03-29T00:20:00Z", "2026-03-29T01:20:00Z"}, {"2026-10-25T00:20:00Z", "2026-10-25T01:20:00Z"}}) {
            Instant from = Instant.parse(day[0]);
            Instant to = Instant.parse(day[1]);
            clock.set(from);
            aheadClock.set(from.plus(Duration.ofMinutes(20)));
            String name = "quarter-" + day[0].substring(5, 7);
            exact.schedule(NewSchedule.cron(name, "CRON_TZ=Europe/Berlin */15 * * * *", NewTask.of(name, Map.of())));
            List<Instant> fired = new ArrayList<>();
            for (Instant t = from; !t.isAfter(to); t = t.plus(Duration.ofMinutes(10))) {
                clock.set(t);
                aheadClock.set(t.plus(Duration.ofMinutes(20)));
                ahead.enqueueScheduled().forEach(x -> fired.add(x.runAfter()));
                exact.enqueueScheduled().forEach(x -> fired.add(x.runAfter()));
            }
            // Every 15 real minutes, across the skipped hour in March (02:00 CET is 03:00 CEST at 01:00Z) and from the
            // first pass of the repeated hour into the second in October (02:xx CEST, then 02:xx CET from 01:00Z), up to
            // the last occurrence the instance ahead reached (its clock ends 20 minutes past 'to'). Registered 10 minutes
            // before a quarter, so the first poll of the instance ahead passes one occurrence only (it fires the due one
            // and moves past its own now: occurrences it passed in between would collapse into that one, as missed ones).
            List<Instant> expected = new ArrayList<>();
            for (Instant t = from.plus(Duration.ofMinutes(10)); !t.isAfter(to.plus(Duration.ofMinutes(20)));
                    t = t.plus(Duration.ofMinutes(15))) {
                expected.add(t);
            }
            assertThat(fired).as(name).containsExactlyElementsOf(expected);
            assertThat(exact.list(TaskQuery.all().kind(name).limit(100)).items()).extracting(Task::runAfter).containsExactlyElementsOf(expected);
            ahead.deleteSchedule(name);
        }
    }

    @Test
    @DisplayName("the JVM's default time zone (changed with TimeZone.setDefault, two instances opened under two zones) changes nothing"
            + " stored or computed: cron occurrences in UTC and in a named zone, runAfter, backoff, lease times and read-backs")
    void defaultTimeZoneChangesNothing() {
        TimeZone saved = TimeZone.getDefault();
        Instant now = Instant.parse("2026-03-28T23:59:59.123456Z");
        clock.set(now);
        try {
            TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Chatham"));  // +13:45, its own DST change on 5 April 2026
            Atlas chatham = reopen(b -> b.clock(clock));
            TaskStore east = chatham.tenant("acme").tasks();
            TaskSchedule utc = east.schedule(NewSchedule.cron("utc", "30 2 * * *", NewTask.of("utc", Map.of())));
            TaskSchedule berlin = east.schedule(NewSchedule.cron("berlin", "CRON_TZ=Europe/Berlin 30 2 * * *", NewTask.of("berlin", Map.of())));
            TaskSchedule every = east.schedule(NewSchedule.every("every", Duration.ofHours(25), NewTask.of("every", Map.of()))
                    .startingAt(Instant.parse("2026-03-28T00:00:00.000001Z")));
            assertThat(utc.nextRunAt()).isEqualTo(Instant.parse("2026-03-29T02:30:00Z"));
            assertThat(berlin.nextRunAt()).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));  // 02:30 skipped: 03:30 CEST
            Instant runAfter = Instant.parse("2026-06-30T22:00:00.000001Z");
            Task later = east.create(NewTask.of("later", Map.of("at", "x")).runAfter(runAfter));
            Task due = east.create(NewTask.of("due", Map.of()));
            ClaimedTask claim = east.claim(LEASE, Set.of("due")).orElseThrow();
            Task retried = east.fail(claim, "boom");

            TimeZone.setDefault(TimeZone.getTimeZone("America/St_Johns"));  // -02:30 in summer, -03:30 in winter
            TaskStore west = reopen(b -> b.clock(clock)).tenant("acme").tasks();
            assertThat(west.get(later.id()).orElseThrow()).isEqualTo(later).returns(runAfter, Task::runAfter).returns(now, Task::createdAt);
            assertThat(west.get(due.id()).orElseThrow()).isEqualTo(retried)
                    .returns(now.plus(Duration.ofSeconds(1)), Task::runAfter).returns(now, Task::startedAt);
            assertThat(west.getSchedule("utc").orElseThrow()).isEqualTo(utc);
            assertThat(west.getSchedule("berlin").orElseThrow()).isEqualTo(berlin);
            // startAt in the past: due at once, as the guide says.
            assertThat(west.getSchedule("every").orElseThrow()).isEqualTo(every)
                    .returns(Instant.parse("2026-03-28T00:00:00.000001Z"), TaskSchedule::nextRunAt);
            clock.set(Instant.parse("2026-03-29T03:00:00Z"));
            assertThat(west.enqueueScheduled()).extracting(Task::kind, Task::runAfter).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("utc", Instant.parse("2026-03-29T02:30:00Z")),
                    org.assertj.core.groups.Tuple.tuple("berlin", Instant.parse("2026-03-29T01:30:00Z")),
                    org.assertj.core.groups.Tuple.tuple("every", Instant.parse("2026-03-28T00:00:00.000001Z")));
            assertThat(east.getSchedule("utc").orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-03-30T02:30:00Z"));
            assertThat(east.getSchedule("berlin").orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-03-30T00:30:00Z"));
            assertThat(east.getSchedule("every").orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-03-30T02:00:00.000001Z"));
            ClaimedTask again = west.claim(LEASE, Set.of("due")).orElseThrow();
            assertThat(Duration.between(again.task().updatedAt(), clock.instant())).isZero();
            assertThat(east.get(due.id()).orElseThrow()).isEqualTo(again.task());
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    /** Ends a lease as if its time had run out on the database's clock ({@link Leases#expire}). */
    private void expireLease(ClaimedTask claim) throws SQLException {
        Leases.expire(atlas, database, claim);
    }
}
