package dev.atlas.bench;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;

import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One database holding, for each profile length, an Atlas conversation and a Spring AI
 * conversation of that many messages. Built once per database and shared by the benchmarks
 * that need long conversations.
 */
final class LongConversations implements AutoCloseable {
    static final String TENANT = "bench";

    final BenchDatabase.Opened db;
    final Tenant tenant;
    final Map<Integer, UUID> atlas = new LinkedHashMap<>();
    final Map<Integer, String> spring = new LinkedHashMap<>();
    final SpringChatMemory springMemory;
    /** PostgreSQL only: history(50) medians per length measured after seeding, before statistics existed. */
    final Map<Integer, Stats> historyBeforeAnalyze = new LinkedHashMap<>();

    private LongConversations(BenchDatabase.Opened db, SpringChatMemory springMemory) {
        this.db = db;
        this.tenant = db.atlas().tenant(TENANT);
        this.springMemory = springMemory;
    }

    static LongConversations of(Env env, BenchDatabase database) {
        return env.fixture("long-conversations:" + database.label(), () -> build(database, env.profile().lengths()));
    }

    private static LongConversations build(BenchDatabase database, List<Integer> lengths) {
        BenchDatabase.Opened db = database.open("bench_long");
        try {
            LongConversations f = new LongConversations(db, new SpringChatMemory(db));
            RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), TENANT);
            for (int length : lengths) {
                long t0 = System.nanoTime();
                Conversation c = f.tenant.conversations().create(NewConversation.of(Owner.user("u-" + length), "support")
                        .title("Seeded, " + length + " messages"));
                try (Connection seed = database.seedConnection("bench_long")) {
                    raw.seed(seed, c.id(), length);
                }
                f.atlas.put(length, c.id());
                long t1 = System.nanoTime();
                String springId = "spring-" + length;
                f.springMemory.seed(springId, length);
                f.spring.put(length, springId);
                Env.log("%s: seeded %,d messages: Atlas (batched raw inserts) %.1f s, Spring AI (saveAll) %.1f s",
                        database.label(), length, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
            }
            if (database.dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL) {
                f.analyze(lengths);
            }
            return f;
        } catch (Exception e) {
            db.close();
            throw new IllegalStateException("seeding long conversations on " + database.label() + " failed", e);
        }
    }

    /**
     * A bulk seed right after CREATE TABLE leaves PostgreSQL without statistics until
     * autovacuum's first pass (up to a minute later); an application's conversations grow while
     * autovacuum runs. Measure the state before it, then run ANALYZE as autovacuum would.
     */
    private void analyze(List<Integer> lengths) throws java.sql.SQLException {
        for (int l : lengths) {
            Stats st = new Stats();
            for (int i = 0; i < 20; i++) {
                st.add(Stats.time(() -> tenant.conversations().history(atlas.get(l), LoadHistory.LIMIT)));
            }
            historyBeforeAnalyze.put(l, st);
        }
        try (Connection c = db.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            s.execute("ANALYZE");
        }
    }

    @Override
    public void close() {
        db.close();
    }
}
