package dev.atlas.bench;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.kit.CountingDataSource;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ModelPrice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;

/** Issue 6, benchmark 4: recording one full execution through the recorder against the same rows written by raw JDBC. */
final class RecordExecution implements Benchmark {
    static final double TARGET = 0.7;
    /**
     * Atlas runs far more Java per execution than the raw side (Jdbi's statement machinery for 20
     * statements); on SQLite it needs about 1,500 recordings before the JIT has compiled it and its
     * time per execution settles, so a warm-up of one short round would measure the compiler.
     */
    static final long WARMUP_MILLIS = 4_000;
    private static final String TENANT = "bench";
    private static final String ATLAS = "atlas";
    private static final String PER_CALL = "raw-per-call";
    private static final String AT_ONCE = "raw-one-tx";
    private static final String JDBI_STATEMENTS = "jdbi-statements";
    private static final String RAW_IN_JDBI = "raw-in-jdbi-tx";
    private static final List<String> AGENTS = List.of(ATLAS, PER_CALL, JDBI_STATEMENTS, RAW_IN_JDBI, AT_ONCE);

    @Override
    public String id() {
        return "record-execution";
    }

    @Override
    public String title() {
        return "4. Record one full execution: Atlas vs raw JDBC";
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        Section s = new Section(this, "One execution linked to a conversation: 3 steps with 2, 3 and 0 tool calls (5 tool calls,"
                + " each created then completed with its result), per-step usage, total usage and the cost computed from a"
                + " model_prices row. Atlas: ExecutionRecorder.record(spec, exec -> ...), where every handle call is its own"
                + " transaction. Baseline (the target): hand-written JDBC writing the same rows with the same number of"
                + " transactions (" + RawExecution.TRANSACTIONS_PER_CALL + ": start, 3 steps, 5 tool calls, 5 results, 3 step"
                + " finishes, completion with price lookup). Diagnostic: hand-written JDBC writing the finished rows in ONE"
                + " transaction (price lookup, execution insert, batched step and tool-call inserts), the physical limit. Two more"
                + " diagnostic sides split the gap, as in benchmark 1: the recorder's own 20 statements (same SQL, same 18"
                + " transactions) through Atlas's configured Jdbi without Atlas's logic, and the raw per-call JDBC statements inside"
                + " Jdbi transactions. The five sides run interleaved call by call (rotating order) for "
                + (p.roundMillis() * p.rounds() * 5 / 1000.0) + " s after a " + WARMUP_MILLIS / 1000
                + " s warm-up of all of them (then, on PostgreSQL, ANALYZE, as autovacuum has run on any database in use), on the same settings (on SQLite Atlas on its own pool and file, as an application opens it, its WAL checkpoints on a background thread; the raw sides on the benchmark's pool on another file, with SQLite's default checkpoints); throughput = executions / time spent in that side's calls."
                + " Transactions and statements per execution are counted on the JDBC connections (commits, prepared statements)"
                + " in a separate untimed pass.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.openOwnPool("bench_exec")) {
                Tenant tenant = db.atlas().tenant(TENANT);
                for (Tenant price : db.rawAtlas() == db.atlas() ? List.of(tenant) : List.of(tenant, db.rawAtlas().tenant(TENANT))) {
                    price.prices().create(ModelPrice.of(ExecutionScript.PROVIDER, ExecutionScript.MODEL, "2.50", "10.00",
                            Instant.parse("2026-01-01T00:00:00Z")));
                }
                ExecutionRecorder recorder = tenant.executions();
                UUID atlasConversation = tenant.conversations().create(NewConversation.of(Owner.user("atlas"))).id();
                var rawConversations = db.rawAtlas().tenant(TENANT).conversations();
                UUID countedConversation = rawConversations.create(NewConversation.of(Owner.user("atlas-counted"))).id();
                UUID perCallConversation = rawConversations.create(NewConversation.of(Owner.user("raw-per-call"))).id();
                UUID atOnceConversation = rawConversations.create(NewConversation.of(Owner.user("raw-one-tx"))).id();
                UUID jdbiConversation = rawConversations.create(NewConversation.of(Owner.user("jdbi"))).id();
                UUID inJdbiConversation = rawConversations.create(NewConversation.of(Owner.user("raw-in-jdbi"))).id();
                RawExecution raw = new RawExecution(db.dataSource(), db.dialect(), TENANT);
                RawExecution rawInJdbi = new RawExecution(db.dataSource(), db.dialect(), TENANT,
                        BenchJdbi.of(((dev.atlas.jdbi.internal.JdbiAtlas) db.rawAtlas()).db()));
                PlainJdbiExecution plain = new PlainJdbiExecution(db, TENANT);

                List<String> counts = countingPass(db, countedConversation, perCallConversation, atOnceConversation);
                // The Jdbi diagnostics run on Atlas's own Jdbi, so they are counted on it; one each keeps the row counts equal.
                plain.record(jdbiConversation, JDBI_STATEMENTS);
                rawInJdbi.recordPerCall(inJdbiConversation, RAW_IN_JDBI);

                AppendVsRawJdbc.Side atlas = new AppendVsRawJdbc.Side();
                AppendVsRawJdbc.Side perCall = new AppendVsRawJdbc.Side();
                AppendVsRawJdbc.Side atOnce = new AppendVsRawJdbc.Side();
                AppendVsRawJdbc.Side jdbi = new AppendVsRawJdbc.Side();
                AppendVsRawJdbc.Side inJdbi = new AppendVsRawJdbc.Side();
                List<AppendVsRawJdbc.Side> sides = List.of(atlas, perCall, jdbi, inJdbi, atOnce);
                List<LongConsumer> ops = List.of(
                        n -> ExecutionScript.record(recorder, atlasConversation, ATLAS),
                        n -> raw.recordPerCall(perCallConversation, PER_CALL),
                        n -> plain.record(jdbiConversation, JDBI_STATEMENTS),
                        n -> rawInJdbi.recordPerCall(inJdbiConversation, RAW_IN_JDBI),
                        n -> raw.recordAtOnce(atOnceConversation, AT_ONCE));
                AppendVsRawJdbc.Side.interleave(sides, ops, Math.max(WARMUP_MILLIS, p.roundMillis() * sides.size()), false);
                db.analyze();
                AppendVsRawJdbc.Side.interleave(sides, ops, p.roundMillis() * p.rounds() * sides.size(), true);

                double ratio = atlas.throughput() / perCall.throughput();
                s.figure(Figure.throughput(database.label(), "Atlas record", atlas.throughput(),
                        "raw JDBC, same " + RawExecution.TRANSACTIONS_PER_CALL + " transactions", perCall.throughput(),
                        "executions/s; Atlas median " + Fmt.num(atlas.latency.medianMillis()) + " ms, raw median "
                                + Fmt.num(perCall.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: Atlas record", atlas.throughput(),
                        "raw JDBC, finished rows in 1 transaction", atOnce.throughput(),
                        "raw one-transaction median " + Fmt.num(atOnce.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: raw JDBC, same " + RawExecution.TRANSACTIONS_PER_CALL
                                + " transactions", perCall.throughput(), "raw JDBC, finished rows in 1 transaction", atOnce.throughput(),
                        "what durable per-call progress costs without Atlas"));
                s.figure(Figure.throughput(database.label(), "diagnostic: raw JDBC statements inside Jdbi transactions",
                        inJdbi.throughput(), "raw JDBC, same " + RawExecution.TRANSACTIONS_PER_CALL + " transactions", perCall.throughput(),
                        "Jdbi handle and transaction management only; median " + Fmt.num(inJdbi.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: the recorder's 20 statements through Atlas's Jdbi, no Atlas logic",
                        jdbi.throughput(), "raw JDBC, same " + RawExecution.TRANSACTIONS_PER_CALL + " transactions", perCall.throughput(),
                        "median " + Fmt.num(jdbi.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: Atlas record", atlas.throughput(),
                        "the recorder's 20 statements through Atlas's Jdbi", jdbi.throughput(), "cost of Atlas's own logic over Jdbi"));
                s.target(new TargetCheck(database.label(), "Atlas >= " + TARGET + "x raw JDBC with the same transaction count",
                        Fmt.ratio(ratio), ratio >= TARGET));
                String rows = sameRows(db);
                s.note(database.label() + ": " + String.join("; ", counts) + ".");
                s.note(database.label() + ": " + rows);
                Env.log("%s record execution: Atlas %.0f/s, raw per call %.0f/s, Jdbi statements %.0f/s, raw in Jdbi tx %.0f/s,"
                                + " raw one tx %.0f/s, %.2fx", database.label(), atlas.throughput(), perCall.throughput(),
                        jdbi.throughput(), inJdbi.throughput(), atOnce.throughput(), ratio);
                if (rows.startsWith("ROW CHECK FAILED")) {
                    throw new IllegalStateException(database.label() + " benchmark 4: " + rows);
                }
            }
        }
        s.note("Atlas's extra statement is the conversation check in start() (the execution names a conversation that must"
                + " exist and not be deleted); the raw side relies on the foreign key. Atlas's step and tool-call inserts are"
                + " INSERT ... SELECT guarded by the execution's status (FOR SHARE on PostgreSQL); the raw side uses plain INSERT"
                + " VALUES. Atlas's completion also reads the finished row back (RETURNING) to return an Execution.");
        return s;
    }

    /** One recording per side on counting connections: commits and statements per execution, the same instrument for all. */
    private static List<String> countingPass(BenchDatabase.Opened db, UUID atlasConversation, UUID perCallConversation,
                                             UUID atOnceConversation) {
        CountingDataSource counting = new CountingDataSource(db.dataSource());
        List<String> out = new ArrayList<>();
        try (Atlas countedAtlas = Atlas.builder().dataSource(counting.dataSource()).build()) {
            ExecutionRecorder recorder = countedAtlas.tenant(TENANT).executions();
            counting.reset();
            ExecutionScript.record(recorder, atlasConversation, ATLAS);
            out.add("per execution, Atlas " + counting.commits() + " transactions / " + counting.statements() + " statements");
            if (counting.commits() != RawExecution.TRANSACTIONS_PER_CALL) {
                throw new IllegalStateException("the recorder committed " + counting.commits() + " transactions, the baseline "
                        + RawExecution.TRANSACTIONS_PER_CALL + ": update the baseline");
            }
        }
        RawExecution raw = new RawExecution(counting.dataSource(), db.dialect(), TENANT);
        counting.reset();
        raw.recordPerCall(perCallConversation, PER_CALL);
        out.add("raw per call " + counting.commits() + " / " + counting.statements());
        counting.reset();
        raw.recordAtOnce(atOnceConversation, AT_ONCE);
        out.add("raw one transaction " + counting.commits() + " / " + counting.statements()
                + " (two of them batches of 3 and 5 rows)");
        return out;
    }

    /**
     * Every side must have written, per execution, one completed execution with the same tokens and
     * cost, 3 completed steps and 5 completed tool calls with results, and nothing else.
     */
    private static String sameRows(BenchDatabase.Opened db) throws SQLException {
        StringBuilder detail = new StringBuilder();
        String reference = null;
        boolean ok = true;
        for (String agent : AGENTS) {
            long[] c = counts(agent.equals(ATLAS) ? db.atlasDataSource() : db.dataSource(), agent);
            // executions, completed with the expected tokens, distinct costs, cost, steps, completed steps, calls, completed calls
            boolean sideOk = c[0] > 0 && c[1] == c[0] && c[2] == 1 && c[4] == 3 * c[0] && c[5] == c[4]
                    && c[6] == ExecutionScript.TOOL_CALLS * c[0] && c[7] == c[6];
            String shape = "cost " + c[3] + "e-12 per execution";
            if (reference == null) {
                reference = shape;
            } else if (!reference.equals(shape)) {
                sideOk = false;
            }
            ok &= sideOk;
            detail.append(detail.length() == 0 ? "" : ", ").append(agent).append(' ').append(c[0]).append('/').append(c[4]).append('/')
                    .append(c[6]).append(" (").append(shape).append(')');
        }
        return (ok ? "row check passed" : "ROW CHECK FAILED") + " (executions/steps/tool calls, all completed: " + detail + ")";
    }

    private static long[] counts(javax.sql.DataSource file, String agent) throws SQLException {
        long inputTokens = ExecutionScript.total().inputTokens();
        long outputTokens = ExecutionScript.total().outputTokens();
        String p = RawJdbc.PREFIX;
        try (Connection c = file.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*),"
                     + " SUM(CASE WHEN e.status = 'completed' AND e.input_tokens = ? AND e.output_tokens = ? THEN 1 ELSE 0 END),"
                     + " COUNT(DISTINCT e.cost_pico), MAX(e.cost_pico),"
                     + " (SELECT COUNT(*) FROM " + p + "execution_steps s JOIN " + p + "executions x ON x.tenant_id = s.tenant_id"
                     + "   AND x.id = s.execution_id WHERE x.tenant_id = ? AND x.agent = ?),"
                     + " (SELECT COUNT(*) FROM " + p + "execution_steps s JOIN " + p + "executions x ON x.tenant_id = s.tenant_id"
                     + "   AND x.id = s.execution_id WHERE x.tenant_id = ? AND x.agent = ? AND s.status = 'completed'"
                     + "   AND s.finish_reason IS NOT NULL AND s.input_tokens IS NOT NULL),"
                     + " (SELECT COUNT(*) FROM " + p + "execution_tool_calls t JOIN " + p + "executions x ON x.tenant_id = t.tenant_id"
                     + "   AND x.id = t.execution_id WHERE x.tenant_id = ? AND x.agent = ?),"
                     + " (SELECT COUNT(*) FROM " + p + "execution_tool_calls t JOIN " + p + "executions x ON x.tenant_id = t.tenant_id"
                     + "   AND x.id = t.execution_id WHERE x.tenant_id = ? AND x.agent = ? AND t.status = 'completed' AND t.result = ?)"
                     + " FROM " + p + "executions e WHERE e.tenant_id = ? AND e.agent = ?")) {
            int i = 1;
            ps.setLong(i++, inputTokens);
            ps.setLong(i++, outputTokens);
            for (int k = 0; k < 4; k++) {
                ps.setString(i++, TENANT);
                ps.setString(i++, agent);
            }
            ps.setString(i++, ExecutionScript.RESULT);
            ps.setString(i++, TENANT);
            ps.setString(i, agent);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long[] out = new long[8];
                for (int k = 0; k < 8; k++) {
                    out[k] = rs.getLong(k + 1);
                }
                return out;
            }
        }
    }
}
