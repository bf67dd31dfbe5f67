package dev.atlas.jdbi.internal;

import dev.atlas.StorageException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.Handle;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A running execution. Every method is one small write transaction of its own, so what a long
 * tool loop has done survives a crash; the sweep closes what is left open.
 */
final class JdbiExecutionHandle implements ExecutionHandle {
    private final JdbiExecutionRecorder recorder;
    private final Db db;
    private final String tenant;
    private final Sql sql;
    private final ExecutionSql q;
    /** The execution as it started: id, conversation, provider, model and times. */
    private final Execution execution;
    private final UUID id;
    // Locks, not monitors: they are held across database writes, and a virtual thread blocked in
    // I/O inside a monitor pins its carrier thread (JDK 21 to 23).
    /** Orders this handle's step inserts: each takes the number after the last committed one. */
    private final ReentrantLock stepLock = new ReentrantLock();
    /** Orders the inserts of this handle's tool calls outside a step, as a step's lock does for its calls. */
    private final ReentrantLock outsideStepLock = new ReentrantLock();
    private volatile Usage usage;
    /** Tokens of the steps finished through this handle: while few, no price can make their sum's cost overflow. */
    private final java.util.concurrent.atomic.AtomicLong stepTokens = new java.util.concurrent.atomic.AtomicLong();
    private volatile Long firstTokenMs;
    private volatile boolean finished;
    /** Set once a finish through this handle stored the end: a later finish is this handle's own second one. */
    private boolean finishedHere;
    /** Orders {@link #usage} and {@link #firstToken} against the finish that stores them. */
    private final ReentrantLock finishLock = new ReentrantLock();

    JdbiExecutionHandle(JdbiExecutionRecorder recorder, Execution execution) {
        this.recorder = recorder;
        this.db = recorder.db;
        this.tenant = recorder.tenant;
        this.sql = recorder.sql;
        this.q = recorder.q;
        this.execution = execution;
        this.id = execution.id();
    }

    @Override
    public UUID id() {
        return id;
    }

    boolean isFinished() {
        return finished;
    }

    private static long millisSince(Instant start, Instant now) {
        return Math.max(0, Duration.between(start, now).toMillis());
    }

    @Override
    public StepHandle step() {
        UUID stepId = Ids.next(db.clock());
        // The number is allocated by the insert itself from the committed steps, so a write that
        // failed or rolled back takes none; the lock keeps this handle's concurrent steps from
        // computing the same number on PostgreSQL (SQLite has one writer anyway).
        return locked(stepLock, () -> db.write(h -> {
            Instant t = db.now();
            Integer sequence = sql.on(h, q.insertStep).bind("id", stepId).bind("execution", id).bind("now", t)
                    .optional(Sql.INT).orElse(null);
            if (sequence == null) {
                throw recorder.notRecording(h, id);
            }
            return new Step(stepId, sequence, t);
        }));
    }

