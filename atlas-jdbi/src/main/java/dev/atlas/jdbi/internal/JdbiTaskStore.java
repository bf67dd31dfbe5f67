package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.LeaseLostException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.StorageException;
import dev.atlas.UnreadableRowException;
import dev.atlas.internal.Check;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@link TaskStore} on Jdbi. A claim is one write transaction: fail exhausted expired leases,
 * pick the oldest due row (on PostgreSQL locked with SKIP LOCKED so concurrent claimers pass
 * each other by; on SQLite the single writer lock already serialises claims), then take it.
 */
public final class JdbiTaskStore implements TaskStore {
    static final String TASK_COLUMNS = "tenant_id, id, kind, payload, conversation_id, message_id, owner_type, owner_id, status, attempts,"
            + " max_attempts, result, error, run_after, claim_id, lease_expires_at, created_at, updated_at, started_at, finished_at";
    private static final String T = "SELECT " + TASK_COLUMNS + " FROM <p>tasks";
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private final Db db;
    private final String tenant;
    private final RowMapper<Task> tasks;

    public JdbiTaskStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
        Dialect d = db.dialect();
        this.tasks = (rs, ctx) -> {
            String rawId = rs.getString("id");
            try {
                return new Task(
                        d.uuid(rs, "id"),
                        rs.getString("tenant_id"),
                        rs.getString("kind"),
                        json(rs.getString("payload"), rawId, "payload"),
                        d.uuid(rs, "conversation_id"),
                        d.uuid(rs, "message_id"),
                        Rows.owner(rs, "owner_type", "owner_id"),
                        TaskStatus.of(rs.getString("status")),
                        rs.getInt("attempts"),
                        rs.getInt("max_attempts"),
                        json(rs.getString("result"), rawId, "result"),
                        rs.getString("error"),
                        d.instant(rs, "run_after"),
                        d.uuid(rs, "claim_id"),
                        d.instant(rs, "lease_expires_at"),
                        d.instant(rs, "created_at"),
                        d.instant(rs, "updated_at"),
                        d.instant(rs, "started_at"),
                        d.instant(rs, "finished_at"));
            } catch (UnreadableRowException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new UnreadableRowException("tasks", rawId, String.valueOf(e.getMessage()), e);
            }
        };
    }

    // Json reads throw unchecked exceptions of their own; a row written by an older version or by
    // hand must surface as a typed error naming the row, never as a raw runtime exception.
    private static Map<String, Object> json(String text, String rawId, String column) {
        try {
            return Json.readMap(text);
        } catch (RuntimeException e) {
            throw new UnreadableRowException("tasks", rawId, column + ": " + e.getMessage(), e);
        }
    }

    // ---- enqueue and read ----------------------------------------------------------------

    @Override
    public Task create(NewTask task) {
        return createAll(List.of(Check.notNull("task", task))).get(0);
    }

    @Override
    public List<Task> createAll(List<NewTask> newTasks) {
        // Check.list reads null as "no elements", right for optional lists but not for the list
        // that is the whole request.
        List<NewTask> all = Check.list("tasks", Check.notNull("tasks", newTasks));
        if (all.size() > Limits.MAX_PAGE_SIZE) {
            throw new InvalidInputException("tasks", "has " + all.size() + " tasks; at most " + Limits.MAX_PAGE_SIZE + " per call");
        }
        List<JsonDoc> payloads = new ArrayList<>(all.size());
        List<UUID> ids = new ArrayList<>(all.size());
        for (NewTask t : all) {
            payloads.add(Json.write("payload", t.payload()));
            ids.add(Ids.next(db.clock()));
        }
        return db.write(h -> {
            Instant now = db.now();
            List<Task> out = new ArrayList<>(all.size());
            for (int i = 0; i < all.size(); i++) {
                NewTask t = all.get(i);
                Instant runAfter = t.runAfter() == null ? now : t.runAfter().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
                h.createUpdate("INSERT INTO <p>tasks (tenant_id, id, kind, payload, conversation_id, message_id, owner_type, owner_id, status,"
                                + " attempts, max_attempts, run_after, created_at, updated_at) VALUES (:t, :id, :kind, :payload, :conversation,"
                                + " :message, :ownerType, :ownerId, 'pending', 0, :maxAttempts, :runAfter, :now, :now)")
                        .bind("t", tenant).bind("id", ids.get(i)).bind("kind", t.kind()).bind("payload", payloads.get(i))
                        .bind("conversation", t.conversationId()).bind("message", t.messageId())
                        .bind("ownerType", t.owner() == null ? null : t.owner().type())
                        .bind("ownerId", t.owner() == null ? null : t.owner().id())
                        .bind("maxAttempts", t.maxAttempts()).bind("runAfter", runAfter).bind("now", now)
                        .execute();
                out.add(new Task(ids.get(i), tenant, t.kind(), Json.readMap(payloads.get(i).text()), t.conversationId(), t.messageId(),
                        t.owner(), TaskStatus.PENDING, 0, t.maxAttempts(), Map.of(), null, runAfter, null, null, now, now, null, null));
            }
            return List.copyOf(out);
        });
    }

    @Override
    public Optional<Task> get(UUID taskId) {
        Check.notNull("taskId", taskId);
        return db.read(h -> find(h, taskId));
    }

    private Optional<Task> find(Handle h, UUID id) {
        return h.createQuery(T + " WHERE tenant_id = :t AND id = :id").bind("t", tenant).bind("id", id).map(tasks).findOne();
    }

    @Override
    public Page<Task> forConversation(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
        JdbiConversationStore.Cursor after = cursor == null ? null : JdbiConversationStore.Cursor.parse(cursor);
        List<Task> rows = db.read(h -> {
            Query q = h.createQuery(T + " WHERE tenant_id = :t AND conversation_id = :c"
                            + (after == null ? "" : " AND (created_at > :afterAt OR (created_at = :afterAt AND id > :afterId))")
                            + " ORDER BY created_at, id LIMIT :limit")
                    .bind("t", tenant).bind("c", conversationId).bind("limit", limit + 1);
            if (after != null) {
                q.bind("afterAt", after.at()).bind("afterId", after.id());
            }
            return q.map(tasks).list();
        });
        if (rows.size() <= limit) {
            return new Page<>(rows, Optional.empty());
        }
        List<Task> page = rows.subList(0, limit);
        Task last = page.get(page.size() - 1);
        return new Page<>(page, Optional.of(new JdbiConversationStore.Cursor(last.createdAt(), last.id()).encode()));
    }

    // ---- claims --------------------------------------------------------------------------

    @Override
    public Optional<ClaimedTask> claim(Duration lease) {
        return claim(lease, null, true);
    }

    @Override
    public Optional<ClaimedTask> claim(Duration lease, Set<String> kinds) {
        return claim(lease, kinds, false);
    }

    private Optional<ClaimedTask> claim(Duration lease, Set<String> kinds, boolean anyKind) {
        checkLease(lease);
        List<String> kindList = null;
        if (!anyKind) {
            Check.notNull("kinds", kinds);
            if (kinds.isEmpty()) {
                throw new InvalidInputException("kinds", "must name at least one kind");
            }
            kindList = new ArrayList<>(Check.list("kinds", new ArrayList<>(kinds)));
            for (String k : kindList) {
                Check.key("kinds", k);
            }
        }
        List<String> kindFilter = kindList;
        UUID claimId = Ids.next(db.clock());
        String lock = db.dialect().lockSkipLocked();
        String dbNow = db.dialect().databaseNow();
        return db.write(h -> {
            Instant now = db.now();
            // A running task whose worker vanished with no attempts left fails here, at the first
            // claim after its lease ran out; SKIP LOCKED keeps concurrent sweeps from waiting on each other.
            // Leases are compared with the database's clock, never this JVM's: a worker whose clock
            // runs ahead must not see another worker's live lease as expired.
            h.createUpdate("UPDATE <p>tasks SET status = 'failed', error = 'lease expired after ' || CAST(attempts AS TEXT) || ' attempts',"
                            + " claim_id = NULL, lease_expires_at = NULL, finished_at = :now, updated_at = :now"
                            + " WHERE tenant_id = :t AND id IN (SELECT id FROM <p>tasks WHERE tenant_id = :t AND status = 'running'"
                            + " AND lease_expires_at <= " + dbNow + " AND attempts >= max_attempts" + lock + ")")
                    .bind("t", tenant).bind("now", now).execute();
            while (true) {
                Query pick = h.createQuery("SELECT id FROM <p>tasks WHERE tenant_id = :t AND ((status = 'pending' AND run_after <= :now)"
                                + " OR (status = 'running' AND lease_expires_at <= " + dbNow + " AND attempts < max_attempts))"
                                + (kindFilter == null ? "" : " AND kind IN (<kinds>)") + " ORDER BY run_after, id LIMIT 1" + lock)
                        .bind("t", tenant).bind("now", now);
                if (kindFilter != null) {
                    pick.bindList("kinds", kindFilter);
                }
                Optional<UUID> id = pick.map((rs, ctx) -> db.dialect().uuid(rs, "id")).findOne();
                if (id.isEmpty()) {
                    return Optional.<ClaimedTask>empty();
                }
                try {
                    Task task = h.createQuery("UPDATE <p>tasks SET status = 'running', attempts = attempts + 1, claim_id = :claim,"
                                    + " lease_expires_at = " + db.dialect().databaseNowPlusMicros("lease") + ","
                                    + " started_at = COALESCE(started_at, :now), updated_at = :now"
                                    + " WHERE tenant_id = :t AND id = :id RETURNING " + TASK_COLUMNS)
                            .bind("t", tenant).bind("id", id.get()).bind("claim", claimId).bind("lease", micros(lease)).bind("now", now)
                            .map(tasks).one();
                    return Optional.of(new ClaimedTask(task, claimId, task.leaseExpiresAt(), lease));
                } catch (UnreadableRowException e) {
                    // No worker can run a task it cannot read, and retrying will not make it readable:
                    // fail it for good with the reason and take the next one, so one bad row never stalls the queue.
                    h.createUpdate("UPDATE <p>tasks SET status = 'failed', error = :error, claim_id = NULL, lease_expires_at = NULL,"
                                    + " finished_at = :now, updated_at = :now WHERE tenant_id = :t AND id = :id")
                            .bind("t", tenant).bind("id", id.get()).bind("error", reason("unreadable task row: " + e.why()))
                            .bind("now", now).execute();
                }
            }
        });
    }

    private static long micros(Duration d) {
        return d.toNanos() / 1_000;
    }

    /** At most {@link Limits#MAX_REASON_LENGTH} characters, never cutting a surrogate pair. */
    private static String reason(String s) {
        if (s.length() <= Limits.MAX_REASON_LENGTH) {
            return s;
        }
        int end = Limits.MAX_REASON_LENGTH;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    private static void checkLease(Duration lease) {
        Check.notNull("lease", lease);
        if (lease.compareTo(MAX_LEASE) > 0 || lease.compareTo(Duration.ofNanos(1_000)) < 0) {
            throw new InvalidInputException("lease", "must be between 1 microsecond and " + MAX_LEASE + ", was " + lease);
        }
    }

    @Override
    public ClaimedTask heartbeat(ClaimedTask claim) {
        checkClaim(claim);
        checkLease(claim.leaseDuration());
        return db.write(h -> {
            Instant now = db.now();
            Optional<Task> task = h.createQuery("UPDATE <p>tasks SET lease_expires_at = " + db.dialect().databaseNowPlusMicros("lease")
                            + ", updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND claim_id = :claim AND status = 'running' RETURNING " + TASK_COLUMNS)
                    .bind("t", tenant).bind("id", claim.taskId()).bind("claim", claim.claimId()).bind("lease", micros(claim.leaseDuration()))
                    .bind("now", now).map(tasks).findOne();
            Task held = task.orElseThrow(() -> leaseLost(h, claim));
            return new ClaimedTask(held, claim.claimId(), held.leaseExpiresAt(), claim.leaseDuration());
        });
    }

    @Override
    public Task complete(ClaimedTask claim, Map<String, ?> result) {
        checkClaim(claim);
        JsonDoc doc = Json.write("result", Check.metadata("result", result));
        return db.write(h -> {
            Instant now = db.now();
            return h.createQuery("UPDATE <p>tasks SET status = 'completed', result = :result, claim_id = NULL, lease_expires_at = NULL,"
                            + " finished_at = :now, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND claim_id = :claim AND status = 'running' RETURNING " + TASK_COLUMNS)
                    .bind("t", tenant).bind("id", claim.taskId()).bind("claim", claim.claimId()).bind("result", doc).bind("now", now)
                    .map(tasks).findOne()
                    .orElseThrow(() -> leaseLost(h, claim));
        });
    }

    @Override
    public Task fail(ClaimedTask claim, String error) {
        return fail(claim, error, null);
    }

    @Override
    public Task fail(ClaimedTask claim, String error, Instant retryAt) {
        checkClaim(claim);
        Check.required("error", error, Limits.MAX_REASON_LENGTH);
        Check.instant("retryAt", retryAt);
        return db.write(h -> {
            Instant now = db.now();
            Instant retry = retryAt != null ? retryAt.truncatedTo(java.time.temporal.ChronoUnit.MICROS) : now.plus(backoff(claim.task().attempts()));
            // attempts only changes when a task is claimed, so the row's own counter decides retry or final failure.
            return h.createQuery("UPDATE <p>tasks SET status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END,"
                            + " run_after = CASE WHEN attempts < max_attempts THEN :retry ELSE run_after END,"
                            + " finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE :now END,"
                            + " error = :error, claim_id = NULL, lease_expires_at = NULL, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND claim_id = :claim AND status = 'running' RETURNING " + TASK_COLUMNS)
                    .bind("t", tenant).bind("id", claim.taskId()).bind("claim", claim.claimId()).bind("retry", retry)
                    .bind("error", error).bind("now", now)
                    .map(tasks).findOne()
                    .orElseThrow(() -> leaseLost(h, claim));
        });
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
        Check.notNull("claim.claimId", claim.claimId());
    }

    private RuntimeException leaseLost(Handle h, ClaimedTask claim) {
        Optional<Task> current = find(h, claim.taskId());
        if (current.isEmpty()) {
            return new NotFoundException("task", claim.taskId());
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
        return db.write(h -> {
            Instant now = db.now();
            Optional<Task> cancelled = h.createQuery("UPDATE <p>tasks SET status = 'cancelled', claim_id = NULL, lease_expires_at = NULL,"
                            + " finished_at = :now, updated_at = :now WHERE tenant_id = :t AND id = :id AND status IN ('pending', 'running')"
                            + " RETURNING " + TASK_COLUMNS)
                    .bind("t", tenant).bind("id", taskId).bind("now", now).map(tasks).findOne();
            if (cancelled.isPresent()) {
                return cancelled.get();
            }
            Task current = find(h, taskId).orElseThrow(() -> new NotFoundException("task", taskId));
            current.status().checkMoveTo(TaskStatus.CANCELLED);
            // Only a row changed between the update and the read can get here; the read sees it
            // committed, so the same call again decides afresh.
            throw new StorageException("task " + taskId + " changed while being cancelled", null, true, null);
        });
    }
}
