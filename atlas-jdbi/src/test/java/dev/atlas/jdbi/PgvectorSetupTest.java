package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.ApplicationTransactions;
import dev.atlas.jdbi.kit.AtlasContract;
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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How an Atlas instance sets pgvector up (the embedding column, the index of vectors without one) when its first vector
 * call comes where that setup cannot run: inside an application's transaction that Atlas joins. Skipped without
 * {@code ATLAS_PGVECTOR_URL}.
 */
class PgvectorSetupTest extends AtlasContract {

    PgvectorSetupTest() {
        super(new PgvectorTestDatabase());
    }

    private static final SemanticQuery NEAR = SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 0, 0});

    @Test
    @DisplayName("an instance's first vector calls inside an application's transaction that Atlas joins run no DDL there: the"
            + " transaction holds no ACCESS EXCLUSIVE lock on the vectors table, its later statements run, the store and the search"
            + " answer; the set-up runs outside it, and the next store outside one builds the model's HNSW index")
    void firstVectorCallInAnApplicationsTransactionRunsNoSetupThere() throws Exception {
        ApplicationTransactions app = new ApplicationTransactions(database, true).boundToItsThread();
        try (Atlas joined = configure(Atlas.builder().dataSource(app.dataSource())).migrate(false).build();
             Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            Memory m = joined.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "m"));
            String outcome = app.in(Connection.TRANSACTION_READ_COMMITTED, () -> {
                try {
                    joined.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 0, 0});
                    List<SearchHit> hits = joined.tenant("acme").search().similar(NEAR);
                    // The application's own session: the set-up thread's ALTER TABLE, queued behind this transaction, shows in
                    // pg_locks too (not granted) once that thread gets there, which it may before this count or after.
                    long locks;
                    try (Statement own = app.dataSource().getConnection().createStatement();
                         ResultSet rs = own.executeQuery("SELECT COUNT(*) FROM pg_locks WHERE relation = 'atlas_vectors'::regclass"
                                 + " AND mode = 'AccessExclusiveLock' AND pid = pg_backend_pid()")) {
                        rs.next();
                        locks = rs.getLong(1);
                    }
                    joined.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "after"));
                    return hits.size() + " hits, " + hits.get(0).score() + ", exclusive locks " + locks;
                } catch (dev.atlas.StorageException e) {
                    return "StorageException " + e.sqlState() + ": " + e.getMessage();
                }
            });
            // Before: "StorageException 25P02": the set-up ran ALTER TABLE ... ADD COLUMN in the application's transaction,
            // then CREATE INDEX CONCURRENTLY, which failed there (25001) and aborted it.
            assertThat(outcome).isEqualTo("1 hits, 1.0, exclusive locks 0");
            joined.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 0, 0});
            assertThat(soon(s, "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indisvalid"
                    + " AND x.relname LIKE 'atlas\\_vectors\\_hnsw\\_%'")).as("the model's HNSW index").isEqualTo(1);
            assertThat(count(s, "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE i.indisvalid"
                    + " AND x.relname = 'atlas_vectors_unembedded'")).as("the index of vectors without an embedding").isEqualTo(1);
            assertThat(count(s, "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NOT NULL")).isEqualTo(1);
            assertThat(joined.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactly(m.id());
        }
    }

    @Test
    @DisplayName("vectors an instance searching exactly stores beside a running pgvector instance (bytes only) get their embeddings"
            + " from the pgvector instance at its first vector call a minute (by its clock) after it last looked, without a restart;"
            + " its answers are exact search's throughout")
    void vectorsStoredByAnExactInstanceAreEmbeddedByARunningPgvectorInstance() throws Exception {
        Memory first = memories().create(NewMemory.fact(Owner.user("42"), "first"));
        atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {0, 1, 0});
        atlas.tenant("acme").search().similar(NEAR); // the instance searches with pgvector from here on
        Atlas exact;
        System.setProperty("atlas.vectors.exact", "true");
        try {
            exact = reopen(b -> b);
            exact.tenant("acme").search().similar(NEAR); // its choice: exact, beside the embedding column
        } finally {
            System.clearProperty("atlas.vectors.exact");
        }
        List<java.util.UUID> stored = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Memory m = exact.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "exact " + i));
            exact.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, i, 0});
            stored.add(m.id());
        }
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            String unembedded = "SELECT COUNT(*) FROM atlas_vectors WHERE embedding IS NULL";
            assertThat(count(s, unembedded)).as("stored by the exact instance").isEqualTo(3);
            List<java.util.UUID> order = List.of(stored.get(0), stored.get(1), stored.get(2), first.id());
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(order);
            clock.set(clock.instant().plusSeconds(61));
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(order);
            backfillDone();
            // Before: 3, until the pgvector instance restarted; each of its searches scored them exactly meanwhile.
            assertThat(count(s, unembedded)).as("left without an embedding").isZero();
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(order);
        }
    }

    @Test
    @DisplayName("a model's HNSW index that this instance's role may not build (it does not own the vectors table, whose embedding"
            + " column the owner added) is tried once and warned once with the server's reason, not at every store of the model;"
            + " the model's vectors are stored and searched")
    void indexTheRoleMayNotBuildIsWarnedOnceNotTriedAtEveryStore() throws Exception {
        try (Plain plain = Plain.create()) {
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) { // migrates, adds the column and its indexes
                Memory m = owner.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "owner's"));
                owner.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 0, 0});
            }
            plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
            try (Atlas other = plain.atlas(); dev.atlas.jdbi.kit.LogCapture logs = dev.atlas.jdbi.kit.LogCapture.start()) {
                dev.atlas.jdbi.kit.StatementRecorder recorder = dev.atlas.jdbi.kit.StatementRecorder.attach(other);
                List<java.util.UUID> ids = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    Memory m = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "m" + i));
                    other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m4", new float[] {1, i, 0, 0});
                    ids.add(m.id());
                }
                assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m4", new float[] {1, 0, 0, 0})))
                        .extracting(SearchHit::id).containsExactlyElementsOf(ids);
                // Before: 3 and 3, one failed CREATE INDEX (an ERROR in the server's log) and one WARN at each store.
                assertThat(recorder.recorded()).filteredOn(r -> r.sql().startsWith("CREATE INDEX")).hasSize(1);
                assertThat(logs.text().split("could not build the pgvector index", -1)).hasSize(2);
                assertThat(logs.text()).contains("must be owner of table atlas_vectors");
            }
        }
    }

    @Test
    @DisplayName("an instance that cannot use pgvector (no USAGE on the extension's schema) is warned once for that reason, also when"
            + " the catalogue changes under it (another instance adds the embedding column) and it chooses again, failing alike")
    void unusablePgvectorIsWarnedOncePerReasonAcrossCatalogueChanges() throws Exception {
        try (Plain plain = Plain.create("vec")) {
            dev.atlas.jdbi.kit.MutableClock time = new dev.atlas.jdbi.kit.MutableClock(java.time.Instant.parse("2026-03-01T10:15:30Z"));
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) {
                owner.tenant("acme").memories().list(dev.atlas.memory.MemoryQuery.forOwner(Owner.user("42"))); // migrated by the owner
                plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
                try (Atlas exact = plain.atlas(b -> b.clock(time)); dev.atlas.jdbi.kit.LogCapture logs = dev.atlas.jdbi.kit.LogCapture.start()) {
                    Memory first = exact.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "first"));
                    exact.tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 0, 0});
                    Memory m = owner.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "owner's"));
                    owner.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {0, 1, 0}); // adds the column
                    time.set(time.instant().plusSeconds(61));
                    assertThat(exact.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactly(first.id(), m.id());
                    assertThat(logs.text()).contains("permission denied for schema vec");
                    // Before: 2, the same WARN again after the column appeared.
                    assertThat(logs.text().split("pgvector could not be enabled", -1)).hasSize(2);
                }
            }
        }
    }

    private dev.atlas.memory.MemoryStore memories() {
        return atlas.tenant("acme").memories();
    }

    /** Waits for the back-fill threads running now. */
    private static void backfillDone() throws InterruptedException {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("atlas-pgvector-backfill")) {
                t.join();
            }
        }
    }

    private static long count(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }

    /** {@code sql}'s count once it is not 0 (a background build), or 0 after a minute. */
    private static long soon(Statement s, String sql) throws Exception {
        for (int i = 0; i < 600; i++) {
            long n = count(s, sql);
            if (n != 0) {
                return n;
            }
            Thread.sleep(100);
        }
        return 0;
    }
}
