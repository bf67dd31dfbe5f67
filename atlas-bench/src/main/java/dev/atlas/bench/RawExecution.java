package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.Dialect;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Hand-written JDBC writing the rows of {@link ExecutionScript}: the baselines of benchmark 4.
 * {@link #recordPerCall} commits as often as the recorder does (every handle call its own
 * transaction, so progress is durable as it happens); {@link #recordAtOnce} writes the finished
 * rows in one transaction with batched inserts, the physical limit for these rows.
 */
final class RawExecution {
    private static final String P = RawJdbc.PREFIX;
    private static final String PROCESSING = ExecutionStatus.PROCESSING.toString();
    private static final String COMPLETED = ExecutionStatus.COMPLETED.toString();

    private static final String INSERT_EXECUTION = "INSERT INTO " + P + "executions (tenant_id, id, conversation_id, type, provider,"
            + " model, agent, status, input_tokens, output_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, cost_pico,"
            + " metadata, started_at, completed_at, duration_ms, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_STEP = "INSERT INTO " + P + "execution_steps (tenant_id, id, execution_id, sequence, status,"
            + " content, finish_reason, input_tokens, output_tokens, started_at, completed_at, duration_ms, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_CALL = "INSERT INTO " + P + "execution_tool_calls (tenant_id, id, execution_id, step_id,"
            + " provider_call_id, call_index, name, type, arguments, result, status, started_at, completed_at, duration_ms, created_at,"
            + " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'local', ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String COMPLETE_CALL = "UPDATE " + P + "execution_tool_calls SET status = ?, result = ?, completed_at = ?,"
            + " duration_ms = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = ?";
    private static final String FINISH_STEP = "UPDATE " + P + "execution_steps SET status = ?, content = ?, finish_reason = ?,"
            + " input_tokens = ?, output_tokens = ?, completed_at = ?, duration_ms = ?, updated_at = ?"
            + " WHERE tenant_id = ? AND id = ? AND status = ?";
    private static final String PRICE = "SELECT input_micros_per_mtok, output_micros_per_mtok, cached_micros_per_mtok,"
            + " cache_write_micros_per_mtok FROM " + P + "model_prices WHERE tenant_id = ? AND provider = ? AND model = ?"
            + " AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1";
    private static final String FINISH_EXECUTION = "UPDATE " + P + "executions SET status = ?, input_tokens = ?, output_tokens = ?,"
            + " cost_pico = ?, completed_at = ?, duration_ms = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = ?";

    /** Transactions {@link #recordPerCall} commits: start, 3 steps, 5 tool calls, 5 results, 3 step finishes, completion. */
    static final int TRANSACTIONS_PER_CALL = 1 + ExecutionScript.STEPS + 2 * ExecutionScript.TOOL_CALLS + ExecutionScript.STEPS + 1;

    private final DataSource dataSource;
    private final Dialect dialect;
    private final String tenant;
    private final org.jdbi.v3.core.Jdbi jdbi;

    RawExecution(DataSource dataSource, Dialect dialect, String tenant) {
        this(dataSource, dialect, tenant, null);
    }

    /**
     * With {@code jdbi}, every transaction is a Jdbi transaction ({@code Jdbi.inTransaction}) and the
     * statements run on its connection: a diagnostic that isolates what Jdbi's handle and
     * transaction management cost, without its statement machinery.
     */
    RawExecution(DataSource dataSource, Dialect dialect, String tenant, org.jdbi.v3.core.Jdbi jdbi) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.tenant = tenant;
        this.jdbi = jdbi;
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T tx(Work<T> work) {
        if (jdbi != null) {
            return jdbi.inTransaction(h -> {
                try {
                    return work.run(h.getConnection());
                } catch (SQLException e) {
                    throw new IllegalStateException("raw execution write in a Jdbi transaction failed", e);
                }
            });
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("raw execution write failed", e);
        }
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static long millis(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }

    /** The script with one transaction per recorder call ({@link #TRANSACTIONS_PER_CALL} in all). */
    void recordPerCall(UUID conversationId, String agent) {
        UUID id = Ids.next();
        Instant created = tx(c -> {
            Instant t = now();
            insertExecution(c, id, conversationId, agent, PROCESSING, null, null, t, null);
            return t;
        });
        int k = 0;
        for (int i = 0; i < ExecutionScript.STEPS; i++) {
            UUID stepId = Ids.next();
            int sequence = i + 1;
            Instant stepStarted = tx(c -> {
                Instant t = now();
                insertStep(c, stepId, id, sequence, PROCESSING, -1, t, null);
                return t;
            });
            for (int n = 0; n < ExecutionScript.CALLS_PER_STEP[i]; n++) {
                UUID callId = Ids.next();
                int index = n;
                int callNumber = k++;
                Instant callStarted = tx(c -> {
                    Instant t = now();
                    insertCall(c, callId, id, stepId, callNumber, index, null, PROCESSING, t, null);
                    return t;
                });
                tx(c -> {
                    Instant t = now();
                    try (PreparedStatement ps = c.prepareStatement(COMPLETE_CALL)) {
                        ps.setString(1, COMPLETED);
                        ps.setString(2, ExecutionScript.RESULT);
                        dialect.bindInstant(ps, 3, t);
                        ps.setLong(4, millis(callStarted, t));
                        dialect.bindInstant(ps, 5, t);
                        ps.setString(6, tenant);
                        dialect.bindUuid(ps, 7, callId);
                        ps.setString(8, PROCESSING);
                        return expectOne(ps.executeUpdate());
                    }
                });
            }
            int step = i;
            tx(c -> {
                Instant t = now();
                Usage u = ExecutionScript.stepUsage(step);
                try (PreparedStatement ps = c.prepareStatement(FINISH_STEP)) {
                    ps.setString(1, COMPLETED);
                    ps.setString(2, ExecutionScript.content(step));
                    ps.setString(3, ExecutionScript.finish(step).toString());
                    ps.setLong(4, u.inputTokens());
                    ps.setLong(5, u.outputTokens());
                    dialect.bindInstant(ps, 6, t);
                    ps.setLong(7, millis(stepStarted, t));
                    dialect.bindInstant(ps, 8, t);
                    ps.setString(9, tenant);
                    dialect.bindUuid(ps, 10, stepId);
                    ps.setString(11, PROCESSING);
                    return expectOne(ps.executeUpdate());
                }
            });
        }
        tx(c -> {
            Instant t = now();
            Usage u = ExecutionScript.total();
            Long cost = cost(c, created, u);
            try (PreparedStatement ps = c.prepareStatement(FINISH_EXECUTION)) {
                ps.setString(1, COMPLETED);
                ps.setLong(2, u.inputTokens());
                ps.setLong(3, u.outputTokens());
                setLong(ps, 4, cost);
                dialect.bindInstant(ps, 5, t);
                ps.setLong(6, millis(created, t));
                dialect.bindInstant(ps, 7, t);
                ps.setString(8, tenant);
                dialect.bindUuid(ps, 9, id);
                ps.setString(10, PROCESSING);
                return expectOne(ps.executeUpdate());
            }
        });
    }

    /** The finished rows of the script in one transaction: price lookup, then batched inserts. */
    void recordAtOnce(UUID conversationId, String agent) {
        tx(c -> {
            Instant t = now();
            Usage u = ExecutionScript.total();
            UUID id = Ids.next();
            insertExecution(c, id, conversationId, agent, COMPLETED, u, cost(c, t, u), t, t);
            UUID[] steps = new UUID[ExecutionScript.STEPS];
            try (PreparedStatement ps = c.prepareStatement(INSERT_STEP)) {
                for (int i = 0; i < steps.length; i++) {
                    steps[i] = Ids.next();
                    bindStep(ps, steps[i], id, i + 1, COMPLETED, i, t, t);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement(INSERT_CALL)) {
                int k = 0;
                for (int i = 0; i < steps.length; i++) {
                    for (int n = 0; n < ExecutionScript.CALLS_PER_STEP[i]; n++) {
                        bindCall(ps, Ids.next(), id, steps[i], k++, n, ExecutionScript.RESULT, COMPLETED, t, t);
                        ps.addBatch();
                    }
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /** Cost in 10^-12 units from the price valid at {@code created}, as the recorder computes it. */
    private Long cost(Connection c, Instant created, Usage u) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(PRICE)) {
            ps.setString(1, tenant);
            ps.setString(2, ExecutionScript.PROVIDER);
            ps.setString(3, ExecutionScript.MODEL);
            dialect.bindInstant(ps, 4, created);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long in = rs.getLong(1);
                long out = rs.getLong(2);
                // Tokens x micro-units per million tokens = 10^-12 units; this usage has no cached tokens.
                return Math.addExact(Math.multiplyExact(u.inputTokens(), in), Math.multiplyExact(u.outputTokens(), out));
            }
        }
    }

    private void insertExecution(Connection c, UUID id, UUID conversationId, String agent, String status, Usage u, Long cost,
                                 Instant started, Instant completed) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_EXECUTION)) {
            ps.setString(1, tenant);
            dialect.bindUuid(ps, 2, id);
            dialect.bindUuid(ps, 3, conversationId);
            ps.setString(4, ExecutionScript.TYPE);
            ps.setString(5, ExecutionScript.PROVIDER);
            ps.setString(6, ExecutionScript.MODEL);
            ps.setString(7, agent);
            ps.setString(8, status);
            setLong(ps, 9, u == null ? null : u.inputTokens());
            setLong(ps, 10, u == null ? null : u.outputTokens());
            ps.setNull(11, Types.BIGINT);
            ps.setNull(12, Types.BIGINT);
            ps.setNull(13, Types.BIGINT);
            setLong(ps, 14, cost);
            dialect.bindJson(ps, 15, "{}");
            dialect.bindInstant(ps, 16, started);
            bindInstant(ps, 17, completed);
            setLong(ps, 18, completed == null ? null : millis(started, completed));
            dialect.bindInstant(ps, 19, started);
            dialect.bindInstant(ps, 20, completed == null ? started : completed);
            expectOne(ps.executeUpdate());
        }
    }

    private void insertStep(Connection c, UUID id, UUID executionId, int sequence, String status, int usageOf, Instant started,
                            Instant completed) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_STEP)) {
            bindStep(ps, id, executionId, sequence, status, usageOf, started, completed);
            expectOne(ps.executeUpdate());
        }
    }

    /** {@code usageOf} is the script step whose content and usage to write, or -1 for an open step. */
    private void bindStep(PreparedStatement ps, UUID id, UUID executionId, int sequence, String status, int usageOf, Instant started,
                          Instant completed) throws SQLException {
        Usage u = usageOf < 0 ? null : ExecutionScript.stepUsage(usageOf);
        ps.setString(1, tenant);
        dialect.bindUuid(ps, 2, id);
        dialect.bindUuid(ps, 3, executionId);
        ps.setInt(4, sequence);
        ps.setString(5, status);
        ps.setString(6, usageOf < 0 ? null : ExecutionScript.content(usageOf));
        ps.setString(7, usageOf < 0 ? null : ExecutionScript.finish(usageOf).toString());
        setLong(ps, 8, u == null ? null : u.inputTokens());
        setLong(ps, 9, u == null ? null : u.outputTokens());
        dialect.bindInstant(ps, 10, started);
        bindInstant(ps, 11, completed);
        setLong(ps, 12, completed == null ? null : millis(started, completed));
        dialect.bindInstant(ps, 13, started);
        dialect.bindInstant(ps, 14, completed == null ? started : completed);
    }

    private void insertCall(Connection c, UUID id, UUID executionId, UUID stepId, int number, int index, String result, String status,
                            Instant started, Instant completed) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT_CALL)) {
            bindCall(ps, id, executionId, stepId, number, index, result, status, started, completed);
            expectOne(ps.executeUpdate());
        }
    }

    private void bindCall(PreparedStatement ps, UUID id, UUID executionId, UUID stepId, int number, int index, String result,
                          String status, Instant started, Instant completed) throws SQLException {
        ps.setString(1, tenant);
        dialect.bindUuid(ps, 2, id);
        dialect.bindUuid(ps, 3, executionId);
        dialect.bindUuid(ps, 4, stepId);
        ps.setString(5, ExecutionScript.callId(number));
        ps.setInt(6, index);
        ps.setString(7, ExecutionScript.TOOL);
        ps.setString(8, ExecutionScript.arguments(number));
        ps.setString(9, result);
        ps.setString(10, status);
        dialect.bindInstant(ps, 11, started);
        bindInstant(ps, 12, completed);
        setLong(ps, 13, completed == null ? null : millis(started, completed));
        dialect.bindInstant(ps, 14, started);
        dialect.bindInstant(ps, 15, completed == null ? started : completed);
    }

    private void bindInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, dialect == Dialect.SQLITE ? Types.BIGINT : Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            dialect.bindInstant(ps, i, t);
        }
    }

    private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    private static int expectOne(int updated) {
        if (updated != 1) {
            throw new IllegalStateException("expected one row, updated " + updated);
        }
        return updated;
    }
}
