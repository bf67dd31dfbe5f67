package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
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
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.internal.Check;
import org.jdbi.v3.core.Handle;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A running execution. Every method is one small write transaction of its own, so what a long
 * tool loop has done survives a crash; the sweep closes what is left open.
 */
final class JdbiExecutionHandle implements ExecutionHandle {
    private final JdbiExecutionRecorder recorder;
    private final Db db;
    private final String tenant;
    private final Sql sql;
    private final UUID id;
    private final UUID conversationId;
    private final String provider;
    private final String model;
    private final Instant createdAt;
    private final Instant startedAt;
    /** Orders this handle's step inserts: each takes the number after the last committed one. */
    private final Object stepLock = new Object();
    private volatile Usage usage;
    private volatile Long firstTokenMs;
    private volatile boolean finished;

    JdbiExecutionHandle(JdbiExecutionRecorder recorder, UUID id, UUID conversationId, String provider, String model,
                        Instant createdAt, Instant startedAt) {
        this.recorder = recorder;
        this.db = recorder.db;
        this.tenant = recorder.tenant;
        this.sql = recorder.handleSql;
        this.id = id;
        this.conversationId = conversationId;
        this.provider = provider;
        this.model = model;
        this.createdAt = createdAt;
        this.startedAt = startedAt;
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
        UUID stepId = Ids.next(db.clock());
        // The number is allocated by the insert itself from the committed steps, so a write that
        // failed or rolled back takes none; the lock keeps this handle's concurrent steps from
        // computing the same number on PostgreSQL (SQLite has one writer anyway).
        synchronized (stepLock) {
            return db.write(h -> {
                Instant t = db.now();
                Integer sequence = Db.jdbc(h, sql.insertStep, ps -> {
                    Dialect d = db.dialect();
                    ps.setString(1, tenant);
                    d.bindUuid(ps, 2, stepId);
                    d.bindUuid(ps, 3, id);
                    d.bindInstant(ps, 4, t);
                    d.bindInstant(ps, 5, t);
                    d.bindInstant(ps, 6, t);
                    ps.setString(7, tenant);
                    d.bindUuid(ps, 8, id);
                    return returnedNumber(ps);
                });
                if (sequence == null) {
                    throw recorder.notProcessing(id);
                }
                return new Step(stepId, sequence, t);
            });
        }
    }

    /** The number an insert's {@code RETURNING} clause gave back, or null when nothing was inserted. */
    private static Integer returnedNumber(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getInt(1) : null;
        }
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

    // step(), toolCall() and the closes of steps and tool calls run on every recorded execution, so
    // they bind plain JDBC on the transaction's connection, as the message append does: Jdbi's
    // per-statement binding costs about as much as a small SQLite write (atlas-bench, benchmark 4).
    // The rare paths (metadata, the status read after a refused close) stay on Jdbi.

    /** The handles' hot statements, with the table prefix filled in once per recorder. */
    static final class Sql {
        // Inserted only while the execution is processing: a swept or cancelled run takes no new
        // steps, and a tool call (its step row is the FK parent) never exists without its step.
        // Each computes its number (last committed + 1) inside the insert and returns it, so
        // numbers stay 1..n (steps) and 0..n-1 (tool calls of a step) whatever failed before.
        final String insertStep;
        final String insertToolCall;
        final String finishStep;
        final String failStep;
        final String completeToolCall;
        final String failToolCall;

        Sql(String p, Dialect d) {
            String whileProcessing = " FROM " + p + "executions x WHERE x.tenant_id = ? AND x.id = ? AND x.status = 'processing'"
                    + d.forShare();
            insertStep = "INSERT INTO " + p + "execution_steps (tenant_id, id, execution_id, sequence, status, started_at, created_at,"
                    + " updated_at) SELECT ?, ?, ?, (SELECT COALESCE(MAX(s.sequence), 0) + 1 FROM " + p + "execution_steps s"
                    + " WHERE s.tenant_id = x.tenant_id AND s.execution_id = x.id), 'processing', ?, ?, ?" + whileProcessing
                    + " RETURNING sequence";
            insertToolCall = "INSERT INTO " + p + "execution_tool_calls (tenant_id, id, execution_id, step_id, provider_call_id,"
                    + " call_index, name, type, arguments, status, started_at, created_at, updated_at)"
                    + " SELECT ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(c.call_index), -1) + 1 FROM " + p + "execution_tool_calls c"
                    + " WHERE c.tenant_id = x.tenant_id AND c.step_id = ?), ?, ?, ?, 'processing', ?, ?, ?" + whileProcessing
                    + " RETURNING call_index";
            finishStep = close(p + "execution_steps", "content = ?, reasoning = ?, finish_reason = ?, input_tokens = ?, output_tokens = ?,"
                    + " reasoning_tokens = ?, cached_tokens = ?, cache_write_tokens = ?,");
            failStep = close(p + "execution_steps", "error = ?, finish_reason = 'error',");
            completeToolCall = close(p + "execution_tool_calls", "result = ?,");
            failToolCall = close(p + "execution_tool_calls", "error = ?,");
        }

