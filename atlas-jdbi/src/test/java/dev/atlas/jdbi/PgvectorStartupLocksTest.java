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
}
