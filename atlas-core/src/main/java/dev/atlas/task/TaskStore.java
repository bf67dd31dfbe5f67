package dev.atlas.task;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import dev.atlas.Atlas;
import dev.atlas.IllegalTransitionException;
import dev.atlas.LeaseLostException;
import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.UnreadableRowException;
import org.jspecify.annotations.Nullable;

import dev.atlas.NotFoundException;

/**
 * Durable background work of one tenant, claimed by workers under a lease. Obtain it from
 * {@link Tenant#tasks()}; {@link TaskWorker} is a ready-made polling worker.
 *
 * <p>A task is <em>due</em> when it is pending with {@code runAfter <= now}, or running with an
 * expired lease and attempts left (its worker died: it is simply claimed again, so recovery after
 * a restart needs no extra step). {@link #claim} takes one due task, counts an attempt and gives
 * it a new claim id; two workers never hold the same task (PostgreSQL: {@code FOR UPDATE SKIP
 * LOCKED}; SQLite: the single write lock). A running task whose lease expired with no attempts
 * left is marked failed ("lease expired after N attempts") by the next {@link #claim} call in
 * the tenant, whatever kinds that call asks for, or by a {@link #requeue} of it.
 *
 * <p><b>Clocks.</b> Leases are set and checked with the database's clock (PostgreSQL's
 * {@code now()}; on SQLite the host clock as SQLite reads it), never with the caller's
 * {@link java.time.Clock}, so workers whose clocks disagree by any amount still never hold one
 * task at once; {@link ClaimedTask#leaseExpiresAt()} is on that clock. {@code runAfter}, retry
 * backoff and the {@code createdAt}/{@code updatedAt}/{@code startedAt}/{@code finishedAt}
 * stamps use the Atlas instance's clock: skew only shifts when a pending task becomes due.
 * Schedules are due by the database's clock (see {@link #enqueueScheduled()}).
 *
 * <p><b>Unreadable rows.</b> A task whose stored payload or result this version cannot read
 * (written by an older version or by hand) is failed by {@link #claim} with the error
 * "unreadable task row: …" and the claim goes on to the next due task. Listings ({@link #list},
 * {@link #forConversation}, {@link #schedules}) skip such a row with one WARN naming it (once per row
 * and Atlas instance, for at most 10,000 rows), so one row never fails a page of the others; every
 * call on it by id throws {@link UnreadableRowException} naming the row.
 *
 * <pre>{@code
 * TaskStore tasks = atlas.tenant("acme").tasks();
 * tasks.create(NewTask.of("summarize", Map.of("conversation", id.toString())));
 * tasks.claim(Duration.ofSeconds(30)).ifPresent(claim -> {
 *     var result = summarize(claim.task().payload());
 *     tasks.complete(claim, Map.of("summary", result));
 * });
 * }</pre>
 */
public interface TaskStore {
    /**
     * Shortest lease one claim or heartbeat may ask for: a lease that runs out before the worker
     * has even read its claim would let a second worker take the task at once.
     */
    Duration MIN_LEASE = Duration.ofSeconds(1);

    /** Longest lease one claim or heartbeat may ask for. */
    Duration MAX_LEASE = Duration.ofDays(1);

    /**
     * Stores a pending task; with a {@link NewTask#clientKey(String) client key} already used in
     * this tenant, returns that task instead (see there).
     *
     * @param task the task to create
     * @return the task
     */
    Task create(NewTask task);

    /**
     * Stores several pending tasks in one transaction; all or none. At most {@link Limits#MAX_PAGE_SIZE}, holding at most
     * {@link Limits#MAX_BATCH_LENGTH} characters of payload (as stored JSON) together: more is refused on {@code tasks}
     * before anything is written.
     * A task whose client key is held comes back as stored, in its place; a conflict names
     * {@code tasks[i].clientKey}, and one key twice in the call is refused on {@code tasks}. A payload
     * that cannot be stored is refused on {@code tasks[i].payload}, and a message that {@link #create} refuses on
     * {@code messageId} on {@code tasks[i].messageId}.
     *
     * @param tasks the tasks to create
     * @return the matching items, in order
     */
    List<Task> createAll(List<NewTask> tasks);

