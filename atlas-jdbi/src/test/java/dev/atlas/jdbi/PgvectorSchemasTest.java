package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
import dev.atlas.jdbi.kit.StatementRecorder;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two Atlas installations on one pgvector database, in two schemas (the URL's {@code currentSchema}) with the same
 * table prefix: each has its own vectors table, so each needs its own indexes on it; skipped without
 * {@code ATLAS_PGVECTOR_URL}.
 */
class PgvectorSchemasTest extends AtlasContract {

    PgvectorSchemasTest() {
        super(new PgvectorTestDatabase());
    }

    @Test
    @DisplayName("an installation in another schema with the same table prefix builds its own pgvector indexes, not taking the other schema's for its own")
    void eachSchemaGetsItsOwnIndexes() throws Exception {
        Memory first = atlas.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
        atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, first.id(), "m3", new float[] {1, 2, 3});
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app2");
            // The extension's type lives in public, where the database has it; the tables go to the first schema.
            PGSimpleDataSource kits = (PGSimpleDataSource) database.dataSource();
            PGSimpleDataSource app2 = new PGSimpleDataSource();
            app2.setUrl(kits.getUrl());
            app2.setUser(kits.getUser());
            app2.setPassword(kits.getPassword());
            app2.setCurrentSchema("app2,public");
            try (Atlas other = Atlas.builder().dataSource(app2).build()) {
                Memory second = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
                other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, second.id(), "m3", new float[] {3, 2, 1});
                assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {3, 2, 1})))
                        .extracting(SearchHit::id).containsExactly(second.id());
            }
            TreeSet<String> inPublic = indexes(c, "public");
            assertThat(inPublic).contains("atlas_vectors_unembedded").anyMatch(n -> n.startsWith("atlas_vectors_hnsw_"));
            assertThat(indexes(c, "app2")).as("the pgvector indexes of app2.atlas_vectors").isEqualTo(inPublic);
        }
    }

    @Test
    @DisplayName("when pgvector is installed but unusable from the installation's schema, the first vector use tries the ALTER once and warns with the server's reason; searches are exact and correct")
    void unusablePgvectorIsWarnedOnceNotRetried() throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app3");
        }
        // Only app3 on the search path: the extension's type vector, in public, is not visible there.
        PGSimpleDataSource kits = (PGSimpleDataSource) database.dataSource();
        PGSimpleDataSource app3 = new PGSimpleDataSource();
        app3.setUrl(kits.getUrl());
        app3.setUser(kits.getUser());
        app3.setPassword(kits.getPassword());
        app3.setCurrentSchema("app3");
        try (Atlas other = Atlas.builder().dataSource(app3).build(); LogCapture logs = LogCapture.start()) {
            StatementRecorder recorder = StatementRecorder.attach(other);
            Memory m = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
            assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})))
                    .extracting(SearchHit::id).containsExactly(m.id());
            // Not a deadlock or a lock timeout: asking again cannot help, and each try is an ERROR in the server's log.
            assertThat(recorder.recorded()).filteredOn(r -> r.sql().startsWith("ALTER TABLE")).hasSize(1);
            assertThat(logs.text()).containsPattern("WARN dev\\.atlas\\.jdbi\\.internal\\.PgVectorIndex - pgvector could not be"
                    + " enabled \\(.*type \"vector\" does not exist");
        }
    }

    /** The valid indexes of {@code schema}.atlas_vectors that Atlas adds at run time (not those of the migrations). */
    private static TreeSet<String> indexes(Connection c, String schema) throws SQLException {
        TreeSet<String> names = new TreeSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT x.relname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid"
                + " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
                + " WHERE n.nspname = ? AND t.relname = 'atlas_vectors' AND i.indisvalid"
                + " AND (x.relname = 'atlas_vectors_unembedded' OR x.relname LIKE 'atlas\\_vectors\\_hnsw\\_%')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }
}
