package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Handle;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The vectors of one (tenant, model, target type) held in memory for exact search on SQLite, so
 * a query scores floats already in the heap instead of reading every row's bytes. One cache per
 * database (per Atlas instance), bounded by {@link #budgetBytes}: entries are evicted least
 * recently used first, and a set larger than the whole budget is never cached (its searches
 * stream from SQL as without a cache).
 *
 * <p>Consistency: a store or delete through this Atlas invalidates the (tenant, model) after its
 * transaction commits, and a load that overlapped such a write is not kept (a generation number
 * per key). Writes made elsewhere (another process, an older Atlas, bulk SQL) are noticed by the
 * version that V19's triggers raise on every insert, update and delete of a vector, read with
 * the set's size on every query (one primary-key lookup). The cache only ranks: liveness and
 * filters are always checked in SQL for the rows returned.
 */
final class VectorCache {
    /** Default budget; {@code -Datlas.vectors.cacheMegabytes=N} changes it, 0 turns the cache off. */
    static final long DEFAULT_MEGABYTES = 256;

    /** One cached set: ids as stored, the raw floats row after row, and each row's {@link Vectors#squaredNorm}. */
    static final class Entry {
        final String[] ids;
        final float[] data;
        final double[] norms;
        final int dimension;
        /** The set's version (V19) when it was loaded. */
        final long version;
        final long bytes;
        private volatile @Nullable Map<String, Integer> positions;

        Entry(String[] ids, float[] data, double[] norms, int dimension, long version) {
            this.ids = ids;
            this.data = data;
            this.norms = norms;
            this.dimension = dimension;
            this.version = version;
            this.bytes = 4L * data.length + 8L * norms.length + 96L * ids.length;
        }

        /** Row of each id, built on first use (filtered searches that fall back to SQL's candidate list). */
        Map<String, Integer> positions() {
            Map<String, Integer> p = positions;
            if (p == null) {
                p = new HashMap<>(ids.length * 2);
                for (int i = 0; i < ids.length; i++) {
                    p.put(ids[i], i);
                }
                positions = p;
            }
            return p;
        }

        /**
         * The same cosine summed in four independent chains: not bit-identical to {@link #score},
         * but four times the throughput; used to rank, then the hits are scored with {@link #score}.
         */
        double rank(float[] query, double qq, int i) {
            double norm = norms[i];
            if (norm == 0) {
                return 0;
            }
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int d = query.length;
            int at = i * dimension;
            int j = 0;
            for (; j + 3 < d; j += 4, at += 4) {
                s0 += query[j] * (double) data[at];
                s1 += query[j + 1] * (double) data[at + 1];
                s2 += query[j + 2] * (double) data[at + 2];
                s3 += query[j + 3] * (double) data[at + 3];
            }
            for (; j < d; j++, at++) {
                s0 += query[j] * (double) data[at];
            }
            return ExactVectorIndex.clamp((s0 + s1 + s2 + s3) / Math.sqrt(qq * norm));
        }

        /**
         * Cosine of a query ({@code qq}: its squared norm) and row {@code i}, computed exactly as {@link ExactVectorIndex#cosine}
         * does from the stored bytes (double sums, same order), so cached and streamed scores are equal.
         */
        double score(float[] query, double qq, int i) {
            double norm = norms[i];
            if (norm == 0) {
                return 0;
            }
            double dot = 0;
            for (int j = 0, at = i * dimension; j < query.length; j++, at++) {
                dot += query[j] * (double) data[at];
            }
            return ExactVectorIndex.clamp(dot / Math.sqrt(qq * norm));
        }
    }

    private final long budgetBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long usedBytes;
    private final ConcurrentHashMap<String, AtomicLong> generations = new ConcurrentHashMap<>();

    VectorCache(long budgetBytes) {
        this.budgetBytes = budgetBytes;
    }

    static VectorCache configured() {
        return new VectorCache(Long.getLong("atlas.vectors.cacheMegabytes", DEFAULT_MEGABYTES) * 1024 * 1024);
    }

    private static String model(String tenant, String model) {
        return tenant + '\u0000' + model;
    }

    /**
     * The cached vectors of (tenant, model, type) with {@code dimension}, loaded when missing or
     * when the stored version differs; null when they do not fit the budget.
     */
    @Nullable Entry get(Sql sql, Handle h, SearchSql q, String model, String type, int dimension) {
        if (budgetBytes <= 0) {
            return null;
        }
        String tenant = sql.tenant().value();
        String key = model(tenant, model) + '\u0000' + type;
        long[] set = sql.on(h, q.vectorSet).bind("model", model).bind("type", type)
                .optional((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).orElse(new long[] {0, 0});
        // A size hint only (the load grows past it): bulk SQL on vector_sets must not break a search.
        long count = Math.max(0, set[0]);
        long version = set[1];
        if (count * dimension * 4L > budgetBytes) {
            return null;
        }
        Entry e;
        synchronized (this) {
            e = entries.get(key);
        }
        if (e != null && e.version == version && e.dimension == dimension) {
            return e;
        }
        long generation = generation(tenant, model).get();
        List<String> ids = new ArrayList<>((int) count);
        float[][] data = {new float[(int) (count * dimension)]};
        double[][] norms = {new double[(int) count]};
        sql.on(h, q.vectorLoad).bind("model", model).bind("type", type).fetchSize(1000).forEach((rs, ctx) -> {
            byte[] bytes = rs.getBytes(2);
            int i = ids.size();
            if (bytes.length != dimension * 4) {
                return null;
            }
            if (i == norms[0].length) { // rows arrived since the count: grow
                data[0] = java.util.Arrays.copyOf(data[0], (i + 1) * 2 * dimension);
                norms[0] = java.util.Arrays.copyOf(norms[0], (i + 1) * 2);
            }
            double norm = 0;
            for (int j = 0, off = 0, at = i * dimension; j < dimension; j++, off += 4, at++) {
                float x = (float) Vectors.FLOAT.get(bytes, off);
                data[0][at] = x;
                norm += (double) x * x;
            }
            norms[0][i] = norm;
            ids.add(rs.getString(1));
            return null;
        }, x -> { });
        int n = ids.size();
        e = new Entry(ids.toArray(new String[0]), java.util.Arrays.copyOf(data[0], n * dimension),
                java.util.Arrays.copyOf(norms[0], n), dimension, version);
        if (e.bytes > budgetBytes) {
            return e; // used for this query only
        }
        synchronized (this) {
            if (generation(tenant, model).get() == generation) {
                Entry old = entries.put(key, e);
                usedBytes += e.bytes - (old == null ? 0 : old.bytes);
                for (Iterator<Entry> it = entries.values().iterator(); usedBytes > budgetBytes && it.hasNext(); ) {
                    Entry victim = it.next();
                    if (victim != e) {
                        usedBytes -= victim.bytes;
                        it.remove();
                    }
                }
            }
        }
        return e;
    }

    private AtomicLong generation(String tenant, String model) {
        return generations.computeIfAbsent(model(tenant, model), k -> new AtomicLong());
    }

    /** After a write to (tenant, model) committed: drop its entries, and keep no load that overlapped the write. */
    void invalidate(String tenant, String model) {
        generation(tenant, model).incrementAndGet();
        String prefix = model(tenant, model) + '\u0000';
        synchronized (this) {
            for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Entry> x = it.next();
                if (x.getKey().startsWith(prefix)) {
                    usedBytes -= x.getValue().bytes;
                    it.remove();
                }
            }
        }
    }
}
