package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.StorageException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What an Atlas instance decides about pgvector at its first vector call (extension, schema, indexes) holds for its
 * life: a change a DBA makes afterwards is seen by the next instance to start (docs/memory-and-search.md). Skipped
 * without {@code ATLAS_PGVECTOR_URL}.
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
    @DisplayName("an HNSW index dropped while Atlas runs: its searches return the same hits (by a scan), and an instance started later builds it again at its first store of the model")
    void droppedIndexIsBuiltAgainByTheNextInstance() throws Exception {
        List<UUID> ids = stored(atlas);
        List<UUID> before = atlas.tenant("acme").search().similar(NEAR).stream().map(SearchHit::id).toList();
        assertThat(before).containsExactlyElementsOf(ids);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            String index = hnsw(s);
            assertThat(index).isNotNull();
            s.execute("DROP INDEX " + index);
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(before);
            // The running instance built it once: it does not ask again.
            Memory more = atlas.tenant("acme").memories().create(NewMemory.fact(Owner.user("42"), "more"));
            atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {0, 0, 1});
            assertThat(hnsw(s)).isNull();
            List<UUID> after = new ArrayList<>(before);
            after.add(more.id()); // orthogonal to the query: last
            assertThat(atlas.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(after);
            try (Atlas next = Atlas.builder().dataSource(database.dataSource()).build()) {
                assertThat(next.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(after);
                assertThat(hnsw(s)).as("a search builds no index").isNull();
                next.tenant("acme").search().upsertVector(SearchTarget.MEMORY, more.id(), "m3", new float[] {0, 1, 1});
                assertThat(hnsw(s)).isEqualTo(index);
            }
        }
    }

    @Test
    @DisplayName("the vector extension dropped while Atlas runs: the instance's vector calls fail with StorageException; an instance started later creates it again (the server offers it) and finds the same hits")
    void droppedExtensionFailsTheRunningInstanceUntilRestarted() throws Exception {
        ((PgvectorTestDatabase) database).freshCopyNext();
        List<UUID> ids = stored(atlas);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            try {
                s.execute("DROP EXTENSION vector CASCADE");
                assertThatThrownBy(() -> atlas.tenant("acme").search().similar(NEAR)).isInstanceOf(StorageException.class);
                assertThatThrownBy(() -> atlas.tenant("acme").search().upsertVector(SearchTarget.MEMORY, ids.get(0), "m3",
                        new float[] {1, 0, 0})).isInstanceOf(StorageException.class);
                try (Atlas next = Atlas.builder().dataSource(database.dataSource()).build()) {
                    assertThat(next.tenant("acme").search().similar(NEAR)).extracting(SearchHit::id).containsExactlyElementsOf(ids);
                    try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM pg_extension WHERE extname = 'vector'")) {
                        assertThat(rs.next() && rs.getInt(1) == 1).as("the extension created again").isTrue();
                    }
                }
            } finally {
                s.execute("CREATE EXTENSION IF NOT EXISTS vector");
            }
        }
    }

    private static String hnsw(Statement s) throws Exception {
        try (ResultSet rs = s.executeQuery("SELECT relname FROM pg_class WHERE relkind = 'i' AND relname LIKE 'atlas\\_vectors\\_hnsw\\_%'")) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
