package dev.atlas.jdbi.internal;

import dev.atlas.execution.ExecutionStatus;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

import java.util.stream.Collectors;

/** The statements of executions, their steps and tool calls: the recorder's and its handles'. */
final class ExecutionSql {
    private static final String E = "SELECT " + ExecutionRows.EXECUTION_COLUMNS + " FROM <p>executions WHERE tenant_id = :t";
    private static final String STEPS = "SELECT " + ExecutionRows.STEP_COLUMNS + " FROM <p>execution_steps WHERE tenant_id = :t";
    private static final String CALLS = "SELECT " + ExecutionRows.TOOL_CALL_COLUMNS + " FROM <p>execution_tool_calls WHERE tenant_id = :t";
    /**
     * The end time of a row ending now: never before its start, which a clock stepping back (NTP,
     * or another Atlas whose clock is behind) would store, as the durations are clamped to 0. Voice
     * calls end the same way.
     */
    static final String ENDED = "CASE WHEN started_at > :now THEN started_at ELSE :now END";
    /**
     * The owner (owner_type, owner_id) execution {@code :e} belongs to: its conversation's, else its own, the rule an
     * owner's erase and export find executions by (Scope.ownExecutions). An asset or voice call started on it without
     * an owner gets this one, so erasing that owner takes it too. No row: no such execution in the tenant.
     */
    static final String OWNER_OF_EXECUTION = "SELECT CASE WHEN e.conversation_id IS NULL THEN e.owner_type ELSE c.owner_type END AS owner_type,"
            + " CASE WHEN e.conversation_id IS NULL THEN e.owner_id ELSE c.owner_id END AS owner_id FROM <p>executions e"
            + " LEFT JOIN <p>conversations c ON c.tenant_id = e.tenant_id AND c.id = e.conversation_id WHERE e.tenant_id = :t AND e.id = :e";
    /**
     * The latest write of an execution row: its own update time (never before its start nor its
     * creation) or that of one of its steps or tool calls, whichever instance's clock stamped it.
     */
    private static String lastWrite(Dialect d, String execution) {
        String of = " WHERE x.tenant_id = " + execution + ".tenant_id AND x.execution_id = " + execution + ".id)";
        return d.greatest(execution + ".updated_at",
                "COALESCE((SELECT MAX(x.updated_at) FROM <p>execution_steps x" + of + ", " + execution + ".updated_at)",
                "COALESCE((SELECT MAX(x.updated_at) FROM <p>execution_tool_calls x" + of + ", " + execution + ".updated_at)");
    }
    /**
     * Whole milliseconds from the timestamp {@code start} to {@code end} (never before it here), as
     * {@code Duration.toMillis()} counts a handle's durations: microseconds on SQLite, so an integer
     * division; on PostgreSQL the interval's seconds (numeric from 14, a double on 13, exact to the
     * microsecond over any span a run takes once rounded to whole microseconds). NULL when {@code start} is.
     */
    private static String millisBetween(Dialect d, String start, String end) {
        return d == Dialect.SQLITE ? "((" + end + ") - " + start + ") / 1000"
                : "(ROUND(EXTRACT(EPOCH FROM ((" + end + ") - " + start + ")) * 1000000)::bigint / 1000)";
    }
    /** A row's new update time: never before its last one, whatever the writer's clock (another Atlas behind, NTP). */
    private static final String LATER = Dialect.LATER;
    private static final String CLOSE_SET = " completed_at = " + ENDED + ", duration_ms = :duration, updated_at = " + LATER;

