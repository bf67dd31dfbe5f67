package dev.atlas.jdbi;

import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.ApplicationTransactions;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.SearchContract;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The search suite on a PostgreSQL server with pgvector; skipped unless ATLAS_PGVECTOR_URL is set. Plus what only pgvector has. */
class PgvectorSearchTest extends SearchContract {
    PgvectorSearchTest() {
        super(new PgvectorTestDatabase());
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).pgvectorIndex(24, 100);
    }

    /** Tests whose assertions depend on PostgreSQL's plans (rows read per search, index order) start on a fresh copy. */
    private static final String PLANNER = "planner";

    @Override
    protected void beforeOpen(org.junit.jupiter.api.TestInfo test) {
        if (test.getTags().contains(PLANNER)) {
            ((PgvectorTestDatabase) database).freshCopyNext();
        }
    }

    private List<UUID> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    @DisplayName("vectors without an embedding (written in exact mode or by bulk inserts) are found, scored exactly, merged with the index's")
    void rowsWithoutEmbeddingAreFound() throws SQLException {
        List<Memory> m = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            m.add(memories.create(NewMemory.fact(Owner.user("alice"), "m" + i)));
        }
        float[][] v = {{1, 0}, {1, 0.1f}, {1, 0.2f}, {1, 0.3f}, {1, 0.4f}, {0, 1}};
        for (int i = 0; i < 6; i++) {
            search.upsertVector(SearchTarget.MEMORY, m.get(i).id(), "pgv-model", v[i]);
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // What exact mode and bulk inserts leave behind: the bytes without the embedding column.
            s.executeUpdate("UPDATE atlas_vectors SET embedding = NULL WHERE target_id IN ('" + m.get(0).id() + "', '" + m.get(3).id() + "')");
        }
        List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-model", new float[] {1, 0}).k(4));
        assertThat(ids(hits)).containsExactly(m.get(0).id(), m.get(1).id(), m.get(2).id(), m.get(3).id());
        assertThat(hits.get(0).score()).isEqualTo(1.0);
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("rows the index scan gives up before reaching are still found: another tenant's (or a filter's) many nearer"
            + " vectors never hide a tenant's own, nor change its answer")
    void nearerRowsOfOthersHideNothing() throws SQLException {
        // One HNSW index serves every tenant of a model; an iterative scan stops after
        // hnsw.max_scan_tuples index rows (20,000 by default), so a tenant whose rows lay behind
        // that many nearer rows of other tenants (or rows its filter rejects) got fewer than k
        // hits, none at all here. The limit is lowered and sequential scans and sorts are off (so the
        // planner orders by the index) so that a few hundred rows play the part of tens of thousands.
        Memory mine = memories.create(NewMemory.fact(Owner.user("alice"), "mine"));
        Memory bobs = memories.create(NewMemory.fact(Owner.user("bob"), "bob's"));
        search.upsertVector(SearchTarget.MEMORY, mine.id(), "pgv-crowd", new float[] {0, 1, 0, 0});
        search.upsertVector(SearchTarget.MEMORY, bobs.id(), "pgv-crowd", new float[] {0, 0, 1, 0});
        dev.atlas.memory.MemoryStore theirs = atlas.tenant("globex").memories();
        for (int i = 0; i < 150; i++) {
            UUID id = theirs.create(NewMemory.fact(Owner.user("alice"), "theirs " + i)).id();
            other.upsertVector(SearchTarget.MEMORY, id, "pgv-crowd", new float[] {1, i / 1000f, 0, 0});
            UUID own = memories.create(NewMemory.fact(Owner.user("alice"), "near " + i)).id();
            search.upsertVector(SearchTarget.MEMORY, own, "pgv-crowd", new float[] {1, 0, i / 1000f, 0});
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET hnsw.max_scan_tuples = 50");
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_seqscan = off");
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_sort = off");
            s.execute("ANALYZE atlas_vectors");
        }
        dev.atlas.search.Search fresh = reopen(b -> b).tenant("acme").search(); // new sessions take the settings
        SemanticQuery query = SemanticQuery.of(SearchTarget.MEMORY, "pgv-crowd", new float[] {1, 0, 0, 0});
        List<SearchHit> byOwner = fresh.similar(query.k(3).filter(dev.atlas.search.SearchFilter.none().owner(Owner.user("bob"))));
        assertThat(ids(byOwner)).containsExactly(bobs.id());
        assertThat(byOwner.get(0).score()).isEqualTo(0.0);
        Memory lone = atlas.tenant("initech").memories().create(NewMemory.fact(Owner.user("alice"), "lone"));
        atlas.tenant("initech").search().upsertVector(SearchTarget.MEMORY, lone.id(), "pgv-crowd", new float[] {-1, 0, 0, 0});
        List<SearchHit> alone = reopen(b -> b).tenant("initech").search().similar(query.k(2));
        assertThat(ids(alone)).containsExactly(lone.id());
        assertThat(alone.get(0).score()).isEqualTo(-1.0);
    }

    @Test
    @DisplayName("each (model, dimension) gets its own valid HNSW index with the configured m and ef_construction, even for models whose"
            + " names hashed alike before")
    void indexNamesDoNotCollide() throws SQLException {
        Memory a = memories.create(NewMemory.fact(Owner.user("alice"), "a"));
        // "Aa" and "BB" have the same 31-based string hash, which named the index before.
        search.upsertVector(SearchTarget.MEMORY, a.id(), "Aa", new float[] {1, 0, 0});
        search.upsertVector(SearchTarget.MEMORY, a.id(), "BB", new float[] {1, 0, 0});
        search.upsertVector(SearchTarget.MEMORY, a.id(), "BB-4", new float[] {1, 0, 0, 0});
        List<String> defs = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i"
                     + " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'atlas_vectors' AND pg_get_indexdef(i.indexrelid) LIKE '%hnsw%'"
                     + " ORDER BY 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                assertThat(rs.getBoolean(2)).as(rs.getString(1)).isTrue();
                defs.add(rs.getString(1));
            }
        }
        assertThat(defs).hasSize(3);
        assertThat(defs).anyMatch(d -> d.contains("'Aa'::text")).anyMatch(d -> d.contains("'BB'::text"))
                .anyMatch(d -> d.contains("'BB-4'::text"));
        assertThat(defs).allMatch(d -> d.contains("m='24'") && d.contains("ef_construction='100'"));
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("a search over a large model reads the index's candidates and the rows without an embedding through indexes,"
            + " not by scanning the table (rows read per search counted by PostgreSQL for the search's own session)")
    void searchDoesNotScanTheVectors() throws Exception {
        Memory near = memories.create(NewMemory.fact(Owner.user("alice"), "near"));
        int bulk = 3_000; // enough for the planner to prefer the index (at 1,000 it scans, reading every row); building it is the cost
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // Many rows of the same tenant and model, as Atlas writes them (memory row, vector row with its embedding;
            // the column is the one Atlas adds on first use), distinct and pointing away from the query.
            s.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
            s.executeUpdate("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance,"
                    + " revision, created_at, updated_at) SELECT 'acme', md5(g::text)::uuid, 'user', 'alice', 'fact', 'bulk ' || g,"
                    + " '{}'::jsonb, 0.5, 1, now(), now() FROM generate_series(1, " + bulk + ") g");
            s.executeUpdate("INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, created_at,"
                    + " updated_at, embedding) SELECT 'acme', md5('v' || g)::uuid, 'memory', md5(g::text)::uuid, 'pgv-scan', 4,"
                    // Distinct vectors (-1, g / 3000, 0, 0), the embedding holding the direction the bytes hold (little-endian
                    // float32; Atlas writes the unit-scaled vector, which cosine does not tell apart): equal scores at the k-th
                    // hit, or an index order other than the exact scores', would make the search exact.
                    + " " + float32("-1") + " || " + float32("g / 3000.0") + " || " + float32("0") + " || " + float32("0") + ","
                    + " now(), now(), ('[-1,' || CAST(g / 3000.0 AS real) || ',0,0]')::vector"
                    + " FROM generate_series(1, " + bulk + ") g");
        }
        // The model's first store through Atlas builds its index over every row.
        search.upsertVector(SearchTarget.MEMORY, near.id(), "pgv-scan", new float[] {1, 0, 0, 0});
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ANALYZE atlas_vectors");
            s.execute("ANALYZE atlas_memories");
        }
        ApplicationTransactions app = new ApplicationTransactions(database, true).boundToItsThread();
        try (dev.atlas.Atlas single = dev.atlas.Atlas.builder().dataSource(app.dataSource()).build()) {
            dev.atlas.search.Search s = single.tenant("acme").search();
            SemanticQuery query = SemanticQuery.of(SearchTarget.MEMORY, "pgv-scan", new float[] {1, 0.01f, 0, 0}).k(3);
            s.similar(query); // chooses the index, outside a transaction
            backfillDone();
            app.in(Connection.TRANSACTION_READ_COMMITTED, () -> { // the search's own reads: see rowsReadHere
                Connection own = app.dataSource().getConnection();
                long before = rowsReadHere(own);
                List<SearchHit> hits = s.similar(query);
                long read = rowsReadHere(own) - before;
                assertThat(hits.get(0).id()).isEqualTo(near.id());
                assertThat(read).as("rows of atlas_vectors read by one search").isLessThan(1_000);
                return null;
            });
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("on 3,000 random 384-dimensional vectors the index answers every common query (random directions, and near a stored"
            + " vector) at k = 10 and k = 50 without falling back to exact search, also with another tenant of few rows in the"
            + " same index; that tenant's own queries are exact (rows read per search counted by PostgreSQL for the searches' own"
            + " session: they run in one application transaction that Atlas joins)")
    void commonQueriesAreAnsweredByTheIndex() throws Exception {
        // The float32 margin the index's answer must clear (PgVectorIndex.distanceError, ~4.7e-5 at 384 dimensions) must not
        // send ordinary queries to exact search, which reads every row of the tenant's model (3,000 here; the index ~2k).
        int d = 384;
        int bulk = 3_000;
        java.util.Random random = new java.util.Random(3_384);
        List<float[]> stored = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
            c.setAutoCommit(false);
            try (PreparedStatement memory = c.prepareStatement("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, kind,"
                    + " content, metadata, importance, revision, created_at, updated_at) VALUES ('acme', ?, 'user', 'alice', 'fact', ?,"
                    + " '{}'::jsonb, 0.5, 1, now(), now())");
                 PreparedStatement vector = c.prepareStatement("INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model,"
                         + " dimension, vector, created_at, updated_at, embedding) VALUES ('acme', ?, 'memory', ?, 'pgv-384', 384, ?, now(),"
                         + " now(), CAST(? AS vector))")) {
                for (int i = 0; i < bulk; i++) {
                    float[] v = dev.atlas.jdbi.internal.Vectors.normalise(gaussian(random, d));
                    stored.add(v);
                    UUID id = UUID.randomUUID();
                    memory.setObject(1, id);
                    memory.setString(2, "bulk " + i);
                    memory.addBatch();
                    vector.setObject(1, UUID.randomUUID());
                    vector.setObject(2, id);
                    vector.setBytes(3, dev.atlas.jdbi.internal.Vectors.encode(v));
                    vector.setString(4, literal(v));
                    vector.addBatch();
                }
                memory.executeBatch();
                vector.executeBatch();
            }
            c.commit();
        }
        // The model's first store through Atlas builds its index over every row.
        Memory first = memories.create(NewMemory.fact(Owner.user("alice"), "first"));
        search.upsertVector(SearchTarget.MEMORY, first.id(), "pgv-384", gaussian(random, d));
        List<float[]> queries = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queries.add(gaussian(random, d)); // a random direction: its best cosines are ~0.15-0.2
            float[] near = gaussian(random, d); // a stored vector plus noise: cosine ~0.9 with it, as a paraphrase would be
            float[] base = stored.get(random.nextInt(bulk));
            for (int j = 0; j < d; j++) {
                near[j] = base[j] + 0.025f * near[j];
            }
            queries.add(near);
        }
        List<float[]> few = new ArrayList<>();
        List<UUID> fewIds = new ArrayList<>();
        for (boolean withFew : new boolean[] {false, true}) {
            if (withFew) { // a tenant of 20 rows in the same index: fewer than k + max(k, 16) for either k
                dev.atlas.search.Search initech = atlas.tenant("initech").search();
                for (int i = 0; i < 20; i++) {
                    UUID id = atlas.tenant("initech").memories().create(NewMemory.fact(Owner.user("alice"), "few " + i)).id();
                    few.add(gaussian(random, d));
                    fewIds.add(id);
                    initech.upsertVector(SearchTarget.MEMORY, id, "pgv-384", few.get(i));
                }
            }
            try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
                // At 3,000 rows of 384 dimensions the planner sorts them all rather than use the index (it does from some
                // tens of thousands); sorts and sequential scans are off so that what is counted is the rule's choice: the
                // index's ~2k rows, or exact search's 3,000.
                s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_seqscan = off");
                s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_sort = off");
                s.execute("ANALYZE atlas_vectors");
                s.execute("ANALYZE atlas_memories");
            }
            // The searches run inside one application transaction that Atlas joins, and the rows read are this transaction's
            // own (pg_stat_xact_user_tables): pg_stat_user_tables counts every session's reads once each flushes them, which an
            // idle session does up to seconds later, so a search was charged reads it never made (6,026 rows for a search that
            // read 26: two full scans of the 3,000-row table by another session, flushed in the middle of the loop).
            ApplicationTransactions app = new ApplicationTransactions(database, true).boundToItsThread();
            try (dev.atlas.Atlas single = dev.atlas.Atlas.builder().dataSource(app.dataSource()).pgvectorIndex(24, 100).build()) {
                dev.atlas.search.Search s = single.tenant("acme").search();
                s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-384", queries.get(0))); // chooses the index, outside a transaction
                backfillDone();
                boolean few20 = withFew;
                app.in(Connection.TRANSACTION_READ_COMMITTED, () -> {
                    Connection own = app.dataSource().getConnection(); // the transaction's connection, which Atlas joins
                    for (int k : new int[] {10, 50}) {
                        List<Long> read = new ArrayList<>();
                        for (float[] query : queries) {
                            long before = rowsReadHere(own);
                            List<SearchHit> hits = s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-384", query).k(k));
                            read.add(rowsReadHere(own) - before);
                            assertThat(hits).hasSize(k);
                        }
                        System.out.println("pgvector rows read per search, k=" + k + (few20 ? ", with a tenant of 20 rows: " : ": ") + read);
                        assertThat(read).as("rows of atlas_vectors read per search, k = " + k + (few20 ? ", another tenant of 20 rows" : ""))
                                .allMatch(n -> n < 1_000);
                    }
                    if (few20) {
                        dev.atlas.search.Search theirs = single.tenant("initech").search();
                        for (int k : new int[] {10, 50}) {
                            float[] query = queries.get(k == 10 ? 0 : 1);
                            List<UUID> exact = new ArrayList<>(fewIds);
                            exact.sort(java.util.Comparator.comparingDouble((UUID id) -> -cosine(query, few.get(fewIds.indexOf(id)))));
                            long before = rowsReadHere(own);
                            List<SearchHit> hits = theirs.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-384", query).k(k));
                            System.out.println("pgvector rows read by a search of the tenant of 20 rows, k=" + k + ": " + (rowsReadHere(own) - before));
                            assertThat(ids(hits)).as("k = " + k).containsExactlyElementsOf(exact.subList(0, Math.min(k, 20)));
                        }
                    }
                    return null;
                });
            }
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("a tenant of fewer vectors than the index is asked for (k + max(k, 16)), sharing the model's index with a tenant of"
            + " 5,000, is answered exactly by the one search statement, also once the driver prepares it on the server: no second,"
            + " exact statement, and only its own rows read (rows read per search counted by PostgreSQL for the searches' own session,"
            + " statements by Atlas)")
    void smallTenantIsSearchedInOneStatement() throws Exception {
        // 5,000 rows, not 50,000: a plan not bounded by the tenant still reads about all of them, 20 times the bound below.
        // Forced onto the shared index (sorts and sequential scans off for the database) the searches read 4,607 and 5,040
        // rows and the assertion fails; as written, 20 and 40. Seeding 50,000 and building their index were most of the
        // test's time (139 s, now 14 s, on a loaded machine).
        int bulk = 5_000;
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
            // globex's vectors as Atlas stores them (bytes and embedding of one direction), random directions; only the index sees
            // them, so they need no memory rows.
            s.executeUpdate(randomVectors("globex", "", "pgv-small", bulk));
        }
        java.util.Random random = new java.util.Random(20);
        List<UUID> ids = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 20; i++) { // the model's first store through Atlas builds its index over every row
            UUID id = memories.create(NewMemory.fact(Owner.user("alice"), "few " + i)).id();
            float[] v = gaussian(random, 4);
            search.upsertVector(SearchTarget.MEMORY, id, "pgv-small", v);
            ids.add(id);
            vectors.add(v);
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ANALYZE atlas_vectors");
            s.execute("ANALYZE atlas_memories");
        }
        ApplicationTransactions app = new ApplicationTransactions(database, true).boundToItsThread();
        try (dev.atlas.Atlas single = dev.atlas.Atlas.builder().dataSource(app.dataSource()).build()) {
            dev.atlas.search.Search s = single.tenant("acme").search();
            float[] query = gaussian(random, 4);
            s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-small", query)); // chooses the index, outside a transaction
            backfillDone();
            List<UUID> exact = new ArrayList<>(ids);
            exact.sort(java.util.Comparator.comparingDouble((UUID id) -> -cosine(query, vectors.get(ids.indexOf(id)))));
            // Each k a dozen times on the one connection: the driver prepares a statement on the server from its 5th run, and
            // PostgreSQL may then plan it generically (tenant_id = $1 estimated at the average tenant's share of the table).
            List<Long> read = new ArrayList<>();
            List<Integer> statements = new ArrayList<>();
            app.in(Connection.TRANSACTION_READ_COMMITTED, () -> { // the searches' own reads: see rowsReadHere
                Connection own = app.dataSource().getConnection();
                for (int k : new int[] {3, 10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10}) {
                    long before = rowsReadHere(own);
                    dev.atlas.jdbi.kit.StatementCounter.Counted<List<SearchHit>> hits = dev.atlas.jdbi.kit.StatementCounter.count(single,
                            () -> s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-small", query).k(k)));
                    long n = rowsReadHere(own) - before;
                    System.out.println("pgvector, a tenant of 20 rows beside one of " + bulk + ", k=" + k + ": rows read " + n
                            + ", statements " + hits.statements());
                    assertThat(ids(hits.result())).as("k = " + k).containsExactlyElementsOf(exact.subList(0, k));
                    read.add(n);
                    statements.add(hits.statements());
                }
                return null;
            });
            assertThat(read).as("rows of atlas_vectors read by each search").allMatch(n -> n < 200);
            // The model's dimension, the index settings, the search: no second, exact statement.
            assertThat(statements).as("statements of each search").containsOnly(3);
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("search35: a tenant of 50 vectors whose planner statistics are stale (it held 3,000 memories and vectors at the last"
            + " ANALYZE) beside a tenant of 5,000 gets exact search's hits on every run, also once the driver prepares the statement on"
            + " the server, reading at most hnsw.max_scan_tuples (set to 2,000 here, a tenth of pgvector's default 20,000, as the"
            + " table is a tenth of 50,000) rows of the shared index plus its own 50")
    void smallTenantWithStaleStatisticsReadsABoundedPartOfTheSharedIndex() throws Exception {
        // The scenario at a tenth of its first size (50,000 beside 30,000 at the default 20,000 tuples read 12,669 rows per
        // search), the scan limit scaled with it: 1,422 rows read per search; at the default limit 2,723, and the assertion
        // fails. Seeding 80,000 rows and building their index were most of the test's time (125 s, now 50 s, loaded machine).
        int bulk = 5_000;
        int stale = 3_000;
        int maxScanTuples = 2_000;
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
            // No autovacuum: the statistics must stay as the ANALYZE below leaves them, whatever the test's timing.
            s.execute("ALTER TABLE atlas_vectors SET (autovacuum_enabled = false)");
            s.execute("SELECT setseed(0.5)"); // the same directions on every run
            s.execute("ALTER TABLE atlas_memories SET (autovacuum_enabled = false)");
            // acme's memories that a purge will remove after the ANALYZE; globex's need no memory rows (only the index sees them).
            s.executeUpdate("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance,"
                    + " revision, created_at, updated_at) SELECT 'acme', md5('acmem' || g)::uuid, 'user', 'alice', 'fact', 'bulk ' || g,"
                    + " '{}'::jsonb, 0.5, 1, now(), now() FROM generate_series(1, " + stale + ") g");
            // globex's vectors and, for now, as many of acme's as its memories: random directions as Atlas stores them (bytes and
            // embedding of one direction).
            for (String[] tenant : new String[][] {{"globex", String.valueOf(bulk)}, {"acme", String.valueOf(stale)}}) {
                s.executeUpdate(randomVectors(tenant[0], tenant[0], "pgv-stale", Integer.parseInt(tenant[1])));
            }
        }
        java.util.Random random = new java.util.Random(50);
        List<UUID> ids = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 50; i++) { // the model's first store through Atlas builds its index over every row
            UUID id = memories.create(NewMemory.fact(Owner.user("alice"), "few " + i)).id();
            float[] v = gaussian(random, 4);
            search.upsertVector(SearchTarget.MEMORY, id, "pgv-stale", v);
            ids.add(id);
            vectors.add(v);
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ANALYZE atlas_vectors");
            s.execute("ANALYZE atlas_memories");
            // acme shrinks to its 50 after the ANALYZE (a purge, say, not yet followed by autovacuum): the statistics still give
            // acme ~37% of the table. (After a VACUUM of both tables the planner already sorted acme's rows.)
            s.executeUpdate("DELETE FROM atlas_vectors WHERE tenant_id = 'acme' AND model = 'pgv-stale' AND target_id IN"
                    + " (SELECT id FROM atlas_memories WHERE tenant_id = 'acme' AND content LIKE 'bulk %')");
            s.executeUpdate("DELETE FROM atlas_memories WHERE tenant_id = 'acme' AND content LIKE 'bulk %'");
        }
        // The lowered limit for the measured instance's sessions only (a startup option), not for the database: nothing of
        // it is left for whatever runs on this database or server next.
        org.postgresql.ds.PGSimpleDataSource measured = (org.postgresql.ds.PGSimpleDataSource) database.dataSource();
        measured.setOptions("-c hnsw.max_scan_tuples=" + maxScanTuples);
        ApplicationTransactions app = new ApplicationTransactions(measured, true).boundToItsThread();
        try (dev.atlas.Atlas single = dev.atlas.Atlas.builder().dataSource(app.dataSource()).build()) {
            assertThat(scanLimit(database.dataSource())).as("the database's own sessions").isEqualTo("20000");
            dev.atlas.search.Search s = single.tenant("acme").search();
            float[] query = gaussian(random, 4);
            s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-stale", query)); // chooses the index, outside a transaction
            backfillDone();
            List<UUID> exact = new ArrayList<>(ids);
            exact.sort(java.util.Comparator.comparingDouble((UUID id) -> -cosine(query, vectors.get(ids.indexOf(id)))));
            List<Long> read = new ArrayList<>();
            List<Long> indexScans = new ArrayList<>();
            app.in(Connection.TRANSACTION_READ_COMMITTED, () -> { // the searches' own reads: see rowsReadHere
                Connection own = app.dataSource().getConnection();
                assertThat(scanLimit(own)).isEqualTo(String.valueOf(maxScanTuples));
                for (int run = 0; run < 12; run++) { // the driver prepares the statement on the server from its 5th run
                    long before = rowsReadHere(own);
                    long scansBefore = hnswScansHere(own);
                    List<SearchHit> hits = s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-stale", query).k(10));
                    long scans = hnswScansHere(own) - scansBefore;
                    long n = rowsReadHere(own) - before;
                    System.out.println("pgvector, a tenant of 50 rows with stale statistics beside one of " + bulk + ", k=10: rows read "
                            + n + ", HNSW index scans " + scans);
                    assertThat(ids(hits)).as("run " + run).containsExactlyElementsOf(exact.subList(0, 10));
                    read.add(n);
                    indexScans.add(scans);
                }
                return null;
            });
            System.out.println("stale: rows read " + read + ", index scans " + indexScans);
            assertThat(read).as("rows of atlas_vectors read by each search").allMatch(n -> n <= maxScanTuples + 50);
        }
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("search35: a tenant of 25,000 vectors searched with a metadata filter that few of them pass (1 in 500, 1 in 55, 1 in 5)"
            + " gets exact search's hits at k = 10 and k = 50, reading at most 10,000 of its rows per search through the index: the iterative"
            + " scan finds the filter's rows within hnsw.max_scan_tuples (pgvector's default 20,000); at 1,000 it gave up at 1 in 55 and every"
            + " search read all of the tenant's rows (26,000 here, 51,000 of a tenant of 50,000). A search PostgreSQL plans without the index"
            + " reads each of the tenant's rows at most once")
    void bigTenantWithASelectiveFilterGetsExactHits() throws Exception {
        // 25,000 rows (was 50,000): building their HNSW index is most of the test's time (123 s of 138 s at 50,000, load 17;
        // 23 s of 31 s at 25,000, load 10). What is bounded does not shrink with the table: how far the iterative scan walks
        // for a filter's rows depends on the filter's selectivity and k (1,290 to 1,949 rows read for 1 in 55 at k = 10, as
        // at 50,000), and a scan that gives up still reads every row of the tenant: with Atlas setting hnsw.max_scan_tuples to
        // 1,000 (a temporary mutant) those searches read 26,009 to 26,167 rows and the bound below fails.
        int bulk = 25_000;
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE atlas_vectors ADD COLUMN IF NOT EXISTS embedding vector");
            s.execute("SELECT setseed(0.25)"); // the same directions on every run
            s.executeUpdate("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance,"
                    + " revision, created_at, updated_at) SELECT 'acme', md5('acmem' || g)::uuid, 'user', 'alice', 'fact', 'bulk ' || g,"
                    + " CASE WHEN g % 500 = 0 THEN '{\"topic\":\"rare\"}' WHEN g % 50 = 0 THEN '{\"topic\":\"some\"}'"
                    + " WHEN g % 5 = 0 THEN '{\"topic\":\"common\"}' ELSE '{}' END::jsonb, 0.5, 1, now(), now()"
                    + " FROM generate_series(1, " + bulk + ") g");
            s.executeUpdate(randomVectors("acme", "acme", "pgv-filter", bulk));
        }
        java.util.Random random = new java.util.Random(500);
        Memory first = memories.create(NewMemory.fact(Owner.user("alice"), "first"));
        // The model's index over every row is built by an instance with Atlas's default HNSW parameters (m 16,
        // ef_construction 64), the ones the measured instance below has and an application gets, not the class's
        // pgvectorIndex(24, 100): building that over 50,001 rows was most of this test's time.
        reopen(b -> b).tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "pgv-filter", gaussian(random, 4));
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT indexdef FROM pg_indexes WHERE tablename = 'atlas_vectors'"
                    + " AND indexname LIKE 'atlas_vectors_hnsw_%'")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).contains("m='16'", "ef_construction='64'", "'pgv-filter'::text");
                assertThat(rs.next()).as("one HNSW index").isFalse();
            }
            s.execute("ANALYZE atlas_vectors");
            s.execute("ANALYZE atlas_memories");
        }
        ApplicationTransactions app = new ApplicationTransactions(database, true).boundToItsThread();
        try (dev.atlas.Atlas single = dev.atlas.Atlas.builder().dataSource(app.dataSource()).build()) {
            dev.atlas.search.Search s = single.tenant("acme").search();
            s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-filter", gaussian(random, 4))); // chooses the index, outside a transaction
            backfillDone();
            int indexed = 0;
            for (String topic : new String[] {"rare", "some", "common"}) {
                java.util.Map<UUID, float[]> passing = new java.util.HashMap<>();
                try (Connection c = database.dataSource().getConnection(); PreparedStatement p = c.prepareStatement("SELECT v.target_id, v.vector"
                        + " FROM atlas_vectors v JOIN atlas_memories m ON m.tenant_id = v.tenant_id AND m.id = v.target_id"
                        + " WHERE v.tenant_id = 'acme' AND v.model = 'pgv-filter' AND m.metadata ->> 'topic' = ?")) {
                    p.setString(1, topic);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) {
                            passing.put(rs.getObject(1, UUID.class), dev.atlas.jdbi.internal.Vectors.decode(rs.getBytes(2)));
                        }
                    }
                }
                for (int k : new int[] {10, 50}) {
                    List<Long> read = new ArrayList<>();
                    List<Long> planned = new ArrayList<>();
                    for (int run = 0; run < 8; run++) {
                        float[] query = gaussian(random, 4);
                        List<UUID> exact = new ArrayList<>(passing.keySet());
                        exact.sort(java.util.Comparator.comparingDouble((UUID id) -> -cosine(query, passing.get(id)))
                                .thenComparing(UUID::toString));
                        String label = topic + ", k = " + k + ", run " + run;
                        app.in(Connection.TRANSACTION_READ_COMMITTED, () -> { // the search's own reads: see rowsReadHere
                            Connection own = app.dataSource().getConnection();
                            long before = rowsReadHere(own);
                            long scansBefore = hnswScansHere(own);
                            List<SearchHit> hits = s.similar(SemanticQuery.of(SearchTarget.MEMORY, "pgv-filter", query).k(k)
                                    .filter(dev.atlas.search.SearchFilter.none().metadata("topic", topic)));
                            long n = rowsReadHere(own) - before;
                            boolean throughIndex = hnswScansHere(own) > scansBefore;
                            assertThat(ids(hits)).as(label).containsExactlyElementsOf(exact.subList(0, k));
                            (throughIndex ? read : planned).add(n);
                            return null;
                        });
                    }
                    System.out.println("filtered " + topic + " (" + passing.size() + " pass), k=" + k + ": rows read through the index "
                            + read + ", without it " + planned);
                    indexed += read.size();
                    // The bound is on the iterative scan: giving up and falling back to exact (the defect at max_scan_tuples
                    // 1,000) scans the index and then reads all 50,001. PostgreSQL may instead plan a filter of 1 in 55 at
                    // k = 50 as one sequential scan and sort (its costs are within ~15% of the index plan's and ANALYZE's
                    // random sample decides: 2 of 5 runs): that reads the tenant's rows once, exact by construction.
                    assertThat(read).as("rows of atlas_vectors read per search through the index, " + topic + ", k = " + k)
                            .allMatch(n -> n <= 10_000);
                    assertThat(planned).as("rows read per search planned without the index, " + topic + ", k = " + k)
                            .allMatch(n -> n <= bulk + 1);
                }
            }
            // "rare" (100 rows) is planned through the memories' metadata, not the HNSW index; "common" and "some" at k = 10 go
            // through it in every run seen.
            assertThat(indexed).as("searches answered through the HNSW index").isGreaterThanOrEqualTo(8 * 2);
        }
    }

    /** hnsw.max_scan_tuples of a new session of {@code source} (pgvector loaded first, so the setting is its own, not a placeholder). */
    private static String scanLimit(javax.sql.DataSource source) throws SQLException {
        try (Connection c = source.getConnection()) {
            return scanLimit(c);
        }
    }

    private static String scanLimit(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOAD 'vector'");
            try (ResultSet rs = s.executeQuery("SHOW hnsw.max_scan_tuples")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Scans of atlas_vectors' HNSW indexes so far by {@code c}'s open transaction (see {@link #rowsReadHere}). */
    private static long hnswScansHere(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(pg_stat_get_xact_numscans(i.indexrelid)), 0)"
                + " FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indrelid = 'atlas_vectors'::regclass"
                + " AND x.relname LIKE 'atlas\\_vectors\\_hnsw\\_%'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * Waits for the pgvector back-fill threads running now: their statements would otherwise land inside a measured
     * search's statement count.
     */
    private static void backfillDone() throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("atlas-pgvector-backfill")) {
                t.join();
            }
        }
    }

    private static float[] gaussian(java.util.Random random, int d) {
        float[] v = new float[d];
        for (int i = 0; i < d; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static String literal(float[] v) {
        StringBuilder b = new StringBuilder().append('[');
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ",").append(v[i]);
        }
        return b.append(']').toString();
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    /**
     * SQL inserting {@code count} vectors of {@code tenant} in random 4-dimensional directions (of
     * the session's {@code setseed}) as Atlas stores them: the little-endian float32 bytes and the
     * embedding of one direction. Ids are {@code md5(prefix || 'v' || g)}, targets
     * {@code md5(prefix || 'm' || g)}, so a test's memory rows can point at them.
     */
    private static String randomVectors(String tenant, String prefix, String model, int count) {
        return "INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, created_at,"
                + " updated_at, embedding) SELECT '" + tenant + "', md5('" + prefix + "v' || g)::uuid, 'memory', md5('" + prefix
                + "m' || g)::uuid, '" + model + "', 4, " + float32("a") + " || " + float32("b") + " || " + float32("c") + " || "
                + float32("d") + ", now(), now(),"
                + " ('[' || CAST(a AS real) || ',' || CAST(b AS real) || ',' || CAST(c AS real) || ',' || CAST(d AS real) || ']')::vector"
                + " FROM (SELECT g, random() - 0.5 AS a, random() - 0.5 AS b, random() - 0.5 AS c, random() - 0.5 AS d"
                + " FROM generate_series(1, " + count + ") g) r";
    }

    /** SQL for the little-endian float32 bytes of the numeric expression {@code x}, as Atlas stores a vector's component. */
    private static String float32(String x) {
        String be = "float4send(CAST(" + x + " AS real))";
        return "(substr(" + be + ", 4, 1) || substr(" + be + ", 3, 1) || substr(" + be + ", 2, 1) || substr(" + be + ", 1, 1))";
    }

    /**
     * Rows of atlas_vectors read so far (sequentially or fetched by index scans) by {@code c}'s open transaction, which the
     * measured Atlas joins: that session's own reads, nobody else's, as no flush happens inside a transaction. The
     * database-wide counters (pg_stat_user_tables) also take every other session's reads once that session flushes them,
     * which an idle one does up to seconds later: a search was charged reads it never made (6,026 rows for a search that
     * read 26, in PgvectorSearchTest#commonQueriesAreAnsweredByTheIndex: two scans of the table's 3,000 rows by another
     * session).
     */
    private static long rowsReadHere(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)"
                + " FROM pg_stat_xact_user_tables WHERE relname = 'atlas_vectors'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    @DisplayName("vectors an import brings into an instance already searching with pgvector get their embeddings and their model's"
            + " HNSW index without a restart, and the imported tenant answers as the exporting one")
    void importedVectorsAreEmbeddedWithoutARestart() throws Exception {
        // Before, only the back-fill at the instance's first vector call embedded rows stored without one: an import into a
        // running instance left its vectors unembedded until a restart, so each search of the model read and scored every
        // one of them exactly, and a model only the import brought never got its index.
        java.util.Random random = new java.util.Random(17);
        for (int i = 0; i < 40; i++) {
            Memory m = memories.create(NewMemory.fact(Owner.user("alice"), "moved " + i));
            search.upsertVector(SearchTarget.MEMORY, m.id(), "moved-model", new float[] {(float) random.nextGaussian(),
                    (float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian()});
        }
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        atlas.tenant("acme").portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
        // A model the instance has never indexed: only the import brings it.
        String exported = file.toString(java.nio.charset.StandardCharsets.UTF_8).replace("moved-model", "only-imported");
        atlas.tenant("moved").portability().importFrom(new java.io.ByteArrayInputStream(exported.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        backfillDone(); // started by the import before it returned
        long unembedded;
        boolean indexed;
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM atlas_vectors WHERE tenant_id = 'moved' AND embedding IS NULL")) {
                rs.next();
                unembedded = rs.getLong(1);
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                    + " WHERE x.relname LIKE 'atlas\\_vectors\\_hnsw\\_%' AND i.indisvalid"
                    + " AND pg_get_expr(i.indpred, i.indrelid) LIKE '%only-imported%'")) {
                rs.next();
                indexed = rs.getLong(1) == 1;
            }
        }
        assertThat(unembedded).as("imported vectors still without an embedding").isZero();
        assertThat(indexed).as("a valid HNSW index of the imported model").isTrue();
        float[] query = {0.5f, -0.2f, 0.1f, 0.9f};
        List<String> before = atlas.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "moved-model", query).k(5))
                .stream().map(h -> h.id() + " " + h.score()).toList();
        assertThat(atlas.tenant("moved").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "only-imported", query).k(5))
                .stream().map(h -> h.id() + " " + h.score()).toList()).hasSize(5).isEqualTo(before);
    }

    @Test
    @org.junit.jupiter.api.Tag(PLANNER)
    @DisplayName("an erase of a tenant while an import's back-fill embeds its vectors (and another writer holds one of them) erases"
            + " it whole: the back-fill never waits for a row while holding others, so it cannot deadlock with the erase")
    void eraseDuringAnImportsBackfillIsNeverAborted() throws Exception {
        // The back-fill updated the rows of its batch one statement at a time, each waiting for a row another transaction
        // held. The two take the rows in other orders (the back-fill by model along its index, the erase by id along the
        // primary key): an erase that had deleted rows the back-fill had still to reach and then waited for one it held
        // deadlocked with it, and PostgreSQL aborted the erase, which waited first (StorageException 40P01). Here a writer's
        // open transaction holds one of the vectors, so that the back-fill is caught half-way through its batch.
        java.util.Random random = new java.util.Random(5);
        List<UUID> targets = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            UUID id = memories.create(NewMemory.fact(Owner.user("alice"), "raced " + i)).id();
            targets.add(id);
            for (String model : List.of("race-b", "race-c")) {
                search.upsertVector(SearchTarget.MEMORY, id, model, gaussian(random, 8));
            }
        }
        for (UUID id : targets.subList(100, 120)) { // the first model of the back-fill's order, the last ids of the erase's
            search.upsertVector(SearchTarget.MEMORY, id, "race-a", gaussian(random, 8));
        }
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        atlas.tenant("acme").portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
        dev.atlas.Tenant seed = atlas.tenant("seed");
        seed.search().upsertVector(SearchTarget.MEMORY, seed.memories().create(NewMemory.fact(Owner.user("bob"), "seed")).id(), "race-a",
                gaussian(random, 8));
        java.io.ByteArrayOutputStream seedFile = new java.io.ByteArrayOutputStream();
        seed.portability().exportTo(seedFile, dev.atlas.portability.ExportScope.tenant());
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // The plans of a table of millions of rows, on a few hundred: each index's order, not the heap's.
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_seqscan = off");
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_bitmapscan = off");
            // Each waiter looks for a deadlock once, this long after it began to wait: the erase, which waits first, finds
            // it, however slowly this test releases the writer.
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET deadlock_timeout = '5s'");
        }
        dev.atlas.Atlas fresh = reopen(b -> b); // new sessions take the settings
        // Its first vector call: the instance searches with pgvector from here on, and back-fills what an import brings.
        fresh.tenant("raced").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "race-a", gaussian(random, 8)).k(1));
        dev.atlas.portability.Portability raced = fresh.tenant("raced").portability();
        raced.importFrom(new java.io.ByteArrayInputStream(file.toByteArray()));
        backfillDone();
        try (Connection writer = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            // What exact mode and bulk inserts leave behind, so that the next back-fill of the tenant has them all to do.
            probe.createStatement().executeUpdate("UPDATE atlas_vectors SET embedding = NULL WHERE tenant_id = 'raced'");
            writer.setAutoCommit(false);
            try (PreparedStatement ps = writer.prepareStatement("SELECT 1 FROM atlas_vectors WHERE tenant_id = 'raced' AND model = 'race-a'"
                    + " AND target_id = ? FOR UPDATE")) {
                ps.setObject(1, targets.get(110));
                assertThat(ps.executeQuery().next()).isTrue();
            }
            raced.importFrom(new java.io.ByteArrayInputStream(seedFile.toByteArray())); // starts the tenant's back-fill
            java.util.concurrent.CompletableFuture<Void> backfill = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    backfillDone();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            dev.atlas.jdbi.kit.PostgresLockWaits.await(probe, 1, backfill);
            java.util.concurrent.CompletableFuture<dev.atlas.portability.EraseReport> erase =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> raced.eraseTenant(false));
            dev.atlas.jdbi.kit.PostgresLockWaits.await(probe, backfill.isDone() ? 1 : 2, erase);
            writer.commit();
            dev.atlas.portability.EraseReport erased = erase.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(erased.counts()).containsEntry("vectors", 261L).containsEntry("memories", 121L);
            backfill.get(60, java.util.concurrent.TimeUnit.SECONDS);
            try (ResultSet rs = probe.createStatement().executeQuery("SELECT count(*) FROM atlas_vectors WHERE tenant_id = 'raced'")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }
}
