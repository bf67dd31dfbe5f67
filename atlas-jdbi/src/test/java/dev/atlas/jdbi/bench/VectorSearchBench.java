package dev.atlas.jdbi.bench;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

/**
 * Throwaway latency harness for exact semantic search (not a test): loads N random 384-dim
 * vectors into one tenant and times top-10 queries. Run by hand; see docs/memory-and-search.md.
 * Arguments: sizes, e.g. {@code 10000 100000}.
 */
public final class VectorSearchBench {
    private static final int DIM = 384;

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {10_000, 100_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        for (TestDatabase db : new TestDatabase[] {new SqliteTestDatabase(), new PostgresTestDatabase()}) {
            for (int n : sizes) {
                run(db, n);
            }
        }
        System.exit(0);
    }

    private static void run(TestDatabase database, int n) throws SQLException {
        try (Atlas atlas = database.open()) {
            Random random = new Random(7);
            load(database, n, random);
            var search = atlas.tenant("bench").search();
            float[][] queries = new float[60][];
            for (int i = 0; i < queries.length; i++) {
                queries[i] = vector(random);
            }
            for (int i = 0; i < 10; i++) {
                search.similar(SemanticQuery.of(SearchTarget.ASSET, "bench", queries[i]).k(10));
            }
            long[] micros = new long[50];
            for (int i = 0; i < micros.length; i++) {
                long t0 = System.nanoTime();
                search.similar(SemanticQuery.of(SearchTarget.ASSET, "bench", queries[10 + i]).k(10));
                micros[i] = (System.nanoTime() - t0) / 1000;
            }
            Arrays.sort(micros);
            System.out.printf("%-10s n=%7d dim=%d top-10: median %6.1f ms, p95 %6.1f ms, min %6.1f ms%n", database.name(), n, DIM,
                    micros[25] / 1000.0, micros[47] / 1000.0, micros[0] / 1000.0);
        } finally {
            database.cleanup();
        }
    }

    /** Bulk-loads vectors straight into the table: the harness measures queries, not inserts. */
    private static void load(TestDatabase database, int n, Random random) throws SQLException {
        boolean sqlite = database instanceof SqliteTestDatabase;
        try (Connection c = database.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement models = c.prepareStatement("INSERT INTO atlas_vector_models (tenant_id, model, dimension, created_at)"
                    + " VALUES ('bench', 'bench', " + DIM + ", " + (sqlite ? "0" : "now()") + ")")) {
                models.execute();
            }
            String sql = "INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, created_at, updated_at)"
                    + " VALUES ('bench', ?, 'asset', ?, 'bench', " + DIM + ", ?, " + (sqlite ? "0, 0" : "now(), now()") + ")";
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < n; i++) {
                    if (sqlite) {
                        ps.setString(1, UUID.randomUUID().toString());
                        ps.setString(2, UUID.randomUUID().toString());
                    } else {
                        ps.setObject(1, UUID.randomUUID());
                        ps.setObject(2, UUID.randomUUID());
                    }
                    float[] v = vector(random);
                    ByteBuffer b = ByteBuffer.allocate(DIM * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(v);
                    ps.setBytes(3, b.array());
                    ps.addBatch();
                    if (i % 1000 == 999) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    private static float[] vector(Random random) {
        float[] v = new float[DIM];
        for (int i = 0; i < DIM; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }
}