    /**
     * @deprecated use {@link #create(NewTask)}; removed in 1.0.
     * @param task the task to create
     * @return the task
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Task enqueue(NewTask task) {
        return create(task);
    }

    /**
     * @deprecated use {@link #createAll(List)}; removed in 1.0.
     * @param tasks the tasks to create
     * @return the matching items, in order
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default List<Task> enqueueAll(List<NewTask> tasks) {
        return createAll(tasks);
    }

    /**
     * Reads a task; absent for an unknown id or another tenant's.
     *
     * @param taskId the task's id
     * @return the Task, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Task> get(UUID taskId);

    /**
     * The task with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's.
     *
     * @param taskId the task's id
     * @return the task
     */
    default Task require(UUID taskId) {
        return get(taskId).orElseThrow(() -> new dev.atlas.NotFoundException("task", taskId));
    }

    /** Page size of {@link #forConversation(UUID)}. */
    int DEFAULT_PAGE_SIZE = 50;

    /**
     * The first page of {@link #forConversation(UUID, int, String)}, {@link #DEFAULT_PAGE_SIZE} tasks at most.
     *
     * @param conversationId the conversation's id
     * @return one page of results and the cursor of the next
     */
    default Page<Task> forConversation(UUID conversationId) {
        return forConversation(conversationId, DEFAULT_PAGE_SIZE, null);
    }

    /**
     * Tasks serving this conversation, oldest first ({@code createdAt}, then id), keyset-paged.
     *
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     * @param conversationId the conversation's id
     * @return one page of results and the cursor of the next
     */
    Page<Task> forConversation(UUID conversationId, int limit, @Nullable String cursor);

    /**
     * Tasks matching {@code query}, oldest first ({@code createdAt}, then id), keyset-paged: a
     * page never repeats or skips a task that existed when the first page was read, except a row
     * this version cannot read, which is left out with a WARN (see the class comment).
     *
     * @param query the filters, page size and cursor
     * @return one page of tasks and the cursor of the next
     */
    Page<Task> list(TaskQuery query);

    /**
     * Claims the next due task of any kind, oldest {@code runAfter} first; see the class comment.
     *
     * @param lease how long the claim holds before another worker may take the task, {@link #MIN_LEASE} to {@link #MAX_LEASE}
     * @return the claimed task, or empty when none is due
     */
    Optional<ClaimedTask> claim(Duration lease);

    /**
     * Claims the next due task of one of {@code kinds}.
     *
     * @param lease how long the claim holds before another worker may take the task, {@link #MIN_LEASE} to {@link #MAX_LEASE}
     * @param kinds only tasks of these kinds, 1 to {@link Limits#MAX_PAGE_SIZE} of them
     * @return the claimed task, or empty when none is due
     */
    Optional<ClaimedTask> claim(Duration lease, Set<String> kinds);

    /**
     * Extends the lease to the database's now + {@link ClaimedTask#leaseDuration()}. A holder whose lease expired
     * may still extend it as long as no other worker claimed the task meanwhile and, when the claim was
     * its last attempt, no {@link #claim} failed it meanwhile ("lease expired after N attempts", see the
     * class comment) nor {@link #requeue} made it pending again. {@link LeaseLostException} otherwise, as for
     * {@link #complete}, {@link #fail} and {@link #release}.
     *
     * @param claim the claim returned by {@link TaskStore#claim}
     * @return the claimedTask
     * @throws LeaseLostException when this claim is no longer the task's current one
     */
    ClaimedTask heartbeat(ClaimedTask claim);

