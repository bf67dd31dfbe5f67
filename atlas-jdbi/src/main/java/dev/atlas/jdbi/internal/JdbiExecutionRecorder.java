package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionBody;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.SweepResult;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Transition;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/** {@link ExecutionRecorder} on the statement layer: every statement runs through the tenant-bound {@link Sql} runner. */
public final class JdbiExecutionRecorder implements ExecutionRecorder {
    static final String INTERRUPTED = "interrupted";
    /** The largest cost the cost_pico column holds: 9,223,372.036854775807 currency units. */
    private static final BigInteger MAX_PICO = BigInteger.valueOf(Long.MAX_VALUE);
    /** Up to this many tokens no price (at most {@link Limits#MAX_PRICE_PER_MILLION}) reaches {@link #MAX_PICO}: no look-up needed. */
    static final long ALWAYS_FITS = Long.MAX_VALUE / ModelPrice.micros(Limits.MAX_PRICE_PER_MILLION);

    final Db db;
    final String tenant;
    final Sql sql;
    final ExecutionSql q;
    private final PriceSql prices;
    final JdbiConversationStore conversations;
    private final RowMapper<Execution> executions;
    final RowMapper<ToolCall> toolCalls;
    final ExecutionEvents events;

    /** {@code listeners} hear every stored change after its commit (see {@link ExecutionEvents}). */
    public JdbiExecutionRecorder(Db db, String tenant, JdbiConversationStore conversations, List<ExecutionListener> listeners) {
        this.events = new ExecutionEvents(listeners);
        this.db = db;
        this.tenant = tenant;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(ExecutionSql.class, ExecutionSql::new);
        this.prices = db.statements(PriceSql.class, PriceSql::new);
        this.conversations = conversations;
        this.executions = ExecutionRows.execution(db.dialect());
        this.toolCalls = ExecutionRows.toolCall(db.dialect());
    }

    // ---- recording ----------------------------------------------------------------------

    @Override
    public <T, X extends Exception> T record(ExecutionSpec spec, ExecutionBody<T, X> body) throws X {
        Check.notNull("body", body);
        JdbiExecutionHandle handle = (JdbiExecutionHandle) start(spec);
        try {
            T result = body.run(handle);
            if (!handle.isFinished()) {
                handle.complete();
            }
            return result;
        } catch (Throwable e) {
            // Also when the complete was refused (a cost that cannot be stored): nobody else would end the run.
            // Precise rethrow: the compiler knows e can only be an X, an unchecked exception or an error here.
            recordFailure(handle, e);
            throw e;
        }
    }