    private final Catalogue c;
    /**
     * The end of an execution ending now: never before its last write ({@link #lastWrite}), so no
     * instance whose clock is behind dates it before a step or tool call another one wrote, nor
     * before its start or creation (cancelled or swept while waiting).
     */
    private final String executionEnded;
    final Statement conversationExists;
    /**
     * The conversation of a tool call's execution (null for an execution outside any): what a tool
     * thread's parent call and a memory's provenance call are checked against.
     */
    final Statement toolCallConversation;
    /** A running execution's last write ({@link #lastWrite}): what its finish ends no earlier than. */
    final Statement lastWrite;
    /** {@link #lastWrite} locking the execution as {@link #lockProcessing} does, before its steps are summed. */
    final Statement lastWriteLocked;
    final Statement conversationLiveForInsert;
    final Statement revisionLiveForInsert;
    final Statement insert;
    final Statement find;
    final Statement finish;
    final Statement stepUsage;
    final Statement lockProcessing;
    final Statement queue;
    final Statement resume;
    final Statement cancel;
    final Statement executionCalls;
    final Statement executionSteps;
    final Statement step;
    final Statement stepCalls;
    final Statement toolCall;
    final Statement history;
    final Statement sweepExecutions;
    /** {@link #sweepExecutions} returning the swept rows, for the listeners. */
    final Statement sweepExecutionsReturning;
    final Statement sweepSteps;
    /** {@link #sweepSteps} returning the swept steps' ids, for the listeners. */
    final Statement sweepStepsReturning;
    /** The runs a sweep is about to fail that have finished steps, locked: their tokens are kept. */
    final Statement sweepRunningRuns;
    final Statement sweepLockRuns;
    final Statement sweptUsage;
    final Statement sweepCalls;
    /** {@link #sweepCalls} returning the swept rows, for the listeners. */
    final Statement sweepCallsReturning;
    final Statement insertStep;
    final Statement insertToolCall;
    final Statement insertToolCallOutsideStep;
    final Statement finishStep;
    final Statement failStep;
    final Statement completeToolCall;
    final Statement failToolCall;
    /** A queued or running tool call cancelled through its handle: one that never ran has no duration. */
    final Statement cancelToolCall;
    final Statement startToolCall;
    final Statement stepStatus;
    final Statement toolCallStatus;
    final Statement providerResponseId;
    final Statement metadata;
    final Statement stepMetadata;
    final Statement toolCallMetadata;

