package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.internal.Dialect;
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
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * Issue 6, benchmark 6: {@code Search.similar} top-10 over memories with 384-dimension vectors,
 * against a brute-force scan of the same vectors held in memory, which is also the reference
 * its results must agree with.
 */
final class SemanticSearch implements Benchmark {
    static final int DIM = 384;
    static final int K = 10;
    static final String MODEL = "minilm-384";
    static final String TENANT = "bench";
    /** Memories stored through the public API (memories.add + putVector); the rest are batched raw inserts of the same rows. */
    static final int API_SEEDED = 100;
    static final int WARMUP_QUERIES = 5;

    @Override
    public String id() {
        return "semantic-search";
    }

    @Override
    public String title() {
        return "6. Semantic search: top-10 over memories with 384-dimension vectors";
    }

    @Override
    public Section run(Env env) throws Exception {
        int queries = env.profile().searchQueries();
        Section s = new Section(this, "`tenant.search().similar(SemanticQuery.of(MEMORY, model, q).k(10))` (Atlas's default exact search:"
                + " candidates streamed from SQL, cosine scored in Java) over N memories with one random 384-dimension vector each;"
                + " " + queries + " timed random queries after " + WARMUP_QUERIES + " warm-up ones. Baseline, timed call by call"
                + " with Atlas: a brute-force Java scan of the same vectors held in memory as float[] arrays (cosine of every"
                + " vector, bounded top-10), which is also the reference: recall@10 = ids in both top-10s / 10, averaged over the"
                + " queries (1.0 expected: the search is exact). The first " + API_SEEDED + " memories go through `memories().add`"
                + " and `putVector`; the rest are batched raw inserts of the same rows (memories row, vectors row; on SQLite the"
                + " full-text triggers fire as usual). PostgreSQL: ANALYZE after seeding. Ratio = Atlas / brute force. Diagnostic row: the same candidate SELECT"
                + " read with plain JDBC (ids and vector bytes, no scoring), timed in the same loop: what moving the rows costs.");
        for (int n : env.profile().vectorCounts()) {
            Random random = new Random(6_000_000L + n);
            float[][] vectors = new float[n][];
            for (int i = 0; i < n; i++) {
                vectors[i] = gaussian(random);
            }
            float[][] qs = new float[WARMUP_QUERIES + queries][];
            for (int i = 0; i < qs.length; i++) {
                qs[i] = gaussian(random);
            }
            for (BenchDatabase database : env.databases()) {
                try (BenchDatabase.Opened db = database.open("bench_search_" + n)) {
                    measure(s, database, db, vectors, qs);
                }
            }
        }
        return s;
    }

    private void measure(Section s, BenchDatabase database, BenchDatabase.Opened db, float[][] vectors, float[][] qs) throws SQLException {
        int n = vectors.length;
        Tenant tenant = db.atlas().tenant(TENANT);
        Search search = tenant.search();
        UUID[] ids = new UUID[n];
        long t0 = System.nanoTime();
        Stats put = new Stats();
        for (int i = 0; i < Math.min(API_SEEDED, n); i++) {
            Memory m = tenant.memories().create(NewMemory.fact(Owner.user("u-" + i % 50), content(i)));
            ids[i] = m.id();
            float[] v = vectors[i];
            put.add(Stats.time(() -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, v)));
        }
        long t1 = System.nanoTime();
        try (Connection c = database.seedConnection(db.name())) {
            seed(c, db.dialect(), vectors, ids);
            if (db.dialect() == Dialect.POSTGRESQL) {
                try (Statement st = c.createStatement()) {
                    st.execute("ANALYZE");
                }
            }
        }
        long t2 = System.nanoTime();
        Env.log("%s: seeded %,d memories: %d through the API %.1f s (putVector median %.2f ms), the rest raw %.1f s", database.label(), n,
                Math.min(API_SEEDED, n), (t1 - t0) / 1e9, put.medianMillis(), (t2 - t1) / 1e9);

