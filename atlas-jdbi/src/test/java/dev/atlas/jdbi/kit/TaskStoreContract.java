package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.DatabaseKind;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.LeaseLostException;
import dev.atlas.NotFoundException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.task.TaskQuery;
import dev.atlas.UnreadableRowException;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import dev.atlas.task.TaskWorker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The behaviour every {@link TaskStore} implementation must have, on every database. */
public abstract class TaskStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Duration LEASE = Duration.ofSeconds(30);
    /**
     * The shortest lease. Only {@link #laggingClockClaimsExpiredLease} outlives one for real (about a second,
     * on the database's clock); the other tests end leases at once with {@link #expireLease}.
     */
    private static final Duration SHORT = TaskStore.MIN_LEASE;

    protected TaskStore store;
    protected TaskStore other;

    protected TaskStoreContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").tasks();
        other = atlas.tenant("globex").tasks();
    }

    @Test
    @DisplayName("createAll writes each payload's JSON text once and parses it once (the returned payload is that parse), and"
            + " returns what a read gives")
    void createAllWritesAndParsesEachPayloadOnce() {
        List<NewTask> tasks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> options = new java.util.LinkedHashMap<>();
            options.put("zeta", List.of(1, 2.5, "three", true));
            options.put("id", i);
            tasks.add(NewTask.of("crawl", Map.of("url", "https://example.com/" + i, "score", 0.25 + i, "big", 12_345_678_901L,
                    "options", options, "none", List.of())));
        }

        JsonPasses.Counted<List<Task>> created = JsonPasses.count(() -> store.createAll(tasks));

        assertThat(created.written()).isEqualTo(3);
        assertThat(created.parsed()).isEqualTo(3);
        assertThat(store.list(TaskQuery.all()).items()).isEqualTo(created.result());
        assertThat(created.result().get(2).payload()).isEqualTo(Map.of("url", "https://example.com/2", "score", 2.25, "big",
                12_345_678_901L, "options", Map.of("zeta", List.of(1, 2.5, "three", true), "id", 2), "none", List.of()));
    }

    @Test
    @DisplayName("statements run: a claim 3 (sweep, pick, take), an empty claim 2, enqueueing 3 tasks 1 batch, a page 1")
    void statementCounts() {
        StatementCounter.Counted<List<Task>> created = StatementCounter.count(atlas,
                () -> store.createAll(List.of(NewTask.of("a", Map.of()), NewTask.of("b", Map.of()), NewTask.of("a", Map.of()))));
        assertThat(created.statements()).isEqualTo(1);
        assertThat(store.list(TaskQuery.all()).items()).isEqualTo(created.result());
        StatementCounter.Counted<java.util.Optional<ClaimedTask>> claimed = StatementCounter.count(atlas,
                () -> store.claim(Duration.ofMinutes(1), Set.of("b")));
        assertThat(claimed.statements()).isEqualTo(3);
        assertThat(claimed.result().orElseThrow().taskId()).isEqualTo(created.result().get(1).id());
        assertThat(StatementCounter.count(atlas, () -> store.claim(Duration.ofMinutes(1), Set.of("c"))).statements()).isEqualTo(2);
        assertThat(StatementCounter.count(atlas, () -> store.list(TaskQuery.all().statuses(Set.of(TaskStatus.PENDING)).kind("a"))).statements())
                .isEqualTo(1);
    }

    private Task task(String kind) {
        return store.create(NewTask.of(kind, Map.of("n", 1)));
    }

    private void advance(Duration d) {
        clock.advanceMicros(d.toNanos() / 1000);
    }

    @Test
    @DisplayName("an enqueued task reads back pending with every field as written")
    void enqueueAndGet() {
        dev.atlas.conversation.ConversationStore conversations = atlas.tenant("acme").conversations();
        UUID conversation = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID message = conversations.append(conversation, dev.atlas.conversation.NewMessage.user("hi")).id();
        Task t = store.create(NewTask.of("summarize", Map.of("url", "https://example.com", "deep", Map.of("a", List.of(1, 2))))
                .forMessage(conversation, message).owner(ALICE).maxAttempts(5));
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
        assertThat(t).returns("acme", Task::tenantId).returns("summarize", Task::kind).returns(conversation, Task::conversationId)
                .returns(message, Task::messageId).returns(ALICE, Task::owner).returns(TaskStatus.PENDING, Task::status)
                .returns(0, Task::attempts).returns(5, Task::maxAttempts).returns(Map.of(), Task::result)
                .returns(null, Task::error).returns(clock.instant(), Task::runAfter).returns(null, Task::claimId)
                .returns(null, Task::leaseExpiresAt).returns(clock.instant(), Task::createdAt).returns(null, Task::startedAt);
        assertThat(t.payload()).isEqualTo(Map.of("url", "https://example.com", "deep", Map.of("a", List.of(1, 2))));
        assertThat(store.forConversation(conversation).items()).containsExactly(t);
    }

    @Test
    @DisplayName("claim takes the oldest due task, marks it running with a lease and counts the attempt")
    void claim() {
        Task first = task("a");
        clock.advanceMicros(1);
        Task second = task("a");
        Instant before = databaseNow();
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Instant after = databaseNow();
        assertThat(c.taskId()).isEqualTo(first.id());
        assertThat(c.task()).returns(TaskStatus.RUNNING, Task::status).returns(1, Task::attempts)
                .returns(c.claimId(), Task::claimId).returns(c.leaseExpiresAt(), Task::leaseExpiresAt)
                .returns(clock.instant(), Task::startedAt);
        assertThat(c.leaseExpiresAt()).isBetween(before.plus(LEASE), after.plus(LEASE));
        assertThat(store.get(first.id()).orElseThrow()).isEqualTo(c.task());
        assertThat(store.claim(LEASE).orElseThrow().taskId()).isEqualTo(second.id());
        assertThat(store.claim(LEASE)).isEmpty();
    }

    @Test
    @DisplayName("a task is not claimable before its run-after time, and claim filters by kind")
    void runAfterAndKinds() {
        Task later = store.create(NewTask.of("a", Map.of()).runAfter(clock.instant().plusSeconds(60)));
        Task b = task("b");
        assertThat(store.claim(LEASE, Set.of("a"))).isEmpty();
        assertThat(store.claim(LEASE, Set.of("a", "c"))).isEmpty();
        assertThat(store.claim(LEASE, Set.of("b")).orElseThrow().taskId()).isEqualTo(b.id());
        advance(Duration.ofSeconds(60));
        assertThat(store.claim(LEASE, Set.of("a")).orElseThrow().taskId()).isEqualTo(later.id());
    }

    @Test
    @DisplayName("the lease holder completes a task with its result; completing again is rejected")
    void complete() {
        Task t = task("a");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        clock.advanceMicros(5);
        Task done = store.complete(c, Map.of("summary", "ok", "n", 2));
        assertThat(done).returns(TaskStatus.COMPLETED, Task::status).returns(Map.of("summary", "ok", "n", 2), Task::result)
                .returns(null, Task::claimId).returns(null, Task::leaseExpiresAt).returns(clock.instant(), Task::finishedAt);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(done);
        assertThatThrownBy(() -> store.complete(c, Map.of())).isInstanceOf(LeaseLostException.class).hasMessageContaining("completed");
        assertThatThrownBy(() -> store.fail(c, "late")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.heartbeat(c)).isInstanceOf(LeaseLostException.class);
    }

    @Test
    @DisplayName("complete(claim, null) and completeAsOperator(id, null) store no result: the column stays NULL as before completion and result() reads back empty; an empty map stores {} and reads back empty")
    void completeWithoutResult() throws SQLException {
        Task t = task("a");
        assertThat(rawColumn(t.id(), "result")).isNull();
        Task done = store.complete(store.claim(LEASE).orElseThrow(), null);
        assertThat(done).returns(TaskStatus.COMPLETED, Task::status).returns(Map.of(), Task::result);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(done);
        assertThat(rawColumn(t.id(), "result")).isNull();

        Task byHand = store.completeAsOperator(task("b").id(), null);
        assertThat(byHand.result()).isEqualTo(Map.of());
        assertThat(rawColumn(byHand.id(), "result")).isNull();

        Task empty = task("c");
        assertThat(store.complete(store.claim(LEASE).orElseThrow(), Map.of()).result()).isEqualTo(Map.of());
        assertThat(rawColumn(empty.id(), "result")).isEqualTo("{}");
        assertThat(store.get(empty.id()).orElseThrow().result()).isEqualTo(Map.of());
    }

    @Test
    @DisplayName("complete, fail and heartbeat by a worker that does not hold the lease are rejected and change nothing")
    void nonHolderRejected() {
        task("a");
        ClaimedTask real = store.claim(LEASE).orElseThrow();
        ClaimedTask forged = new ClaimedTask(real.task(), UUID.randomUUID(), real.leaseExpiresAt(), LEASE);
        assertThatThrownBy(() -> store.complete(forged, Map.of())).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.fail(forged, "x")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.heartbeat(forged)).isInstanceOf(LeaseLostException.class);
        assertThat(store.get(real.taskId()).orElseThrow()).isEqualTo(real.task());
    }

    @Test
    @DisplayName("a task whose lease expired is claimed again with a new claim, and the old holder is locked out")
    void expiredLeaseReclaimed() throws SQLException {
        Task t = task("a");
        ClaimedTask first = store.claim(LEASE).orElseThrow();
        assertThat(store.claim(LEASE)).isEmpty();
        expireLease(first);
        ClaimedTask second = store.claim(LEASE).orElseThrow();
        assertThat(second.taskId()).isEqualTo(t.id());
        assertThat(second.claimId()).isNotEqualTo(first.claimId());
        assertThat(second.task().attempts()).isEqualTo(2);
        assertThatThrownBy(() -> store.complete(first, Map.of())).isInstanceOf(LeaseLostException.class)
                .hasMessageContaining("another worker");
        assertThatThrownBy(() -> store.heartbeat(first)).isInstanceOf(LeaseLostException.class);
        assertThat(store.complete(second, Map.of("by", "second")).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("a heartbeat extends the lease by its duration on the database's clock, even after it ran out if nobody took the task")
    void heartbeat() throws SQLException {
        task("a");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        expireLease(c);
        Instant before = databaseNow();
        ClaimedTask extended = store.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), LEASE));
        Instant after = databaseNow();
        assertThat(extended.leaseExpiresAt()).isBetween(before.plus(LEASE), after.plus(LEASE));
        assertThat(extended.task().leaseExpiresAt()).isEqualTo(extended.leaseExpiresAt());
        assertThat(extended.claimId()).isEqualTo(c.claimId());
        advance(Duration.ofHours(1));
        assertThat(store.claim(LEASE)).isEmpty();
        assertThat(store.complete(c, Map.of()).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("a failed attempt with attempts left goes back to pending after a backoff, or at the given retry time")
    void failRetries() {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(3));
        ClaimedTask c1 = store.claim(LEASE).orElseThrow();
        Task retried = store.fail(c1, "HTTP 503");
        assertThat(retried).returns(TaskStatus.PENDING, Task::status).returns("HTTP 503", Task::error)
                .returns(null, Task::claimId).returns(clock.instant().plusSeconds(1), Task::runAfter).returns(null, Task::finishedAt);
        assertThat(store.claim(LEASE)).isEmpty();
        advance(Duration.ofSeconds(1));
        ClaimedTask c2 = store.claim(LEASE).orElseThrow();
        assertThat(c2.task().attempts()).isEqualTo(2);
        Instant retryAt = clock.instant().plusSeconds(600);
        assertThat(store.fail(c2, "again", retryAt).runAfter()).isEqualTo(retryAt);
        assertThat(store.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    @DisplayName("a retryAt in the past is accepted: the task is pending and due at once, runAfter stored as given (to the"
            + " microsecond), so the next claim takes it before tasks due later; with no attempts left it is ignored")
    void retryAtInThePastIsDueAtOnce() {
        Task waiting = store.create(NewTask.of("a", Map.of("n", "waiting")));
        advance(Duration.ofSeconds(5));
        Task t = store.create(NewTask.of("a", Map.of("n", "retried")).maxAttempts(2));
        ClaimedTask first = store.claim(LEASE).orElseThrow();
        assertThat(first.taskId()).isEqualTo(waiting.id());
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        assertThat(c.taskId()).isEqualTo(t.id());
        Instant past = clock.instant().minus(Duration.ofHours(1)).plusNanos(789);
        Instant stored = past.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        Task retried = store.fail(c, "HTTP 429", past);
        assertThat(retried).returns(TaskStatus.PENDING, Task::status).returns(stored, Task::runAfter).returns(1, Task::attempts)
                .returns(null, Task::claimId).returns(null, Task::leaseExpiresAt);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(retried);
        store.release(first);
        ClaimedTask again = store.claim(LEASE).orElseThrow();
        assertThat(again.taskId()).as("oldest runAfter first: the retry dated an hour back comes before the task due 5 s before").isEqualTo(t.id());
        Task failed = store.fail(again, "HTTP 429", Limits.MIN_INSTANT);
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns(stored, Task::runAfter).returns(2, Task::attempts);
    }

    @Test
    @DisplayName("as the docs say: 3 attempts by default; the retry backoff is 1 s doubling per attempt, at most 5 minutes")
    void defaultAttemptsAndBackoffAsDocumented() {
        assertThat(store.create(NewTask.of("default", Map.of())).maxAttempts()).isEqualTo(3);
        store.create(NewTask.of("retried", Map.of()).maxAttempts(12));
        List<Long> waits = new ArrayList<>();
        for (int attempt = 1; attempt <= 11; attempt++) {
            ClaimedTask c = store.claim(LEASE, Set.of("retried")).orElseThrow();
            assertThat(c.task().attempts()).isEqualTo(attempt);
            Task retried = store.fail(c, "HTTP 503");
            assertThat(retried.status()).isEqualTo(TaskStatus.PENDING);
            waits.add(Duration.between(clock.instant(), retried.runAfter()).toSeconds());
            clock.set(retried.runAfter());
        }
        assertThat(waits).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L, 300L, 300L);
    }

    @Test
    @DisplayName("a failed attempt with no attempts left fails the task for good")
    void failExhausted() {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(2));
        store.fail(store.claim(LEASE).orElseThrow(), "one");
        advance(Duration.ofSeconds(1));
        ClaimedTask last = store.claim(LEASE).orElseThrow();
        Task failed = store.fail(last, "two", clock.instant());
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns(2, Task::attempts).returns("two", Task::error)
                .returns(clock.instant(), Task::finishedAt);
        advance(Duration.ofHours(1));
        assertThat(store.claim(LEASE)).isEmpty();
        assertThat(store.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.FAILED);
    }

    @Test
    @DisplayName("a task whose worker keeps dying fails with 'lease expired after N attempts' once attempts are exhausted, by the next"
            + " claim of any kind; its last holder, back from a pause, is then refused on complete, fail, heartbeat and"
            + " release (LeaseLostException on claim: the task is failed) and changes nothing")
    void leaseExpiryExhaustsAttempts() throws SQLException {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(2));
        expireLease(store.claim(LEASE).orElseThrow());
        ClaimedTask last = store.claim(LEASE).orElseThrow();
        assertThat(last.task().attempts()).isEqualTo(2);
        expireLease(last);
        assertThat(store.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
        // A claim of another kind only (from any instance: the sweep is one statement on the database's clock).
        assertThat(store.claim(LEASE, java.util.Set.of("other"))).isEmpty();
        Task failed = store.get(t.id()).orElseThrow();
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns("lease expired after 2 attempts", Task::error)
                .returns(null, Task::claimId).returns(clock.instant(), Task::finishedAt);
        String lost = "claim: claim " + last.claimId() + " no longer holds task " + t.id() + ": the task is failed";
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable late : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                () -> store.complete(last, Map.of("done", true)), () -> store.fail(last, "late"), () -> store.heartbeat(last),
                () -> store.release(last))) {
            assertThatThrownBy(late).isExactlyInstanceOf(LeaseLostException.class).hasMessage(lost)
                    .extracting(e -> ((LeaseLostException) e).field()).isEqualTo("claim");
        }
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(failed);
        assertThat(store.claim(LEASE)).isEmpty();
    }

    @Test
    @DisplayName("after a crash, a new Atlas instance claims the tasks the dead one held once their leases expire")
    void resumeAfterRestart() throws SQLException {
        Task held = task("a");
        clock.advanceMicros(1);
        Task expiring = task("a");
        assertThat(store.claim(LEASE).orElseThrow().taskId()).isEqualTo(held.id());
        ClaimedTask expired = store.claim(LEASE).orElseThrow();
        atlas.close();
        Atlas restarted = reopen(b -> b.clock(clock));
        TaskStore tasks = restarted.tenant("acme").tasks();
        expireLease(expired);
        ClaimedTask resumed = tasks.claim(LEASE).orElseThrow();
        assertThat(resumed.taskId()).isEqualTo(expiring.id());
        assertThat(tasks.claim(LEASE)).isEmpty();
        tasks.complete(resumed, Map.of());
    }

    @Test
    @DisplayName("cancel stops a pending or running task, locks out its holder, and a final task cannot be cancelled")
    void cancel() {
        Task pending = task("a");
        assertThat(store.cancel(pending.id())).returns(TaskStatus.CANCELLED, Task::status).returns(clock.instant(), Task::finishedAt);
        task("a");
        ClaimedTask running = store.claim(LEASE).orElseThrow();
        assertThat(store.cancel(running.taskId()).status()).isEqualTo(TaskStatus.CANCELLED);
        assertThatThrownBy(() -> store.complete(running, Map.of())).isInstanceOf(LeaseLostException.class).hasMessageContaining("cancelled");
        assertThatThrownBy(() -> store.cancel(pending.id())).isInstanceOf(IllegalTransitionException.class);
        assertThat(store.claim(LEASE)).isEmpty();
        assertThatThrownBy(() -> store.cancel(UUID.randomUUID())).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("the status machine allows exactly pending → running | cancelled | completed | failed and running → pending | completed | failed | cancelled")
    void statusMachine() {
        assertThat(TaskStatus.PENDING.next()).containsExactlyInAnyOrder(TaskStatus.RUNNING, TaskStatus.CANCELLED, TaskStatus.COMPLETED,
                TaskStatus.FAILED);
        assertThat(TaskStatus.RUNNING.next()).containsExactlyInAnyOrder(TaskStatus.PENDING, TaskStatus.COMPLETED, TaskStatus.FAILED,
                TaskStatus.CANCELLED);
        for (TaskStatus s : List.of(TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)) {
            assertThat(s.isFinal()).isTrue();
            assertThatThrownBy(() -> s.checkMoveTo(TaskStatus.PENDING)).isInstanceOf(IllegalTransitionException.class);
        }
        assertThat(TaskStatus.of("running")).isEqualTo(TaskStatus.RUNNING);
        assertField(() -> TaskStatus.of("done"), "status");
    }

    @Test
    @DisplayName("4 concurrent workers over 100 tasks run every task exactly once")
    void concurrentWorkers() throws Exception {
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            batch.add(NewTask.of(i % 2 == 0 ? "even" : "odd", Map.of("i", i)));
        }
        List<UUID> ids = store.createAll(batch).stream().map(Task::id).toList();
        ConcurrentHashMap<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                workers.add(pool.submit(() -> {
                    int mine = 0;
                    while (true) {
                        var claim = store.claim(Duration.ofMinutes(5));
                        if (claim.isEmpty()) {
                            return mine;
                        }
                        runs.computeIfAbsent(claim.get().taskId(), k -> new AtomicInteger()).incrementAndGet();
                        store.complete(claim.get(), Map.of("worker", Thread.currentThread().getName()));
                        mine++;
                    }
                }));
            }
            int total = 0;
            for (Future<Integer> f : workers) {
                total += f.get();
            }
            assertThat(total).isEqualTo(100);
        } finally {
            pool.shutdown();
        }
        assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        for (int i = 0; i < ids.size(); i += 9) {
            assertThat(store.get(ids.get(i)).orElseThrow()).returns(TaskStatus.COMPLETED, Task::status).returns(1, Task::attempts);
        }
    }

    @Test
    @DisplayName("TaskWorker runs each task with its kind's handler, fails the ones that throw, and close() waits for running handlers")
    void worker() {
        List<UUID> ok = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ok.add(store.create(NewTask.of("echo", Map.of("i", i))).id());
        }
        UUID broken = store.create(NewTask.of("boom", Map.of()).maxAttempts(1)).id();
        UUID ignored = store.create(NewTask.of("unknown", Map.of())).id();
        // an exception whose text is exactly as long as an error may be is stored whole, not one character short
        IllegalStateException longest = new IllegalStateException("y".repeat(Limits.MAX_REASON_LENGTH - "java.lang.IllegalStateException: ".length()));
        UUID exact = store.create(NewTask.of("longest", Map.of()).maxAttempts(1)).id();
        // an exception whose text holds a NUL and an unpaired surrogate fails its task, the text made storable (not left
        // running until its lease expires because the store refused the text)
        UUID hostile = store.create(NewTask.of("hostile", Map.of()).maxAttempts(1)).id();
        Set<UUID> ran = Collections.newSetFromMap(new ConcurrentHashMap<>());
        try (TaskWorker worker = TaskWorker.builder(store)
                .handler("echo", t -> {
                    ran.add(t.id());
                    return Map.of("echo", t.payload().get("i"));
                })
                .handler("boom", t -> {
                    throw new IllegalStateException("kaboom");
                })
                .handler("longest", t -> {
                    throw longest;
                })
                .handler("hostile", t -> {
                    throw new IllegalStateException("bad\u0000byte\uD800");
                })
                .concurrency(3).pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(30))
                .start()) {
            await(() -> ok.stream().allMatch(id -> store.get(id).orElseThrow().status() == TaskStatus.COMPLETED)
                    && store.get(broken).orElseThrow().status() == TaskStatus.FAILED && store.get(exact).orElseThrow().status() == TaskStatus.FAILED
                    && store.get(hostile).orElseThrow().status() == TaskStatus.FAILED);
        }
        assertThat(store.get(hostile).orElseThrow().error()).isEqualTo("java.lang.IllegalStateException: bad\uFFFDbyte\uFFFD");
        String stored = store.get(exact).orElseThrow().error();
        assertThat(stored.length()).isEqualTo(Limits.MAX_REASON_LENGTH);
        assertThat(stored.equals(longest.toString())).as("the exception's text, whole").isTrue();
        assertThat(ran).containsExactlyInAnyOrderElementsOf(ok);
        assertThat(store.get(ok.get(7)).orElseThrow().result()).isEqualTo(Map.of("echo", 7));
        assertThat(store.get(broken).orElseThrow().error()).contains("kaboom");
        assertThat(store.get(ignored).orElseThrow().status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    @DisplayName("TaskWorker fails the attempt, naming result, when a handler returns a result that cannot be stored (instead of leaving the task running to be re-run)")
    void workerUnstorableResult() {
        UUID task = store.create(NewTask.of("nan", Map.of()).maxAttempts(1)).id();
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        try (TaskWorker worker = TaskWorker.builder(store)
                .handler("nan", t -> {
                    runs.incrementAndGet();
                    return Map.of("score", Double.NaN);
                })
                .pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(30))
                .start()) {
            await(() -> store.get(task).orElseThrow().status() == TaskStatus.FAILED);
        }
        Task failed = store.get(task).orElseThrow();
        assertThat(failed.error()).startsWith("result: ");
        assertThat(failed.result()).isEmpty();
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("TaskWorker fails the attempt with the text of an Error a handler throws (AssertionError, StackOverflowError, a class that"
            + " failed to load) as for an exception, and retries it with backoff, instead of leaving the task running until its lease expires")
    void workerHandlerError() {
        UUID asserting = store.create(NewTask.of("assert", Map.of()).maxAttempts(1)).id();
        UUID overflowing = store.create(NewTask.of("overflow", Map.of()).maxAttempts(2)).id();
        java.util.concurrent.atomic.AtomicInteger overflowRuns = new java.util.concurrent.atomic.AtomicInteger();
        try (LogCapture logs = LogCapture.start();
             TaskWorker worker = TaskWorker.builder(store)
                .handler("assert", t -> {
                    throw new AssertionError("invariant broken");
                })
                .handler("overflow", t -> {
                    overflowRuns.incrementAndGet();
                    throw new StackOverflowError("too deep");
                })
                .pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(30))
                .start()) {
            await(() -> store.get(asserting).orElseThrow().status() == TaskStatus.FAILED);
            // Pending again after its failed attempt (it is pending before the worker claims it, too).
            await(() -> store.get(overflowing).orElseThrow().status() == TaskStatus.PENDING && store.get(overflowing).orElseThrow().error() != null);
            assertThat(logs.text()).contains("java.lang.AssertionError: invariant broken");
        }
        assertThat(store.get(asserting).orElseThrow()).returns("java.lang.AssertionError: invariant broken", Task::error)
                .returns(1, Task::attempts);
        Task retried = store.get(overflowing).orElseThrow();
        assertThat(retried).returns("java.lang.StackOverflowError: too deep", Task::error).returns(1, Task::attempts)
                .returns(null, Task::claimId);
        assertThat(overflowRuns.get()).isEqualTo(1);
    }

    // ---- listing (seed 003 pending promises) and operator completion ------------------------

    @Test
    @DisplayName("list filters by status, kind, owner and conversation, combined with AND, oldest first")
    void listFilters() {
        Owner bob = Owner.user("bob");
        UUID conversation = UUID.randomUUID();
        Task a1 = store.enqueue(NewTask.of("report", Map.of()).owner(ALICE));
        clock.advanceMicros(1);
        Task a2 = store.enqueue(NewTask.of("mail", Map.of()).owner(ALICE).forConversation(conversation));
        clock.advanceMicros(1);
        Task b1 = store.enqueue(NewTask.of("report", Map.of()).owner(bob));
        clock.advanceMicros(1);
        Task none = store.enqueue(NewTask.of("report", Map.of()));
        clock.advanceMicros(1);
        Task cancelled = store.cancel(store.enqueue(NewTask.of("report", Map.of()).owner(ALICE)).id());
        ClaimedTask running = store.claim(LEASE, Set.of("mail")).orElseThrow();
        assertThat(running.taskId()).isEqualTo(a2.id());

        assertThat(ids(store.list(TaskQuery.all()))).containsExactly(a1.id(), a2.id(), b1.id(), none.id(), cancelled.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.PENDING)))).containsExactly(a1.id(), b1.id(), none.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.PENDING, TaskStatus.RUNNING))))
                .containsExactly(a1.id(), a2.id(), b1.id(), none.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.CANCELLED)))).containsExactly(cancelled.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.COMPLETED)))).isEmpty();
        assertThat(ids(store.list(TaskQuery.all().kind("report")))).containsExactly(a1.id(), b1.id(), none.id(), cancelled.id());
        assertThat(ids(store.list(TaskQuery.all().owner(ALICE)))).containsExactly(a1.id(), a2.id(), cancelled.id());
        assertThat(ids(store.list(TaskQuery.all().conversation(conversation)))).containsExactly(a2.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.PENDING).kind("report").owner(ALICE)))).containsExactly(a1.id());
        assertThat(ids(store.list(TaskQuery.withStatus(TaskStatus.PENDING).kind("mail")))).isEmpty();
        assertThat(store.list(TaskQuery.withStatus(TaskStatus.RUNNING)).items()).containsExactly(store.get(a2.id()).orElseThrow());
    }

    @Test
    @DisplayName("list with several statuses returns exactly the tasks in any of them, oldest first, paged by cursor without loss or repeat, combined with kind; another tenant's tasks in those statuses never appear")
    void listSeveralStatuses() {
        List<UUID> created = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (TaskStatus s : TaskStatus.values()) {
                for (TaskStore tenant : List.of(other, store)) {
                    Task t = tenant.create(NewTask.of(round == 0 ? "a" : "b", Map.of("status", s.toString())));
                    clock.advanceMicros(1);
                    // Each task is the only pending one of its tenant when it moves, so the claim takes exactly it.
                    switch (s) {
                        case PENDING -> { }
                        case RUNNING -> tenant.claim(LEASE).orElseThrow();
                        case COMPLETED -> tenant.complete(tenant.claim(LEASE).orElseThrow(), Map.of());
                        case FAILED -> tenant.failAsOperator(t.id(), "broken");
                        case CANCELLED -> tenant.cancel(t.id());
                    }
                    assertThat(tenant.get(t.id()).orElseThrow().status()).isEqualTo(s);
                    if (tenant == store) {
                        created.add(t.id());
                    }
                }
                // Pending tasks stay pending: the next claim must not take them.
                if (s == TaskStatus.PENDING) {
                    for (TaskStore tenant : List.of(other, store)) {
                        List<Task> pending = tenant.list(TaskQuery.withStatus(TaskStatus.PENDING)).items();
                        pending.forEach(p -> tenant.requeue(tenant.failAsOperator(p.id(), "parked").id(), dev.atlas.Limits.MAX_INSTANT));
                    }
                }
            }
        }
        // Parked tasks: failed then requeued far in the future, pending again and never due.
        java.util.function.Function<Set<TaskStatus>, List<UUID>> expected = set -> created.stream()
                .filter(id -> set.contains(store.get(id).orElseThrow().status())).toList();
        List<Set<TaskStatus>> combos = List.of(Set.of(TaskStatus.PENDING, TaskStatus.RUNNING),
                Set.of(TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED), Set.of(TaskStatus.RUNNING, TaskStatus.FAILED),
                Set.of(TaskStatus.PENDING, TaskStatus.CANCELLED, TaskStatus.COMPLETED), java.util.EnumSet.allOf(TaskStatus.class));
        for (Set<TaskStatus> combo : combos) {
            List<UUID> want = expected.apply(combo);
            assertThat(want).hasSize(2 * combo.size());
            assertThat(ids(store.list(TaskQuery.all().statuses(combo).limit(1000)))).containsExactlyElementsOf(want);
            List<UUID> paged = new ArrayList<>();
            String cursor = null;
            do {
                Page<Task> p = store.list(TaskQuery.all().statuses(combo).limit(1).after(cursor));
                p.items().forEach(t -> {
                    assertThat(t.tenantId()).isEqualTo("acme");
                    assertThat(combo).contains(t.status());
                    paged.add(t.id());
                });
                cursor = p.nextCursor().orElse(null);
            } while (cursor != null);
            assertThat(paged).containsExactlyElementsOf(want);
            assertThat(ids(store.list(TaskQuery.all().statuses(combo).kind("b").limit(1000))))
                    .containsExactlyElementsOf(want.stream().filter(id -> store.get(id).orElseThrow().kind().equals("b")).toList());
        }
        assertThat(ids(store.list(TaskQuery.all().statuses(java.util.EnumSet.allOf(TaskStatus.class)).limit(1000))))
                .containsExactlyElementsOf(ids(store.list(TaskQuery.all().limit(1000))));
        assertThat(ids(other.list(TaskQuery.withStatus(TaskStatus.PENDING, TaskStatus.RUNNING).limit(1000))))
                .hasSize(4).doesNotContainAnyElementsOf(created);
    }

    @Test
    @DisplayName("createAll refuses a task whose payload cannot be stored naming it by its place, tasks[i].payload (as a held key's conflict names tasks[i].clientKey), and stores none of the call's tasks; create names payload")
    void createAllNamesTheBadPayloadByItsPlace() {
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(NewTask.of("batch", Map.of("i", i)));
        }
        batch.set(3, NewTask.of("batch", Map.of("nul", "a\u0000b")));
        assertThatThrownBy(() -> store.createAll(batch)).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("tasks[3].payload"))
                .hasMessageStartingWith("tasks[3].payload: ");
        assertField(() -> store.create(batch.get(3)), "payload");
        assertThat(store.list(TaskQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("list pages through 1,001 pending tasks with no task lost or repeated, whatever the page size")
    void listPages() {
        List<UUID> all = new ArrayList<>();
        for (int batch = 0; batch < 2; batch++) {
            List<NewTask> tasks = new ArrayList<>();
            for (int i = 0; i < (batch == 0 ? 1000 : 1); i++) {
                tasks.add(NewTask.of("a", Map.of("i", i)));
            }
            store.enqueueAll(tasks).forEach(t -> all.add(t.id()));
            clock.advanceMicros(1);
        }
        store.cancel(all.get(500));
        List<UUID> expected = new ArrayList<>(all.subList(0, 1000).stream().filter(id -> !id.equals(all.get(500))).sorted().toList());
        expected.add(all.get(1000));
        for (int size : new int[] {1000, 61}) {
            List<UUID> seen = new ArrayList<>();
            String cursor = null;
            do {
                Page<Task> p = store.list(TaskQuery.withStatus(TaskStatus.PENDING).limit(size).after(cursor));
                assertThat(p.items().size()).isLessThanOrEqualTo(size);
                p.items().forEach(t -> seen.add(t.id()));
                cursor = p.nextCursor().orElse(null);
            } while (cursor != null);
            assertThat(seen).containsExactlyElementsOf(expected);
        }
        assertThat(store.list(TaskQuery.all()).items()).hasSize(50);
    }

    @Test
    @DisplayName("an operator completes a pending task without a lease: completed with the result, never claimable again")
    void operatorCompletesPending() {
        Task t = task("report");
        clock.advanceMicros(5);
        Task done = store.completeAsOperator(t.id(), Map.of("summary", "done by hand"));
        assertThat(done).returns(TaskStatus.COMPLETED, Task::status).returns(Map.of("summary", "done by hand"), Task::result)
                .returns(0, Task::attempts).returns(null, Task::claimId).returns(null, Task::leaseExpiresAt)
                .returns(clock.instant(), Task::finishedAt).returns(clock.instant(), Task::updatedAt).returns(null, Task::error);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(done);
        assertThat(store.claim(LEASE)).isEmpty();
        assertThat(store.completeAsOperator(task("b").id(), null).result()).isEqualTo(Map.of());
    }

    @Test
    @DisplayName("an operator completes or fails a running task; the lease holder is then locked out and changes nothing")
    void operatorLocksOutHolder() {
        task("a");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Task done = store.completeAsOperator(c.taskId(), Map.of("by", "operator"));
        assertThat(done).returns(TaskStatus.COMPLETED, Task::status).returns(1, Task::attempts).returns(null, Task::claimId);
        assertThatThrownBy(() -> store.complete(c, Map.of("by", "worker"))).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.fail(c, "worker failed")).isInstanceOf(LeaseLostException.class);
        assertThatThrownBy(() -> store.heartbeat(c)).isInstanceOf(LeaseLostException.class);
        assertThat(store.get(c.taskId()).orElseThrow()).isEqualTo(done);

        // attempts are left (1 of 3), yet an operator's failure is final: no retry
        task("b");
        ClaimedTask c2 = store.claim(LEASE).orElseThrow();
        Task failed = store.failAsOperator(c2.taskId(), "customer withdrew the request");
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns("customer withdrew the request", Task::error)
                .returns(null, Task::claimId).returns(null, Task::leaseExpiresAt).returns(clock.instant(), Task::finishedAt)
                .returns(Map.of(), Task::result);
        assertThatThrownBy(() -> store.complete(c2, Map.of())).isInstanceOf(LeaseLostException.class);
        assertThat(store.get(c2.taskId()).orElseThrow()).isEqualTo(failed);
        advance(Duration.ofHours(1));
        assertThat(store.claim(LEASE)).isEmpty();

        Task pending = task("c");
        assertThat(store.failAsOperator(pending.id(), "obsolete").status()).isEqualTo(TaskStatus.FAILED);

        // Every fail(error) records the failure whatever its text: a blank error is stored as given (the execution
        // handles' rule), never refused, which would leave the task running (a worker's) or unfailed (an operator's).
        assertThat(store.failAsOperator(task("d").id(), " ")).returns(TaskStatus.FAILED, Task::status).returns(" ", Task::error);
        task("e");
        ClaimedTask c3 = store.claim(LEASE).orElseThrow();
        assertThat(store.fail(c3, "")).returns(TaskStatus.PENDING, Task::status).returns("", Task::error);
        // ... null included: an exception's getMessage() is often null (new IllegalStateException(), most
        // InterruptedExceptions), and fail(claim, e.getMessage()) in a worker's catch must record the attempt, not throw
        // from the catch and leave the task running until its lease expires. The failure is stored without a text:
        // error() reads null (the latest failure had none), the attempt counted, the backoff or the final failure as
        // for any text.
        Task f = store.failAsOperator(task("f").id(), null);
        assertThat(f).returns(TaskStatus.FAILED, Task::status).returns(null, Task::error).returns(clock.instant(), Task::finishedAt);
        assertThat(store.get(f.id()).orElseThrow()).isEqualTo(f);
        Task nulls = store.create(NewTask.of("null-error", Map.of()).maxAttempts(3));
        ClaimedTask n1 = store.claim(LEASE, Set.of("null-error")).orElseThrow();
        assertThat(store.fail(n1, "first")).returns("first", Task::error);
        advance(Duration.ofSeconds(1));
        ClaimedTask n2 = store.claim(LEASE, Set.of("null-error")).orElseThrow();
        Task n2failed = store.fail(n2, null);
        assertThat(n2failed).returns(TaskStatus.PENDING, Task::status).returns(2, Task::attempts).returns(null, Task::error)
                .returns(null, Task::claimId).returns(clock.instant().plus(Duration.ofSeconds(2)), Task::runAfter);
        assertThat(store.get(nulls.id()).orElseThrow()).isEqualTo(n2failed);
        advance(Duration.ofSeconds(2));
        ClaimedTask n3 = store.claim(LEASE, Set.of("null-error")).orElseThrow();
        Task n3failed = store.fail(n3, null, clock.instant());
        assertThat(n3failed).returns(TaskStatus.FAILED, Task::status).returns(3, Task::attempts).returns(null, Task::error)
                .returns(clock.instant(), Task::finishedAt);
        assertThat(store.get(nulls.id()).orElseThrow()).isEqualTo(n3failed);
        assertThatThrownBy(() -> store.fail(n3, null)).isInstanceOf(LeaseLostException.class);

        // ... and whatever it holds, as the handles store it: a worker of the application's own that fails with an
        // exception's text holding a NUL or an unpaired surrogate records the attempt (NUL and the surrogate as U+FFFD)
        // rather than being refused and leaving the task running until its lease expires; an operator's pasted stack
        // trace longer than Limits.MAX_REASON_LENGTH is cut there (never inside a surrogate pair), the task failed.
        task("g");
        ClaimedTask c4 = store.claim(LEASE).orElseThrow();
        String raw = new IllegalStateException("bad\u0000byte\uD800").toString();
        assertThat(store.fail(c4, raw, null)).returns(TaskStatus.PENDING, Task::status).returns(null, Task::claimId)
                .returns("java.lang.IllegalStateException: bad\uFFFDbyte\uFFFD", Task::error);
        assertThat(store.get(c4.taskId()).orElseThrow().error()).isEqualTo("java.lang.IllegalStateException: bad\uFFFDbyte\uFFFD");
        Task h = task("h");
        String trace = "z".repeat(Limits.MAX_REASON_LENGTH - 1) + "\uD83D\uDE00 and more";
        assertThat(store.failAsOperator(h.id(), trace)).returns(TaskStatus.FAILED, Task::status)
                .returns("z".repeat(Limits.MAX_REASON_LENGTH - 1), Task::error);
        assertThat(store.failAsOperator(task("i").id(), "q".repeat(Limits.MAX_REASON_LENGTH + 1)).error())
                .isEqualTo("q".repeat(Limits.MAX_REASON_LENGTH));
    }

    @Test
    @DisplayName("an operator cannot complete or fail a completed, failed or cancelled task: IllegalTransitionException, nothing changes")
    void operatorRefusesFinal() {
        Task completed = store.completeAsOperator(task("a").id(), Map.of("n", 1));
        Task failed = store.failAsOperator(task("a").id(), "no");
        Task cancelled = store.cancel(task("a").id());
        for (Task t : List.of(completed, failed, cancelled)) {
            assertThatThrownBy(() -> store.completeAsOperator(t.id(), Map.of()))
                    .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                        assertThat(e.field()).isEqualTo("status");
                        assertThat(e.from()).isEqualTo(t.status().toString());
                        assertThat(e.to()).isEqualTo("completed");
                    });
            assertThatThrownBy(() -> store.failAsOperator(t.id(), "again"))
                    .isInstanceOfSatisfying(IllegalTransitionException.class, e -> assertThat(e.to()).isEqualTo("failed"));
            assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
        }
        UUID unknown = UUID.randomUUID();
        assertThatThrownBy(() -> store.completeAsOperator(unknown, Map.of())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.failAsOperator(unknown, "x")).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("requeue puts a failed task (attempts exhausted, or failed by an operator) back to pending with its attempts reset; a worker claims and completes it")
    void requeueFailed() {
        Task t = store.create(NewTask.of("a", Map.of("n", 1)).maxAttempts(1));
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Task failed = store.fail(c, "upstream down");
        assertThat(failed.status()).isEqualTo(TaskStatus.FAILED);
        advance(Duration.ofMinutes(1));
        Task requeued = store.requeue(t.id());
        assertThat(requeued).returns(TaskStatus.PENDING, Task::status).returns(0, Task::attempts).returns(1, Task::maxAttempts)
                .returns(clock.instant(), Task::runAfter).returns(clock.instant(), Task::updatedAt).returns(null, Task::startedAt)
                .returns(null, Task::finishedAt).returns(null, Task::claimId).returns(null, Task::leaseExpiresAt)
                .returns("upstream down", Task::error).returns(Map.of("n", 1), Task::payload).returns(t.createdAt(), Task::createdAt);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(requeued);
        // stale holder of the failed attempt stays locked out
        assertThatThrownBy(() -> store.complete(c, Map.of())).isInstanceOf(LeaseLostException.class);
        ClaimedTask again = store.claim(LEASE).orElseThrow();
        assertThat(again.task()).returns(t.id(), Task::id).returns(1, Task::attempts);
        assertThat(store.complete(again, Map.of("ok", true)).status()).isEqualTo(TaskStatus.COMPLETED);

        Task byHand = store.failAsOperator(task("b").id(), "wrong input");
        Task later = store.requeue(byHand.id(), clock.instant().plus(Duration.ofHours(1)));
        assertThat(later).returns(TaskStatus.PENDING, Task::status).returns(clock.instant().plus(Duration.ofHours(1)), Task::runAfter);
        assertThat(store.claim(LEASE)).isEmpty();
        advance(Duration.ofHours(1));
        assertThat(store.claim(LEASE).orElseThrow().taskId()).isEqualTo(byHand.id());
    }

    @Test
    @DisplayName("requeue refuses a pending, running, completed or cancelled task (IllegalTransitionException on status, nothing changes) and an unknown or another tenant's id (NotFoundException)")
    void requeueRefused() {
        Task pending = task("a");
        Task completed = store.completeAsOperator(task("b").id(), Map.of());
        Task cancelled = store.cancel(task("c").id());
        Task running = store.claim(LEASE, Set.of("a")).orElseThrow().task();
        for (Task t : List.of(running, completed, cancelled)) {
            assertThatThrownBy(() -> store.requeue(t.id())).isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                assertThat(e.field()).isEqualTo("status");
                assertThat(e.from()).isEqualTo(t.status().toString());
                assertThat(e.to()).isEqualTo("pending");
            });
            assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
        }
        Task other = task("d");
        assertThatThrownBy(() -> store.requeue(other.id())).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.from()).isEqualTo("pending"));
        assertThat(pending.status()).isEqualTo(TaskStatus.PENDING);
        Task failed = store.failAsOperator(other.id(), "no");
        UUID unknown = UUID.randomUUID();
        assertThatThrownBy(() -> store.requeue(unknown)).isInstanceOf(NotFoundException.class).hasMessageNotContaining("acme");
        assertThatThrownBy(() -> this.other.requeue(failed.id())).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage(catchNotFound(() -> this.other.requeue(unknown)).getMessage().replace(unknown.toString(), failed.id().toString()));
        assertThat(store.get(failed.id()).orElseThrow()).isEqualTo(failed);
    }

    @Test
    @DisplayName("two operators requeue one failed task at once: exactly one succeeds, the other gets IllegalTransitionException from pending")
    void requeueRace() throws Exception {
        for (int round = 0; round < 10; round++) {
            Task failed = store.failAsOperator(task("a").id(), "x");
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Object>> results = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            return store.requeue(failed.id());
                        } catch (IllegalTransitionException e) {
                            return e;
                        }
                    }));
                }
                start.countDown();
                List<Object> outcomes = new ArrayList<>();
                for (Future<Object> f : results) {
                    outcomes.add(f.get(30, TimeUnit.SECONDS));
                }
                assertThat(outcomes).filteredOn(o -> o instanceof Task).hasSize(1);
                assertThat(outcomes).filteredOn(o -> o instanceof IllegalTransitionException).hasSize(1);
            } finally {
                pool.shutdownNow();
            }
            store.cancel(failed.id());
        }
    }

    @Test
    @DisplayName("requeue takes a running task whose worker died on its last attempt (lease expired, no attempts left) as the failed task it is:"
            + " pending with its attempts reset and the reason 'lease expired after N attempts', the dead holder locked out; a live lease or"
            + " one with attempts left is still refused, nothing changed")
    void requeueTaskWhoseWorkerDiedOnItsLastAttempt() throws SQLException {
        Task t = store.create(NewTask.of("a", Map.of("n", 1)).maxAttempts(2));
        ClaimedTask first = store.claim(LEASE).orElseThrow();
        expireLease(first);
        Task live = task("b");
        ClaimedTask liveClaim = store.claim(LEASE, Set.of("b")).orElseThrow();
        // attempts left: it is due and the next claim takes it, so an operator has nothing to requeue
        assertThatThrownBy(() -> store.requeue(t.id())).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> assertThat(e.from()).isEqualTo("running"));
        ClaimedTask last = store.claim(LEASE, Set.of("a")).orElseThrow();
        assertThat(last.task().attempts()).isEqualTo(2);
        Task beforeExpiry = store.get(t.id()).orElseThrow();
        assertThatThrownBy(() -> store.requeue(t.id())).isInstanceOf(IllegalTransitionException.class);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(beforeExpiry);
        expireLease(last);
        Task expired = store.get(t.id()).orElseThrow();
        assertThatThrownBy(() -> this.other.requeue(t.id())).isExactlyInstanceOf(NotFoundException.class);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(expired);
        advance(Duration.ofMinutes(1));
        Task requeued = store.requeue(t.id());
        assertThat(requeued).returns(TaskStatus.PENDING, Task::status).returns(0, Task::attempts).returns(2, Task::maxAttempts)
                .returns(clock.instant(), Task::runAfter).returns(clock.instant(), Task::updatedAt).returns(null, Task::startedAt)
                .returns(null, Task::finishedAt).returns(null, Task::claimId).returns(null, Task::leaseExpiresAt)
                .returns("lease expired after 2 attempts", Task::error).returns(Map.of("n", 1), Task::payload);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(requeued);
        assertThatThrownBy(() -> store.heartbeat(last)).isInstanceOf(LeaseLostException.class)
                .hasMessage("claim: claim " + last.claimId() + " no longer holds task " + t.id() + ": the task went back to pending");
        assertThatThrownBy(() -> store.complete(last, Map.of())).isInstanceOf(LeaseLostException.class);
        // only that task: the other running one is untouched
        assertThat(store.get(live.id()).orElseThrow()).returns(TaskStatus.RUNNING, Task::status).returns(liveClaim.claimId(), Task::claimId);
    }

    @Test
    @DisplayName("a clientKey in a conflict or a batch's repeated key is escaped: a line break or U+202E is shown as \\uXXXX (it was"
            + " quoted raw); a lone surrogate is refused before anything is stored")
    void clientKeyInMessagesIsEscaped() {
        String key = "send-1\nERROR forged\u202e";
        Task first = store.create(NewTask.of("email", Map.of()).clientKey(key));
        assertThat(catchThrowableOfType(dev.atlas.ConflictException.class, () -> store.create(NewTask.of("sms", Map.of()).clientKey(key)))
                .getMessage()).isEqualTo("clientKey: 'send-1\\u000aERROR forged\\u202e' already names task " + first.id()
                        + " with another kind, payload, conversation, message, owner or maxAttempts; use a new key for new work");
        NewTask again = NewTask.of("email", Map.of()).clientKey("k\u2028");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.createAll(List.of(again, again))).getMessage())
                .isEqualTo("tasks: client key 'k\\u2028' is used by tasks 0 and 1 of this call; one key names one task");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> NewTask.of("email", Map.of()).clientKey("k\uDC00")).getMessage())
                .isEqualTo("clientKey: contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode");
        assertThat(store.list(TaskQuery.all()).items()).containsExactly(first);
    }

    @Test
    @DisplayName("a TaskWorker handler kind registered twice is named escaped in the ConfigurationException (it was quoted raw)")
    void handlerKindInConfigurationErrorIsEscaped() {
        TaskWorker.Builder builder = TaskWorker.builder(store).handler("mail\n\u202e", t -> Map.of());
        assertThat(catchThrowableOfType(dev.atlas.ConfigurationException.class, () -> builder.handler("mail\n\u202e", t -> Map.of())))
                .hasMessage("a handler for kind 'mail\\u000a\\u202e' is already registered");
        assertThat(catchThrowableOfType(dev.atlas.ConfigurationException.class, () -> builder.handler("m\uD800", t -> Map.of())))
                .hasMessage("handler kind is not a kind a task can have: kind: contains an unpaired UTF-16 surrogate at index 1; text must"
                        + " be valid Unicode");
    }

    @Test
    @DisplayName("create with a clientKey is idempotent: the same key and task return the first task as it is now (nothing more stored),"
            + " runAfter aside; another kind, payload, conversation, owner or maxAttempts under the key is a ConflictException naming"
            + " clientKey (nothing stored); keys are per tenant and exact")
    void clientKeyMakesCreateIdempotent() {
        NewTask send = NewTask.of("email", Map.of("to", "a@example.com", "n", 1)).owner(ALICE).maxAttempts(4).clientKey("send-1");
        Task first = store.create(send);
        assertThat(first.clientKey()).isEqualTo("send-1");
        assertThat(store.get(first.id()).orElseThrow()).isEqualTo(first);
        assertThat(task("plain").clientKey()).isNull();
        advance(Duration.ofMinutes(1));
        assertThat(store.create(send)).isEqualTo(first);
        assertThat(store.create(send.runAfter(clock.instant().plus(Duration.ofHours(1))))).isEqualTo(first);
        // the retry after the work began sees the task as it is now
        ClaimedTask claim = store.claim(LEASE, Set.of("email")).orElseThrow();
        assertThat(store.create(send)).isEqualTo(store.get(first.id()).orElseThrow()).returns(TaskStatus.RUNNING, Task::status);
        Task done = store.complete(claim, Map.of("ok", true));
        assertThat(store.create(send)).isEqualTo(done);
        for (NewTask different : List.of(send.maxAttempts(5), NewTask.of("sms", send.payload()).owner(ALICE).maxAttempts(4).clientKey("send-1"),
                NewTask.of("email", Map.of("to", "b@example.com", "n", 1)).owner(ALICE).maxAttempts(4).clientKey("send-1"),
                NewTask.of("email", Map.of("to", "a@example.com", "n", 1.5)).owner(ALICE).maxAttempts(4).clientKey("send-1"),
                send.owner(null), send.owner(Owner.user("bob")), send.forConversation(UUID.randomUUID()))) {
            assertThatThrownBy(() -> store.create(different)).isInstanceOfSatisfying(dev.atlas.ConflictException.class,
                    e -> assertThat(e.field()).isEqualTo("clientKey")).hasMessageContaining(first.id().toString());
        }
        assertThat(store.list(TaskQuery.all()).items()).hasSize(2);
        // payloads compare as the JSON values they read back as: 1 and 1L are one number, 1 and 1.0 two
        Task counted = store.create(NewTask.of("count", Map.of("n", 1, "deep", Map.of("l", List.of(1, "x")))).clientKey("count-1"));
        assertThat(store.create(NewTask.of("count", Map.of("deep", Map.of("l", List.of(1L, "x")), "n", 1L)).clientKey("count-1")))
                .isEqualTo(counted);
        assertThatThrownBy(() -> store.create(NewTask.of("count", Map.of("n", 1.0, "deep", Map.of("l", List.of(1, "x")))).clientKey("count-1")))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientKey"));
        store.cancel(counted.id());
        Task upper = store.create(send.clientKey("SEND-1"));
        assertThat(upper.id()).isNotEqualTo(first.id());
        Task theirs = other.create(send);
        assertThat(theirs.id()).isNotEqualTo(first.id());
        assertThat(other.create(send)).isEqualTo(theirs);
        assertThat(other.list(TaskQuery.all()).items()).containsExactly(theirs);
    }

    @Test
    @DisplayName("createAll with client keys: a held key returns its task in place and the rest are stored; a conflicting one is a"
            + " ConflictException naming tasks[i].clientKey and a key used twice in one call an InvalidInputException on tasks, nothing stored")
    void clientKeysInCreateAll() {
        Task held = store.create(NewTask.of("a", Map.of("n", 1)).clientKey("k1"));
        List<Task> out = store.createAll(List.of(NewTask.of("b", Map.of()).clientKey("k2"), NewTask.of("a", Map.of("n", 1)).clientKey("k1"),
                NewTask.of("c", Map.of())));
        assertThat(out.get(1)).isEqualTo(held);
        assertThat(out.get(0)).returns("k2", Task::clientKey).returns("b", Task::kind);
        assertThat(store.list(TaskQuery.all()).items()).containsExactly(held, out.get(0), out.get(2));
        assertThat(store.createAll(List.of(NewTask.of("b", Map.of()).clientKey("k2")))).containsExactly(out.get(0));
        assertThatThrownBy(() -> store.createAll(List.of(NewTask.of("d", Map.of()).clientKey("k3"), NewTask.of("a", Map.of("n", 2)).clientKey("k1"))))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("tasks[1].clientKey"));
        assertThatThrownBy(() -> store.createAll(List.of(NewTask.of("d", Map.of()).clientKey("k4"), NewTask.of("d", Map.of()).clientKey("k4"))))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("tasks"));
        assertThat(store.list(TaskQuery.all()).items()).hasSize(3);
        // the key is free: a later create stores it
        assertThat(store.create(NewTask.of("d", Map.of()).clientKey("k3")).kind()).isEqualTo("d");
    }

    @Test
    @DisplayName("creates with one client key racing on two Atlas instances store exactly one task, and every caller gets that task")
    void clientKeyRaceAcrossInstances() throws Exception {
        TaskStore second = reopen(b -> b.clock(clock)).tenant("acme").tasks();
        for (int round = 0; round < 5; round++) {
            NewTask send = NewTask.of("email", Map.of("round", round)).clientKey("race-" + round);
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Task>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    TaskStore s = i % 2 == 0 ? store : second;
                    results.add(pool.submit(() -> {
                        start.await();
                        return s.create(send);
                    }));
                }
                start.countDown();
                List<UUID> ids = new ArrayList<>();
                for (Future<Task> f : results) {
                    ids.add(f.get(60, TimeUnit.SECONDS).id());
                }
                assertThat(ids).containsOnly(ids.get(0));
                assertThat(store.list(TaskQuery.all().kind("email")).items()).filteredOn(t -> ("race-" + send.payload().get("round"))
                        .equals(t.clientKey())).extracting(Task::id).containsExactly(ids.get(0));
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(store.list(TaskQuery.all()).items()).hasSize(5);
    }

    @Test
    @DisplayName("createAll of 1,000 keyed tasks runs a fixed number of statements (PostgreSQL takes every key's lock in one): a read of the"
            + " held keys and one insert batch, plus the lock statement on PostgreSQL; a retry of it runs no insert")
    void clientKeyLocksInOneStatement() {
        List<NewTask> many = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            many.add(NewTask.of("bulk", Map.of("i", i)).clientKey("bulk-" + i));
        }
        int lock = atlas.databaseKind() == DatabaseKind.POSTGRESQL ? 1 : 0;
        StatementCounter.Counted<List<Task>> created = StatementCounter.count(atlas, () -> store.createAll(many));
        assertThat(created.statements()).isEqualTo(lock + 2);
        if (lock == 1) {
            // The one statement takes every key's lock: seen from another session while the transaction holds them.
            List<Long> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
            db.statementListener((name, sql) -> {
                if (name.equals("tasks.keyLocks")) {
                    held.add(count("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"));
                }
            });
            try {
                List<NewTask> more = new ArrayList<>();
                for (int i = 0; i < 300; i++) {
                    more.add(NewTask.of("bulk", Map.of("i", i)).clientKey("more-" + i));
                }
                store.createAll(more);
            } finally {
                db.statementListener(null);
            }
            assertThat(held).containsExactly(300L);
            assertThat(count("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")).isZero();
            assertThat(store.createAll(List.of(NewTask.of("bulk", Map.of("i", 1)).clientKey("more-1")))).hasSize(1);
        }
        assertThat(created.result()).hasSize(1_000);
        StatementCounter.Counted<List<Task>> again = StatementCounter.count(atlas, () -> store.createAll(reversed(many)));
        assertThat(again.statements()).isEqualTo(lock + 1);
        assertThat(again.result()).isEqualTo(reversed(created.result()));
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(1_000 + 300L * lock);
    }

    @Test
    @DisplayName("createAll calls sharing 200 client keys in opposite orders race on two Atlas instances without a deadlock: each key is stored"
            + " once and every caller gets the same tasks")
    void clientKeyBatchRaceAcrossInstances() throws Exception {
        TaskStore second = reopen(b -> b.clock(clock)).tenant("acme").tasks();
        List<NewTask> keyed = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            keyed.add(NewTask.of("batch", Map.of("i", i)).clientKey("k-" + i));
        }
        for (int round = 0; round < 3; round++) {
            int r = round;
            List<NewTask> these = keyed.stream().map(t -> t.clientKey(t.clientKey() + "-" + r)).toList();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<Task>>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    TaskStore s = i % 2 == 0 ? store : second;
                    List<NewTask> order = i < 2 ? these : reversed(these);
                    results.add(pool.submit(() -> {
                        start.await();
                        List<Task> out = new ArrayList<>(s.createAll(order));
                        if (order != these) {
                            java.util.Collections.reverse(out);
                        }
                        return out;
                    }));
                }
                start.countDown();
                List<Task> first = results.get(0).get(60, TimeUnit.SECONDS);
                for (Future<List<Task>> f : results) {
                    assertThat(f.get(60, TimeUnit.SECONDS)).extracting(Task::id).isEqualTo(first.stream().map(Task::id).toList());
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(count("SELECT COUNT(*) FROM atlas_tasks")).isEqualTo(600);
    }

    private long count(String sql) {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.PreparedStatement ps = c.prepareStatement(sql);
             java.sql.ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> out = new ArrayList<>(list);
        java.util.Collections.reverse(out);
        return out;
    }

    @Test
    @DisplayName("-0.0 in a task's payload, result and schedule payload reads back as 0.0, as in metadata and settings (JSON numbers are values;"
            + " jsonb has no negative zero): the write returns what a read returns, and a client-key retry with 0.0 or -0.0 is the same task")
    void negativeZeroIsZero() {
        Map<String, Object> given = Map.of("z", -0.0, "nested", List.of(Map.of("z", -0.0)));
        Map<String, Object> read = Map.of("z", 0.0, "nested", List.of(Map.of("z", 0.0)));
        Task t = store.create(NewTask.of("zero", given).clientKey("zero-1"));
        assertThat(t.payload()).isEqualTo(read);
        assertThat(store.require(t.id())).isEqualTo(t);
        assertThat(store.create(NewTask.of("zero", read).clientKey("zero-1"))).isEqualTo(t);
        assertThat(store.create(NewTask.of("zero", given).clientKey("zero-1"))).isEqualTo(t);
        ClaimedTask claim = store.claim(LEASE, Set.of("zero")).orElseThrow();
        assertThat(claim.task().payload()).isEqualTo(read);
        Task done = store.complete(claim, given);
        assertThat(done.result()).isEqualTo(read);
        assertThat(store.require(t.id())).isEqualTo(done);
        assertThat(store.schedule(dev.atlas.task.NewSchedule.every("zero", Duration.ofHours(1), NewTask.of("zero", given))).payload())
                .isEqualTo(read);
        assertThat(store.getSchedule("zero").orElseThrow().payload()).isEqualTo(read);
        assertThat(store.list(TaskQuery.all()).items()).containsExactly(done);
    }

    @Test
    @DisplayName("forConversation takes a plain id, not checked: another tenant's conversation id is accepted exactly as an unknown one (nothing"
            + " revealed) and links nothing (that tenant's listing, export and deletion of the conversation never see the task); a deleted"
            + " conversation's id is accepted too")
    void forConversationIsAPlainId() {
        dev.atlas.conversation.ConversationStore theirs = atlas.tenant("globex").conversations();
        UUID foreign = theirs.create(dev.atlas.conversation.NewConversation.of(ALICE, "support")).id();
        UUID unknown = UUID.randomUUID();
        Task onForeign = store.create(NewTask.of("a", Map.of()).forConversation(foreign));
        Task onUnknown = store.create(NewTask.of("a", Map.of()).forConversation(unknown));
        assertThat(onForeign).usingRecursiveComparison().ignoringFields("id", "conversationId", "createdAt", "updatedAt", "runAfter")
                .isEqualTo(onUnknown);
        assertThat(onForeign.conversationId()).isEqualTo(foreign);
        assertThat(store.forConversation(foreign).items()).containsExactly(onForeign);
        assertThat(other.forConversation(foreign).items()).isEmpty();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        atlas.tenant("globex").portability().exportTo(out, dev.atlas.portability.ExportScope.conversation(foreign));
        assertThat(out.toString(java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain(onForeign.id().toString());
        theirs.delete(foreign);
        assertThat(store.require(onForeign.id())).isEqualTo(onForeign);
        dev.atlas.conversation.ConversationStore mine = atlas.tenant("acme").conversations();
        UUID deleted = mine.create(dev.atlas.conversation.NewConversation.of(ALICE, "support")).id();
        mine.delete(deleted);
        Task onDeleted = store.create(NewTask.of("a", Map.of()).forConversation(deleted));
        assertThat(store.forConversation(deleted).items()).containsExactly(onDeleted);
    }

    @Test
    @DisplayName("TaskWorker.close called from one of its handlers returns false at once (it cannot wait for itself) without interrupting"
            + " that handler, which finishes and reports as usual; the worker then stops claiming and closes in the background")
    void workerClosedFromItsHandler() throws Exception {
        Task stop = store.create(NewTask.of("stop", Map.of()));
        java.util.concurrent.CompletableFuture<String> inHandler = new java.util.concurrent.CompletableFuture<>();
        TaskWorker[] self = new TaskWorker[1];
        CountDownLatch built = new CountDownLatch(1);
        CountDownLatch closedReturned = new CountDownLatch(1);
        TaskWorker worker;
        try (LogCapture logs = LogCapture.start()) {
            worker = TaskWorker.builder(store).pollInterval(Duration.ofMillis(10)).handler("stop", task -> {
                built.await();
                boolean closed = self[0].close(Duration.ofSeconds(30));
                inHandler.complete(closed + ", interrupted " + Thread.currentThread().isInterrupted());
                closedReturned.countDown();
                return Map.of("done", true);
            }).handler("later", task -> Map.of()).start();
            self[0] = worker;
            built.countDown();
            assertThat(inHandler.get(60, TimeUnit.SECONDS)).isEqualTo("false, interrupted false");
            Task later = store.create(NewTask.of("later", Map.of()));
            assertThat(worker.close(Duration.ofSeconds(60))).isTrue();
            assertThat(store.require(stop.id())).returns(TaskStatus.COMPLETED, Task::status).returns(Map.of("done", true), Task::result);
            assertThat(store.require(later.id()).status()).as("no claim after close").isEqualTo(TaskStatus.PENDING);
            assertThat(logs.text()).doesNotContain("were interrupted").doesNotContain("interrupted by close");
        }
    }

    @Test
    @DisplayName("an export carries a task's client key: the imported task keeps it and a create with the key in the new tenant returns it;"
            + " an import whose key another task of the tenant holds is refused with ConflictException, nothing imported; a failure"
            + " recorded without a text (fail(null): a task, an execution, its step and tool call) imports as it was, error null")
    void exportCarriesTaskClientKeys() {
        NewTask send = NewTask.of("email", Map.of("to", "a@example.com")).clientKey("send-1");
        Task t = store.create(send);
        Task failed = store.failAsOperator(store.create(NewTask.of("email", Map.of())).id(), null);
        dev.atlas.execution.ExecutionHandle run = atlas.tenant("acme").executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        dev.atlas.execution.StepHandle step = run.step();
        step.toolCall("c1", "web_search", "{}").fail(null);
        step.fail(null);
        run.fail(null);
        dev.atlas.execution.ExecutionTree tree = atlas.tenant("acme").executions().tree(run.id()).orElseThrow();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        atlas.tenant("acme").portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
        byte[] file = out.toByteArray();
        TaskStore beta = atlas.tenant("beta").tasks();
        atlas.tenant("beta").portability().importFrom(new java.io.ByteArrayInputStream(file));
        assertThat(beta.require(t.id()).clientKey()).isEqualTo("send-1");
        assertThat(beta.create(send).id()).isEqualTo(t.id());
        assertThat(beta.require(failed.id())).returns(TaskStatus.FAILED, Task::status).returns(null, Task::error)
                .returns(failed.finishedAt(), Task::finishedAt);
        dev.atlas.execution.ExecutionTree imported = atlas.tenant("beta").executions().tree(run.id()).orElseThrow();
        for (dev.atlas.execution.ExecutionTree x : List.of(tree, imported)) {
            assertThat(x.execution()).returns(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.Execution::status)
                    .returns(null, dev.atlas.execution.Execution::error).returns(tree.execution().completedAt(),
                            dev.atlas.execution.Execution::completedAt);
            assertThat(x.steps()).extracting(st -> st.status() + " " + st.error()).containsExactly("failed null");
            assertThat(x.toolCalls()).extracting(c -> c.id() + " " + c.status() + " " + c.error())
                    .containsExactly(tree.toolCalls().get(0).id() + " failed null");
        }
        assertThat(beta.list(TaskQuery.all()).items()).hasSize(2);
        TaskStore gamma = atlas.tenant("gamma").tasks();
        Task own = gamma.create(NewTask.of("other", Map.of()).clientKey("send-1"));
        assertThatThrownBy(() -> atlas.tenant("gamma").portability().importFrom(new java.io.ByteArrayInputStream(file)))
                .isInstanceOf(dev.atlas.ConflictException.class);
        assertThat(gamma.list(TaskQuery.all()).items()).containsExactly(own);
    }

    private static NotFoundException catchNotFound(Runnable r) {
        try {
            r.run();
        } catch (NotFoundException e) {
            return e;
        }
        throw new AssertionError("no NotFoundException");
    }

    private static List<UUID> ids(Page<Task> page) {
        return page.items().stream().map(Task::id).toList();
    }

    @Test
    @DisplayName("another tenant cannot read, claim, complete, fail, heartbeat or cancel a task")
    void tenantIsolation() {
        UUID conversation = UUID.randomUUID();
        Task t = store.create(NewTask.of("a", Map.of()).forConversation(conversation));
        assertThat(other.get(t.id())).isEmpty();
        assertThat(other.forConversation(conversation).items()).isEmpty();
        assertThat(other.claim(LEASE)).isEmpty();
        assertThatThrownBy(() -> other.cancel(t.id())).isInstanceOf(NotFoundException.class);
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        assertThatThrownBy(() -> other.complete(c, Map.of())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.fail(c, "x")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.heartbeat(c)).isInstanceOf(NotFoundException.class);
        assertThat(other.list(TaskQuery.all()).items()).isEmpty();
        assertThat(other.list(TaskQuery.withStatus(TaskStatus.RUNNING).kind("a")).items()).isEmpty();
        assertThatThrownBy(() -> other.completeAsOperator(t.id(), Map.of())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.failAsOperator(t.id(), "x")).isInstanceOf(NotFoundException.class);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(c.task());
        assertThat(store.list(TaskQuery.all()).items()).containsExactly(c.task());
    }

    @Test
    @DisplayName("every call with another tenant's task id or claim is a NotFoundException worded as for an unknown one (the id aside),"
            + " and changes nothing: release, fail with retryAt, requeue, heartbeat, complete, fail, cancel, operator calls")
    void foreignIdsRevealNothing() {
        Task t = store.create(NewTask.of("a", Map.of()));
        ClaimedTask mine = store.claim(LEASE).orElseThrow();
        UUID unknownId = UUID.randomUUID();
        ClaimedTask unknown = new ClaimedTask(new Task(unknownId, "globex", mine.task().kind(), mine.task().payload(), null, null, null,
                mine.task().status(), mine.task().attempts(), mine.task().maxAttempts(), mine.task().result(), null, mine.task().runAfter(),
                mine.task().claimId(), mine.task().leaseExpiresAt(), mine.task().createdAt(), mine.task().updatedAt(), mine.task().startedAt(),
                null, null), mine.claimId(), mine.leaseExpiresAt(), mine.leaseDuration());
        Instant retryAt = clock.instant().plus(Duration.ofHours(1));
        Map<String, java.util.function.Function<ClaimedTask, Object>> byClaim = new java.util.LinkedHashMap<>();
        byClaim.put("release", other::release);
        byClaim.put("heartbeat", other::heartbeat);
        byClaim.put("complete", c -> other.complete(c, Map.of()));
        byClaim.put("fail", c -> other.fail(c, "x"));
        byClaim.put("failRetryAt", c -> other.fail(c, "x", retryAt));
        byClaim.forEach((name, call) -> {
            NotFoundException foreign = catchNotFound(() -> call.apply(mine));
            NotFoundException none = catchNotFound(() -> call.apply(unknown));
            assertThat(foreign.getMessage()).as(name).isEqualTo(none.getMessage().replace(unknownId.toString(), t.id().toString()));
        });
        Map<String, java.util.function.Function<UUID, Object>> byId = new java.util.LinkedHashMap<>();
        byId.put("cancel", other::cancel);
        byId.put("requeue", id -> other.requeue(id, retryAt));
        byId.put("completeAsOperator", id -> other.completeAsOperator(id, Map.of()));
        byId.put("failAsOperator", id -> other.failAsOperator(id, "x"));
        byId.put("require", other::require);
        byId.forEach((name, call) -> {
            NotFoundException foreign = catchNotFound(() -> call.apply(t.id()));
            NotFoundException none = catchNotFound(() -> call.apply(unknownId));
            assertThat(foreign.getMessage()).as(name).isEqualTo(none.getMessage().replace(unknownId.toString(), t.id().toString()));
        });
        assertThat(store.require(t.id())).isEqualTo(mine.task());
    }

    @Test
    @DisplayName("forConversation pages through all 1,001 tasks of a conversation, oldest first, with no task lost or repeated")
    void forConversationPages() {
        UUID conversation = UUID.randomUUID();
        List<UUID> all = new ArrayList<>();
        for (int batch = 0; batch < 2; batch++) {
            List<NewTask> tasks = new ArrayList<>();
            for (int i = 0; i < (batch == 0 ? 1000 : 1); i++) {
                tasks.add(NewTask.of("a", Map.of("i", i)).forConversation(conversation));
            }
            store.createAll(tasks).forEach(t -> all.add(t.id()));
            clock.advanceMicros(1);
        }
        store.create(NewTask.of("a", Map.of()).forConversation(UUID.randomUUID()));
        List<UUID> seen = new ArrayList<>();
        Page<Task> page = store.forConversation(conversation, 1000, null);
        seen.addAll(page.items().stream().map(Task::id).toList());
        assertThat(page.items()).hasSize(1000);
        assertThat(page.hasMore()).isTrue();
        page = store.forConversation(conversation, 1000, page.nextCursor().orElseThrow());
        seen.addAll(page.items().stream().map(Task::id).toList());
        assertThat(page.hasMore()).isFalse();
        List<UUID> expected = new ArrayList<>(all.subList(0, 1000).stream().sorted().toList());
        expected.add(all.get(1000));
        assertThat(seen).containsExactlyElementsOf(expected);
        assertThat(store.forConversation(conversation).items()).hasSize(TaskStore.DEFAULT_PAGE_SIZE);

        List<UUID> small = new ArrayList<>();
        String cursor = null;
        do {
            Page<Task> p = store.forConversation(conversation, 61, cursor);
            assertThat(p.items().size()).isLessThanOrEqualTo(61);
            p.items().forEach(t -> small.add(t.id()));
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(small).isEqualTo(seen);
        assertField(() -> store.forConversation(conversation, 0, null), "limit");
        assertField(() -> store.forConversation(conversation, 1001, null), "limit");
        assertField(() -> store.forConversation(conversation, 10, "not-a-cursor"), "cursor");
        assertField(() -> store.forConversation(null, 10, null), "conversationId");
    }

    @Test
    @DisplayName("TaskWorker.close(timeout) returns false once the timeout passes while a handler ignores interruption, and true when none runs")
    void workerCloseTimeout() throws Exception {
        task("stubborn");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        TaskWorker worker = TaskWorker.builder(store)
                .handler("stubborn", task -> {
                    started.countDown();
                    while (true) {
                        try {
                            release.await();
                            return Map.of();
                        } catch (InterruptedException e) {
                            interrupted.countDown();
                        }
                    }
                })
                .pollInterval(Duration.ofMillis(10))
                .start();
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(worker.close(Duration.ofMillis(100))).isFalse();
            assertThat(interrupted.await(30, TimeUnit.SECONDS)).as("close interrupted the handler after the timeout").isTrue();
        } finally {
            release.countDown();
        }
        TaskWorker idle = TaskWorker.builder(store).handler("none", task -> Map.of()).pollInterval(Duration.ofMillis(10)).start();
        assertThat(idle.close(Duration.ofSeconds(30))).isTrue();
        assertField(() -> idle.close(Duration.ofSeconds(-1)), "timeout");
    }

    @Test
    @DisplayName("an Error thrown by the store in a poll or a heartbeat is logged and the worker goes on (a scheduled job that throws is"
            + " never run again): the task is still claimed, kept alive and completed")
    void workerSurvivesErrorsFromTheStore() throws Exception {
        UUID task = store.create(NewTask.of("work", Map.of())).id();
        AtomicInteger claims = new AtomicInteger();
        AtomicInteger heartbeats = new AtomicInteger();
        // The real store, failing its first claim and its first heartbeat as a broken class path or an assertion would.
        TaskStore failingOnce = (TaskStore) java.lang.reflect.Proxy.newProxyInstance(TaskStore.class.getClassLoader(),
                new Class<?>[] {TaskStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("claim") && claims.getAndIncrement() == 0) {
                        throw new NoClassDefFoundError("first claim");
                    }
                    if (method.getName().equals("heartbeat") && heartbeats.getAndIncrement() == 0) {
                        throw new AssertionError("first heartbeat");
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (LogCapture logs = LogCapture.start();
             TaskWorker worker = TaskWorker.builder(failingOnce)
                     .handler("work", t -> {
                         // Runs until a heartbeat after the failed one went through.
                         long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                         while (heartbeats.get() < 2 && System.nanoTime() < deadline) {
                             Thread.onSpinWait();
                             Thread.yield();
                         }
                         return Map.of("heartbeats", heartbeats.get() >= 2);
                     })
                     .pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(1))
                     .start()) {
            await(() -> store.get(task).orElseThrow().status() == TaskStatus.COMPLETED);
            assertThat(logs.text()).contains("first claim").contains("first heartbeat");
        }
        assertThat(store.get(task).orElseThrow().result()).isEqualTo(Map.of("heartbeats", true));
        assertThat(claims.get()).isGreaterThanOrEqualTo(2);
    }

    @Test
    @DisplayName("a worker left running after Atlas closes stops polling with one warning, instead of a failed claim logged every poll")
    void workerStopsPollingOnceAtlasIsClosed() throws Exception {
        try (LogCapture logs = LogCapture.start()) {
            TaskWorker worker = TaskWorker.builder(store).handler("none", task -> Map.of()).pollInterval(Duration.ofMillis(10)).start();
            atlas.close();
            await(() -> logs.text().contains("Atlas was closed; this TaskWorker stops polling"));
            Thread.sleep(300); // some thirty poll intervals: a worker still polling would log its failures now
            String text = logs.text();
            assertThat(text.split("Atlas was closed; this TaskWorker stops polling", -1)).hasSize(2);
            assertThat(text).doesNotContain("Claiming a task failed").doesNotContain("Enqueueing scheduled tasks failed");
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
        }
    }

    @Test
    @DisplayName("a handler that returns after Atlas closed logs one warning line naming the task, not an error with a stack trace:"
            + " the close is the application's own doing, and the task runs again once its lease expires")
    void handlerReturningAfterCloseLogsOneWarning() throws Exception {
        Task t = task("slow");
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (LogCapture logs = LogCapture.start()) {
            TaskWorker worker = TaskWorker.builder(store).handler("slow", task -> {
                running.countDown();
                release.await();
                return Map.of();
            }).pollInterval(Duration.ofMillis(10)).start();
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
            atlas.close();
            release.countDown();
            String line = "Task " + t.id() + " (slow) finished after Atlas was closed; its outcome is not recorded and it runs again"
                    + " when its lease expires";
            await(() -> logs.text().contains(line));
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
            String text = logs.text();
            assertThat(text).doesNotContain("Recording the outcome of task").doesNotContain("AtlasClosedException").doesNotContain("\tat ");
            assertThat(text.split(java.util.regex.Pattern.quote(line), -1)).hasSize(2);
        }
    }

    // ---- one clock for leases (issue 10 item 2) --------------------------------------------

    @Test
    @DisplayName("a second instance whose clock runs an hour ahead cannot claim a task the first holds: leases use the database's clock")
    void skewedClockCannotStealLease() {
        Task t = task("a");
        ClaimedTask held = store.claim(LEASE).orElseThrow();
        MutableClock ahead = new MutableClock(clock.instant().plus(Duration.ofHours(1)));
        TaskStore skewed = reopen(b -> b.clock(ahead)).tenant("acme").tasks();
        assertThat(skewed.claim(LEASE)).isEmpty();
        advance(Duration.ofHours(2));
        assertThat(store.claim(LEASE)).isEmpty();
        assertThat(store.get(t.id()).orElseThrow()).returns(held.claimId(), Task::claimId).returns(1, Task::attempts);
        assertThat(store.complete(held, Map.of()).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("runAfter is the enqueuing instance's time: a task enqueued for now on an instance an hour ahead is not due for an"
            + " instance an hour behind it until that one's clock reaches it, then it is claimed once")
    void runAfterIsComparedWithTheClaimingInstancesClock() {
        MutableClock ahead = new MutableClock(clock.instant().plus(Duration.ofHours(1)));
        Task t = reopen(b -> b.clock(ahead)).tenant("acme").tasks().create(NewTask.of("a", Map.of()));
        assertThat(t.runAfter()).isEqualTo(ahead.instant());
        advance(Duration.ofHours(1).minusNanos(1_000));
        assertThat(store.claim(LEASE)).isEmpty();
        advance(Duration.ofNanos(1_000));
        assertThat(store.claim(LEASE).orElseThrow().taskId()).isEqualTo(t.id());
    }

    @Test
    @DisplayName("a second instance whose clock runs an hour behind claims a task as soon as the database's clock passes its lease")
    void laggingClockClaimsExpiredLease() {
        Task t = task("a");
        ClaimedTask held = store.claim(LEASE).orElseThrow();
        shortenAndOutlive(held);
        MutableClock behind = new MutableClock(clock.instant().minus(Duration.ofHours(1)));
        ClaimedTask taken = reopen(b -> b.clock(behind)).tenant("acme").tasks().claim(LEASE).orElseThrow();
        assertThat(taken.taskId()).isEqualTo(t.id());
        assertThat(taken.task().attempts()).isEqualTo(2);
        assertThatThrownBy(() -> store.complete(held, Map.of())).isInstanceOf(LeaseLostException.class);
    }

    @Test
    @DisplayName("a final fail from an instance whose clock runs an hour behind dates the task finished no earlier than its last change,"
            + " so retention's purge of finished tasks does not come early by the lag")
    void laggingClockFinalFailIsNotPurgedEarly() {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(1));
        ClaimedTask held = store.claim(LEASE).orElseThrow();
        Instant claimed = held.task().updatedAt();
        TaskStore lagging = reopen(b -> b.clock(new MutableClock(claimed.minus(Duration.ofHours(1))))).tenant("acme").tasks();
        Task failed = lagging.fail(held, "boom");
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns(claimed, Task::finishedAt).returns(claimed, Task::updatedAt);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(failed);
        dev.atlas.retention.RetentionPolicy purge = dev.atlas.retention.RetentionPolicy.none().purgeFinishedTasksAfter(Duration.ofDays(1));
        clock.set(claimed.plus(Duration.ofDays(1)));
        assertThat(atlas.tenant("acme").retention().runRetention(purge).counts().getOrDefault("tasks.deleted", 0L)).isZero();
        clock.advanceMicros(1);
        assertThat(atlas.tenant("acme").retention().runRetention(purge).counts()).containsEntry("tasks.deleted", 1L);
        assertThat(store.get(t.id())).isEmpty();
    }

    @Test
    @DisplayName("a task released by an instance whose clock runs an hour ahead is claimable at once by the others: release keeps the task's runAfter as before the claim")
    void releaseUnderClockSkewIsClaimableAtOnce() {
        Task t = task("a");
        MutableClock ahead = new MutableClock(clock.instant().plus(Duration.ofHours(1)));
        TaskStore skewed = reopen(b -> b.clock(ahead)).tenant("acme").tasks();
        ClaimedTask held = skewed.claim(LEASE).orElseThrow();
        assertThat(skewed.release(held)).returns(TaskStatus.PENDING, Task::status).returns(t.runAfter(), Task::runAfter)
                .returns(ahead.instant(), Task::updatedAt);
        ClaimedTask again = store.claim(LEASE).orElseThrow();
        assertThat(again.taskId()).isEqualTo(t.id());
        assertThat(again.task().attempts()).isEqualTo(1);
    }

    // ---- unreadable rows (issue 11 item 1) ---------------------------------------------------

    @Test
    @DisplayName("claim fails unreadable task rows with a reason and claims the next task; reading them names the row")
    void unreadableTaskDoesNotBlockQueue() throws SQLException {
        Task array = task("a");
        clock.advanceMicros(1);
        Task huge = task("a");
        clock.advanceMicros(1);
        Task good = task("a");
        setPayload(array.id(), "[1]");
        setPayload(huge.id(), "{\"n\": 1" + "0".repeat(1200) + "}");

        ClaimedTask claimed = store.claim(LEASE).orElseThrow();
        assertThat(claimed.taskId()).isEqualTo(good.id());
        assertThat(store.claim(LEASE)).isEmpty();
        for (Task bad : List.of(array, huge)) {
            assertThat(rawStatus(bad.id())).isEqualTo("failed");
            assertThat(rawError(bad.id())).startsWith("unreadable task row: payload");
            assertThatThrownBy(() -> store.get(bad.id())).isInstanceOf(UnreadableRowException.class)
                    .hasMessageContaining("tasks row " + bad.id())
                    .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(bad.id().toString()));
        }
        assertThat(store.complete(claimed, Map.of()).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("a listing skips a task row this version cannot read (one WARN naming it per Atlas instance) instead of failing the"
            + " page: the failed tasks list, the one claim failed as unreadable left out; pages stay full; get still names the row")
    void listingSkipsUnreadableTask() throws SQLException {
        Task first = task("a");
        clock.advanceMicros(1);
        Task bad = task("a");
        clock.advanceMicros(1);
        Task last = task("a");
        setPayload(bad.id(), "[1]");
        store.failAsOperator(first.id(), "first");
        store.failAsOperator(last.id(), "last");
        String warnings = capturingStandardError(() -> {
            assertThat(store.claim(LEASE)).isEmpty();
            Page<Task> failed = store.list(TaskQuery.all().statuses(Set.of(TaskStatus.FAILED)));
            assertThat(failed.items()).extracting(Task::id).containsExactly(first.id(), last.id());
            assertThat(failed.hasMore()).isFalse();
            Page<Task> one = store.list(TaskQuery.all().limit(1));
            assertThat(one.items()).extracting(Task::id).containsExactly(first.id());
            Page<Task> two = store.list(TaskQuery.all().limit(1).after(one.nextCursor().orElseThrow()));
            assertThat(two.items()).extracting(Task::id).containsExactly(last.id());
            assertThat(two.hasMore()).isFalse();
        });
        assertThat(rawStatus(bad.id())).isEqualTo("failed");
        assertThat(warnings.lines().filter(l -> l.contains("WARN") && l.contains(bad.id().toString())).count())
                .as("warnings naming the row in:\n" + warnings).isEqualTo(1);
        assertThatThrownBy(() -> store.get(bad.id())).isInstanceOf(UnreadableRowException.class)
                .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(bad.id().toString()));
    }

    @Test
    @DisplayName("a listing that cannot page past skipped rows (SQLite: a created_at stored as text reads as 2024 us but sorts after"
            + " every number) fails naming the row and column, where it read the rows before it again: a page held the same task twice,"
            + " or said more followed when none did, and skipped rows alone came back forever")
    void listingFailsOnRowsItCannotPagePast() throws SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Task good = task("a");
        Task x = task("a");
        Task y = task("a");
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_tasks SET payload = '[1]', created_at = '2024-01-01 00:00:00' WHERE id IN ('"
                    + x.id() + "', '" + y.id() + "')")).isEqualTo(2);
        }
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        AtomicInteger statements = new AtomicInteger();
        // Turns the endless re-reading into a failure of its own instead of a hung test.
        db.statementListener((name, sql) -> {
            if (statements.incrementAndGet() > 100) {
                throw new IllegalStateException("the listing ran over 100 statements");
            }
        });
        Throwable thrown;
        try {
            thrown = org.assertj.core.api.Assertions.catchThrowable(() -> capturingStandardError(() -> store.list(TaskQuery.all().limit(1))));
        } finally {
            db.statementListener(null);
        }
        assertThat(thrown).isInstanceOf(UnreadableRowException.class).hasMessageContaining("created_at");
        assertThat(((UnreadableRowException) thrown).rowId()).isEqualTo(x.id().toString());
        assertThat(((UnreadableRowException) thrown).table()).isEqualTo("tasks");
        assertThat(store.list(TaskQuery.all().limit(100)).items()).extracting(Task::id).containsExactly(good.id());
    }

    @Test
    @DisplayName("a listing that meets 1,000 unreadable tasks in a row fails with UnreadableRowException naming the first of them,"
            + " where it read every unreadable row of the tenant at every call (about 2,000 statements for 100,000 rows)")
    void listingStopsAfterOneThousandUnreadableTasksInARow() throws SQLException {
        Task good = task("a");
        clock.advanceMicros(1);
        Task bad = task("a");
        clock.advanceMicros(1);
        Task last = task("a");
        List<String> badIds = new ArrayList<>(List.of(bad.id().toString()));
        String id = atlas.databaseKind() == DatabaseKind.POSTGRESQL ? "CAST(? AS uuid)" : "?";
        // Copies of one row in one batch, all created at its instant: a thousand create() calls only cost time.
        try (Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement copy = c.prepareStatement("INSERT INTO atlas_tasks (tenant_id, id, kind, payload, conversation_id,"
                     + " message_id, owner_type, owner_id, status, attempts, max_attempts, result, error, run_after, claim_id, lease_expires_at,"
                     + " created_at, updated_at, started_at, finished_at, client_key) SELECT tenant_id, " + id + ", kind, payload, conversation_id,"
                     + " message_id, owner_type, owner_id, status, attempts, max_attempts, result, error, run_after, claim_id, lease_expires_at,"
                     + " created_at, updated_at, started_at, finished_at, client_key FROM atlas_tasks WHERE id = " + id);
             Statement st = c.createStatement()) {
            for (int i = 1; i < Limits.MAX_PAGE_SIZE; i++) {
                String copyId = UUID.randomUUID().toString();
                badIds.add(copyId);
                copy.setString(1, copyId);
                copy.setString(2, bad.id().toString());
                copy.addBatch();
            }
            copy.executeBatch();
            assertThat(st.executeUpdate("UPDATE atlas_tasks SET payload = '[1]' WHERE id NOT IN ('" + good.id() + "', '" + last.id() + "')"))
                    .isEqualTo(Limits.MAX_PAGE_SIZE);
        }
        String first = badIds.stream().sorted().findFirst().orElseThrow();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> capturingStandardError(() -> store.list(TaskQuery.all().limit(10))));
        assertThat(thrown).isInstanceOf(UnreadableRowException.class).hasMessageContaining("unreadable rows in a row");
        assertThat(((UnreadableRowException) thrown).table()).isEqualTo("tasks");
        assertThat(((UnreadableRowException) thrown).rowId()).isEqualTo(first);
        // Once the run is deleted, the tasks on both sides of it list again.
        try (Connection c = database.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM atlas_tasks WHERE id = '" + first + "'");
        }
        assertThat(store.list(TaskQuery.all().limit(10)).items()).extracting(Task::id).containsExactly(good.id(), last.id());
    }

    @Test
    @DisplayName("SQLite: a timestamp stored as text ('12abc') or as a fraction of a microsecond is unreadable, naming the table, the row"
            + " and the column, where it read as its number prefix (1970-01-01T00:00:00.000012Z) or cut the fraction off")
    void timestampStoredAsTextOrFractionIsUnreadable() throws SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Task text = task("a");
        Task fraction = task("a");
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_tasks SET run_after = '12abc' WHERE id = '" + text.id() + "'")).isEqualTo(1);
            assertThat(s.executeUpdate("UPDATE atlas_tasks SET updated_at = updated_at + 0.5 WHERE id = '" + fraction.id() + "'")).isEqualTo(1);
        }
        assertThatThrownBy(() -> store.get(text.id())).isInstanceOf(UnreadableRowException.class).hasMessageContaining("run_after")
                .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(text.id().toString()))
                .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("tasks"));
        assertThatThrownBy(() -> store.get(fraction.id())).isInstanceOf(UnreadableRowException.class).hasMessageContaining("updated_at")
                .satisfies(e -> assertThat(((UnreadableRowException) e).rowId()).isEqualTo(fraction.id().toString()))
                .satisfies(e -> assertThat(((UnreadableRowException) e).table()).isEqualTo("tasks"));
    }

    /** Runs {@code body}, returning what it wrote to standard error (where slf4j-simple logs). */
    static String capturingStandardError(Runnable body) {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    // ---- TaskWorker: lost leases, failures, bounded close (issue 10 item 2) -------------------

    @Test
    @DisplayName("TaskWorker interrupts a handler whose lease was lost and writes nothing for it")
    void workerInterruptsHandlerOnLostLease() throws Exception {
        Task t = task("slow");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        AtomicInteger interrupts = new AtomicInteger();
        TaskWorker worker = TaskWorker.builder(store)
                .handler("slow", task -> {
                    started.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        interrupts.incrementAndGet();
                        interrupted.countDown();
                        throw e;
                    }
                    return Map.of();
                })
                .pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(1))
                .start();
        Task cancelled;
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            cancelled = store.cancel(t.id());
            assertThat(interrupted.await(30, TimeUnit.SECONDS)).as("handler interrupted after its lease was lost").isTrue();
        } finally {
            release.countDown();
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(interrupts.get()).isEqualTo(1);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(cancelled);
    }

    // ---- adversarial probes: payload bytes, extreme values, shutdown ---------------------------

    @Test
    @DisplayName("payload edge cases read back exactly as written: control characters, astral code points, the deepest nesting accepted, numbers beyond long and double; NUL and rounded fractions are refused naming payload")
    void payloadEdgeCasesReadBackExactly() {
        Map<String, Object> nested = Map.of("leaf", "bottom");
        for (int i = 0; i < 62; i++) {
            nested = Map.of("n", nested);
        }
        Map<String, Object> payload = new java.util.LinkedHashMap<>();
        payload.put("controls", "\u0001\u001f\u007f\t\n\r\"\\");
        payload.put("astral", "\uD83D\uDE00 \u00e9 \u4e2d");
        payload.put("deep", nested);
        payload.put("maxLong", Long.MAX_VALUE);
        payload.put("minLong", Long.MIN_VALUE);
        payload.put("big", new java.math.BigInteger("123456789012345678901234567890123456789"));
        payload.put("maxDouble", Double.MAX_VALUE);
        payload.put("tiny", Double.MIN_VALUE);
        Task t = store.create(NewTask.of("json", payload));
        Task read = store.get(t.id()).orElseThrow();
        assertThat(read.payload()).isEqualTo(t.payload());
        assertThat(read.payload().get("controls")).isEqualTo("\u0001\u001f\u007f\t\n\r\"\\");
        assertThat(read.payload().get("astral")).isEqualTo("\uD83D\uDE00 \u00e9 \u4e2d");
        assertThat(read.payload().get("deep")).isEqualTo(nested);
        assertThat(String.valueOf(read.payload().get("maxLong"))).isEqualTo(String.valueOf(Long.MAX_VALUE));
        assertThat(String.valueOf(read.payload().get("minLong"))).isEqualTo(String.valueOf(Long.MIN_VALUE));
        assertThat(new java.math.BigDecimal(String.valueOf(read.payload().get("big"))))
                .isEqualTo(new java.math.BigDecimal("123456789012345678901234567890123456789"));
        assertThat(((Number) read.payload().get("maxDouble")).doubleValue()).isEqualTo(Double.MAX_VALUE);
        assertThat(((Number) read.payload().get("tiny")).doubleValue()).isEqualTo(Double.MIN_VALUE);
        // What one of the databases cannot keep is refused on both, not silently changed: NUL (jsonb) and a number a read would round.
        assertField(() -> store.create(NewTask.of("json", Map.of("nul", "a\u0000b"))), "payload");
        assertField(() -> store.create(NewTask.of("json", Map.of("precise", new java.math.BigDecimal("0.1000000000000000000000000000000000001")))),
                "payload");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        assertThat(c.task().payload()).isEqualTo(t.payload());
        assertThat(store.complete(c, payload).result()).isEqualTo(store.get(t.id()).orElseThrow().result());
        assertThat(store.get(t.id()).orElseThrow().result()).isEqualTo(t.payload());
    }

    @Test
    @DisplayName("huge, negative and overflowing durations, instants and attempts are refused naming the field, before any write")
    void extremeValuesRefused() {
        assertField(() -> store.claim(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)), "lease");
        assertField(() -> store.claim(Duration.ofSeconds(Long.MIN_VALUE)), "lease");
        assertField(() -> store.claim(Duration.ofNanos(-1)), "lease");
        assertField(() -> store.claim(Duration.ZERO, Set.of("a")), "lease");
        assertField(() -> NewTask.of("a", Map.of()).runAfter(Instant.MAX), "runAfter");
        assertField(() -> NewTask.of("a", Map.of()).runAfter(Instant.MIN), "runAfter");
        assertField(() -> NewTask.of("a", Map.of()).maxAttempts(Integer.MAX_VALUE), "maxAttempts");
        assertField(() -> NewTask.of("a", Map.of()).maxAttempts(Integer.MIN_VALUE), "maxAttempts");
        assertField(() -> NewTask.of("a", Map.of()).maxAttempts(0), "maxAttempts");
        Task t = task("a");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        assertField(() -> store.fail(c, "x", Instant.MAX), "retryAt");
        assertField(() -> store.fail(c, "x", Instant.MIN), "retryAt");
        ClaimedTask forged = new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), Duration.ofSeconds(Long.MAX_VALUE));
        assertField(() -> store.heartbeat(forged), "lease");
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(c.task());
        // The far ends of the accepted range work and read back as written.
        Task late = store.create(NewTask.of("late", Map.of()).runAfter(dev.atlas.Limits.MAX_INSTANT));
        assertThat(store.get(late.id()).orElseThrow().runAfter()).isEqualTo(dev.atlas.Limits.MAX_INSTANT);
        Task early = store.create(NewTask.of("early", Map.of()).runAfter(dev.atlas.Limits.MIN_INSTANT).maxAttempts(NewTask.MAX_ATTEMPTS));
        assertThat(store.get(early.id()).orElseThrow().runAfter()).isEqualTo(dev.atlas.Limits.MIN_INSTANT);
        ClaimedTask e = store.claim(TaskStore.MAX_LEASE, Set.of("early", "late")).orElseThrow();
        assertThat(e.taskId()).isEqualTo(early.id());
        Task retried = store.fail(e, "again", dev.atlas.Limits.MAX_INSTANT);
        assertThat(retried.runAfter()).isEqualTo(dev.atlas.Limits.MAX_INSTANT);
        assertThat(retried.status()).isEqualTo(TaskStatus.PENDING);
    }

    @Test
    @DisplayName("a lease shorter than TaskStore.MIN_LEASE (1 s: one that runs out before the claim returns lets a second worker take the task at once) or longer than MAX_LEASE is refused naming lease, on claim and heartbeat, with nothing claimed")
    void leaseBounds() {
        Task t = task("a");
        for (Duration bad : List.of(Duration.ofNanos(1_000), Duration.ofMillis(1), TaskStore.MIN_LEASE.minusNanos(1_000),
                Duration.ofDays(365_000), TaskStore.MAX_LEASE.plusNanos(1_000))) {
            assertField(() -> store.claim(bad), "lease");
            assertField(() -> store.claim(bad, Set.of("a")), "lease");
        }
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
        ClaimedTask c = store.claim(TaskStore.MIN_LEASE).orElseThrow();
        assertThat(c.leaseDuration()).isEqualTo(TaskStore.MIN_LEASE);
        assertField(() -> store.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), Duration.ofNanos(1_000))), "lease");
        assertThat(store.get(t.id()).orElseThrow().leaseExpiresAt()).isEqualTo(c.leaseExpiresAt());
        assertThat(store.heartbeat(new ClaimedTask(c.task(), c.claimId(), c.leaseExpiresAt(), TaskStore.MAX_LEASE)).leaseDuration())
                .isEqualTo(TaskStore.MAX_LEASE);
    }

    @Test
    @DisplayName("a worker whose lease ran out and whose task another worker took is refused on complete, fail, release and heartbeat; the new holder's result stands")
    void staleHolderCannotOverwriteNewOwner() throws SQLException {
        Task t = task("a");
        ClaimedTask first = store.claim(LEASE).orElseThrow();
        expireLease(first);
        ClaimedTask second = store.claim(LEASE).orElseThrow();
        Task done = store.complete(second, Map.of("by", "second"));
        for (org.assertj.core.api.ThrowableAssert.ThrowingCallable stale : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(() -> store.complete(first, Map.of("by", "first")), () -> store.fail(first, "late"),
                () -> store.release(first), () -> store.heartbeat(first))) {
            assertThatThrownBy(stale).isInstanceOf(LeaseLostException.class).hasMessageContaining("completed");
        }
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(done).returns(Map.of("by", "second"), Task::result);
    }

    /**
     * Runs {@code first} on one thread and, once it returned, {@code second} on another (a latch orders them): what each
     * returned or threw.
     */
    private Object[] inOrder(java.util.concurrent.Callable<Object> first, java.util.concurrent.Callable<Object> second) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.CountDownLatch firstDone = new java.util.concurrent.CountDownLatch(1);
            Future<Object> a = pool.submit(() -> {
                try {
                    return first.call();
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    firstDone.countDown();
                }
            });
            Future<Object> b = pool.submit(() -> {
                firstDone.await();
                try {
                    return second.call();
                } catch (RuntimeException e) {
                    return e;
                }
            });
            return new Object[] {a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS)};
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an operator's cancel that commits before the holder's complete wins: the complete throws LeaseLostException saying the task is cancelled, and the stored task is the cancel's")
    void cancelBeforeCompleteWins() throws Exception {
        Task t = task("race");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Object[] outcome = inOrder(() -> store.cancel(t.id()), () -> store.complete(c, Map.of("by", "worker")));
        assertThat(outcome[0]).isInstanceOf(Task.class).extracting(o -> ((Task) o).status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(outcome[1]).isExactlyInstanceOf(LeaseLostException.class).asString().contains("the task is cancelled");
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(outcome[0]).returns(Map.of(), Task::result);
    }

    @Test
    @DisplayName("the holder's complete that commits before an operator's cancel wins: the cancel throws IllegalTransitionException on status (completed to cancelled), and the stored task is the complete's")
    void completeBeforeCancelWins() throws Exception {
        Task t = task("race");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Object[] outcome = inOrder(() -> store.complete(c, Map.of("by", "worker")), () -> store.cancel(t.id()));
        assertThat(outcome[0]).isInstanceOf(Task.class).extracting(o -> ((Task) o).status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(outcome[1]).isExactlyInstanceOf(IllegalTransitionException.class)
                .satisfies(e -> assertThat(((IllegalTransitionException) e).field()).isEqualTo("status"))
                .asString().contains("cannot change from completed to cancelled");
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(outcome[0]).returns(Map.of("by", "worker"), Task::result);
    }

    @Test
    @DisplayName("cancel and the holder's complete released together by a barrier, 30 times: exactly one returns a task, the stored task is"
            + " that one, and the other throws the exception of the stored state (cancelled: complete's LeaseLostException 'the task is"
            + " cancelled'; completed: cancel's IllegalTransitionException on status)")
    void cancelRacingCompleteHasOneWinner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 30; i++) {
                Task t = task("race");
                ClaimedTask c = store.claim(LEASE).orElseThrow();
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                Future<Object> cancel = pool.submit(() -> {
                    start.await();
                    try {
                        return store.cancel(t.id());
                    } catch (RuntimeException e) {
                        return e;
                    }
                });
                Future<Object> complete = pool.submit(() -> {
                    start.await();
                    try {
                        return store.complete(c, Map.of("by", "worker"));
                    } catch (RuntimeException e) {
                        return e;
                    }
                });
                Object cancelled = cancel.get(30, TimeUnit.SECONDS);
                Object completed = complete.get(30, TimeUnit.SECONDS);
                Task stored = store.get(t.id()).orElseThrow();
                String round = "round " + i + ": cancel " + cancelled + ", complete " + completed;
                if (stored.status() == TaskStatus.CANCELLED) {
                    assertThat(cancelled).as(round).isEqualTo(stored);
                    assertThat(stored.result()).as(round).isEqualTo(Map.of());
                    assertThat(completed).as(round).isExactlyInstanceOf(LeaseLostException.class).asString().contains("the task is cancelled");
                } else {
                    assertThat(stored.status()).as(round).isEqualTo(TaskStatus.COMPLETED);
                    assertThat(completed).as(round).isEqualTo(stored);
                    assertThat(stored.result()).as(round).isEqualTo(Map.of("by", "worker"));
                    assertThat(cancelled).as(round).isExactlyInstanceOf(IllegalTransitionException.class)
                            .satisfies(e -> assertThat(((IllegalTransitionException) e).field()).isEqualTo("status"))
                            .asString().contains("cannot change from completed to cancelled");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("a result the store cannot keep (NUL, deeper than the nesting limit, an invalid number) is refused naming result; the claim still holds and completes with a good one")
    void unstorableResultKeepsTheClaim() {
        Task t = task("a");
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        Map<String, Object> deep = Map.of("leaf", 1);
        for (int i = 0; i < 200; i++) {
            deep = Map.of("n", deep);
        }
        Map<String, Object> tooDeep = deep;
        assertField(() -> store.complete(c, Map.of("nul", "a\u0000b")), "result");
        assertField(() -> store.complete(c, tooDeep), "result");
        assertField(() -> store.complete(c, Map.of("nan", Double.NaN)), "result");
        assertField(() -> store.completeAsOperator(t.id(), Map.of("nul", "a\u0000b")), "result");
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(c.task());
        assertThat(store.complete(c, Map.of("ok", "\u00e9\uD83D\uDE00")).result()).isEqualTo(Map.of("ok", "\u00e9\uD83D\uDE00"));
        assertThat(store.get(t.id()).orElseThrow().result()).isEqualTo(Map.of("ok", "\u00e9\uD83D\uDE00"));
    }

    @Test
    @DisplayName("claim by kinds takes at most Limits.MAX_PAGE_SIZE kinds: more (70,000: past PostgreSQL's 65,535 bind parameters) is refused naming kinds before any statement, exactly that many claims")
    void claimKindsBounded() {
        Task t = task("k0");
        Set<String> many = new java.util.HashSet<>();
        for (int i = 0; i < 70_000; i++) {
            many.add("k" + i);
        }
        assertField(() -> store.claim(LEASE, many), "kinds");
        Set<String> oneTooMany = new java.util.HashSet<>();
        for (int i = 0; i <= dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            oneTooMany.add("k" + i);
        }
        assertField(() -> store.claim(LEASE, oneTooMany), "kinds");
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(t);
        oneTooMany.remove("k" + dev.atlas.Limits.MAX_PAGE_SIZE);
        assertThat(store.claim(LEASE, oneTooMany).orElseThrow().taskId()).isEqualTo(t.id());
    }

    @Test
    @DisplayName("TaskWorker takes at most Limits.MAX_PAGE_SIZE handlers: the next is a ConfigurationException at build time, not a claim refused at every poll")
    void workerHandlersBounded() {
        TaskWorker.Builder builder = TaskWorker.builder(store);
        for (int i = 0; i < dev.atlas.Limits.MAX_PAGE_SIZE; i++) {
            builder.handler("k" + i, task -> Map.of());
        }
        assertThatThrownBy(() -> builder.handler("one-more", task -> Map.of()))
                .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("1000");
    }

    @Test
    @DisplayName("the backoff after a failed attempt never overflows: attempt 100 of 100 still waits at most 5 minutes")
    void backoffBounded() {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(NewTask.MAX_ATTEMPTS));
        for (int i = 1; i < NewTask.MAX_ATTEMPTS; i++) {
            ClaimedTask c = store.claim(LEASE).orElseThrow();
            Task back = store.fail(c, "again");
            assertThat(back.status()).isEqualTo(TaskStatus.PENDING);
            assertThat(Duration.between(clock.instant(), back.runAfter())).isLessThanOrEqualTo(Duration.ofMinutes(5)).isPositive();
            clock.set(back.runAfter());
        }
        ClaimedTask last = store.claim(LEASE).orElseThrow();
        assertThat(last.task().attempts()).isEqualTo(NewTask.MAX_ATTEMPTS);
        assertThat(store.fail(last, "final").status()).isEqualTo(TaskStatus.FAILED);
        assertThat(store.get(t.id()).orElseThrow().status()).isEqualTo(TaskStatus.FAILED);
    }

    @Test
    @DisplayName("TaskWorker.close that times out and interrupts a handler records the attempt as failed by close() before it returns:"
            + " with attempts left the task is retried, with none it is failed, so maxAttempts bounds how often a handler runs")
    void workerCloseCountsTheInterruptedAttempt() throws Exception {
        Task once = store.create(NewTask.of("slow", Map.of("n", 1)).maxAttempts(1));
        Task twice = store.create(NewTask.of("slow", Map.of("n", 2)).maxAttempts(2));
        CountDownLatch started = new CountDownLatch(2);
        AtomicInteger runs = new AtomicInteger();
        TaskWorker worker = TaskWorker.builder(store)
                .handler("slow", task -> {
                    runs.incrementAndGet();
                    started.countDown();
                    new CountDownLatch(1).await();
                    return Map.of();
                })
                .concurrency(2)
                .pollInterval(Duration.ofMillis(10))
                .start();
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(worker.close(Duration.ofMillis(100))).isFalse();

        // Read at once: close() returned only after the interrupted handlers recorded their attempts.
        Task failed = store.get(once.id()).orElseThrow();
        assertThat(failed).returns(TaskStatus.FAILED, Task::status).returns(1, Task::attempts).returns(null, Task::claimId);
        assertThat(failed.error()).startsWith("interrupted by TaskWorker.close(): ");
        Task retried = store.get(twice.id()).orElseThrow();
        assertThat(retried).returns(TaskStatus.PENDING, Task::status).returns(1, Task::attempts).returns(null, Task::claimId);
        assertThat(retried.error()).startsWith("interrupted by TaskWorker.close(): ");
        assertThat(runs.get()).isEqualTo(2);
    }

    @Test
    @DisplayName("release gives a held task back unrun (pending now, attempt uncounted); only the lease holder may, else LeaseLostException; another tenant's is NotFoundException")
    void release() {
        Task t = store.create(NewTask.of("a", Map.of()).maxAttempts(1));
        ClaimedTask c = store.claim(LEASE).orElseThrow();
        assertThatThrownBy(() -> other.release(c)).isInstanceOf(NotFoundException.class);
        clock.advanceMicros(7);
        Task back = store.release(c);
        assertThat(back).returns(TaskStatus.PENDING, Task::status).returns(0, Task::attempts).returns(null, Task::claimId)
                .returns(null, Task::leaseExpiresAt).returns(null, Task::startedAt).returns(t.runAfter(), Task::runAfter)
                .returns(clock.instant(), Task::updatedAt);
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(back);
        assertThatThrownBy(() -> store.release(c)).isInstanceOf(LeaseLostException.class);
        ClaimedTask next = store.claim(LEASE).orElseThrow();
        assertThatThrownBy(() -> store.release(c)).isInstanceOf(LeaseLostException.class);
        assertThat(store.complete(next, Map.of()).attempts()).isEqualTo(1);
        assertField(() -> store.release(null), "claim");
    }

    @Test
    @DisplayName("two Atlas instances on one database, 2 workers each, leases that sometimes run out mid-task: each task is completed by exactly one holder, every stale holder gets LeaseLostException")
    void twoInstancesRacingExpiringLeases() throws Exception {
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            batch.add(NewTask.of("race", Map.of("i", i)).maxAttempts(NewTask.MAX_ATTEMPTS));
        }
        List<UUID> ids = store.createAll(batch).stream().map(Task::id).toList();
        TaskStore second = reopen(b -> b.clock(clock)).tenant("acme").tasks();
        ConcurrentHashMap<UUID, AtomicInteger> completions = new ConcurrentHashMap<>();
        AtomicInteger lost = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                TaskStore mine = w % 2 == 0 ? store : second;
                int worker = w;
                workers.add(pool.submit(() -> {
                    int n = 0;
                    while (true) {
                        var claim = mine.claim(Duration.ofMinutes(5));
                        if (claim.isEmpty()) {
                            if (ids.stream().allMatch(id -> completions.containsKey(id))) {
                                return null;
                            }
                            Thread.onSpinWait();
                            continue;
                        }
                        // Every third claim's lease runs out before the worker reports: another may take the task meanwhile.
                        if ((n++ + worker) % 3 == 0) {
                            expireLease(claim.get());
                        }
                        try {
                            if (n % 5 == 0) {
                                mine.heartbeat(claim.get());
                            }
                            mine.complete(claim.get(), Map.of("by", worker));
                            completions.computeIfAbsent(claim.get().taskId(), k -> new AtomicInteger()).incrementAndGet();
                        } catch (LeaseLostException e) {
                            lost.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : workers) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(completions.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(completions.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
        assertThat(store.list(TaskQuery.withStatus(TaskStatus.COMPLETED).limit(1000)).items()).hasSize(120);
    }

    @Test
    @DisplayName("TaskWorker interrupts a handler whose task was deleted while it ran (its owner erased) and writes nothing for it")
    void workerInterruptsHandlerOfDeletedTask() throws Exception {
        Task t = store.create(NewTask.of("slow", Map.of()).owner(ALICE));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        TaskWorker worker = TaskWorker.builder(store)
                .handler("slow", task -> {
                    started.countDown();
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        interrupted.countDown();
                        throw e;
                    }
                    return Map.of();
                })
                .pollInterval(Duration.ofMillis(10)).lease(Duration.ofSeconds(1))
                .start();
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(atlas.tenant("acme").portability().eraseOwner(ALICE, false).counts()).containsEntry("tasks", 1L);
            assertThat(interrupted.await(30, TimeUnit.SECONDS)).as("handler interrupted once its task was gone").isTrue();
        } finally {
            assertThat(worker.close(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(store.get(t.id())).isEmpty();
    }

    @Test
    @DisplayName("a clean TaskWorker.close with tasks in flight: every task ran at most once, none is left running, failed or claimed; the rest are pending and run once by the next worker")
    void cleanCloseWithTasksInFlight() throws Exception {
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            batch.add(NewTask.of("work", Map.of("i", i)).maxAttempts(1));
        }
        List<UUID> ids = store.createAll(batch).stream().map(Task::id).toList();
        ConcurrentHashMap<UUID, AtomicInteger> runs = new ConcurrentHashMap<>();
        CountDownLatch some = new CountDownLatch(10);
        TaskWorker.Handler handler = task -> {
            runs.computeIfAbsent(task.id(), k -> new AtomicInteger()).incrementAndGet();
            some.countDown();
            Thread.sleep(5);
            return Map.of();
        };
        TaskWorker first = TaskWorker.builder(store).handler("work", handler).concurrency(4).pollInterval(Duration.ofMillis(10)).start();
        assertThat(some.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.close(Duration.ofSeconds(30))).isTrue();
        List<Task> after = store.list(TaskQuery.all().limit(1000)).items();
        assertThat(after).allSatisfy(t -> assertThat(t.status()).isIn(TaskStatus.COMPLETED, TaskStatus.PENDING));
        assertThat(after).filteredOn(t -> t.status() == TaskStatus.PENDING).allSatisfy(t -> assertThat(runs).doesNotContainKey(t.id()));
        assertThat(after).filteredOn(t -> t.status() == TaskStatus.COMPLETED).allSatisfy(t -> assertThat(runs).containsKey(t.id()));

        TaskWorker second = TaskWorker.builder(store).handler("work", handler).concurrency(4).pollInterval(Duration.ofMillis(10)).start();
        try {
            await(() -> store.list(TaskQuery.withStatus(TaskStatus.COMPLETED).limit(1000)).items().size() == ids.size());
        } finally {
            assertThat(second.close(Duration.ofSeconds(30))).isTrue();
        }
        assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    }

    @Test
    @DisplayName("TaskWorker refuses a handler kind no task can have (over 255 characters, a NUL, an unpaired surrogate) with ConfigurationException naming kind when configured, not a claim that fails at every poll")
    void workerRefusesUnstorableKinds() {
        for (String kind : List.of("k".repeat(256), "a\u0000b", "a\uD800")) {
            assertThatThrownBy(() -> store.create(NewTask.of(kind, Map.of()))).isInstanceOf(InvalidInputException.class);
            assertThatThrownBy(() -> TaskWorker.builder(store).handler(kind, task -> Map.of()))
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("kind");
        }
        String longest = "k".repeat(255);
        store.create(NewTask.of(longest, Map.of()));
        TaskWorker worker = TaskWorker.builder(store).handler(longest, task -> Map.of("done", true)).pollInterval(Duration.ofMillis(10)).start();
        try {
            await(() -> store.list(TaskQuery.withStatus(TaskStatus.COMPLETED)).items().size() == 1);
        } finally {
            worker.close();
        }
    }

    @Test
    @DisplayName("TaskWorker settings refuse durations too large for milliseconds with ConfigurationException naming the setting, never ArithmeticException")
    void workerRefusesOverflowingDurations() {
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        for (Duration d : List.of(huge, Duration.ofSeconds(Long.MIN_VALUE))) {
            assertThatThrownBy(() -> TaskWorker.builder(store).pollInterval(d))
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("pollInterval");
            assertThatThrownBy(() -> TaskWorker.builder(store).lease(d))
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("lease");
        }
        TaskWorker idle = TaskWorker.builder(store).handler("none", task -> Map.of()).pollInterval(Duration.ofMillis(10)).start();
        assertThat(idle.close(huge)).isTrue();
    }

    private Instant databaseNow() {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            if (atlas.databaseKind() == DatabaseKind.POSTGRESQL) {
                try (ResultSet rs = s.executeQuery("SELECT now()")) {
                    rs.next();
                    return rs.getObject(1, OffsetDateTime.class).toInstant();
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT CAST(ROUND(unixepoch('subsec') * 1000) AS INTEGER)")) {
                rs.next();
                return Instant.ofEpochMilli(rs.getLong(1));
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until the database's own clock reads {@code t} or later, so a lease ending at {@code t} has expired. */
    private void awaitDatabaseClockPast(Instant t) {
        await(() -> !databaseNow().isBefore(t));
    }

    /** Shortens a held lease to {@link #SHORT} through the public API and waits until it has run out. */
    private void shortenAndOutlive(ClaimedTask claim) {
        ClaimedTask shortened = store.heartbeat(new ClaimedTask(claim.task(), claim.claimId(), claim.leaseExpiresAt(), SHORT));
        awaitDatabaseClockPast(shortened.leaseExpiresAt());
    }

    /** Ends a lease as if its time had run out ({@link Leases#expire}). */
    private void expireLease(ClaimedTask claim) throws SQLException {
        Leases.expire(atlas, database, claim);
    }

    private void setPayload(UUID id, String json) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_tasks SET payload = '" + json + "' WHERE id = '" + id + "'")).isEqualTo(1);
        }
    }

    private String rawStatus(UUID id) throws SQLException {
        return rawColumn(id, "status");
    }

    private String rawError(UUID id) throws SQLException {
        return rawColumn(id, "error");
    }

    private String rawColumn(UUID id, String column) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + column + " FROM atlas_tasks WHERE id = '" + id + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within 30 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static void assertField(Executable call, String field) {
        AssistantStoreContract.assertField(call, field);
    }

    @Test
    @DisplayName("a task's message must be a live message of the task's conversation in this tenant, checked in create and createAll, nothing written otherwise")
    void taskMessageIsChecked() {
        dev.atlas.conversation.ConversationStore acme = atlas.tenant("acme").conversations();
        dev.atlas.conversation.ConversationStore globex = atlas.tenant("globex").conversations();
        UUID c1 = acme.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID c2 = acme.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID m2 = acme.append(c2, dev.atlas.conversation.NewMessage.user("x")).id();
        UUID theirs = globex.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID theirMessage = globex.append(theirs, dev.atlas.conversation.NewMessage.user("secret")).id();
        UUID unknown = UUID.randomUUID();
        for (NewTask bad : List.of(NewTask.of("k", Map.of()).forMessage(c1, unknown), NewTask.of("k", Map.of()).forMessage(theirs, theirMessage))) {
            assertThatThrownBy(() -> store.create(bad)).isExactlyInstanceOf(NotFoundException.class)
                    .satisfies(e -> assertThat(((NotFoundException) e).field()).contains("messageId"));
            assertThatThrownBy(() -> store.createAll(List.of(NewTask.of("ok", Map.of()), bad))).isExactlyInstanceOf(NotFoundException.class)
                    .satisfies(e -> assertThat(((NotFoundException) e).field()).contains("tasks[1].messageId"));
        }
        assertThatThrownBy(() -> store.createAll(List.of(NewTask.of("ok", Map.of()), NewTask.of("k", Map.of()).forMessage(c1, m2))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("tasks[1].messageId"));
        assertThat(store.list(TaskQuery.all()).items()).isEmpty();
        assertThat(store.create(NewTask.of("k", Map.of()).forMessage(c2, m2)).messageId()).isEqualTo(m2);
    }

    @Test
    @DisplayName("createAll names a task whose message is unknown, another tenant's or of another conversation by its place, tasks[i].messageId (as a bad payload names tasks[i].payload), worded as for an unknown id, and stores none of the call's tasks; create names messageId")
    void createAllNamesTheBadMessageByItsPlace() {
        dev.atlas.conversation.ConversationStore acme = atlas.tenant("acme").conversations();
        dev.atlas.conversation.ConversationStore globex = atlas.tenant("globex").conversations();
        UUID c1 = acme.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID m1 = acme.append(c1, dev.atlas.conversation.NewMessage.user("x")).id();
        UUID c2 = acme.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID theirs = globex.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID theirMessage = globex.append(theirs, dev.atlas.conversation.NewMessage.user("secret")).id();
        List<NewTask> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(NewTask.of("batch", Map.of("i", i)).forMessage(c1, m1));
        }
        UUID unknown = UUID.randomUUID();
        for (UUID missing : List.of(unknown, theirMessage)) {
            List<NewTask> bad = new ArrayList<>(batch);
            bad.set(3, NewTask.of("batch", Map.of()).forMessage(missing == unknown ? c1 : theirs, missing));
            NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> store.createAll(bad));
            assertThat(e.field()).hasValue("tasks[3].messageId");
            assertThat(e).hasMessage("tasks[3].messageId: message " + missing + " not found");
            assertThat(catchThrowableOfType(NotFoundException.class, () -> store.create(bad.get(3))).field()).hasValue("messageId");
        }
        List<NewTask> elsewhere = new ArrayList<>(batch);
        elsewhere.set(2, NewTask.of("batch", Map.of()).forMessage(c2, m1));
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> store.createAll(elsewhere));
        assertThat(e.field()).isEqualTo("tasks[2].messageId");
        assertThat(e).hasMessageStartingWith("tasks[2].messageId: ");
        assertField(() -> store.create(elsewhere.get(2)), "messageId");
        assertThat(store.list(TaskQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("a client key stays taken while its finished task exists (another task under it is a ConflictException naming clientKey), is free once retention purged the task (the same key then stores a new, different task, which a retry returns), and never reaches another tenant")
    void clientKeyIsFreeAfterPurge() {
        Task first = store.create(NewTask.of("email", Map.of("to", "a")).clientKey("K"));
        Task theirs = other.create(NewTask.of("sms", Map.of("to", "z")).clientKey("K"));
        ClaimedTask held = store.claim(LEASE).orElseThrow();
        assertThat(held.taskId()).isEqualTo(first.id());
        store.complete(held, Map.of("ok", true));
        assertThatThrownBy(() -> store.create(NewTask.of("email", Map.of("to", "b")).clientKey("K")))
                .isInstanceOf(dev.atlas.ConflictException.class)
                .satisfies(e -> assertThat(((dev.atlas.ConflictException) e).field()).isEqualTo("clientKey"));
        assertThat(store.create(NewTask.of("email", Map.of("to", "a")).clientKey("K"))).isEqualTo(store.require(first.id()));
        advance(Duration.ofDays(2));
        assertThat(atlas.tenant("acme").retention().runRetention(dev.atlas.retention.RetentionPolicy.none()
                .purgeFinishedTasksAfter(Duration.ofDays(1))).counts()).containsEntry("tasks.deleted", 1L);
        assertThat(store.get(first.id())).isEmpty();
        Task second = store.create(NewTask.of("email", Map.of("to", "b")).clientKey("K"));
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second).returns(TaskStatus.PENDING, Task::status).returns(Map.of("to", "b"), Task::payload).returns("K", Task::clientKey);
        assertThat(store.create(NewTask.of("email", Map.of("to", "b")).clientKey("K"))).isEqualTo(store.require(second.id()));
        assertThat(other.require(theirs.id())).isEqualTo(theirs);
        assertThat(store.list(TaskQuery.all()).items()).extracting(Task::id).containsExactly(second.id());
    }

    @Test
    @DisplayName("a cursor of a listing under one filter is refused naming cursor under another (tasks, executions, tool calls, memories, settings, assistants)")
    void cursorOfAnotherFilterIsRefused() {
        dev.atlas.Tenant acme = atlas.tenant("acme");
        for (int i = 0; i < 2; i++) {
            store.create(NewTask.of("a", Map.of()));
            acme.executions().start(dev.atlas.execution.ExecutionSpec.text("p", "m")).toolCall(dev.atlas.execution.NewToolCall.of("c" + i, "lookup", "{}"));
            acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "fact " + i));
            acme.settings().create("s" + i, "S", ALICE);
            acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("slug-" + i, "A").owner(ALICE));
        }
        String tasks = store.list(TaskQuery.all().kind("a").limit(1)).nextCursor().orElseThrow();
        assertField(() -> store.list(TaskQuery.all().kind("b").after(tasks)), "cursor");
        assertField(() -> store.list(TaskQuery.all().statuses(Set.of(TaskStatus.PENDING, TaskStatus.RUNNING)).kind("a").after(tasks)), "cursor");
        assertThat(store.list(TaskQuery.all().kind("a").after(tasks)).items()).hasSize(1);
        String running = store.list(TaskQuery.all().statuses(Set.of(TaskStatus.PENDING, TaskStatus.RUNNING)).limit(1)).nextCursor().orElseThrow();
        assertThat(store.list(TaskQuery.all().statuses(Set.of(TaskStatus.RUNNING, TaskStatus.PENDING)).after(running)).items()).hasSize(1);
        String executions = acme.executions().list(dev.atlas.execution.ExecutionQuery.all().provider("p").limit(1)).nextCursor().orElseThrow();
        assertField(() -> acme.executions().list(dev.atlas.execution.ExecutionQuery.all().provider("q").after(executions)), "cursor");
        String toolCalls = acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all().name("lookup").limit(1)).nextCursor().orElseThrow();
        assertField(() -> acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all().name("search").after(toolCalls)), "cursor");
        String memories = acme.memories().list(dev.atlas.memory.MemoryQuery.forOwner(ALICE).limit(1)).nextCursor().orElseThrow();
        assertField(() -> acme.memories().list(dev.atlas.memory.MemoryQuery.forOwner(Owner.user("bob")).after(memories)), "cursor");
        String settings = acme.settings().list(ALICE, 1, null).nextCursor().orElseThrow();
        assertField(() -> acme.settings().list(Owner.user("bob"), 10, settings), "cursor");
        String assistants = acme.assistants().list(dev.atlas.assistant.AssistantQuery.visibleTo(ALICE).limit(1)).nextCursor().orElseThrow();
        assertField(() -> acme.assistants().list(dev.atlas.assistant.AssistantQuery.visibleTo(Owner.user("bob")).after(assistants)), "cursor");
        assertThat(acme.assistants().list(dev.atlas.assistant.AssistantQuery.visibleTo(ALICE).after(assistants)).items()).hasSize(1);
    }

    @Test
    @DisplayName("after its conversation is erased, a task (pending or held) is NotFoundException on every call, the old holder's included, and nothing of it lists")
    void tasksOfAnErasedConversationAreNotFound() {
        var conversations = atlas.tenant("acme").conversations();
        UUID conversation = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID message = conversations.append(conversation, dev.atlas.conversation.NewMessage.user("hi")).id();
        Task pending = store.create(NewTask.of("a", Map.of()).forMessage(conversation, message));
        Task running = store.create(NewTask.of("b", Map.of()).forConversation(conversation));
        ClaimedTask held = store.claim(LEASE, Set.of("b")).orElseThrow();
        atlas.tenant("acme").portability().eraseConversation(conversation, false);
        assertThat(store.get(pending.id())).isEmpty();
        assertThat(store.get(running.id())).isEmpty();
        assertThat(store.forConversation(conversation).items()).isEmpty();
        for (Executable e : List.<Executable>of(() -> store.cancel(pending.id()), () -> store.completeAsOperator(pending.id(), Map.of()),
                () -> store.failAsOperator(pending.id(), "x"), () -> store.complete(held, Map.of()), () -> store.fail(held, "x"),
                () -> store.heartbeat(held), () -> store.release(held), () -> store.fail(held, "x", clock.instant()))) {
            assertThatThrownBy(e::execute).isInstanceOf(NotFoundException.class);
        }
        assertThatThrownBy(() -> store.create(NewTask.of("a", Map.of()).forMessage(conversation, message))).isInstanceOf(NotFoundException.class)
                .hasMessageContaining("messageId");
        assertThat(store.list(TaskQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("a ClaimedTask the caller built around a task with no id is refused naming claim.taskId on complete, fail, heartbeat and release, before any statement (not a NotFoundException for task null)")
    void claimWithoutTaskIdRefused() {
        Task t = task("a");
        ClaimedTask held = store.claim(LEASE).orElseThrow();
        Task h = held.task();
        Task noId = new Task(null, h.tenantId(), h.kind(), h.payload(), h.conversationId(), h.messageId(), h.owner(), h.status(), h.attempts(),
                h.maxAttempts(), h.result(), h.error(), h.runAfter(), h.claimId(), h.leaseExpiresAt(), h.createdAt(), h.updatedAt(),
                h.startedAt(), h.finishedAt());
        ClaimedTask forged = new ClaimedTask(noId, held.claimId(), held.leaseExpiresAt(), held.leaseDuration());
        for (Executable e : List.<Executable>of(() -> store.complete(forged, Map.of()), () -> store.fail(forged, "x"),
                () -> store.fail(forged, "x", clock.instant()), () -> store.heartbeat(forged), () -> store.release(forged))) {
            assertThat(StatementCounter.count(atlas, () -> {
                assertField(e, "claim.taskId");
                return null;
            }).statements()).isZero();
        }
        assertThat(store.get(t.id()).orElseThrow()).isEqualTo(held.task());
    }
}