    ExecutionSql(Catalogue c) {
        this.c = c;
        String share = c.dialect().forShare();
        executionEnded = Dialect.nowOrLater(lastWrite(c.dialect(), "<p>executions"));
        String closeWhere = CLOSE_SET + " WHERE tenant_id = :t AND id = :id AND status = 'processing'";
        // A tool call's duration is its row's own span, from the started_at stored (its start() may have stamped the
        // row's later last write, and a cancel() may have waited for a start() to commit), as the sweep counts it.
        String toolCallSpan = millisBetween(c.dialect(), "started_at", ENDED);
        String closeToolCallWhere = " completed_at = " + ENDED + ", duration_ms = " + toolCallSpan + ", updated_at = " + LATER
                + " WHERE tenant_id = :t AND id = :id AND status = 'processing'";
        // A step closes only while its execution runs: the execution's usage and cost were summed
        // from its steps when it finished. (A tool call's result may come after its model call's
        // execution ended, as the LangChain4j adapter records them; it carries no usage.)
        String closeStepWhere = closeWhere + " AND EXISTS (SELECT 1 FROM <p>executions x WHERE x.tenant_id = :t"
                + " AND x.id = execution_id AND x.status = 'processing'" + share + ")";
        toolCallConversation = c.sql("executions.toolCallConversation", "SELECT e.conversation_id FROM <p>execution_tool_calls tc"
                + " JOIN <p>executions e ON e.tenant_id = :t AND e.id = tc.execution_id WHERE tc.tenant_id = :t AND tc.id = :id");
        conversationExists = c.sql("executions.conversationExists",
                "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        // Share-locked on PostgreSQL for a new execution: an erase's or purge's soft-delete of the
        // conversation waits for the insert to commit (and takes the execution with the rest), or
        // the insert waits for it and finds the conversation gone.
        conversationLiveForInsert = c.sql("executions.conversationLiveForInsert",
                "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL" + share);
        // As conversations.revisionAssistant: a deleted assistant's revisions stay readable but start nothing new. Its
        // assistant share-locked on PostgreSQL, so a concurrent delete waits for the insert to commit, or the insert for it.
        revisionLiveForInsert = c.sql("executions.revisionLiveForInsert", "SELECT 1 FROM <p>assistant_revisions r JOIN <p>assistants a"
                + " ON a.tenant_id = :t AND a.id = r.assistant_id AND a.deleted_at IS NULL WHERE r.tenant_id = :t AND r.id = :id"
                + (c.dialect().forShare().isEmpty() ? "" : " FOR SHARE OF a"));
        insert = c.sql("executions.insert", "INSERT INTO <p>executions (tenant_id, id, conversation_id, assistant_revision_id, type,"
                + " provider, model, agent, status, metadata, started_at, created_at, updated_at, owner_type, owner_id, project)"
                + " VALUES (:t, :id, :conversation, :revision, :type, :provider, :model, :agent, :status, :metadata, :started, :now,"
                + " :now, :ownerType, :ownerId, :project)");
        find = c.sql("executions.find", E + " AND id = :id");
        finish = c.sql("executions.finish", "UPDATE <p>executions SET status = :status, input_tokens = :input, output_tokens = :output,"
                + " reasoning_tokens = :reasoning, cached_tokens = :cached, cache_write_tokens = :cacheWrite, cost_pico = :cost,"
                + " error = :error, completed_at = " + ENDED + ", duration_ms = :duration, first_token_ms = COALESCE(first_token_ms, :firstToken),"
                + " updated_at = " + LATER + " WHERE tenant_id = :t AND id = :id AND status = 'processing' RETURNING " + ExecutionRows.EXECUTION_COLUMNS);
        // Taken before the steps are summed: a step closing meanwhile (it holds the execution FOR
        // SHARE) then either commits first and is counted, or waits and finds the execution done.
        lockProcessing = c.sql("executions.lockProcessing", "SELECT 1 FROM <p>executions WHERE tenant_id = :t AND id = :id"
                + " AND status = 'processing'" + c.dialect().forUpdate());
        String lastWriteText = "SELECT " + lastWrite(c.dialect(), "e") + " AS last_write FROM <p>executions e"
                + " WHERE e.tenant_id = :t AND e.id = :id AND e.status = 'processing'";
        lastWrite = c.sql("executions.lastWrite", lastWriteText);
        // Taken before the steps are summed, as lockProcessing: a step closing meanwhile is counted and its time seen.
        lastWriteLocked = c.sql("executions.lastWriteLocked", lastWriteText + c.dialect().forUpdate());
        stepUsage = c.sql("executions.stepUsage", "SELECT SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,"
                + " SUM(reasoning_tokens) AS reasoning_tokens, SUM(cached_tokens) AS cached_tokens,"
                + " SUM(cache_write_tokens) AS cache_write_tokens FROM <p>execution_steps WHERE tenant_id = :t AND execution_id = :execution");
        queue = move(c, "executions.queue", ExecutionStatus.QUEUED, "");
        // Not before its creation: a resume by an instance whose clock is behind would start it earlier.
        resume = move(c, "executions.resume", ExecutionStatus.PROCESSING, ", started_at = " + Dialect.nowOrLater("created_at"));
        // Waiting executions only: a processing one is finished with its usage (JdbiExecutionRecorder.cancel).
        cancel = c.sql("executions.cancel", "UPDATE <p>executions SET status = 'cancelled', updated_at = " + LATER + ", completed_at = " + executionEnded
                + " WHERE tenant_id = :t AND id = :id AND status IN ('pending', 'queued') RETURNING " + ExecutionRows.EXECUTION_COLUMNS);
        executionCalls = c.sql("executions.toolCalls", CALLS + " AND execution_id = :execution ORDER BY call_index");
        executionSteps = c.sql("executions.steps", STEPS + " AND execution_id = :execution ORDER BY sequence");
        step = c.sql("executions.step", STEPS + " AND id = :id");
        stepCalls = c.sql("executions.stepToolCalls", CALLS + " AND step_id = :step ORDER BY call_index");
        toolCall = c.sql("executions.toolCall", CALLS + " AND id = :id");
        history = c.sql("executions.history", "SELECT " + Rows.MESSAGE_COLUMNS + " FROM <p>messages WHERE tenant_id = :t"
                + " AND conversation_id = :conversation AND is_active = TRUE AND deleted_at IS NULL AND status = 'delivered'"
                + " AND EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t AND c.id = :conversation AND c.deleted_at IS NULL)"
                + " ORDER BY sequence DESC LIMIT :limit");
        // Aged from the start: a queued execution resumed after hours in its queue has just begun.
        // Its duration counted to that end, as a finish counts it (none for a run never started).
        String sweep = "UPDATE <p>executions SET status = 'failed', error = :error, completed_at = " + executionEnded + ","
                + " duration_ms = " + millisBetween(c.dialect(), "started_at", executionEnded) + ","
                + " updated_at = " + LATER + " WHERE tenant_id = :t AND status IN ('pending', 'processing')"
                + " AND COALESCE(started_at, created_at) < :cutoff";
        sweepExecutions = c.sql("executions.sweep", sweep);
        sweepExecutionsReturning = c.sql("executions.sweepReturning", sweep + " RETURNING " + ExecutionRows.EXECUTION_COLUMNS);
        // Every run about to be swept is locked before the steps are summed, as a finish locks its
        // run: a step closing meanwhile (it holds its run FOR SHARE) is counted, or finds the run failed.
        String sweptRuns = " AND status = 'processing' AND COALESCE(started_at, created_at) < :cutoff";
        // In id order: two instances sweeping at start-up take the locks in one order, never deadlocking.
        sweepLockRuns = c.sql("executions.sweepLockRuns", "SELECT id FROM <p>executions WHERE tenant_id = :t" + sweptRuns
                + " ORDER BY id" + c.dialect().forUpdate());
        // Every running one, finished steps or not: a run that finished none costs 0 at its price, as a cancel or fail stores it.
        // Only what its price needs: a column Atlas cannot read (metadata past the read limit) must not stop the sweep.
        sweepRunningRuns = c.sql("executions.sweepRunningRuns", "SELECT id, provider, model, created_at FROM <p>executions"
                + " WHERE tenant_id = :t" + sweptRuns);
        sweptUsage = c.sql("executions.sweptUsage", "UPDATE <p>executions SET input_tokens = :input, output_tokens = :output,"
                + " reasoning_tokens = :reasoning, cached_tokens = :cached, cache_write_tokens = :cacheWrite, cost_pico = :cost"
                + " WHERE tenant_id = :t AND id = :id AND status = 'processing'");
        // A step still open under a finished execution can never finish either. A running
        // execution's steps are left to it whatever their age: a step is never older than its run
        // but by another instance's clock, and failing it would break a live run.
        String orphaned = "execution_id IN (SELECT id FROM <p>executions x WHERE x.tenant_id = :t"
                + " AND x.status IN ('completed', 'failed', 'cancelled'))";
        // Ended as a step's fail() ends it: finish reason error.
        String sweepStepsText = "UPDATE <p>execution_steps SET status = 'failed', error = :error, finish_reason = 'error',"
                + " completed_at = " + ENDED + ", duration_ms = " + millisBetween(c.dialect(), "started_at", ENDED) + ", updated_at = " + LATER + " WHERE tenant_id = :t AND status IN ('pending', 'processing')"
                + " AND " + orphaned;
        sweepSteps = c.sql("executions.sweepSteps", sweepStepsText);
        sweepStepsReturning = c.sql("executions.sweepStepsReturning", sweepStepsText + " RETURNING id");
        // A running tool call may report its result after its execution ended (a framework's tool
        // runs after the model call that asked for it), so it is failed by its age alone, counted
        // from its start; a queued one waits by design, like a queued execution, until its execution is over.
        // A queued call never ran (its started_at is its creation until start()), so it has no duration.
        String sweepToolCalls = "UPDATE <p>execution_tool_calls SET status = 'failed', error = :error,"
                + " completed_at = " + ENDED + ", duration_ms = CASE WHEN status = 'queued' THEN NULL ELSE "
                + millisBetween(c.dialect(), "started_at", ENDED) + " END, updated_at = " + LATER + " WHERE tenant_id = :t AND ((status IN ('pending', 'processing')"
                + " AND started_at < :cutoff) OR (status = 'queued' AND " + orphaned + "))";
        sweepCalls = c.sql("executions.sweepToolCalls", sweepToolCalls);
        sweepCallsReturning = c.sql("executions.sweepToolCallsReturning", sweepToolCalls + " RETURNING " + ExecutionRows.TOOL_CALL_COLUMNS);

        // Inserted only while the execution is processing: a swept or cancelled run takes no new
        // steps nor tool calls. A finished step's refusal is the step handle's, the only way to
        // finish a step (a step lookup here cost a tenth of record() on SQLite, atlas-bench 4). Each
        // computes its number (last committed + 1) inside the insert and returns it, so numbers
        // stay 1..n (steps) and 0..n-1 (tool calls of a step) whatever failed before.
        String whileProcessing = " FROM <p>executions x WHERE x.tenant_id = :t AND x.id = :execution AND x.status = 'processing'" + share;
        insertStep = c.sql("executions.insertStep", "INSERT INTO <p>execution_steps (tenant_id, id, execution_id, sequence, status,"
                + " started_at, created_at, updated_at) SELECT :t, :id, :execution, (SELECT COALESCE(MAX(s.sequence), 0) + 1"
                + " FROM <p>execution_steps s WHERE s.tenant_id = x.tenant_id AND s.execution_id = x.id), 'processing', :now, :now, :now"
                + whileProcessing + " RETURNING sequence");
        insertToolCall = c.sql("executions.insertToolCall", "INSERT INTO <p>execution_tool_calls (tenant_id, id, execution_id, step_id,"
                + " provider_call_id, call_index, name, type, arguments, status, metadata, started_at, created_at, updated_at)"
                + " SELECT :t, :id, :execution, :step, :providerCallId, (SELECT COALESCE(MAX(c.call_index), -1) + 1"
                + " FROM <p>execution_tool_calls c WHERE c.tenant_id = x.tenant_id AND c.step_id = :step), :name, :type, :arguments,"
                + " :status, :metadata, :now, :now, :now" + whileProcessing + " RETURNING call_index");
        // Outside a step: numbered among the execution's calls without a step (seed 002 voice sessions).
        insertToolCallOutsideStep = c.sql("executions.insertToolCallOutsideStep", "INSERT INTO <p>execution_tool_calls (tenant_id, id,"
                + " execution_id, step_id, provider_call_id, call_index, name, type, arguments, status, metadata, started_at, created_at,"
                + " updated_at) SELECT :t, :id, :execution, NULL, :providerCallId, (SELECT COALESCE(MAX(c.call_index), -1) + 1"
                + " FROM <p>execution_tool_calls c WHERE c.tenant_id = x.tenant_id AND c.execution_id = x.id AND c.step_id IS NULL),"
                + " :name, :type, :arguments, :status, :metadata, :now, :now, :now" + whileProcessing + " RETURNING call_index");
        finishStep = c.sql("executions.finishStep", "UPDATE <p>execution_steps SET status = 'completed', content = :content,"
                + " reasoning = :reasoning, finish_reason = :finishReason, input_tokens = :input, output_tokens = :output,"
                + " reasoning_tokens = :reasoningTokens, cached_tokens = :cached, cache_write_tokens = :cacheWrite," + closeStepWhere);
        failStep = c.sql("executions.failStep", "UPDATE <p>execution_steps SET status = 'failed', error = :error,"
                + " finish_reason = 'error'," + closeStepWhere);
        completeToolCall = c.sql("executions.completeToolCall", "UPDATE <p>execution_tool_calls SET status = 'completed',"
                + " result = :result," + closeToolCallWhere);
        failToolCall = c.sql("executions.failToolCall", "UPDATE <p>execution_tool_calls SET status = 'failed', error = :error," + closeToolCallWhere);
        // Whether its execution still runs or not: closing a call the agent will not run is no new work.
        cancelToolCall = c.sql("executions.cancelToolCall", "UPDATE <p>execution_tool_calls SET status = 'cancelled', completed_at = " + ENDED
                + ", duration_ms = CASE WHEN status = 'queued' THEN NULL ELSE " + toolCallSpan + " END, updated_at = " + LATER
                + " WHERE tenant_id = :t AND id = :id AND status IN ('queued', 'processing')");
        startToolCall = c.sql("executions.startToolCall", "UPDATE <p>execution_tool_calls SET status = 'processing', started_at = " + Dialect.LATER + ","
                + " updated_at = " + LATER + " WHERE tenant_id = :t AND id = :id AND status = 'queued' AND EXISTS (SELECT 1 FROM <p>executions x"
                + " WHERE x.tenant_id = :t AND x.id = execution_id AND x.status = 'processing'" + share + ")");
        stepStatus = c.sql("executions.stepStatus", "SELECT status FROM <p>execution_steps WHERE tenant_id = :t AND id = :id");
        toolCallStatus = c.sql("executions.toolCallStatus", "SELECT status FROM <p>execution_tool_calls WHERE tenant_id = :t AND id = :id");
        // Only while processing: a finished record is final, whichever handle or process finished it.
        String whileRunning = " WHERE tenant_id = :t AND id = :id AND status = 'processing'";
        providerResponseId = c.sql("executions.providerResponseId", "UPDATE <p>executions SET provider_response_id = :value,"
                + " updated_at = " + LATER + whileRunning);
        metadata = c.sql("executions.metadata", "UPDATE <p>executions SET metadata = :value, updated_at = " + LATER + whileRunning);
        String setMetadata = " SET metadata = :value, updated_at = " + LATER + " WHERE tenant_id = :t AND id = :id";
        stepMetadata = c.sql("executions.stepMetadata", "UPDATE <p>execution_steps" + setMetadata);
        toolCallMetadata = c.sql("executions.toolCallMetadata", "UPDATE <p>execution_tool_calls" + setMetadata);
    }

    /** The guarded move to {@code target} from the statuses allowed to move there; returns the moved row. */
    private static Statement move(Catalogue c, String name, ExecutionStatus target, String extra) {
        String from = ExecutionStatus.from(target).stream().map(s -> "'" + s + "'").collect(Collectors.joining(", "));
        return c.sql(name, "UPDATE <p>executions SET status = '" + target + "', updated_at = " + LATER + extra
                + " WHERE tenant_id = :t AND id = :id AND status IN (" + from + ") RETURNING " + ExecutionRows.EXECUTION_COLUMNS);
    }

    /** A page of executions, newest first, after the optional filters {@code where}. */
    Statement list(String where) {
        return c.render("executions.list", E + where + " ORDER BY id DESC LIMIT :limit");
    }

    /** A page of tool calls, newest first by id (creation order), after the optional filters {@code where}. */
    Statement toolCalls(String where) {
        return c.render("executions.listToolCalls", CALLS + where + " ORDER BY id DESC LIMIT :limit");
    }

    /**
     * Limits {@link #stepsOf}/{@link #toolCallsOf} to executions of {@code :conversation} or of none:
     * a message may link to another conversation's execution, whose rounds must not reach this history.
     * A correlated EXISTS reads each row's execution by key: as an IN over the tenant's executions,
     * SQLite listed every execution of the tenant on each call (ToolHistoryQueryPlanTest).
     */
    static final String OF_CONVERSATION = "EXISTS (SELECT 1 FROM <p>executions e WHERE e.tenant_id = :t AND e.id = execution_id"
            + " AND (e.conversation_id IS NULL OR e.conversation_id = :conversation))";

    /** The steps of the executions in {@code where} (an IN list), in sequence order. */
    Statement stepsOf(String where) {
        return c.render("executions.stepsOf", STEPS + where + " ORDER BY sequence");
    }

    /** The tool calls of the executions in {@code where} (an IN list), in index order. */
    Statement toolCallsOf(String where) {
        return c.render("executions.toolCallsOf", CALLS + where + " ORDER BY call_index");
    }
}
