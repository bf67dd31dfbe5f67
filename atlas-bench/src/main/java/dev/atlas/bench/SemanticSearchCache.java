package dev.atlas.bench;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.Search;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Issue 17 §3: exact {@code Search.similar} top-10 over 100k memories with 384-dimension vectors
 * on SQLite, with the in-memory vector cache (the default) and without it, against a plain
 * in-memory float[] scan of the same vectors in the same run. Three runs; each reports the
 * median of its timed queries; the figures are the medians of the three.
 */
final class SemanticSearchCache implements Benchmark {
    static final int N = 100_000;
    static final int RUNS = 3;
    static final int QUERIES = 20;
    static final int WARMUP = 3;

    @Override
    public String id() {
        return "semantic-search-cache";
    }

    @Override
    public String title() {
        return "12. Exact semantic search on SQLite with the vector cache: top-10 over 100k x 384";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "SQLite only. " + Fmt.length(N) + " memories with one random 384-dimension vector each (the first"
                + " through the API, the rest batched raw inserts). Atlas with the vector cache (default, 256 MB budget) and a second Atlas"
                + " on the same file with `-Datlas.vectors.cacheMegabytes=0` (every query streams the candidates' bytes from SQL, as"
                + " before the cache), against a plain brute-force scan of the same float[] arrays in memory; the three are timed"
                + " query by query, interleaved, " + QUERIES + " random queries per run after " + WARMUP + " warm-up ones, " + RUNS
                + " runs; figures are the median of the runs' medians. The first query of the cached Atlas (which loads the cache) is"
                + " reported apart. Recall@10 against the brute force must be 1.0 (exact search).");
        BenchDatabase sqlite = env.databases().stream().filter(d -> d.dialect() == dev.atlas.jdbi.internal.Dialect.SQLITE)
                .findFirst().orElseThrow();
        Random random = new Random(17_000_000L);
        float[][] vectors = new float[N][];
        for (int i = 0; i < N; i++) {
            vectors[i] = SemanticSearch.gaussian(random);
        }
        try (BenchDatabase.Opened db = sqlite.open("bench_search_cache")) {
            Search cached = db.atlas().tenant(SemanticSearch.TENANT).search();
            UUID[] ids = new UUID[N];
            Memory first = db.atlas().tenant(SemanticSearch.TENANT).memories().create(NewMemory.fact(Owner.user("u-0"),
                    SemanticSearch.content(0)));
            ids[0] = first.id();
            cached.upsertVector(SearchTarget.MEMORY, first.id(), SemanticSearch.MODEL, vectors[0]);
            try (Connection c = sqlite.seedConnection(db.name())) {
                SemanticSearch.seed(c, db.dialect(), vectors, ids);
            }
            System.setProperty("atlas.vectors.cacheMegabytes", "0");
            Atlas uncachedAtlas = Atlas.builder().dataSource(db.dataSource()).build();
            try (uncachedAtlas) {
                Search uncached = uncachedAtlas.tenant(SemanticSearch.TENANT).search();
                try {
                    // The index (and its cache budget) is chosen on the first search: run it while the property says 0.
                    uncached.similar(SemanticQuery.of(SearchTarget.MEMORY, SemanticSearch.MODEL, vectors[0]).k(1));
                } finally {
                    System.clearProperty("atlas.vectors.cacheMegabytes");
                }
                float[] q0 = SemanticSearch.gaussian(random);
                long load = Stats.time(() -> cached.similar(SemanticQuery.of(SearchTarget.MEMORY, SemanticSearch.MODEL, q0).k(10)));
                double[] withCache = new double[RUNS];
                double[] without = new double[RUNS];
                double[] brute = new double[RUNS];
                double[] ratio = new double[RUNS];
                double minRecall = 1;
                for (int run = 0; run < RUNS; run++) {
                    Stats a = new Stats();
                    Stats u = new Stats();
                    Stats b = new Stats();
                    for (int qi = 0; qi < WARMUP + QUERIES; qi++) {
                        float[] q = SemanticSearch.gaussian(random);
                        SemanticQuery query = SemanticQuery.of(SearchTarget.MEMORY, SemanticSearch.MODEL, q).k(SemanticSearch.K);
                        List<List<SearchHit>> hits = new ArrayList<>(List.of(List.of()));
                        List<SemanticSearch.BruteForce.Top> ref = new ArrayList<>(java.util.Collections.nCopies(1, null));
                        long[] t = new long[3];
                        // Rotate the order so no side always runs first or last.
                        List<Runnable> sides = new ArrayList<>(List.of(
                                () -> t[0] = Stats.time(() -> hits.set(0, cached.similar(query))),
                                () -> t[1] = Stats.time(() -> ref.set(0, SemanticSearch.BruteForce.topK(vectors, q, SemanticSearch.K))),
                                () -> t[2] = Stats.time(() -> uncached.similar(query))));
                        java.util.Collections.rotate(sides, qi);
                        for (Runnable side : sides) {
                            side.run();
                        }
                        if (qi < WARMUP) {
                            continue;
                        }
                        a.add(t[0]);
                        b.add(t[1]);
                        u.add(t[2]);
                        Set<UUID> expected = new HashSet<>();
                        for (int r = 0; r < ref.get(0).size(); r++) {
                            expected.add(ids[ref.get(0).index(r)]);
                        }
                        long overlap = hits.get(0).stream().filter(h -> expected.contains(h.id())).count();
                        minRecall = Math.min(minRecall, overlap / (double) SemanticSearch.K);
                    }
                    withCache[run] = a.medianMillis();
                    brute[run] = b.medianMillis();
                    without[run] = u.medianMillis();
                    ratio[run] = withCache[run] / brute[run];
                    Env.log("run %d: cached %.1f ms, brute force %.1f ms (%.2fx), uncached %.1f ms", run + 1, withCache[run], brute[run],
                            ratio[run], without[run]);
                }
                double mc = Stats.median(withCache);
                double mb = Stats.median(brute);
                double mu = Stats.median(without);
                double mr = Stats.median(ratio);
                s.figure(Figure.latency(sqlite.label(), "Search.similar top-10, 100k x 384, vector cache (median of 3 run medians)", mc,
                        "brute-force float[] scan in memory (median of 3)", mb, "ms", "run ratios " + Fmt.runs(ratio)));
                s.figure(Figure.latency(sqlite.label(), "Search.similar top-10, 100k x 384, no cache (median of 3 run medians)", mu,
                        "brute-force float[] scan in memory (median of 3)", mb, "ms", "run medians " + Fmt.runs(without) + " ms"));
                s.figure(Figure.latency(sqlite.label(), "first query of the cached Atlas (loads 100k vectors)", load / 1e6,
                        "brute-force float[] scan in memory (median of 3)", mb, "ms", "once per (tenant, model) until a write"));
                s.target(new TargetCheck(sqlite.label(), "exact top-10 over 100k x 384 within 2x of an in-memory float[] scan",
                        String.format(Locale.ROOT, "%.2fx (median of 3 run ratios %s); recall@10 min %.1f", mr, Fmt.runs(ratio), minRecall),
                        mr <= 2.0 && minRecall == 1.0));
                Env.log("cached %.1f ms, brute %.1f ms, uncached %.1f ms, ratio %.2fx, load %.0f ms, recall min %.1f", mc, mb, mu, mr,
                        load / 1e6, minRecall);
            }
        }
        return s;
    }
}
