package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.jdbi.kit.StatementRecorder;
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
import java.sql.Statement;
import java.util.List;
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

    @Test
    @DisplayName("an HNSW index another instance is still building (invalid until it ends) is left to its builder: the next instance neither waits for the build nor drops and rebuilds it, and searches meanwhile")
    void indexInProgressIsLeftToItsBuilder() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Memory first = acme.memories().create(NewMemory.fact(Owner.user("42"), "one"));
        Memory second = acme.memories().create(NewMemory.fact(Owner.user("42"), "two"));
        acme.search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 2, 3});
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holder = database.dataSource().getConnection(); Connection builder = database.dataSource().getConnection();
             Connection probe = database.dataSource().getConnection(); Statement s = probe.createStatement()) {
            String name;
            String definition;
            try (ResultSet rs = s.executeQuery("SELECT relname, pg_get_indexdef(oid) FROM pg_class WHERE relname LIKE 'atlas\\_vectors\\_hnsw\\_%'")) {
                assertThat(rs.next()).isTrue();
                name = rs.getString(1);
                definition = rs.getString(2);
            }
            s.execute("DROP INDEX " + name);
            // Another instance's build, held in its wait for older writers: its index is in the catalogue, invalid, until
            // the holder's transaction ends. In life the HNSW build itself takes minutes on a large model.
            holder.setAutoCommit(false);
            try (Statement h = holder.createStatement()) {
                h.execute("LOCK TABLE atlas_vectors IN ROW EXCLUSIVE MODE");
            }
            Future<?> build = pool.submit(() -> {
                try (Statement b = builder.createStatement()) {
                    b.execute(definition.replaceFirst("^CREATE INDEX ", "CREATE INDEX CONCURRENTLY "));
                }
                return null;
            });
            PostgresLockWaits.await(probe, 1, build);
            assertThat(build.isDone()).as("the build waits for the holder").isFalse();
            long building = oid(s, name);
            assertThat(valid(s, name)).isEqualTo("false");

            Atlas other = reopen(b -> b);
            StatementRecorder recorder = StatementRecorder.attach(other);
            Future<?> write = pool.submit(() ->
                    other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1}));
            PostgresLockWaits.await(probe, 2, write);
            boolean queued = !write.isDone();
            holder.commit();
            build.get(30, TimeUnit.SECONDS);
            write.get(30, TimeUnit.SECONDS);
            assertThat(recorder.recorded()).as("statements on the index in progress").noneMatch(r -> r.sql().contains(name));
            assertThat(queued).as("the other instance's first vector write queued behind the build").isFalse();
            assertThat(oid(s, name)).as("the index the build made, kept").isEqualTo(building);
            assertThat(valid(s, name)).isEqualTo("true");
            assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {3, 2, 1})))
                    .extracting(SearchHit::id).containsExactly(second.id(), first.id());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an instance whose CREATE EXTENSION loses the race to another instance's (on a database that never had pgvector) uses pgvector all the same, not exact search for life")
    void extensionCreatedMeanwhileByAnotherInstanceIsUsed() throws Exception {
        String admin = System.getenv(PgvectorTestDatabase.ENV);
        String name = "atlas_pgv_ext_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        String url = admin.substring(0, admin.indexOf('/', "jdbc:postgresql://".length()) + 1) + name
                + (admin.indexOf('?') < 0 ? "" : admin.substring(admin.indexOf('?')));
        try (Connection c = java.sql.DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Atlas fresh = Atlas.builder().jdbcUrl(url).build(); Connection holder = java.sql.DriverManager.getConnection(url);
             Connection probe = java.sql.DriverManager.getConnection(url); Statement s = probe.createStatement()) {
            Memory m = fresh.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
            // Another instance starting at the same moment: its CREATE EXTENSION has run and not committed yet.
            holder.setAutoCommit(false);
            try (Statement h = holder.createStatement()) {
                h.execute("CREATE EXTENSION vector");
            }
            Future<?> write = pool.submit(() ->
                    fresh.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3}));
            PostgresLockWaits.await(probe, 1, write);
            holder.commit();
            write.get(30, TimeUnit.SECONDS);
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_attribute WHERE attrelid = 'atlas_vectors'::regclass"
                    + " AND attname = 'embedding' AND NOT attisdropped")) {
                rs.next();
                assertThat(rs.getInt(1)).as("the embedding column of an instance on pgvector").isEqualTo(1);
            }
            try (PreparedStatement ps = probe.prepareStatement("SELECT embedding IS NOT NULL FROM atlas_vectors WHERE target_id = ?")) {
                ps.setObject(1, m.id());
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getBoolean(1)).isTrue();
                }
            }
            assertThat(fresh.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})))
                    .extracting(SearchHit::id).containsExactly(m.id());
        } finally {
            pool.shutdownNow();
            try (Connection c = java.sql.DriverManager.getConnection(admin); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    @Test
    @DisplayName("a user without pg_read_all_stats rebuilds a failed index while another role builds an index of another table: the hidden build is told apart by its lock on the vectors table, not taken for this index")
    void hiddenBuildOfAnotherTableKeepsNoFailedIndex() throws Exception {
        try (Plain plain = Plain.create()) {
            plain.admin.execute("CREATE TABLE other_table (x int)");
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Connection holder = plain.adminConnection(); Connection builder = plain.adminConnection()) {
                Memory second;
                try (Atlas first = plain.atlas()) {
                    Memory one = first.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
                    second = first.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
                    first.tenant("acme").search().upsertVector(SearchTarget.MEMORY, one.id(), "m3", new float[] {1, 2, 3});
                }
                // A build that failed half-way left an invalid index under the name.
                plain.admin.execute("DROP INDEX atlas_vectors_unembedded");
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> plain.admin.execute(
                        "CREATE INDEX CONCURRENTLY atlas_vectors_unembedded ON atlas_vectors ((1 / (dimension - 3)))")))
                        .isInstanceOf(java.sql.SQLException.class);
                assertThat(valid(plain.admin)).isEqualTo("false");
                // The superuser's build of another table's index, held in its wait for older writers: the plain user sees a
                // row of pg_stat_progress_create_index in its database without the index or table it builds.
                holder.setAutoCommit(false);
                try (Statement h = holder.createStatement()) {
                    h.execute("LOCK TABLE other_table IN ROW EXCLUSIVE MODE");
                }
                Future<?> build = pool.submit(() -> {
                    try (Statement b = builder.createStatement()) {
                        b.execute("CREATE INDEX CONCURRENTLY other_table_x ON other_table (x)");
                    }
                    return null;
                });
                PostgresLockWaits.await(plain.admin.getConnection(), 1, build);
                assertThat(build.isDone()).as("the other build waits for the holder").isFalse();
                try (Atlas other = plain.atlas()) {
                    Future<?> write = pool.submit(() ->
                            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1}));
                    write.get(60, TimeUnit.SECONDS);
                    assertThat(valid(plain.admin)).as("the failed index, built again by the plain user's instance").isEqualTo("true");
                } finally {
                    holder.commit();
                    build.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    @DisplayName("a user without pg_read_all_stats leaves to its builder an index another role is building on the vectors table: neither waits for it nor drops it")
    void hiddenBuildOfThisTableIsLeftToItsBuilder() throws Exception {
        try (Plain plain = Plain.create()) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try (Connection holder = plain.adminConnection(); Connection builder = plain.adminConnection();
                 Connection probe = plain.adminConnection()) {
                Memory second;
                try (Atlas first = plain.atlas()) {
                    Memory one = first.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
                    second = first.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
                    first.tenant("acme").search().upsertVector(SearchTarget.MEMORY, one.id(), "m3", new float[] {1, 2, 3});
                }
                plain.admin.execute("DROP INDEX atlas_vectors_unembedded");
                holder.setAutoCommit(false);
                try (Statement h = holder.createStatement()) {
                    h.execute("LOCK TABLE atlas_vectors IN ROW EXCLUSIVE MODE");
                }
                Future<?> build = pool.submit(() -> {
                    try (Statement b = builder.createStatement()) {
                        b.execute("CREATE INDEX CONCURRENTLY atlas_vectors_unembedded ON atlas_vectors (tenant_id, model, dimension)"
                                + " WHERE embedding IS NULL");
                    }
                    return null;
                });
                PostgresLockWaits.await(probe, 1, build);
                assertThat(build.isDone()).as("the build waits for the holder").isFalse();
                long building = oid(plain.admin, "atlas_vectors_unembedded");
                try (Atlas other = plain.atlas()) {
                    Future<?> write = pool.submit(() ->
                            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1}));
                    PostgresLockWaits.await(probe, 2, write);
                    boolean queued = !write.isDone();
                    holder.commit();
                    build.get(30, TimeUnit.SECONDS);
                    write.get(30, TimeUnit.SECONDS);
                    assertThat(queued).as("the plain user's first vector write queued behind the other role's build").isFalse();
                    assertThat(oid(plain.admin, "atlas_vectors_unembedded")).as("the index the build made, kept").isEqualTo(building);
                    assertThat(valid(plain.admin)).isEqualTo("true");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    @DisplayName("when pgvector is installed but the embedding column cannot be added (the user does not own the vectors table), the first vector use tries the ALTER once and warns with the server's reason; vectors are stored and searched exactly")
    void unusablePgvectorIsWarnedOnceNotRetried() throws Exception {
        try (Plain plain = Plain.create()) {
            // The superuser migrates (and owns the tables); the plain user may read and write their rows only.
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) {
                owner.tenant("acme").memories().list(dev.atlas.memory.MemoryQuery.forOwner(Owner.user("42")));
            }
            plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
            plain.admin.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + plain.name);
            try (Atlas other = plain.atlas(); LogCapture logs = LogCapture.start()) {
                StatementRecorder recorder = StatementRecorder.attach(other);
                Memory m = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
                Memory n = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
                other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
                other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, n.id(), "m3", new float[] {3, 2, 1});
                assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})))
                        .extracting(SearchHit::id).containsExactly(m.id(), n.id());
                // Not a deadlock or a lock timeout: asking again cannot help, and each try is an ERROR in the server's log.
                assertThat(recorder.recorded()).filteredOn(r -> r.sql().startsWith("ALTER TABLE")).hasSize(1);
                assertThat(logs.text()).containsPattern("WARN dev\\.atlas\\.jdbi\\.internal\\.PgVectorIndex - pgvector could not be"
                        + " enabled \\(.*must be owner of table atlas_vectors\\); semantic search is exact");
            }
        }
    }

    @Test
    @DisplayName("a user without USAGE on the vector extension's schema, on a database where the embedding column exists, stores and searches"
            + " vectors exactly, warned once at start-up: before, every upsertVector failed with a StorageException (permission denied for schema)")
    void extensionSchemaWithoutUsageIsExactNotFailing() throws Exception {
        try (Plain plain = Plain.create("vec")) {
            Memory first;
            // The superuser migrates, owns the tables and adds the embedding column and indexes with its first vector.
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) {
                first = owner.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
                owner.tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 2, 3});
            }
            plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
            try (Atlas other = plain.atlas(); LogCapture logs = LogCapture.start()) {
                Memory second = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
                other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1});
                assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {3, 2, 1})))
                        .extracting(SearchHit::id).containsExactly(second.id(), first.id());
                assertThat(logs.text()).containsPattern("WARN dev\\.atlas\\.jdbi\\.internal\\.PgVectorIndex - pgvector could not be"
                        + " enabled \\(.*permission denied for schema vec\\); semantic search is exact");
            }
        }
    }

    @Test
    @DisplayName("a vector an exact-search instance (a user without USAGE on the extension's schema) rewrites in place is found by a"
            + " pgvector instance's search at its new place: the embedding the old vector left is not kept")
    void vectorRewrittenByAnExactInstanceIsNotRankedByItsOldEmbedding() throws Exception {
        try (Plain plain = Plain.create("vec")) {
            try (Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build()) {
                Tenant acme = owner.tenant("acme");
                // 19 rows near the query, and one opposite it: more than the 17 rows a k = 1 search asks the index for, so the
                // index's ranking decides which rows are scored.
                for (int i = 1; i < 20; i++) {
                    Memory m = acme.memories().create(NewMemory.fact(Owner.user("42"), "near " + i));
                    acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 0.01f * i, 0});
                }
                Memory moved = acme.memories().create(NewMemory.fact(Owner.user("42"), "moved"));
                acme.search().upsertVector(SearchTarget.MEMORY, moved.id(), "m3", new float[] {-1, 0, 0});
                plain.admin.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + plain.name);
                try (Atlas exact = plain.atlas()) {
                    exact.tenant("acme").search().upsertVector(SearchTarget.MEMORY, moved.id(), "m3", new float[] {1, 0, 0});
                }
                List<SearchHit> hits = acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 0, 0}).k(1));
                assertThat(hits).extracting(SearchHit::id).containsExactly(moved.id());
                assertThat(hits.get(0).score()).isEqualTo(1.0);
            }
        }
    }

    @Test
    @DisplayName("the vector extension in a schema whose name has upper case, a space, a double quote, a colon and a comment marker"
            + " serves pgvector: the name is quoted wherever Atlas's statements name the type, operator and operator class")
    void hostileExtensionSchemaNameIsQuoted() throws Exception {
        try (Plain plain = Plain.create("\"Vec \"\"x\"\" :t --y\"");
             Atlas owner = Atlas.builder().jdbcUrl(plain.url(null)).build(); LogCapture logs = LogCapture.start()) {
            Tenant acme = owner.tenant("acme");
            Memory m = acme.memories().create(NewMemory.fact(Owner.user("42"), "one"));
            Memory n = acme.memories().create(NewMemory.fact(Owner.user("42"), "two"));
            acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
            acme.search().upsertVector(SearchTarget.MEMORY, n.id(), "m3", new float[] {3, 2, 1});
            assertThat(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {3, 2, 1})))
                    .extracting(SearchHit::id).containsExactly(n.id(), m.id());
            try (ResultSet rs = plain.admin.executeQuery("SELECT format_type(a.atttypid, NULL), (SELECT count(*) FROM atlas_vectors"
                    + " WHERE embedding IS NOT NULL), (SELECT count(*) FROM pg_class WHERE relname LIKE 'atlas\\_vectors\\_hnsw\\_%')"
                    + " FROM pg_attribute a WHERE a.attrelid = 'atlas_vectors'::regclass AND a.attname = 'embedding'")) {
                assertThat(rs.next()).as("the embedding column").isTrue();
                assertThat(rs.getString(1)).isEqualTo("\"Vec \"\"x\"\" :t --y\".vector");
                assertThat(rs.getLong(2)).as("embedded vectors").isEqualTo(2);
                assertThat(rs.getLong(3)).as("HNSW indexes").isEqualTo(1);
            }
            assertThat(logs.text()).doesNotContain("pgvector could not be enabled");
        }
    }

    private static long oid(Statement s, String name) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery("SELECT oid FROM pg_class WHERE relname = '" + name + "'")) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private static String valid(Statement s, String name) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery("SELECT i.indisvalid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                + " WHERE x.relname = '" + name + "'")) {
            return rs.next() ? String.valueOf(rs.getBoolean(1)) : "missing";
        }
    }

    private static String valid(Statement s) throws java.sql.SQLException {
        return valid(s, "atlas_vectors_unembedded");
    }
}
