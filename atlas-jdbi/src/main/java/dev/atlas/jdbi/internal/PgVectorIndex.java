package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Approximate search with pgvector's HNSW index, used on PostgreSQL when
 * {@code CREATE EXTENSION IF NOT EXISTS vector} succeeds. Beside the portable bytes Atlas keeps
 * an untyped {@code embedding vector} column; each (model, dimension) gets a partial HNSW index
 * on {@code embedding::vector(d)} with cosine distance, created when its first vector arrives.
 * Filters are applied to the index scan's output (pgvector post-filtering). The column holds
 * the vector scaled to unit length; the index only orders candidates, and scores come from the
 * stored bytes in double precision. Models over {@value #MAX_INDEXED_DIMENSION} dimensions are
 * searched exactly.
 */
public final class PgVectorIndex implements VectorIndex {
    private static final Logger LOG = LoggerFactory.getLogger(PgVectorIndex.class);
    private static final Map<Db, VectorIndex> CHOSEN = new WeakHashMap<>();

    /**
     * pgvector's HNSW index covers at most 2,000 dimensions of type vector. Larger vectors get no
     * embedding column and no index; their searches run exactly over the stored bytes, so no
     * vector is missed, at the cost of a scan.
     */
    static final int MAX_INDEXED_DIMENSION = 2000;
    private static final ExactVectorIndex EXACT = new ExactVectorIndex();

    private final Set<String> indexed = ConcurrentHashMap.newKeySet();

    private final int efSearch;

    private PgVectorIndex(int efSearch) {
        this.efSearch = efSearch;
    }

    /**
     * The index for {@code db}: pgvector when the extension can be created, exact otherwise.
     * Decided once per Db; {@code efSearch} is the configured {@code hnsw.ef_search} (one Db
     * belongs to one Atlas, so one configuration).
     */
    static VectorIndex forDb(Db db, int efSearch) {
        synchronized (CHOSEN) {
            return CHOSEN.computeIfAbsent(db, d -> choose(d, efSearch));
        }
    }

    private static VectorIndex choose(Db db, int efSearch) {
        if (db.dialect() != Dialect.POSTGRESQL || Boolean.getBoolean("atlas.vectors.exact")) {
            return new ExactVectorIndex();
        }
        PgVectorSql q = db.statements(PgVectorSql.class, PgVectorSql::new);
        Sql any = Sql.crossTenant(db);
        try (Handle h = db.jdbi().open()) {
            // Ask first: a failing CREATE EXTENSION would log an error on the server and make the
            // pool discard the connection, on every start of every deployment without pgvector.
            if (any.on(h, q.available).one(Sql.LONG) == 0) {
                LOG.info("pgvector is not installed on this server; semantic search is exact");
                return new ExactVectorIndex();
            }
            any.on(h, q.createExtension).update();
            any.on(h, q.addColumn).update();
            backfill(db, q, h);
            LOG.info("pgvector is available: semantic search uses HNSW indexes");
            return new PgVectorIndex(efSearch);
        } catch (RuntimeException e) {
            LOG.info("pgvector could not be enabled ({}); semantic search is exact", e.getMessage());
            return new ExactVectorIndex();
        }
    }

    /** Vectors stored before pgvector was installed get their embedding column filled, tenant by tenant. */
    private static void backfill(Db db, PgVectorSql q, Handle h) {
        for (String tenant : Sql.crossTenant(db).on(h, q.backfillTenants).list(Sql.STRING)) {
            Sql sql = new Sql(db, new TenantId(tenant));
            while (true) {
                List<Object[]> rows = sql.on(h, q.backfillBatch).bind("limit", 500)
                        .list((rs, ctx) -> new Object[] {db.dialect().uuid(rs, "id"), rs.getBytes("vector")});
                if (rows.isEmpty()) {
                    break;
                }
                for (Object[] row : rows) {
                    sql.on(h, q.writeEmbedding).bind("v", embedding(decode((byte[]) row[1]))).bind("id", row[0]).update();
                }
            }
        }
    }

    @Override
    public String name() {
        return "pgvector-hnsw";
    }

    @Override
    public void stored(Sql sql, Handle h, SearchTarget target, UUID targetId, String model, float[] vector) {
        if (vector.length > MAX_INDEXED_DIMENSION) {
            return; // searched exactly from the bytes column, see nearest
        }
        PgVectorSql q = sql.db().statements(PgVectorSql.class, PgVectorSql::new);
        sql.on(h, q.writeEmbeddingOf).bind("v", embedding(vector)).bind("model", model).bind("type", target.toString())
                .bind("id", targetId).update();
        String key = model + "\u0000" + vector.length;
        if (indexed.add(key)) {
            sql.on(h, q.catalogue.render("pgvector.createIndex", "CREATE INDEX IF NOT EXISTS <p>vectors_hnsw_" + vector.length + "_"
                    + hash(model) + " ON <p>vectors USING hnsw ((embedding::vector(" + vector.length + ")) vector_cosine_ops) WHERE model = "
                    + quote(model) + " AND dimension = " + vector.length)).update();
        }
    }

    @Override
    public List<SearchHit> nearest(Sql sql, Handle h, SearchTarget target, Candidates c, String model, float[] query, int k) {
        int d = query.length;
        if (d > MAX_INDEXED_DIMENSION) {
            return EXACT.nearest(sql, h, target, c, model, query, k);
        }
        PgVectorSql q = sql.db().statements(PgVectorSql.class, PgVectorSql::new);
        // The configured candidate list, at least 2k for large k, and iterative scans (pgvector 0.8+) so filters that
        // reject many index hits still return k rows in distance order. set_config accepts the
        // names on older versions too, where they are inert.
        sql.on(h, q.settings).bind("ef", String.valueOf(Math.min(1000, Math.max(efSearch, 2 * k)))).one(Sql.STRING);
        String distance = "(v.embedding::vector(" + d + ") <=> CAST(:qv AS vector(" + d + ")))";
        // The model literal repeats the bound filter so the planner can prove the partial index applies.
        // The index only ranks; scores are computed in double from the stored bytes, as exact
        // search does, so both indexes report the same score for the same pair of vectors.
        List<SearchHit> hits = new ArrayList<>(c.call(sql, h, "search.nearest.hnsw", "SELECT v.target_id AS target_id, "
                        + c.conversationExpr() + " AS conv, v.vector AS vector " + c.fromWhere() + " AND v.model = " + quote(model)
                        + " AND v.dimension = " + d + " AND v.embedding IS NOT NULL ORDER BY " + distance + " LIMIT " + k)
                .bind("qv", literal(query))
                .list((rs, ctx) -> new SearchHit(target, UUID.fromString(rs.getString("target_id")),
                        rs.getString("conv") == null ? null : UUID.fromString(rs.getString("conv")),
                        ExactVectorIndex.cosine(query, rs.getBytes("vector")), null)));
        hits.sort(Comparator.comparingDouble(SearchHit::score).reversed());
        return List.copyOf(hits);
    }

    /**
     * The text of the embedding column: the vector scaled to unit length. Cosine distance ignores
     * length, and pgvector computes norms in float32, where the square of a component above
     * ~1.8e19 overflows to infinity and the distance becomes NaN; unit components cannot overflow.
     */
    static String embedding(float[] v) {
        return literal(JdbiSearch.normalise(v));
    }

    static String literal(float[] v) {
        StringBuilder b = new StringBuilder(v.length * 10).append('[');
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }

    static float[] decode(byte[] bytes) {
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    private static String hash(String s) {
        int h = 0;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h = 31 * h + (b & 0xFF);
        }
        return Integer.toHexString(h);
    }
}
