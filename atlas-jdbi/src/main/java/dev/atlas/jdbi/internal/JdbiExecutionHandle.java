package dev.atlas.jdbi.internal;

import dev.atlas.Conversation;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Message;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.internal.Check;
import org.jdbi.v3.core.Handle;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running execution. Every method is one small write transaction of its own, so what a long
 * tool loop has done survives a crash; the sweep closes what is left open.
 */
final class JdbiExecutionHandle implements ExecutionHandle {
    private final JdbiExecutionRecorder recorder;
    private final Db db;
    private final String tenant;
    private final UUID id;
    private final UUID conversationId;
    private final String provider;
    private final String model;
    private final Instant createdAt;
    private final Instant startedAt;
    private final AtomicInteger steps;
    private volatile Usage usage;
    private volatile Long firstTokenMs;
    private volatile boolean finished;

    JdbiExecutionHandle(JdbiExecutionRecorder recorder, UUID id, UUID conversationId, String provider, String model,
                        Instant createdAt, Instant startedAt, int existingSteps) {
        this.recorder = recorder;
        this.db = recorder.db;
        this.tenant = recorder.tenant;
        this.id = id;
        this.conversationId = conversationId;
        this.provider = provider;
        this.model = model;
        this.createdAt = createdAt;
        this.startedAt = startedAt;
        this.steps = new AtomicInteger(existingSteps);
    }

    @Override
    public UUID id() {
        return id;
    }

    String provider() {
        return provider;
    }

    String model() {
        return model;
    }

    Instant createdAt() {
        return createdAt;
    }

    Instant startedAt() {
        return startedAt;
    }

    boolean isFinished() {
        return finished;
    }

    private static long millisSince(Instant start, Instant now) {
        return Math.max(0, Duration.between(start, now).toMillis());
    }

    @Override
    public StepHandle step() {
        int sequence = steps.incrementAndGet();
        UUID stepId = Ids.next(db.clock());
        Instant now = db.write(h -> {
            Instant t = db.now();
            // Inserted only while the execution is processing: a swept or cancelled run takes no new steps.
            int n = h.createUpdate("INSERT INTO <p>execution_steps (tenant_id, id, execution_id, sequence, status, started_at,"
                            + " created_at, updated_at) SELECT :t, :id, :e, :seq, 'processing', :now, :now, :now FROM <p>executions"
                            + " WHERE tenant_id = :t AND id = :e AND status = 'processing'" + db.dialect().forShare())
                    .bind("t", tenant).bind("id", stepId).bind("e", id).bind("seq", sequence).bind("now", t).execute();
            if (n == 0) {
                throw recorder.notProcessing(id);
            }
            return t;
        });
        return new Step(stepId, sequence, now);
    }

    @Override
    public void usage(Usage usage) {
        this.usage = Check.notNull("usage", usage);
    }

    @Override
    public void firstToken() {
        if (firstTokenMs == null) {
            firstTokenMs = millisSince(startedAt, db.now());
        }
    }

    @Override
    public void providerResponseId(String providerResponseId) {
        Check.key("providerResponseId", providerResponseId);
        update("provider_response_id = :value", providerResponseId);
    }

    @Override
    public void metadata(Map<String, ?> metadata) {
        update("metadata = :value", Json.write("metadata", Check.metadata("metadata", metadata)));
    }

