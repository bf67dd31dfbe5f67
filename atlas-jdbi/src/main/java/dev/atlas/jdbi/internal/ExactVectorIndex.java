package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.Where;
import org.jspecify.annotations.Nullable;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.jdbi.internal.sql.Handle;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Exact cosine search on both databases: the candidate rows stream from SQL and are scored in
 * Java. On SQLite the vectors are read from a {@link VectorCache} instead, scored all at once,
 * and only the best rows are checked against liveness and filters in SQL. The scoring loop reads floats straight out of each row's bytes (no float[] or buffer
 * per row, no boxing) and keeps the best {@code k} in a bounded min-heap of primitive arrays;
 * only rows that enter the heap have their ids read. Cost: one pass over the candidates, so
 * latency grows linearly with the number of vectors that pass the filters.
 */
public final class ExactVectorIndex implements VectorIndex {

    /**
     * Bound on how far {@link VectorCache.Entry#rank} may be from {@link VectorCache.Entry#score}:
     * both sum exact products in double, so they differ by rounding only (below 1e-11 at 16,384
     * dimensions); the margin is far above that and far below any meaningful difference.
     */
    private static final double RANK_SLACK = 1e-9;
    /** More rows tied with the last of the best than this: SQL lists the candidates instead of an IN list. */
    private static final int MAX_NEAR_TIES = 1000;

    private final @Nullable VectorCache cache;

    private final @Nullable Statement clearEmbedding;

    /** {@code cache}: the vectors held in memory (SQLite), or null to stream every candidate's bytes per query. */
    ExactVectorIndex(@Nullable VectorCache cache) {
        this(cache, null);
    }

    /**
     * {@code clearEmbedding}: on PostgreSQL where the pgvector embedding column exists, the statement that clears the
     * embedding of a vector this instance stores (binds {@code :model}, {@code :type}, {@code :id}), or null.
     */
    ExactVectorIndex(@Nullable VectorCache cache, @Nullable Statement clearEmbedding) {
        this.cache = cache;
        this.clearEmbedding = clearEmbedding;
    }

    @Override
    public void stored(Sql sql, Handle h, SearchTarget target, UUID targetId, String model, float[] vector) {
        // The bytes in the vectors table are all this index needs; an embedding a pgvector instance wrote for the vector this
        // one replaced would have that instance rank it by the old vector, and miss it (PgvectorStartupLocksTest
        // #vectorRewrittenByAnExactInstanceIsNotRankedByItsOldEmbedding). Without one, its searches score the row exactly.
        if (clearEmbedding != null) {
            sql.on(h, clearEmbedding).bind("model", model).bind("type", target.toString()).bind("id", targetId).update();
        }
    }

    @Override
    public void changed(String tenant, String model) {
        if (cache != null) {
            cache.invalidate(tenant, model);
        }
    }

    @Override
    public String name() {
        return "exact";
    }

