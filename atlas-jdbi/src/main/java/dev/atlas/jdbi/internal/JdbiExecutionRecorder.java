package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionBody;
import dev.atlas.execution.ExecutionHandle;
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
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.internal.Check;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import static dev.atlas.jdbi.internal.Dialect.bindLong;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/** {@link ExecutionRecorder} on Jdbi; every statement filters on the tenant id it was built with. */
public final class JdbiExecutionRecorder implements ExecutionRecorder {
    static final String INTERRUPTED = "interrupted";
    private static final String E = "SELECT " + ExecutionRows.EXECUTION_COLUMNS + " FROM <p>executions";
    private static final BigInteger MAX_PICO = BigInteger.valueOf(Long.MAX_VALUE);

    final Db db;
    final String tenant;
    final ConversationStore conversations;
    private final RowMapper<Execution> executions;
    final RowMapper<ToolCall> toolCalls;
    final JdbiExecutionHandle.Sql handleSql;
    private final String conversationExistsSql;
    private final String insertStartedSql;
    private final String insertPendingSql;
    private final String finishSql;

    public JdbiExecutionRecorder(Db db, String tenant, ConversationStore conversations) {
        this.db = db;
        this.tenant = tenant;
        this.conversations = conversations;
        this.executions = ExecutionRows.execution(db.dialect());
        this.toolCalls = ExecutionRows.toolCall(db.dialect());
        // The statements every recorded execution runs (start with its conversation check, completion)
        // bind plain JDBC, for the reason given in JdbiExecutionHandle; the rest of this class uses Jdbi.
        String p = db.prefix();
        this.handleSql = new JdbiExecutionHandle.Sql(p, db.dialect());
        this.conversationExistsSql = "SELECT 1 FROM " + p + "conversations WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL";
        String insert = "INSERT INTO " + p + "executions (tenant_id, id, conversation_id, assistant_revision_id, type, provider, model,"
                + " agent, status, metadata, started_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ";
        this.insertStartedSql = insert + "?, ?, ?)";
        this.insertPendingSql = insert + "NULL, ?, ?)";
        this.finishSql = "UPDATE " + p + "executions SET status = ?, input_tokens = ?, output_tokens = ?, reasoning_tokens = ?,"
                + " cached_tokens = ?, cache_write_tokens = ?, cost_pico = ?, error = ?, completed_at = ?, duration_ms = ?,"
                + " first_token_ms = COALESCE(first_token_ms, ?), updated_at = ? WHERE tenant_id = ? AND id = ?"
                + " AND status = 'processing' RETURNING " + ExecutionRows.EXECUTION_COLUMNS;
    }

    // ---- recording ----------------------------------------------------------------------

    @Override
    public <T, X extends Exception> T record(ExecutionSpec spec, ExecutionBody<T, X> body) throws X {
        Check.notNull("body", body);
        JdbiExecutionHandle handle = (JdbiExecutionHandle) start(spec);
        T result;
        try {
            result = body.run(handle);
        } catch (RuntimeException | Error e) {
            recordFailure(handle, e);
            throw e;
        } catch (Exception e) {
            // Precise rethrow: the compiler knows e can only be an X here.
            recordFailure(handle, e);
            throw e;
        }
        if (!handle.isFinished()) {
            handle.complete();
        }
        return result;
    }

