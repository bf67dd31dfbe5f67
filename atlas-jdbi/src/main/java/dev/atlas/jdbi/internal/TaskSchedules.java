package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.UnreadableRowException;
import dev.atlas.internal.Check;
import dev.atlas.task.Cron;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskSchedule;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;
import dev.atlas.jdbi.internal.sql.SqlFailure;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recurring tasks of one tenant, for {@link JdbiTaskStore}: a schedule row holds the next
 * occurrence; {@link #enqueueScheduled} reads the due ones, then in one write moves each past its
 * occurrence with a guarded update and enqueues the tasks of those it moved.
 */
final class TaskSchedules {
    private static final Logger LOG = LoggerFactory.getLogger(TaskSchedules.class);
    /** Per Atlas instance (weakly, so a closed one's memory goes with it): the rows it already warned about. */
    private static final Map<Db, Warned> WARNED = Collections.synchronizedMap(new WeakHashMap<>());
    /** Per Atlas instance (weakly, as {@link #WARNED}): how far the database's clock runs from this host's. */
    private static final Map<Db, Skew> SKEWS = Collections.synchronizedMap(new WeakHashMap<>());
    private final Db db;
    private final Sql sql;
    private final ScheduleSql q;
    private final JdbiTaskStore tasks;
    private final RowMapper<TaskSchedule> schedules;
    private final String tenant;
    private final Warned warned;
    private final Skew skew;

    TaskSchedules(Db db, Sql sql, JdbiTaskStore tasks, String tenant) {
        this.db = db;
        this.tenant = tenant;
        this.sql = sql;
        this.q = db.statements(ScheduleSql.class, ScheduleSql::new);
        this.tasks = tasks;
        Dialect d = db.dialect();
        this.schedules = Rows.guard("task_schedules", "id", (rs, ctx) -> new TaskSchedule(d.uuid(rs, "id"), rs.getString("tenant_id"),
                rs.getString("name"), rs.getString("kind"), Json.readMap(rs.getString("payload")), Rows.owner(rs, "owner_type", "owner_id"),
                rs.getInt("max_attempts"), interval(rs), rs.getString("cron"), rs.getBoolean("paused"), occurrence(d, rs, "next_run_at"),
                occurrence(d, rs, "last_run_at"), d.instant(rs, "created_at"), d.instant(rs, "updated_at")));
        this.warned = warned(db);
        this.skew = SKEWS.computeIfAbsent(db, k -> new Skew());
    }

    /**
     * How far the database's clock runs from this host's, added to the instance's clock wherever a schedule asks what is due
     * or what comes next: a host whose clock is off by an hour would otherwise fire an occurrence an hour early and move
     * the schedule past the occurrences of that hour (ahead), or fire nothing until an hour late (behind). Leases already
     * run on the database's clock. Read at most once a minute per Atlas instance (one statement), so a clock stepped
     * meanwhile is followed within a minute. Under a second it counts as none: shorter than any interval, it can neither
     * repeat nor skip an occurrence, and a clock the application configured (a test's) stays exact.
     */
    static final class Skew {
        static final Duration NEGLIGIBLE = Duration.ofSeconds(1);
        static final long VALID_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
        /** The host's clock; only a test replaces it, to stand for a host whose clock is off. */
        volatile java.time.Clock host = java.time.Clock.systemUTC();
        private volatile @org.jspecify.annotations.Nullable Measured last;

        private record Measured(Duration offset, long atNanos) {}

        /** The offset to add, read through {@code database} (the database's now) when the last reading is a minute old. */
        Duration offset(java.util.function.Supplier<Instant> database) {
            Measured m = last;
            long t = System.nanoTime();
            if (m != null && t - m.atNanos() < VALID_NANOS) {
                return m.offset();
            }
            java.time.Clock h = host;
            Instant before = h.instant();
            Instant at = database.get();
            Instant after = h.instant();
            Duration off = Duration.between(before.plus(Duration.between(before, after).dividedBy(2)), at);
            off = off.abs().compareTo(NEGLIGIBLE) < 0 ? Duration.ZERO : off.truncatedTo(ChronoUnit.MICROS);
            last = new Measured(off, t);
            return off;
        }
    }

    /** Test hook: the clock {@code db}'s Atlas instance takes for its host's (see {@link JdbiTaskStore#hostClock}). */
    static void hostClock(Db db, java.time.Clock host) {
        Check.notNull("host", host);
        Skew s = SKEWS.computeIfAbsent(db, k -> new Skew());
        s.host = host;
        s.last = null;
    }

    /** The instance's clock as schedules read it: moved by the host's measured distance from the database's clock. */
    private Instant scheduleNow(Duration offset) {
        return db.now().plus(offset);
    }

    /** The offset to add to the instance's clock now (a read of the database's clock at most once a minute). */
    private Duration offset() {
        Dialect d = db.dialect();
        return skew.offset(() -> db.read(h -> sql.on(h, q.clock).one((rs, ctx) -> d.instant(rs, "now"))));
    }

    /*
     * A stored interval or occurrence no version writes (NewSchedule's bounds, Limits' instants) makes the row
     * unreadable here, where Rows.guard names it: evaluating it overflowed next()'s arithmetic
     * (ArithmeticException from resume), or resumed a schedule onto an occurrence after Limits.MAX_INSTANT.
     */
    private static @org.jspecify.annotations.Nullable Duration interval(ResultSet rs) throws SQLException {
        long micros = rs.getLong("interval_micros");
        if (rs.wasNull()) {
            return null;
        }
        if (micros < NewSchedule.MIN_INTERVAL.toNanos() / 1_000 || micros > NewSchedule.MAX_INTERVAL.toNanos() / 1_000) {
            throw new UnreadableRowException(null, null, "interval_micros: " + micros + " is outside " + NewSchedule.MIN_INTERVAL + " to "
                    + NewSchedule.MAX_INTERVAL, new IllegalStateException("interval out of range"));
        }
        return Duration.ofNanos(micros * 1_000L);
    }

    private static @org.jspecify.annotations.Nullable Instant occurrence(Dialect d, ResultSet rs, String column) throws SQLException {
        Instant at = d.instant(rs, column);
        if (at != null && (at.isBefore(Limits.MIN_INSTANT) || at.isAfter(Limits.MAX_INSTANT))) {
            throw new UnreadableRowException(null, null, column + ": " + at + " is outside " + Limits.MIN_INSTANT + " to " + Limits.MAX_INSTANT,
                    new IllegalStateException("instant out of range"));
        }
        return at;
    }

    /**
     * The rows one Atlas instance has warned about as unreadable (a skipped row is read again at every poll or listing,
     * so each is named once). Bounded without ever being cleared: a clear let every skipped row warn again, at each
     * poll once more rows were skipped than it held. Past {@link #CAPACITY} rows one notice says that further ones
     * are skipped unnamed.
     */
    static final class Warned {
        static final int CAPACITY = 10_000;
        private final Set<String> keys = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean full = new AtomicBoolean();
        /** {@link #CAPACITY}, lowered only by tests, so that exceeding it does not take ten thousand rows. */
        private volatile int capacity = CAPACITY;

        /** Runs {@code warning} the first time {@code key} is seen, unless {@link #CAPACITY} keys were seen already. */
        void once(String key, Runnable warning) {
            if (keys.contains(key)) {
                return;
            }
            int cap = capacity;
            if (keys.size() >= cap) {
                if (full.compareAndSet(false, true)) {
                    LOG.warn("This Atlas instance has warned about {} rows it cannot read or evaluate; further task schedules this version"
                            + " cannot evaluate and unreadable task rows are skipped without a warning each", cap);
                }
                return;
            }
            if (keys.add(key)) {
                warning.run();
            }
        }
    }

    /** The warned rows of {@code db}'s Atlas instance. */
    static Warned warned(Db db) {
        return WARNED.computeIfAbsent(db, k -> new Warned());
    }

    /** Test hook: lowers the warned-row bound of {@code db}'s Atlas instance (see {@link JdbiTaskStore#unreadableWarningBound}). */
    static void warnedCapacity(Db db, int capacity) {
        Check.positive("capacity", capacity, Warned.CAPACITY);
        warned(db).capacity = capacity;
    }

    TaskSchedule schedule(NewSchedule s) {
        Check.notNull("schedule", s);
        // Named as the caller wrote it: the payload is the task template's (NewSchedule.task), not a payload of its own.
        JsonDoc payload = Json.write("task.payload", s.task().payload());
        UUID id = Ids.next(db.clock());
        Duration offset = offset();
        return db.write(h -> {
            Instant now = db.now();
            Instant due = scheduleNow(offset);
            Instant first = s.cron() != null ? s.cron().next(due) : s.startAt() != null ? s.startAt() : due.plus(s.interval());
            if (first == null || first.isAfter(Limits.MAX_INSTANT)) {
                throw new InvalidInputException(s.cron() != null ? "cron" : "interval", "the first occurrence after now falls after "
                        + Limits.MAX_INSTANT);
            }
            try {
                return sql.on(h, q.insert).bind("id", id).bind("name", s.name()).bind("kind", s.task().kind()).bind("payload", payload)
                        .bind("ownerType", s.task().owner() == null ? null : s.task().owner().type())
                        .bind("ownerId", s.task().owner() == null ? null : s.task().owner().id())
                        .bind("maxAttempts", s.task().maxAttempts())
                        .bind("interval", s.interval() == null ? null : s.interval().toNanos() / 1_000)
                        .bind("cron", s.cron() == null ? null : s.cron().expression())
                        .bind("next", first.truncatedTo(ChronoUnit.MICROS)).bind("now", now).one(schedules);
            } catch (SqlFailure e) {
                if (JdbiAssistantStore.isUniqueViolation(e)) {
                    throw new ConflictException("name", "this tenant already has a schedule named '" + Check.escaped(s.name()) + "'");
                }
                throw e;
            }
        });
    }

    Optional<TaskSchedule> get(String name) {
        Check.key("name", name);
        return db.read(h -> find(h, name));
    }

    private Optional<TaskSchedule> find(Handle h, String name) {
        return sql.on(h, q.byName).bind("name", name).optional(schedules);
    }

    /**
     * One page by name. A row this version cannot read is skipped with one WARN naming it, as {@link #enqueueScheduled}
     * skips it, rather than failing the page for every other schedule; reading goes on past such rows ({@link
     * SkippingListing}) so a page is full whenever more readable schedules follow.
     */
    Page<TaskSchedule> list(int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing("schedules");
        String start = cursor == null ? null : Cursor.decode(cursor, listing, 1).string(0);
        RowMapper<SkippingListing.Row<TaskSchedule, String>> listed = SkippingListing.rows(schedules, s -> s.id().toString(),
                TaskSchedule::name, rs -> rs.getString("name"));
        SkippingListing<TaskSchedule, String> skipping = new SkippingListing<>("task_schedules", "name", "task schedule", tenant, warned, LOG);
        List<TaskSchedule> out = db.read(h -> skipping.read(start, limit, (after, max) ->
                (after == null ? sql.on(h, q.list) : sql.on(h, q.listAfter).bind("after", after)).bind("limit", max).list(listed)));
        return Cursor.page(out, limit, s -> Cursor.encode(listing, s.name()));
    }

    TaskSchedule pause(String name) {
        Check.key("name", name);
        return db.write(h -> sql.on(h, q.pause).bind("name", name).bind("now", db.now()).optional(schedules))
                .orElseThrow(() -> missing(name));
    }

    TaskSchedule resume(String name) {
        Check.key("name", name);
        Duration offset = offset();
        return db.write(h -> {
            TaskSchedule s = find(h, name).orElseThrow(() -> missing(name));
            if (!s.paused()) {
                return s;
            }
            Instant now = scheduleNow(offset);
            // A schedule that ended rests on its last occurrence, already fired: never the next one, whatever this clock says.
            boolean ended = s.nextRunAt().equals(s.lastRunAt());
            Instant next = s.nextRunAt().isAfter(now) && !ended ? s.nextRunAt() : next(s, now);
            if (next == null) {
                throw new ConflictException("name", "schedule '" + Check.escaped(name) + "' has no occurrence after now up to " + Limits.MAX_INSTANT);
            }
            // Matching only a paused row: a concurrent resume leaves this one with nothing to do.
            return sql.on(h, q.resume).bind("id", s.id()).bind("next", next).bind("now", db.now()).optional(schedules)
                    .orElseGet(() -> find(h, name).orElseThrow(() -> missing(name)));
        });
    }

    void delete(String name) {
        Check.key("name", name);
        if (db.write(h -> sql.on(h, q.delete).bind("name", name).update()) == 0) {
            throw missing(name);
        }
    }

    /** A due schedule as read with the task it fires and its payload document, or why this version cannot fire it ({@code schedule} null). */
    private record Due(UUID id, @org.jspecify.annotations.Nullable Instant nextRunAt, @org.jspecify.annotations.Nullable TaskSchedule schedule,
                       @org.jspecify.annotations.Nullable NewTask task, @org.jspecify.annotations.Nullable JsonDoc payload, String why) {}

    /** A schedule that reads is still unfireable when its task is one this version refuses (a row another tool wrote). */
    private static Due firing(UUID id, Instant at, TaskSchedule s) {
        try {
            NewTask task = new NewTask(s.kind(), s.payload(), null, null, s.owner(), s.maxAttempts(), s.nextRunAt(), null);
            return new Due(id, at, s, task, Json.write("payload", task.payload()), "");
        } catch (InvalidInputException e) {
            return new Due(id, at, null, null, null, "its task would be refused: " + Check.bounded(e.getMessage()));
        }
    }

    /**
     * Due rows read per page: as many of the largest payloads as one call's batch holds (128), so that a page never holds much
     * more than the batch it fires. Pages of 1,000 read every due payload, up to 262 million characters, to fire 128.
     */
    private static final int PAGE = Limits.MAX_BATCH_LENGTH / Limits.MAX_METADATA_LENGTH;
    /**
     * The fewest rows a page past the first reads, however little of the batch is left: small payloads after large ones would
     * otherwise be read a row per statement. So a call reads at most this many due rows past the last one it takes.
     */
    private static final int MIN_PAGE = 8;

    List<Task> enqueueScheduled() {
        // The read runs outside a write transaction, so an idle poll never takes SQLite's write lock.
        Dialect d = db.dialect();
        Duration offset = offset();
        Instant read = scheduleNow(offset);
        RowMapper<Due> dueRow = (rs, ctx) -> {
            UUID id = d.uuid(rs, "id");
            Instant at;
            try {
                at = d.instant(rs, "next_run_at");
            } catch (UnreadableRowException e) {
                // Skipped as any unreadable row is; only paging from it is impossible (below).
                return new Due(id, null, null, null, null, e.why());
            }
            try {
                TaskSchedule s = schedules.map(rs, ctx);
                if (s.cron() != null) {
                    cron(s);
                }
                return firing(id, at, s);
            } catch (UnreadableRowException e) {
                return new Due(id, at, null, null, null, e.why());
            }
        };
        int limit = Limits.MAX_PAGE_SIZE;
        List<Due> runnable = new ArrayList<>();
        int pageSize = PAGE;
        List<Due> page = db.read(h -> sql.on(h, q.due).bind("now", read).bind("limit", PAGE).list(dueRow));
        Set<UUID> seen = new java.util.HashSet<>();
        Due pagedFrom = null;
        Due firstSkipped = null;
        int skippedInARow = 0;
        long length = 0;
        paging:
        while (true) {
            boolean repeated = false;
            for (Due row : page) {
                if (!seen.add(row.id())) {
                    repeated = true;
                    continue;
                }
                if (row.schedule() != null) {
                    // The tasks are inserted in one write transaction, bounded as createAll's batch is: 1,000 payloads of
                    // 262,144 characters were 262 million in one transaction holding the write lock. The schedules left out
                    // stay due and fire at the next call, in occurrence order.
                    long payload = row.payload().text().length();
                    if (!runnable.isEmpty() && length + payload > Limits.MAX_BATCH_LENGTH) {
                        break paging;
                    }
                    if (runnable.size() < limit) {
                        runnable.add(row);
                        length += payload;
                    }
                    skippedInARow = 0;
                    continue;
                }
                firstSkipped = skippedInARow == 0 ? row : firstSkipped;
                if (++skippedInARow > SkippingListing.MAX_SKIPPED_IN_A_ROW) {
                    // As a listing is bounded: past this many, every poll would read a table of unreadable rows in full.
                    // Not thrown: the schedules found before them still fire.
                    Due named = firstSkipped;
                    warned.once("task_schedules " + tenant + " " + named.id() + " too many skipped", () -> LOG.warn("Task schedules of"
                            + " tenant {} due after task schedule {} and the {} unreadable ones after it are not polled until those are"
                            + " repaired or deleted: enqueueScheduled skips at most {} unreadable task schedules in a row", tenant,
                            named.id(), SkippingListing.MAX_SKIPPED_IN_A_ROW, SkippingListing.MAX_SKIPPED_IN_A_ROW));
                    break paging;
                }
                // A row this version cannot evaluate may be a newer node's during a rolling upgrade:
                // pausing or moving it would destroy that node's schedule, and failing here would
                // stall every other schedule. It is left exactly as stored and skipped, with one warning.
                warned.once("task_schedules " + tenant + " " + row.id() + " " + row.why(),
                        () -> LOG.warn("Skipping task schedule {} of tenant {}: this version cannot evaluate it: {}", row.id(), tenant, row.why()));
            }
            if (repeated) {
                // The occurrence read from the row this page went on from does not order as stored (SQLite: a fraction of a
                // microsecond, cut off when read): the same rows would come back forever. The poll fires what it found.
                cannotPagePast(pagedFrom, "its next_run_at does not order as the " + pagedFrom.nextRunAt() + " read from it");
                break;
            }
            // Skipped rows stay due and sort first: read on past them while pages are full, so that
            // no number of them starves the tenant's other schedules.
            if (page.size() < pageSize || runnable.size() >= limit) {
                break;
            }
            Due last = page.get(page.size() - 1);
            if (last.nextRunAt() == null) {
                cannotPagePast(last, "its " + last.why());
                break;
            }
            pagedFrom = last;
            // No more rows than could still be taken, by count or each with the largest payload (at least MIN_PAGE): past
            // either bound, at most MIN_PAGE rows are read.
            long fit = Math.min(limit - runnable.size(), (Limits.MAX_BATCH_LENGTH - length + Limits.MAX_METADATA_LENGTH - 1)
                    / Limits.MAX_METADATA_LENGTH);
            pageSize = (int) Math.min(PAGE, Math.max(MIN_PAGE, fit));
            int size = pageSize;
            page = db.read(h -> sql.on(h, q.dueAfter).bind("now", read).bind("afterAt", last.nextRunAt()).bind("afterId", last.id())
                    .bind("limit", size).list(dueRow));
        }
        if (runnable.isEmpty()) {
            return List.of();
        }
        return db.write(h -> {
            Instant stamp = db.now();
            Instant now = stamp.plus(offset);
            List<NewTask> fired = new ArrayList<>();
            List<JsonDoc> payloads = new ArrayList<>();
            for (Due due : runnable) {
                TaskSchedule s = due.schedule();
                Instant next = next(s, now);
                Sql.Call move = next == null ? sql.on(h, q.end) : sql.on(h, q.advance).bind("next", next);
                int moved = move.bind("id", s.id()).bind("occurrence", s.nextRunAt()).bind("now", stamp).update();
                if (moved == 1) {
                    fired.add(due.task());
                    payloads.add(due.payload());
                }
            }
            return fired.isEmpty() ? List.<Task>of() : tasks.insert(h, fired, payloads, stamp, false);
        });
    }

    /**
     * Warns once that the schedules due after {@code row} are not polled: no page can start after it. They wait until it is
     * repaired or deleted; the ones before it still fire.
     */
    private void cannotPagePast(Due row, String why) {
        warned.once("task_schedules " + tenant + " " + row.id() + " cannot page past", () -> LOG.warn("Task schedules of tenant {} due after"
                + " task schedule {} are not polled until it is repaired or deleted: enqueueScheduled cannot page past it, {}", tenant, row.id(), why));
    }

    /**
     * The schedule's first occurrence after both its pending one and {@code now}: missed occurrences collapse.
     * Null when there is none up to {@link Limits#MAX_INSTANT}: no stored instant lies beyond what callers may pass.
     */
    static @org.jspecify.annotations.Nullable Instant next(TaskSchedule s, Instant now) {
        Instant from = s.nextRunAt().isAfter(now) ? s.nextRunAt() : now;
        Instant next;
        if (s.cron() != null) {
            next = cron(s).next(from);
        } else {
            // Durations, not a count of microseconds: from 0001-01-01 (accepted as startAt) to now is
            // more nanoseconds than a long holds, and ChronoUnit.MICROS.between counts nanoseconds.
            Duration step = s.interval();
            long steps = Duration.between(s.nextRunAt(), from).dividedBy(step);
            next = s.nextRunAt().plus(step.multipliedBy(steps + 1));
        }
        return next == null || next.isAfter(Limits.MAX_INSTANT) ? null : next;
    }

    /** The stored cron, parsed; a row this version cannot evaluate is unreadable, never an input error of the caller. */
    private static Cron cron(TaskSchedule s) {
        try {
            return Cron.parse(s.cron());
        } catch (InvalidInputException e) {
            throw new UnreadableRowException("task_schedules", s.id().toString(), Check.bounded(e.getMessage()), ShownFailures.scrubbed(e));
        }
    }

    private NotFoundException missing(String name) {
        return new NotFoundException("task schedule", name, "name");
    }
}
