package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.Cron;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskSchedule;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import dev.atlas.task.TaskWorker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recurring tasks (seed 004 scheduling): interval and cron schedules, each occurrence enqueued exactly once. */
public abstract class TaskScheduleContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Duration MINUTE = Duration.ofMinutes(1);

    protected TaskStore store;
    protected TaskStore other;

    protected TaskScheduleContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").tasks();
        other = atlas.tenant("globex").tasks();
    }

    private void advance(Duration d) {
        clock.advanceMicros(d.toNanos() / 1_000);
    }

    private List<Task> tasksOf(String kind) {
        return store.list(TaskQuery.all().kind(kind).limit(1000)).items();
    }

    @Test
    @DisplayName("an interval schedule enqueues one normal task per occurrence, at the occurrence, and moves to the next")
    void interval() {
        Instant start = clock.instant();
        TaskSchedule s = store.schedule(NewSchedule.every("digest", Duration.ofMinutes(10),
                NewTask.of("digest", Map.of("scope", "all")).owner(ALICE).maxAttempts(5)));
        assertThat(s).returns("acme", TaskSchedule::tenantId).returns("digest", TaskSchedule::name).returns("digest", TaskSchedule::kind)
                .returns(Map.of("scope", "all"), TaskSchedule::payload).returns(ALICE, TaskSchedule::owner).returns(5, TaskSchedule::maxAttempts)
                .returns(Duration.ofMinutes(10), TaskSchedule::interval).returns(null, TaskSchedule::cron).returns(false, TaskSchedule::paused)
                .returns(start.plus(Duration.ofMinutes(10)), TaskSchedule::nextRunAt).returns(null, TaskSchedule::lastRunAt)
                .returns(start, TaskSchedule::createdAt);
        assertThat(store.getSchedule("digest")).contains(s);
        advance(Duration.ofMinutes(10).minusNanos(1_000));
        assertThat(store.enqueueScheduled()).isEmpty();
        advance(Duration.ofNanos(1_000));
        List<Task> fired = store.enqueueScheduled();
        assertThat(fired).hasSize(1);
        Task t = fired.get(0);
        assertThat(t).returns("digest", Task::kind).returns(Map.of("scope", "all"), Task::payload).returns(ALICE, Task::owner)
                .returns(5, Task::maxAttempts).returns(TaskStatus.PENDING, Task::status).returns(s.nextRunAt(), Task::runAfter);
        assertThat(store.get(t.id())).contains(t);
        assertThat(store.enqueueScheduled()).isEmpty();
        assertThat(store.getSchedule("digest").orElseThrow()).returns(start.plus(Duration.ofMinutes(20)), TaskSchedule::nextRunAt)
                .returns(s.nextRunAt(), TaskSchedule::lastRunAt).returns(clock.instant(), TaskSchedule::updatedAt);
        ClaimedTask claim = store.claim(Duration.ofSeconds(30)).orElseThrow();
        assertThat(claim.taskId()).isEqualTo(t.id());
    }

    @Test
    @DisplayName("occurrences missed while no worker ran collapse into one task for the earliest; the next keeps the interval's phase")
    void missedOccurrencesCollapse() {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("tick", MINUTE, NewTask.of("tick", Map.of())).startingAt(start));
        advance(Duration.ofSeconds(330));
        List<Task> fired = store.enqueueScheduled();
        assertThat(fired).extracting(Task::runAfter).containsExactly(start);
        assertThat(store.getSchedule("tick").orElseThrow()).returns(start.plus(Duration.ofMinutes(6)), TaskSchedule::nextRunAt)
                .returns(start, TaskSchedule::lastRunAt);
        assertThat(store.enqueueScheduled()).isEmpty();
    }

    @Test
    @DisplayName("an interval schedule started at the earliest accepted instant (0001-01-01, 1 s) fires once for it and moves to the first second after now, without an arithmetic overflow stalling the tenant's other schedules")
    void intervalFromDistantPast() {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("ancient", Duration.ofSeconds(1), NewTask.of("ancient", Map.of())).startingAt(dev.atlas.Limits.MIN_INSTANT));
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        assertThat(store.enqueueScheduled()).extracting(Task::kind, Task::runAfter)
                .containsExactly(tuple("ancient", dev.atlas.Limits.MIN_INSTANT), tuple("good", start));
        assertThat(store.getSchedule("ancient").orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-03-01T10:15:31Z"));
        store.pauseSchedule("good");
        assertThat(store.resumeSchedule("good").nextRunAt()).isEqualTo(start.plus(MINUTE));
    }

    @Test
    @DisplayName("a cron schedule fires at its UTC minutes: '*/15 * * * *' from 10:15:30 fires at 10:30:00, then 10:45:00")
    void cronSchedule() {
        TaskSchedule s = store.schedule(NewSchedule.cron("quarterly", "*/15  *  * * *", NewTask.of("q", Map.of())));
        assertThat(s).returns("*/15 * * * *", TaskSchedule::cron).returns(null, TaskSchedule::interval)
                .returns(Instant.parse("2026-03-01T10:30:00Z"), TaskSchedule::nextRunAt);
        clock.set(Instant.parse("2026-03-01T10:31:00Z"));
        assertThat(store.enqueueScheduled()).extracting(Task::runAfter).containsExactly(Instant.parse("2026-03-01T10:30:00Z"));
        assertThat(store.getSchedule("quarterly").orElseThrow().nextRunAt()).isEqualTo(Instant.parse("2026-03-01T10:45:00Z"));
    }

    @Test
    @DisplayName("a 02:30 daily cron schedule in Europe/Berlin fires exactly once on each DST change day: at 03:30 CEST when 02:30 does not exist, at the first 02:30 when it occurs twice")
    void cronInTimeZoneAcrossDst() {
        clock.set(Instant.parse("2026-03-27T12:00:00Z"));
        TaskSchedule spring = store.schedule(NewSchedule.cron("nightly", "CRON_TZ=Europe/Berlin 30 2 * * *", NewTask.of("nightly", Map.of())));
        assertThat(spring).returns("CRON_TZ=Europe/Berlin 30 2 * * *", TaskSchedule::cron)
                .returns(Instant.parse("2026-03-28T01:30:00Z"), TaskSchedule::nextRunAt);
        assertThat(fireEvery(Duration.ofMinutes(15), Instant.parse("2026-03-31T12:00:00Z"))).containsExactly(
                Instant.parse("2026-03-28T01:30:00Z"),  // 02:30 CET
                Instant.parse("2026-03-29T01:30:00Z"),  // 02:30 does not exist: 03:30 CEST, once
                Instant.parse("2026-03-30T00:30:00Z"),  // 02:30 CEST
                Instant.parse("2026-03-31T00:30:00Z"));
        store.deleteSchedule("nightly");

        clock.set(Instant.parse("2026-10-23T12:00:00Z"));
        store.schedule(NewSchedule.cron("nightly", "CRON_TZ=Europe/Berlin 30 2 * * *", NewTask.of("autumn", Map.of())));
        assertThat(fireEvery(Duration.ofMinutes(15), Instant.parse("2026-10-27T12:00:00Z"))).containsExactly(
                Instant.parse("2026-10-24T00:30:00Z"),  // 02:30 CEST
                Instant.parse("2026-10-25T00:30:00Z"),  // 02:30 occurs twice: the first, once
                Instant.parse("2026-10-26T01:30:00Z"),  // 02:30 CET
                Instant.parse("2026-10-27T01:30:00Z"));

        // Two wall-clock times the change skips fire once each, as far after the change as they were after 02:00.
        clock.set(Instant.parse("2026-03-28T12:00:00Z"));
        store.schedule(NewSchedule.cron("twice", "CRON_TZ=Europe/Berlin 0,30 2 * * *", NewTask.of("twice", Map.of())));
        assertThat(fireEvery(Duration.ofMinutes(15), Instant.parse("2026-03-30T12:00:00Z"))).containsExactly(
                Instant.parse("2026-03-29T01:00:00Z"), Instant.parse("2026-03-29T01:30:00Z"),
                Instant.parse("2026-03-30T00:00:00Z"), Instant.parse("2026-03-30T00:30:00Z"));
        assertThat(Cron.parse("CRON_TZ=Europe/Berlin 0,30 2 * * *").next(Instant.parse("2026-03-29T01:00:00Z")))
                .isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));

        clock.set(Instant.parse("2026-03-01T10:15:30Z"));
        assertThat(Cron.parse("CRON_TZ=America/New_York 0 9 * * 1-5").next(Instant.parse("2026-03-06T15:00:00Z")))
                .isEqualTo(Instant.parse("2026-03-09T13:00:00Z"));  // Monday 09:00 EDT, the day after the US change
        assertThat(Cron.parse("CRON_TZ=Asia/Kolkata */30 * * * *").next(Instant.parse("2026-03-01T00:10:00Z")))
                .isEqualTo(Instant.parse("2026-03-01T00:30:00Z"));  // +05:30: minutes :00 and :30 local are :30 and :00 UTC
        assertThat(Cron.parse("CRON_TZ=UTC 0 0 * * *").next(Instant.parse("2026-03-01T00:00:00Z"))).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
        assertField(() -> Cron.parse("CRON_TZ=Mars/Olympus_Mons 0 0 * * *"), "cron");
        assertField(() -> Cron.parse("CRON_TZ= 0 0 * * *"), "cron");
        assertField(() -> Cron.parse("CRON_TZ=Europe/Berlin"), "cron");
    }

    @Test
    @DisplayName("'CRON_TZ=Europe/Berlin */15 * * * *' fires every 15 real minutes through both passes of the hour repeated when clocks go back, each once, polled every minute")
    void subHourlyCronThroughRepeatedHour() {
        clock.set(Instant.parse("2026-10-24T23:50:00Z"));
        store.schedule(NewSchedule.cron("quarter", "CRON_TZ=Europe/Berlin */15 * * * *", NewTask.of("quarter", Map.of())));
        List<Instant> expected = new ArrayList<>();
        for (Instant t = Instant.parse("2026-10-25T00:00:00Z"); !t.isAfter(Instant.parse("2026-10-25T02:30:00Z")); t = t.plusSeconds(900)) {
            expected.add(t);  // 02:00 CEST = 00:00Z ... 02:45 CEST, 02:00 CET = 01:00Z ... 02:45 CET, 03:00 CET = 02:00Z ...
        }
        assertThat(fireEvery(MINUTE, Instant.parse("2026-10-25T02:30:00Z"))).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("a schedule row this version cannot evaluate (newer cron syntax, an unknown zone, a payload it cannot read) is skipped at every poll, left byte-for-byte as stored (not paused), warned about once, and the tenant's other schedules still fire")
    void unreadableScheduleIsSkippedAndLeftAsStored() throws java.sql.SQLException {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        List<String> bad = List.of("bad-cron", "bad-macro", "bad-payload", "bad-zone");
        for (String name : bad) {
            store.schedule(NewSchedule.cron(name, "* * * * *", NewTask.of("bad", Map.of())));
        }
        // As a newer node in a rolling upgrade, an import or another tool could have written them.
        rawUpdate("UPDATE atlas_task_schedules SET cron = '0 9 * * MON-FRI' WHERE name = 'bad-cron'");
        rawUpdate("UPDATE atlas_task_schedules SET cron = '@hourly' WHERE name = 'bad-macro'");
        rawUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name = 'bad-payload'");
        rawUpdate("UPDATE atlas_task_schedules SET cron = 'CRON_TZ=Mars/Olympus * * * * *' WHERE name = 'bad-zone'");
        Map<String, List<String>> stored = new java.util.LinkedHashMap<>();
        for (String name : bad) {
            stored.put(name, rawRow(name));
        }
        advance(Duration.ofSeconds(150));

        List<Task> fired = new ArrayList<>();
        String warnings = capturingStandardError(() -> {
            fired.addAll(store.enqueueScheduled());
            advance(MINUTE);
            fired.addAll(store.enqueueScheduled());
            advance(MINUTE);
            fired.addAll(store.enqueueScheduled());
        });
        assertThat(fired).extracting(Task::kind, Task::runAfter).containsExactly(tuple("good", start),
                tuple("good", start.plus(Duration.ofMinutes(3))), tuple("good", start.plus(Duration.ofMinutes(4))));
        for (String name : bad) {
            assertThat(rawRow(name)).as(name).isEqualTo(stored.get(name));
            assertThat(rawBoolean("SELECT paused FROM atlas_task_schedules WHERE name = '" + name + "'")).as(name).isFalse();
            String id = stored.get(name).get(1);
            assertThat(warnings.split(id, -1)).as("warnings naming " + name + " in:\n" + warnings).hasSize(2);
        }
        assertThat(tasksOf("bad")).isEmpty();
        assertThat(store.getSchedule("good").orElseThrow().paused()).isFalse();
    }

    @Test
    @DisplayName("a schedule row that reads but whose task this version would refuse (a payload key over 255 characters, a blank kind, maxAttempts 101, written by another tool) is skipped and left as stored like an unreadable one: enqueueScheduled does not throw, and the tenant's other schedules fire")
    void scheduleWhoseTaskWouldBeRefusedIsSkipped() throws java.sql.SQLException {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        List<String> bad = List.of("bad-key", "bad-kind", "bad-attempts");
        for (String name : bad) {
            store.schedule(NewSchedule.every(name, MINUTE, NewTask.of("bad", Map.of())).startingAt(start));
        }
        rawUpdate("UPDATE atlas_task_schedules SET payload = '{\"" + "k".repeat(dev.atlas.Limits.MAX_KEY_LENGTH + 1) + "\": 1}'"
                + " WHERE name = 'bad-key'");
        rawUpdate("UPDATE atlas_task_schedules SET kind = ' ' WHERE name = 'bad-kind'");
        rawUpdate("UPDATE atlas_task_schedules SET max_attempts = 101 WHERE name = 'bad-attempts'");
        Map<String, List<String>> stored = new java.util.LinkedHashMap<>();
        for (String name : bad) {
            stored.put(name, rawRow(name));
        }
        advance(Duration.ofSeconds(30));
        List<Task> fired = new ArrayList<>();
        String warnings = capturingStandardError(() -> {
            fired.addAll(store.enqueueScheduled());
            advance(MINUTE);
            fired.addAll(store.enqueueScheduled());
            advance(MINUTE);
            fired.addAll(store.enqueueScheduled());
        });
        assertThat(fired).extracting(Task::kind, Task::runAfter).containsExactly(tuple("good", start), tuple("good", start.plus(MINUTE)),
                tuple("good", start.plus(MINUTE.multipliedBy(2))));
        for (String name : bad) {
            assertThat(rawRow(name)).as(name).isEqualTo(stored.get(name));
            // Due again at every poll: one WARN per row and process, not one per poll.
            String id = stored.get(name).get(1);
            assertThat(warnings.split(id, -1)).as("warnings naming " + name + " in:\n" + warnings).hasSize(2);
        }
        assertThat(warnings).contains("its task would be refused: maxAttempts: ");
        assertThat(tasksOf("bad")).isEmpty();
    }

    @Test
    @DisplayName("a full page (1,000) of skipped unreadable schedules due before a readable one does not starve it: enqueueScheduled reads on past them and fires it")
    void skippedRowsDoNotStarveOthers() throws java.sql.SQLException {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("bad-0000", MINUTE, NewTask.of("bad", Map.of())).startingAt(start));
        // The other rows are copies of that one written in one batch: a thousand calls to schedule() only cost time.
        String id = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL ? "CAST(? AS uuid)" : "?";
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement copy = c.prepareStatement("INSERT INTO atlas_task_schedules (tenant_id, id, name, kind, payload,"
                     + " owner_type, owner_id, max_attempts, interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at)"
                     + " SELECT tenant_id, " + id + ", ?, kind, payload, owner_type, owner_id, max_attempts, interval_micros, cron, paused,"
                     + " next_run_at, last_run_at, created_at, updated_at FROM atlas_task_schedules WHERE name = 'bad-0000'");
             java.sql.Statement st = c.createStatement()) {
            for (int i = 1; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
                copy.setString(1, java.util.UUID.randomUUID().toString());
                copy.setString(2, String.format("bad-%04d", i));
                copy.addBatch();
            }
            copy.executeBatch();
            assertThat(st.executeUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name LIKE 'bad-%'"))
                    .isEqualTo(dev.atlas.Limits.MAX_PAGE_SIZE);
        }
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start.plusSeconds(1)));
        advance(MINUTE);
        assertThat(store.enqueueScheduled()).extracting(Task::kind, Task::runAfter).containsExactly(tuple("good", start.plusSeconds(1)));
        assertThat(tasksOf("bad")).isEmpty();
    }

    @Test
    @DisplayName("resuming a paused schedule whose stored cron this version cannot evaluate throws UnreadableRowException naming the row (not InvalidInputException for an argument never passed) and leaves it as stored")
    void resumeUnreadableSchedule() throws java.sql.SQLException {
        TaskSchedule s = store.schedule(NewSchedule.cron("newer", "* * * * *", NewTask.of("newer", Map.of())));
        store.pauseSchedule("newer");
        rawUpdate("UPDATE atlas_task_schedules SET cron = '@hourly' WHERE name = 'newer'");
        List<String> stored = rawRow("newer");
        advance(Duration.ofHours(1));
        assertThatThrownBy(() -> store.resumeSchedule("newer")).isInstanceOf(dev.atlas.UnreadableRowException.class)
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).rowId()).isEqualTo(s.id().toString()))
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).table()).isEqualTo("task_schedules"));
        assertThat(rawRow("newer")).isEqualTo(stored);
    }

    @Test
    @DisplayName("schedules() skips a schedule row this version cannot read (one WARN naming it), as enqueueScheduled does, instead of failing the page; pages stay full; getSchedule still names it")
    void schedulesListingSkipsUnreadableRow() throws java.sql.SQLException {
        for (String name : List.of("a", "b", "c")) {
            store.schedule(NewSchedule.every(name, MINUTE, NewTask.of("k", Map.of())));
        }
        rawUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name = 'b'");
        String id = rawRow("b").get(1);
        String warnings = capturingStandardError(() -> {
            assertThat(store.schedules(100, null).items()).extracting(TaskSchedule::name).containsExactly("a", "c");
            Page<TaskSchedule> one = store.schedules(1, null);
            assertThat(one.items()).extracting(TaskSchedule::name).containsExactly("a");
            Page<TaskSchedule> two = store.schedules(1, one.nextCursor().orElseThrow());
            assertThat(two.items()).extracting(TaskSchedule::name).containsExactly("c");
            assertThat(two.hasMore()).isFalse();
        });
        assertThat(warnings.lines().filter(l -> l.contains("WARN") && l.contains(id)).count()).as(warnings).isEqualTo(1);
        assertThatThrownBy(() -> store.getSchedule("b")).isInstanceOf(dev.atlas.UnreadableRowException.class)
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).rowId()).isEqualTo(id));
    }

    @Test
    @DisplayName("enqueueScheduled fires at most Limits.MAX_BATCH_LENGTH characters of payload in one call, as createAll stores, and"
            + " reads at most 8 payloads past the ones it fires: of 140 due schedules with 262,011-character payloads the first call"
            + " fires the 128 that fit having read at most 136 of them (it read all 140), the next the other 12, in occurrence order,"
            + " each once")
    void enqueueScheduledBoundsTheBatchLength() throws java.sql.SQLException {
        Instant start = clock.instant();
        int count = 140;
        for (int i = 0; i < count; i++) {
            store.schedule(NewSchedule.every(String.format("big-%03d", i), Duration.ofDays(1), NewTask.of("big", Map.of()))
                    .startingAt(start.plusMillis(i)));
        }
        // One payload sent once and set on every row by the database: 140 schedule() calls carrying it only cost time.
        String text = "x".repeat(262_000);
        String json = "{\"text\":\"" + text + "\"}";
        String cast = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL ? "CAST(? AS jsonb)" : "?";
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement put = c.prepareStatement("UPDATE atlas_task_schedules SET payload = " + cast
                     + " WHERE tenant_id = 'acme' AND kind = 'big'")) {
            put.setString(1, json);
            assertThat(put.executeUpdate()).isEqualTo(count);
        }
        java.util.concurrent.atomic.AtomicInteger read = new java.util.concurrent.atomic.AtomicInteger();
        TaskStore polling = reopen(b -> configure(b.dataSource(countingPayloadsRead(pooledDatabase(), text.length(), read)))
                .migrate(false)).tenant("acme").tasks();
        advance(Duration.ofSeconds(1));
        List<Task> first = polling.enqueueScheduled();
        assertThat(128L * json.length()).isLessThanOrEqualTo(dev.atlas.Limits.MAX_BATCH_LENGTH);
        assertThat(first).hasSize(128).allSatisfy(t -> assertThat(t.payload()).isEqualTo(Map.of("text", text)));
        assertThat(first.stream().map(Task::runAfter).toList())
                .isEqualTo(java.util.stream.IntStream.range(0, 128).mapToObj(start::plusMillis).toList());
        // Due rows are read in pages no larger than what is left of the batch: one page of 1,000 read every due payload
        // (up to 262 million characters) to fire 128.
        assertThat(read.get()).as("payloads read by the first call").isLessThanOrEqualTo(128 + 8);
        List<Task> second = polling.enqueueScheduled();
        assertThat(second.stream().map(Task::runAfter).toList())
                .isEqualTo(java.util.stream.IntStream.range(128, count).mapToObj(start::plusMillis).toList());
        assertThat(polling.enqueueScheduled()).isEmpty();
        assertThat(rawBoolean("SELECT count(*) = " + count + " FROM atlas_tasks WHERE tenant_id = 'acme' AND kind = 'big'")).isTrue();
    }

    /**
     * {@code target}, counting the strings of at least {@code length} characters (the payloads) read by queries of
     * task_schedules: the database is real and read through JDBC as ever, only the count is added.
     */
    private static javax.sql.DataSource countingPayloadsRead(javax.sql.DataSource target, int length,
                                                             java.util.concurrent.atomic.AtomicInteger read) {
        return proxy(javax.sql.DataSource.class, target, (m, args, c) -> !m.getName().equals("getConnection") ? c
                : proxy(java.sql.Connection.class, c, (cm, sql, ps) -> !cm.getName().equals("prepareStatement")
                        || !((String) sql[0]).contains("task_schedules") ? ps
                        : proxy(java.sql.PreparedStatement.class, ps, (sm, none, rs) -> !sm.getName().equals("executeQuery") ? rs
                                : proxy(java.sql.ResultSet.class, rs, (rm, column, value) -> {
                                    if (rm.getName().equals("getString") && value instanceof String s && s.length() >= length) {
                                        read.incrementAndGet();
                                    }
                                    return value;
                                }))));
    }

    /** What a {@link #proxy} does with a call's result: given the method, its arguments and its result, returns the result. */
    private interface Then {
        Object apply(java.lang.reflect.Method method, Object[] args, Object result);
    }

    /** {@code target} as a {@code type} that hands each call's result through {@code then}; unwrap to {@code type} gives the proxy. */
    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, Object target, Then then) {
        return (T) java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            if (m.getName().equals("unwrap") && args[0] == type) {
                return p;
            }
            try {
                return then.apply(m, args, m.invoke(target, args));
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Test
    @DisplayName("enqueueScheduled skips at most 1,000 unreadable due schedules in a row, as a listing does: behind 1,001 of them a"
            + " readable one is not fired, and one WARN (once, not at every poll) names the first of them and the bound")
    void skippingUnreadableSchedulesIsBounded() throws java.sql.SQLException {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("bad-0000", MINUTE, NewTask.of("bad", Map.of())).startingAt(start));
        String id = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL ? "CAST(? AS uuid)" : "?";
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement copy = c.prepareStatement("INSERT INTO atlas_task_schedules (tenant_id, id, name, kind, payload,"
                     + " owner_type, owner_id, max_attempts, interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at)"
                     + " SELECT tenant_id, " + id + ", ?, kind, payload, owner_type, owner_id, max_attempts, interval_micros, cron, paused,"
                     + " next_run_at, last_run_at, created_at, updated_at FROM atlas_task_schedules WHERE name = 'bad-0000'");
             java.sql.Statement st = c.createStatement()) {
            for (int i = 1; i <= dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
                copy.setString(1, java.util.UUID.randomUUID().toString());
                copy.setString(2, String.format("bad-%04d", i));
                copy.addBatch();
            }
            copy.executeBatch();
            assertThat(st.executeUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name LIKE 'bad-%'"))
                    .isEqualTo(dev.atlas.Limits.MAX_PAGE_SIZE + 1);
        }
        String first;
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT CAST(id AS TEXT) FROM atlas_task_schedules WHERE name LIKE 'bad-%' ORDER BY id LIMIT 1")) {
            assertThat(rs.next()).isTrue();
            first = rs.getString(1);
        }
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start.plusSeconds(1)));
        advance(MINUTE);
        List<Task> fired = new ArrayList<>();
        String warnings = capturingStandardError(() -> fired.addAll(store.enqueueScheduled()));
        warnings += capturingStandardError(() -> fired.addAll(store.enqueueScheduled()));
        assertThat(fired).isEmpty();
        assertThat(warnings.lines().filter(l -> l.contains("skips at most 1000 unreadable task schedules in a row")).toList())
                .as(warnings).singleElement().asString().contains(first);
    }

    @Test
    @DisplayName("more unreadable due schedules than the warned-row memory holds (10,000; lowered to 10 here) never cause a warning"
            + " storm: the first poll names 10 and says once that further ones go unnamed, the next poll warns about none (a memory"
            + " cleared when full named every row again at every poll)")
    void unreadableWarningsAreBounded() throws java.sql.SQLException {
        int bound = 10;
        dev.atlas.jdbi.internal.JdbiTaskStore.unreadableWarningBound(atlas, bound);
        Instant start = clock.instant();
        for (int i = 0; i <= bound; i++) {
            store.schedule(NewSchedule.every(String.format("bad-%02d", i), MINUTE, NewTask.of("bad", Map.of())).startingAt(start));
        }
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            assertThat(st.executeUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name LIKE 'bad-%'")).isEqualTo(bound + 1);
        }
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        advance(Duration.ofSeconds(30));
        List<Task> fired = new ArrayList<>();
        String first = capturingStandardError(() -> fired.addAll(store.enqueueScheduled()));
        advance(MINUTE);
        String second = capturingStandardError(() -> fired.addAll(store.enqueueScheduled()));
        assertThat(fired).extracting(Task::kind).containsExactly("good", "good");
        assertThat(first.lines().filter(l -> l.contains("Skipping task schedule")).count()).isEqualTo(bound);
        assertThat(first.lines().filter(l -> l.contains("further task schedules this version cannot evaluate")).count()).isEqualTo(1);
        assertThat(second.lines().filter(l -> l.contains("WARN")).toList()).isEmpty();
    }

    @Test
    @DisplayName("a stored schedule no version writes (an interval of 1 microsecond from before year 1, whose resume overflowed next's arithmetic with an ArithmeticException on SQLite and resumed a 1-microsecond schedule on PostgreSQL; a next occurrence after Limits.MAX_INSTANT, which resume kept) is unreadable: resume and get throw UnreadableRowException naming the row, which stays as stored, and the tenant's other schedules fire")
    void scheduleOutsideStoredRangeIsUnreadable() throws java.sql.SQLException {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        store.schedule(NewSchedule.every("ancient", MINUTE, NewTask.of("bad", Map.of())).startingAt(start));
        store.schedule(NewSchedule.cron("beyond", "* * * * *", NewTask.of("bad", Map.of())));
        store.pauseSchedule("ancient");
        store.pauseSchedule("beyond");
        boolean pg = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
        rawUpdate("UPDATE atlas_task_schedules SET interval_micros = 1, next_run_at = "
                + (pg ? "'4713-01-01 00:00:00+00 BC'" : Long.MIN_VALUE) + " WHERE name = 'ancient'");
        rawUpdate("UPDATE atlas_task_schedules SET next_run_at = " + (pg ? "'10000-01-01 00:00:00+00'" : Long.MAX_VALUE) + " WHERE name = 'beyond'");
        List<String> ancient = rawRow("ancient");
        List<String> beyond = rawRow("beyond");
        advance(MINUTE);
        assertThat(store.enqueueScheduled()).extracting(Task::kind).containsExactly("good");
        assertThatThrownBy(() -> store.resumeSchedule("ancient")).isInstanceOf(dev.atlas.UnreadableRowException.class)
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).rowId()).isEqualTo(ancient.get(1)));
        assertThatThrownBy(() -> store.resumeSchedule("beyond")).isInstanceOf(dev.atlas.UnreadableRowException.class)
                .hasMessageContaining("next_run_at")
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).rowId()).isEqualTo(beyond.get(1)));
        assertThatThrownBy(() -> store.getSchedule("ancient")).isInstanceOf(dev.atlas.UnreadableRowException.class)
                .satisfies(e -> assertThat(((dev.atlas.UnreadableRowException) e).rowId()).isEqualTo(ancient.get(1)));
        assertThat(rawRow("ancient")).isEqualTo(ancient);
        assertThat(rawRow("beyond")).isEqualTo(beyond);
    }

    @Test
    @DisplayName("an unreadable schedule row is warned about once per tenant: another tenant's row with the same id (an import keeps ids) gets its own WARN naming that tenant")
    void unreadableRowsAreWarnedPerTenant() throws java.sql.SQLException {
        store.schedule(NewSchedule.every("bad", MINUTE, NewTask.of("bad", Map.of())).startingAt(clock.instant()));
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            assertThat(st.executeUpdate("INSERT INTO atlas_task_schedules (tenant_id, id, name, kind, payload, owner_type, owner_id, max_attempts,"
                    + " interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at) SELECT 'globex', id, name, kind, payload,"
                    + " owner_type, owner_id, max_attempts, interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at"
                    + " FROM atlas_task_schedules WHERE tenant_id = 'acme' AND name = 'bad'")).isEqualTo(1);
            assertThat(st.executeUpdate("UPDATE atlas_task_schedules SET payload = '[1]' WHERE name = 'bad'")).isEqualTo(2);
        }
        String id = rawRow("bad").get(1);
        advance(MINUTE);
        String warnings = capturingStandardError(() -> {
            assertThat(store.enqueueScheduled()).isEmpty();
            assertThat(other.enqueueScheduled()).isEmpty();
        });
        assertThat(warnings.lines().filter(l -> l.contains("WARN") && l.contains(id)).map(l -> l.contains("tenant globex") ? "globex"
                : l.contains("tenant acme") ? "acme" : l).toList()).containsExactly("acme", "globex");
    }

    @Test
    @DisplayName("schedules() that cannot page past skipped rows (SQLite: a name stored as a blob, which sorts after every text)"
            + " fails naming the row and column, where it read the same rows again forever in one read transaction")
    void schedulesListingFailsOnRowsItCannotPagePast() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a text column");
        for (String name : List.of("a", "b", "c")) {
            store.schedule(NewSchedule.every(name, MINUTE, NewTask.of("k", Map.of())));
        }
        String b = rawRow("b").get(1);
        rawUpdate("UPDATE atlas_task_schedules SET payload = '[1]', name = CAST(name AS BLOB) WHERE name = 'b'");
        rawUpdate("UPDATE atlas_task_schedules SET payload = '[1]', name = CAST(name AS BLOB) WHERE name = 'c'");
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicInteger statements = new java.util.concurrent.atomic.AtomicInteger();
        // Turns the endless re-reading into a failure of its own instead of a hung test.
        db.statementListener((name, sql) -> {
            if (statements.incrementAndGet() > 100) {
                throw new IllegalStateException("the listing ran over 100 statements");
            }
        });
        Throwable thrown;
        try {
            thrown = org.assertj.core.api.Assertions.catchThrowable(() -> capturingStandardError(() -> store.schedules(1, null)));
        } finally {
            db.statementListener(null);
        }
        assertThat(thrown).isInstanceOf(dev.atlas.UnreadableRowException.class).hasMessageContaining("name");
        assertThat(((dev.atlas.UnreadableRowException) thrown).rowId()).isEqualTo(b);
        assertThat(((dev.atlas.UnreadableRowException) thrown).table()).isEqualTo("task_schedules");
    }

    @Test
    @DisplayName("SQLite: enqueueScheduled that cannot page past a full page of skipped due schedules (next_run_at stored as a fraction"
            + " of a microsecond, shared by 1,000 unreadable rows) fires the readable ones before them and warns naming next_run_at,"
            + " where it read the same 1,000 rows again forever")
    void enqueueScheduledStopsWhereItCannotPagePast() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("good", MINUTE, NewTask.of("good", Map.of())).startingAt(start));
        store.schedule(NewSchedule.every("bad-0000", MINUTE, NewTask.of("bad", Map.of())).startingAt(start.plusSeconds(1)));
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement copy = c.prepareStatement("INSERT INTO atlas_task_schedules (tenant_id, id, name, kind, payload,"
                     + " owner_type, owner_id, max_attempts, interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at)"
                     + " SELECT tenant_id, ?, ?, kind, payload, owner_type, owner_id, max_attempts, interval_micros, cron, paused,"
                     + " next_run_at, last_run_at, created_at, updated_at FROM atlas_task_schedules WHERE name = 'bad-0000'");
             java.sql.Statement st = c.createStatement()) {
            for (int i = 1; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
                copy.setString(1, java.util.UUID.randomUUID().toString());
                copy.setString(2, String.format("bad-%04d", i));
                copy.addBatch();
            }
            copy.executeBatch();
            assertThat(st.executeUpdate("UPDATE atlas_task_schedules SET payload = '[1]', next_run_at = next_run_at + 0.5 WHERE name LIKE 'bad-%'"))
                    .isEqualTo(dev.atlas.Limits.MAX_PAGE_SIZE);
        }
        advance(MINUTE);
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicInteger statements = new java.util.concurrent.atomic.AtomicInteger();
        // Turns the endless re-reading into a failure of its own instead of a hung test.
        db.statementListener((name, sql) -> {
            if (statements.incrementAndGet() > 100) {
                throw new IllegalStateException("the poll ran over 100 statements");
            }
        });
        List<Task> fired = new ArrayList<>();
        String warnings;
        try {
            warnings = capturingStandardError(() -> fired.addAll(store.enqueueScheduled()));
        } finally {
            db.statementListener(null);
        }
        assertThat(fired).extracting(Task::kind, Task::runAfter).containsExactly(tuple("good", start));
        assertThat(warnings.lines().filter(l -> l.contains("WARN") && l.contains("cannot page past") && l.contains("next_run_at")).count())
                .as(warnings).isEqualTo(1);
        assertThat(tasksOf("bad")).isEmpty();
    }

    /** Runs {@code body}, returning what it wrote to standard error (where slf4j-simple logs). */
    private static String capturingStandardError(Runnable body) {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }

    /** Every column of the schedule row as the driver reads it as text, in {@code SELECT *} order. */
    private List<String> rawRow(String name) throws java.sql.SQLException {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT tenant_id, id, name, kind, payload, owner_type, owner_id, max_attempts,"
                     + " interval_micros, cron, paused, next_run_at, last_run_at, created_at, updated_at FROM atlas_task_schedules WHERE name = '"
                     + name + "'")) {
            assertThat(rs.next()).isTrue();
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                row.add(rs.getString(i));
            }
            return row;
        }
    }

    private void rawUpdate(String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            assertThat(st.executeUpdate(sql)).isEqualTo(1);
        }
    }

    private boolean rawBoolean(String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getBoolean(1);
        }
    }

    /** Calls enqueueScheduled every {@code step} until {@code until}; the occurrences of the tasks it enqueued, in order. */
    private List<Instant> fireEvery(Duration step, Instant until) {
        List<Instant> fired = new java.util.ArrayList<>();
        while (clock.instant().isBefore(until)) {
            advance(step);
            store.enqueueScheduled().forEach(t -> fired.add(t.runAfter()));
        }
        return fired;
    }

    @Test
    @DisplayName("cron evaluates each field, steps, lists and ranges in UTC; day-of-month OR day-of-week when both are restricted; 7 is Sunday")
    void cronEvaluation() {
        Instant from = Instant.parse("2026-03-01T10:15:30Z"); // a Sunday
        assertThat(Cron.parse("* * * * *").next(from)).isEqualTo(Instant.parse("2026-03-01T10:16:00Z"));
        assertThat(Cron.parse("0 0 * * *").next(from)).isEqualTo(Instant.parse("2026-03-02T00:00:00Z"));
        assertThat(Cron.parse("5,50 9-11 * * *").next(from)).isEqualTo(Instant.parse("2026-03-01T10:50:00Z"));
        assertThat(Cron.parse("0 12 * * 1-5").next(from)).isEqualTo(Instant.parse("2026-03-02T12:00:00Z"));
        assertThat(Cron.parse("0 12 * * 7").next(from)).isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
        assertThat(Cron.parse("0 12 * * 0").next(from)).isEqualTo(Instant.parse("2026-03-01T12:00:00Z"));
        assertThat(Cron.parse("30 2 1 */3 *").next(from)).isEqualTo(Instant.parse("2026-04-01T02:30:00Z"));
        assertThat(Cron.parse("0 0 29 2 *").next(from)).isEqualTo(Instant.parse("2028-02-29T00:00:00Z"));
        // Both day fields restricted: the 15th, or any Friday, whichever comes first.
        assertThat(Cron.parse("0 8 15 * 5").next(from)).isEqualTo(Instant.parse("2026-03-06T08:00:00Z"));
        assertThat(Cron.parse("0 8 15 * 5").next(Instant.parse("2026-03-13T09:00:00Z"))).isEqualTo(Instant.parse("2026-03-15T08:00:00Z"));
        // Day-of-week restricted, day-of-month '*': both must hold.
        assertThat(Cron.parse("0 8 * * 5").next(Instant.parse("2026-03-13T09:00:00Z"))).isEqualTo(Instant.parse("2026-03-20T08:00:00Z"));
        assertThat(Cron.parse("10-20/5 * * * *").next(from)).isEqualTo(Instant.parse("2026-03-01T10:20:00Z"));
        assertThat(Cron.parse("50/5 * * * *").next(from)).isEqualTo(Instant.parse("2026-03-01T10:50:00Z"));
        assertThat(Cron.parse("59 23 31 12 *").next(Instant.parse("2026-12-31T23:59:00Z"))).isEqualTo(Instant.parse("2027-12-31T23:59:00Z"));
    }

    @Test
    @DisplayName("a schedule name in its conflict message is escaped: a line break or U+202E is shown as \\uXXXX (it was quoted raw);"
            + " a lone surrogate is refused before anything is stored")
    void nameInConflictIsEscaped() {
        NewTask task = NewTask.of("k", Map.of());
        store.schedule(NewSchedule.every("nightly\nERROR forged\u202e", MINUTE, task));
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ConflictException.class,
                () -> store.schedule(NewSchedule.every("nightly\nERROR forged\u202e", MINUTE, task))).getMessage())
                .isEqualTo("name: this tenant already has a schedule named 'nightly\\u000aERROR forged\\u202e'");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(InvalidInputException.class,
                () -> NewSchedule.every("n\uD800", MINUTE, task)).getMessage())
                .isEqualTo("name: contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode");
    }

    @Test
    @DisplayName("a second schedule of the same name is refused with ConflictException naming name (validation: TaskInputValidationTest)")
    void badInput() {
        NewTask task = NewTask.of("k", Map.of());
        store.schedule(NewSchedule.every("dup", MINUTE, task));
        assertThatThrownBy(() -> store.schedule(NewSchedule.cron("dup", "* * * * *", task))).isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("name"));
        assertThat(store.schedules(100, null).items()).extracting(TaskSchedule::interval).containsExactly(MINUTE);
    }

    @Test
    @DisplayName("a task template whose payload the database cannot store (NUL, a value that is no JSON, a number a read would round, a document over the size limit) is refused naming task.payload, the field as written in NewSchedule, and nothing is stored")
    void badTemplatePayloadNamesTaskPayload() {
        List<Map<String, Object>> bad = List.of(Map.of("nul", "a\u0000b"), Map.of("object", new Object()),
                Map.of("precise", new java.math.BigDecimal("0.1000000000000000000000000000000000001")),
                Map.of("huge", "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH)));
        for (Map<String, Object> payload : bad) {
            NewTask task = NewTask.of("k", payload);
            for (NewSchedule s : List.of(NewSchedule.every("every", MINUTE, task), NewSchedule.cron("cron", "* * * * *", task))) {
                assertThatThrownBy(() -> store.schedule(s)).isInstanceOf(InvalidInputException.class)
                        .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("task.payload"))
                        .hasMessageStartingWith("task.payload: ");
            }
        }
        assertThat(store.schedules(100, null).items()).isEmpty();
    }

    @Test
    @DisplayName("a schedule never holds an occurrence after Limits.MAX_INSTANT: one whose first would is refused naming cron or interval; one whose next would fires its last occurrence and is paused there, resume refused with ConflictException; the tenant's other schedules go on")
    void occurrencesEndAtMaxInstant() {
        Instant max = dev.atlas.Limits.MAX_INSTANT;
        clock.set(max.minus(Duration.ofMinutes(2)));
        store.schedule(NewSchedule.cron("yearly", "58 23 31 12 *", NewTask.of("yearly", Map.of())));
        store.schedule(NewSchedule.every("last", Duration.ofSeconds(150), NewTask.of("last", Map.of())).startingAt(max.minusSeconds(100)));
        store.schedule(NewSchedule.every("other", Duration.ofSeconds(1), NewTask.of("other", Map.of())).startingAt(clock.instant()));
        clock.set(max.minusSeconds(30));
        assertField(() -> store.schedule(NewSchedule.cron("minutely", "* * * * *", NewTask.of("m", Map.of()))), "cron");
        assertField(() -> store.schedule(NewSchedule.every("late", MINUTE, NewTask.of("late", Map.of()))), "interval");
        assertThat(store.getSchedule("minutely")).isEmpty();
        assertThat(store.getSchedule("late")).isEmpty();
        clock.set(max.minusSeconds(60));
        assertThat(store.enqueueScheduled()).extracting(Task::kind, Task::runAfter).containsExactlyInAnyOrder(
                tuple("yearly", Instant.parse("9999-12-31T23:58:00Z")), tuple("last", max.minusSeconds(100)),
                tuple("other", max.minus(Duration.ofMinutes(2))));
        assertThat(store.getSchedule("yearly").orElseThrow()).returns(true, TaskSchedule::paused)
                .returns(Instant.parse("9999-12-31T23:58:00Z"), TaskSchedule::nextRunAt).returns(Instant.parse("9999-12-31T23:58:00Z"), TaskSchedule::lastRunAt);
        assertThat(store.getSchedule("last").orElseThrow()).returns(true, TaskSchedule::paused)
                .returns(max.minusSeconds(100), TaskSchedule::nextRunAt).returns(max.minusSeconds(100), TaskSchedule::lastRunAt);
        assertThat(store.getSchedule("other").orElseThrow()).returns(false, TaskSchedule::paused)
                .returns(max.minusSeconds(59), TaskSchedule::nextRunAt);
        assertThat(store.enqueueScheduled()).isEmpty();
        assertThatThrownBy(() -> store.resumeSchedule("last")).isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((ConflictException) e).field()).isEqualTo("name"));
        assertThat(store.getSchedule("last").orElseThrow().paused()).isTrue();
        // Not even from an instance whose clock is behind the fired last occurrence: resuming would fire it again.
        clock.set(max.minus(Duration.ofMinutes(10)));
        assertThatThrownBy(() -> store.resumeSchedule("last")).isInstanceOf(ConflictException.class);
        assertThat(store.getSchedule("last").orElseThrow().paused()).isTrue();
    }

    @Test
    @DisplayName("schedules list by name, page by cursor; pause skips occurrences, resume continues after now, delete keeps enqueued tasks")
    void listPauseResumeDelete() {
        NewTask task = NewTask.of("k", Map.of());
        for (String name : new String[] {"c", "a", "b"}) {
            store.schedule(NewSchedule.every(name, MINUTE, task));
        }
        Page<TaskSchedule> first = store.schedules(2, null);
        assertThat(first.items()).extracting(TaskSchedule::name).containsExactly("a", "b");
        Page<TaskSchedule> second = store.schedules(2, first.nextCursor().orElseThrow());
        assertThat(second.items()).extracting(TaskSchedule::name).containsExactly("c");
        assertThat(second.nextCursor()).isEmpty();

        Instant due = store.getSchedule("a").orElseThrow().nextRunAt();
        TaskSchedule paused = store.pauseSchedule("a");
        assertThat(paused).returns(true, TaskSchedule::paused).returns(due, TaskSchedule::nextRunAt);
        advance(Duration.ofSeconds(150));
        assertThat(store.pauseSchedule("a")).isEqualTo(paused);
        assertThat(store.enqueueScheduled()).extracting(Task::runAfter).containsExactly(due, due);
        TaskSchedule resumed = store.resumeSchedule("a");
        assertThat(resumed).returns(false, TaskSchedule::paused).returns(due.plus(Duration.ofMinutes(2)), TaskSchedule::nextRunAt)
                .returns(clock.instant(), TaskSchedule::updatedAt);
        assertThat(store.resumeSchedule("a")).isEqualTo(resumed);
        assertThat(store.enqueueScheduled()).isEmpty();

        store.deleteSchedule("b");
        assertThat(store.getSchedule("b")).isEmpty();
        assertThat(tasksOf("k")).hasSize(2);
        for (Executable call : List.<Executable>of(() -> store.deleteSchedule("b"), () -> store.pauseSchedule("b"),
                () -> store.resumeSchedule("b"))) {
            assertThatThrownBy(call::execute).isInstanceOf(NotFoundException.class)
                    .satisfies(e -> assertThat(((NotFoundException) e).field()).contains("name"));
        }
    }

    @Test
    @DisplayName("another tenant's schedules behave as unknown names; each tenant fires only its own; names are per tenant")
    void tenantIsolation() {
        TaskSchedule mine = store.schedule(NewSchedule.every("s", MINUTE, NewTask.of("mine", Map.of())));
        assertThat(other.getSchedule("s")).isEmpty();
        assertThat(other.schedules(10, null).items()).isEmpty();
        assertThatThrownBy(() -> other.pauseSchedule("s")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.resumeSchedule("s")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.deleteSchedule("s")).isInstanceOf(NotFoundException.class);
        TaskSchedule theirs = other.schedule(NewSchedule.every("s", Duration.ofMinutes(2), NewTask.of("theirs", Map.of())));
        advance(MINUTE);
        assertThat(other.enqueueScheduled()).isEmpty();
        assertThat(store.enqueueScheduled()).extracting(Task::kind).containsExactly("mine");
        advance(MINUTE);
        assertThat(other.enqueueScheduled()).extracting(Task::tenantId).containsExactly("globex");
        assertThat(store.getSchedule("s").orElseThrow().id()).isEqualTo(mine.id());
        assertThat(other.getSchedule("s").orElseThrow().id()).isEqualTo(theirs.id());
        assertThat(other.list(TaskQuery.all()).items()).extracting(Task::kind).containsExactly("theirs");
    }

    @Test
    @DisplayName("a pause or resume from an instance whose clock runs an hour behind never moves the schedule's updatedAt back")
    void laggingClockNeverMovesUpdatedAtBack() {
        TaskSchedule created = store.schedule(NewSchedule.every("lag", MINUTE, NewTask.of("lag", Map.of())));
        TaskStore behind = reopen(b -> b.clock(new MutableClock(clock.instant().minus(Duration.ofHours(1))))).tenant("acme").tasks();
        assertThat(behind.pauseSchedule("lag")).returns(true, TaskSchedule::paused).returns(created.updatedAt(), TaskSchedule::updatedAt);
        assertThat(behind.resumeSchedule("lag")).returns(false, TaskSchedule::paused).returns(created.updatedAt(), TaskSchedule::updatedAt);
        assertThat(store.getSchedule("lag").orElseThrow().updatedAt()).isEqualTo(created.updatedAt());
    }

    @Test
    @DisplayName("two instances whose clocks disagree by an hour fire each occurrence once: the one ahead fires early and moves the schedule past its own now, the one behind then finds nothing due; once both clocks pass the next occurrence, racing calls enqueue it once")
    void skewedInstancesFireOnce() throws Exception {
        MutableClock aheadClock = new MutableClock(clock.instant().plus(Duration.ofHours(1)));
        TaskStore ahead = reopen(b -> b.clock(aheadClock)).tenant("acme").tasks();
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("skew", MINUTE, NewTask.of("skew", Map.of())).startingAt(start));
        assertThat(ahead.enqueueScheduled()).extracting(Task::runAfter).containsExactly(start);
        Instant next = start.plus(Duration.ofMinutes(61));
        assertThat(store.getSchedule("skew").orElseThrow().nextRunAt()).isEqualTo(next);
        assertThat(store.enqueueScheduled()).isEmpty();
        clock.set(next);
        // Still ahead, but not past the occurrence after next: whichever call wins, nothing else is due for either.
        aheadClock.set(next.plusSeconds(30));
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<Task>> a = pool.submit(() -> {
                go.await();
                return ahead.enqueueScheduled();
            });
            Future<List<Task>> b = pool.submit(() -> {
                go.await();
                return store.enqueueScheduled();
            });
            go.countDown();
            List<Task> fired = new ArrayList<>(a.get(60, TimeUnit.SECONDS));
            fired.addAll(b.get(60, TimeUnit.SECONDS));
            assertThat(fired).extracting(Task::runAfter).containsExactly(next);
        } finally {
            pool.shutdownNow();
        }
        assertThat(tasksOf("skew")).extracting(Task::runAfter).containsExactlyInAnyOrder(start, next);
        assertThat(store.getSchedule("skew").orElseThrow().nextRunAt()).isEqualTo(next.plus(MINUTE));
    }

    @Test
    @DisplayName("instances on hosts whose clocks run an hour ahead of and an hour behind the database's fire an hourly schedule's"
            + " occurrence once, when the database's clock has reached it: the one ahead neither moves the schedule past the next"
            + " occurrence nor fires it early, the one behind does not wait an hour")
    void hostClocksOffFromTheDatabaseFireOnItsClock() {
        java.time.Clock aheadHost = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(1));
        java.time.Clock behindHost = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofHours(-1));
        Atlas aheadAtlas = reopen(b -> b.clock(aheadHost));
        dev.atlas.jdbi.internal.JdbiTaskStore.hostClock(aheadAtlas, aheadHost);
        Atlas behindAtlas = reopen(b -> b.clock(behindHost));
        dev.atlas.jdbi.internal.JdbiTaskStore.hostClock(behindAtlas, behindHost);
        TaskStore ahead = aheadAtlas.tenant("acme").tasks();
        TaskStore behind = behindAtlas.tenant("globex").tasks();
        // Three minutes ago by the database's clock: due, and the next occurrence 57 minutes away, whatever the load.
        Instant start = Instant.now().minus(Duration.ofMinutes(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Duration hour = Duration.ofHours(1);
        ahead.schedule(NewSchedule.every("hourly", hour, NewTask.of("ahead", Map.of())).startingAt(start));
        behind.schedule(NewSchedule.every("hourly", hour, NewTask.of("behind", Map.of())).startingAt(start));

        assertThat(ahead.enqueueScheduled()).extracting(Task::runAfter).containsExactly(start);
        assertThat(ahead.getSchedule("hourly").orElseThrow().nextRunAt()).as("the occurrence after the one fired").isEqualTo(start.plus(hour));
        assertThat(ahead.enqueueScheduled()).as("the next occurrence, 57 minutes away").isEmpty();

        assertThat(behind.enqueueScheduled()).extracting(Task::runAfter).containsExactly(start);
        assertThat(behind.getSchedule("hourly").orElseThrow().nextRunAt()).isEqualTo(start.plus(hour));
        assertThat(behind.enqueueScheduled()).isEmpty();
        assertThat(atlas.tenant("globex").tasks().list(TaskQuery.all().kind("behind").limit(10)).items()).extracting(Task::runAfter)
                .containsExactly(start);
    }

    @Test
    @DisplayName("a schedule's payload, owner and maxAttempts reach every task it fires exactly as registered: control characters, astral code points, numbers beyond long and double, keys in any order")
    void firedTasksCarryThePayloadExactly() {
        Map<String, Object> payload = new java.util.LinkedHashMap<>();
        payload.put("zeta", "\u0001\u001f\u007f\t\n\"\\");
        payload.put("a", "\uD83D\uDE00 \u00e9");
        payload.put("big", new java.math.BigInteger("123456789012345678901234567890123456789"));
        payload.put("maxLong", Long.MAX_VALUE);
        payload.put("list", List.of(Map.of("y", 1, "x", List.of()), "s"));
        TaskSchedule s = store.schedule(NewSchedule.every("exact", MINUTE, NewTask.of("exact", payload).owner(ALICE).maxAttempts(7))
                .startingAt(clock.instant()));
        Task fired = store.enqueueScheduled().get(0);
        Task read = store.get(fired.id()).orElseThrow();
        assertThat(read).isEqualTo(fired).returns(ALICE, Task::owner).returns(7, Task::maxAttempts);
        assertThat(read.payload()).isEqualTo(s.payload()).isEqualTo(store.getSchedule("exact").orElseThrow().payload());
        assertThat(List.copyOf(read.payload().keySet())).isEqualTo(List.copyOf(s.payload().keySet()));
        assertThat(new java.math.BigDecimal(String.valueOf(read.payload().get("big"))))
                .isEqualTo(new java.math.BigDecimal("123456789012345678901234567890123456789"));
        assertThat(read.payload().get("zeta")).isEqualTo("\u0001\u001f\u007f\t\n\"\\");
        assertThat(read.payload().get("a")).isEqualTo("\uD83D\uDE00 \u00e9");
        assertThat(String.valueOf(read.payload().get("maxLong"))).isEqualTo(String.valueOf(Long.MAX_VALUE));
    }

    @Test
    @DisplayName("8 threads on two Atlas instances firing 5 schedules through 12 occurrences enqueue each occurrence exactly once")
    void exactlyOnceAcrossWorkersAndInstances() throws Exception {
        Atlas second = reopen(b -> b.clock(clock));
        List<TaskStore> stores = List.of(store, second.tenant("acme").tasks());
        Instant start = clock.instant();
        for (int i = 0; i < 5; i++) {
            store.schedule(NewSchedule.every("s" + i, MINUTE, NewTask.of("once", Map.of("schedule", i))));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 1; round <= 12; round++) {
                advance(MINUTE);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<Task>>> calls = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    TaskStore s = stores.get(t % 2);
                    calls.add(pool.submit(() -> {
                        go.await();
                        return s.enqueueScheduled();
                    }));
                }
                go.countDown();
                int fired = 0;
                for (Future<List<Task>> f : calls) {
                    fired += f.get(60, TimeUnit.SECONDS).size();
                }
                assertThat(fired).as("round " + round).isEqualTo(5);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Task> all = tasksOf("once");
        assertThat(all).hasSize(60);
        for (int i = 0; i < 5; i++) {
            int schedule = i;
            List<Instant> expected = new ArrayList<>();
            for (int n = 1; n <= 12; n++) {
                expected.add(start.plus(MINUTE.multipliedBy(n)));
            }
            assertThat(all.stream().filter(t -> t.payload().get("schedule").equals(schedule)).map(Task::runAfter).sorted().toList())
                    .as("schedule s" + i).isEqualTo(expected);
        }
    }

    @Test
    @DisplayName("a TaskWorker enqueues due occurrences at each poll and runs them like any task")
    void workerFiresSchedules() {
        Instant start = clock.instant();
        store.schedule(NewSchedule.every("w", MINUTE, NewTask.of("scheduled", Map.of("n", 1))).startingAt(start));
        CountDownLatch ran = new CountDownLatch(1);
        TaskWorker worker = TaskWorker.builder(store).handler("scheduled", t -> {
            ran.countDown();
            return Map.of("ran", t.payload().get("n"));
        }).pollInterval(Duration.ofMillis(10)).start();
        try {
            assertThat(ran.await(30, TimeUnit.SECONDS)).as("the scheduled task ran").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            // close() returns once the handler's result is recorded.
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(tasksOf("scheduled")).singleElement().returns(TaskStatus.COMPLETED, Task::status)
                .returns(Map.of("ran", 1), Task::result).returns(start, Task::runAfter);
        assertThat(store.getSchedule("w").orElseThrow().nextRunAt()).isEqualTo(start.plus(MINUTE));
    }

    @Test
    @DisplayName("statements run: an idle enqueueScheduled 1 (a read, no write lock), 2 due schedules 4 (read, 2 guarded moves, 1 batch)")
    void statementCounts() {
        store.schedule(NewSchedule.every("x", MINUTE, NewTask.of("x", Map.of())));
        store.schedule(NewSchedule.every("y", MINUTE, NewTask.of("y", Map.of())));
        assertThat(StatementCounter.count(atlas, () -> store.enqueueScheduled()).statements()).isEqualTo(1);
        advance(MINUTE);
        StatementCounter.Counted<List<Task>> fired = StatementCounter.count(atlas, () -> store.enqueueScheduled());
        assertThat(fired.statements()).isEqualTo(4);
        assertThat(fired.result()).extracting(Task::kind).containsExactlyInAnyOrder("x", "y");
    }

    @Test
    @DisplayName("schedules export with their tenant (or owner), import byte-identical into an empty tenant, and go with an erased owner")
    void portabilityAndErase() {
        store.schedule(NewSchedule.every("alice-digest", Duration.ofHours(6), NewTask.of("digest", Map.of("to", "alice"))
                .owner(ALICE).maxAttempts(2)));
        store.schedule(NewSchedule.cron("nightly", "30 2 * * *", NewTask.of("cleanup", Map.of())));
        store.pauseSchedule("nightly");
        advance(Duration.ofHours(6));
        assertThat(store.enqueueScheduled()).hasSize(1);
        byte[] file = PortabilityContract.export(atlas.tenant("acme"), dev.atlas.portability.ExportScope.tenant());
        dev.atlas.Tenant beta = atlas.tenant("beta");
        assertThat(PortabilityContract.importBytes(beta, file).imported()).containsEntry("task_schedule", 2L);
        assertThat(PortabilityContract.text(PortabilityContract.export(beta, dev.atlas.portability.ExportScope.tenant())))
                .isEqualTo(PortabilityContract.text(file));
        assertThat(beta.tasks().getSchedule("nightly")).contains(withTenant(store.getSchedule("nightly").orElseThrow(), "beta"));
        assertThat(PortabilityContract.importBytes(beta, file).imported()).isEmpty();
        byte[] alice = PortabilityContract.export(atlas.tenant("acme"), dev.atlas.portability.ExportScope.owner(ALICE));
        assertThat(PortabilityContract.text(alice)).contains("alice-digest").doesNotContain("nightly");

        assertThat(atlas.tenant("acme").portability().eraseOwner(ALICE, false).counts()).containsEntry("task_schedules", 1L);
        assertThat(store.schedules(10, null).items()).extracting(TaskSchedule::name).containsExactly("nightly");
        assertThat(beta.tasks().schedules(10, null).items()).hasSize(2);
    }

    private static TaskSchedule withTenant(TaskSchedule s, String tenant) {
        return new TaskSchedule(s.id(), tenant, s.name(), s.kind(), s.payload(), s.owner(), s.maxAttempts(), s.interval(), s.cron(),
                s.paused(), s.nextRunAt(), s.lastRunAt(), s.createdAt(), s.updatedAt());
    }

    static void assertField(Executable call, String field) {
        assertThatThrownBy(call::execute).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    @DisplayName("schedules list in code point order on every database, paged too, whatever the PostgreSQL database's collation")
    void schedulesInCodePointOrder() {
        Collations.natural(database, "task_schedules", "name");
        for (String name : List.of("b", "B", "a-c", "ab", "a_d", "aa", "A", "\uFF21", "\uD83D\uDE00")) {
            store.schedule(NewSchedule.every(name, Duration.ofMinutes(1), NewTask.of("k", Map.of())));
        }
        // Code point order, as SQLite's BINARY sorts: never the database's natural-language collation.
        List<String> expected = List.of("A", "B", "a-c", "a_d", "aa", "ab", "b", "\uFF21", "\uD83D\uDE00");
        assertThat(store.schedules(100, null).items()).extracting(TaskSchedule::name).containsExactlyElementsOf(expected);
        List<String> paged = new java.util.ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<TaskSchedule> page = store.schedules(2, cursor);
            page.items().forEach(s -> paged.add(s.name()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("a schedule name holding the cursor's separator, a backslash or an escape-like text pages through with the cursors Atlas returned")
    void namesWithCursorSeparatorPageThrough() {
        List<String> names = List.of("a\u001fb", "a\\", "a\\u", "a\\\u001f", "b\u001f", "\u001fx", "\u20ac".repeat(255));
        for (String name : names) {
            store.schedule(NewSchedule.every(name, MINUTE, NewTask.of("k", Map.of())));
        }
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            Page<TaskSchedule> page = store.schedules(1, cursor);
            page.items().forEach(s -> paged.add(s.name()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(names.stream().sorted().toList());
    }

    @Test
    @DisplayName("an edited cursor whose text part holds NUL or is not UTF-8 is refused naming cursor on every listing keyed by text, before SQL")
    void editedTextCursorIsRefused() {
        store.schedule(NewSchedule.every("z", MINUTE, NewTask.of("k", Map.of())));
        var acme = atlas.tenant("acme");
        acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("slug-a", "A"));
        acme.settings().create("s", "S", ALICE);
        for (String listing : List.of("schedules", "assistants", "settings")) {
            for (byte[] part : List.of("a\u0000b".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[] {'a', (byte) 0xC3, 'b'},
                    new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})) {
                java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
                raw.writeBytes(("v2\u001f" + listing + "\u001f").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                raw.writeBytes(part);
                String cursor = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw.toByteArray());
                Executable call = switch (listing) {
                    case "schedules" -> () -> store.schedules(10, cursor);
                    case "assistants" -> () -> acme.assistants().list(10, cursor);
                    default -> () -> acme.settings().list(null, 10, cursor);
                };
                assertField(call, "cursor");
            }
        }
    }
}