    private static void recordFailure(JdbiExecutionHandle handle, Throwable cause) {
        try {
            if (!handle.isFinished()) {
                handle.fail(failureMessage(cause));
            }
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    static String failureMessage(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getName() : m;
    }

    @Override
    public <T> CompletableFuture<T> recordAsync(ExecutionSpec spec, Function<ExecutionHandle, CompletableFuture<T>> body) {
        Check.notNull("body", body);
        JdbiExecutionHandle handle = (JdbiExecutionHandle) start(spec);
        CompletableFuture<T> call;
        try {
            call = Check.notNull("body result", body.apply(handle));
        } catch (RuntimeException | Error e) {
            recordFailure(handle, e);
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> recorded = new CompletableFuture<>();
        call.whenComplete((value, error) -> {
            if (error != null) {
                Throwable cause = unwrap(error);
                recordFailure(handle, cause);
                recorded.completeExceptionally(cause);
                return;
            }
            try {
                if (!handle.isFinished()) {
                    handle.complete();
                }
                recorded.complete(value);
            } catch (RuntimeException e) {
                recorded.completeExceptionally(e);
            }
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
        Execution e = insert(spec, ExecutionStatus.PROCESSING);
        return new JdbiExecutionHandle(this, e.id(), e.conversationId(), e.provider(), e.model(), e.createdAt(), e.startedAt());
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
            if (spec.conversationId() != null) {
                requireConversation(h, spec.conversationId());
            }
            if (spec.assistantRevisionId() != null) {
                // No foreign key (revisions came later): without this check an execution could name another tenant's revision.
                h.createQuery("SELECT 1 FROM <p>assistant_revisions WHERE tenant_id = :t AND id = :id")
                        .bind("t", tenant).bind("id", spec.assistantRevisionId()).mapTo(Integer.class).findOne()
                        .orElseThrow(() -> new NotFoundException("assistant revision", spec.assistantRevisionId()));
            }
            Instant started = status == ExecutionStatus.PROCESSING ? now : null;
            Db.jdbc(h, started == null ? insertPendingSql : insertStartedSql, ps -> {
                Dialect d = db.dialect();
                ps.setString(1, tenant);
                d.bindUuid(ps, 2, id);
                db.dialect().bindOptionalUuid(ps, 3, spec.conversationId());
                db.dialect().bindOptionalUuid(ps, 4, spec.assistantRevisionId());
                ps.setString(5, spec.type().toString());
                ps.setString(6, spec.provider());
                ps.setString(7, spec.model());
                ps.setString(8, spec.agent());
                ps.setString(9, status.toString());
                d.bindJson(ps, 10, metadata.text());
                int i = 11;
                if (started != null) {
                    d.bindInstant(ps, i++, started);
                }
                d.bindInstant(ps, i, now);
                d.bindInstant(ps, i + 1, now);
                return ps.executeUpdate();
            });
            return new Execution(id, tenant, spec.conversationId(), spec.assistantRevisionId(), spec.type(), spec.provider(),
                    spec.model(), spec.agent(), status, Usage.NONE, null, null, Json.readMap(metadata.text()), null, started, null,
                    null, null, now, now);
        });
    }

    private void requireConversation(Handle h, UUID conversationId) {
        boolean exists = Db.jdbc(h, conversationExistsSql, ps -> {
            ps.setString(1, tenant);
            db.dialect().bindUuid(ps, 2, conversationId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        });
        if (!exists) {
            throw new NotFoundException("conversation", conversationId);
        }
    }

    @Override
    public Execution queue(UUID executionId) {
        return move(executionId, ExecutionStatus.QUEUED, "");
    }

    @Override
    public ExecutionHandle resume(UUID executionId) {
        Check.notNull("executionId", executionId);
        return db.write(h -> {
            Execution e = move(h, executionId, ExecutionStatus.PROCESSING, ", started_at = :now");
            return new JdbiExecutionHandle(this, e.id(), e.conversationId(), e.provider(), e.model(), e.createdAt(), e.startedAt());
        });
    }

    @Override
    public Execution cancel(UUID executionId) {
        return move(executionId, ExecutionStatus.CANCELLED, ", completed_at = :now");
    }

    private Execution move(UUID executionId, ExecutionStatus target, String extra) {
        Check.notNull("executionId", executionId);
        return db.write(h -> move(h, executionId, target, extra));
    }

    private Execution move(Handle h, UUID executionId, ExecutionStatus target, String extra) {
        List<String> from = ExecutionStatus.from(target).stream().map(ExecutionStatus::toString).toList();
        Optional<Execution> moved = h.createQuery("UPDATE <p>executions SET status = :target, updated_at = :now" + extra
                        + " WHERE tenant_id = :t AND id = :id AND status IN (<from>) RETURNING " + ExecutionRows.EXECUTION_COLUMNS)
                .bind("t", tenant).bind("id", executionId).bind("target", target.toString()).bind("now", db.now())
                .bindList("from", from)
                .map(executions).findOne();
        if (moved.isPresent()) {
            return moved.get();
        }
        Execution current = find(h, executionId).orElseThrow(() -> new NotFoundException("execution", executionId));
        current.status().checkMoveTo(target);
        throw new ConflictException("status", "was changed by a concurrent call; read it again and retry");
    }

    /**
     * processing → completed or failed, in one transaction: usage (explicit, or the steps' sum),
     * exact cost from the price valid at creation, timing.
     */
    Execution finish(JdbiExecutionHandle x, ExecutionStatus target, String error, Usage explicitUsage, Long firstTokenMs) {
        return db.write(h -> {
            Instant now = db.now();
            Usage usage = explicitUsage != null ? explicitUsage : stepUsage(h, x.id());
            Long cost = null;
            Optional<ModelPrice> price = JdbiPriceStore.priceAt(h, tenant, db.dialect(), x.provider(), x.model(), x.createdAt());
            if (price.isPresent()) {
                BigInteger pico = price.get().costPico(usage);
                // Beyond about 9.2 million currency units the cost does not fit the column: leave it unknown.
                cost = pico.compareTo(MAX_PICO) <= 0 ? pico.longValueExact() : null;
            }
            Long duration = x.startedAt() == null ? null : Math.max(0, Duration.between(x.startedAt(), now).toMillis());
            Long costPico = cost;
            Optional<Execution> done = Db.jdbc(h, finishSql, ps -> {
                Dialect d = db.dialect();
                ps.setString(1, target.toString());
                bindLong(ps, 2, usage.inputTokens());
                bindLong(ps, 3, usage.outputTokens());
                bindLong(ps, 4, usage.reasoningTokens());
                bindLong(ps, 5, usage.cachedTokens());
                bindLong(ps, 6, usage.cacheWriteTokens());
                bindLong(ps, 7, costPico);
                ps.setString(8, error);
                d.bindInstant(ps, 9, now);
                bindLong(ps, 10, duration);
                bindLong(ps, 11, firstTokenMs);
                d.bindInstant(ps, 12, now);
                ps.setString(13, tenant);
                d.bindUuid(ps, 14, x.id());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(executions.map(rs, null)) : Optional.<Execution>empty();
                }
            });
            if (done.isPresent()) {
                return done.get();
            }
            Execution current = find(h, x.id()).orElseThrow(() -> new NotFoundException("execution", x.id()));
            current.status().checkMoveTo(target);
            throw new ConflictException("status", "was changed by a concurrent call; read it again and retry");
        });
    }

    private Usage stepUsage(Handle h, UUID executionId) {
        return h.createQuery("SELECT SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,"
                        + " SUM(reasoning_tokens) AS reasoning_tokens, SUM(cached_tokens) AS cached_tokens,"
                        + " SUM(cache_write_tokens) AS cache_write_tokens FROM <p>execution_steps WHERE tenant_id = :t AND execution_id = :e")
                .bind("t", tenant).bind("e", executionId)
                .map((rs, ctx) -> ExecutionRows.usage(rs)).one();
    }

    // ---- reads --------------------------------------------------------------------------

    @Override
    public Optional<Execution> get(UUID executionId) {
        Check.notNull("executionId", executionId);
        return db.read(h -> find(h, executionId));
    }

    Optional<Execution> find(Handle h, UUID executionId) {
        return h.createQuery(E + " WHERE tenant_id = :t AND id = :id").bind("t", tenant).bind("id", executionId).map(executions).findOne();
    }

    @Override
    public Optional<ExecutionTree> tree(UUID executionId) {
        Check.notNull("executionId", executionId);
        return db.readConsistent(h -> {
            Optional<Execution> e = find(h, executionId);
            if (e.isEmpty()) {
                return Optional.<ExecutionTree>empty();
            }
            // Tool calls before steps: on SQLite (no snapshot) a step committed in between then has
            // no calls yet rather than calls whose step is missing.
            Map<UUID, List<ToolCall>> calls = new LinkedHashMap<>();
            for (ToolCall c : h.createQuery("SELECT " + ExecutionRows.TOOL_CALL_COLUMNS + " FROM <p>execution_tool_calls"
                            + " WHERE tenant_id = :t AND execution_id = :e ORDER BY call_index")
                    .bind("t", tenant).bind("e", executionId).map(toolCalls).list()) {
                calls.computeIfAbsent(c.stepId(), k -> new ArrayList<>()).add(c);
            }
            List<ExecutionStep> steps = h.createQuery("SELECT " + ExecutionRows.STEP_COLUMNS + " FROM <p>execution_steps"
                            + " WHERE tenant_id = :t AND execution_id = :e ORDER BY sequence")
                    .bind("t", tenant).bind("e", executionId)
                    .map((rs, ctx) -> ExecutionRows.step(db.dialect(), rs,
                            calls.getOrDefault(db.dialect().uuid(rs, "id"), List.of())))
                    .list();
            return Optional.of(new ExecutionTree(e.get(), steps));
        });
    }

    @Override
    public Page<Execution> list(ExecutionQuery q) {
        Check.notNull("query", q);
        UUID after = q.cursor() == null ? null : parseCursor(q.cursor());
        StringBuilder sql = new StringBuilder(E).append(" WHERE tenant_id = :t");
        Map<String, Object> binds = new LinkedHashMap<>();
        filter(sql, binds, "conversation_id", "conversation", q.conversationId());
        filter(sql, binds, "agent", "agent", q.agent());
        filter(sql, binds, "provider", "provider", q.provider());
        filter(sql, binds, "model", "model", q.model());
        filter(sql, binds, "type", "type", q.type() == null ? null : q.type().toString());
        filter(sql, binds, "status", "status", q.status() == null ? null : q.status().toString());
        if (q.from() != null) {
            sql.append(" AND created_at >= :from");
            binds.put("from", q.from());
        }
        if (q.to() != null) {
            sql.append(" AND created_at < :to");
            binds.put("to", q.to());
        }
        if (after != null) {
            sql.append(" AND id < :after");
            binds.put("after", after);
        }
        // Ids are UUIDv7, so id order is creation order (text order on SQLite, uuid order on PostgreSQL).
        sql.append(" ORDER BY id DESC LIMIT :limit");
        List<Execution> rows = db.read(h -> {
            Query query = h.createQuery(sql.toString()).bind("t", tenant).bind("limit", q.limit() + 1);
            binds.forEach(query::bind);
            return query.map(executions).list();
        });
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<Execution> page = rows.subList(0, q.limit());
        String cursor = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(page.get(page.size() - 1).id().toString().getBytes(StandardCharsets.UTF_8));
        return new Page<>(page, Optional.of(cursor));
    }

    private static void filter(StringBuilder sql, Map<String, Object> binds, String column, String name, Object value) {
        if (value != null) {
            sql.append(" AND ").append(column).append(" = :").append(name);
            binds.put(name, value);
        }
    }

    private static UUID parseCursor(String cursor) {
        try {
            return UUID.fromString(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new InvalidInputException("cursor", "is not a cursor returned by a previous page");
        }
    }

    @Override
    public List<MessageWithTools> historyWithTools(UUID conversationId, int limit) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        return db.read(h -> {
            List<Message> newestFirst = h.createQuery("SELECT " + Rows.MESSAGE_COLUMNS + " FROM <p>messages WHERE tenant_id = :t"
                            + " AND conversation_id = :c AND is_active = TRUE AND deleted_at IS NULL AND status = 'delivered'"
                            + " AND EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t AND c.id = :c AND c.deleted_at IS NULL)"
                            + " ORDER BY sequence DESC LIMIT :limit")
                    .bind("t", tenant).bind("c", conversationId).bind("limit", limit)
                    .map(Rows.message(db.dialect())).list();
            if (newestFirst.isEmpty()) {
                requireConversation(h, conversationId);
                return List.<MessageWithTools>of();
            }
            List<Message> messages = new ArrayList<>(newestFirst);
            Collections.reverse(messages);
            Set<UUID> executionIds = new LinkedHashSet<>();
            for (Message m : messages) {
                if (m.executionId() != null) {
                    executionIds.add(m.executionId());
                }
            }
            Map<UUID, List<ExecutionStep>> stepsByExecution = executionIds.isEmpty() ? Map.of() : steps(h, executionIds);
            // A step with a tool message linked to it was stored by a framework as messages (the tool
            // call turn and its results): the history already replays that round, so it is not attached.
            Set<UUID> roundsAsMessages = new HashSet<>();
            for (Message m : messages) {
                if (m.role() == Role.TOOL && m.stepId() != null) {
                    roundsAsMessages.add(m.stepId());
                }
            }
            Map<UUID, Integer> replayedUpTo = new HashMap<>();
            List<MessageWithTools> out = new ArrayList<>(messages.size());
            for (Message m : messages) {
                List<ExecutionStep> rounds = List.of();
                if (m.executionId() != null) {
                    List<ExecutionStep> all = stepsByExecution.getOrDefault(m.executionId(), List.of());
                    int from = replayedUpTo.getOrDefault(m.executionId(), 0);
                    int upTo = all.stream().filter(st -> st.id().equals(m.stepId())).mapToInt(ExecutionStep::sequence).findFirst()
                            .orElse(all.isEmpty() ? 0 : all.get(all.size() - 1).sequence());
                    rounds = all.stream().filter(st -> st.sequence() > from && st.sequence() <= upTo && !st.toolCalls().isEmpty()
                            && !roundsAsMessages.contains(st.id())).toList();
                    replayedUpTo.put(m.executionId(), Math.max(from, upTo));
                }
                out.add(new MessageWithTools(m, rounds));
            }
            return Collections.unmodifiableList(out);
        });
    }

    /**
     * Every step of {@code executionIds} with its tool calls, in sequence order per execution: two
     * statements whatever the number of executions, steps or calls.
     */
    private Map<UUID, List<ExecutionStep>> steps(Handle h, Set<UUID> executionIds) {
        List<Object> ids = new ArrayList<>(executionIds);
        Map<UUID, List<ToolCall>> callsByStep = new HashMap<>();
        for (ToolCall c : h.createQuery("SELECT " + ExecutionRows.TOOL_CALL_COLUMNS + " FROM <p>execution_tool_calls"
                        + " WHERE tenant_id = :t AND execution_id IN (<executions>) ORDER BY call_index")
                .bind("t", tenant).bindList("executions", ids).map(toolCalls).list()) {
            callsByStep.computeIfAbsent(c.stepId(), k -> new ArrayList<>()).add(c);
        }
        Map<UUID, List<ExecutionStep>> byExecution = new HashMap<>();
        h.createQuery("SELECT " + ExecutionRows.STEP_COLUMNS + " FROM <p>execution_steps"
                        + " WHERE tenant_id = :t AND execution_id IN (<executions>) ORDER BY sequence")
                .bind("t", tenant).bindList("executions", ids)
                .map((rs, ctx) -> ExecutionRows.step(db.dialect(), rs, callsByStep.getOrDefault(db.dialect().uuid(rs, "id"), List.of())))
                .forEach(st -> byExecution.computeIfAbsent(st.executionId(), k -> new ArrayList<>()).add(st));
        return byExecution;
    }

    // ---- maintenance and reports --------------------------------------------------------

    @Override
    public SweepResult sweepInterrupted(Duration olderThan) {
        Check.notNull("olderThan", olderThan);
        if (olderThan.isNegative()) {
            throw new InvalidInputException("olderThan", "must not be negative, was " + olderThan);
        }
        return db.write(h -> {
            Instant now = db.now();
            Instant cutoff = Check.cutoff(now, olderThan);
            int executionsSwept = h.createUpdate("UPDATE <p>executions SET status = 'failed', error = :error, completed_at = :now,"
                            + " updated_at = :now WHERE tenant_id = :t AND status IN ('pending', 'processing') AND created_at < :cutoff")
                    .bind("t", tenant).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff).execute();
            // A step or tool call still open under a finished execution can never finish either.
            String orphaned = " OR execution_id IN (SELECT id FROM <p>executions x WHERE x.tenant_id = :t"
                    + " AND x.status IN ('completed', 'failed', 'cancelled'))";
            int stepsSwept = h.createUpdate("UPDATE <p>execution_steps SET status = 'failed', error = :error, completed_at = :now,"
                            + " updated_at = :now WHERE tenant_id = :t AND status IN ('pending', 'processing')"
                            + " AND (created_at < :cutoff" + orphaned + ")")
                    .bind("t", tenant).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff).execute();
            int callsSwept = h.createUpdate("UPDATE <p>execution_tool_calls SET status = 'failed', error = :error, completed_at = :now,"
                            + " updated_at = :now WHERE tenant_id = :t AND status IN ('pending', 'processing')"
                            + " AND (created_at < :cutoff" + orphaned + ")")
                    .bind("t", tenant).bind("error", INTERRUPTED).bind("now", now).bind("cutoff", cutoff).execute();
            return new SweepResult(executionsSwept, stepsSwept, callsSwept);
        });
    }

    @Override
    public List<UsageRow> usageReport(UsageGroup group, Instant from, Instant to) {
        return UsageReports.run(db, tenant, group, from, to);
    }

    // ---- used by the handles ------------------------------------------------------------

    ConflictException notProcessing(UUID executionId) {
        return new ConflictException("executionId", "execution " + executionId + " is not processing; steps and tool calls can only"
                + " be recorded while it runs");
    }
}
