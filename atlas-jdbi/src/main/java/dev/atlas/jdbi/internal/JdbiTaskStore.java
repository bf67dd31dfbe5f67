package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.LeaseLostException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.task.TaskQuery;
import dev.atlas.task.TaskSchedule;
import dev.atlas.UnreadableRowException;
import dev.atlas.internal.Check;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewSchedule;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Transition;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@link TaskStore} on the statement layer ({@link TaskSql}). A claim is one write transaction: fail exhausted expired leases,
 * pick the oldest due row (on PostgreSQL locked with SKIP LOCKED so concurrent claimers pass
 * each other by; on SQLite the single writer lock already serialises claims), then take it.
 */
public final class JdbiTaskStore implements TaskStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbiTaskStore.class);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final Db db;
    private final String tenant;
    private final Sql sql;
    private final TaskSql q;
    private final RowMapper<Task> tasks;
    private final TaskSchedules schedules;

    public JdbiTaskStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(TaskSql.class, TaskSql::new);
        this.schedules = new TaskSchedules(db, sql, this, tenant);
        Dialect d = db.dialect();
        this.tasks = Rows.guard("tasks", "id", (rs, ctx) -> new Task(d.uuid(rs, "id"), rs.getString("tenant_id"), rs.getString("kind"),
                json(rs, "payload"), d.uuid(rs, "conversation_id"), d.uuid(rs, "message_id"), Rows.owner(rs, "owner_type", "owner_id"),
                TaskStatus.of(rs.getString("status")), rs.getInt("attempts"), rs.getInt("max_attempts"), json(rs, "result"),
                rs.getString("error"), d.instant(rs, "run_after"), d.uuid(rs, "claim_id"), d.instant(rs, "lease_expires_at"),
                d.instant(rs, "created_at"), d.instant(rs, "updated_at"), d.instant(rs, "started_at"), d.instant(rs, "finished_at"),
                rs.getString("client_key")));
    }

    // A row written by an older version or by hand must surface as a typed error naming the row and the column
    // (Rows.guard adds the row), never as a raw runtime exception of the JSON reader.
    private static Map<String, Object> json(ResultSet rs, String column) throws SQLException {
        try {
            return Json.readMap(rs.getString(column));
        } catch (RuntimeException e) {
            throw new UnreadableRowException(null, null, column + ": " + dev.atlas.internal.Check.bounded(e.getMessage()), ShownFailures.scrubbed(e));
        }
    }

    // ---- enqueue and read ----------------------------------------------------------------

    @Override
    public Task create(NewTask task) {
        return create(List.of(Check.notNull("task", task)), true).get(0);
    }

    @Override
    public List<Task> createAll(List<NewTask> newTasks) {
        return create(newTasks, false);
    }

    /** {@code single}: a {@link #create} call, whose conflicts name {@code clientKey} rather than {@code tasks[i].clientKey}. */
    private List<Task> create(List<NewTask> newTasks, boolean single) {
        // Check.list reads null as "no elements", right for optional lists but not for the list
        // that is the whole request.
        List<NewTask> all = Check.list("tasks", Check.notNull("tasks", newTasks));
        if (all.size() > Limits.MAX_PAGE_SIZE) {
            throw new InvalidInputException("tasks", "has " + all.size() + " tasks; at most " + Limits.MAX_PAGE_SIZE + " per call");
        }
        List<JsonDoc> payloads = new ArrayList<>(all.size());
        Map<String, Integer> keyed = new java.util.HashMap<>();
        long length = 0;
        for (int i = 0; i < all.size(); i++) {
            NewTask t = Check.notNull("tasks[" + i + "]", all.get(i));
            // By its place in a batch, as a held key's conflict is: "payload" alone would not say which of up to 1,000.
            JsonDoc payload = Json.write(single ? "payload" : "tasks[" + i + "].payload", t.payload());
            payloads.add(payload);
            length += payload.text().length();
            if (length > Limits.MAX_BATCH_LENGTH) {
                throw new InvalidInputException("tasks", "tasks[0.." + i + "] hold more than "
                        + String.format(java.util.Locale.ROOT, "%,d", Limits.MAX_BATCH_LENGTH)
                        + " characters of payload together (Limits.MAX_BATCH_LENGTH); split the list into smaller calls");
            }
            Integer earlier = t.clientKey() == null ? null : keyed.putIfAbsent(t.clientKey(), i);
            if (earlier != null) {
                throw new InvalidInputException("tasks", "client key '" + Check.escaped(t.clientKey()) + "' is used by tasks " + earlier + " and " + i
                        + " of this call; one key names one task");
            }
        }
        return db.write(h -> insert(h, all, payloads, db.now(), single));
    }

    /** Inserts {@code all} as pending tasks in one batch, in the caller's transaction. */
    List<Task> insert(Handle h, List<NewTask> all, List<JsonDoc> payloads, Instant now, boolean single) {
        Map<String, Task> held = heldClientKeys(h, all);
        // Every check before the first row joins the batch: a refusal must leave no row behind.
        Task[] replayed = new Task[all.size()];
        for (int i = 0; i < all.size(); i++) {
            NewTask t = all.get(i);
            Task stored = t.clientKey() == null ? null : held.get(t.clientKey());
            if (stored != null) {
                replayed[i] = sameTask(stored, t, payloads.get(i), single ? "clientKey" : "tasks[" + i + "].clientKey");
            } else {
                requireMessageOf(h, t.conversationId(), t.messageId(), single ? "messageId" : "tasks[" + i + "].messageId");
            }
        }
        List<Task> out = new ArrayList<>(all.size());
        Sql.Call batch = sql.on(h, q.insert);
        int added = 0;
        for (int i = 0; i < all.size(); i++) {
            NewTask t = all.get(i);
            if (replayed[i] != null) {
                out.add(replayed[i]);
                continue;
            }
            added++;
            UUID id = Ids.next(db.clock());
            Instant runAfter = t.runAfter() == null ? now : t.runAfter().truncatedTo(ChronoUnit.MICROS);
            batch.bind("id", id).bind("kind", t.kind()).bind("payload", payloads.get(i))
                    .bind("conversation", t.conversationId()).bind("message", t.messageId())
                    .bind("ownerType", t.owner() == null ? null : t.owner().type()).bind("ownerId", t.owner() == null ? null : t.owner().id())
                    .bind("maxAttempts", t.maxAttempts()).bind("runAfter", runAfter).bind("now", now).bind("clientKey", t.clientKey()).add();
            out.add(new Task(id, tenant, t.kind(), Json.readMap(payloads.get(i)), t.conversationId(), t.messageId(),
                    t.owner(), TaskStatus.PENDING, 0, t.maxAttempts(), Map.of(), null, runAfter, null, null, now, now, null, null,
                    t.clientKey()));
        }
        if (added > 0) {
            batch.batch();
        }
        return List.copyOf(out);
    }

    /**
     * The tasks already created with the client keys of {@code all}, by key. Runs in the
     * transaction that inserts the new ones, after taking every key's advisory lock on PostgreSQL in one
     * statement (in lock id order, so two calls sharing keys cannot deadlock; SQLite's single writer already
     * serialises), so of concurrent creates with one key the first inserts and every later one,
     * on any instance, sees its row.
     */
    private Map<String, Task> heldClientKeys(Handle h, List<NewTask> all) {
        List<String> keys = all.stream().map(NewTask::clientKey).filter(java.util.Objects::nonNull).sorted().toList();
        if (keys.isEmpty()) {
            return Map.of();
        }
        if (q.keyLock != null) {
            // One statement for every key, not one per key: 1,000 keys were 1,000 round trips.
            sql.on(h, q.keyLock).bind("locks", PgSessions.lockArray(keys.stream().mapToLong(k -> PgSessions.clientKeyLock("tasks", tenant, k)))).one(Sql.LONG);
        }
        Where where = new Where().in("client_key", "key", keys);
        Map<String, Task> held = new java.util.HashMap<>();
        for (Task t : where.bindTo(sql.on(h, q.byClientKeys(where.toString()))).list(tasks)) {
            held.put(t.clientKey(), t);
        }
        return held;
    }

    /** {@code stored} when {@code t} asks for the same task (runAfter aside: retries move it), else a conflict on {@code field}. */
    private static Task sameTask(Task stored, NewTask t, JsonDoc payload, String field) {
        if (!stored.kind().equals(t.kind()) || !stored.payload().equals(Json.readMap(payload))
                || !java.util.Objects.equals(stored.conversationId(), t.conversationId())
                || !java.util.Objects.equals(stored.messageId(), t.messageId()) || !java.util.Objects.equals(stored.owner(), t.owner())
                || stored.maxAttempts() != t.maxAttempts()) {
            throw new dev.atlas.ConflictException(field, "'" + Check.escaped(t.clientKey()) + "' already names task " + stored.id()
                    + " with another kind, payload, conversation, message, owner or maxAttempts; use a new key for new work");
        }
        return stored;
    }

    /**
     * A task's message is a live message of this tenant, and of the task's conversation; {@code field} names it as the caller
     * wrote it ({@code tasks[i].messageId} in a batch: "messageId" alone would not say which of up to 1,000).
     */
    private void requireMessageOf(Handle h, UUID conversationId, UUID messageId, String field) {
        if (messageId == null) {
            return;
        }
        UUID in = sql.on(h, q.messageConversation).bind("id", messageId).optional((rs, ctx) -> db.dialect().uuid(rs, "conversation_id"))
                .orElseThrow(() -> new NotFoundException("message", messageId, field));
        if (!in.equals(conversationId)) {
            throw new InvalidInputException(field, "message " + messageId + " belongs to another conversation than conversationId "
                    + conversationId);
        }
    }

    @Override
    public Optional<Task> get(UUID taskId) {
        Check.notNull("taskId", taskId);
        return db.read(h -> find(h, taskId));
    }

    private Optional<Task> find(Handle h, UUID id) {
        return sql.on(h, q.byId).bind("id", id).optional(tasks);
    }

    @Override
    public Page<Task> forConversation(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        return list(TaskQuery.all().conversation(conversationId).limit(limit).after(cursor));
    }

    /**
     * Test hook: lowers the number of unreadable task and schedule rows {@code atlas} names in a WARN each (10,000), so a
     * test can pass it with a few rows instead of ten thousand. Internal; not for applications.
     */
    public static void unreadableWarningBound(dev.atlas.Atlas atlas, int rows) {
        TaskSchedules.warnedCapacity(((JdbiAtlas) atlas).db(), rows);
    }

    /**
     * Test hook: the clock {@code atlas} takes for its host's when it measures how far the database's clock runs from it (for
     * schedules), so a test can stand for a host whose clock is off. Internal; not for applications.
     */
    public static void hostClock(dev.atlas.Atlas atlas, java.time.Clock host) {
        TaskSchedules.hostClock(((JdbiAtlas) atlas).db(), host);
    }

    /** A task's place in a listing: created_at then id; shown by its created_at, the value a stored one may not order as. */
    private record Key(Instant createdAt, UUID id) {
        @Override
        public String toString() {
            return createdAt.toString();
        }
    }

    /**
     * A row this version cannot read is skipped with one WARN naming it rather than failing the page for every other
     * task: {@link #claim} fails such a task, so a listing of failed tasks (the dead letters an operator reads) would
     * otherwise be unreadable as a whole. Reading goes on past such rows ({@link SkippingListing}), so a page is full
     * whenever more tasks follow.
     */
    @Override
    public Page<Task> list(TaskQuery query) {
        Check.notNull("query", query);
        Cursor.Listing listing = sql.listing("tasks", query.statuses(), query.kind(), query.conversationId(),
                query.owner() == null ? null : query.owner().type(), query.owner() == null ? null : query.owner().id());
        Cursor start = query.cursor() == null ? null : Cursor.decode(query.cursor(), listing, 2);
        Dialect d = db.dialect();
        RowMapper<SkippingListing.Row<Task, Key>> listed = SkippingListing.rows(tasks, t -> t.id().toString(),
                t -> new Key(t.createdAt(), t.id()), rs -> new Key(d.instant(rs, "created_at"), d.uuid(rs, "id")));
        SkippingListing<Task, Key> skipping = new SkippingListing<>("tasks", "created_at", "task", tenant, TaskSchedules.warned(db), LOG);
        List<Task> rows = db.read(h -> skipping.read(start == null ? null : new Key(start.instant(0), start.uuid(1)), query.limit(), (after, limit) -> {
            Where where = new Where()
                    .in("status", "status", query.statuses().isEmpty() ? null : query.statuses().stream().map(TaskStatus::toString).toList())
                    .and("kind = :kind", "kind", query.kind())
                    .and("conversation_id = :conversation", "conversation", query.conversationId())
                    .and("owner_type = :ownerType", "ownerType", query.owner() == null ? null : query.owner().type())
                    .and("owner_id = :ownerId", "ownerId", query.owner() == null ? null : query.owner().id())
                    .and(TaskSql.LIST_AFTER, "afterAt", after == null ? null : after.createdAt());
            Sql.Call call = where.bindTo(sql.on(h, q.list(where.toString()))).bind("limit", limit);
            return (after == null ? call : call.bind("afterId", after.id())).list(listed);
        }));
        return Cursor.page(rows, query.limit(), t -> Cursor.encode(listing, t.createdAt(), t.id()));
    }

    // ---- claims --------------------------------------------------------------------------

    @Override
    public Optional<ClaimedTask> claim(Duration lease) {
        checkLease(lease);
        return claim(lease, (Where) null);
    }

    @Override
    public Optional<ClaimedTask> claim(Duration lease, Set<String> kinds) {
        checkLease(lease);
        Check.notNull("kinds", kinds);
        if (kinds.isEmpty()) {
            throw new InvalidInputException("kinds", "must name at least one kind");
        }
        // Each kind is a bind parameter: past PostgreSQL's 65,535 the statement would fail as a storage error.
        if (kinds.size() > Limits.MAX_PAGE_SIZE) {
            throw new InvalidInputException("kinds", "names " + kinds.size() + " kinds; at most " + Limits.MAX_PAGE_SIZE);
        }
        List<String> kindList = Check.list("kinds", new ArrayList<>(kinds));
        kindList.forEach(k -> Check.key("kinds", k));
        return claim(lease, new Where().in("kind", "kind", kindList));
    }

    /** Claims a task of the kinds {@code kindsWhere} renders, or of any kind when it is null. */
    private Optional<ClaimedTask> claim(Duration lease, Where kindsWhere) {
        UUID claimId = Ids.next(db.clock());
        return db.write(h -> {
            Instant now = db.now();
            // Leases are compared with the database's clock, never this JVM's: a worker whose clock
            // runs ahead must not see another worker's live lease as expired.
            sql.on(h, q.sweep).bind("now", now).update();
            while (true) {
                Sql.Call pick = kindsWhere == null ? sql.on(h, q.pickAny) : kindsWhere.bindTo(sql.on(h, q.pickKinds(kindsWhere.toString())));
                Optional<UUID> id = pick.bind("now", now).optional(sql.uuidColumn());
                if (id.isEmpty()) {
                    return Optional.<ClaimedTask>empty();
                }
                try {
                    Task task = sql.on(h, q.take).bind("id", id.get()).bind("claim", claimId).bind("lease", micros(lease)).bind("now", now)
                            .one(tasks);
                    return Optional.of(new ClaimedTask(task, claimId, task.leaseExpiresAt(), lease));
                } catch (UnreadableRowException e) {
                    // No worker can run a task it cannot read, and retrying will not make it readable:
                    // fail it for good with the reason and take the next one, so one bad row never stalls the queue.
                    String reason = Check.storable("unreadable task row: " + e.why(), Limits.MAX_REASON_LENGTH);
                    sql.on(h, q.failUnreadable).bind("id", id.get()).bind("error", reason).bind("now", now).update();
                }
            }
        });
    }

    private static long micros(Duration d) {
        return d.toNanos() / 1_000;
    }

    private static void checkLease(Duration lease) {
        Check.notNull("lease", lease);
        if (lease.compareTo(MAX_LEASE) > 0 || lease.compareTo(MIN_LEASE) < 0) {
            throw new InvalidInputException("lease", "must be between " + MIN_LEASE + " and " + MAX_LEASE + ", was " + lease);
        }
    }

    @Override
    public ClaimedTask heartbeat(ClaimedTask claim) {
        checkClaim(claim);
        checkLease(claim.leaseDuration());
        Task held = held(q.heartbeat, claim, (c, now) -> c.bind("lease", micros(claim.leaseDuration())));
        return new ClaimedTask(held, claim.claimId(), held.leaseExpiresAt(), claim.leaseDuration());
    }

    /** A write of the lease holder: it matches only while {@code claim} is the task's current one, else the lease is lost. */
    private Task held(Statement statement, ClaimedTask claim, BiFunction<Sql.Call, Instant, Sql.Call> assignments) {
        return db.write(h -> {
            Instant now = db.now();
            Sql.Call call = sql.on(h, statement).bind("id", claim.taskId()).bind("claim", claim.claimId()).bind("now", now);
            return assignments.apply(call, now).optional(tasks).orElseThrow(() -> leaseLost(h, claim));
        });
    }

    @Override
    public Task release(ClaimedTask claim) {
        checkClaim(claim);
        return held(q.release, claim, (c, now) -> c);
    }

    @Override
    public Task complete(ClaimedTask claim, Map<String, ?> result) {
        checkClaim(claim);
        JsonDoc doc = result(result);
        return held(q.complete, claim, (c, now) -> c.bind("result", doc));
    }

    /** No result stays SQL NULL, as on a task never completed, rather than becoming an empty document. */
    private static @org.jspecify.annotations.Nullable JsonDoc result(@org.jspecify.annotations.Nullable Map<String, ?> result) {
        return result == null ? null : Json.write("result", Check.metadata("result", result));
    }

    @Override
    public Task fail(ClaimedTask claim, @org.jspecify.annotations.Nullable String error) {
        return fail(claim, error, null);
    }

    @Override
    public Task fail(ClaimedTask claim, @org.jspecify.annotations.Nullable String error, @org.jspecify.annotations.Nullable Instant retryAt) {
        checkClaim(claim);
        String stored = storedError(error);
        Check.instant("retryAt", retryAt);
        return held(q.fail, claim, (c, now) -> c.bind("error", stored)
                .bind("retry", retryAt != null ? retryAt.truncatedTo(ChronoUnit.MICROS) : now.plus(backoff(claim.task().attempts()))));
    }

    /**
     * A failure's error as it is stored, by the rule of every {@code fail(error)} of the API (the execution, step and tool
     * call handles' too): recorded whatever its text, blank included, NUL and unpaired surrogates as U+FFFD, cut at
     * {@link Limits#MAX_REASON_LENGTH} characters, and {@code null} (an exception's message is often null) as no text.
     * Refusing any of it would leave a worker's task running until its lease expired (its real error lost), or an
     * operator's task unfailed.
     */
    private static @org.jspecify.annotations.Nullable String storedError(@org.jspecify.annotations.Nullable String error) {
        return Check.storable(error, Limits.MAX_REASON_LENGTH);
    }

    /** 1 s after the first failed attempt, doubling, at most {@link #MAX_BACKOFF}. */
    static Duration backoff(int attempts) {
        int exponent = Math.max(0, Math.min(attempts - 1, 20));
        Duration d = Duration.ofSeconds(1L << exponent);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    // ClaimedTask is a public record, so a caller can hand back one it built itself.
    private static void checkClaim(ClaimedTask claim) {
        Check.notNull("claim", claim);
        Check.notNull("claim.task", claim.task());
        Check.notNull("claim.taskId", claim.taskId());
        Check.notNull("claim.claimId", claim.claimId());
    }

    private RuntimeException leaseLost(Handle h, ClaimedTask claim) {
        Optional<Task> current = find(h, claim.taskId());
        if (current.isEmpty()) {
            return new NotFoundException("task", claim.taskId(), "claim.taskId");
        }
        Task t = current.get();
        String why = t.status().isFinal() ? "the task is " + t.status()
                : t.status() == TaskStatus.RUNNING ? "another worker claimed it after this lease expired"
                : "the task went back to " + t.status();
        return new LeaseLostException(t.id(), claim.claimId(), why);
    }

    @Override
    public Task cancel(UUID taskId) {
        Check.notNull("taskId", taskId);
        return finishUnheld(taskId, TaskStatus.CANCELLED, h -> sql.on(h, q.cancel));
    }

    @Override
    public Task completeAsOperator(UUID taskId, Map<String, ?> result) {
        Check.notNull("taskId", taskId);
        JsonDoc doc = result(result);
        return finishUnheld(taskId, TaskStatus.COMPLETED, h -> sql.on(h, q.completeUnheld).bind("result", doc));
    }

    @Override
    public Task failAsOperator(UUID taskId, @org.jspecify.annotations.Nullable String error) {
        Check.notNull("taskId", taskId);
        String stored = storedError(error);
        return finishUnheld(taskId, TaskStatus.FAILED, h -> sql.on(h, q.failUnheld).bind("error", stored));
    }

    @Override
    public Task requeue(UUID taskId, Instant runAfter) {
        Check.notNull("taskId", taskId);
        Check.instant("runAfter", runAfter);
        return db.write(h -> {
            Instant now = db.now();
            Instant due = runAfter == null ? now : runAfter.truncatedTo(ChronoUnit.MICROS);
            // A worker that died on the last attempt left the task running with its lease expired:
            // it is failed (the next claim would mark it so), so fail it here first and requeue it.
            sql.on(h, q.sweepOne).bind("id", taskId).bind("now", now).update();
            return Transition.apply(sql.on(h, q.requeue).bind("id", taskId).bind("runAfter", due).bind("now", now).optional(tasks),
                    () -> find(h, taskId), () -> new NotFoundException("task", taskId, "taskId"), t -> {
                        if (t.status() != TaskStatus.FAILED) {
                            throw new IllegalTransitionException("status", t.status(), TaskStatus.PENDING,
                                    t.status().next() + "; requeue takes only a failed task");
                        }
                    });
        });
    }

    /** Moves a pending or running task to a final status without a lease: cancel and the operator's complete and fail. */
    private Task finishUnheld(UUID taskId, TaskStatus target, Function<Handle, Sql.Call> update) {
        return db.write(h -> Transition.apply(update.apply(h).bind("id", taskId).bind("now", db.now()).optional(tasks),
                () -> find(h, taskId), () -> new NotFoundException("task", taskId, "taskId"), t -> t.status().checkMoveTo(target)));
    }

    // ---- recurring tasks -----------------------------------------------------------------

    @Override
    public TaskSchedule schedule(NewSchedule schedule) {
        return schedules.schedule(schedule);
    }

    @Override
    public Optional<TaskSchedule> getSchedule(String name) {
        return schedules.get(name);
    }

    @Override
    public Page<TaskSchedule> schedules(int limit, String cursor) {
        return schedules.list(limit, cursor);
    }

    @Override
    public TaskSchedule pauseSchedule(String name) {
        return schedules.pause(name);
    }

    @Override
    public TaskSchedule resumeSchedule(String name) {
        return schedules.resume(name);
    }

    @Override
    public void deleteSchedule(String name) {
        schedules.delete(name);
    }

    @Override
    public List<Task> enqueueScheduled() {
        return schedules.enqueueScheduled();
    }
}