    /**
     * Ends {@code handle} failed with {@code cause}'s message (the message of the cause of a
     * {@link CompletionException} or {@link ExecutionException}, as {@link #recordAsync} unwraps
     * them), or cancelled when the cause is a
     * {@link CancellationException} (the call was stopped, it did not fail), also as the cause of a
     * {@link CompletionException} or {@link ExecutionException} (a body joining or getting a
     * dependent stage of a cancelled future, as {@link #recordAsync} unwraps them), unless it ended
     * already or is gone; an error doing so is suppressed in {@code cause}.
     */
    private void recordFailure(JdbiExecutionHandle handle, Throwable cause) {
        try {
            // The wrapped failure's own message: a CompletionException's is its cause's class and message.
            Throwable failure = unwrap(cause);
            if (!handle.isFinished() && !refusedAsGone(handle, failure)) {
                String m = failure.getMessage();
                if (failure instanceof CancellationException) {
                    handle.cancel();
                } else {
                    handle.failEndingTheRun(m == null || m.isBlank() ? failure.getClass().getName() : m);
                }
            }
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /**
     * Whether {@code failure} refused a call because {@code handle}'s run is gone (erased or
     * purged, {@link #gone}): nothing is left to end, and a fail would be refused the same way,
     * suppressed into the first. Read to be sure: another tenant's view refuses that id alike
     * while the run is there to fail. One read instead of the fail's write transaction.
     */
    private boolean refusedAsGone(JdbiExecutionHandle handle, Throwable failure) {
        return failure instanceof NotFoundException n && n.field().filter("executionId"::equals).isPresent() && handle.id().equals(n.id())
                && db.read(h -> find(h, handle.id())).isEmpty();
    }

    @Override
    public <T> CompletableFuture<T> recordAsync(ExecutionSpec spec, Function<ExecutionHandle, CompletableFuture<T>> body) {
        Check.notNull("body", body);
        JdbiExecutionHandle handle = (JdbiExecutionHandle) start(spec);
        CompletableFuture<T> call;
        try {
            call = Check.notNull("body result", body.apply(handle));
        } catch (Throwable e) {
            // Throwable, not RuntimeException: Kotlin or @SneakyThrows bodies throw checked exceptions undeclared.
            // Unwrapped as a returned future's failure is: the caller gets the same exception either way.
            Throwable failure = unwrap(e);
            recordFailure(handle, failure);
            return CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<T> recorded = new CompletableFuture<>();
        // A caller cancelling the returned future stops the call too, which then ends the execution cancelled.
        recorded.whenComplete((value, error) -> {
            if (recorded.isCancelled()) {
                call.cancel(true);
            }
        });
        call.whenComplete((value, error) -> {
            Throwable failure = error == null ? null : unwrap(error);
            if (failure == null) {
                try {
                    if (!handle.isFinished()) {
                        handle.complete();
                    }
                    recorded.complete(value);
                    return;
                } catch (Throwable refused) {
                    failure = refused; // ended failed below, as record ends a run whose complete was refused
                }
            }
            recordFailure(handle, failure);
            recorded.completeExceptionally(failure);
        });
        return recorded;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public ExecutionHandle start(ExecutionSpec spec) {
        return started(insert(spec, ExecutionStatus.PROCESSING));
    }

    private ExecutionHandle started(Execution e) {
        events.fire("started", l -> l.started(tenant, e));
        return new JdbiExecutionHandle(this, e);
    }

    @Override
    public Execution create(ExecutionSpec spec) {
        return insert(spec, ExecutionStatus.PENDING);
    }

    private Execution insert(ExecutionSpec spec, ExecutionStatus status) {
        Check.notNull("spec", spec);
        JsonDoc metadata = Json.write("metadata", spec.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Instant now = db.now();
            if (spec.conversationId() != null && !sql.on(h, q.conversationLiveForInsert).bind("id", spec.conversationId()).exists()) {
                throw new NotFoundException("conversation", spec.conversationId(), "conversationId");
            }
            // Checked before the insert (the V12 foreign key is the guard behind it) so the caller learns the field; a deleted
            // assistant's revision is refused as ConversationStore.create refuses it.
            if (spec.assistantRevisionId() != null && !sql.on(h, q.revisionLiveForInsert).bind("id", spec.assistantRevisionId()).exists()) {
                throw new NotFoundException("assistant revision", spec.assistantRevisionId(), "assistantRevisionId");
            }
            Instant started = status == ExecutionStatus.PROCESSING ? now : null;
            sql.on(h, q.insert).bind("id", id).bind("conversation", spec.conversationId()).bind("revision", spec.assistantRevisionId())
                    .bind("type", spec.type().toString()).bind("provider", spec.provider()).bind("model", spec.model())
                    .bind("agent", spec.agent()).bind("status", status.toString()).bind("metadata", metadata)
                    .bind("started", started).bind("now", now).bind("ownerType", spec.owner() == null ? null : spec.owner().type())
                    .bind("ownerId", spec.owner() == null ? null : spec.owner().id()).bind("project", spec.project()).update();
            return new Execution(id, tenant, spec.conversationId(), spec.assistantRevisionId(), spec.type(), spec.provider(),
                    spec.model(), spec.agent(), status, Usage.NONE, null, null, Json.readMap(metadata), null, started, null,
                    null, null, now, now, spec.owner(), spec.project());
        });
    }

    private void requireConversation(Handle h, UUID conversationId) {
        if (!sql.on(h, q.conversationExists).bind("id", conversationId).exists()) {
            throw new NotFoundException("conversation", conversationId);
        }
    }

    @Override
    public Execution queue(UUID executionId) {
        return move(executionId, ExecutionStatus.QUEUED, q.queue);
    }

    @Override
    public ExecutionHandle resume(UUID executionId) {
        return started(move(executionId, ExecutionStatus.PROCESSING, q.resume));
    }

    @Override
    public Execution cancel(UUID executionId) {
        Check.notNull("executionId", executionId);
        // A waiting execution never ran: it is cancelled as it is. A running one has spent tokens:
        // it ends as a cancel through its handle does, with its finished steps' usage, cost and duration.
        Execution[] running = new Execution[1];
        Execution e = db.write(h -> {
            Optional<Execution> moved = sql.on(h, q.cancel).bind("id", executionId).bind("now", db.now()).optional(executions);
            // Set on every run of this block: a write retried after a busy database starts over.
            running[0] = moved.isPresent() ? null : find(h, executionId).filter(x -> x.status() == ExecutionStatus.PROCESSING).orElse(null);
            return running[0] != null ? null : Transition.apply(moved, () -> find(h, executionId),
                    () -> new NotFoundException("execution", executionId), current -> current.status().checkMoveTo(ExecutionStatus.CANCELLED));
        });
        if (running[0] != null) {
            return ended(ending(running[0], ExecutionStatus.CANCELLED, null, null, null));
        }
        events.fire("cancelled", l -> l.cancelled(tenant, e));
        return e;
    }

    /**
     * {@link #finish} with the usage and its cost or, when that cost does not fit or its price cannot be read, without
     * them: always ends the run.
     */
    Execution ending(Execution x, ExecutionStatus target, String error, Usage explicitUsage, Long firstTokenMs) {
        try {
            return finish(x, target, error, explicitUsage, firstTokenMs);
        } catch (InvalidInputException unstorable) {
            return finish(x, target, error, explicitUsage, firstTokenMs, false);
        } catch (dev.atlas.UnreadableRowException unreadable) {
            // A fail or cancel must end the run whatever a price row holds; any other row it cannot read still refuses it.
            if (!unreadablePrice(unreadable)) {
                throw unreadable;
            }
            return finish(x, target, error, explicitUsage, firstTokenMs, false);
        }
    }

    /** Whether {@code e} is a stored price Atlas cannot read (over the maximum, written by SQL or an older Atlas). */
    private static boolean unreadablePrice(dev.atlas.UnreadableRowException e) {
        return "model_prices".equals(e.table());
    }

    private Execution move(UUID executionId, ExecutionStatus target, Statement statement) {
        Check.notNull("executionId", executionId);
        return db.write(h -> Transition.apply(sql.on(h, statement).bind("id", executionId).bind("now", db.now()).optional(executions),
                () -> find(h, executionId), () -> new NotFoundException("execution", executionId),
                current -> current.status().checkMoveTo(target)));
    }

    /**
     * processing → completed, failed or cancelled, in one transaction: usage (explicit, or the
     * steps' sum), exact cost from the price valid at creation, timing. Fires nothing: see {@link #ended}.
     */
    Execution finish(Execution x, ExecutionStatus target, String error, Usage explicitUsage, Long firstTokenMs) {
        return finish(x, target, error, explicitUsage, firstTokenMs, true);
    }

    /**
     * {@link #finish(Execution, ExecutionStatus, String, Usage, Long)}, or with {@code costed}
     * false without usage and cost: the way to end a run whose usage's cost cannot be stored.
     */
    Execution finish(Execution x, ExecutionStatus target, String error, Usage explicitUsage, Long firstTokenMs, boolean costed) {
        Execution e = db.write(h -> {
            // The run's last write, locked before the steps are summed (on SQLite the write transaction
            // serialises already): a step closing meanwhile either commits first and is counted, or waits and finds the run done.
            boolean lock = costed && explicitUsage == null && db.dialect() == Dialect.POSTGRESQL;
            // Unreadable, the finish would store that value as the run's end (the SQL ends it no earlier than its last write): refused, naming the run.
            Instant last = sql.on(h, lock ? q.lastWriteLocked : q.lastWrite).bind("id", x.id()).optional((rs, ctx) -> db.dialect().instant(
                    rs, "last_write", "executions", "updated_at (its own, a step's or a tool call's)", x.id().toString())).orElse(null);
            // Never dated before that write, whichever instance's clock stamped it; the duration is counted to the end stamped.
            Instant clock = db.now();
            Instant now = last != null && last.isAfter(clock) ? last : clock;
            // Nor before its first token, which no write records: a clock stepped back since firstToken()
            // would store a duration shorter than the time to that token.
            if (firstTokenMs != null && x.startedAt() != null && x.startedAt().plusMillis(firstTokenMs).isAfter(now)) {
                now = x.startedAt().plusMillis(firstTokenMs);
            }
            Usage usage = !costed ? Usage.NONE : explicitUsage != null ? explicitUsage
                    : sql.on(h, q.stepUsage).bind("execution", x.id()).one((rs, ctx) -> ExecutionRows.usage(rs));
            Long cost = costed ? costPico(h, x, usage, explicitUsage != null ? "the usage" : "the steps' usage") : null;
            Long duration = x.startedAt() == null ? null : Math.max(0, Duration.between(x.startedAt(), now).toMillis());
            Optional<Execution> done = sql.on(h, q.finish).bind("id", x.id()).bind("status", target.toString())
                    .bind("input", usage.inputTokens()).bind("output", usage.outputTokens()).bind("reasoning", usage.reasoningTokens())
                    .bind("cached", usage.cachedTokens()).bind("cacheWrite", usage.cacheWriteTokens()).bind("cost", cost)
                    .bind("error", error).bind("now", now).bind("duration", duration).bind("firstToken", firstTokenMs)
                    .optional(executions);
            return Transition.apply(done, () -> find(h, x.id()), () -> gone(x.id()),
                    current -> current.status().checkMoveTo(target));
        });
        return e;
    }

    /**
     * Tells the listeners that {@code e} ended, after {@link #finish} stored it: called by the caller
     * of the finish once its handle is marked finished and its lock released, so a listener that
     * sets usage on the handle (or waits for a thread that does) is refused, neither lost nor blocked.
     */
    Execution ended(Execution e) {
        switch (e.status()) {
            case COMPLETED -> events.fire("completed", l -> l.completed(tenant, e));
            case CANCELLED -> events.fire("cancelled", l -> l.cancelled(tenant, e));
            default -> events.fire("failed", l -> l.failed(tenant, e));
        }
        return e;
    }

    /**
     * The cost of {@code usage} at the price valid at {@code x}'s creation, or null when no price is
     * known. A cost the column cannot hold is refused on "usage" rather than stored as null, which
     * reports would count as zero: a wrong figure, not an unknown one.
     */
    private Long costPico(Handle h, Execution x, Usage usage, String what) {
        return costPico(h, new Priced(x.id(), x.provider(), x.model(), x.createdAt()), usage, what);
    }

    /** What an execution's cost depends on: read alone by the sweep, which must bill a run whose other columns it cannot read. */
    private record Priced(UUID id, String provider, String model, Instant createdAt) {
    }

    private Long costPico(Handle h, Priced x, Usage usage, String what) {
        Optional<ModelPrice> price = JdbiPriceStore.priceAt(sql, h, prices, x.provider(), x.model(), x.createdAt());
        if (price.isEmpty()) {
            return null;
        }
        BigInteger pico = price.get().costPico(usage);
        if (pico.compareTo(MAX_PICO) > 0) {
            throw new InvalidInputException("usage", what + " of execution " + x.id() + " costs " + ModelPrice.fromPico(pico).toPlainString()
                    + " at the price of " + x.provider() + "/" + x.model() + " valid from " + price.get().validFrom() + ", more than the "
                    + ModelPrice.fromPico(MAX_PICO).toPlainString() + " one execution can store; record the work as several executions");
        }
        return pico.longValueExact();
    }

    /**
     * Refuses {@code usage} whose cost at {@code x}'s price would not fit, before it is kept: a
     * look-up only for usage large enough that some price could overflow. The finish checks again
     * (a price may be added after this), in the transaction that stores the cost.
     */
    void checkCost(Execution x, Usage usage, String what) {
        if (usage.totalTokens() > ALWAYS_FITS) {
            db.read(h -> costPico(h, x, usage, what));
        }
    }

    /**
     * {@link #checkCost} for a step about to add {@code usage} to the steps' sum, in the write
     * transaction of {@code h} that stores the step: the execution is locked first (on SQLite the
     * write transaction serialises already), so steps finishing together are summed one after the
     * other. An execution no longer running is not checked: the step's close reports it.
     */
    void checkStepCost(Handle h, Execution x, Usage usage) {
        if (!sql.on(h, q.lockProcessing).bind("id", x.id()).exists()) {
            return;
        }
        Usage sum;
        try {
            sum = sql.on(h, q.stepUsage).bind("execution", x.id()).one((rs, ctx) -> ExecutionRows.usage(rs)).plus(usage);
        } catch (InvalidInputException tooMany) {
            // The finish stores the sum as the execution's usage: past the token limit it could never complete.
            throw new InvalidInputException("usage", "the steps' usage of execution " + x.id() + " would pass the limit of "
                    + Limits.MAX_TOKEN_COUNT + " tokens of one kind (" + tooMany.getMessage() + "); record the work as several executions");
        }
        costPico(h, x, sum, "the steps' usage");
    }

    // ---- reads --------------------------------------------------------------------------

    @Override
    public Optional<Execution> get(UUID executionId) {
        Check.notNull("executionId", executionId);
        return db.read(h -> find(h, executionId));
    }

    Optional<Execution> find(Handle h, UUID executionId) {
        return sql.on(h, q.find).bind("id", executionId).optional(executions);
    }

    @Override
    public Optional<ExecutionTree> tree(UUID executionId) {
        Check.notNull("executionId", executionId);
        // Three statements on one snapshot: a write committed between them (a sweep failing the
        // execution, its steps and calls together) is seen whole or not at all.
        return db.readConsistent(h -> find(h, executionId).map(e -> {
            Map<UUID, List<ToolCall>> calls = byStep(sql.on(h, q.executionCalls).bind("execution", executionId).list(toolCalls));
            List<ExecutionStep> steps = sql.on(h, q.executionSteps).bind("execution", executionId).list(stepWith(calls));
            return new ExecutionTree(e, steps, calls.getOrDefault(null, List.of()));
        }));
    }

    private static Map<UUID, List<ToolCall>> byStep(List<ToolCall> calls) {
        Map<UUID, List<ToolCall>> byStep = new HashMap<>();
        for (ToolCall c : calls) {
            byStep.computeIfAbsent(c.stepId(), k -> new ArrayList<>()).add(c);
        }
        return byStep;
    }

    /** Maps a step row with its tool calls from {@code callsByStep}. */
    private RowMapper<ExecutionStep> stepWith(Map<UUID, List<ToolCall>> callsByStep) {
        Dialect d = db.dialect();
        return (rs, ctx) -> ExecutionRows.step(d, rs, callsByStep.getOrDefault(d.uuid(rs, "id"), List.of()));
    }

    @Override
    public Page<Execution> list(ExecutionQuery query) {
        Check.notNull("query", query);
        Cursor.Listing listing = sql.listing("executions", query.conversationId(), query.agent(), query.provider(), query.model(), query.type(),
                query.status(), query.from(), query.to(), query.owner() == null ? null : query.owner().type(),
                query.owner() == null ? null : query.owner().id(), query.project());
        Where where = new Where()
                .and("conversation_id = :conversation", "conversation", query.conversationId())
                .and("agent = :agent", "agent", query.agent())
                .and("provider = :provider", "provider", query.provider())
                .and("model = :model", "model", query.model())
                .and("type = :type", "type", query.type() == null ? null : query.type().toString())
                .and("status = :status", "status", query.status() == null ? null : query.status().toString())
                // Rounded up as the report's bounds are: the databases would truncate a bound finer than the stored microseconds.
                .and("created_at >= :from", "from", query.from() == null ? null : Check.ceilMicros(query.from()))
                // The last microsecond included, as in the report: Limits.MAX_INSTANT as to includes itself.
                .and("created_at <= :last", "last", query.to() == null ? null : UsageReports.lastIncluded(query.to()))
                .and("owner_type = :ownerType", "ownerType", query.owner() == null ? null : query.owner().type())
                .and("owner_id = :ownerId", "ownerId", query.owner() == null ? null : query.owner().id())
                .and("project = :project", "project", query.project())
                // Ids are UUIDv7, so id order is creation order (text order on SQLite, uuid order on PostgreSQL).
                .and("id < :after", "after", query.cursor() == null ? null : Cursor.decode(query.cursor(), listing, 1).uuid(0));
        List<Execution> rows = db.read(h -> where.bindTo(sql.on(h, q.list(where.toString()))).bind("limit", query.limit() + 1)
                .list(executions));
        return Cursor.page(rows, query.limit(), e -> Cursor.encode(listing, e.id()));
    }

    @Override
    public Page<ToolCall> toolCalls(ToolCallQuery query) {
        Check.notNull("query", query);
        Cursor.Listing listing = sql.listing("toolCalls", query.name(), query.status());
        // By id (UUIDv7, creation order), which never changes: starting a queued call moves its
        // started_at, so a keyset on it missed a call started while a client paged (V27).
        Where where = new Where()
                .and("name = :name", "name", query.name())
                .and("status = :status", "status", query.status() == null ? null : query.status().toString())
                .and("id < :after", "after", query.cursor() == null ? null : afterToolCall(query.cursor(), listing));
        List<ToolCall> rows = db.read(h -> where.bindTo(sql.on(h, q.toolCalls(where.toString()))).bind("limit", query.limit() + 1)
                .list(toolCalls));
        return Cursor.page(rows, query.limit(), c -> Cursor.encode(listing, c.id()));
    }

    /**
     * The id a tool call page's cursor ends at: a cursor holds it alone, or (given out before V27,
     * by an instance still running the older version) after the call's start time, which is no
     * longer needed.
     */
    private static UUID afterToolCall(String cursor, Cursor.Listing listing) {
        try {
            return Cursor.decode(cursor, listing, 1).uuid(0);
        } catch (InvalidInputException one) {
            try {
                Cursor older = Cursor.decode(cursor, listing, 2);
                older.instant(0); // still checked: an edited cursor is refused as before
                return older.uuid(1);
            } catch (InvalidInputException two) {
                throw one;
            }
        }
    }

    @Override
    public List<MessageWithTools> historyWithTools(UUID conversationId, int limit) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        // Messages, then calls, then steps: on one snapshot, or a step could show a state its calls do not.
        return db.readConsistent(h -> {
            List<Message> messages = sql.on(h, q.history).bind("conversation", conversationId).bind("limit", limit)
                    .list(Rows.message(db.dialect()));
            if (messages.isEmpty()) {
                requireConversation(h, conversationId);
                return List.<MessageWithTools>of();
            }
            Collections.reverse(messages); // read newest first (the last `limit`), replayed oldest first
            Set<UUID> executionIds = new LinkedHashSet<>();
            // A step with a tool message linked to it was stored by a framework as messages (the tool
            // call turn and its results): the history already replays that round, so it is not attached.
            Set<UUID> roundsAsMessages = new HashSet<>();
            for (Message m : messages) {
                if (m.executionId() != null) {
                    executionIds.add(m.executionId());
                }
                if (m.role() == Role.TOOL && m.stepId() != null) {
                    roundsAsMessages.add(m.stepId());
                }
            }
            Map<UUID, List<ExecutionStep>> stepsByExecution = executionIds.isEmpty() ? Map.of() : steps(h, conversationId, executionIds);
            Map<UUID, Integer> replayedUpTo = new HashMap<>();
            List<MessageWithTools> out = new ArrayList<>(messages.size());
            for (Message m : messages) {
                List<ExecutionStep> rounds = List.of();
                if (m.executionId() != null) {
                    List<ExecutionStep> all = stepsByExecution.getOrDefault(m.executionId(), List.of());
                    int from = replayedUpTo.getOrDefault(m.executionId(), 0);
                    int upTo = all.stream().filter(st -> st.id().equals(m.stepId())).mapToInt(ExecutionStep::sequence).findFirst()
                            .orElse(all.isEmpty() ? 0 : all.get(all.size() - 1).sequence());
                    rounds = all.stream().filter(st -> st.sequence() > from && st.sequence() <= upTo && replayable(st)
                            && !roundsAsMessages.contains(st.id())).toList();
                    replayedUpTo.put(m.executionId(), Math.max(from, upTo));
                }
                out.add(new MessageWithTools(m, rounds));
            }
            return Collections.unmodifiableList(out);
        });
    }

    /**
     * A round a provider accepts again: the model's turn was answered (the step completed) and each
     * of its calls got a result back. A failed call's error may never have reached the model
     * (a direct return, an interrupted loop), so it cannot stand in for the result. Calls repeating
     * a provider call id cannot be replayed either: providers refuse them, and no result says which
     * call it answers.
     */
    private static boolean replayable(ExecutionStep step) {
        if (step.status() != ExecutionStatus.COMPLETED || step.toolCalls().isEmpty()) {
            return false;
        }
        Set<String> ids = new HashSet<>();
        for (ToolCall c : step.toolCalls()) {
            if (c.status() != ExecutionStatus.COMPLETED || (c.providerCallId() != null && !ids.add(c.providerCallId()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every step of {@code executionIds} that belong to {@code conversationId} or to no conversation,
     * with its tool calls, in sequence order per execution: two statements whatever the number of
     * executions, steps or calls.
     */
    private Map<UUID, List<ExecutionStep>> steps(Handle h, UUID conversationId, Set<UUID> executionIds) {
        Where in = new Where().in("execution_id", "e", new ArrayList<>(executionIds))
                .and(ExecutionSql.OF_CONVERSATION, "conversation", conversationId);
        Map<UUID, List<ToolCall>> callsByStep = byStep(in.bindTo(sql.on(h, q.toolCallsOf(in.toString()))).list(toolCalls));
        Map<UUID, List<ExecutionStep>> byExecution = new HashMap<>();
        in.bindTo(sql.on(h, q.stepsOf(in.toString()))).forEach(stepWith(callsByStep),
                st -> byExecution.computeIfAbsent(st.executionId(), k -> new ArrayList<>()).add(st));
        return byExecution;
    }

    // ---- maintenance and reports --------------------------------------------------------

    @Override
    public SweepResult sweepInterrupted(Duration olderThan) {
        Check.notNull("olderThan", olderThan);
        if (olderThan.isNegative()) {
            throw new InvalidInputException("olderThan", "must not be negative, was " + olderThan);
        }
        List<Execution> swept = new ArrayList<>();
        List<ToolCall> sweptCalls = new ArrayList<>();
        List<ExecutionStep> sweptSteps = new ArrayList<>();
        // Rows failed but unheard, by table and id (a step unreadable because of its call names the call again).
        Map<String, dev.atlas.UnreadableRowException> unheard = new java.util.LinkedHashMap<>();
        SweepResult result = db.write(h -> {
            swept.clear();
            sweptCalls.clear();
            sweptSteps.clear();
            unheard.clear();
            Instant now = db.now();
            Instant cutoff = Check.ceilMicros(Check.cutoff(now, olderThan)); // a finer age would be truncated by the binding
            keepStepsUsage(h, cutoff, unheard);
            int executions;
            if (events.active()) {
                // The listeners hear each swept execution as failed, so a span or timer opened when it
                // started in this process is closed rather than kept open forever.
                // A run whose row Atlas cannot read is failed all the same, unheard: no Execution can be given for it.
                List<Execution> returned = sql.on(h, q.sweepExecutionsReturning).bind("error", INTERRUPTED).bind("now", now)
                        .bind("cutoff", cutoff).list(orNull(this.executions, unheard));
                executions = returned.size();
                returned.stream().filter(java.util.Objects::nonNull).forEach(swept::add);
            } else {
                executions = sql.on(h, q.sweepExecutions).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff).update();
            }
            if (!events.active()) {
                int steps = sql.on(h, q.sweepSteps).bind("error", INTERRUPTED).bind("now", now).update();
                return new SweepResult(executions, steps,
                        sql.on(h, q.sweepCalls).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff).update());
            }
            List<UUID> stepIds = sql.on(h, q.sweepStepsReturning).bind("error", INTERRUPTED).bind("now", now).list(sql.uuidColumn());
            // The tool call a run was waiting on is what its trace most needs to show.
            // Those Atlas cannot read are failed and counted all the same, unheard, as the runs are.
            List<ToolCall> calls = sql.on(h, q.sweepCallsReturning).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff)
                    .list(orNull(toolCalls, unheard));
            calls.stream().filter(java.util.Objects::nonNull).forEach(sweptCalls::add);
            // Read after the calls were swept: each step is heard with its calls as stored, as a step's fail() is.
            for (UUID stepId : stepIds) {
                try {
                    sweptSteps.add(storedStep(h, stepId));
                } catch (dev.atlas.UnreadableRowException unreadable) {
                    unheard(unheard, unreadable);
                    if (!"execution_steps".equals(unreadable.table())) {
                        // the step's calls are read first: a step unheard because of its call is named too
                        unheard(unheard, new dev.atlas.UnreadableRowException("execution_steps", stepId.toString(),
                                "its tool call " + unreadable.rowId() + " cannot be read", unreadable));
                    }
                }
            }
            return new SweepResult(executions, stepIds.size(), calls.size());
        });
        // Tool calls first, then steps: their executions are still running for the listeners, so a call
        // nests inside its step and its run.
        for (ToolCall c : sweptCalls) {
            events.fire("toolCallFinished", l -> l.toolCallFinished(tenant, c));
        }
        for (ExecutionStep st : sweptSteps) {
            events.fire("stepFinished", l -> l.stepFinished(tenant, st));
        }
        for (Execution e : swept) {
            events.fire("failed", l -> l.failed(tenant, e));
        }
        // Logged after the commit, once: a listener closing spans or counting failures misses these, and only the log says why.
        for (dev.atlas.UnreadableRowException u : unheard.values()) {
            org.slf4j.LoggerFactory.getLogger(JdbiExecutionRecorder.class).warn(
                    "Swept {} {} of tenant {} as interrupted without telling the execution listeners: Atlas cannot read it ({})",
                    u.table(), u.rowId(), tenant, u.why());
        }
        return result;
    }

    /** {@code mapper}, giving null for a row Atlas cannot read (kept in {@code unheard}): for the sweep, which fails such rows too. */
    private static <T> RowMapper<T> orNull(RowMapper<T> mapper, Map<String, dev.atlas.UnreadableRowException> unheard) {
        return (rs, ctx) -> {
            try {
                return mapper.map(rs, ctx);
            } catch (dev.atlas.UnreadableRowException unreadable) {
                unheard(unheard, unreadable);
                return null;
            }
        };
    }

    /** Keeps {@code unreadable} among the sweep's unheard rows, once per row: a row read twice (a step, then its call's step) warns once. */
    private static void unheard(Map<String, dev.atlas.UnreadableRowException> unheard, dev.atlas.UnreadableRowException unreadable) {
        unheard.putIfAbsent(unreadable.table() + " " + unreadable.rowId(), unreadable);
    }

    /**
     * Stores on each running run about to be swept its finished steps' usage with its cost, as a finish
     * does: the tokens of a crashed run were spent all the same, and one that finished no step costs 0
     * at its price, as when cancelled. A cost that cannot be stored is left out with its usage, as a cancel leaves it out.
     */
    private void keepStepsUsage(Handle h, Instant cutoff, Map<String, dev.atlas.UnreadableRowException> unheard) {
        // Locks the runs where the dialect has row locks (on SQLite the write transaction serialises them already).
        sql.on(h, q.sweepLockRuns).bind("cutoff", cutoff).list(sql.uuidColumn());
        Dialect d = db.dialect();
        // A run whose creation cannot be read has no price to cost its steps at: it is swept without its usage, named
        // among the unheard rows, rather than failing the sweep of every other run.
        RowMapper<Priced> priced = orNull(Rows.guard("executions", "id", (rs, ctx) ->
                new Priced(d.uuid(rs, "id"), rs.getString("provider"), rs.getString("model"), d.instant(rs, "created_at"))), unheard);
        for (Priced x : sql.on(h, q.sweepRunningRuns).bind("cutoff", cutoff).list(priced)) {
            if (x == null) {
                continue;
            }
            Usage usage;
            Long cost;
            try {
                usage = sql.on(h, q.stepUsage).bind("execution", x.id()).one((rs, ctx) -> ExecutionRows.usage(rs));
                cost = costPico(h, x, usage, "the steps' usage");
            } catch (InvalidInputException unstorable) {
                usage = Usage.NONE;
                cost = null;
            } catch (dev.atlas.UnreadableRowException unreadable) {
                // Swept without them, as a fail stores it: one unreadable price must not stop the sweep of every run.
                if (!unreadablePrice(unreadable)) {
                    throw unreadable;
                }
                usage = Usage.NONE;
                cost = null;
            }
            sql.on(h, q.sweptUsage).bind("id", x.id()).bind("input", usage.inputTokens()).bind("output", usage.outputTokens())
                    .bind("reasoning", usage.reasoningTokens()).bind("cached", usage.cachedTokens())
                    .bind("cacheWrite", usage.cacheWriteTokens()).bind("cost", cost).update();
        }
    }

    @Override
    public List<UsageRow> usageReport(UsageGroup group, Instant from, Instant to) {
        return UsageReports.run(db, tenant, group, from, to);
    }

    @Override
    public java.util.SortedMap<java.time.LocalDate, List<UsageRow>> dailyUsageReport(UsageGroup group, java.time.LocalDate first,
                                                                                     java.time.LocalDate last, java.time.ZoneId zone) {
        return UsageReports.daily(db, tenant, group, first, last, zone, dev.atlas.Limits.MAX_REPORT_ROWS);
    }

    // ---- used by the handles ------------------------------------------------------------

    /** The stored step with its tool calls, read in the transaction that closed it (for the listeners). */
    ExecutionStep storedStep(Handle h, UUID stepId) {
        List<ToolCall> calls = sql.on(h, q.stepCalls).bind("step", stepId).list(toolCalls);
        return sql.on(h, q.step).bind("id", stepId).one((rs, ctx) -> ExecutionRows.step(db.dialect(), rs, calls));
    }

    /** The stored tool call, read in the transaction that closed it (for the listeners). */
    ToolCall storedToolCall(Handle h, UUID callId) {
        return sql.on(h, q.toolCall).bind("id", callId).one(toolCalls);
    }

    /** Why a step or tool call of {@code executionId} could not be inserted: the execution is gone (erased, purged) or no longer runs. */
    dev.atlas.AtlasException notRecording(Handle h, UUID executionId) {
        return notRecording(h, executionId, null);
    }

    /**
     * {@link #notRecording(Handle, UUID)} for a tool call of step {@code stepId} (null: outside a
     * step): when the execution still runs, it is the step that finished.
     */
    dev.atlas.AtlasException notRecording(Handle h, UUID executionId, UUID stepId) {
        Optional<Execution> x = find(h, executionId);
        if (x.isEmpty()) {
            return gone(executionId);
        }
        if (stepId == null || x.get().status() != ExecutionStatus.PROCESSING) {
            return notProcessing(executionId);
        }
        return new ConflictException("stepId", "step " + stepId + " of execution " + executionId + " has finished; its tool calls"
                + " can only be recorded before its finish or fail, so record them first or start a new step");
    }

    /**
     * The run a handle records into is gone: erased with its owner or conversation, or purged by
     * retention, with its steps and tool calls. Every recording call of the handle (and a finish)
     * names it so, on {@code executionId}, whichever of its rows the call wrote to.
     */
    NotFoundException gone(UUID executionId) {
        return new NotFoundException("execution", executionId, "executionId");
    }

    /**
     * Why {@code rowId} (a step or tool call of {@code executionId}) was not found: its run went
     * ({@link #gone}), or, the run still there, the row itself, named on {@code field}.
     */
    NotFoundException rowGone(Handle h, UUID executionId, String entity, UUID rowId, String field) {
        return find(h, executionId).isEmpty() ? gone(executionId) : new NotFoundException(entity, rowId, field);
    }

    ConflictException notProcessing(UUID executionId) {
        return new ConflictException("executionId", "execution " + executionId + " is not processing; steps and tool calls can only"
                + " be recorded or started while it runs");
    }
}