    private void update(String assignment, Object value) {
        int n = db.write(h -> h.createUpdate("UPDATE <p>executions SET " + assignment + ", updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id")
                .bind("t", tenant).bind("id", id).bindByType("value", value, value.getClass()).bind("now", db.now()).execute());
        if (n == 0) {
            throw new NotFoundException("execution", id);
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
        if (conversationId == null) {
            throw new InvalidInputException("conversationId", "execution " + id + " has no conversation to reply in");
        }
        return recorder.conversations.append(conversationId, message.execution(id, s.id()));
    }

    @Override
    public Execution complete() {
        return finish(ExecutionStatus.COMPLETED, null);
    }

    @Override
    public Execution fail(String error) {
        Check.notNull("error", error);
        return finish(ExecutionStatus.FAILED, ExecutionRows.storable(error, Limits.MAX_REASON_LENGTH));
    }

    private Execution finish(ExecutionStatus target, String error) {
        Execution e = recorder.finish(this, target, error, usage, firstTokenMs);
        finished = true;
        return e;
    }

    @Override
    public Execution cancel() {
        Execution e = recorder.cancel(id);
        finished = true;
        return e;
    }

    @Override
    public String toString() {
        return "ExecutionHandle[" + id + "]";
    }

    /** Moves a processing step or tool call to a final state; an unknown or finished row is reported as such. */
    private void close(String table, String entity, UUID rowId, ExecutionStatus target, String assignments, Instant started,
                       java.util.function.Consumer<org.jdbi.v3.core.statement.Update> binder) {
        db.write(h -> {
            Instant now = db.now();
            var update = h.createUpdate("UPDATE <p>" + table + " SET status = :target, " + assignments
                            + " completed_at = :now, duration_ms = :duration, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND status = 'processing'")
                    .bind("t", tenant).bind("id", rowId).bind("target", target.toString()).bind("now", now)
                    .bind("duration", millisSince(started, now));
            binder.accept(update);
            if (update.execute() == 0) {
                String current = currentStatus(h, table, rowId);
                if (current == null) {
                    throw new NotFoundException(entity, rowId);
                }
                ExecutionStatus.of(current).checkMoveTo(target);
            }
            return null;
        });
    }

    private String currentStatus(Handle h, String table, UUID rowId) {
        return h.createQuery("SELECT status FROM <p>" + table + " WHERE tenant_id = :t AND id = :id")
                .bind("t", tenant).bind("id", rowId).mapTo(String.class).findOne().orElse(null);
    }

    private final class Step implements StepHandle {
        private final UUID stepId;
        private final int sequence;
        private final Instant stepStarted;
        private final AtomicInteger calls = new AtomicInteger();

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
            Check.notNull("call", call);
            String arguments = Json.validate("arguments", call.arguments());
            int index = calls.getAndIncrement();
            UUID callId = Ids.next(db.clock());
            Instant now = db.write(h -> {
                Instant t = db.now();
                // The step row is the FK parent and the execution must still be running: a tool call
                // never exists without its step.
                int n = h.createUpdate("INSERT INTO <p>execution_tool_calls (tenant_id, id, execution_id, step_id, provider_call_id,"
                                + " call_index, name, type, arguments, status, started_at, created_at, updated_at)"
                                + " SELECT :t, :id, :e, :s, :providerCallId, :index, :name, :type, :arguments, 'processing', :now, :now, :now"
                                + " FROM <p>executions WHERE tenant_id = :t AND id = :e AND status = 'processing'"
                                + db.dialect().forShare())
                        .bind("t", tenant).bind("id", callId).bind("e", id).bind("s", stepId)
                        .bind("providerCallId", call.providerCallId()).bind("index", index).bind("name", call.name())
                        .bind("type", call.type().toString()).bind("arguments", arguments).bind("now", t)
                        .execute();
                if (n == 0) {
                    throw recorder.notProcessing(id);
                }
                return t;
            });
            return new Call(callId, now);
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
            close("execution_steps", "step", stepId, ExecutionStatus.COMPLETED,
                    "content = :content, reasoning = :reasoning, finish_reason = :finish, input_tokens = :in, output_tokens = :out,"
                            + " reasoning_tokens = :rt, cached_tokens = :cached, cache_write_tokens = :cw,",
                    stepStarted, u2 -> u2.bind("content", content).bind("reasoning", reasoning).bind("finish", finishReason.toString())
                            .bind("in", u.inputTokens()).bind("out", u.outputTokens()).bind("rt", u.reasoningTokens())
                            .bind("cached", u.cachedTokens()).bind("cw", u.cacheWriteTokens()));
        }

        @Override
        public void fail(String error) {
            Check.notNull("error", error);
            String e = ExecutionRows.storable(error, Limits.MAX_REASON_LENGTH);
            close("execution_steps", "step", stepId, ExecutionStatus.FAILED, "error = :error, finish_reason = 'error',", stepStarted,
                    u -> u.bind("error", e));
        }

        @Override
        public String toString() {
            return "StepHandle[" + stepId + ", " + sequence + "]";
        }

        private final class Call implements ToolCallHandle {
            private final UUID callId;
            private final Instant callStarted;

            Call(UUID callId, Instant callStarted) {
                this.callId = callId;
                this.callStarted = callStarted;
            }

            @Override
            public UUID id() {
                return callId;
            }

            @Override
            public void complete(String result) {
                Check.notNull("result", result);
                Check.text("result", result, Limits.MAX_CONTENT_LENGTH);
                close("execution_tool_calls", "tool call", callId, ExecutionStatus.COMPLETED, "result = :result,", callStarted,
                        u -> u.bind("result", result));
            }

            @Override
            public void fail(String error) {
                Check.notNull("error", error);
                String e = ExecutionRows.storable(error, Limits.MAX_REASON_LENGTH);
                close("execution_tool_calls", "tool call", callId, ExecutionStatus.FAILED, "error = :error,", callStarted,
                        u -> u.bind("error", e));
            }

            @Override
            public Conversation thread(Owner owner, String agent) {
                Check.notNull("owner", owner);
                if (conversationId == null) {
                    throw new InvalidInputException("conversationId", "execution " + id + " has no conversation to branch a tool thread from");
                }
                return recorder.conversations.create(NewConversation.toolThread(owner, agent, conversationId, callId));
            }

            @Override
            public String toString() {
                return "ToolCallHandle[" + callId + "]";
            }
        }
    }
}
