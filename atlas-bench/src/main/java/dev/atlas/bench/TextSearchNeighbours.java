package dev.atlas.bench;

import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.search.Search;
import dev.atlas.search.TextQuery;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A tenant's full-text search beside a much larger tenant whose rows hold the same words, against
 * the same search in a database holding that tenant alone. Multi-tenant isolation is also a
 * matter of cost: before migration V23 the indexes matched every tenant's rows and the tenant
 * filter came after, so the small tenant's search read all of the large tenant's matches.
 */
final class TextSearchNeighbours implements Benchmark {
    static final int SMALL = 1_000;
    static final int LARGE = 100_000;
    static final int RUNS = 3;
    static final int QUERIES = 30;
    static final int WARMUP = 5;
    static final double TARGET = 1.5;
    private static final TextQuery QUERY = TextQuery.messages("tracking order").limit(10);

    @Override
    public String id() {
        return "text-search-neighbours";
    }

    @Override
    public String title() {
        return "14. Full-text search beside a 100x larger tenant";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "Search.text(\"tracking order\", limit 10) of a tenant with " + Fmt.length(SMALL) + " messages, every one"
                + " holding both words, in a database where another tenant has " + Fmt.length(LARGE) + " messages holding them too,"
                + " against the same search in a database holding the first tenant alone (same rows, batched raw inserts with Atlas's"
                + " search column; on PostgreSQL VACUUM ANALYZE after seeding, as autovacuum would). The two are timed query by query, alternating, " + QUERIES + " queries per run after " + WARMUP
                + " warm-up ones, " + RUNS + " runs; figures are the median of the runs' medians. The large tenant's own search is"
                + " reported beside it.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened alone = database.open("bench_text_alone");
                 BenchDatabase.Opened beside = database.open("bench_text_beside")) {
                seed(alone, "small", SMALL);
                seed(beside, "small", SMALL);
                seed(beside, "large", LARGE);
                settle(alone);
                settle(beside);
                Search a = alone.atlas().tenant("small").search();
                Search b = beside.atlas().tenant("small").search();
                Search large = beside.atlas().tenant("large").search();
                double[] aloneMs = new double[RUNS];
                double[] besideMs = new double[RUNS];
                double[] largeMs = new double[RUNS];
                double[] ratio = new double[RUNS];
                for (int run = 0; run < RUNS; run++) {
                    Stats sa = new Stats();
                    Stats sb = new Stats();
                    Stats sl = new Stats();
                    for (int q = 0; q < WARMUP + QUERIES; q++) {
                        long[] t = new long[3];
                        List<Runnable> sides = new ArrayList<>(List.of(
                                () -> t[0] = Stats.time(() -> check(a.text(QUERY).size())),
                                () -> t[1] = Stats.time(() -> check(b.text(QUERY).size())),
                                () -> t[2] = Stats.time(() -> check(large.text(QUERY).size()))));
                        Collections.rotate(sides, q);
                        sides.forEach(Runnable::run);
                        if (q >= WARMUP) {
                            sa.add(t[0]);
                            sb.add(t[1]);
                            sl.add(t[2]);
                        }
                    }
                    aloneMs[run] = sa.medianMillis();
                    besideMs[run] = sb.medianMillis();
                    largeMs[run] = sl.medianMillis();
                    ratio[run] = besideMs[run] / aloneMs[run];
                    Env.log("%s run %d: alone %.2f ms, beside the large tenant %.2f ms (%.2fx), the large tenant's own %.1f ms",
                            database.label(), run + 1, aloneMs[run], besideMs[run], ratio[run], largeMs[run]);
                }
                double r = Stats.median(ratio);
                s.figure(Figure.latency(database.label(), "search of the " + Fmt.length(SMALL) + "-message tenant beside the "
                        + Fmt.length(LARGE) + "-message one (median of 3 run medians)", Stats.median(besideMs),
                        "the same search, tenant alone (median of 3)", Stats.median(aloneMs), "ms", "run ratios " + Fmt.runs(ratio)));
                s.figure(Figure.latency(database.label(), "the large tenant's own search (" + Fmt.length(LARGE) + " candidates)",
                        Stats.median(largeMs), "the small tenant alone (median of 3)", Stats.median(aloneMs), "ms", "run medians " + Fmt.runs(largeMs) + " ms"));
                s.target(new TargetCheck(database.label(), "a tenant's search beside a 100x larger tenant within " + TARGET
                        + "x of the same search alone", String.format(Locale.ROOT, "%.2fx (median of 3 run ratios %s)", r, Fmt.runs(ratio)),
                        r <= TARGET));
            }
        }
        return s;
    }

    private static void seed(BenchDatabase.Opened db, String tenant, int messages) throws Exception {
        long t0 = System.nanoTime();
        Conversation c = db.atlas().tenant(tenant).conversations().create(NewConversation.of(Owner.user("u-" + tenant), "support"));
        try (Connection seed = db.database().seedConnection(db.name())) {
            new RawJdbc(db.dataSource(), db.dialect(), tenant).seed(seed, c.id(), messages);
        }
        Env.log("%s %s: seeded %,d messages of tenant %s in %.1f s", db.database().label(), db.name(), messages, tenant,
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * PostgreSQL: what autovacuum does after a bulk load (statistics, the GIN index's pending
     * entries merged), done before timing so it does not run during the runs of one side only.
     */
    private static void settle(BenchDatabase.Opened db) throws java.sql.SQLException {
        if (db.dialect() != dev.atlas.jdbi.internal.Dialect.POSTGRESQL) {
            return;
        }
        try (Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE");
        }
    }

    private static void check(int hits) {
        if (hits != QUERY.limit()) {
            throw new IllegalStateException("expected " + QUERY.limit() + " hits, got " + hits);
        }
    }
}
