package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kit hands an emptied database to the next test of the JVM (ReusedDatabases): what one test
 * set for its database and no row holds (ALTER DATABASE ... SET, as PgvectorSearchTest does for
 * hnsw.max_scan_tuples, enable_seqscan, enable_sort) must not reach the next test, whose plans and
 * index scans it would change.
 */
class ReusedDatabasesTest {

    @Test
    @DisplayName("a database setting one test made (ALTER DATABASE ... SET) is not in the database the next test opens, reused or new;"
            + " a database a test left as it found it is reused")
    void databaseSettingsDoNotReachTheNextTest() throws SQLException {
        PostgresTestDatabase database = new PostgresTestDatabase();
        // A test that leaves its database as it found it: the next open gets that database back, emptied.
        String clean = open(database);
        List<String> settings = settings(database.dataSource());
        database.cleanup();
        assertThat(open(database)).as("a database left as the template's is reused").isEqualTo(clean);
        assertThat(settings(database.dataSource())).isEqualTo(settings);
        // A test that changes only a database setting, nothing else: the digest of the schema must tell it apart.
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_seqscan = off");
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET hnsw.max_scan_tuples = 2000");
        }
        database.cleanup();
        open(database);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('enable_seqscan'), current_setting('hnsw.max_scan_tuples', true)")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("on");
            assertThat(rs.getString(2)).isNull();
        }
        assertThat(settings(database.dataSource())).isEqualTo(settings);
        database.cleanup();
    }

    @Test
    @DisplayName("on pgvector, a database a test left with what Atlas's first vector call adds (the embedding column, the index of"
            + " vectors without one, a model's HNSW index) and thousands of rows is reused as a fresh copy: none of those, tables"
            + " of no pages and no row estimate; the next first vector call adds them again (skipped without ATLAS_PGVECTOR_URL)")
    void pgvectorDatabaseIsReusedAsAFreshCopy() throws SQLException {
        PgvectorTestDatabase database = new PgvectorTestDatabase();
        String used;
        try (Atlas atlas = database.open(); Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            used = c.getCatalog();
            firstVector(atlas);
            assertThat(pgvectorSchema(s)).containsExactlyInAnyOrder("column embedding", "index atlas_vectors_unembedded",
                    "index atlas_vectors_hnsw");
            s.executeUpdate("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance,"
                    + " revision, created_at, updated_at) SELECT 'acme', md5(g::text)::uuid, 'user', 'alice', 'fact', 'bulk ' || g,"
                    + " '{}'::jsonb, 0.5, 1, now(), now() FROM generate_series(1, 3000) g");
            s.execute("ANALYZE atlas_memories");
        }
        database.cleanup();
        try (Atlas atlas = database.open(); Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            assertThat(c.getCatalog()).as("the used database, emptied").isEqualTo(used);
            assertThat(pgvectorSchema(s)).isEmpty();
            try (ResultSet rs = s.executeQuery("SELECT relpages, reltuples FROM pg_class WHERE oid = 'atlas_memories'::regclass")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
                assertThat(rs.getDouble(2)).isEqualTo(-1.0);
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM atlas_memories")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
            firstVector(atlas);
            assertThat(pgvectorSchema(s)).containsExactlyInAnyOrder("column embedding", "index atlas_vectors_unembedded",
                    "index atlas_vectors_hnsw");
        } finally {
            database.cleanup();
        }
    }

    private static void firstVector(Atlas atlas) {
        java.util.UUID id = atlas.tenant("acme").memories().create(dev.atlas.memory.NewMemory.fact(dev.atlas.Owner.user("alice"), "m")).id();
        atlas.tenant("acme").search().upsertVector(dev.atlas.search.SearchTarget.MEMORY, id, "reuse-model", new float[] {1, 0, 0});
    }

    /** The embedding column and the pgvector indexes of atlas_vectors (an HNSW index by its prefix). */
    private static List<String> pgvectorSchema(Statement s) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT 'column ' || attname FROM pg_attribute WHERE attrelid = 'atlas_vectors'::regclass"
                + " AND attname = 'embedding' AND NOT attisdropped UNION ALL SELECT 'index ' || regexp_replace(c.relname, '_hnsw_.*', '_hnsw')"
                + " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'atlas_vectors'::regclass"
                + " AND (c.relname = 'atlas_vectors_unembedded' OR c.relname LIKE 'atlas\\_vectors\\_hnsw\\_%')")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static String open(TestDatabase database) throws SQLException {
        try (Atlas ignored = database.open(); Connection c = database.dataSource().getConnection()) {
            return c.getCatalog();
        }
    }

    /** The database's own settings (pg_db_role_setting), as new sessions get them. */
    private static List<String> settings(DataSource source) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = source.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT unnest(setconfig) AS x FROM pg_db_role_setting"
                     + " WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY x")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