    /**
     * Marks the task completed with {@code result}; only for the current lease holder, else {@link LeaseLostException}.
     * {@code null} stores no result, as {@link #completeAsOperator} does: {@link Task#result()} then
     * reads back empty, as on a task never completed (an empty map reads back empty too).
     *
     * @param claim the claim returned by {@link TaskStore#claim}
     * @param result what to store as {@link Task#result()}; {@code null} for none
     * @return the task
     * @throws dev.atlas.InvalidInputException naming {@code result} when it cannot be stored as JSON
     */
    Task complete(ClaimedTask claim, @Nullable Map<String, ?> result);

    /**
     * Records a failed attempt: with attempts left the task goes back to pending, claimable after
     * the default backoff (1 s doubling per attempt, at most 5 minutes); otherwise it is failed
     * for good. Only for the current lease holder, else {@link LeaseLostException}.
     *
     * @param claim the claim returned by {@link TaskStore#claim}
     * @param error why it failed (often an exception's text), stored as {@link Task#error()} whatever it holds, as
     *        every {@code fail(error)} of the API stores it ({@link dev.atlas.execution.StepHandle#fail(String)}): blank
     *        included, as given; NUL and unpaired surrogates are stored as U+FFFD and it is cut at
     *        {@link Limits#MAX_REASON_LENGTH} characters (never inside a surrogate pair); {@code null} (an exception's
     *        {@code getMessage()} is often null) records the failure without a text, {@link Task#error()} then null. A
     *        failure is recorded rather than refused, which would leave the task running until its lease expired
     * @return the task
     */
    Task fail(ClaimedTask claim, @Nullable String error);

    /**
     * Like {@link #fail(ClaimedTask, String)} with an explicit retry time (used only if attempts are left).
     * A {@code retryAt} at or before now is accepted and makes the task due at once: it is stored as
     * {@link Task#runAfter()} as given (to the microsecond, like {@link NewTask#runAfter(Instant)}), so,
     * claims taking the oldest {@code runAfter} first, the next claim takes it before tasks due later.
     *
     * @param claim the claim returned by {@link TaskStore#claim}
     * @param error why it failed, stored as {@link #fail(ClaimedTask, String)} stores it; {@code null} for no text
     * @param retryAt not before this instant, or {@code null} for the default backoff
     * @return the task
     * @throws dev.atlas.InvalidInputException naming {@code retryAt} when it is outside
     *         {@link dev.atlas.Limits#MIN_INSTANT} to {@link dev.atlas.Limits#MAX_INSTANT}
     */
    Task fail(ClaimedTask claim, @Nullable String error, @Nullable Instant retryAt);

    /**
     * Gives a held task back without a result, as if it had not been claimed: pending with its
     * {@code runAfter} as before the claim, so claimable at once by any worker whatever this
     * instance's clock says, the attempt this claim counted no longer counted, the lease cleared.
     * For a worker that stops before it could run the task through no fault of the task (a
     * shutdown: {@link TaskWorker#close(Duration)} does this for claims its pool never started; a
     * handler it interrupts did run, so that attempt is recorded as failed), so that a shutdown
     * never uses up an attempt of a task that never ran. Only for the current lease holder, else
     * {@link LeaseLostException}.
     *
     * @param claim the claim returned by {@link TaskStore#claim}
     * @return the task, pending again
     * @throws LeaseLostException when this claim is no longer the task's current one
     * @throws NotFoundException naming {@code claim.taskId} when no such task exists in this tenant
     */
    Task release(ClaimedTask claim);

    /**
     * Cancels a pending or running task (a running holder's next heartbeat, complete or fail then
     * gets {@link LeaseLostException}). {@link IllegalTransitionException} when already final.
     *
     * @param taskId the task's id
     * @return the task
     * @throws NotFoundException naming {@code taskId} when no such task exists in this tenant
     */
    Task cancel(UUID taskId);

