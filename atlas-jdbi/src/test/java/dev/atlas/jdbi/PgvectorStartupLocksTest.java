package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchTarget;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an instance's first use of pgvector does to the vectors table while other instances work on it; skipped without
 * {@code ATLAS_PGVECTOR_URL}.
 */
class PgvectorStartupLocksTest extends AtlasContract {

    PgvectorStartupLocksTest() {
        super(new PgvectorTestDatabase());
    }

    @Test
    @DisplayName("an instance's first vector write takes no lock on the vectors table once the embedding column exists: it never queues behind a reader, nor deadlocks with another instance's index build")
    void firstVectorWriteOfAnotherInstanceTakesNoTableLock() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Memory first = acme.memories().create(NewMemory.fact(Owner.user("42"), "one"));
        Memory second = acme.memories().create(NewMemory.fact(Owner.user("42"), "two"));
        acme.search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 2, 3}); // the column and the index exist
        Atlas other = reopen(b -> b);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection reader = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            // A reader of the vectors (an application's report, a long search) holds ACCESS SHARE until it ends; so does a
            // CREATE INDEX CONCURRENTLY of another instance, which also waits for every older snapshot: an ALTER TABLE
            // queued behind it is such a snapshot, and the two deadlocked (40P01 in the server's log).
            reader.setAutoCommit(false);
            try (Statement s = reader.createStatement()) {
                s.executeQuery("SELECT count(*) FROM atlas_vectors").close();
            }
            Future<?> write = pool.submit(() ->
                    other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1}));
            PostgresLockWaits.await(probe, 1, write);
            boolean queued = !write.isDone();
            reader.commit();
            write.get(30, TimeUnit.SECONDS);
            assertThat(queued).as("the other instance's first vector write queued for a lock on the vectors table").isFalse();
            // And it chose pgvector: its vector has an embedding the index holds.
            try (PreparedStatement ps = probe.prepareStatement("SELECT embedding IS NOT NULL FROM atlas_vectors WHERE target_id = ?")) {
                ps.setObject(1, second.id());
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean(1)).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an index of vectors without an embedding left invalid by a failed build is built again by the next instance, not kept for good")
    void invalidUnembeddedIndexIsBuiltAgain() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Memory first = acme.memories().create(NewMemory.fact(Owner.user("42"), "one"));
        acme.search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 2, 3});
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // A build that fails half-way (here a division by zero on the stored row; in life a cancelled or killed
            // session, a deadlock) leaves an invalid index under the name, which IF NOT EXISTS then takes as built.
            s.execute("DROP INDEX atlas_vectors_unembedded");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> s.execute(
                    "CREATE INDEX CONCURRENTLY atlas_vectors_unembedded ON atlas_vectors ((1 / (dimension - 3)))")))
                    .isInstanceOf(java.sql.SQLException.class);
            assertThat(valid(s)).isEqualTo("false");

            Atlas other = reopen(b -> b);
            Memory second = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1});
            assertThat(valid(s)).isEqualTo("true");
            try (ResultSet rs = s.executeQuery("SELECT pg_get_indexdef('atlas_vectors_unembedded'::regclass)")) {
                rs.next();
                assertThat(rs.getString(1)).endsWith("(tenant_id, model, dimension) WHERE (embedding IS NULL)");
            }
        }
    }

    private static String valid(Statement s) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery("SELECT i.indisvalid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                + " WHERE x.relname = 'atlas_vectors_unembedded'")) {
            return rs.next() ? String.valueOf(rs.getBoolean(1)) : "missing";
        }
    }
}
