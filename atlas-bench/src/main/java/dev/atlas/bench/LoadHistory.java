package dev.atlas.bench;

import dev.atlas.ConversationStore;
import dev.atlas.Message;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.StatementContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Issue 6, benchmark 3: loading the last 50 active messages as the conversation grows, and its SQL statement count. */
final class LoadHistory implements Benchmark {
    static final int LIMIT = 50;
    static final double FLAT = 1.5;
    static final int MAX_STATEMENTS = 3;

    @Override
    public String id() {
        return "load-history";
    }

    @Override
    public String title() {
        return "3. Load the last 50 active messages vs conversation length";
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        List<Integer> lengths = p.lengths();
        int shortest = lengths.get(0);
        Section s = new Section(this, "Median latency of ConversationStore.history(conversation, " + LIMIT + ") on conversations"
                + " of N messages, against the same at N = " + shortest + "; " + p.loadsPerLength() + " loads per length, interleaved."
                + " SQL statements per load are counted with a Jdbi SqlLogger on Atlas's own Jdbi. Side by side: Spring AI's"
                + " findByConversationId, which has no limit and loads the whole conversation.");
        for (BenchDatabase database : env.databases()) {
            LongConversations f = LongConversations.of(env, database);
            ConversationStore store = f.tenant.conversations();
            Jdbi jdbi = ((JdbiAtlas) f.db.atlas()).db().jdbi();
            AtomicLong statements = new AtomicLong();
            SqlStatements config = jdbi.getConfig(SqlStatements.class);
            SqlLogger previous = config.getSqlLogger();
            config.setSqlLogger(new SqlLogger() {
                @Override
                public void logAfterExecution(StatementContext context) {
                    statements.incrementAndGet();
                }

                @Override
                public void logException(StatementContext context, java.sql.SQLException ex) {
                    statements.incrementAndGet();
                }
            });
            Map<Integer, Stats> atlas = new LinkedHashMap<>();
            Map<Integer, Long> maxStatements = new LinkedHashMap<>();
            try {
                lengths.forEach(l -> {
                    atlas.put(l, new Stats());
                    maxStatements.put(l, 0L);
                });
                for (int warm = 0; warm < 20; warm++) {
                    for (int l : lengths) {
                        store.history(f.atlas.get(l), LIMIT);
                    }
                }
                for (int i = 0; i < p.loadsPerLength(); i++) {
                    for (int l : lengths) {
                        long before = statements.get();
                        long t0 = System.nanoTime();
                        List<Message> page = store.history(f.atlas.get(l), LIMIT);
                        atlas.get(l).add(System.nanoTime() - t0);
                        maxStatements.merge(l, statements.get() - before, Math::max);
                        if (page.size() != LIMIT) {
                            throw new IllegalStateException("history returned " + page.size() + " messages at length " + l);
                        }
                    }
                }
            } finally {
                config.setSqlLogger(previous);
            }

            Map<Integer, Stats> spring = new LinkedHashMap<>();
            for (int i = 0; i < lengths.size(); i++) {
                int l = lengths.get(i);
                Stats st = new Stats();
                for (int k = 0; k < p.springOps(i); k++) {
                    st.add(Stats.time(() -> f.springMemory.load(f.spring.get(l))));
                }
                spring.put(l, st);
            }

            double base = atlas.get(shortest).medianMillis();
            for (int l : lengths) {
                Stats a = atlas.get(l);
                s.figure(Figure.latency(database.label(), "Atlas history(50) at " + Fmt.length(l), a.medianMillis(),
                        "Atlas history(50) at " + Fmt.length(shortest), base, "ms (median)",
                        a.describe() + ", " + maxStatements.get(l) + " SQL statement(s) per load"));
            }
            for (int l : lengths) {
                s.figure(Figure.latency(database.label(), "Spring AI findByConversationId at " + Fmt.length(l), spring.get(l).medianMillis(),
                        "Atlas history(50) at " + Fmt.length(l), atlas.get(l).medianMillis(), "ms (median)",
                        "loads all " + Fmt.length(l) + "+ messages; " + spring.get(l).describe()));
            }
            if (!f.historyBeforeAnalyze.isEmpty()) {
                double before = f.historyBeforeAnalyze.get(shortest).medianMillis();
                for (int l : lengths) {
                    Stats b = f.historyBeforeAnalyze.get(l);
                    s.figure(Figure.latency(database.label(), "diagnostic: history(50) at " + Fmt.length(l) + " before the first ANALYZE",
                            b.medianMillis(), "same at " + Fmt.length(shortest), before, "ms (median)", b.describe()));
                }
                s.note(database.label() + ": the long conversations are bulk-seeded right after the tables are created, so PostgreSQL"
                        + " has no statistics until autovacuum's first pass; the fixture measures history(50) in that state (diagnostic"
                        + " rows) and then runs ANALYZE, as autovacuum would within a minute. Without statistics the planner estimates"
                        + " one row per conversation and may pick the (tenant_id, conversation_id, client_message_id) index plus a sort,"
                        + " reading the whole conversation.");
            }
            if (atlas.containsKey(AppendVsLength.TARGET_LENGTH)) {
                double ratio = atlas.get(AppendVsLength.TARGET_LENGTH).medianMillis() / base;
                s.target(new TargetCheck(database.label(), "history(50) flat: at 100k <= " + FLAT + "x at " + Fmt.length(shortest)
                        + " (median)", Fmt.ratio(ratio), ratio <= FLAT));
            }
            long worst = maxStatements.values().stream().mapToLong(Long::longValue).max().orElse(0);
            s.target(new TargetCheck(database.label(), "SQL statements per load <= " + MAX_STATEMENTS, worst + " (most at any length)",
                    worst <= MAX_STATEMENTS));
            Env.log("%s history done", database.label());
        }
        s.note("\"Flat\" is not quantified in the issue; this report applies the same 1.5x bound as benchmark 2.");
        s.note("Tool calls are not in the schema yet (executions land with issue 3), so the load reads messages only.");
        return s;
    }
}
