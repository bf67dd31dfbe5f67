package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.jdbi.internal.sql.Handle;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How nearest-neighbour queries are answered. The vectors table (compact float32 bytes) is
 * always written; an implementation may keep its own representation beside it (pgvector adds a
 * {@code vector} column with an HNSW index). Candidates are already filtered by tenant, model,
 * dimension, liveness and the query's filters; the index only ranks them. Every statement runs
 * through the tenant-bound runner it is given.
 */
public interface VectorIndex {

    /** Called in the write transaction after the row of (target, id, model) was inserted or replaced. */
    void stored(Sql sql, Handle h, SearchTarget target, UUID targetId, String model, float[] vector);

    /** Called after that transaction committed, outside any transaction (pgvector builds its index here). */
    default void committed(String model, int dimension) {}

    /** Called after a transaction that stored or deleted vectors of (tenant, model) committed. */
    default void changed(String tenant, String model) {}

    /** The {@code k} best candidates, best first, for the query vector as given (finite, not zero; not scaled). */
    List<SearchHit> nearest(Sql sql, Handle h, SearchTarget target, Candidates candidates, String model, float[] query, int k);

    /** A short name for logs and docs: "exact" or "pgvector-hnsw". */
    String name();

    /**
     * FROM and WHERE of the candidate rows (the vectors table is aliased {@code v}), the SQL
     * expression for the hit's conversation id, the values to bind, and the catalogue that
     * renders the assembled statement.
     */
    record Candidates(SearchSql statements, String fromWhere, String conversationExpr, Map<String, Object> binds) {
        /** {@code statement}, assembled around {@link #fromWhere} in a catalogue, with these candidates' values bound. */
        Sql.Call call(Sql sql, Handle h, dev.atlas.jdbi.internal.sql.Statement statement) {
            Sql.Call call = sql.on(h, statement);
            binds.forEach(call::bind);
            return call;
        }
    }
}
