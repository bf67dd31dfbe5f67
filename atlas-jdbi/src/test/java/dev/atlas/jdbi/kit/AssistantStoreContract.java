package dev.atlas.jdbi.kit;

import dev.atlas.assistant.AssistantQuery;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The behaviour every {@link AssistantStore} implementation must have, on every database. */
public abstract class AssistantStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");

    protected AssistantStore store;
    protected AssistantStore other;

    protected AssistantStoreContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").assistants();
        other = atlas.tenant("globex").assistants();
    }

    private Assistant bot() {
        return store.create(AssistantSpec.of("support-bot", "Support bot"));
    }

    private static NewRevision rev(String prompt, Map<String, ?> settings) {
        return NewRevision.of(prompt, settings).author(ALICE);
    }

    @Test
    @DisplayName("a publish or rollback from an instance whose clock runs an hour behind dates its revision no earlier than the"
            + " assistant's last change: revisions in number order are in time order, none before the assistant was created")
    void laggingClockNeverDatesARevisionBack() {
        Assistant a = bot();
        java.time.Instant created = a.createdAt();
        AssistantStore lagging = reopen(b -> b.clock(new MutableClock(created.minus(java.time.Duration.ofHours(1))))).tenant("acme").assistants();
        AssistantRevision first = lagging.publish(a.id(), rev("one", Map.of()));
        assertThat(first.createdAt()).isEqualTo(created);
        clock.advanceMicros(5);
        java.time.Instant later = clock.instant();
        assertThat(store.publish(a.id(), rev("two", Map.of())).createdAt()).isEqualTo(later);
        assertThat(lagging.publish(a.id(), rev("three", Map.of())).createdAt()).isEqualTo(later);
        AssistantRevision back = lagging.rollback(a.id(), 1, ALICE);
        assertThat(back).returns(4, AssistantRevision::number).returns(later, AssistantRevision::createdAt);
        assertThat(store.revisions(a.id())).extracting(AssistantRevision::createdAt).containsExactly(created, later, later, later);
        assertThat(store.require(a.id()).updatedAt()).isEqualTo(later);
    }

    // ---- assistants ----------------------------------------------------------------------

    @Test
    @DisplayName("a created assistant reads back with every field as written, by id and by slug")
    void createAndGet() {
        Assistant a = store.create(AssistantSpec.of("support-bot", "Support bot").description("Answers order questions")
                .active(false).isPublic(true).owner(ALICE).defaultModel("gpt-4o").temperature(new BigDecimal("0.70"))
                .topP(new BigDecimal("1")).maxOutputTokens(4096).tools(List.of("lookup_order", "refund"))
                .metadata(Map.of("team", "cx", "nested", Map.of("x", List.of(1, 2)))));
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(a);
        assertThat(store.getBySlug("support-bot").orElseThrow()).isEqualTo(a);
        assertThat(a.tenantId()).isEqualTo("acme");
        assertThat(a.description()).isEqualTo("Answers order questions");
        assertThat(a.active()).isFalse();
        assertThat(a.isPublic()).isTrue();
        assertThat(a.owner()).isEqualTo(ALICE);
        assertThat(a.temperature()).isEqualTo(new BigDecimal("0.70"));
        assertThat(a.topP()).isEqualTo(new BigDecimal("1.00"));
        assertThat(a.maxOutputTokens()).isEqualTo(4096);
        assertThat(a.tools()).containsExactly("lookup_order", "refund");
        assertThat(a.metadata()).isEqualTo(Map.of("team", "cx", "nested", Map.of("x", List.of(1, 2))));
        assertThat(a.currentRevision()).isEmpty();
        assertThat(a.currentRevisionNumber()).isZero();
        assertThat(a.createdAt()).isEqualTo(clock.instant());
    }

    @Test
    @DisplayName("optional defaults may be absent and read back as absent")
    void createMinimal() {
        Assistant a = bot();
        assertThat(store.get(a.id()).orElseThrow())
                .returns(null, Assistant::temperature).returns(null, Assistant::topP).returns(null, Assistant::maxOutputTokens)
                .returns(null, Assistant::owner).returns(null, Assistant::defaultModel).returns(List.of(), Assistant::tools)
                .returns(true, Assistant::active).returns(false, Assistant::isPublic);
    }

    @Test
    @DisplayName("temperature and top_p round-trip exactly at two decimals, including the bounds")
    void decimalsRoundTrip() {
        List<String> values = List.of("0", "0.01", "0.5", "0.70", "1", "1.25", "1.99", "2.00");
        for (int i = 0; i < values.size(); i++) {
            BigDecimal t = new BigDecimal(values.get(i));
            BigDecimal p = t.min(BigDecimal.ONE);
            Assistant a = store.create(AssistantSpec.of("bot-" + i, "Bot").temperature(t).topP(p));
            Assistant read = store.get(a.id()).orElseThrow();
            assertThat(read.temperature()).isEqualTo(t.setScale(2)).isEqualTo(a.temperature());
            assertThat(read.topP()).isEqualTo(p.setScale(2));
        }
    }

    @Test
    @DisplayName("a slug is unique among live assistants of a tenant, free in other tenants and after delete")
    void slugUnique() {
        Assistant a = bot();
        assertThatThrownBy(() -> store.create(AssistantSpec.of("support-bot", "Again"))).isInstanceOf(ConflictException.class)
                .hasMessageContaining("slug");
        assertThat(other.create(AssistantSpec.of("support-bot", "Theirs")).slug()).isEqualTo("support-bot");
        store.delete(a.id());
        Assistant again = store.create(AssistantSpec.of("support-bot", "Second life"));
        assertThat(store.getBySlug("support-bot").orElseThrow().id()).isEqualTo(again.id());

        // getBySlug matches exactly: no case folding, no LIKE wildcard, no Unicode look-alike, no trimming
        for (String near : List.of("SUPPORT-BOT", "Support-bot", "support-bo_", "support%", "%", "support_bot", "\u0455upport-bot",
                "support-bot ", " support-bot", "support-bot' OR '1'='1", "support\u2011bot")) {
            assertThat(store.getBySlug(near)).as(near).isEmpty();
        }
        // and a slug that only looks like a valid one is refused on slug, quoted with its escapes, before any write
        for (String bad : List.of("Support-bot", "\u0455upport-bot", "support\u2011bot", "support%", "support-bot\n", "-bot", "bot\u200b")) {
            assertThatThrownBy(() -> store.create(AssistantSpec.of(bad, "Look-alike"))).as(bad)
                    .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("slug"))
                    .hasMessageStartingWith("slug: '" + dev.atlas.internal.Check.escaped(bad) + "' is invalid");
        }
        assertThat(store.list(100, null).items()).extracting(Assistant::slug).containsExactly("support-bot");
    }

    @Test
    @DisplayName("concurrent creates with one slug produce exactly one assistant and conflicts")
    void slugUniqueConcurrent() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                results.add(pool.submit(() -> {
                    try {
                        store.create(AssistantSpec.of("same", "Same"));
                        return true;
                    } catch (ConflictException e) {
                        return false;
                    }
                }));
            }
            int created = 0;
            for (Future<Boolean> f : results) {
                created += f.get() ? 1 : 0;
            }
            assertThat(created).isEqualTo(1);
        } finally {
            pool.shutdown();
        }
        assertThat(store.list(100, null).items()).hasSize(1);
    }

    @Test
    @DisplayName("update replaces the definition and keeps the revisions; a taken slug conflicts")
    void update() {
        Assistant a = bot();
        store.publish(a.id(), rev("p1", Map.of()));
        store.create(AssistantSpec.of("taken", "Taken"));
        clock.advanceMicros(10);
        Assistant updated = store.update(a.id(), AssistantSpec.of("support-v2", "Support v2").temperature(new BigDecimal("1.5"))
                .tools(List.of("search")));
        assertThat(updated.slug()).isEqualTo("support-v2");
        assertThat(updated.temperature()).isEqualTo(new BigDecimal("1.50"));
        assertThat(updated.tools()).containsExactly("search");
        assertThat(updated.currentRevisionNumber()).isEqualTo(1);
        assertThat(updated.updatedAt()).isEqualTo(clock.instant());
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(updated);
        assertThatThrownBy(() -> store.update(a.id(), AssistantSpec.of("taken", "x"))).isInstanceOf(ConflictException.class);
        assertThat(store.get(a.id()).orElseThrow().slug()).isEqualTo("support-v2");
    }

    @Test
    @DisplayName("update with an expected version applies only while the definition is at that version (1 when created, +1 per update,"
            + " publishes leave it): a stale one is a ConflictException naming expectedVersion, nothing written; of 8 updates from two"
            + " instances expecting the same version exactly one wins; 0 or less is refused before any write; a foreign id is NotFoundException")
    void updateExpectingAVersion() throws Exception {
        Assistant a = bot();
        assertThat(a.version()).isEqualTo(1);
        store.publish(a.id(), rev("p1", Map.of()));
        assertThat(store.get(a.id()).orElseThrow().version()).isEqualTo(1);
        Assistant v2 = store.update(a.id(), AssistantSpec.of("support", "Support v2"), 1);
        assertThat(v2).returns(2, Assistant::version).returns("Support v2", Assistant::name).returns(1, Assistant::currentRevisionNumber);
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(v2);
        assertThatThrownBy(() -> store.update(a.id(), AssistantSpec.of("support", "stale"), 1))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedVersion"))
                .hasMessageContaining("is at version 2, not 1");
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(v2);
        // an update without an expectation moves the version too
        assertThat(store.update(a.id(), AssistantSpec.of("support", "Support v3")).version()).isEqualTo(3);
        assertField(() -> store.update(a.id(), AssistantSpec.of("support", "x"), 0), "expectedVersion");
        assertField(() -> store.update(a.id(), AssistantSpec.of("support", "x"), -1), "expectedVersion");
        Assistant foreign = other.create(AssistantSpec.of("foreign-bot", "Foreign"));
        assertThatThrownBy(() -> store.update(foreign.id(), AssistantSpec.of("x", "x"), 1)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessageNotContaining("globex");
        assertThat(other.get(foreign.id()).orElseThrow()).isEqualTo(foreign);

        AssistantStore second = reopen(b -> b).tenant("acme").assistants();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                AssistantStore s = t % 2 == 0 ? store : second;
                String name = "edit " + t;
                futures.add(pool.submit(() -> {
                    try {
                        outcomes.add("updated " + s.update(a.id(), AssistantSpec.of("support", name), 3).version());
                    } catch (ConflictException e) {
                        outcomes.add("conflict " + e.field());
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(outcomes).containsExactlyInAnyOrder("updated 4", "conflict expectedVersion", "conflict expectedVersion",
                "conflict expectedVersion", "conflict expectedVersion", "conflict expectedVersion", "conflict expectedVersion",
                "conflict expectedVersion");
        assertThat(store.get(a.id()).orElseThrow().version()).isEqualTo(4);
        store.delete(a.id());
        assertThatThrownBy(() -> store.update(a.id(), AssistantSpec.of("support", "x"), 4)).isInstanceOf(NotFoundException.class);
        // The id is checked before the slug: an unknown, deleted or foreign id given a slug another assistant of
        // the tenant holds is the same NotFoundException on the id, never a ConflictException naming the holder.
        Assistant holder = store.create(AssistantSpec.of("holder", "Holder"));
        UUID nowhere = UUID.randomUUID();
        for (UUID id : List.of(nowhere, a.id(), foreign.id())) {
            assertThatThrownBy(() -> store.update(id, AssistantSpec.of("holder", "x"))).isExactlyInstanceOf(NotFoundException.class)
                    .hasMessage("assistant " + id + " not found");
            assertThatThrownBy(() -> store.update(id, AssistantSpec.of("holder", "x"), 1)).isExactlyInstanceOf(NotFoundException.class)
                    .hasMessage("assistant " + id + " not found");
        }
        assertThatThrownBy(() -> other.update(holder.id(), AssistantSpec.of("foreign-bot", "x"))).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("assistant " + holder.id() + " not found");
        assertThat(store.get(holder.id()).orElseThrow()).isEqualTo(holder);
        assertThat(other.get(foreign.id()).orElseThrow()).isEqualTo(foreign);
    }

    @Test
    @DisplayName("a deleted assistant disappears from lookups, takes no revisions, and its revisions stay readable by id")
    void softDelete() {
        Assistant a = bot();
        AssistantRevision r = store.publish(a.id(), rev("p", Map.of()));
        store.delete(a.id());
        assertThat(store.get(a.id())).isEmpty();
        assertThat(store.getBySlug("support-bot")).isEmpty();
        assertThat(store.list(10, null).items()).isEmpty();
        assertThatThrownBy(() -> store.publish(a.id(), rev("p2", Map.of()))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.delete(a.id())).isInstanceOf(NotFoundException.class);
        assertThat(store.getRevision(r.id())).contains(r);
    }

    @Test
    @DisplayName("list pages through live assistants by slug without repeats")
    void list() {
        for (String s : List.of("delta", "alpha", "echo", "charlie", "bravo")) {
            store.create(AssistantSpec.of(s, s));
        }
        other.create(AssistantSpec.of("zulu", "zulu"));
        List<String> seen = new ArrayList<>();
        Page<Assistant> page = store.list(2, null);
        seen.addAll(page.items().stream().map(Assistant::slug).toList());
        while (page.hasMore()) {
            page = store.list(2, page.nextCursor().orElseThrow());
            seen.addAll(page.items().stream().map(Assistant::slug).toList());
        }
        assertThat(seen).containsExactly("alpha", "bravo", "charlie", "delta", "echo");
        assertField(() -> store.list(0, null), "limit");
        assertField(() -> store.list(10, "not a cursor"), "cursor");
    }

    // ---- revisions -----------------------------------------------------------------------

    private static List<String> slugs(Page<Assistant> page) {
        return page.items().stream().map(Assistant::slug).toList();
    }

    @Test
    @DisplayName("list by owner, by the public flag, and visible to an owner (its own plus public ones), by slug, deleted ones left out")
    void listByOwnerAndPublic() {
        store.create(AssistantSpec.of("a-alice-private", "A").owner(ALICE));
        store.create(AssistantSpec.of("b-alice-public", "B").owner(ALICE).isPublic(true));
        store.create(AssistantSpec.of("c-bob-public", "C").owner(BOB).isPublic(true));
        store.create(AssistantSpec.of("d-bob-private", "D").owner(BOB));
        store.create(AssistantSpec.of("e-tenant-public", "E").isPublic(true));
        store.create(AssistantSpec.of("f-tenant-private", "F"));
        store.delete(store.create(AssistantSpec.of("g-alice-deleted", "G").owner(ALICE).isPublic(true)).id());
        other.create(AssistantSpec.of("h-foreign-public", "H").owner(ALICE).isPublic(true));

        assertThat(slugs(store.list(AssistantQuery.forOwner(ALICE)))).containsExactly("a-alice-private", "b-alice-public");
        assertThat(slugs(store.list(AssistantQuery.publicOnly()))).containsExactly("b-alice-public", "c-bob-public", "e-tenant-public");
        assertThat(slugs(store.list(AssistantQuery.all().isPublic(false))))
                .containsExactly("a-alice-private", "d-bob-private", "f-tenant-private");
        assertThat(slugs(store.list(AssistantQuery.visibleTo(ALICE))))
                .containsExactly("a-alice-private", "b-alice-public", "c-bob-public", "e-tenant-public");
        assertThat(slugs(store.list(AssistantQuery.forOwner(BOB).isPublic(true)))).containsExactly("c-bob-public");
        assertThat(slugs(store.list(AssistantQuery.all()))).hasSize(6);
        assertThat(store.list(AssistantQuery.forOwner(ALICE)).items().get(1))
                .isEqualTo(store.findBySlug("b-alice-public").orElseThrow());

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            Page<Assistant> p = store.list(AssistantQuery.visibleTo(ALICE).limit(1).after(cursor));
            paged.addAll(slugs(p));
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactly("a-alice-private", "b-alice-public", "c-bob-public", "e-tenant-public");

        // another tenant sees only its own, whatever the filter
        assertThat(slugs(other.list(AssistantQuery.visibleTo(ALICE)))).containsExactly("h-foreign-public");
        assertThat(slugs(other.list(AssistantQuery.forOwner(BOB)))).isEmpty();
    }

    @Test
    @DisplayName("publishing numbers revisions 1, 2, 3 and moves the current pointer each time")
    void publish() {
        Assistant a = bot();
        AssistantRevision r1 = store.publish(a.id(), rev("You are helpful.", Map.of("tone", "warm")).label("first"));
        clock.advanceMicros(1);
        AssistantRevision r2 = store.publish(a.id(), rev("You are terse.", Map.of("tone", "dry")));
        AssistantRevision r3 = store.publish(a.id(), NewRevision.of("", Map.of()));
        assertThat(List.of(r1.number(), r2.number(), r3.number())).containsExactly(1, 2, 3);
        assertThat(r1).returns("You are helpful.", AssistantRevision::systemPrompt).returns(Map.of("tone", "warm"), AssistantRevision::settings)
                .returns("first", AssistantRevision::label).returns(ALICE, AssistantRevision::author)
                .returns(RevisionKind.PUBLISHED, AssistantRevision::kind).returns(null, AssistantRevision::rolledBackToId)
                .returns(a.id(), AssistantRevision::assistantId).returns("acme", AssistantRevision::tenantId);
        assertThat(r2.createdAt()).isEqualTo(clock.instant());
        assertThat(r3.author()).isNull();
        assertThat(store.currentRevision(a.id())).contains(r3);
        Assistant read = store.get(a.id()).orElseThrow();
        assertThat(read.currentRevisionId()).isEqualTo(r3.id());
        assertThat(read.currentRevisionNumber()).isEqualTo(3);
        assertThat(read.lastRevisionNumber()).isEqualTo(3);
        assertThat(store.getRevision(a.id(), 2)).contains(r2);
        assertThat(store.getRevision(r1.id())).contains(r1);
        assertThat(store.getRevision(a.id(), 4)).isEmpty();
    }

    @Test
    @DisplayName("prompt and settings round-trip verbatim, hostile text included")
    void revisionContentVerbatim() {
        Assistant a = bot();
        String prompt = "Robert'); DROP TABLE atlas_assistant_revisions;--\n\t<p> \"quoted\" ünïcödé 😀 \\u0000 text";
        Map<String, Object> settings = Map.of("nested", Map.of("list", List.of(1, "two", true)), "n", 3.5, "empty", Map.of());
        AssistantRevision r = store.publish(a.id(), NewRevision.of(prompt, settings));
        assertThat(store.getRevision(r.id()).orElseThrow().systemPrompt()).isEqualTo(prompt);
        assertThat(store.getRevision(r.id()).orElseThrow().settings()).isEqualTo(settings);
    }

    @Test
    @DisplayName("8 threads publishing 25 revisions each get numbers 1 to 200 without gaps, repeats or errors")
    void concurrentPublish() throws Exception {
        Assistant a = bot();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<List<Integer>>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Integer> numbers = new ArrayList<>();
                    for (int i = 0; i < 25; i++) {
                        numbers.add(store.publish(a.id(), NewRevision.of("t" + thread + " i" + i, Map.of("i", i))).number());
                    }
                    return numbers;
                }));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : futures) {
                List<Integer> mine = f.get();
                assertThat(mine).isSorted();
                all.addAll(mine);
            }
            assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 200).boxed().toList());
        } finally {
            pool.shutdown();
        }
        List<AssistantRevision> history = store.revisions(a.id());
        assertThat(history).extracting(AssistantRevision::number).containsExactlyElementsOf(IntStream.rangeClosed(1, 200).boxed().toList());
        Assistant read = store.get(a.id()).orElseThrow();
        assertThat(read.currentRevisionNumber()).isEqualTo(200);
        assertThat(read.lastRevisionNumber()).isEqualTo(200);
    }

    @Test
    @DisplayName("two writers, one publishing and one rolling back, interleaved: every call gets its own number, 1..n without gaps, and the current revision is the last")
    void concurrentPublishAndRollback() throws Exception {
        Assistant a = bot();
        store.publish(a.id(), rev("base", Map.of("v", 0)));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<Integer>> publisher = pool.submit(() -> {
                List<Integer> numbers = new ArrayList<>();
                for (int i = 1; i <= 30; i++) {
                    numbers.add(store.publish(a.id(), rev("p" + i, Map.of("v", i))).number());
                }
                return numbers;
            });
            Future<List<Integer>> roller = pool.submit(() -> {
                List<Integer> numbers = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    numbers.add(store.rollback(a.id(), 1, BOB).number());
                }
                return numbers;
            });
            List<Integer> all = new ArrayList<>(publisher.get());
            all.addAll(roller.get());
            assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(2, 61).boxed().toList());
        } finally {
            pool.shutdown();
        }
        List<AssistantRevision> history = store.revisions(a.id());
        assertThat(history).extracting(AssistantRevision::number).containsExactlyElementsOf(IntStream.rangeClosed(1, 61).boxed().toList());
        assertThat(history).filteredOn(r -> r.kind() == RevisionKind.ROLLBACK).hasSize(30)
                .allSatisfy(r -> assertThat(r.settings()).isEqualTo(Map.of("v", 0)));
        assertThat(store.currentRevision(a.id()).orElseThrow().number()).isEqualTo(61);
    }

    @Test
    @DisplayName("diff of documents with 5,000 settings keys names exactly the keys that differ, deep or by JSON type, and nothing else")
    void diffOfHugeDocuments() {
        Assistant a = bot();
        Map<String, Object> from = new java.util.TreeMap<>();
        for (int i = 0; i < 5000; i++) {
            from.put("k" + i, Map.of("nested", List.of(i, "x" + i, Map.of("deep", i % 3 == 0))));
        }
        from.put("n", 1);
        from.put("gone", "soon");
        from.put("nul", null);
        Map<String, Object> to = new java.util.TreeMap<>(from);
        to.remove("gone");
        to.put("k4321", Map.of("nested", List.of(4321, "x4321", Map.of("deep", true))));
        to.put("n", 1.0);
        to.put("fresh", List.of());
        String prompt = "p".repeat(200_000);
        store.publish(a.id(), rev(prompt, from));
        store.publish(a.id(), rev(prompt, to));
        RevisionDiff d = store.diff(a.id(), 1, 2);
        assertThat(d.added()).containsExactly("fresh");
        assertThat(d.removed()).containsExactly("gone");
        assertThat(d.changed()).containsExactlyInAnyOrder("k4321", "n");
        assertThat(d.promptChanged()).isFalse();
        assertThat(store.diff(a.id(), 2, 2).isEmpty()).isTrue();
        assertThat(store.diff(a.id(), 1, store.rollback(a.id(), 1, BOB).number()).isEmpty()).isTrue();
    }

    @Test
    @DisplayName("rollback appends a copy of the earlier revision, makes it current, and the history shows who did it")
    void rollback() {
        Assistant a = bot();
        AssistantRevision r1 = store.publish(a.id(), rev("one", Map.of("tone", "warm", "n", 1)).label("v1"));
        store.publish(a.id(), rev("two", Map.of("tone", "dry")));
        clock.advanceMicros(7);
        AssistantRevision back = store.rollback(a.id(), 1, BOB);
        assertThat(back.number()).isEqualTo(3);
        assertThat(back.kind()).isEqualTo(RevisionKind.ROLLBACK);
        assertThat(back.rolledBackToId()).isEqualTo(r1.id());
        assertThat(back.rolledBackToNumber()).isEqualTo(1);
        assertThat(back.systemPrompt()).isEqualTo("one");
        assertThat(back.settings()).isEqualTo(r1.settings());
        assertThat(back.author()).isEqualTo(BOB);
        assertThat(back.createdAt()).isEqualTo(clock.instant());
        assertThat(store.currentRevision(a.id())).contains(back);
        assertThat(store.diff(a.id(), 1, 3).isEmpty()).isTrue();

        List<AssistantRevision> history = store.revisions(a.id());
        assertThat(history).extracting(AssistantRevision::number).containsExactly(1, 2, 3);
        assertThat(history).extracting(AssistantRevision::kind)
                .containsExactly(RevisionKind.PUBLISHED, RevisionKind.PUBLISHED, RevisionKind.ROLLBACK);
        assertThat(history.get(2)).isEqualTo(back);

        AssistantRevision again = store.rollback(a.id(), back.id(), ALICE);
        assertThat(again.number()).isEqualTo(4);
        assertThat(again.rolledBackToNumber()).isEqualTo(3);
        assertThat(again.systemPrompt()).isEqualTo("one");
    }

    @Test
    @DisplayName("rollback to a revision of another assistant or another tenant, or to a missing number, is rejected and writes nothing")
    void rollbackForeign() {
        Assistant a = bot();
        store.publish(a.id(), rev("mine", Map.of()));
        Assistant b = store.create(AssistantSpec.of("other-bot", "Other"));
        AssistantRevision ofB = store.publish(b.id(), rev("other", Map.of()));
        Assistant foreign = other.create(AssistantSpec.of("support-bot", "Foreign"));
        AssistantRevision ofForeign = other.publish(foreign.id(), rev("foreign", Map.of()));

        assertThatThrownBy(() -> store.rollback(a.id(), ofB.id(), ALICE)).isInstanceOf(NotFoundException.class)
                .hasMessage("toRevisionId: assistant revision " + ofB.id() + " not found");
        assertThatThrownBy(() -> store.rollback(a.id(), ofForeign.id(), ALICE)).isInstanceOf(NotFoundException.class)
                .hasMessage("toRevisionId: assistant revision " + ofForeign.id() + " not found");
        UUID nowhere = UUID.randomUUID();
        assertThatThrownBy(() -> store.rollback(a.id(), nowhere, ALICE)).isInstanceOf(NotFoundException.class)
                .hasMessage("toRevisionId: assistant revision " + nowhere + " not found");
        // another tenant's assistant reads as an assistant that exists nowhere, by number and by revision id
        assertThat(catchThrowable(() -> store.rollback(foreign.id(), ofForeign.id(), ALICE)).getMessage())
                .isEqualTo(catchThrowable(() -> store.rollback(nowhere, ofForeign.id(), ALICE)).getMessage().replace(nowhere.toString(),
                        foreign.id().toString()));
        assertThatThrownBy(() -> store.rollback(a.id(), 5, ALICE)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.rollback(foreign.id(), 1, ALICE)).isInstanceOf(NotFoundException.class);
        assertThat(store.revisions(a.id())).hasSize(1);
        assertThat(store.get(a.id()).orElseThrow().lastRevisionNumber()).isEqualTo(1);
        assertThat(other.revisions(foreign.id())).hasSize(1);
    }

    @Test
    @DisplayName("diff reports added, removed and changed settings keys and whether the prompt changed")
    void diff() {
        Assistant a = bot();
        store.publish(a.id(), rev("same", Map.of("tone", "warm", "keep", 1, "drop", true, "deep", Map.of("a", List.of(1, 2)))));
        store.publish(a.id(), rev("same", Map.of("tone", "dry", "keep", 1, "added", "x", "deep", Map.of("a", List.of(1, 3)))));
        store.publish(a.id(), rev("different", Map.of("tone", "dry", "keep", 1, "added", "x", "deep", Map.of("a", List.of(1, 3)))));
        RevisionDiff d = store.diff(a.id(), 1, 2);
        assertThat(d.added()).containsExactly("added");
        assertThat(d.removed()).containsExactly("drop");
        assertThat(d.changed()).containsExactlyInAnyOrder("tone", "deep");
        assertThat(d.promptChanged()).isFalse();
        assertThat(d.fromNumber()).isEqualTo(1);
        assertThat(d.toNumber()).isEqualTo(2);
        RevisionDiff prompt = store.diff(a.id(), 2, 3);
        assertThat(prompt.promptChanged()).isTrue();
        assertThat(prompt.added()).isEmpty();
        assertThat(prompt.changed()).isEmpty();
        RevisionDiff backwards = store.diff(a.id(), 2, 1);
        assertThat(backwards.added()).containsExactly("drop");
        assertThat(backwards.removed()).containsExactly("added");
        assertThatThrownBy(() -> store.diff(a.id(), 1, 9)).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("another tenant cannot see or change an assistant or its revisions through any call")
    void tenantIsolation() {
        Assistant a = bot();
        AssistantRevision r = store.publish(a.id(), rev("p", Map.of()));
        store.publish(a.id(), rev("q", Map.of()));
        assertThat(other.get(a.id())).isEmpty();
        assertThat(other.getBySlug("support-bot")).isEmpty();
        assertThat(other.list(10, null).items()).isEmpty();
        assertThat(other.getRevision(a.id(), 1)).isEmpty();
        assertThat(other.getRevision(r.id())).isEmpty();
        assertThat(other.currentRevision(a.id())).isEmpty();
        assertThatThrownBy(() -> other.update(a.id(), AssistantSpec.of("x", "x"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.delete(a.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.publish(a.id(), rev("x", Map.of()))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.revisions(a.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.diff(a.id(), 1, 2)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.rollback(a.id(), 1, BOB)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.rollback(a.id(), r.id(), BOB)).isInstanceOf(NotFoundException.class);
        Assistant unchanged = store.get(a.id()).orElseThrow();
        assertThat(unchanged.lastRevisionNumber()).isEqualTo(2);
        assertThat(unchanged.slug()).isEqualTo("support-bot");
    }

    // ---- conversations record the revision they ran with ---------------------------------

    @Test
    @DisplayName("a conversation records the assistant revision it runs with, and its assistant is filled in")
    void conversationRevision() {
        Assistant a = bot();
        AssistantRevision r = store.publish(a.id(), rev("p", Map.of()));
        ConversationStore conversations = atlas.tenant("acme").conversations();
        Conversation c = conversations.create(NewConversation.of(ALICE, "support").assistantRevision(r.id()));
        assertThat(c.assistantRevisionId()).isEqualTo(r.id());
        assertThat(c.assistantId()).isEqualTo(a.id());
        assertThat(conversations.get(c.id()).orElseThrow()).isEqualTo(c);
        Conversation both = conversations.create(NewConversation.of(ALICE).assistant(a.id()).assistantRevision(r.id()));
        assertThat(conversations.get(both.id()).orElseThrow().assistantRevisionId()).isEqualTo(r.id());
        Conversation none = conversations.create(NewConversation.of(ALICE));
        assertThat(conversations.get(none.id()).orElseThrow().assistantRevisionId()).isNull();
    }

    @Test
    @DisplayName("a conversation naming a missing, foreign or mismatched assistant revision is rejected and not created")
    void conversationRevisionRejected() {
        Assistant a = bot();
        Assistant b = store.create(AssistantSpec.of("b", "B"));
        AssistantRevision ofB = store.publish(b.id(), rev("p", Map.of()));
        Assistant foreign = other.create(AssistantSpec.of("f", "F"));
        AssistantRevision ofForeign = other.publish(foreign.id(), rev("p", Map.of()));
        ConversationStore conversations = atlas.tenant("acme").conversations();
        assertThatThrownBy(() -> conversations.create(NewConversation.of(ALICE).assistantRevision(UUID.randomUUID())))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> conversations.create(NewConversation.of(ALICE).assistantRevision(ofForeign.id())))
                .isInstanceOf(NotFoundException.class);
        assertField(() -> conversations.create(NewConversation.of(ALICE).assistant(a.id()).assistantRevision(ofB.id())),
                "assistantRevisionId");
        assertThat(conversations.list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("statements run: publish 3, rollback 4 (by number or id), create 2, list 1 (VersionedDocuments)")
    void statementCounts() {
        StatementCounter.Counted<Assistant> created = StatementCounter.count(atlas, () -> store.create(AssistantSpec.of("counted", "Counted")));
        assertThat(created.statements()).isEqualTo(2);
        Assistant a = created.result();
        assertThat(store.get(a.id())).contains(a);
        StatementCounter.Counted<AssistantRevision> published = StatementCounter.count(atlas, () -> store.publish(a.id(), rev("p", Map.of("k", 1))));
        assertThat(published.statements()).isEqualTo(3);
        assertThat(store.currentRevision(a.id())).contains(published.result());
        StatementCounter.Counted<AssistantRevision> back = StatementCounter.count(atlas, () -> store.rollback(a.id(), 1, ALICE));
        assertThat(back.statements()).isEqualTo(4);
        assertThat(store.getRevision(back.result().id())).contains(back.result());
        assertThat(StatementCounter.count(atlas, () -> store.rollback(a.id(), published.result().id(), ALICE)).statements()).isEqualTo(4);
        assertThat(StatementCounter.count(atlas, () -> store.list(AssistantQuery.visibleTo(ALICE))).statements()).isEqualTo(1);
    }

    static void assertField(Executable call, String field) {
        assertThatThrownBy(call::execute).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    @DisplayName("a revisions cursor whose number no revision can have (0, negative, past Integer.MAX_VALUE) is refused on cursor, as MemoryStore.revisions refuses it")
    void forgedRevisionCursorNumbers() {
        Assistant a = bot();
        store.publish(a.id(), rev("p1", Map.of()));
        dev.atlas.jdbi.internal.sql.Cursor.Listing revs = dev.atlas.jdbi.internal.sql.Cursor.listing(
                new dev.atlas.jdbi.internal.sql.TenantId("acme"), "assistant_revisions", a.id());
        // The listing is the one the store binds: a genuine number reads.
        assertThat(store.revisions(a.id(), 2, dev.atlas.jdbi.internal.sql.Cursor.encode(revs, 1L)).items()).isEmpty();
        dev.atlas.memory.Memory m = atlas.tenant("acme").memories().create(dev.atlas.memory.NewMemory.fact(BOB, "x"));
        dev.atlas.jdbi.internal.sql.Cursor.Listing mems = dev.atlas.jdbi.internal.sql.Cursor.listing(
                new dev.atlas.jdbi.internal.sql.TenantId("acme"), "memoryRevisions", m.id());
        for (long n : new long[] {0L, -5L, Long.MAX_VALUE}) {
            assertField(() -> atlas.tenant("acme").memories().revisions(m.id(), 2, dev.atlas.jdbi.internal.sql.Cursor.encode(mems, n)), "cursor");
            assertField(() -> store.revisions(a.id(), 2, dev.atlas.jdbi.internal.sql.Cursor.encode(revs, n)), "cursor");
        }
    }

    @Test
    @DisplayName("assistants list by slug in code point order on every database, paged too, whatever the PostgreSQL database's collation")
    void assistantsInCodePointOrder() {
        Collations.natural(database, "assistants", "slug");
        for (String slug : List.of("ab", "a-c", "a_d", "aa", "a0")) {
            store.create(AssistantSpec.of(slug, "x"));
        }
        // Code point order, as SQLite's BINARY sorts: never the database's natural-language collation.
        List<String> expected = List.of("a-c", "a0", "a_d", "aa", "ab");
        assertThat(store.list(100, null).items()).extracting(Assistant::slug).containsExactlyElementsOf(expected);
        List<String> paged = new java.util.ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<Assistant> page = store.list(2, cursor);
            page.items().forEach(a -> paged.add(a.slug()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactlyElementsOf(expected);
    }

    // ---- probes: limits, deleted assistants, hostile settings ----------------------------

    /** Sets a document's revision counter directly, as after two billion publishes. */
    static void setLastRevision(dev.atlas.Atlas atlas, String table, UUID id, int n) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        db.write(h -> AdHoc.on(db, h, "UPDATE <p>" + table + " SET last_revision = :n WHERE tenant_id = 'acme' AND id = :id")
                .bind("n", n).bind("id", id).update());
    }

    @Test
    @DisplayName("definition version Integer.MAX_VALUE is reached and read back; past it update (with or without an expected version)"
            + " fails with ConflictException naming version, on both databases, and writes nothing (SQLite would read a wrapped negative"
            + " version back, PostgreSQL refuse the integer)")
    void definitionVersionsExhausted() {
        Assistant a = bot();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        db.write(h -> AdHoc.on(db, h, "UPDATE <p>assistants SET version = :n WHERE tenant_id = 'acme' AND id = :id")
                .bind("n", Integer.MAX_VALUE - 1).bind("id", a.id()).update());
        clock.advanceMicros(5);
        Assistant last = store.update(a.id(), AssistantSpec.of("support", "Last"), Integer.MAX_VALUE - 1);
        assertThat(last.version()).isEqualTo(Integer.MAX_VALUE);
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(last);
        clock.advanceMicros(5);
        List<Executable> calls = List.of(() -> store.update(a.id(), AssistantSpec.of("support", "Over")),
                () -> store.update(a.id(), AssistantSpec.of("support", "Over"), Integer.MAX_VALUE));
        for (Executable call : calls) {
            assertThatThrownBy(call::execute).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("version"))
                    .hasMessageContaining(a.id().toString());
        }
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(last);
        assertThatThrownBy(() -> store.update(a.id(), AssistantSpec.of("support", "Over"), 5))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedVersion"));
    }

    @Test
    @DisplayName("revision number Integer.MAX_VALUE is published and read back; past it publish and rollback fail with ConflictException naming number, on both databases, and write nothing")
    void revisionNumbersExhausted() {
        Assistant a = bot();
        AssistantRevision r1 = store.publish(a.id(), rev("p1", Map.of()));
        setLastRevision(atlas, "assistants", a.id(), Integer.MAX_VALUE - 1);
        clock.advanceMicros(5);
        AssistantRevision last = store.publish(a.id(), rev("last", Map.of("n", 1)));
        assertThat(last.number()).isEqualTo(Integer.MAX_VALUE);
        assertThat(store.getRevision(a.id(), Integer.MAX_VALUE)).contains(last);
        assertThat(store.currentRevision(a.id())).contains(last);
        Assistant before = store.get(a.id()).orElseThrow();
        clock.advanceMicros(5);
        List<Executable> calls = List.of(() -> store.publish(a.id(), rev("over", Map.of())),
                () -> store.publish(a.id(), rev("over", Map.of()).expectedRevision(Integer.MAX_VALUE)), () -> store.rollback(a.id(), 1, BOB),
                () -> store.rollback(a.id(), r1.id(), BOB));
        for (Executable call : calls) {
            assertThatThrownBy(call::execute).isInstanceOfSatisfying(ConflictException.class,
                    e -> assertThat(e.field()).isEqualTo("number"));
        }
        assertThat(store.get(a.id()).orElseThrow()).isEqualTo(before);
        assertThat(store.revisions(a.id())).containsExactly(r1, last);
    }

    @Test
    @DisplayName("a deleted assistant's revisions stay readable through every revision read (by id, by number, history, diff); it has no current revision and takes no new ones; a new assistant with its slug starts at 1")
    void revisionsAfterDelete() {
        Assistant a = bot();
        AssistantRevision r1 = store.publish(a.id(), rev("p1", Map.of("tone", "warm")));
        AssistantRevision r2 = store.publish(a.id(), rev("p2", Map.of("tone", "dry", "extra", 1)));
        AssistantRevision r3 = store.rollback(a.id(), 1, BOB);
        RevisionDiff diff = store.diff(a.id(), 1, 2);
        store.delete(a.id());

        assertThat(store.getRevision(r2.id())).contains(r2);
        assertThat(store.getRevision(a.id(), 3)).contains(r3);
        assertThat(store.revisions(a.id())).containsExactly(r1, r2, r3);
        assertThat(store.diff(a.id(), 1, 2)).isEqualTo(diff);
        assertThatThrownBy(() -> store.diff(a.id(), 1, 4)).isInstanceOf(NotFoundException.class);
        assertThat(store.currentRevision(a.id())).isEmpty();
        assertThatThrownBy(() -> store.rollback(a.id(), 1, BOB)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.rollback(a.id(), r1.id(), BOB)).isInstanceOf(NotFoundException.class);

        Assistant again = store.create(AssistantSpec.of("support-bot", "Second life"));
        AssistantRevision fresh = store.publish(again.id(), rev("new", Map.of()));
        assertThat(fresh.number()).isEqualTo(1);
        assertThat(store.revisions(again.id())).containsExactly(fresh);
        assertThat(store.revisions(a.id())).containsExactly(r1, r2, r3);

        assertThat(other.getRevision(a.id(), 1)).isEmpty();
        assertThat(other.getRevision(r1.id())).isEmpty();
        assertThatThrownBy(() -> other.revisions(a.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.diff(a.id(), 1, 2)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.revisions(UUID.randomUUID())).isInstanceOf(NotFoundException.class);

        // Paged: oldest first by number, a cursor bound to the tenant and the assistant.
        Page<AssistantRevision> first = store.revisions(a.id(), 2, null);
        assertThat(first.items()).containsExactly(r1, r2);
        String next = first.nextCursor().orElseThrow();
        assertThat(store.revisions(a.id(), 2, next)).isEqualTo(new Page<>(List.of(r3), java.util.Optional.empty()));
        assertThat(store.revisions(a.id(), 3, null)).isEqualTo(new Page<>(List.of(r1, r2, r3), java.util.Optional.empty()));
        assertThat(store.revisions(a.id(), dev.atlas.Limits.MAX_PAGE_SIZE, null).items()).containsExactly(r1, r2, r3);
        AssistantRevision fresh2 = store.publish(again.id(), rev("new 2", Map.of()));
        Page<AssistantRevision> one = store.revisions(again.id(), 1, null);
        assertThat(one.items()).containsExactly(fresh);
        AssistantRevision fresh3 = store.publish(again.id(), rev("new 3", Map.of()));
        Page<AssistantRevision> two = store.revisions(again.id(), 1, one.nextCursor().orElseThrow());
        assertThat(two.items()).containsExactly(fresh2);
        assertThat(store.revisions(again.id(), 1, two.nextCursor().orElseThrow())).isEqualTo(new Page<>(List.of(fresh3), java.util.Optional.empty()));
        assertField(() -> store.revisions(again.id(), 2, next), "cursor");
        assertField(() -> store.revisions(a.id(), 2, "bm90IGEgY3Vyc29y"), "cursor");
        assertField(() -> store.revisions(a.id(), 0, null), "limit");
        assertField(() -> store.revisions(a.id(), dev.atlas.Limits.MAX_PAGE_SIZE + 1, null), "limit");
        assertField(() -> store.revisions(null, 2, null), "assistantId");
        assertField(() -> other.revisions(a.id(), 2, next), "cursor");
        UUID unknown = UUID.randomUUID();
        String missing = org.assertj.core.api.Assertions.catchThrowable(() -> store.revisions(unknown, 2, null)).getMessage();
        assertThatThrownBy(() -> other.revisions(a.id(), 2, null)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage(missing.replace(unknown.toString(), a.id().toString()));
    }

    @Test
    @DisplayName("settings of exactly the 262,144-character JSON limit round-trip; one more character, a self-containing map, NaN or a NUL is an InvalidInputException naming settings and nothing is written")
    void hugeAndInvalidSettings() {
        Assistant a = bot();
        // {"k":"…"} is the value plus 8 characters.
        Map<String, Object> biggest = Map.of("k", "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - 8));
        AssistantRevision r = store.publish(a.id(), NewRevision.of("p", biggest));
        assertThat(store.getRevision(r.id()).orElseThrow().settings()).isEqualTo(biggest);

        Map<String, Object> self = new java.util.HashMap<>();
        self.put("self", self);
        List<Executable> bad = List.of(
                () -> store.publish(a.id(), NewRevision.of("p", Map.of("k", "x".repeat(dev.atlas.Limits.MAX_METADATA_LENGTH - 7)))),
                () -> store.publish(a.id(), NewRevision.of("p", self)),
                () -> store.publish(a.id(), NewRevision.of("p", Map.of("t", Double.NaN))),
                () -> store.publish(a.id(), NewRevision.of("p", Map.of("nul", "a\u0000b"))));
        for (Executable call : bad) {
            assertField(call, "settings");
        }
        assertThat(store.revisions(a.id())).containsExactly(r);
        assertThat(store.get(a.id()).orElseThrow().lastRevisionNumber()).isEqualTo(1);
    }

    @Test
    @DisplayName("settings whose nested keys would write one JSON key twice (1 and \"1\") are refused naming settings key (keys must be"
            + " Strings, 0.2), and nothing is published: JSON would keep only one of the values")
    void settingsKeysCollidingAsJsonAreRefused() {
        Assistant a = bot();
        Map<Object, Object> nested = new java.util.LinkedHashMap<>();
        nested.put(1, "one as a number");
        nested.put("1", "one as a string");
        assertField(() -> store.publish(a.id(), NewRevision.of("p", Map.of("limits", nested))), "settings key");
        assertThatThrownBy(() -> store.publish(a.id(), NewRevision.of("p", Map.of("limits", nested))))
                .hasMessage("settings key: the map at limits has a key of type java.lang.Integer; keys must be Strings");
        assertField(() -> store.create(AssistantSpec.of("colliding", "Colliding").metadata(Map.of("m", nested))), "metadata key");
        assertThat(store.revisions(a.id())).isEmpty();
        assertThat(store.getBySlug("colliding")).isEmpty();
    }

    @Test
    @DisplayName("two Atlas instances on one database publishing to one assistant at once get distinct numbers 1..n without gaps, and every revision reads back as published")
    void concurrentPublishFromTwoInstances() throws Exception {
        Assistant a = bot();
        AssistantStore second = reopen(b -> b).tenant("acme").assistants();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<AssistantRevision>>> futures = new ArrayList<>();
            for (AssistantStore s : List.of(store, second)) {
                futures.add(pool.submit(() -> {
                    List<AssistantRevision> mine = new ArrayList<>();
                    for (int i = 0; i < 25; i++) {
                        mine.add(s.publish(a.id(), NewRevision.of((s == store ? "first " : "second ") + i, Map.of("i", i))));
                    }
                    return mine;
                }));
            }
            List<AssistantRevision> all = new ArrayList<>();
            for (Future<List<AssistantRevision>> f : futures) {
                all.addAll(f.get());
            }
            assertThat(all).extracting(AssistantRevision::number).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 50).boxed().toList());
            for (AssistantRevision r : all) {
                assertThat(store.getRevision(a.id(), r.number()).orElseThrow()).isEqualTo(r);
            }
        } finally {
            pool.shutdown();
        }
        assertThat(store.get(a.id()).orElseThrow().lastRevisionNumber()).isEqualTo(50);
    }

    @Test
    @DisplayName("publish with expectedRevision applies only while the assistant's latest revision is that number (0 before the first):"
            + " a stale one is a ConflictException naming expectedRevision and the number it is at, writing nothing; of 8 publishes from"
            + " two instances expecting the same revision exactly one wins")
    void publishExpectingARevision() throws Exception {
        Assistant a = bot();
        assertThat(store.publish(a.id(), rev("one", Map.of()).expectedRevision(0)).number()).isEqualTo(1);
        assertThatThrownBy(() -> store.publish(a.id(), rev("stale", Map.of("x", 1)).expectedRevision(0)))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"))
                .hasMessageContaining("is at revision 1, not 0");
        assertThat(store.revisions(a.id())).extracting(AssistantRevision::systemPrompt).containsExactly("one");
        assertThat(store.get(a.id()).orElseThrow().lastRevisionNumber()).isEqualTo(1);

        AssistantStore second = reopen(b -> b).tenant("acme").assistants();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                AssistantStore s = t % 2 == 0 ? store : second;
                String prompt = "edit " + t;
                futures.add(pool.submit(() -> {
                    try {
                        outcomes.add("published " + s.publish(a.id(), rev(prompt, Map.of()).expectedRevision(1)).number());
                    } catch (ConflictException e) {
                        outcomes.add("conflict " + e.field());
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(outcomes).containsExactlyInAnyOrder("published 2", "conflict expectedRevision", "conflict expectedRevision",
                "conflict expectedRevision", "conflict expectedRevision", "conflict expectedRevision", "conflict expectedRevision",
                "conflict expectedRevision");
        assertThat(store.revisions(a.id())).extracting(AssistantRevision::number).containsExactly(1, 2);

        // A rollback moves the latest number too; an expectation is checked against it.
        store.rollback(a.id(), 1, BOB);
        assertThatThrownBy(() -> store.publish(a.id(), rev("stale", Map.of()).expectedRevision(2))).isInstanceOf(ConflictException.class);
        assertThat(store.publish(a.id(), rev("four", Map.of()).expectedRevision(3)).number()).isEqualTo(4);

        assertField(() -> NewRevision.of("p", Map.of()).expectedRevision(-1), "expectedRevision");
        assertThat(NewRevision.of("p", Map.of()).expectedRevision()).isNull();
        Assistant foreign = other.create(AssistantSpec.of("foreign-bot", "Foreign"));
        assertThatThrownBy(() -> store.publish(foreign.id(), rev("x", Map.of()).expectedRevision(0))).isInstanceOf(NotFoundException.class);
        store.delete(a.id());
        assertThatThrownBy(() -> store.publish(a.id(), rev("x", Map.of()).expectedRevision(4))).isInstanceOf(NotFoundException.class);
        assertThat(other.revisions(foreign.id())).isEmpty();
    }

    @Test
    @DisplayName("rollback with an expected revision applies only while the latest revision is that number, by number or by id: a stale"
            + " one is a ConflictException naming expectedRevision, nothing written; of 8 rollbacks from two instances expecting the same"
            + " revision exactly one wins; a negative one is refused before any write")
    void rollbackExpectingARevision() throws Exception {
        Assistant a = bot();
        AssistantRevision one = store.publish(a.id(), rev("one", Map.of("tone", "warm")));
        store.publish(a.id(), rev("two", Map.of("tone", "cold")));
        AssistantRevision back = store.rollback(a.id(), 1, BOB, 2);
        assertThat(back).returns(3, AssistantRevision::number).returns(RevisionKind.ROLLBACK, AssistantRevision::kind)
                .returns(one.id(), AssistantRevision::rolledBackToId).returns("one", AssistantRevision::systemPrompt);
        assertThatThrownBy(() -> store.rollback(a.id(), 2, BOB, 2))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"))
                .hasMessageContaining("is at revision 3, not 2");
        assertThatThrownBy(() -> store.rollback(a.id(), one.id(), BOB, 2))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"));
        assertField(() -> store.rollback(a.id(), 1, BOB, -1), "expectedRevision");
        assertField(() -> store.rollback(a.id(), one.id(), BOB, -1), "expectedRevision");
        assertThatThrownBy(() -> store.rollback(a.id(), 9, BOB, 3)).isInstanceOf(NotFoundException.class);
        assertThat(store.revisions(a.id())).extracting(AssistantRevision::number).containsExactly(1, 2, 3);
        assertThat(store.rollback(a.id(), store.getRevision(a.id(), 2).orElseThrow().id(), BOB, 3))
                .returns(4, AssistantRevision::number).returns("two", AssistantRevision::systemPrompt);

        AssistantStore second = reopen(b -> b).tenant("acme").assistants();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<String> outcomes = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                AssistantStore s = t % 2 == 0 ? store : second;
                futures.add(pool.submit(() -> {
                    try {
                        outcomes.add("rolled back " + s.rollback(a.id(), 1, null, 4).number());
                    } catch (ConflictException e) {
                        outcomes.add("conflict " + e.field());
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(outcomes).containsExactlyInAnyOrder("rolled back 5", "conflict expectedRevision", "conflict expectedRevision",
                "conflict expectedRevision", "conflict expectedRevision", "conflict expectedRevision", "conflict expectedRevision",
                "conflict expectedRevision");
        assertThat(store.currentRevision(a.id()).orElseThrow()).returns(5, AssistantRevision::number).returns("one", AssistantRevision::systemPrompt);
        Assistant foreign = other.create(AssistantSpec.of("foreign-bot", "Foreign"));
        other.publish(foreign.id(), rev("theirs", Map.of()));
        assertThatThrownBy(() -> store.rollback(foreign.id(), 1, BOB, 1)).isInstanceOf(NotFoundException.class);
        assertThat(other.revisions(foreign.id())).hasSize(1);
    }

    @Test
    @DisplayName("revisions are immutable as documented: the settings (nested maps and lists included) and metadata a store returns refuse"
            + " changes, so no caller can alter what a later diff or equals sees")
    void returnedDocumentsAreUnmodifiable() {
        Assistant a = store.create(AssistantSpec.of("support-bot", "Support bot").metadata(Map.of("team", Map.of("name", "care"))));
        Map<String, Object> settings = Map.of("tone", "warm", "deep", Map.of("list", List.of(1, Map.of("k", "v"))));
        AssistantRevision published = store.publish(a.id(), rev("p", settings));
        List<AssistantRevision> reads = List.of(published, store.getRevision(a.id(), 1).orElseThrow(),
                store.getRevision(published.id()).orElseThrow(), store.currentRevision(a.id()).orElseThrow(), store.revisions(a.id()).get(0),
                store.rollback(a.id(), 1, BOB));
        for (AssistantRevision r : reads) {
            assertUnmodifiable(r.settings());
            assertThat(r.settings()).isEqualTo(settings);
        }
        for (Assistant read : List.of(a, store.get(a.id()).orElseThrow(), store.list(10, null).items().get(0))) {
            assertUnmodifiable(read.metadata());
        }
    }

    /** The map and every map and list within it refuse changes. */
    @SuppressWarnings("unchecked")
    static void assertUnmodifiable(Object json) {
        if (json instanceof Map<?, ?> m) {
            assertThatThrownBy(() -> ((Map<String, Object>) m).put("added", 1)).isInstanceOf(UnsupportedOperationException.class);
            m.values().forEach(AssistantStoreContract::assertUnmodifiable);
        } else if (json instanceof List<?> l) {
            assertThatThrownBy(() -> ((List<Object>) l).add(1)).isInstanceOf(UnsupportedOperationException.class);
            l.forEach(AssistantStoreContract::assertUnmodifiable);
        }
    }

    @Test
    @DisplayName("publishes racing a delete: every publish before it gets its own number 1..n, every one after it is NotFoundException, and the kept history is exactly the successful ones")
    void publishesRacingDelete() throws Exception {
        Assistant a = bot();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(4);
        List<Future<List<Integer>>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Integer> numbers = new ArrayList<>();
                    for (int i = 0; i < 30; i++) {
                        try {
                            numbers.add(store.publish(a.id(), NewRevision.of("t" + thread + " i" + i, Map.of("i", i))).number());
                        } catch (NotFoundException gone) {
                            // deleted: no later publish of this thread may succeed either
                        }
                        if (i == 2) {
                            started.countDown();
                        }
                    }
                    return numbers;
                }));
            }
            started.await();
            store.delete(a.id());
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : futures) {
                List<Integer> mine = f.get();
                assertThat(mine).isSorted();
                all.addAll(mine);
            }
            Collections.sort(all);
            assertThat(all).containsExactlyElementsOf(IntStream.rangeClosed(1, all.size()).boxed().toList());
            assertThat(store.revisions(a.id())).extracting(AssistantRevision::number).containsExactlyElementsOf(all);
            assertThat(store.get(a.id())).isEmpty();
            assertThatThrownBy(() -> store.publish(a.id(), rev("late", Map.of()))).isInstanceOf(NotFoundException.class);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @DisplayName("a system prompt of exactly 1,048,576 UTF-16 units of 4-byte characters round-trips byte-exact, also through a rollback; one unit more is an InvalidInputException naming systemPrompt")
    void hugePrompt() {
        Assistant a = bot();
        String prompt = "\uD83D\uDE00".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH / 2);
        AssistantRevision r = store.publish(a.id(), NewRevision.of(prompt, Map.of()));
        store.publish(a.id(), NewRevision.of("short", Map.of()));
        AssistantRevision back = store.rollback(a.id(), 1, BOB);
        assertThat(store.getRevision(r.id()).orElseThrow().systemPrompt()).isEqualTo(prompt);
        assertThat(store.currentRevision(a.id()).orElseThrow().systemPrompt()).isEqualTo(prompt);
        assertThat(back.systemPrompt()).isEqualTo(prompt);
        assertField(() -> NewRevision.of(prompt + "x", Map.of()), "systemPrompt");
    }

    @Test
    @DisplayName("SQLite: an assistant whose updated_at is stored as text ('12abc') or a fraction of a microsecond refuses a publish with"
            + " UnreadableRowException naming assistants, its id and updated_at (it named no table nor row), and nothing is written")
    void publishOverAnUnreadableUpdateTimeNamesTheRow() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Assistant text = bot();
        Assistant fraction = store.create(AssistantSpec.of("other-bot", "Other bot"));
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_assistants SET updated_at = '12abc' WHERE id = '" + text.id() + "'")).isEqualTo(1);
            // Half a microsecond after the clock's now: the bump keeps it, as it is later.
            assertThat(s.executeUpdate("UPDATE atlas_assistants SET updated_at = updated_at + 0.5 WHERE id = '" + fraction.id() + "'"))
                    .isEqualTo(1);
        }
        for (Assistant a : List.of(text, fraction)) {
            for (Executable call : List.<Executable>of(() -> store.publish(a.id(), rev("p", Map.of())),
                    () -> store.publish(a.id(), rev("p", Map.of()).expectedRevision(0)))) {
                Throwable thrown = catchThrowable(call::execute);
                assertThat(thrown).isInstanceOf(dev.atlas.UnreadableRowException.class).hasMessageContaining("updated_at");
                assertThat(((dev.atlas.UnreadableRowException) thrown).table()).isEqualTo("assistants");
                assertThat(((dev.atlas.UnreadableRowException) thrown).rowId()).isEqualTo(a.id().toString());
            }
            assertThat(store.revisions(a.id())).isEmpty();
        }
    }
}