    /**
     * Completes a pending or running task on an operator's word, without holding its lease (seed
     * 003's {@code update_promise_status(id, "completed")}): the work was done elsewhere or by
     * hand. A running holder is locked out: its next heartbeat, complete or fail gets
     * {@link LeaseLostException}. {@link IllegalTransitionException} when the task is already
     * completed, failed or cancelled; {@link NotFoundException} when no such task exists in this
     * tenant.
     *
     * @param taskId the task to complete
     * @param result what to store as {@link Task#result()}; {@code null} for none
     * @return the task, now completed
     * @throws IllegalTransitionException when the task is already completed, failed or cancelled
     * @throws NotFoundException naming {@code taskId} when no such task exists in this tenant
     */
    Task completeAsOperator(UUID taskId, @Nullable Map<String, ?> result);

    /**
     * Fails a pending or running task for good on an operator's word, without holding its lease
     * and without a retry, whatever attempts are left. Errors and lock-out as
     * {@link #completeAsOperator}.
     *
     * @param taskId the task to fail
     * @param error why, stored as {@link Task#error()} as {@link #fail(ClaimedTask, String)} stores it: whatever it
     *        holds, NUL and unpaired surrogates as U+FFFD, cut at {@link Limits#MAX_REASON_LENGTH} characters;
     *        {@code null} for no text
     * @return the task, now failed
     * @throws IllegalTransitionException when the task is already completed, failed or cancelled
     * @throws NotFoundException naming {@code taskId} when no such task exists in this tenant
     */
    Task failAsOperator(UUID taskId, @Nullable String error);

    /**
     * Puts a failed task back in the queue on an operator's word (a dead letter whose cause was
     * fixed), due now by this instance's clock. See {@link #requeue(UUID, Instant)}.
     *
     * @param taskId the failed task
     * @return the task, pending again
     * @throws IllegalTransitionException on {@code status} when the task is not failed
     * @throws NotFoundException naming {@code taskId} when no such task exists in this tenant
     */
    default Task requeue(UUID taskId) {
        return requeue(taskId, null);
    }

    /**
     * Puts a failed task (its attempts exhausted, or failed by {@link #failAsOperator}) back in
     * the queue: pending, due at {@code runAfter}, with its attempts reset to 0 so that it gets its
     * full {@link Task#maxAttempts()} again, {@code startedAt} and {@code finishedAt} cleared. Its
     * id, payload and {@code createdAt} stay; {@link Task#error()} keeps the last failure's
     * reason, as after a retried attempt. Only a failed task is requeued: a pending, running,
     * completed or cancelled one (a cancellation or completion was a decision; create a new task
     * instead) is refused with {@link IllegalTransitionException} on {@code status} to
     * {@code pending}, and of two concurrent requeues one wins, the other sees it pending. A running
     * task whose worker died on its last attempt (lease expired on the database's clock, no attempts
     * left) is failed, as the next {@link #claim} would mark it ("lease expired after N attempts"),
     * and requeued in the same transaction; its dead holder gets {@link LeaseLostException}. A
     * running task with a live lease, or with attempts left (the next claim takes it), is refused.
     *
     * @param taskId the failed task
     * @param runAfter not claimable before this instant; {@code null} for now (this instance's clock)
     * @return the task, pending again
     * @throws IllegalTransitionException on {@code status} when the task is not failed; nothing changes
     * @throws NotFoundException naming {@code taskId} when no such task exists in this tenant
     * @throws dev.atlas.InvalidInputException naming {@code runAfter} when it is outside the supported range
     */
    Task requeue(UUID taskId, @Nullable Instant runAfter);

    // ---- recurring tasks (seed 004 scheduling) -------------------------------------------

