package dev.atlas.jdbi.kit;

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
 * assistants, credentials, settings and durable tasks, with hostile input and another tenant's ids
 * on every call. Search tests live here (not in {@code SearchContract}) so they run on both dialects
 * at little cost.
 */
public abstract class Newcomer37bContract extends AtlasContract {

    protected Newcomer37bContract(TestDatabase database) {
        super(database);
    }

    private static List<UUID> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    @DisplayName("a metadata filter finds a memory by any key metadata stores, an empty or blank one included")
    void metadataFilterMatchesBlankKeys() {
        Tenant acme = atlas.tenant("acme");
        Owner ada = Owner.user("42");
        Memory empty = acme.memories().create(NewMemory.fact(ada, "note one").metadata(Map.of("", "x")));
        Memory blank = acme.memories().create(NewMemory.fact(ada, "note two").metadata(Map.of(" ", "x")));
        Memory named = acme.memories().create(NewMemory.fact(ada, "note three").metadata(Map.of("k", "x")));
        // Another tenant's memory with the same metadata is never a hit.
        Memory foreign = atlas.tenant("other").memories().create(NewMemory.fact(ada, "note four").metadata(Map.of("", "x")));
        for (Memory m : List.of(empty, blank, named)) {
            acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m3", new float[] {1, 2, 3});
        }
        atlas.tenant("other").search().upsertVector(SearchTarget.MEMORY, foreign.id(), "m3", new float[] {1, 2, 3});

        assertThat(ids(acme.search().text(TextQuery.memories("note").filter(SearchFilter.none().metadata("", "x")))))
                .containsExactly(empty.id());
        assertThat(ids(acme.search().text(TextQuery.memories("note")
                .filter(new SearchFilter(null, null, null, null, null, null, Map.of(" ", "x"), List.of(), null)))))
                .containsExactly(blank.id());
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})
                .filter(SearchFilter.none().metadata("", "x"))))).containsExactly(empty.id());
        assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", new float[] {1, 2, 3})
                .filter(SearchFilter.none().metadata(" ", "x"))))).containsExactly(blank.id());

        // Messages store such keys too.
        Conversation c = acme.conversations().create(NewConversation.of(ada, "support"));
        Message keyed = acme.conversations().append(c.id(), NewMessage.user("refund please").metadata(Map.of("", "web")));
        acme.conversations().append(c.id(), NewMessage.user("refund now").metadata(Map.of("channel", "web")));
        assertThat(ids(acme.search().text(TextQuery.messages("refund").filter(SearchFilter.none().metadata("", "web")))))
                .containsExactly(keyed.id());
    }

    @Test
    @DisplayName("a metadata filter finds a key JSON must escape (control characters, backslash, quote, U+2028, a lone escape-like text) exactly, and pages through it")
    void metadataFilterMatchesEscapedKeys() {
        Tenant acme = atlas.tenant("acme");
        Owner ada = Owner.user("42");
        List<String> keys = List.of("tab\tkey", "back\\slash", "\u0001", "line\u2028sep", "q\"uote", "\\u0041", "A", "nl\nkey", "\u007f");
        Map<String, UUID> byKey = new java.util.LinkedHashMap<>();
        for (String key : keys) {
            Memory m = acme.memories().create(NewMemory.fact(ada, "note key").metadata(Map.of(key, "v")));
            acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "m2", new float[] {1, 0});
            byKey.put(key, m.id());
        }
        for (String key : keys) {
            SearchFilter f = SearchFilter.none().metadata(key, "v");
            assertThat(ids(acme.search().text(TextQuery.memories("note").filter(f)))).as(key).containsExactly(byKey.get(key));
            assertThat(ids(acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m2", new float[] {1, 0}).filter(f))))
                    .as(key).containsExactly(byKey.get(key));
        }
        // A page cursor of a blank-key filter is its own listing: it pages that filter, and no other filter takes it.
        Memory second = acme.memories().create(NewMemory.fact(ada, "note key again").metadata(Map.of(" ", "v")));
        Memory first = acme.memories().create(NewMemory.fact(ada, "note key once more").metadata(Map.of(" ", "v")));
        TextQuery blank = TextQuery.memories("note").filter(SearchFilter.none().metadata(" ", "v")).limit(1);
        dev.atlas.Page<SearchHit> p1 = acme.search().text(blank, null);
        assertThat(p1.items()).hasSize(1);
        dev.atlas.Page<SearchHit> p2 = acme.search().text(blank, p1.nextCursor().orElseThrow());
        assertThat(java.util.stream.Stream.concat(p1.items().stream(), p2.items().stream()).map(SearchHit::id))
                .containsExactlyInAnyOrder(first.id(), second.id());
        TextQuery empty = TextQuery.memories("note").filter(SearchFilter.none().metadata("", "v")).limit(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> acme.search().text(empty, p1.nextCursor().orElseThrow()))
                .isInstanceOf(dev.atlas.InvalidInputException.class).hasMessageStartingWith("cursor:");
    }

    @Test
    @DisplayName("a metadata filter key metadata could never store (null, NUL, an unpaired surrogate, over 255 characters) is refused naming metadata, before any query")
    void metadataFilterRefusesUnstorableKeys() {
        Map<String, String> nullKey = new java.util.HashMap<>();
        nullKey.put(null, "x");
        for (Runnable call : List.<Runnable>of(
                () -> SearchFilter.none().metadata(null, "x"),
                () -> SearchFilter.none().metadata("k\u0000", "x"),
                () -> SearchFilter.none().metadata("\uDC00", "x"),
                () -> SearchFilter.none().metadata("k".repeat(256), "x"),
                () -> new SearchFilter(null, null, null, null, null, null, nullKey, List.of(), null),
                () -> new SearchFilter(null, null, null, null, null, null, Map.of("\uD800", "x"), List.of(), null))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(call::run)
                    .isInstanceOf(dev.atlas.InvalidInputException.class).hasMessageStartingWith("metadata:");
        }
        // The longest key metadata stores is a key a filter takes.
        assertThat(SearchFilter.none().metadata("k".repeat(255), "x").metadata()).containsOnlyKeys("k".repeat(255));
    }
}