    @Override
    public List<SearchHit> nearest(Sql sql, Handle h, SearchTarget target, Candidates c, String model, float[] query, int k) {
        VectorCache.Entry e = cache == null ? null : cache.get(sql, h, c.statements(), model, target.toString(), query.length);
        TopK top = new TopK(k);
        if (e == null) {
            scan(sql, h, c, query, top);
            return top.hits(target);
        }
        int n = e.ids.length;
        double qq = Vectors.squaredNorm(query);
        double[] ranks = new double[n];
        for (int i = 0; i < n; i++) {
            ranks[i] = e.rank(query, qq, i);
        }
        // The best rows by rank, checked against liveness and filters in SQL; enough of them pass
        // for most queries. Otherwise SQL lists the candidates (ids only) and the cache scores them.
        int[] best = best(ranks, Math.min(n, Math.max(32, 4 * k)));
        // Rows within RANK_SLACK of the last of those join them: rank and score may differ in the
        // last bits, and among equal scores the smaller id wins, wherever the row fell in the heap.
        List<Integer> checked = new ArrayList<>(best.length);
        for (int i : best) {
            checked.add(i);
        }
        if (best.length < n) {
            boolean[] in = new boolean[n];
            for (int i : best) {
                in[i] = true;
            }
            double floor = ranks[best[best.length - 1]] - RANK_SLACK;
            for (int i = 0; i < n && checked.size() <= best.length + MAX_NEAR_TIES; i++) {
                if (!in[i] && ranks[i] >= floor) {
                    checked.add(i);
                }
            }
        }
        if (checked.size() <= best.length + MAX_NEAR_TIES) {
            Where ids = new Where().in("v.target_id", "c", checked.stream().map(i -> UUID.fromString(e.ids[i])).toList());
            java.util.Map<String, String> live = new java.util.HashMap<>();
            ids.bindTo(c.call(sql, h, c.statements().vectorIds(c.fromWhere(), c.conversationExpr(), ids)))
                    .forEach((rs, ctx) -> {
                        live.put(rs.getString(1), rs.getString(2) == null ? "" : rs.getString(2));
                        return null;
                    }, x -> { });
            int liveInBest = 0;
            for (int i : best) {
                liveInBest += live.containsKey(e.ids[i]) ? 1 : 0;
            }
            // Exact when k of the best pass: every row left out ranks below the last of the best by
            // more than RANK_SLACK, so it scores below the k-th hit.
            if (liveInBest >= k || checked.size() == n) {
                for (int i : checked) {
                    String conv = live.get(e.ids[i]);
                    if (conv != null) {
                        top.add(e.score(query, qq, i), e.ids[i], conv.isEmpty() ? null : conv);
                    }
                }
                return top.hits(target);
            }
        }
        TopK all = new TopK(k);
        java.util.Map<String, Integer> positions = e.positions();
        c.call(sql, h, c.statements().vectorIds(c.fromWhere(), c.conversationExpr(), null))
                .fetchSize(1000).forEach((rs, ctx) -> {
                    Integer at = positions.get(rs.getString(1));
                    double score = at == null ? 0 : e.score(query, qq, at);
                    if (at != null && all.accepts(score)) {
                        all.add(score, rs.getString(1), rs.getString(2));
                    }
                    return null;
                }, x -> { });
        return all.hits(target);
    }

    /** The indexes of the {@code m} highest scores, best first: a bounded min-heap of indexes. */
    static int[] best(double[] scores, int m) {
        int[] heap = new int[m];
        int size = 0;
        for (int i = 0; i < scores.length; i++) {
            if (size < m) {
                int at = size++;
                while (at > 0 && scores[heap[(at - 1) >>> 1]] > scores[i]) {
                    heap[at] = heap[(at - 1) >>> 1];
                    at = (at - 1) >>> 1;
                }
                heap[at] = i;
            } else if (scores[i] > scores[heap[0]]) {
                siftDown(heap, size, scores, i);
            }
        }
        int[] order = new int[size];
        for (int r = size - 1; r >= 0; r--) { // pop the worst first, fill from the end
            order[r] = heap[0];
            size--;
            if (size > 0) {
                siftDown(heap, size, scores, heap[size]);
            }
        }
        return order;
    }

