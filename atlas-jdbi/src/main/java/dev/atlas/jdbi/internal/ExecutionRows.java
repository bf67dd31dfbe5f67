package dev.atlas.jdbi.internal;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallType;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.math.BigInteger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/** Row mappers and column lists of executions, steps, tool calls and prices. */
final class ExecutionRows {
    private ExecutionRows() {}

    static final String USAGE_COLUMNS = "input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens";

    static final String EXECUTION_COLUMNS = "tenant_id, id, conversation_id, assistant_revision_id, type, provider, model, agent,"
            + " status, " + USAGE_COLUMNS + ", cost_pico, error, metadata, provider_response_id, started_at, completed_at,"
            + " duration_ms, first_token_ms, created_at, updated_at, owner_type, owner_id, project";

    static final String STEP_COLUMNS = "id, execution_id, sequence, status, content, reasoning, finish_reason, error, "
            + USAGE_COLUMNS + ", started_at, completed_at, duration_ms, metadata";

    static final String TOOL_CALL_COLUMNS = "id, execution_id, step_id, provider_call_id, call_index, name, type, arguments, result,"
            + " status, error, started_at, completed_at, duration_ms, metadata";

    static final String PRICE_COLUMNS = "id, provider, model, input_micros_per_mtok, output_micros_per_mtok, cached_micros_per_mtok,"
            + " cache_write_micros_per_mtok, valid_from";

    static Long nullableLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    static Usage usage(ResultSet rs) throws SQLException {
        return new Usage(nullableLong(rs, "input_tokens"), nullableLong(rs, "output_tokens"), nullableLong(rs, "reasoning_tokens"),
                nullableLong(rs, "cached_tokens"), nullableLong(rs, "cache_write_tokens"));
    }

    static RowMapper<Execution> execution(Dialect d) {
        return Rows.guard("executions", "id", (rs, ctx) -> {
            Long pico = nullableLong(rs, "cost_pico");
            return new Execution(
                    d.uuid(rs, "id"),
                    rs.getString("tenant_id"),
                    d.uuid(rs, "conversation_id"),
                    d.uuid(rs, "assistant_revision_id"),
                    ExecutionType.of(rs.getString("type")),
                    rs.getString("provider"),
                    rs.getString("model"),
                    rs.getString("agent"),
                    ExecutionStatus.of(rs.getString("status")),
                    usage(rs),
                    pico == null ? null : ModelPrice.fromPico(BigInteger.valueOf(pico)),
                    rs.getString("error"),
                    Json.readMap(rs.getString("metadata")),
                    rs.getString("provider_response_id"),
                    d.instant(rs, "started_at"),
                    d.instant(rs, "completed_at"),
                    nullableLong(rs, "duration_ms"),
                    nullableLong(rs, "first_token_ms"),
                    d.instant(rs, "created_at"),
                    d.instant(rs, "updated_at"),
                    Rows.owner(rs, "owner_type", "owner_id"),
                    rs.getString("project"));
        });
    }

    /**
     * The step of the current row with {@code toolCalls}. Guarded as the other tables' rows are: a
     * row Atlas cannot read (a finish reason of a newer version, which no CHECK stops, or metadata
     * past the read limit) fails naming the table and the step, not as the caller's input.
     */
    static ExecutionStep step(Dialect d, ResultSet rs, List<ToolCall> toolCalls) throws SQLException {
        return Rows.guard("execution_steps", "id", (r, ctx) -> stepRow(d, r, toolCalls)).map(rs, null);
    }

    private static ExecutionStep stepRow(Dialect d, ResultSet rs, List<ToolCall> toolCalls) throws SQLException {
        String finish = rs.getString("finish_reason");
        return new ExecutionStep(
                d.uuid(rs, "id"),
                d.uuid(rs, "execution_id"),
                rs.getInt("sequence"),
                ExecutionStatus.of(rs.getString("status")),
                rs.getString("content"),
                rs.getString("reasoning"),
                finish == null ? null : FinishReason.of(finish),
                rs.getString("error"),
                usage(rs),
                d.instant(rs, "started_at"),
                d.instant(rs, "completed_at"),
                nullableLong(rs, "duration_ms"),
                toolCalls,
                Json.readMap(rs.getString("metadata")));
    }

    /** Guarded as {@link #step} is, so an unreadable call fails naming {@code execution_tool_calls} and its id. */
    static RowMapper<ToolCall> toolCall(Dialect d) {
        return Rows.guard("execution_tool_calls", "id", (rs, ctx) -> new ToolCall(
                d.uuid(rs, "id"),
                d.uuid(rs, "execution_id"),
                d.uuid(rs, "step_id"),
                rs.getString("provider_call_id"),
                rs.getInt("call_index"),
                rs.getString("name"),
                ToolCallType.of(rs.getString("type")),
                rs.getString("arguments"),
                rs.getString("result"),
                ExecutionStatus.of(rs.getString("status")),
                rs.getString("error"),
                d.instant(rs, "started_at"),
                d.instant(rs, "completed_at"),
                nullableLong(rs, "duration_ms"),
                Json.readMap(rs.getString("metadata"))));
    }

    static RowMapper<ModelPrice> price(Dialect d) {
        // A stored price the API would refuse (written by SQL or an older Atlas) is the row's fault, not the caller's.
        return Rows.guard("model_prices", "id", (rs, ctx) -> {
            Long cached = nullableLong(rs, "cached_micros_per_mtok");
            Long cacheWrite = nullableLong(rs, "cache_write_micros_per_mtok");
            return new ModelPrice(rs.getString("provider"), rs.getString("model"),
                    ModelPrice.fromMicros(rs.getLong("input_micros_per_mtok")),
                    ModelPrice.fromMicros(rs.getLong("output_micros_per_mtok")),
                    cached == null ? null : ModelPrice.fromMicros(cached),
                    cacheWrite == null ? null : ModelPrice.fromMicros(cacheWrite),
                    d.instant(rs, "valid_from"));
        });
    }
}
