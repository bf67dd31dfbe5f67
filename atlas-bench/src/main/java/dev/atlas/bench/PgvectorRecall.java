package dev.atlas.bench;

import dev.atlas.Atlas;
import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.internal.Vectors;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.Search;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Issue 17 §3: recall@10 and latency of Atlas's pgvector HNSW search over 100k memories x 384
 * dimensions in one tenant and model, on clustered and on uniformly random data, against Atlas's
 * exact search on the same PostgreSQL database and a brute-force {@code float[]} scan in memory
 * (the reference for recall). Needs a server with pgvector ({@code ATLAS_PGVECTOR_URL}); without
 * one it reports why it did not run.
 *
 * <p>Per data set: one seed (batched raw inserts of the rows Atlas writes, the embedding column
 * included), then the index is built by Atlas itself: the first {@code upsertVector} of the model
 * in this process runs {@code CREATE INDEX CONCURRENTLY} over every row and returns when it is
 * done (timed), then ANALYZE; then {@value #PASSES} query passes over the same build, every side
 * timed query by query in rotating order.
 */
final class PgvectorRecall implements Benchmark {
    static final int DIM = SemanticSearch.DIM;
    static final int K = SemanticSearch.K;
    static final String MODEL = SemanticSearch.MODEL;
    static final String TENANT = SemanticSearch.TENANT;
    static final int CLUSTERS = 100;
    /** Per-coordinate noise around a cluster centre whose coordinates are N(0, 1): same-cluster cosine ~0.8, others ~0. */
    static final double SPREAD = 0.5;
    static final int PASSES = 3;
    static final int WARMUP = 5;

    private final int n = Integer.getInteger("atlas.bench.pgvector.n", 100_000);
    private final int queries = Integer.getInteger("atlas.bench.pgvector.queries", 50);
    private final int[] efs = Arrays.stream(System.getProperty("atlas.bench.pgvector.ef", "40,100,200").split(","))
            .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    /** {@code m/efConstruction} of the index Atlas builds. */
    private final int[] index = Arrays.stream(System.getProperty("atlas.bench.pgvector.index", "16/64").split("/"))
            .mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    private final List<String> datasets = List.of(System.getProperty("atlas.bench.pgvector.data", "clustered,random").split(","));

    @Override
    public String id() {
        return "pgvector-recall";
    }

    @Override
    public String title() {
        return "13. pgvector: recall@10 and latency at " + Fmt.length(n) + " x 384, clustered and random data";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "PostgreSQL with pgvector (`" + BenchDatabase.Pgvector.URL_VARIABLE + "`). " + Fmt.length(n)
                + " memories x 384 dimensions, one tenant, one model. Data: `clustered` (" + CLUSTERS + " centres with N(0,1)"
                + " coordinates, each vector a centre plus N(0," + SPREAD + "²) noise per coordinate, fixed seed; queries drawn the"
                + " same way, so near a centre) and `random` (N(0,1) coordinates, queries too). Seeded with batched raw inserts of"
                + " the rows Atlas writes (memories row; vectors row with the unit-length `embedding`); then Atlas builds its HNSW"
                + " index itself (the first `upsertVector` in the process runs `CREATE INDEX CONCURRENTLY` over all rows, m/ef_construction "
                + index[0] + "/" + index[1] + ", timed), then ANALYZE. One build per data set, then " + PASSES + " query passes of "
                + queries + " queries (after " + WARMUP + " warm-up ones) over it; each side timed query by query in rotating order:"
                + " Atlas `Search.similar` top-10 with pgvector at each `pgvectorEfSearch`, Atlas exact search on the same database"
                + " (`-Datlas.vectors.exact=true`), and a brute-force `float[]` scan in memory, the reference: recall@10 = ids in"
                + " both top-10s / 10. Figures: the median of the passes' medians (latency) and the mean / min recall over all"
                + " timed queries.");
        BenchDatabase.Pgvector server = BenchDatabase.Pgvector.fromEnvironment();
        if (server == null) {
            String why = "skipped: " + BenchDatabase.Pgvector.URL_VARIABLE + " is not set (the embedded PostgreSQL has no pgvector;"
                    + " start one with `export " + BenchDatabase.Pgvector.URL_VARIABLE + "=\"$(../shared/scripts/pgvector-server.sh)\"`)";
            Env.log("pgvector-recall %s", why);
            return s.note(why);
        }
        try (server) {
            for (String data : datasets) {
                measure(s, server, data.trim());
            }
        }
        return s;
    }

    private void measure(Section s, BenchDatabase.Pgvector server, String data) throws Exception {
        Random random = new Random(("clustered".equals(data) ? 13_000_000L : 13_500_000L) + n);
        float[][] centres = new float[CLUSTERS][];
        for (int c = 0; c < CLUSTERS; c++) {
            centres[c] = SemanticSearch.gaussian(random);
        }
        java.util.function.Supplier<float[]> draw = switch (data) {
            case "clustered" -> () -> {
                float[] centre = centres[random.nextInt(CLUSTERS)];
                float[] v = new float[DIM];
                for (int d = 0; d < DIM; d++) {
                    v[d] = (float) (centre[d] + SPREAD * random.nextGaussian());
                }
                return v;
            };
            case "random" -> () -> SemanticSearch.gaussian(random);
            default -> throw new IllegalArgumentException("atlas.bench.pgvector.data: clustered or random, was " + data);
        };
        float[][] vectors = new float[n][];
        for (int i = 0; i < n; i++) {
            vectors[i] = draw.get();
        }
        float[][] qs = new float[WARMUP + PASSES * queries][];
        for (int i = 0; i < qs.length; i++) {
            qs[i] = draw.get();
        }
        String label = server.label() + ", " + data;
        try (BenchDatabase.Opened db = server.open("bench_pgvector_" + data)) {
            Atlas builder = Atlas.builder().dataSource(db.dataSource()).pgvectorIndex(index[0], index[1]).build();
            List<Atlas> owned = new ArrayList<>(List.of(builder));
            try {
                Tenant tenant = builder.tenant(TENANT);
                UUID[] ids = new UUID[n];
                Memory last = tenant.memories().create(NewMemory.fact(Owner.user("u-0"), SemanticSearch.content(n - 1)));
                ids[n - 1] = last.id();
                long t0 = System.nanoTime();
                try (Connection c = server.seedConnection(db.name())) {
                    seed(c, vectors, ids);
                }
                long t1 = System.nanoTime();
                // The first store of the model in this process builds the index over every row, then returns.
                tenant.search().upsertVector(SearchTarget.MEMORY, last.id(), MODEL, vectors[n - 1]);
                long t2 = System.nanoTime();
                String indexName;
                try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                    st.execute("ANALYZE");
                    indexName = BenchDatabase.scalar(c, "SELECT string_agg(indexrelname || ' ' || pg_size_pretty(pg_relation_size(indexrelid)), ', ')"
                            + " FROM pg_stat_user_indexes WHERE indexrelname LIKE '%vectors_hnsw_%'");
                }
                double seedSeconds = (t1 - t0) / 1e9;
                double buildSeconds = (t2 - t1) / 1e9;
                Env.log("%s: seeded %,d in %.1f s; index build (upsertVector) %.1f s: %s", label, n, seedSeconds, buildSeconds, indexName);

                List<String> names = new ArrayList<>();
                List<Search> searches = new ArrayList<>();
                for (int ef : efs) {
                    Atlas a = Atlas.builder().dataSource(db.dataSource()).pgvectorEfSearch(ef).pgvectorIndex(index[0], index[1]).build();
                    owned.add(a);
                    names.add("pgvector ef_search " + Math.max(ef, 2 * K) + (ef == 40 ? " (default)" : ""));
                    searches.add(a.tenant(TENANT).search());
                }
                System.setProperty("atlas.vectors.exact", "true");
                Atlas exactAtlas = Atlas.builder().dataSource(db.dataSource()).build();
                owned.add(exactAtlas);
                Search exact = exactAtlas.tenant(TENANT).search();
                try {
                    exact.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, qs[0]).k(1)); // chooses the index while the property holds
                } finally {
                    System.clearProperty("atlas.vectors.exact");
                }
                names.add("exact search on PostgreSQL");
                searches.add(exact);
                int sides = searches.size() + 1; // + brute force
                int brute = sides - 1;
                Stats[][] passes = new Stats[PASSES][sides];
                double[] recallSum = new double[sides - 1];
                double[] recallMin = new double[sides - 1];
                Arrays.fill(recallMin, 1);
                int timed = 0;
                for (int qi = 0; qi < qs.length; qi++) {
                    float[] q = qs[qi];
                    SemanticQuery query = SemanticQuery.of(SearchTarget.MEMORY, MODEL, q).k(K);
                    List<List<SearchHit>> hits = new ArrayList<>(java.util.Collections.nCopies(sides - 1, List.of()));
                    SemanticSearch.BruteForce.Top[] ref = new SemanticSearch.BruteForce.Top[1];
                    long[] t = new long[sides];
                    List<Runnable> order = new ArrayList<>();
                    for (int side = 0; side < sides - 1; side++) {
                        int at = side;
                        order.add(() -> t[at] = Stats.time(() -> hits.set(at, searches.get(at).similar(query))));
                    }
                    order.add(() -> t[brute] = Stats.time(() -> ref[0] = SemanticSearch.BruteForce.topK(vectors, q, K)));
                    java.util.Collections.rotate(order, qi);
                    order.forEach(Runnable::run);
                    if (qi < WARMUP) {
                        continue;
                    }
                    int pass = (qi - WARMUP) / queries;
                    for (int side = 0; side < sides; side++) {
                        if (passes[pass][side] == null) {
                            passes[pass][side] = new Stats();
                        }
                        passes[pass][side].add(t[side]);
                    }
                    Set<UUID> expected = new HashSet<>();
                    for (int r = 0; r < ref[0].size(); r++) {
                        expected.add(ids[ref[0].index(r)]);
                    }
                    for (int side = 0; side < sides - 1; side++) {
                        double recall = hits.get(side).stream().filter(h -> expected.contains(h.id())).count() / (double) K;
                        recallSum[side] += recall;
                        recallMin[side] = Math.min(recallMin[side], recall);
                    }
                    timed++;
                }
                double bruteMedian = medianOf(passes, brute, false);
                double brutep95 = medianOf(passes, brute, true);
                String load = loadAverage();
                for (int side = 0; side < sides - 1; side++) {
                    double med = medianOf(passes, side, false);
                    double p95 = medianOf(passes, side, true);
                    double recall = recallSum[side] / timed;
                    s.figure(Figure.latency(label, names.get(side) + ", top-10 (median of " + PASSES + " pass medians)", med,
                            "brute-force float[] scan in memory", bruteMedian, "ms", String.format(Locale.ROOT,
                                    "recall@10 mean %.3f, min %.1f over %d queries; p95 %s ms (scan p95 %s ms); pass medians %s ms",
                                    recall, recallMin[side], timed, Fmt.num(p95), Fmt.num(brutep95), passMedians(passes, side))));
                    Env.log("%s %s: median %.2f ms, p95 %.2f ms, recall %.3f (min %.1f)", label, names.get(side), med, p95, recall,
                            recallMin[side]);
                }
                s.note(String.format(Locale.ROOT, "%s: seeding %,d rows took %.1f s; Atlas's index build (the first `upsertVector`,"
                        + " CREATE INDEX CONCURRENTLY, m %d, ef_construction %d) took %.1f s; index %s; load average after the"
                        + " queries %s; server: %s.", label, n, seedSeconds, index[0], index[1], buildSeconds, indexName, load,
                        server.describe(db)));
                if ("clustered".equals(data)) {
                    int best = -1;
                    for (int side = 0; side < efs.length; side++) {
                        if (recallSum[side] / timed >= 0.95 && best < 0) {
                            best = side;
                        }
                    }
                    s.target(new TargetCheck(label, "recall@10 >= 0.95 at " + Fmt.length(n) + " on clustered data with documented settings",
                            best < 0 ? "no ef_search reached it (best " + String.format(Locale.ROOT, "%.3f", Arrays.stream(recallSum)
                                    .limit(efs.length).max().orElse(0) / timed) + ")"
                                    : String.format(Locale.ROOT, "%s: %.3f (min %.1f), m %d, ef_construction %d", names.get(best),
                                    recallSum[best] / timed, recallMin[best], index[0], index[1]),
                            best >= 0));
                }
            } finally {
                for (Atlas a : owned) {
                    a.close();
                }
            }
        }
    }

    /** Memory rows and vector rows (with Atlas's unit-length embedding) for every index without an id; fills {@code ids}. */
    static void seed(Connection c, float[][] vectors, UUID[] ids) throws SQLException {
        try (Statement st = c.createStatement()) {
            // The statements Atlas runs when it first uses pgvector (PgVectorSql), so rows can carry the embedding.
            st.execute("CREATE EXTENSION IF NOT EXISTS vector");
            st.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
        }
        c.setAutoCommit(false);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        java.sql.Timestamp ts = java.sql.Timestamp.from(now);
        try (PreparedStatement model = c.prepareStatement("INSERT INTO atlas_vector_models (tenant_id, model, dimension, created_at)"
                + " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            model.setString(1, TENANT);
            model.setString(2, MODEL);
            model.setInt(3, DIM);
            model.setTimestamp(4, ts);
            model.executeUpdate();
        }
        String memory = "INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, agent, kind, content, metadata, importance,"
                + " conversation_id, message_id, tool_call_id, expires_at, revision, created_at, updated_at)"
                + " VALUES (?, ?, 'user', ?, NULL, 'fact', ?, CAST(? AS jsonb), 0.5, NULL, NULL, NULL, NULL, 1, ?, ?)";
        String vector = "INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, conversation_id,"
                + " created_at, updated_at, embedding) VALUES (?, ?, 'memory', ?, ?, ?, ?, NULL, ?, ?, CAST(? AS vector))";
        try (PreparedStatement m = c.prepareStatement(memory); PreparedStatement v = c.prepareStatement(vector)) {
            int pending = 0;
            for (int i = 0; i < vectors.length; i++) {
                if (ids[i] != null) {
                    continue;
                }
                UUID id = Ids.next();
                ids[i] = id;
                m.setString(1, TENANT);
                m.setObject(2, id);
                m.setString(3, "u-" + i % 50);
                m.setString(4, SemanticSearch.content(i));
                m.setString(5, "{}");
                m.setTimestamp(6, ts);
                m.setTimestamp(7, ts);
                m.addBatch();
                v.setString(1, TENANT);
                v.setObject(2, Ids.next());
                v.setObject(3, id);
                v.setString(4, MODEL);
                v.setInt(5, DIM);
                v.setBytes(6, Vectors.encode(vectors[i]));
                v.setTimestamp(7, ts);
                v.setTimestamp(8, ts);
                v.setString(9, unitLiteral(vectors[i]));
                v.addBatch();
                if (++pending == 1_000) {
                    m.executeBatch();
                    v.executeBatch();
                    c.commit();
                    pending = 0;
                }
            }
            m.executeBatch();
            v.executeBatch();
            c.commit();
        }
    }

    /** The embedding column's text as Atlas writes it: the vector scaled to unit length. */
    static String unitLiteral(float[] v) {
        float[] unit = Vectors.normalise(v);
        StringBuilder b = new StringBuilder(v.length * 12).append('[');
        for (int i = 0; i < unit.length; i++) {
            b.append(i == 0 ? "" : ",").append(unit[i]);
        }
        return b.append(']').toString();
    }

    private static double medianOf(Stats[][] passes, int side, boolean p95) {
        double[] xs = new double[passes.length];
        for (int p = 0; p < passes.length; p++) {
            xs[p] = p95 ? passes[p][side].p95Millis() : passes[p][side].medianMillis();
        }
        Arrays.sort(xs);
        return xs[xs.length / 2];
    }

    private static String passMedians(Stats[][] passes, int side) {
        StringBuilder b = new StringBuilder();
        for (Stats[] pass : passes) {
            b.append(b.length() == 0 ? "" : " / ").append(Fmt.num(pass[side].medianMillis()));
        }
        return b.toString();
    }

    private static String loadAverage() {
        try {
            String[] parts = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (Exception e) {
            return "unknown";
        }
    }
}
