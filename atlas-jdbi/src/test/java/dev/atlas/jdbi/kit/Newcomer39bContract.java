package dev.atlas.jdbi.kit;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/, attacking semantic search and memories with another tenant's rows and
 * ids, ties and hostile vectors; run on SQLite, PostgreSQL and PostgreSQL with pgvector (the HNSW path).
 */
public abstract class Newcomer39bContract extends AtlasContract {

    protected Newcomer39bContract(TestDatabase database) {
        super(database);
    }

    private static List<UUID> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    @DisplayName("another tenant's vectors of the model, nearer to the query and tied, change neither the hits nor the scores of a tenant's"
            + " semantic search; equal scores come back by id, whatever order the vectors were stored in")
    void otherTenantsVectorsChangeNothingAndTiesGoById() {
        Tenant acme = atlas.tenant("acme");
        Tenant other = atlas.tenant("other");
        Owner ada = Owner.user("42");
        List<Memory> tied = new ArrayList<>();
        List<Memory> near = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            tied.add(acme.memories().create(NewMemory.fact(ada, "tied " + i)));
            near.add(acme.memories().create(NewMemory.fact(ada, "near " + i)));
        }
        // Stored newest first: ties must not come back in storage order.
        for (int i = 7; i >= 0; i--) {
            acme.search().upsertVector(SearchTarget.MEMORY, tied.get(i).id(), "m4", new float[] {2, 0, 0, 0});
            acme.search().upsertVector(SearchTarget.MEMORY, near.get(i).id(), "m4", new float[] {1, 1, 0, i});
        }
        SemanticQuery query = SemanticQuery.of(SearchTarget.MEMORY, "m4", new float[] {1, 0, 0, 0}).k(10);
        List<SearchHit> alone = acme.search().similar(query);
        List<UUID> tiedByText = tied.stream().map(Memory::id).sorted(Comparator.comparing(UUID::toString)).toList();
        assertThat(ids(alone)).hasSize(10).startsWith(tiedByText.toArray(UUID[]::new));
        assertThat(alone.subList(0, 8)).allSatisfy(h -> assertThat(h.score()).isEqualTo(1.0));
        assertThat(ids(alone).subList(8, 10)).containsExactly(near.get(0).id(), near.get(1).id());

        // 40 rows of another tenant, exactly the query's direction: the nearest rows of the shared index are all theirs.
        for (int i = 0; i < 40; i++) {
            Memory m = other.memories().create(NewMemory.fact(ada, "theirs " + i));
            other.search().upsertVector(SearchTarget.MEMORY, m.id(), "m4", new float[] {1, 0, 0, 0});
        }
        assertThat(acme.search().similar(query)).as("hits, order and scores beside the other tenant's rows").isEqualTo(alone);
        assertThat(other.search().similar(query)).hasSize(10).allSatisfy(h -> assertThat(h.score()).isEqualTo(1.0));
    }

    @Test
    @DisplayName("a query vector with NaN, an infinity, only zeros, or another dimension than the tenant's model is an InvalidInputException"
            + " naming vector; a model only another tenant stores finds nothing here, whatever its dimension")
    void hostileQueryVectors() {
        Tenant acme = atlas.tenant("acme");
        Memory m = acme.memories().create(NewMemory.fact(Owner.user("42"), "one"));
        acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
        for (float[] bad : List.of(new float[] {1, Float.NaN, 3}, new float[] {Float.POSITIVE_INFINITY, 0, 0}, new float[] {0, 0, 0},
                new float[] {1, 2}, new float[] {1, 2, 3, 4})) {
            Throwable t = catchThrowable(() -> acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", bad)));
            assertThat(t).as(java.util.Arrays.toString(bad)).isInstanceOf(InvalidInputException.class);
            assertThat(((InvalidInputException) t).field()).isEqualTo("vector");
        }
        Memory theirs = atlas.tenant("other").memories().create(NewMemory.fact(Owner.user("42"), "theirs"));
        atlas.tenant("other").search().upsertVector(SearchTarget.MEMORY, theirs.id(), "m5", new float[] {1, 2, 3, 4, 5});
        assertThat(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m5", new float[] {1, 2}))).isEmpty();
        assertThat(acme.search().dimension("m5")).isZero();
        // And the model is this tenant's to define at another dimension.
        acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m5", new float[] {1, 2});
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m5", new float[] {1, 2})))).containsExactly(m.id());
        assertThat(ids(atlas.tenant("other").search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m5", new float[] {1, 2, 3, 4, 5}))))
                .containsExactly(theirs.id());
    }

    @Test
    @DisplayName("a memory's clientKey is per tenant: the same key in another tenant stores its own memory, and a conflict names clientKey"
            + " without the other tenant's content")
    void clientKeysArePerTenant() {
        Owner ada = Owner.user("42");
        Memory mine = atlas.tenant("acme").memories().create(NewMemory.fact(ada, "Lives in Lyon").clientKey("k-1"));
        Memory theirs = atlas.tenant("other").memories().create(NewMemory.fact(ada, "secret of other").clientKey("k-1"));
        assertThat(theirs.id()).isNotEqualTo(mine.id());
        assertThat(atlas.tenant("acme").memories().create(NewMemory.fact(ada, "Lives in Lyon").clientKey("k-1")).id()).isEqualTo(mine.id());
        Throwable t = catchThrowable(() -> atlas.tenant("acme").memories().create(NewMemory.fact(ada, "Lives in Paris").clientKey("k-1")));
        assertThat(t).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) t).field()).isEqualTo("clientKey");
        assertThat(t.getMessage()).doesNotContain("secret of other");
        assertThat(atlas.tenant("other").memories().require(theirs.id()).content()).isEqualTo("secret of other");
    }
}