        Stats atlas = new Stats();
        Stats stream = new Stats();
        Stats brute = new Stats();
        double recallSum = 0;
        double recallMin = 1;
        double maxScoreDiff = 0;
        int timed = 0;
        for (int qi = 0; qi < qs.length; qi++) {
            float[] q = qs[qi];
            long a0 = System.nanoTime();
            var hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, q).k(K));
            long a1 = System.nanoTime();
            BruteForce.Top ref = BruteForce.topK(vectors, q, K);
            long a2 = System.nanoTime();
            streamCandidates(db, n);
            long a3 = System.nanoTime();
            if (qi < WARMUP_QUERIES) {
                continue;
            }
            atlas.add(a1 - a0);
            brute.add(a2 - a1);
            stream.add(a3 - a2);
            timed++;
            Set<UUID> expected = new HashSet<>();
            java.util.Map<UUID, Double> refScores = new java.util.HashMap<>();
            for (int r = 0; r < ref.size(); r++) {
                expected.add(ids[ref.index(r)]);
                refScores.put(ids[ref.index(r)], ref.score(r));
            }
            int overlap = 0;
            for (SearchHit h : hits) {
                if (expected.contains(h.id())) {
                    overlap++;
                    maxScoreDiff = Math.max(maxScoreDiff, Math.abs(h.score() - refScores.get(h.id())));
                }
            }
            double recall = overlap / (double) K;
            recallSum += recall;
            recallMin = Math.min(recallMin, recall);
        }
        double recall = recallSum / timed;
        String size = Fmt.length(n) + " memories";
        s.figure(Figure.latency(database.label(), "Search.similar top-10, " + size + " (median)", atlas.medianMillis(),
                "brute-force scan of float[] in memory (median)", brute.medianMillis(), "ms",
                "Atlas " + atlas.describe() + "; brute force " + brute.describe()));
        s.figure(Figure.latency(database.label(), "Search.similar top-10, " + size + " (p95)", atlas.p95Millis(),
                "brute-force scan of float[] in memory (p95)", brute.p95Millis(), "ms",
                String.format(java.util.Locale.ROOT, "recall@10 %.3f (min %.1f), max score difference %.1e", recall, recallMin, maxScoreDiff)));
        s.figure(Figure.latency(database.label(), "diagnostic: Search.similar top-10, " + size + " (median)", atlas.medianMillis(),
                "raw JDBC streaming the same candidate rows, no scoring (median)", stream.medianMillis(), "ms",
                "raw stream " + stream.describe()));
        s.target(new TargetCheck(database.label(), "top-10 over " + size + " agrees with the brute-force reference (recall@10 = 1.0)",
                String.format(java.util.Locale.ROOT, "recall@10 %.3f (min %.1f over %d queries)", recall, recallMin, timed),
                recallMin == 1.0));
        s.note(database.label() + ", " + size + ": seeding took " + Fmt.num((t2 - t0) / 1e9) + " s; `putVector` through the API ran at a"
                + " median " + Fmt.num(put.medianMillis()) + " ms per call (" + put.count() + " calls, one transaction each), which is why"
                + " the rest is seeded with batched inserts.");
        Env.log("%s %s: similar median %.1f ms p95 %.1f ms; brute force median %.2f ms; recall %.3f", database.label(), size,
                atlas.medianMillis(), atlas.p95Millis(), brute.medianMillis(), recall);
    }

    /**
     * The candidate SELECT Atlas runs for a memory query without filters (JdbiSearch.similar),
     * read with plain JDBC: every row's ids and vector bytes, nothing scored. On PostgreSQL in a
     * transaction, as Atlas does, so the fetch size streams.
     */
    private static void streamCandidates(BenchDatabase.Opened db, int expected) {
        String sql = "SELECT v.target_id, x.conversation_id, v.vector FROM atlas_vectors v"
                + " JOIN atlas_memories x ON x.tenant_id = v.tenant_id AND x.id = v.target_id"
                + " WHERE v.tenant_id = ? AND v.model = ? AND v.target_type = 'memory' AND v.dimension = ?"
                + " AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > ?)";
        try (Connection c = db.dataSource().getConnection()) {
            boolean pg = db.dialect() == Dialect.POSTGRESQL;
            if (pg) {
                c.setAutoCommit(false);
            }
            long rows = 0;
            long bytes = 0;
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setFetchSize(1000);
                ps.setString(1, TENANT);
                ps.setString(2, MODEL);
                ps.setInt(3, DIM);
                db.dialect().bindInstant(ps, 4, Instant.now().truncatedTo(ChronoUnit.MICROS));
                try (java.sql.ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getString(1);
                        rs.getString(2);
                        bytes += rs.getBytes(3).length;
                        rows++;
                    }
                }
            }
            if (pg) {
                c.commit();
            }
            if (rows != expected || bytes != (long) expected * DIM * 4) {
                throw new IllegalStateException("streamed " + rows + " rows, " + bytes + " bytes; expected " + expected);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("streaming candidates failed", e);
        }
    }

    /** Memory rows and vector rows for every index not stored through the API yet; fills {@code ids}. */
    static void seed(Connection c, Dialect dialect, float[][] vectors, UUID[] ids) throws SQLException {
        c.setAutoCommit(false);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String memory = "INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, agent, kind, content, metadata, importance,"
                + " conversation_id, message_id, tool_call_id, expires_at, revision, created_at, updated_at)"
                + " VALUES (?, ?, 'user', ?, NULL, 'fact', ?, ?, 0.5, NULL, NULL, NULL, NULL, 1, ?, ?)";
        String vector = "INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, conversation_id,"
                + " created_at, updated_at) VALUES (?, ?, 'memory', ?, ?, ?, ?, NULL, ?, ?)";
        try (PreparedStatement m = c.prepareStatement(memory); PreparedStatement v = c.prepareStatement(vector)) {
            int pending = 0;
            for (int i = 0; i < vectors.length; i++) {
                if (ids[i] != null) {
                    continue;
                }
                UUID id = Ids.next();
                ids[i] = id;
                m.setString(1, TENANT);
                dialect.bindUuid(m, 2, id);
                m.setString(3, "u-" + i % 50);
                m.setString(4, content(i));
                dialect.bindJson(m, 5, "{}");
                dialect.bindInstant(m, 6, now);
                dialect.bindInstant(m, 7, now);
                m.addBatch();
                v.setString(1, TENANT);
                dialect.bindUuid(v, 2, Ids.next());
                dialect.bindUuid(v, 3, id);
                v.setString(4, MODEL);
                v.setInt(5, DIM);
                v.setBytes(6, Vectors.encode(vectors[i]));
                dialect.bindInstant(v, 7, now);
                dialect.bindInstant(v, 8, now);
                v.addBatch();
                if (++pending == 2_000) {
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

    static String content(int i) {
        return "Memory " + i + ": prefers email over phone and wants order updates before noon.";
    }

    static float[] gaussian(Random random) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    /** The reference: cosine of the query with every vector, best k kept. */
    static final class BruteForce {
        private BruteForce() {}

        record Top(int[] indexes, double[] scores) {
            int size() {
                return indexes.length;
            }

            int index(int r) {
                return indexes[r];
            }

            double score(int r) {
                return scores[r];
            }
        }

        static Top topK(float[][] vectors, float[] query, int k) {
            double qn = 0;
            for (float x : query) {
                qn += (double) x * x;
            }
            qn = Math.sqrt(qn);
            int[] best = new int[k];
            double[] scores = new double[k];
            int size = 0;
            for (int i = 0; i < vectors.length; i++) {
                float[] v = vectors[i];
                double dot = 0;
                double norm = 0;
                for (int d = 0; d < v.length; d++) {
                    dot += (double) query[d] * v[d];
                    norm += (double) v[d] * v[d];
                }
                double score = dot / (qn * Math.sqrt(norm));
                if (size < k || score > scores[size - 1]) {
                    // insertion into a short sorted array (descending)
                    int at = size < k ? size++ : k - 1;
                    while (at > 0 && scores[at - 1] < score) {
                        scores[at] = scores[at - 1];
                        best[at] = best[at - 1];
                        at--;
                    }
                    scores[at] = score;
                    best[at] = i;
                }
            }
            return new Top(java.util.Arrays.copyOf(best, size), java.util.Arrays.copyOf(scores, size));
        }
    }
}
