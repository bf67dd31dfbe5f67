package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.ApplicationTransactions;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an Atlas instance decides about pgvector at its first vector call (extension, schema, indexes) is asked again while
 * it runs: at its first vector call a minute (by its clock) after it last asked, and when a vector statement fails as if
 * the extension or its column vanished (docs/memory-and-search.md, "Asked again while it runs"). Skipped without
 * {@code ATLAS_PGVECTOR_URL}.
 */
class PgvectorLifetimeTest extends AtlasContract {

    PgvectorLifetimeTest() {
        super(new PgvectorTestDatabase());
    }

    private static final SemanticQuery NEAR = SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 0, 0});

    private List<UUID> stored(Atlas a) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Memory m = a.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "m" + i));
            a.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, i, 0});
            ids.add(m.id());
        }
        return ids;
    }

    @Test
    @DisplayName("an HNSW index dropped while Atlas runs: its searches return the same hits (by a scan), and its first store of"
            + " the model a minute (by its clock) after it last asked the catalogue builds it again; a search builds nothing")
    void droppedIndexIsBuiltAgainAtAStoreAMinuteLater() throws Exception {
        List<UUID> ids = stored(atlas);
        List<UUID> before = atlas.tenant("acme").search().similar(NEAR).stream().map(SearchHit::id).toList();
        assertThat(before).containsExactlyElementsOf(ids);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            String index = hnsw(s);
            assertThat(index).isNotNull();
            s.execute("DROP INDEX " + index);
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(before);
            // Within the minute the instance does not ask again.
            Memory more = atlas.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "more"));
            atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {0, 0, 1});
            assertThat(hnsw(s)).isNull();
            List<UUID> after = new ArrayList<>(before);
            after.add(more.id()); // orthogonal to the query: last
            clock.set(clock.instant().plusSeconds(61));
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(after);
            assertThat(hnsw(s)).as("a search builds no index").isNull();
            // Before: never built again by this instance, only by one started later.
            atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {0, 1, 1});
            assertThat(hnsw(s)).isEqualTo(index);
            atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {0, 0, 1});
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(after);
        }
    }

    @Test
    @DisplayName("the vector extension dropped while Atlas runs (DROP EXTENSION vector CASCADE: the embedding column and its indexes"
            + " go): the running instance's next search notices, creates it again (the server offers it) and answers the same hits"
            + " with the same scores, warned once; its next upsertVector stores an embedding and builds the model's index again")
    void droppedExtensionIsCreatedAgainByTheRunningInstance() throws Exception {
        ((PgvectorTestDatabase) database).freshCopyNext();
        List<UUID> ids = stored(atlas);
        List<SearchHit> before = atlas.tenant("acme").search().similar(NEAR);
        assertThat(before).extracting(SearchHit::id).containsExactlyElementsOf(ids);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement(); LogCapture logs = LogCapture.start()) {
            try {
                s.execute("DROP EXTENSION vector CASCADE");
                // Before: StorageException (type "public.vector" does not exist) from every similar and upsertVector until restarted.
                assertThat(atlas.tenant("acme").search().similar(NEAR)).isEqualTo(before);
                assertThat(count(s, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'vector'")).as("the extension created again").isEqualTo(1);
                assertThat(atlas.tenant("acme").search().similar(NEAR)).isEqualTo(before);
                Memory more = atlas.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "more"));
                atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {-1, 0, 0});
                assertThat(count(s, "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NOT NULL AND target_id = '" + more.id() + "'"))
                        .as("the new vector's embedding").isEqualTo(1);
                assertThat(hnswSoon(s)).as("the model's index built again at its next store").isNotNull();
                List<UUID> all = new ArrayList<>(ids);
                all.add(more.id()); // opposite to the query: last
                assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(all);
                assertThat(logs.text()).containsOnlyOnce("the vector extension or its embedding column changed under this instance");
                assertThat(logs.text()).containsPattern("WARN dev\\.atlas\\.jdbi\\.internal\\.PgVectorIndex - the vector extension or its"
                        + " embedding column changed under this instance \\(ERROR: type \"public\\.vector\" does not exist\\); asked the catalogue"
                        + " again: semantic search is pgvector-hnsw");
            } finally {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            }
        }
    }

    @Test
    @DisplayName("the vector extension dropped while Atlas runs, met first by a search inside an application's transaction that Atlas"
            + " joins: that search fails with StorageException 42704 and nothing is created in the transaction; the instance's next"
            + " search outside one creates the extension again and answers the same hits")
    void droppedExtensionMetInAnApplicationsTransaction() throws Exception {
        ((PgvectorTestDatabase) database).freshCopyNext();
        ApplicationTransactions app = new ApplicationTransactions(database, true);
        try (Atlas joined = configure(Atlas.builder().dataSource(app.dataSource())).migrate(false).build();
             Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            stored(joined);
            List<SearchHit> before = joined.tenant("acme").search().similar(NEAR);
            try {
                s.execute("DROP EXTENSION vector CASCADE");
                String outcome = app.in(Connection.TRANSACTION_READ_COMMITTED, () -> {
                    try {
                        joined.tenant("acme").search().similar(NEAR);
                        return "answered";
                    } catch (dev.atlas.StorageException e) {
                        return "StorageException " + e.sqlState();
                    }
                });
                assertThat(outcome).isEqualTo("StorageException 42704");
                assertThat(count(s, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'vector'")).as("nothing chosen in it").isEqualTo(0);
                // Before: the same StorageException here too, until a restart.
                assertThat(joined.tenant("acme").search().similar(NEAR)).isEqualTo(before);
                assertThat(count(s, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'vector'")).isEqualTo(1);
            } finally {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            }
        }
    }

    @Test
    @DisplayName("the vector extension dropped under two instances on one database, both searching at once: both answer the same"
            + " hits, one extension is created, neither falls back to exact search, and each one's next store has an embedding"
            + " and finds the one valid HNSW index of the model")
    void droppedExtensionMetByTwoInstancesAtOnce() throws Exception {
        ((PgvectorTestDatabase) database).freshCopyNext();
        List<UUID> ids = stored(atlas);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (Atlas other = configure(Atlas.builder().dataSource(database.dataSource())).migrate(false).build();
             Connection c = database.dataSource().getConnection(); Statement s = c.createStatement(); LogCapture logs = LogCapture.start()) {
            List<SearchHit> before = atlas.tenant("acme").search().similar(NEAR);
            assertThat(other.tenant("acme").search().similar(NEAR)).isEqualTo(before);
            try {
                s.execute("DROP EXTENSION vector CASCADE");
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Future<List<SearchHit>>> searches = new ArrayList<>();
                for (Atlas a : List.of(atlas, other)) {
                    searches.add(pool.submit(() -> {
                        start.await();
                        return a.tenant("acme").search().similar(NEAR);
                    }));
                }
                for (java.util.concurrent.Future<List<SearchHit>> f : searches) {
                    // Before: one of the two failed with StorageException (type "public.vector" does not exist, or column
                    // v.embedding does not exist): its statement ran while the extension was gone, and by the time it asked
                    // the catalogue the other instance had put it back, so "nothing changed" and its failure was thrown.
                    assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(before);
                }
                assertThat(count(s, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'vector'")).isEqualTo(1);
                assertThat(logs.text()).doesNotContain("semantic search is exact");
                List<UUID> all = new ArrayList<>(ids);
                for (Atlas a : List.of(atlas, other)) {
                    Memory more = a.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "more"));
                    a.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {-1, 0, 0});
                    assertThat(count(s, "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NOT NULL AND target_id = '" + more.id() + "'"))
                            .as("stored with an embedding: pgvector chosen").isEqualTo(1);
                    all.add(more.id());
                }
                assertThat(hnswSoon(s)).isNotNull();
                // Both builders done: one index of the model, valid (no second build, no leftover of a failed one).
                for (int i = 0; i < 600 && count(s, "SELECT COUNT(*) FROM pg_stat_progress_create_index WHERE datid = (SELECT oid FROM pg_database WHERE datname = current_database())") > 0; i++) {
                    Thread.sleep(100);
                }
                assertThat(count(s, "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE x.relname LIKE"
                        + " 'atlas\\_vectors\\_hnsw\\_%' AND i.indisvalid")).isEqualTo(1);
                assertThat(count(s, "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE x.relname LIKE"
                        + " 'atlas\\_vectors\\_%' AND NOT i.indisvalid")).isEqualTo(0);
                List<UUID> order = all.subList(0, 5);
                assertThat(other.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).startsWith(order.toArray(UUID[]::new))
                        .hasSize(7);
            } finally {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an HNSW index dropped while Atlas runs, the model's next store a minute later inside an application's transaction"
            + " that Atlas joins: the store builds nothing there (CREATE INDEX CONCURRENTLY would abort that transaction) and the"
            + " transaction's next call answers; the model's next store outside one builds the index")
    void droppedIndexIsNotBuiltInAnApplicationsTransaction() throws Exception {
        ApplicationTransactions app = new ApplicationTransactions(database, true);
        try (Atlas joined = configure(Atlas.builder().dataSource(app.dataSource())).migrate(false).build();
             Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            List<UUID> ids = stored(joined);
            List<SearchHit> before = joined.tenant("acme").search().similar(NEAR);
            String index = hnswSoon(s);
            assertThat(index).isNotNull();
            s.execute("DROP INDEX " + index);
            clock.set(clock.instant().plusSeconds(61));
            assertThat(joined.tenant("acme").search().similar(NEAR)).isEqualTo(before); // the look at the catalogue, outside one
            String outcome = app.in(Connection.TRANSACTION_READ_COMMITTED, () -> {
                joined.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(0), "m3", new float[] {1, 0, 0});
                try {
                    return joined.tenant("acme").search().similar(NEAR).size() + " hits";
                } catch (dev.atlas.StorageException e) {
                    return "StorageException " + e.sqlState();
                }
            });
            // Before: "StorageException 25P02" (current transaction is aborted): the store ran CREATE INDEX CONCURRENTLY in
            // the application's transaction (25001), logged it and returned normally.
            assertThat(outcome).isEqualTo("5 hits");
            assertThat(hnsw(s)).as("nothing built in the application's transaction").isNull();
            joined.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(0), "m3", new float[] {1, 0, 0});
            assertThat(hnsw(s)).isEqualTo(index);
        }
    }

    @Test
    @DisplayName("the vector extension dropped while Atlas runs, then its next vector call is a write: the upsertVector is stored"
            + " (the extension created again), and a search finds it")
    void droppedExtensionThenAWriteStoresIt() throws Exception {
        ((PgvectorTestDatabase) database).freshCopyNext();
        List<UUID> ids = stored(atlas);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            try {
                s.execute("DROP EXTENSION vector CASCADE");
                // Before: StorageException (type "public.vector" does not exist), nothing stored.
                atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(4), "m3", new float[] {1, 0, 0});
                // Tied with ids[0] (both [1, 0, 0], score 1.0): the smaller id first.
                List<UUID> order = List.of(ids.get(0), ids.get(4), ids.get(1), ids.get(2), ids.get(3));
                assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(order);
                assertThat(count(s, "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NOT NULL AND target_id = '" + ids.get(4) + "'"))
                        .isEqualTo(1);
            } finally {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            }
        }
    }

    @Test
    @DisplayName("an instance that searches exactly because its role may not create the extension notices one a DBA installs later,"
            + " at its first vector call a minute (by its clock) after it last asked: from then on it stores embeddings and builds"
            + " the model's index; hits are the same throughout")
    void extensionInstalledLaterIsUsedAfterTheNextCheck() throws Exception {
        try (Plain plain = Plain.create()) {
            plain.admin.execute("DROP EXTENSION vector");
            MutableClock time = new MutableClock(java.time.Instant.parse("2026-03-01T10:15:30Z"));
            try (Atlas app = plain.atlas(b -> b.clock(time))) {
                List<UUID> ids = stored(app);
                List<SearchHit> before = app.tenant("acme").search().similar(NEAR);
                assertThat(before).extracting(SearchHit::id).containsExactlyElementsOf(ids);
                assertThat(count(plain.admin, "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = 'atlas_vectors'::regclass"
                        + " AND attname = 'embedding' AND NOT attisdropped")).as("exact: no embedding column").isEqualTo(0);
                plain.admin.execute("CREATE EXTENSION vector"); // the DBA
                time.set(time.instant().plusSeconds(59));
                app.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(0), "m3", new float[] {1, 0, 0});
                assertThat(count(plain.admin, "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = 'atlas_vectors'::regclass"
                        + " AND attname = 'embedding' AND NOT attisdropped")).as("not asked again within a minute").isEqualTo(0);
                time.set(time.instant().plusSeconds(2));
                app.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(0), "m3", new float[] {1, 0, 0});
                // Before: never noticed; the instance searched exactly and stored no embedding until restarted.
                assertThat(count(plain.admin, "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NOT NULL AND target_id = '"
                        + ids.get(0) + "'")).as("the rewritten vector's embedding").isEqualTo(1);
                assertThat(hnswSoon(plain.admin)).as("the model's index").isNotNull();
                assertThat(app.tenant("acme").search().similar(NEAR)).isEqualTo(before);
            }
        }
    }

    @Test
    @DisplayName("an instance searching exactly (no USAGE on the extension's schema) that started before the embedding column existed"
            + " clears the embedding of a vector it rewrites once it has seen the column, a minute after it last asked: a pgvector"
            + " instance's search finds the vector at its new place")
    void exactInstanceSeesAColumnAddedAfterItStarted() throws Exception {
        try (Plain plain = Plain.create("vec")) {
            MutableClock time = new MutableClock(java.time.Instant.parse("2026-03-01T10:15:30Z"));
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) {
                owner.tenant("acme").memories().list(dev.atlas.memory.MemoryQuery.forOwner(Owner.user("42"))); // migrated by the owner
                plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
                try (Atlas exact = plain.atlas(b -> b.clock(time))) {
                    Memory first = exact.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "first"));
                    // Its first vector call: no USAGE on schema vec, so exact search; no embedding column yet.
                    exact.tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {0, 0, 1});
                    // 19 rows near the query and one opposite it, stored by a pgvector instance (which adds the column): more
                    // than the 17 rows a k = 1 search asks the index for, so the index's ranking decides which rows are scored.
                    for (int i = 1; i < 20; i++) {
                        Memory m = owner.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "near " + i));
                        owner.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 0.01f * i, 0});
                    }
                    Memory moved = owner.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "moved"));
                    owner.tenant("acme").search().upsertVector(SearchTarget.MEMORY, moved.id(), "m3", new float[] {-1, 0, 0});
                    time.set(time.instant().plusSeconds(61));
                    exact.tenant("acme").search().upsertVector(SearchTarget.MEMORY, moved.id(), "m3", new float[] {1, 0, 0});
                }
                List<SearchHit> hits = owner.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3",
                        new float[] {1, 0, 0}).k(1));
                // Before: "near 1" (0.99995): the old embedding [-1, 0, 0] kept "moved" out of the index's nearest rows.
                assertThat(hits).extracting(SearchHit::score).containsExactly(1.0);
            }
        }
    }

    private static long count(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    /**
     * The model's HNSW index once a build has begun: the back-fill thread the new choice starts builds it too, and the store
     * that finds it building returns without waiting (its key is taken), so it may begin a moment after that store returned.
     */
    private static String hnswSoon(Statement s) throws Exception {
        for (int i = 0; i < 600; i++) {
            String name = hnsw(s);
            if (name != null) {
                return name;
            }
            Thread.sleep(100);
        }
        return null;
    }

    private static String hnsw(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT relname FROM pg_class WHERE relkind = 'i' AND relname LIKE 'atlas\\_vectors\\_hnsw\\_%'")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
