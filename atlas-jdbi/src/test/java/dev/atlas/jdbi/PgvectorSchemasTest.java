package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;
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
    @DisplayName("a vector extension a DBA installed is used even when pg_available_extensions does not list it (its control file gone from the server, or the view shadowed for the role)")
    void installedExtensionIsUsedWhateverAvailableSays() throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app5");
            // The role's view of the server's available extensions lists none; pg_extension has vector.
            s.execute("CREATE VIEW app5.pg_available_extensions AS SELECT * FROM pg_catalog.pg_available_extensions WHERE false");
        }
        try (Atlas other = Atlas.builder().dataSource(dataSource("app5,pg_catalog,public")).build()) {
            Memory m = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
            assertThat(embedded(m, "app5")).as("the vector's embedding: pgvector chosen").isEqualTo("true");
            assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})))
                    .extracting(SearchHit::id).containsExactly(m.id());
        }
    }

    @Test
    @DisplayName("an installation whose search path lacks the vector extension's schema uses pgvector all the same: Atlas names the extension's type, operator and operator class by their schema")
    void extensionOutsideTheSearchPathIsUsed() throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app3");
        }
        // Only app3 on the search path: the extension's type vector, in public, is not visible there.
        try (Atlas other = Atlas.builder().dataSource(dataSource("app3")).build(); LogCapture logs = LogCapture.start()) {
            Memory m = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
            Memory n = other.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
            other.tenant("acme").search().upsertVector(SearchTarget.MEMORY, n.id(), "m3", new float[] {3, 2, 1});
            assertThat(other.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})))
                    .extracting(SearchHit::id).containsExactly(m.id(), n.id());
            assertThat(embedded(m, "app3")).as("the vector's embedding: pgvector chosen").isEqualTo("true");
            try (Connection c = database.dataSource().getConnection()) {
                assertThat(indexes(c, "app3")).contains("atlas_vectors_unembedded").anyMatch(x -> x.startsWith("atlas_vectors_hnsw_"));
            }
            assertThat(logs.text()).doesNotContain("pgvector could not be enabled");
        }
    }

    @Test
    @DisplayName("an instance whose search path lacks the extension's schema, on a database where another instance added the embedding column, stores and searches vectors: before, every upsertVector failed with a StorageException (type \"vector\" does not exist)")
    void instanceWithoutTheExtensionOnItsPathStoresVectors() throws Exception {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app4");
        }
        Memory m;
        try (Atlas first = Atlas.builder().dataSource(dataSource("app4,public")).build()) {
            m = first.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "one"));
            first.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
        }
        try (Atlas second = Atlas.builder().dataSource(dataSource("app4")).build()) {
            Memory n = second.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "two"));
            second.tenant("acme").search().upsertVector(SearchTarget.MEMORY, n.id(), "m3", new float[] {3, 2, 1});
            assertThat(second.tenant("acme").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {3, 2, 1})))
                    .extracting(SearchHit::id).containsExactly(n.id(), m.id());
            assertThat(embedded(n, "app4")).as("the second instance's vector has its embedding").isEqualTo("true");
        }
    }

    private PGSimpleDataSource dataSource(String searchPath) {
        PGSimpleDataSource kits = (PGSimpleDataSource) database.dataSource();
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(kits.getUrl());
        ds.setUser(kits.getUser());
        ds.setPassword(kits.getPassword());
        ds.setCurrentSchema(searchPath);
        return ds;
    }

    /** Whether the stored vector of {@code m} in {@code schema}.atlas_vectors has an embedding ("missing" without the column or row). */
    private String embedded(Memory m, String schema) throws SQLException {
        try (Connection c = database.dataSource().getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(?)"
                    + " AND attname = 'embedding' AND NOT attisdropped")) {
                ps.setString(1, schema + ".atlas_vectors");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == 0) {
                        return "missing";
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT embedding IS NOT NULL FROM " + schema + ".atlas_vectors WHERE target_id = ?")) {
                ps.setObject(1, m.id());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? String.valueOf(rs.getBoolean(1)) : "missing";
                }
            }
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
