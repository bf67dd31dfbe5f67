package dev.atlas.jdbi.newcomer;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.GraphReach;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryRevision;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.EraseReport;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportReport;
import dev.atlas.search.SearchTarget;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A Java developer new to Atlas, with no framework, following docs/memory-and-search.md and
 * docs/portability.md as written: every snippet used as it stands, each result read back through the
 * public API against what the text around it says (defaults, orders, limits, field names). Search's snippets are
 * pinned by SearchContract as the guide writes them (snippet brackets, pages, self-similarity 1.0), so not again here.
 */
public abstract class Newcomer17Contract extends AtlasContract {
    @TempDir
    Path dir;

    protected Newcomer17Contract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("memory-and-search.md, Memories and Memory graph, as written: revision 2 keeps revision 1 in the trail, the paged"
            + " trail is the same, the listing finds it by agent and tag; importance 0.5 unless given; a client key stores once;"
            + " neighbours heaviest first, traverse nearest first up to depth 10 (11 refused on maxDepth)")
    void memoriesAndGraphAsWritten() {
        Tenant acme = atlas.tenant("acme");
        MemoryStore memories = acme.memories();
        MemoryGraph graph = acme.graph();
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        Message said = acme.conversations().append(convo.id(), NewMessage.user("Please email me, never call."));
        java.util.UUID conversationId = convo.id();
        java.util.UUID messageId = said.id();

        Memory m = memories.create(NewMemory.preference(Owner.user("42"), "Prefers email over phone")
                .agent("support")                       // scope; omit for a memory every agent of the owner sees
                .tags("contact").importance(0.8)        // importance is 0.0..1.0 (default 0.5)
                .from(conversationId, messageId)        // provenance: must exist in this tenant, the message in that conversation (checked, not foreign keys)
                .expiresAt(Instant.now().plus(Duration.ofDays(90))));

        memories.update(m.id(), MemoryPatch.content("Prefers SMS"));  // revision 2; "Prefers email…" kept
        List<MemoryRevision> trail = memories.revisions(m.id());      // [MemoryRevision(revision=1, …)]
        Page<MemoryRevision> paged = memories.revisions(m.id(), 50, null);
        Page<Memory> listed = memories.list(MemoryQuery.forOwner(Owner.user("42")).agent("support").tag("contact").limit(20));

        assertThat(trail).extracting(MemoryRevision::revision, MemoryRevision::content)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "Prefers email over phone"));
        assertThat(paged.items()).isEqualTo(trail);
        assertThat(paged.hasMore()).isFalse();
        Memory now = memories.require(m.id());
        assertThat(now.content()).isEqualTo("Prefers SMS");
        assertThat(now.revision()).isEqualTo(2);
        assertThat(now.kind()).isEqualTo(MemoryKind.PREFERENCE);
        assertThat(now.importance()).isEqualTo(0.8);
        assertThat(now.tags()).containsExactly("contact");
        assertThat(listed.items()).extracting(Memory::id).containsExactly(m.id());
        assertThat(memories.create(NewMemory.fact(Owner.user("42"), "Lives in Lyon")).importance()).isEqualTo(0.5);

        NewMemory note = NewMemory.fact(Owner.user("42"), "Lives in Lyon").agent("support").clientKey("turn-881/fact-1");
        Memory first = memories.create(note);
        Memory again = memories.create(note);   // the same memory (as it is now); nothing stored
        assertThat(again).isEqualTo(first);
        Throwable other = catchThrowable(() -> memories.create(NewMemory.fact(Owner.user("42"), "Lives in Paris").agent("support")
                .clientKey("turn-881/fact-1")));
        assertThat(other).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) other).field()).isEqualTo("clientKey");

        graph.upsertNode(NewGraphNode.of("user:42").label("Ada").type("person"));
        graph.upsertNode(NewGraphNode.of("topic:jazz").type("topic"));
        graph.upsertNode(NewGraphNode.of("topic:blues").type("topic"));
        graph.upsertEdge(NewGraphEdge.of("user:42", "likes", "topic:blues").weight(0.2));
        graph.upsertEdge(NewGraphEdge.of("user:42", "likes", "topic:jazz").weight(0.7));   // upsert on (source, target, type)
        graph.upsertEdge(NewGraphEdge.of("topic:jazz", "related", "topic:blues"));
        Page<GraphNeighbour> neighbours = graph.neighbours("user:42", Direction.OUTGOING, "likes", 100, null);              // a page, heaviest first
        List<GraphReach> reach = graph.traverse("user:42", Direction.BOTH, null, 3, 100);                           // nearest first, depth ≤ 10
        assertThat(neighbours.items()).extracting(n -> n.node().key(), n -> n.edge().weight())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("topic:jazz", 0.7), org.assertj.core.groups.Tuple.tuple("topic:blues", 0.2));
        assertThat(reach).extracting(GraphReach::depth).isSorted();
        assertThat(reach).extracting(r -> r.node().key()).contains("topic:jazz", "topic:blues");
        assertThat(graph.traverse("user:42", Direction.BOTH, null, 10, 100)).isNotEmpty();
        Throwable deep = catchThrowable(() -> graph.traverse("user:42", Direction.BOTH, null, 11, 100));
        assertThat(deep).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) deep).field()).isEqualTo("maxDepth");
        Throwable ghost = catchThrowable(() -> graph.neighbours("ghost", Direction.BOTH, null, 100, null));
        assertThat(ghost).isInstanceOf(NotFoundException.class).hasMessage("key: graph node ghost not found");
    }

    @Test
    @DisplayName("portability.md as written: the header line, one line per row with null columns left out and times in UTC as"
            + " Instant.toString writes them (2026-03-01T10:00:00Z, ...01.500Z, on both databases); the report counts per type; import into another tenant, again unchanged;"
            + " an owner's erase, dry run first, counts what it then deletes")
    void portabilityAsWritten() throws Exception {
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        Tenant acme = atlas.tenant("acme");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(convo.id(), NewMessage.user("Where is order 1234?"));
        clock.advanceMicros(1_500_000);
        acme.conversations().append(convo.id(), NewMessage.assistant("It shipped."));

        try (java.io.OutputStream out = Files.newOutputStream(dir.resolve("acme.jsonl"))) {
            ExportReport report = acme.portability().exportTo(out, ExportScope.tenant());
            System.out.println(report.exported());   // {conversation=…, message=…, …}
            assertThat(report.exported()).containsExactly(java.util.Map.entry("conversation", 1L), java.util.Map.entry("message", 2L),
                    java.util.Map.entry("message_event", 2L));
        }
        List<String> lines = Files.readAllLines(dir.resolve("acme.jsonl"), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(7);
        assertThat(lines.get(0)).isEqualTo("{\"type\":\"atlas-export\",\"version\":2,\"schema\":37}");
        assertThat(lines.get(6)).isEqualTo("{\"type\":\"end\",\"rows\":{\"conversation\":1,\"message\":2,\"message_event\":2}}");
        assertThat(lines.get(1)).startsWith("{\"type\":\"conversation\",\"row\":{\"id\":\"" + convo.id() + "\"")
                .contains("\"metadata\":{}", "\"last_sequence\":2", "\"created_at\":\"2026-03-01T10:00:00Z\"")
                .doesNotContain("null", "\"title\":null");
        assertThat(lines.get(3)).contains("\"created_at\":\"2026-03-01T10:00:01.500Z\"");

        try (InputStream in = Files.newInputStream(dir.resolve("acme.jsonl"))) {
            ImportReport report = atlas.tenant("acme-copy").portability().importFrom(in);
            System.out.println(report.imported() + " new, " + report.unchanged() + " already there");
            assertThat(report.imported()).containsExactly(java.util.Map.entry("conversation", 1L), java.util.Map.entry("message", 2L),
                    java.util.Map.entry("message_event", 2L));
            assertThat(report.unchanged()).isEmpty();
        }
        try (InputStream in = Files.newInputStream(dir.resolve("acme.jsonl"))) {
            ImportReport report = atlas.tenant("acme-copy").portability().importFrom(in);
            assertThat(report.imported()).isEmpty();
            assertThat(report.unchanged()).containsExactly(java.util.Map.entry("conversation", 1L), java.util.Map.entry("message", 2L),
                    java.util.Map.entry("message_event", 2L));
        }
        assertThat(atlas.tenant("acme-copy").conversations().require(convo.id()).createdAt()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));

        Message reply = acme.conversations().messages(convo.id(), 0, 10).get(1);
        acme.search().upsertVector(SearchTarget.MESSAGE, reply.id(), "minilm-3", new float[]{1f, 0f, 0f});
        acme.memories().create(NewMemory.fact(Owner.user("42"), "Waits for order 1234").tags("orders"));
        dev.atlas.asset.Asset map = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "map.png", "image/png")
                .owner(Owner.user("42")), new byte[]{1, 2, 3});
        acme.assets().attach(reply.id(), map.id(), java.util.Map.of());
        EraseReport preview = acme.portability().eraseOwner(Owner.user("42"), true);   // dry run: counts only
        EraseReport done = acme.portability().eraseOwner(Owner.user("42"), false);
        System.out.println(done.counts());   // {vectors=…, messages=…, assets=…, asset_blobs=…, conversations=…}
        assertThat(preview.counts()).isEqualTo(done.counts());
        // The order a dry run and a real erase print alike: the assets before their bytes, as docs/portability.md shows.
        assertThat(done.counts().toString()).isEqualTo(preview.counts().toString())
                .isEqualTo("{vectors=1, message_events=2, message_assets=1, messages=2, assets=1, asset_blobs=1,"
                + " memory_tags=1, memories=1, conversations=1}");
        assertThat(acme.conversations().get(convo.id())).isEmpty();
        assertThat(atlas.tenant("acme-copy").conversations().get(convo.id())).isPresent();
    }
}