        /** Parameters: target status, the assignments' own, now, duration, now, tenant, id. */
        private static String close(String table, String assignments) {
            return "UPDATE " + table + " SET status = ?, " + assignments + " completed_at = ?, duration_ms = ?, updated_at = ?"
                    + " WHERE tenant_id = ? AND id = ? AND status = 'processing'";
        }
    }

    /** Binds a close statement's own assignments from parameter {@code first} on; returns the next free index. */
    @FunctionalInterface
    private interface Assignments {
        int bind(PreparedStatement ps, int first) throws SQLException;
    }

    /**
     * Moves a processing step or tool call to a final state with {@code closeSql} (see {@link Sql#close});
     * an unknown or finished row is reported as such.
     */
    private void close(String table, String entity, String closeSql, UUID rowId, ExecutionStatus target, Instant started,
                       Assignments assignments) {
        db.write(h -> {
            Instant now = db.now();
            int n = Db.jdbc(h, closeSql, ps -> {
                Dialect d = db.dialect();
                ps.setString(1, target.toString());
                int i = assignments.bind(ps, 2);
                d.bindInstant(ps, i, now);
                ps.setLong(i + 1, millisSince(started, now));
                d.bindInstant(ps, i + 2, now);
                ps.setString(i + 3, tenant);
                d.bindUuid(ps, i + 4, rowId);
                return ps.executeUpdate();
            });
            if (n == 0) {
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
        /** Orders this step's tool-call inserts, as {@link #stepLock} does for steps. */
        private final Object callLock = new Object();

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
            UUID callId = Ids.next(db.clock());
            synchronized (callLock) {
                return db.write(h -> {
                    Instant t = db.now();
                    Integer index = Db.jdbc(h, sql.insertToolCall, ps -> {
                        Dialect d = db.dialect();
                        ps.setString(1, tenant);
                        d.bindUuid(ps, 2, callId);
                        d.bindUuid(ps, 3, id);
                        d.bindUuid(ps, 4, stepId);
                        ps.setString(5, call.providerCallId());
                        d.bindUuid(ps, 6, stepId);
                        ps.setString(7, call.name());
                        ps.setString(8, call.type().toString());
                        ps.setString(9, arguments);
                        d.bindInstant(ps, 10, t);
                        d.bindInstant(ps, 11, t);
                        d.bindInstant(ps, 12, t);
                        ps.setString(13, tenant);
                        d.bindUuid(ps, 14, id);
                        return returnedNumber(ps);
                    });
                    if (index == null) {
                        throw recorder.notProcessing(id);
                    }
                    return new Call(callId, t);
                });
            }
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
            close("execution_steps", "step", sql.finishStep, stepId, ExecutionStatus.COMPLETED, stepStarted, (ps, i) -> {
                ps.setString(i, content);
                ps.setString(i + 1, reasoning);
                ps.setString(i + 2, finishReason.toString());
                Dialect.bindLong(ps, i + 3, u.inputTokens());
                Dialect.bindLong(ps, i + 4, u.outputTokens());
                Dialect.bindLong(ps, i + 5, u.reasoningTokens());
                Dialect.bindLong(ps, i + 6, u.cachedTokens());
                Dialect.bindLong(ps, i + 7, u.cacheWriteTokens());
                return i + 8;
            });
        }

        @Override
        public void fail(String error) {
            Check.notNull("error", error);
            String e = ExecutionRows.storable(error, Limits.MAX_REASON_LENGTH);
            close("execution_steps", "step", sql.failStep, stepId, ExecutionStatus.FAILED, stepStarted, (ps, i) -> {
                ps.setString(i, e);
                return i + 1;
            });
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
                close("execution_tool_calls", "tool call", sql.completeToolCall, callId, ExecutionStatus.COMPLETED, callStarted,
                        (ps, i) -> {
                            ps.setString(i, result);
                            return i + 1;
                        });
            }

            @Override
            public void fail(String error) {
                Check.notNull("error", error);
                String e = ExecutionRows.storable(error, Limits.MAX_REASON_LENGTH);
                close("execution_tool_calls", "tool call", sql.failToolCall, callId, ExecutionStatus.FAILED, callStarted,
                        (ps, i) -> {
                            ps.setString(i, e);
                            return i + 1;
                        });
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