    /** Puts {@code item} at the root of the min-heap of {@code size} and sifts it down. */
    private static void siftDown(int[] heap, int size, double[] scores, int item) {
        int at = 0;
        while (true) {
            int l = 2 * at + 1;
            if (l >= size) {
                break;
            }
            int child = l + 1 < size && scores[heap[l + 1]] < scores[heap[l]] ? l + 1 : l;
            if (scores[heap[child]] >= scores[item]) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = item;
    }

    /** Scores every candidate into {@code top}. */
    static void scan(Sql sql, Handle h, Candidates c, float[] query, TopK top) {
        double qq = Vectors.squaredNorm(query);
        c.call(sql, h, c.statements().vectorBytes(c.fromWhere(), c.conversationExpr()))
                .fetchSize(1000).forEach((rs, ctx) -> {
                    byte[] bytes = rs.getBytes(3);
                    if (bytes.length == query.length * 4) {
                        double score = cosine(query, qq, bytes);
                        if (top.accepts(score)) {
                            top.add(score, rs.getString(1), rs.getString(2));
                        }
                    }
                    return null;
                }, x -> { });
    }

    /**
     * Cosine similarity of a query ({@code qq}: its {@link Vectors#squaredNorm}) and a stored
     * little-endian float32 vector: {@code dot / sqrt(qq * xx)}, all in double (a product of two
     * floats is exact there; squares of huge or subnormal floats neither overflow nor vanish).
     * For a vector and itself {@code dot}, {@code qq} and {@code xx} are the same sum, so the
     * score is exactly 1 (the square root of a rounded square is the number itself).
     */
    static double cosine(float[] query, double qq, byte[] stored) {
        double dot = 0;
        double xx = 0;
        for (int i = 0, offset = 0; i < query.length; i++, offset += 4) {
            double x = (float) Vectors.FLOAT.get(stored, offset);
            dot += query[i] * x;
            xx += x * x;
        }
        return xx == 0 ? 0 : clamp(dot / Math.sqrt(qq * xx));
    }

    /**
     * A computed cosine cut to [-1, 1], the range {@link SearchHit#score} promises (rounding can
     * take two nearly parallel vectors just past it). Every scoring path (streamed, cached,
     * pgvector) clamps alike, so their scores stay equal.
     */
    static double clamp(double cosine) {
        return Math.max(-1.0, Math.min(1.0, cosine));
    }

    /**
     * A min-heap of the best k rows seen so far, in parallel primitive/reference arrays: by score,
     * equal scores by id as text (PostgreSQL's uuid order too), so the answer never depends on the
     * order rows were scanned in, which differs between databases and plans.
     */
    static final class TopK {
        private final double[] scores;
        private final String[] ids;
        private final String[] conversations;
        private int size;

        TopK(int k) {
            scores = new double[k];
            ids = new String[k];
            conversations = new String[k];
        }

        /** Whether a row of {@code score} may enter (a tie with the worst kept may, if its id is smaller). */
        boolean accepts(double score) {
            return size < scores.length || score >= scores[0];
        }

        void add(double score, String id, String conversation) {
            if (size < scores.length) {
                int i = size++;
                scores[i] = score;
                ids[i] = id;
                conversations[i] = conversation;
                siftUp(i);
            } else if (worse(0, score, id)) {
                scores[0] = score;
                ids[0] = id;
                conversations[0] = conversation;
                siftDown(0);
            }
        }

        /** Whether entry {@code i} ranks below (score, id): a lower score, or the same score and a larger id. */
        private boolean worse(int i, double score, String id) {
            return scores[i] < score || (scores[i] == score && ids[i].compareTo(id) > 0);
        }

        private boolean worse(int i, int j) {
            return worse(i, scores[j], ids[j]);
        }

        private void siftUp(int i) {
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!worse(i, parent)) {
                    return;
                }
                swap(i, parent);
                i = parent;
            }
        }

        private void siftDown(int i) {
            while (true) {
                int l = 2 * i + 1;
                int r = l + 1;
                int min = i;
                if (l < size && worse(l, min)) {
                    min = l;
                }
                if (r < size && worse(r, min)) {
                    min = r;
                }
                if (min == i) {
                    return;
                }
                swap(i, min);
                i = min;
            }
        }

        private void swap(int a, int b) {
            double s = scores[a];
            scores[a] = scores[b];
            scores[b] = s;
            String id = ids[a];
            ids[a] = ids[b];
            ids[b] = id;
            String c = conversations[a];
            conversations[a] = conversations[b];
            conversations[b] = c;
        }

        List<SearchHit> hits(SearchTarget target) {
            List<SearchHit> out = new ArrayList<>(size);
            while (size > 0) {
                out.add(new SearchHit(target, UUID.fromString(ids[0]), conversations[0] == null ? null : UUID.fromString(conversations[0]),
                        scores[0], null));
                size--;
                if (size > 0) {
                    scores[0] = scores[size];
                    ids[0] = ids[size];
                    conversations[0] = conversations[size];
                    siftDown(0);
                }
            }
            java.util.Collections.reverse(out);
            return out;
        }
    }
}