    private static <T> T locked(ReentrantLock lock, Supplier<T> work) {
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void usage(Usage usage) {
        Check.notNull("usage", usage);
        db.checkOpen(); // kept for the finish, which a closed Atlas can no longer write: refused, not silently lost
        locked(finishLock, () -> {
            requireUnfinished();
            recorder.checkCost(execution, usage, "the usage");
            this.usage = usage;
            return null;
        });
    }

    @Override
    public void firstToken() {
        db.checkOpen(); // as usage(): a volatile read, cheap on a stream's every chunk
        if (firstTokenMs != null) {
            return; // first call wins: later chunks of a stream change nothing, finished or not
        }
        locked(finishLock, () -> {
            requireUnfinished();
            if (firstTokenMs == null) {
                firstTokenMs = millisSince(execution.startedAt(), db.now());
            }
            return null;
        });
    }

    /** Usage and the first-token time are written by the finish: set later, they would be silently lost. */
    private void requireUnfinished() {
        if (finished) {
            throw new ConflictException("executionId", "execution " + id + " has finished; its usage and first-token time are stored"
                    + " when it finishes, so set them before complete, fail or cancel");
        }
    }

    /** A finished execution's record is final, as its steps and tool calls are: no new reply or metadata. */
    private void requireUnfinished(String what) {
        if (finished) {
            throw new ConflictException("executionId", "execution " + id + " has finished; " + what
                    + " can only be recorded while it runs, so record it before complete, fail or cancel");
        }
    }

    @Override
    public void providerResponseId(String providerResponseId) {
        Check.key("providerResponseId", providerResponseId);
        locked(finishLock, () -> {
            requireUnfinished("its provider response id");
            update(q.providerResponseId, providerResponseId, "its provider response id");
            return null;
        });
    }

    @Override
    public void metadata(Map<String, ?> metadata) {
        JsonDoc value = Json.write("metadata", Check.metadata("metadata", metadata));
        // Under the finish lock: a metadata write racing complete() lands before it or is refused.
        locked(finishLock, () -> {
            requireUnfinished("its metadata");
            update(q.metadata, value, "its metadata");
            return null;
        });
    }

    /** Writes {@code value} with {@code statement}, which changes the execution only while it is processing. */
    private void update(Statement statement, Object value, String what) {
        ExecutionStatus ended = db.write(h -> {
            if (sql.on(h, statement).bind("id", id).bind("value", value).bind("now", db.now()).update() == 1) {
                return null;
            }
            return recorder.find(h, id).orElseThrow(() -> recorder.gone(id)).status();
        });
        if (ended != null) {
            finished = true; // ended elsewhere (cancelled through the store, swept, another process): refuse later usage too
            throw new ConflictException("executionId", "execution " + id + " is " + ended + "; " + what
                    + " can only be recorded while it runs, so record it before complete, fail or cancel");
        }
    }

    @Override
    public Message reply(StepHandle step, String content) {
        return reply(step, NewMessage.assistant(Check.notNull("content", content)));
    }

    @Override
    public Message reply(StepHandle step, NewMessage message) {
        Check.notNull("step", step);
        Check.notNull("message", message);
        if (!(step instanceof Step s) || s.owner() != this) {
            throw new InvalidInputException("step", "belongs to another execution");
        }
        if (message.role() != Role.ASSISTANT) {
            throw new InvalidInputException("message.role", "a reply is an assistant message, was " + message.role());
        }
        if (execution.conversationId() == null) {
            throw new InvalidInputException("conversationId", "execution " + id + " has no conversation to reply in");
        }
        NewMessage linked = message.execution(id, s.id());
        // A clientId already used on a reply of another execution or step differs from this one in executionId and
        // stepId: the conversation store refuses it (ConflictException on clientId, nothing written), so a stored
        // message returned here is always this execution's and this step's.
        return locked(finishLock, () -> {
            requireUnfinished("a reply");
            try {
                return recorder.conversations.reply(execution.conversationId(), linked);
            } catch (NotFoundException conversationGone) {
                // An erase or purge takes the run with its conversation, which the append finds missing
                // first: named as every other recording call into a run that is gone names it.
                if (db.read(h -> recorder.find(h, id)).isEmpty()) {
                    throw recorder.gone(id);
                }
                throw conversationGone;
            }
        });
    }

    @Override
    public Execution complete() {
        return finish(ExecutionStatus.COMPLETED, null, "complete");
    }

    @Override
    public Execution fail(@org.jspecify.annotations.Nullable String error) {
        return finish(ExecutionStatus.FAILED, Check.storable(error, Limits.MAX_REASON_LENGTH), "fail");
    }

    private Execution finish(ExecutionStatus target, String error, String what) {
        return finishing(what, () -> recorder.finish(execution, target, error, usage, firstTokenMs));
    }

    @Override
    public Execution cancel() {
        // The tokens spent before the cancel are billed all the same: stored with their cost, as fail stores them.
        return ending(ExecutionStatus.CANCELLED, null, "cancel");
    }

    /**
     * {@link #fail} for record and recordAsync, which end the run themselves: like {@link #cancel},
     * a usage whose cost cannot be stored is dropped rather than leaving the run processing.
     */
    Execution failEndingTheRun(String error) {
        return ending(ExecutionStatus.FAILED, Check.storable(error, Limits.MAX_REASON_LENGTH), "fail");
    }

    /** Finishes with the usage and its cost or, when that cost does not fit, without them: always ends the run. */
    private Execution ending(ExecutionStatus target, String error, String what) {
        return finishing(what, () -> recorder.ending(execution, target, error, usage, firstTokenMs));
    }

    /**
     * Runs a finish. A finish refused because the execution already ended elsewhere (cancelled
     * through the store, swept, another instance) leaves this handle finished too, so later usage
     * is refused, not lost, and is a {@link ConflictException} saying so: the usage set on this
     * handle was never stored. A second finish of this handle's own stays an illegal transition.
     * A storage failure leaves it open for the caller to retry. The listeners hear the end after
     * that, outside the lock.
     */
    private Execution finishing(String what, Supplier<Execution> end) {
        return recorder.ended(locked(finishLock, () -> {
            try {
                Execution e = end.get();
                finished = true;
                finishedHere = true;
                return e;
            } catch (IllegalTransitionException ended) {
                finished = true;
                if (finishedHere) {
                    throw ended;
                }
                throw new ConflictException("executionId", "execution " + id + " is " + ended.from() + ": it was ended elsewhere"
                        + " (cancel(id), the sweep or another instance) before this " + what + ", so any usage set on this handle"
                        + " was not stored (nor its first-token time)");
            } catch (ConflictException ended) {
                finished = true;
                throw ended;
            }
        }));
    }

    @Override
    public String toString() {
        return "ExecutionHandle[" + id + "]";
    }

    @Override
    public ToolCallHandle toolCall(NewToolCall call) {
        return insertCall(call, null, outsideStepLock, () -> false);
    }

    /**
     * Records a tool call of step {@code stepId}, or outside any step when it is null; {@code lock}
     * orders the numbering, and a step's finish takes it too, so {@code stepEnded} is exact.
     */
    private ToolCallHandle insertCall(NewToolCall call, UUID stepId, ReentrantLock lock, BooleanSupplier stepEnded) {
        Check.notNull("call", call);
        String arguments = Json.validateJsonb("arguments", call.arguments());
        JsonDoc metadata = Json.write("metadata", call.metadata());
        UUID callId = Ids.next(db.clock());
        return locked(lock, () -> stepEnded.getAsBoolean() ? refuseLateCall(stepId) : db.write(h -> {
            Instant t = db.now();
            Sql.Call insert = stepId == null ? sql.on(h, q.insertToolCallOutsideStep) : sql.on(h, q.insertToolCall).bind("step", stepId);
            Integer index = insert.bind("id", callId).bind("execution", id).bind("providerCallId", call.providerCallId())
                    .bind("name", call.name()).bind("type", call.type().toString()).bind("arguments", arguments)
                    .bind("status", call.initialStatus().toString()).bind("metadata", metadata).bind("now", t)
                    .optional(Sql.INT).orElse(null);
            if (index == null) {
                throw recorder.notRecording(h, id, stepId);
            }
            return new Call(callId);
        }));
    }

    /** Why no tool call can join step {@code stepId} (ended through its handle): the execution's state decides the answer. */
    private ToolCallHandle refuseLateCall(UUID stepId) {
        throw db.read(h -> recorder.notRecording(h, id, stepId));
    }

    /**
     * Moves a processing step or tool call to a final state with {@code close}, whose own
     * assignments {@code assignments} binds; an unknown or finished row is reported as such. {@code started}: the
     * step's start its duration counts from; {@code null} for a tool call, whose statement counts it from its row.
     */
    private <T> T close(Statement close, Statement status, String entity, UUID rowId, ExecutionStatus target, @org.jspecify.annotations.Nullable Instant started,
                        UnaryOperator<Sql.Call> assignments, BiFunction<Handle, UUID, T> stored) {
        return close(close, status, entity, rowId, target, started, null, assignments, stored);
    }

    /** {@link #close} that first runs {@code guard} (when not null) in the same transaction: it may refuse the close. */
    private <T> T close(Statement close, Statement status, String entity, UUID rowId, ExecutionStatus target, @org.jspecify.annotations.Nullable Instant started,
                        java.util.function.Consumer<Handle> guard, UnaryOperator<Sql.Call> assignments, BiFunction<Handle, UUID, T> stored) {
        return db.write(h -> {
            if (guard != null) {
                guard.accept(h);
            }
            Instant now = db.now();
            Sql.Call update = assignments.apply(sql.on(h, close)).bind("id", rowId).bind("now", now);
            int n = (started == null ? update : update.bind("duration", millisSince(started, now))).update();
            if (n == 0) {
                String current = sql.on(h, status).bind("id", rowId).optional(Sql.STRING)
                        .orElseThrow(() -> recorder.rowGone(h, id, entity, rowId, field(entity)));
                ExecutionStatus.of(current).checkMoveTo(target);
                if (close == q.finishStep || close == q.failStep) {
                    throw recorder.notProcessing(id); // the step could move: its execution no longer runs
                }
                return null;
            }
            // Read back only for listeners, inside the transaction, so they get exactly what was committed.
            return recorder.events.active() ? stored.apply(h, rowId) : null;
        });
    }

    private void stepFinished(ExecutionStep step) {
        if (step != null) {
            recorder.events.fire("stepFinished", l -> l.stepFinished(tenant, step));
        }
    }

    private void toolCallFinished(ToolCall call) {
        if (call != null) {
            recorder.events.fire("toolCallFinished", l -> l.toolCallFinished(tenant, call));
        }
    }

    /**
     * A handle outlives its rows when its execution is erased, or purged by retention once finished:
     * then it is the execution that is not found (see {@link JdbiExecutionRecorder#rowGone}).
     */
    private void setMetadata(Statement statement, String entity, UUID rowId, Map<String, ?> metadata) {
        JsonDoc doc = Json.write("metadata", Check.metadata("metadata", metadata));
        db.write(h -> {
            if (sql.on(h, statement).bind("value", doc).bind("now", db.now()).bind("id", rowId).update() == 0) {
                throw recorder.rowGone(h, id, entity, rowId, field(entity));
            }
            return null;
        });
    }

    private static String field(String entity) {
        return entity.equals("step") ? "stepId" : "toolCallId";
    }

    private final class Call implements ToolCallHandle {
        private final UUID callId;

        /** Its duration is counted by the database from the row's started_at (see ExecutionSql), not from this handle. */
        Call(UUID callId) {
            this.callId = callId;
        }

        @Override
        public UUID id() {
            return callId;
        }

        @Override
        public void start() {
            db.write(h -> {
                Instant now = db.now();
                if (sql.on(h, q.startToolCall).bind("id", callId).bind("now", now).update() == 0) {
                    String current = sql.on(h, q.toolCallStatus).bind("id", callId).optional(Sql.STRING)
                            .orElseThrow(() -> recorder.rowGone(h, id, "tool call", callId, "toolCallId"));
                    ExecutionStatus.of(current).checkMoveTo(ExecutionStatus.PROCESSING);
                    // Still queued: its execution no longer runs (nothing can start the call then; the sweep fails it).
                    if (recorder.find(h, id).filter(x -> x.status() == ExecutionStatus.PROCESSING).isEmpty()) {
                        throw recorder.notRecording(h, id);
                    }
                    // Only a row changed between the update and the reads can get here.
                    throw new StorageException("tool call " + callId + " changed while being started", null, true, null);
                }
                return null;
            });
        }

        @Override
        public void complete(String result) {
            Check.notNull("result", result);
            Check.text("result", result, Limits.MAX_CONTENT_LENGTH);
            toolCallFinished(close(q.completeToolCall, q.toolCallStatus, "tool call", callId, ExecutionStatus.COMPLETED, null,
                    c -> c.bind("result", result), recorder::storedToolCall));
        }

        @Override
        public void fail(@org.jspecify.annotations.Nullable String error) {
            String e = Check.storable(error, Limits.MAX_REASON_LENGTH);
            toolCallFinished(close(q.failToolCall, q.toolCallStatus, "tool call", callId, ExecutionStatus.FAILED, null,
                    c -> c.bind("error", e), recorder::storedToolCall));
        }

        @Override
        public void cancel() {
            toolCallFinished(close(q.cancelToolCall, q.toolCallStatus, "tool call", callId, ExecutionStatus.CANCELLED, null,
                    c -> c, recorder::storedToolCall));
        }

        @Override
        public void metadata(Map<String, ?> metadata) {
            setMetadata(q.toolCallMetadata, "tool call", callId, metadata);
        }

        @Override
        public Conversation thread(Owner owner, String agent) {
            Check.notNull("owner", owner);
            if (execution.conversationId() == null) {
                throw new InvalidInputException("conversationId", "execution " + id + " has no conversation to branch a tool thread from");
            }
            try {
                return recorder.conversations.create(NewConversation.toolThread(owner, agent, execution.conversationId(), callId));
            } catch (NotFoundException parentGone) {
                // As reply(): the run went with its conversation (erase, purge), which the create finds missing first.
                if (db.read(h -> recorder.find(h, id)).isEmpty()) {
                    throw recorder.gone(id);
                }
                throw parentGone;
            }
        }

        @Override
        public String toString() {
            return "ToolCallHandle[" + callId + "]";
        }
    }

    private final class Step implements StepHandle {
        private final UUID stepId;
        private final int sequence;
        private final Instant stepStarted;
        /** Orders this step's tool-call inserts, as {@link #stepLock} does for steps, and its end after them. */
        private final ReentrantLock callLock = new ReentrantLock();
        /** Set under {@link #callLock} once the step is no longer processing: it takes no more tool calls. */
        private boolean ended;

        Step(UUID stepId, int sequence, Instant stepStarted) {
            this.stepId = stepId;
            this.sequence = sequence;
            this.stepStarted = stepStarted;
        }

        JdbiExecutionHandle owner() {
            return JdbiExecutionHandle.this;
        }

        @Override
        public UUID id() {
            return stepId;
        }

        @Override
        public int sequence() {
            return sequence;
        }

        @Override
        public ToolCallHandle toolCall(NewToolCall call) {
            return insertCall(call, stepId, callLock, () -> ended);
        }

        /** Ends the step with {@code close}; once it is no longer processing (ended here or before), later tool calls are refused. */
        private ExecutionStep end(Supplier<ExecutionStep> close) {
            return locked(callLock, () -> {
                try {
                    ExecutionStep step = close.get();
                    ended = true;
                    return step;
                } catch (IllegalTransitionException | ConflictException | NotFoundException over) {
                    ended = true;
                    throw over;
                }
            });
        }

        @Override
        public void finish(String content, FinishReason finishReason) {
            finish(content, null, finishReason, null);
        }

        @Override
        public void finish(String content, String reasoning, FinishReason finishReason, Usage usage) {
            Check.optional("content", content, Limits.MAX_CONTENT_LENGTH);
            Check.optional("reasoning", reasoning, Limits.MAX_CONTENT_LENGTH);
            Check.notNull("finishReason", finishReason);
            Usage u = usage == null ? Usage.NONE : usage;
            // Reasoning tokens too: not billed, but summed into the execution's usage, which has a limit per kind.
            long tokens = u.totalTokens() + (u.reasoningTokens() == null ? 0 : u.reasoningTokens());
            // Reserved before the write, so a step finishing at the same moment counts these tokens
            // too; given back if the step is not stored.
            long reserved = stepTokens.addAndGet(tokens);
            // Without usage set on the execution its cost is the steps' sum's: refuse the step that
            // would take it past what can be stored, rather than the finish. Checked in the step's own
            // write, the execution locked, so two steps finishing together cannot both pass. Steps
            // finished through another handle are not counted in the reservation; the finish catches those.
            boolean check = tokens > 0 && JdbiExecutionHandle.this.usage == null && reserved > JdbiExecutionRecorder.ALWAYS_FITS;
            try {
                stepFinished(end(() -> close(q.finishStep, q.stepStatus, "step", stepId, ExecutionStatus.COMPLETED, stepStarted,
                        check ? h -> recorder.checkStepCost(h, execution, u) : null,
                        c -> c.bind("content", content).bind("reasoning", reasoning).bind("finishReason", finishReason.toString())
                                .bind("input", u.inputTokens()).bind("output", u.outputTokens()).bind("reasoningTokens", u.reasoningTokens())
                                .bind("cached", u.cachedTokens()).bind("cacheWrite", u.cacheWriteTokens()),
                        recorder::storedStep)));
            } catch (RuntimeException | Error notStored) {
                stepTokens.addAndGet(-tokens);
                throw notStored;
            }
        }

        @Override
        public void fail(@org.jspecify.annotations.Nullable String error) {
            String e = Check.storable(error, Limits.MAX_REASON_LENGTH);
            stepFinished(end(() -> close(q.failStep, q.stepStatus, "step", stepId, ExecutionStatus.FAILED, stepStarted,
                    c -> c.bind("error", e), recorder::storedStep)));
        }

        @Override
        public void metadata(Map<String, ?> metadata) {
            setMetadata(q.stepMetadata, "step", stepId, metadata);
        }

        @Override
        public String toString() {
            return "StepHandle[" + stepId + ", " + sequence + "]";
        }
    }
}