    /**
     * Registers a recurring task. Each occurrence (an instant; a cron schedule may name its time zone, see {@link Cron}) is enqueued as a normal task by
     * {@link #enqueueScheduled()} (which every {@link TaskWorker} calls at each poll) with
     * {@code runAfter} set to the occurrence. Each occurrence is enqueued exactly once however
     * many workers and Atlas instances share the database: the call that moves the schedule's
     * {@code nextRunAt} past an occurrence (a guarded update on its old value) enqueues its task in
     * the same transaction. Occurrences missed while no worker ran collapse into one task, for the
     * earliest of them; the schedule then continues with its first occurrence after now. No
     * occurrence lies after {@link Limits#MAX_INSTANT}: a schedule whose next occurrence would fall after it fires its
     * last and stays paused on it.
     *
     * @param schedule the interval or cron schedule
     * @return the stored schedule
     * @throws dev.atlas.InvalidInputException naming {@code cron} or {@code interval} when the first occurrence would fall after {@link Limits#MAX_INSTANT}
     * @throws dev.atlas.ConflictException naming {@code name} when the tenant has a schedule of that name
     */
    TaskSchedule schedule(NewSchedule schedule);

    /**
     * The schedule named {@code name}, if this tenant has one.
     *
     * @param name the schedule's name
     * @return the schedule, or empty
     * @throws UnreadableRowException when this version cannot read the stored schedule
     */
    Optional<TaskSchedule> getSchedule(String name);

    /**
     * This tenant's schedules by name, one page. A row this version cannot read is left out with a
     * WARN naming it, as {@link #enqueueScheduled} skips it; {@link #getSchedule} of it throws
     * {@link UnreadableRowException}.
     *
     * @param limit  1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@code null} for the first page, else {@link Page#nextCursor()} of the previous one
     * @return the page
     */
    Page<TaskSchedule> schedules(int limit, @Nullable String cursor);

    /**
     * Stops enqueueing the schedule's occurrences until {@link #resumeSchedule}; tasks already
     * enqueued stay. Pausing a paused schedule changes nothing.
     *
     * @param name the schedule's name
     * @return the schedule, paused
     * @throws NotFoundException naming {@code name} when this tenant has no such schedule
     */
    TaskSchedule pauseSchedule(String name);

    /**
     * Resumes a paused schedule from its first occurrence after now (occurrences that fell in the
     * pause are skipped). Resuming a running schedule changes nothing.
     *
     * @param name the schedule's name
     * @return the schedule, running
     * @throws NotFoundException naming {@code name} when this tenant has no such schedule
     * @throws dev.atlas.ConflictException naming {@code name} when no occurrence after now falls up to {@link Limits#MAX_INSTANT}
     * @throws UnreadableRowException when this version cannot evaluate the stored schedule (a cron
     *         or payload written by a newer version); the row is left as stored
     */
    TaskSchedule resumeSchedule(String name);

    /**
     * Deletes the schedule; tasks it already enqueued stay.
     *
     * @param name the schedule's name
     * @throws NotFoundException naming {@code name} when this tenant has no such schedule
     */
    void deleteSchedule(String name);

    /**
     * Enqueues one task for each schedule of this tenant whose next occurrence is due and moves each
     * schedule to its next occurrence. One call fires at most {@link Limits#MAX_PAGE_SIZE} schedules
     * and at most {@link Limits#MAX_BATCH_LENGTH} characters of payload together (its tasks are
     * inserted in one transaction, bounded as {@link #createAll} is; the first always fires): the due
     * schedules past either bound stay due and fire at the next call, in occurrence order. Safe to call from any number of workers at once: each occurrence is enqueued by
     * exactly one call. "Now" is this Atlas instance's clock plus how far its host's clock is from
     * the database's (read at most once a minute; under a second counts as none), so a host whose
     * clock is off neither fires early and skips occurrences nor fires late.
     * A due schedule this version cannot evaluate (a stored cron it refuses, a payload it cannot
     * read: written by an import, another tool or a newer version during a rolling upgrade) is
     * skipped and left exactly as stored (neither paused nor moved, so the node that wrote it keeps
     * running it), with a warning logged once per row and Atlas instance; the tenant's other schedules fire
     * as usual.
     *
     * @return the tasks enqueued by this call
     */
    List<Task> enqueueScheduled();
}
