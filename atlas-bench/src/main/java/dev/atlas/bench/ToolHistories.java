package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.jdbi.internal.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * For each profile length, a conversation whose assistant messages are linked to execution
 * steps, a third of them with tool calls: what {@code historyWithTools} reads. Seeded with
 * batched raw inserts of valid rows (executions, steps, tool calls, messages with execution_id
 * and step_id, their audit events, the conversation counter) into the database of
 * {@link LongConversations}.
 */
final class ToolHistories implements AutoCloseable {
    /** Every assistant reply is one execution of one step; every third one's step made this many tool calls. */
    static final int CALLS_PER_TOOL_STEP = 2;
    static final int TOOL_EVERY_NTH_REPLY = 3;

    private static final String P = RawJdbc.PREFIX;
    private static final String INSERT_EXECUTION = "INSERT INTO " + P + "executions (tenant_id, id, conversation_id, type, provider,"
            + " model, agent, status, input_tokens, output_tokens, cost_pico, metadata, started_at, completed_at, duration_ms,"
            + " created_at, updated_at) VALUES (?, ?, ?, 'text', 'openai', 'gpt-4o', 'support', 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_STEP = "INSERT INTO " + P + "execution_steps (tenant_id, id, execution_id, sequence, status,"
            + " content, finish_reason, input_tokens, output_tokens, started_at, completed_at, duration_ms, created_at, updated_at)"
            + " VALUES (?, ?, ?, 1, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_CALL = "INSERT INTO " + P + "execution_tool_calls (tenant_id, id, execution_id, step_id,"
            + " provider_call_id, call_index, name, type, arguments, result, status, started_at, completed_at, duration_ms, created_at,"
            + " updated_at) VALUES (?, ?, ?, ?, ?, ?, 'lookup_order', 'local', ?, ?, 'completed', ?, ?, 0, ?, ?)";
    private static final String INSERT_MESSAGE = "INSERT INTO " + P + "messages (tenant_id, id, conversation_id, sequence, role,"
            + " content_type, content, status, is_active, agent, execution_id, step_id, metadata, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', TRUE, ?, ?, ?, ?, ?, ?)";

    final Map<Integer, UUID> conversations = new LinkedHashMap<>();
    final Map<Integer, Long> toolCallsSeeded = new LinkedHashMap<>();

    static ToolHistories of(Env env, BenchDatabase database) {
        LongConversations long_ = LongConversations.of(env, database);
        return env.fixture("tool-histories:" + database.label(), () -> build(database, long_, env.profile().lengths()));
    }

    private static ToolHistories build(BenchDatabase database, LongConversations f, List<Integer> lengths) {
        ToolHistories t = new ToolHistories();
        try {
            for (int length : lengths) {
                long t0 = System.nanoTime();
                Conversation c = f.tenant.conversations().create(NewConversation.of(Owner.user("tools-" + length), "support")
                        .title("Seeded with tool calls, " + length + " messages"));
                long calls;
                try (Connection seed = database.seedConnection(f.db.name())) {
                    calls = seed(seed, database.dialect(), c.id(), length);
                }
                t.conversations.put(length, c.id());
                t.toolCallsSeeded.put(length, calls);
                Env.log("%s: seeded %,d messages with %,d executions and %,d tool calls in %.1f s", database.label(), length,
                        length / 2, calls, (System.nanoTime() - t0) / 1e9);
            }
            if (database.dialect() == Dialect.POSTGRESQL) {
                // As in LongConversations: statistics as autovacuum would have them a minute after the bulk load.
                try (Connection c = f.db.dataSource().getConnection(); Statement s = c.createStatement()) {
                    s.execute("ANALYZE");
                }
            }
            return t;
        } catch (SQLException e) {
            throw new IllegalStateException("seeding tool histories on " + database.label() + " failed", e);
        }
    }

    /** Seeds {@code count} messages (user, assistant alternating) into an empty conversation; returns the tool calls written. */
    private static long seed(Connection c, Dialect d, UUID conversationId, int count) throws SQLException {
        c.setAutoCommit(false);
        String tenant = LongConversations.TENANT;
        RawJdbc raw = new RawJdbc(null, d, tenant);
        Instant start = Instant.now().minusSeconds(count).truncatedTo(ChronoUnit.MICROS);
        int chunk = 5_000;
        long calls = 0;
        try (PreparedStatement exe = c.prepareStatement(INSERT_EXECUTION); PreparedStatement step = c.prepareStatement(INSERT_STEP);
             PreparedStatement call = c.prepareStatement(INSERT_CALL); PreparedStatement msg = c.prepareStatement(INSERT_MESSAGE);
             PreparedStatement evt = c.prepareStatement(RawJdbc.INSERT_EVENT)) {
            for (int seq = 1; seq <= count; seq++) {
                boolean assistant = seq % 2 == 0;
                Instant at = start.plus(seq, ChronoUnit.MILLIS);
                UUID id = Ids.next();
                UUID executionId = null;
                UUID stepId = null;
                String content = Messages.content(seq);
                if (assistant) {
                    executionId = Ids.next();
                    stepId = Ids.next();
                    boolean tools = (seq / 2) % TOOL_EVERY_NTH_REPLY == 0;
                    Instant began = at.minus(900, ChronoUnit.MILLIS);
                    int i = 1;
                    exe.setString(i++, tenant);
                    d.bindUuid(exe, i++, executionId);
                    d.bindUuid(exe, i++, conversationId);
                    exe.setLong(i++, 1_500);
                    exe.setLong(i++, 60);
                    exe.setLong(i++, 1_500L * 2_500_000 + 60L * 10_000_000);
                    d.bindJson(exe, i++, "{}");
                    d.bindInstant(exe, i++, began);
                    d.bindInstant(exe, i++, at);
                    exe.setLong(i++, 900);
                    d.bindInstant(exe, i++, began);
                    d.bindInstant(exe, i, at);
                    exe.addBatch();
                    i = 1;
                    step.setString(i++, tenant);
                    d.bindUuid(step, i++, stepId);
                    d.bindUuid(step, i++, executionId);
                    step.setString(i++, content);
                    step.setString(i++, tools ? "tool_calls" : "stop");
                    step.setLong(i++, 1_500);
                    step.setLong(i++, 60);
                    d.bindInstant(step, i++, began);
                    d.bindInstant(step, i++, at);
                    step.setLong(i++, 900);
                    d.bindInstant(step, i++, began);
                    d.bindInstant(step, i, at);
                    step.addBatch();
                    for (int k = 0; tools && k < CALLS_PER_TOOL_STEP; k++) {
                        i = 1;
                        call.setString(i++, tenant);
                        d.bindUuid(call, i++, Ids.next());
                        d.bindUuid(call, i++, executionId);
                        d.bindUuid(call, i++, stepId);
                        call.setString(i++, "call_" + seq + "_" + k);
                        call.setInt(i++, k);
                        call.setString(i++, ExecutionScript.arguments(seq + k));
                        call.setString(i++, ExecutionScript.RESULT);
                        d.bindInstant(call, i++, began);
                        d.bindInstant(call, i++, began);
                        d.bindInstant(call, i++, began);
                        d.bindInstant(call, i, began);
                        call.addBatch();
                        calls++;
                    }
                }
                int i = 1;
                msg.setString(i++, tenant);
                d.bindUuid(msg, i++, id);
                d.bindUuid(msg, i++, conversationId);
                msg.setLong(i++, seq);
                msg.setString(i++, assistant ? "assistant" : "user");
                msg.setString(i++, content);
                msg.setString(i++, assistant ? "support" : null);
                bindUuidOrNull(msg, i++, d, executionId);
                bindUuidOrNull(msg, i++, d, stepId);
                d.bindJson(msg, i++, "{}");
                d.bindInstant(msg, i++, at);
                d.bindInstant(msg, i, at);
                msg.addBatch();
                raw.bindEvent(evt, conversationId, id, seq, assistant ? "assistant" : "user", at);
                evt.addBatch();
                if (seq % chunk == 0 || seq == count) {
                    exe.executeBatch();
                    step.executeBatch();
                    call.executeBatch();
                    msg.executeBatch();
                    evt.executeBatch();
                    c.commit();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + P + "conversations SET last_sequence = ?, last_message_at = ?,"
                + " activity_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND last_sequence = 0")) {
            Instant last = start.plus(count, ChronoUnit.MILLIS);
            ps.setLong(1, count);
            d.bindInstant(ps, 2, last);
            d.bindInstant(ps, 3, last);
            d.bindInstant(ps, 4, last);
            ps.setString(5, tenant);
            d.bindUuid(ps, 6, conversationId);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("conversation " + conversationId + " was not empty");
            }
        }
        c.commit();
        return calls;
    }

    private static void bindUuidOrNull(PreparedStatement ps, int i, Dialect d, UUID id) throws SQLException {
        if (id == null) {
            ps.setNull(i, d == Dialect.SQLITE ? java.sql.Types.VARCHAR : java.sql.Types.OTHER);
        } else {
            d.bindUuid(ps, i, id);
        }
    }

    @Override
    public void close() {
        // The database belongs to LongConversations, which closes it.
    }
}
