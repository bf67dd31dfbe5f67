package dev.atlas.jdbi.kit;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new user who read only README.md and docs/, across memories, search, the memory graph,
 * assistants, credentials and settings, with hostile input and another tenant's ids on every call.
 * Search tests live here (not in {@code SearchContract}) so they run on both dialects at little cost.
 */
public abstract class Newcomer38bContract extends AtlasContract {

    protected Newcomer38bContract(TestDatabase database) {
        super(database);
    }

    private static List<UUID> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    @DisplayName("a metadata value of any length metadata stores is a filter value that finds it, full-text and semantic, memories and messages")
    void longMetadataValuesAreFilterable() {
        Tenant acme = atlas.tenant("acme");
        Owner ada = Owner.user("42");
        // Just over the old filter limit (1,000), and the longest string one key can hold within the metadata limit
        // ({"k":"..."} is 8 characters around it).
        String over = "é".repeat(1001);
        String longest = "v".repeat(Limits.MAX_METADATA_LENGTH - 8);
        Memory a = acme.memories().create(NewMemory.fact(ada, "note one").metadata(Map.of("k", over)));
        Memory b = acme.memories().create(NewMemory.fact(ada, "note two").metadata(Map.of("k", longest)));
        acme.memories().create(NewMemory.fact(ada, "note three").metadata(Map.of("k", over + "x")));
        Memory foreign = atlas.tenant("other").memories().create(NewMemory.fact(ada, "note four").metadata(Map.of("k", over)));
        for (Memory m : List.of(a, b)) {
            acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
        }
        atlas.tenant("other").search().upsertVector(SearchTarget.MEMORY, foreign.id(), "m3", new float[] {1, 2, 3});

        assertThat(ids(acme.search().text(TextQuery.memories("note").filter(SearchFilter.none().metadata("k", over)))))
                .containsExactly(a.id());
        assertThat(ids(acme.search().text(TextQuery.memories("note").filter(SearchFilter.none().metadata("k", longest)))))
                .containsExactly(b.id());
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})
                .filter(SearchFilter.none().metadata("k", over))))).containsExactly(a.id());
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})
                .filter(SearchFilter.none().metadata("k", longest))))).containsExactly(b.id());
        // A page after a cursor of such a filter goes on with the same filter.
        TextQuery paged = TextQuery.memories("note").filter(SearchFilter.none().metadata("k", longest)).limit(1);
        assertThat(acme.search().text(paged, null).items()).extracting(SearchHit::id).containsExactly(b.id());

        Conversation c = acme.conversations().create(NewConversation.of(ada, "support"));
        Message keyed = acme.conversations().append(c.id(), NewMessage.user("refund please").metadata(Map.of("k", over)));
        acme.conversations().append(c.id(), NewMessage.user("refund now").metadata(Map.of("k", "short")));
        assertThat(ids(acme.search().text(TextQuery.messages("refund").filter(SearchFilter.none().metadata("k", over)))))
                .containsExactly(keyed.id());
    }

    @Test
    @DisplayName("another tenant's memory id is unknown to upsertVector and deleteVector, and a model's dimension is per tenant: nothing of either tenant changes")
    void vectorsOfAnotherTenantsIds() {
        Tenant acme = atlas.tenant("acme");
        Tenant other = atlas.tenant("other");
        Owner ada = Owner.user("42");
        Memory theirs = other.memories().create(NewMemory.fact(ada, "their note"));
        other.search().upsertVector(SearchTarget.MEMORY, theirs.id(), "m", new float[] {1, 0, 0, 0});

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> acme.search().upsertVector(SearchTarget.MEMORY, theirs.id(), "m",
                new float[] {0, 1, 0})).isInstanceOf(dev.atlas.NotFoundException.class).hasMessageContaining(theirs.id().toString());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> acme.search().deleteVector(SearchTarget.MEMORY, theirs.id(), "m"))
                .isInstanceOf(dev.atlas.NotFoundException.class);
        assertThat(acme.search().dimension("m")).isZero();
        // The same model key in this tenant may have its own dimension.
        Memory mine = acme.memories().create(NewMemory.fact(ada, "my note"));
        acme.search().upsertVector(SearchTarget.MEMORY, mine.id(), "m", new float[] {0, 1, 0});
        assertThat(acme.search().dimension("m")).isEqualTo(3);
        assertThat(other.search().dimension("m")).isEqualTo(4);
        assertThat(ids(other.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m", new float[] {1, 0, 0, 0}))))
                .containsExactly(theirs.id());
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m", new float[] {0, 1, 0}))))
                .containsExactly(mine.id());
    }
}
