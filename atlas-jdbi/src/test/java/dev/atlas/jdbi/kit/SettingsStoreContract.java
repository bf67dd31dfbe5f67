package dev.atlas.jdbi.kit;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsRevision;
import dev.atlas.assistant.SettingsStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Settings that need no assistant (seed 001), versioned like assistants, on every database. */
public abstract class SettingsStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");

    protected SettingsStore store;
    protected SettingsStore other;

    protected SettingsStoreContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").settings();
        other = atlas.tenant("globex").settings();
    }

    @Test
    @DisplayName("a settings document is created without an assistant and reads back by id and slug with no revision")
    void createAndGet() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        assertThat(s).returns("acme", Settings::tenantId).returns("plain-chat", Settings::slug).returns("Plain chat", Settings::name)
                .returns(ALICE, Settings::owner).returns(null, Settings::currentRevisionId).returns(0, Settings::currentRevisionNumber)
                .returns(0, Settings::lastRevisionNumber).returns(clock.instant(), Settings::createdAt);
        assertThat(store.get(s.id())).contains(s);
        assertThat(store.require(s.id())).isEqualTo(s);
        assertThat(store.getBySlug("plain-chat")).contains(s);
        assertThat(store.currentRevision(s.id())).isEmpty();
        assertThat(store.revisions(s.id())).isEmpty();
        assertThat(store.create("tenant-wide", "Tenant wide", null).owner()).isNull();
    }

    @Test
    @DisplayName("publish with an expected revision applies only while the latest revision is that number (0 before the first): a stale"
            + " one is a ConflictException naming expectedRevision, nothing written; of 6 publishes from two instances expecting the same"
            + " revision exactly one wins; a negative one is an InvalidInputException before any write")
    void publishExpectingARevision() throws Exception {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        assertThat(store.publish(s.id(), Map.of("model", "a"), "v1", ALICE, 0).number()).isEqualTo(1);
        assertThatThrownBy(() -> store.publish(s.id(), Map.of("model", "stale"), null, BOB, 0))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"))
                .hasMessageContaining("is at revision 1, not 0");
        assertThatThrownBy(() -> store.publish(s.id(), Map.of(), null, BOB, -1))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"));
        SettingsStore second = reopen(b -> b).tenant("acme").settings();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<String> outcomes = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                SettingsStore writer = t % 2 == 0 ? store : second;
                String model = "m" + t;
                futures.add(pool.submit(() -> {
                    try {
                        outcomes.add("published " + writer.publish(s.id(), Map.of("model", model), null, null, 1).number());
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
                "conflict expectedRevision", "conflict expectedRevision", "conflict expectedRevision");
        assertThat(store.revisions(s.id())).extracting(SettingsRevision::number).containsExactly(1, 2);
        Settings foreign = other.create("plain-chat", "Theirs", null);
        assertThatThrownBy(() -> store.publish(foreign.id(), Map.of(), null, null, 0)).isInstanceOf(NotFoundException.class);
        assertThat(other.revisions(foreign.id())).isEmpty();
    }

    @Test
    @DisplayName("settings revisions are immutable as documented: their values (nested maps and lists included) refuse changes")
    void returnedValuesAreUnmodifiable() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        Map<String, Object> values = Map.of("model", "gpt-4o", "deep", Map.of("list", List.of(1, Map.of("k", "v"))));
        SettingsRevision published = store.publish(s.id(), values, null, null);
        for (SettingsRevision r : List.of(published, store.getRevision(s.id(), 1).orElseThrow(), store.currentRevision(s.id()).orElseThrow(),
                store.revisions(s.id()).get(0), store.rollback(s.id(), 1, BOB))) {
            AssistantStoreContract.assertUnmodifiable(r.values());
            assertThat(r.values()).isEqualTo(values);
        }
    }

    @Test
    @DisplayName("publishing numbers revisions 1, 2, 3, moves the current pointer, and values read back exactly")
    void publish() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        SettingsRevision v1 = store.publish(s.id(), Map.of("model", "gpt-4o", "temperature", 0.7, "max_tokens", 512), "v1", ALICE);
        clock.advanceMicros(1);
        SettingsRevision v2 = store.publish(s.id(), Map.of("model", "gpt-4o-mini", "tools", List.of("search")), null, null);
        assertThat(v1).returns(1, SettingsRevision::number).returns(RevisionKind.PUBLISHED, SettingsRevision::kind)
                .returns("v1", SettingsRevision::label).returns(ALICE, SettingsRevision::author).returns(s.id(), SettingsRevision::settingsId)
                .returns(null, SettingsRevision::rolledBackToId).returns(0, SettingsRevision::rolledBackToNumber);
        assertThat(v1.values()).isEqualTo(Map.of("model", "gpt-4o", "temperature", 0.7, "max_tokens", 512));
        assertThat(v2).returns(2, SettingsRevision::number).returns(null, SettingsRevision::label).returns(null, SettingsRevision::author);
        assertThat(store.currentRevision(s.id())).contains(v2);
        assertThat(store.get(s.id()).orElseThrow()).returns(v2.id(), Settings::currentRevisionId).returns(2, Settings::currentRevisionNumber)
                .returns(2, Settings::lastRevisionNumber);
        assertThat(store.getRevision(s.id(), 1)).contains(v1);
        assertThat(store.getRevision(s.id(), 3)).isEmpty();
        assertThat(store.revisions(s.id())).containsExactly(v1, v2);
        assertThat(store.publish(s.id(), null, null, null).values()).isEqualTo(Map.of());
    }

    @Test
    @DisplayName("a slug differing only in case or normalization is refused naming slug; value keys differing only so are distinct, each read back byte-exact on every database")
    void caseAndNormalizationAreDistinct() {
        String nfc = "caf\u00e9";
        String nfd = "cafe\u0301";
        Settings lower = store.create("chat", "lower", ALICE);
        // Slugs are lower case by rule, so no two can differ only in case.
        for (String slug : List.of("Chat", nfc, nfd)) {
            assertThatThrownBy(() -> store.create(slug, "x", ALICE)).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                    e -> assertThat(e.field()).isEqualTo("slug"));
        }
        assertThat(store.list(null, 100, null).items()).containsExactly(lower);
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("model", "a");
        values.put("Model", "b");
        values.put("MODEL", "c");
        values.put(nfc, "nfc");
        values.put(nfd, "nfd");
        values.put("\u212B", "angstrom sign");
        values.put("\u00C5", "A with ring");
        SettingsRevision r = store.publish(lower.id(), values, null, null);
        assertThat(r.values()).isEqualTo(values);
        assertThat(store.currentRevision(lower.id()).orElseThrow().values()).isEqualTo(values).containsEntry(nfd, "nfd")
                .containsEntry(nfc, "nfc").hasSize(7);
        assertThat(store.rollback(lower.id(), 1, null).values()).isEqualTo(values);
    }

    @Test
    @DisplayName("rollback appends a copy of the earlier revision's values, makes it current, and names what it copies")
    void rollback() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        SettingsRevision v1 = store.publish(s.id(), Map.of("model", "gpt-4o", "nested", Map.of("a", List.of(1, 2))), "v1", ALICE);
        store.publish(s.id(), Map.of("model", "o3"), "v2", ALICE);
        SettingsRevision back = store.rollback(s.id(), 1, BOB);
        assertThat(back).returns(3, SettingsRevision::number).returns(RevisionKind.ROLLBACK, SettingsRevision::kind)
                .returns(v1.id(), SettingsRevision::rolledBackToId).returns(1, SettingsRevision::rolledBackToNumber)
                .returns(v1.values(), SettingsRevision::values).returns(BOB, SettingsRevision::author)
                .returns("rollback to 1", SettingsRevision::label);
        assertThat(store.currentRevision(s.id())).contains(back);
        assertThat(store.revisions(s.id())).extracting(SettingsRevision::number).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> store.rollback(s.id(), 9, BOB)).isInstanceOf(NotFoundException.class);
        assertThat(store.revisions(s.id())).hasSize(3);
        Page<SettingsRevision> first = store.revisions(s.id(), 2, null);
        assertThat(first.items()).extracting(SettingsRevision::number).containsExactly(1, 2);
        assertThat(store.revisions(s.id(), 2, first.nextCursor().orElseThrow()))
                .isEqualTo(new Page<>(List.of(back), java.util.Optional.empty()));
        Settings another = store.create("another", "Another", ALICE);
        AssistantStoreContract.assertField(() -> store.revisions(another.id(), 2, first.nextCursor().orElseThrow()), "cursor");
        AssistantStoreContract.assertField(() -> store.revisions(s.id(), 0, null), "limit");
        AssistantStoreContract.assertField(() -> store.revisions(null, 2, null), "settingsId");
        // A number no revision can have is refused, not read as a position before or past every revision.
        dev.atlas.jdbi.internal.sql.Cursor.Listing revs = dev.atlas.jdbi.internal.sql.Cursor.listing(
                new dev.atlas.jdbi.internal.sql.TenantId("acme"), "settings_revisions", s.id());
        assertThat(store.revisions(s.id(), 2, dev.atlas.jdbi.internal.sql.Cursor.encode(revs, (long) Integer.MAX_VALUE)).items()).isEmpty();
        for (long n : new long[] {0L, -5L, Integer.MAX_VALUE + 1L, Long.MAX_VALUE}) {
            AssistantStoreContract.assertField(() -> store.revisions(s.id(), 2, dev.atlas.jdbi.internal.sql.Cursor.encode(revs, n)), "cursor");
        }
        assertThat(store.revisions(another.id(), 2, null)).isEqualTo(new Page<>(List.of(), java.util.Optional.empty()));
        assertThatThrownBy(() -> other.revisions(s.id(), 2, null)).isExactlyInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.revisions(UUID.randomUUID(), 2, null)).isExactlyInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("diff compares two revisions' top-level values as assistant diff does (also after delete); bad numbers, unknown"
            + " revisions and another tenant's document are refused naming the field")
    void diff() {
        Settings s = store.create("diffed", "Diffed", ALICE);
        store.publish(s.id(), Map.of("model", "gpt-4o", "temperature", 0.7, "nested", Map.of("a", List.of(1, 2))), "v1", ALICE);
        store.publish(s.id(), Map.of("model", "gpt-4o", "top_p", 0.9, "nested", Map.of("a", List.of(1, 3))), "v2", ALICE);
        store.rollback(s.id(), 1, BOB);
        assertThat(store.diff(s.id(), 1, 2)).isEqualTo(new RevisionDiff(1, 2, Set.of("top_p"), Set.of("temperature"), Set.of("nested"), false));
        assertThat(store.diff(s.id(), 2, 1)).isEqualTo(new RevisionDiff(2, 1, Set.of("temperature"), Set.of("top_p"), Set.of("nested"), false));
        assertThat(store.diff(s.id(), 1, 3).isEmpty()).isTrue();
        assertThat(store.diff(s.id(), 2, 3)).isEqualTo(RevisionDiff.between(store.getRevision(s.id(), 2).orElseThrow(),
                store.getRevision(s.id(), 3).orElseThrow()));
        NotFoundException missing = catchThrowableOfType(NotFoundException.class, () -> store.diff(s.id(), 1, 4));
        assertThat(missing.entity()).isEqualTo("settings revision");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.diff(s.id(), 0, 1)).field()).contains("fromNumber");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.diff(s.id(), 1, -1)).field()).contains("toNumber");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.diff(null, 1, 1)).field()).contains("settingsId");
        Settings theirs = other.create("theirs", "Theirs", ALICE);
        other.publish(theirs.id(), Map.of("a", 1), null, null);
        for (UUID id : List.of(theirs.id(), UUID.randomUUID())) {
            assertThat(catchThrowableOfType(NotFoundException.class, () -> store.diff(id, 1, 1)).entity()).isEqualTo("settings");
        }
        store.delete(s.id());
        assertThat(store.diff(s.id(), 1, 2).changed()).containsExactly("nested");
    }

    @Test
    @DisplayName("rollback with an expected revision applies only while the latest revision is that number: a stale one is a"
            + " ConflictException naming expectedRevision, nothing written; a negative one is refused before any write")
    void rollbackExpectingARevision() {
        Settings s = store.create("guarded", "Guarded", ALICE);
        SettingsRevision v1 = store.publish(s.id(), Map.of("model", "a"), "v1", ALICE);
        store.publish(s.id(), Map.of("model", "b"), "v2", ALICE);
        assertThat(store.rollback(s.id(), 1, BOB, 2)).returns(3, SettingsRevision::number).returns(v1.values(), SettingsRevision::values)
                .returns(RevisionKind.ROLLBACK, SettingsRevision::kind);
        assertThatThrownBy(() -> store.rollback(s.id(), 2, BOB, 2))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expectedRevision"))
                .hasMessageContaining("is at revision 3, not 2");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> store.rollback(s.id(), 1, BOB, -1)).field())
                .isEqualTo("expectedRevision");
        assertThat(store.revisions(s.id())).extracting(SettingsRevision::number).containsExactly(1, 2, 3);
        assertThat(store.currentRevision(s.id()).orElseThrow().number()).isEqualTo(3);
        Settings theirs = other.create("guarded", "Theirs", null);
        other.publish(theirs.id(), Map.of(), null, null);
        assertThatThrownBy(() -> store.rollback(theirs.id(), 1, BOB, 1)).isInstanceOf(NotFoundException.class);
        assertThat(other.revisions(theirs.id())).hasSize(1);
    }

    @Test
    @DisplayName("statements run: publish 3 and rollback 4, as for assistants; create 2")
    void statementCounts() {
        StatementCounter.Counted<Settings> created = StatementCounter.count(atlas, () -> store.create("counted", "Counted", ALICE));
        assertThat(created.statements()).isEqualTo(2);
        assertThat(store.get(created.result().id())).contains(created.result());
        StatementCounter.Counted<SettingsRevision> v1 = StatementCounter.count(atlas, () -> store.publish(created.result().id(), Map.of("k", 1), "v1", ALICE));
        assertThat(v1.statements()).isEqualTo(3);
        assertThat(store.currentRevision(created.result().id())).contains(v1.result());
        StatementCounter.Counted<SettingsRevision> back = StatementCounter.count(atlas, () -> store.rollback(created.result().id(), 1, BOB));
        assertThat(back.statements()).isEqualTo(4);
        assertThat(store.revisions(created.result().id())).containsExactly(v1.result(), back.result());
    }

    @Test
    @DisplayName("8 threads publishing 10 revisions each get numbers 1 to 80 without gaps or repeats")
    void concurrentPublish() throws Exception {
        Settings s = store.create("busy", "Busy", null);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Integer>>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    List<Integer> numbers = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        numbers.add(store.publish(s.id(), Map.of("t", thread, "i", i), null, null).number());
                    }
                    return numbers;
                }));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> f : futures) {
                all.addAll(f.get(120, TimeUnit.SECONDS));
            }
            assertThat(all).containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, 80).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.get(s.id()).orElseThrow().currentRevisionNumber()).isEqualTo(80);
    }

    @Test
    @DisplayName("a slug is unique among live settings; delete frees it, hides the document and keeps its revisions readable")
    void slugAndDelete() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        SettingsRevision v1 = store.publish(s.id(), Map.of("model", "gpt-4o"), null, null);
        assertThatThrownBy(() -> store.create("plain-chat", "Again", BOB)).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.getMessage()).contains("slug"));
        assertThat(other.create("plain-chat", "Other tenant", ALICE).slug()).isEqualTo("plain-chat");
        store.delete(s.id());
        assertThat(store.get(s.id())).isEmpty();
        assertThat(store.getBySlug("plain-chat")).isEmpty();
        assertThat(store.currentRevision(s.id())).isEmpty();
        assertThat(store.getRevision(s.id(), 1)).contains(v1);
        assertThatThrownBy(() -> store.publish(s.id(), Map.of(), null, null)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> store.delete(s.id())).isInstanceOf(NotFoundException.class);
        assertThat(store.create("plain-chat", "Reused", ALICE).id()).isNotEqualTo(s.id());
    }

    @Test
    @DisplayName("rename gives a live settings document a new slug and name, keeping its id, owner and revisions; the old slug is free;"
            + " a taken slug is a ConflictException naming slug, nothing written; unknown, deleted and another tenant's ids are NotFoundException")
    void rename() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        store.publish(s.id(), Map.of("model", "a"), "v1", ALICE);
        Settings taken = store.create("taken", "Taken", null);
        clock.advanceMicros(10);
        Settings renamed = store.rename(s.id(), "chat-defaults", "Chat defaults");
        assertThat(renamed).returns(s.id(), Settings::id).returns("chat-defaults", Settings::slug).returns("Chat defaults", Settings::name)
                .returns(ALICE, Settings::owner).returns(1, Settings::currentRevisionNumber).returns(s.createdAt(), Settings::createdAt)
                .returns(clock.instant(), Settings::updatedAt);
        assertThat(store.get(s.id())).contains(renamed);
        assertThat(store.getBySlug("chat-defaults")).contains(renamed);
        assertThat(store.getBySlug("plain-chat")).isEmpty();
        assertThat(store.currentRevision(s.id()).orElseThrow().values()).isEqualTo(Map.of("model", "a"));
        assertThat(store.create("plain-chat", "New", null).slug()).isEqualTo("plain-chat");
        // the same slug, a new name only
        assertThat(store.rename(s.id(), "chat-defaults", "Defaults").name()).isEqualTo("Defaults");

        assertThatThrownBy(() -> store.rename(s.id(), "taken", "x"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("slug"));
        assertThat(store.get(s.id()).orElseThrow().slug()).isEqualTo("chat-defaults");
        assertThat(store.get(taken.id())).contains(taken);
        AssistantStoreContract.assertField(() -> store.rename(s.id(), "Bad Slug", "x"), "slug");
        AssistantStoreContract.assertField(() -> store.rename(s.id(), "ok", " "), "name");
        AssistantStoreContract.assertField(() -> store.rename(s.id(), "ok", "x".repeat(100_000)), "name");
        AssistantStoreContract.assertField(() -> store.rename((UUID) null, "ok", "x"), "settingsId");
        Settings foreign = other.create("foreign", "Foreign", null);
        assertThatThrownBy(() -> store.rename(foreign.id(), "stolen", "x")).isExactlyInstanceOf(NotFoundException.class)
                .hasMessageNotContaining("globex");
        assertThat(other.get(foreign.id())).contains(foreign);
        assertThatThrownBy(() -> store.rename(UUID.randomUUID(), "stolen", "x")).isInstanceOf(NotFoundException.class);
        store.delete(taken.id());
        assertThatThrownBy(() -> store.rename(taken.id(), "revived", "x")).isInstanceOf(NotFoundException.class);
        assertThat(store.getBySlug("revived")).isEmpty();
        // The id is checked before the slug: an unknown, deleted or foreign id given a slug another document
        // of the tenant holds is the same NotFoundException on the id, never a ConflictException naming the holder.
        UUID nowhere = UUID.randomUUID();
        for (UUID id : List.of(nowhere, taken.id(), foreign.id())) {
            assertThatThrownBy(() -> store.rename(id, "plain-chat", "x")).isExactlyInstanceOf(NotFoundException.class)
                    .hasMessage("settings " + id + " not found");
        }
        assertThatThrownBy(() -> other.rename(s.id(), "foreign", "x")).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("settings " + s.id() + " not found");
        assertThat(store.get(s.id()).orElseThrow().slug()).isEqualTo("chat-defaults");
        assertThat(other.get(foreign.id())).contains(foreign);
    }

    @Test
    @DisplayName("rename from a read document applies only while it still has the slug and name read: a stale one is a ConflictException"
            + " naming expected and writes nothing; a publish in between does not conflict; of two editors renaming from one read"
            + " (two Atlas instances) exactly one wins; another tenant's or a deleted document is NotFoundException")
    void renameExpectingWhatWasRead() throws Exception {
        Settings read = store.create("plain-chat", "Plain chat", ALICE);
        store.publish(read.id(), Map.of("model", "a"), "v1", ALICE);
        Settings renamed = store.rename(read, "plain-chat", "Chat");
        assertThat(renamed).returns("Chat", Settings::name).returns(1, Settings::currentRevisionNumber);
        assertThatThrownBy(() -> store.rename(read, "chat-defaults", "Plain chat"))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("expected"))
                .hasMessage("expected: settings " + read.id() + " was renamed since it was read (it is 'plain-chat' now); read it again");
        assertThat(store.get(read.id())).contains(renamed);
        Settings byHand = store.create("by-hand", "By hand", null);
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_settings SET slug = ? WHERE tenant_id = 'acme' AND slug = 'by-hand'")) {
            ps.setString(1, "by-hand\nERROR \u001b[31m");
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        assertThatThrownBy(() -> store.rename(byHand, "by-hand-2", "By hand")).isInstanceOf(ConflictException.class)
                .hasMessage("expected: settings " + byHand.id() + " was renamed since it was read (it is 'by-hand\\u000aERROR \\u001b[31m' now);"
                        + " read it again");
        assertThat(store.getBySlug("chat-defaults")).isEmpty();
        store.publish(read.id(), Map.of("model", "b"), "v2", ALICE);
        assertThat(store.rename(renamed, "chat-defaults", "Chat").slug()).isEqualTo("chat-defaults");
        AssistantStoreContract.assertField(() -> store.rename((Settings) null, "ok", "x"), "expected");
        AssistantStoreContract.assertField(() -> store.rename(renamed, "Bad Slug", "x"), "slug");

        SettingsStore second = reopen(b -> b).tenant("acme").settings();
        for (int round = 0; round < 4; round++) {
            Settings doc = store.create("doc-" + round, "Doc", null);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            try {
                List<Future<String>> editors = new ArrayList<>();
                for (SettingsStore s : List.of(store, second)) {
                    editors.add(pool.submit(() -> {
                        go.await();
                        try {
                            return s.rename(doc, doc.slug(), s == store ? "First" : "Second").name();
                        } catch (ConflictException e) {
                            return "conflict " + e.field();
                        }
                    }));
                }
                go.countDown();
                List<String> outcomes = List.of(editors.get(0).get(30, TimeUnit.SECONDS), editors.get(1).get(30, TimeUnit.SECONDS));
                assertThat(outcomes).contains("conflict expected").containsAnyOf("First", "Second");
                assertThat(store.require(doc.id()).name()).isEqualTo(outcomes.get(0).startsWith("conflict") ? "Second" : "First");
            } finally {
                pool.shutdown();
            }
        }

        Settings foreign = other.create("foreign", "Foreign", null);
        assertThatThrownBy(() -> store.rename(foreign, "stolen", "x")).isExactlyInstanceOf(NotFoundException.class)
                .hasMessageNotContaining("globex");
        assertThat(other.get(foreign.id())).contains(foreign);
        Settings gone = store.create("gone", "Gone", null);
        store.delete(gone.id());
        assertThatThrownBy(() -> store.rename(gone, "revived", "Gone")).isInstanceOf(NotFoundException.class);
        assertThat(store.getBySlug("revived")).isEmpty();
    }

    @Test
    @DisplayName("rename from a caller-built document without an id, slug or name is an InvalidInputException naming expected"
            + " and writes nothing; never a NotFoundException on a null id nor a ConflictException saying it was renamed")
    void renameFromADocumentMissingIdSlugOrName() {
        Settings read = store.create("plain-chat", "Plain chat", ALICE);
        java.util.function.BiFunction<UUID, String[], Settings> built = (id, slugAndName) -> new Settings(id, "acme", slugAndName[0],
                slugAndName[1], ALICE, null, 0, 0, read.createdAt(), read.updatedAt());
        List<Settings> malformed = List.of(
                built.apply(null, new String[] {"plain-chat", "Plain chat"}),
                built.apply(read.id(), new String[] {null, "Plain chat"}),
                built.apply(read.id(), new String[] {"plain-chat", null}));
        for (Settings expected : malformed) {
            assertThatThrownBy(() -> store.rename(expected, "renamed", "Renamed"))
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .hasMessage("expected: must be a settings document as read from this store; its id, slug and name are required")
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("expected"));
        }
        assertThat(store.get(read.id())).contains(read);
        assertThat(store.getBySlug("renamed")).isEmpty();
    }

    @Test
    @DisplayName("a publish or rollback from an instance whose clock runs an hour behind dates its revision no earlier than the"
            + " document's last change: revisions in number order are in time order, none before the document was created")
    void laggingClockNeverDatesARevisionBack() {
        Settings s = store.create("lag", "Lag", ALICE);
        java.time.Instant created = s.createdAt();
        SettingsStore lagging = reopen(b -> b.clock(new MutableClock(created.minus(java.time.Duration.ofHours(1))))).tenant("acme").settings();
        assertThat(lagging.publish(s.id(), Map.of("model", "a"), null, null).createdAt()).isEqualTo(created);
        clock.advanceMicros(5);
        java.time.Instant later = clock.instant();
        assertThat(store.rename(s.id(), "lag", "Lagging").updatedAt()).isEqualTo(later);
        assertThat(lagging.publish(s.id(), Map.of("model", "b"), null, null).createdAt()).isEqualTo(later);
        assertThat(lagging.rollback(s.id(), 1, ALICE).createdAt()).isEqualTo(later);
        assertThat(store.revisions(s.id())).extracting(SettingsRevision::createdAt).containsExactly(created, later, later);
    }

    @Test
    @DisplayName("a rename or publish from an instance whose clock runs an hour behind is applied and never moves updatedAt back (before"
            + " createdAt, even)")
    void laggingClockNeverMovesUpdatedAtBack() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        java.time.Instant created = s.createdAt();
        SettingsStore lagging = reopen(b -> b.clock(new MutableClock(created.minus(java.time.Duration.ofHours(1))))).tenant("acme").settings();
        Settings renamed = lagging.rename(s.id(), "chat", "Chat");
        assertThat(renamed).returns("chat", Settings::slug).returns(created, Settings::createdAt).returns(created, Settings::updatedAt);
        lagging.publish(s.id(), Map.of("model", "a"), null, null);
        assertThat(store.require(s.id())).returns(1, Settings::currentRevisionNumber).returns(created, Settings::updatedAt);
        clock.advanceMicros(7);
        assertThat(store.rename(s.id(), "chat", "Chat 2").updatedAt()).isEqualTo(created.plusNanos(7_000));
        assertThat(lagging.rename(s.id(), "chat", "Chat 3").updatedAt()).isEqualTo(created.plusNanos(7_000));
    }

    @Test
    @DisplayName("settings values of every JSON kind (numbers as doubles and exact integers, -0.0 as 0.0, nulls, empty and nested containers,"
            + " JSON-looking and line-separator text) read back equal to what publish returned, keys in one order on both databases, also"
            + " through rollback and diff")
    void jsonEdgeValuesReadBackEqual() {
        Map<String, Object> given = new java.util.LinkedHashMap<>();
        Map<String, Object> expected = new java.util.LinkedHashMap<>();
        Object[][] pairs = {
                {"tenth", 0.1, 0.1}, {"negativeZero", -0.0, 0.0}, {"decimal", new java.math.BigDecimal("0.10"), 0.1},
                {"exponent", new java.math.BigDecimal("1E+5"), 100000.0}, {"max", Double.MAX_VALUE, Double.MAX_VALUE},
                {"int", 42, 42}, {"long", Long.MAX_VALUE, Long.MAX_VALUE},
                {"big", new java.math.BigInteger("123456789012345678901234567890"), new java.math.BigInteger("123456789012345678901234567890")},
                {"text", "{\"a\":1}\u2028\u2029\r\n\t\\", "{\"a\":1}\u2028\u2029\r\n\t\\"}, {"empty", "", ""},
                {"emptyMap", Map.of(), Map.of()}, {"emptyList", List.of(), List.of()}, {"bool", false, false},
                // Every Java number kind comes back as the same Integer, Long, BigInteger or Double on both databases (jsonb
                // would print 1E+20 as 100000000000000000000, an integer), and keys of any script in one order.
                {"zz", 1e20, 1e20}, {"e20", new java.math.BigDecimal("1E+20"), 1e20}, {"min", Double.MIN_VALUE, Double.MIN_VALUE},
                {"\u00e9", -1.5e-7, -1.5e-7}, {"\uD83D\uDE00", 100.0, 100.0}, {"B", Long.MIN_VALUE, Long.MIN_VALUE}, {"f", 3.5f, 3.5},
                {"sh", (short) 7, 7}, {"neg", new java.math.BigInteger("-123456789012345678901234567890"),
                        new java.math.BigInteger("-123456789012345678901234567890")}, {"bom", "\uFEFF\uFFFF", "\uFEFF\uFFFF"}};
        for (Object[] p : pairs) {
            given.put((String) p[0], p[1]);
            expected.put((String) p[0], p[2]);
        }
        given.put("null", null);
        expected.put("null", null);
        given.put("list", java.util.Arrays.asList(1, null, List.of(Map.of("x", -0.0))));
        expected.put("list", java.util.Arrays.asList(1, null, List.of(Map.of("x", 0.0))));
        given.put("", "empty key");
        expected.put("", "empty key");
        Settings s = store.create("json", "JSON", null);
        SettingsRevision published = store.publish(s.id(), given, null, null);
        assertThat(published.values()).isEqualTo(expected);
        assertThat(store.currentRevision(s.id())).contains(published);
        // Byte-exact: the same keys in the same order (jsonb's: shortest in UTF-8 first, then by bytes) on both databases.
        assertThat(store.currentRevision(s.id()).orElseThrow().values()).hasToString(published.values().toString());
        assertThat(published.values().keySet()).containsExactly("", "B", "f", "sh", "zz", "\u00e9", "big", "bom", "e20", "int",
                "max", "min", "neg", "bool", "list", "long", "null", "text", "\uD83D\uDE00", "empty", "tenth", "decimal", "emptyMap",
                "exponent", "emptyList", "negativeZero");
        store.publish(s.id(), Map.of(), null, null);
        assertThat(store.rollback(s.id(), 1, null).values()).isEqualTo(expected);
        assertThat(store.diff(s.id(), 1, 3).isEmpty()).isTrue();
    }

    @Test
    @DisplayName("two documents renamed to one slug at once from two Atlas instances: exactly one gets it, the other is a ConflictException naming slug")
    void concurrentRenamesToOneSlug() throws Exception {
        SettingsStore second = reopen(b -> b).tenant("acme").settings();
        for (int round = 0; round < 5; round++) {
            Settings a = store.create("a-" + round, "A", null);
            Settings b = store.create("b-" + round, "B", null);
            String target = "target-" + round;
            ExecutorService pool = Executors.newFixedThreadPool(2);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            try {
                Future<String> fa = pool.submit(() -> {
                    go.await();
                    try {
                        return store.rename(a.id(), target, "A").slug();
                    } catch (ConflictException e) {
                        return "conflict " + e.field();
                    }
                });
                Future<String> fb = pool.submit(() -> {
                    go.await();
                    try {
                        return second.rename(b.id(), target, "B").slug();
                    } catch (ConflictException e) {
                        return "conflict " + e.field();
                    }
                });
                go.countDown();
                assertThat(List.of(fa.get(30, TimeUnit.SECONDS), fb.get(30, TimeUnit.SECONDS))).containsExactlyInAnyOrder(target, "conflict slug");
            } finally {
                pool.shutdown();
            }
            assertThat(store.getBySlug(target).orElseThrow().id()).isIn(a.id(), b.id());
        }
    }

    @Test
    @DisplayName("list pages live settings by slug, for one owner or all")
    void list() {
        for (String slug : List.of("e", "a", "d", "b", "c")) {
            store.create(slug, slug.toUpperCase(), slug.compareTo("c") < 0 ? ALICE : BOB);
        }
        store.delete(store.create("f", "F", ALICE).id());
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<Settings> p = store.list(null, 2, cursor);
            p.items().forEach(x -> seen.add(x.slug()));
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(seen).containsExactly("a", "b", "c", "d", "e");
        assertThat(store.list(ALICE, 50, null).items()).extracting(Settings::slug).containsExactly("a", "b");
        assertThat(store.list(BOB, 50, null).items()).extracting(Settings::slug).containsExactly("c", "d", "e");
    }

    @Test
    @DisplayName("another tenant's settings ids behave exactly like unknown ids through every call")
    void tenantIsolation() {
        Settings theirs = other.create("secret", "Secret", ALICE);
        SettingsRevision rev = other.publish(theirs.id(), Map.of("model", "x"), null, null);
        for (UUID id : List.of(theirs.id(), UUID.randomUUID())) {
            assertThat(store.get(id)).isEmpty();
            assertThatThrownBy(() -> store.require(id)).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo("settings"));
            assertThat(store.currentRevision(id)).isEmpty();
            assertThat(store.getRevision(id, 1)).isEmpty();
            assertThatThrownBy(() -> store.revisions(id)).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo("settings"));
            assertThatThrownBy(() -> store.publish(id, Map.of(), null, null)).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo("settings"));
            assertThatThrownBy(() -> store.rollback(id, 1, null)).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo("settings"));
            assertThatThrownBy(() -> store.delete(id)).isInstanceOfSatisfying(NotFoundException.class,
                    e -> assertThat(e.entity()).isEqualTo("settings"));
        }
        assertThat(store.getBySlug("secret")).isEmpty();
        assertThat(store.list(ALICE, 50, null).items()).isEmpty();
        assertThat(other.currentRevision(theirs.id())).contains(rev);
        assertThat(other.revisions(theirs.id())).containsExactly(rev);
    }


    @Test
    @DisplayName("settings list by slug in code point order on every database, whatever the PostgreSQL database's collation")
    void settingsInCodePointOrder() {
        Collations.natural(database, "settings", "slug");
        for (String slug : List.of("ab", "a-c", "a_d", "aa", "a0")) {
            store.create(slug, "x", null);
        }
        // Code point order, as SQLite's BINARY sorts: never the database's natural-language collation.
        assertThat(store.list(null, 100, null).items()).extracting(Settings::slug).containsExactly("a-c", "a0", "a_d", "aa", "ab");
        assertThat(store.list(null, 2, store.list(null, 2, null).nextCursor().orElseThrow()).items()).extracting(Settings::slug)
                .containsExactly("a_d", "aa");
    }

    @Test
    @DisplayName("deleted settings keep their whole history readable (by number and as a list), have no current revision, and take none; another tenant sees none of it")
    void revisionsAfterDelete() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        SettingsRevision v1 = store.publish(s.id(), Map.of("model", "gpt-4o"), null, null);
        SettingsRevision v2 = store.rollback(s.id(), 1, BOB);
        store.delete(s.id());
        assertThat(store.getRevision(s.id(), 2)).contains(v2);
        assertThat(store.revisions(s.id())).containsExactly(v1, v2);
        assertThat(store.currentRevision(s.id())).isEmpty();
        assertThatThrownBy(() -> store.rollback(s.id(), 1, BOB)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.revisions(s.id())).isInstanceOf(NotFoundException.class);
        assertThat(other.getRevision(s.id(), 1)).isEmpty();
    }

    @Test
    @DisplayName("settings revision Integer.MAX_VALUE is the last: the next publish or rollback is a ConflictException naming number and writes nothing")
    void revisionNumbersExhausted() {
        Settings s = store.create("plain-chat", "Plain chat", ALICE);
        AssistantStoreContract.setLastRevision(atlas, "settings", s.id(), Integer.MAX_VALUE - 1);
        SettingsRevision last = store.publish(s.id(), Map.of("v", 1), null, null);
        assertThat(last.number()).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> store.publish(s.id(), Map.of("v", 2), null, null)).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("number"));
        assertThatThrownBy(() -> store.rollback(s.id(), Integer.MAX_VALUE, null)).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.field()).isEqualTo("number"));
        assertThat(store.revisions(s.id())).containsExactly(last);
        assertThat(store.currentRevision(s.id())).contains(last);
    }

    @Test
    @DisplayName("6 concurrent creates of one slug: exactly one document, every other call a ConflictException naming slug")
    void concurrentCreateOfOneSlug() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<String>> results = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                results.add(pool.submit(() -> {
                    try {
                        store.create("same", "Same", ALICE);
                        return "created";
                    } catch (ConflictException e) {
                        return "conflict:" + e.field();
                    }
                }));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : results) {
                outcomes.add(f.get());
            }
            assertThat(outcomes).filteredOn("created"::equals).hasSize(1);
            assertThat(outcomes).filteredOn(o -> !o.equals("created")).hasSize(5).allMatch("conflict:slug"::equals);
        } finally {
            pool.shutdown();
        }
        assertThat(store.list(null, 10, null).items()).extracting(Settings::slug).containsExactly("same");
    }

    @Test
    @DisplayName("values nested beyond the JSON depth limit, NaN or infinite numbers, NUL or a lone surrogate in a key, value or label, or"
            + " a number beyond double range are InvalidInputException naming values (label: label); nothing is published")
    void badValuesAreRefusedBeforeAnyWrite() {
        Settings s = store.create("probe", "Probe", ALICE);
        Object deep = "leaf";
        for (int i = 0; i < 2_000; i++) {
            deep = List.of(deep);
        }
        Map<String, Object> huge = Map.of("n", new java.math.BigDecimal("1e400"));
        List<Map<String, ?>> bad = List.of(Map.of("deep", deep), Map.of("nan", Double.NaN), Map.of("inf", Double.NEGATIVE_INFINITY),
                Map.of("fnan", Float.NaN), Map.of("a\u0000b", 1), Map.of("k", "x\ud800"), Map.of("k", List.of("\u0000")),
                huge);
        List<String> outcomes = new ArrayList<>();
        for (Map<String, ?> values : bad) {
            Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> store.publish(s.id(), values, null, null));
            outcomes.add(values.keySet() + " " + (t instanceof dev.atlas.InvalidInputException e ? e.field() : String.valueOf(t)));
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).contains("] values"));
        assertThatThrownBy(() -> store.publish(s.id(), Map.of(), "l\udc00", null))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("label"));
        assertThat(store.require(s.id()).lastRevisionNumber()).isZero();
        assertThat(store.revisions(s.id())).isEmpty();
    }

    @Test
    @DisplayName("a delete from an instance whose clock runs an hour behind stamps deleted_at and updated_at no earlier than the document's"
            + " last change")
    void laggingClockDeleteNeverDatesBack() {
        Settings s = store.create("lag-delete", "Lag", ALICE);
        clock.advanceMicros(5);
        store.publish(s.id(), Map.of("model", "a"), null, null);
        java.time.Instant changed = store.require(s.id()).updatedAt();
        reopen(b -> b.clock(new MutableClock(changed.minus(java.time.Duration.ofHours(1))))).tenant("acme").settings().delete(s.id());
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        long datedBack = db.read(h -> AdHoc.on(db, h, "SELECT COUNT(*) FROM <p>settings WHERE id = :id AND (deleted_at < updated_at"
                + " OR updated_at < created_at OR deleted_at < created_at)").bind("id", s.id()).one(dev.atlas.jdbi.internal.sql.Sql.LONG));
        long deletedAtChange = db.read(h -> AdHoc.on(db, h, "SELECT COUNT(*) FROM <p>settings WHERE id = :id AND deleted_at = updated_at"
                + " AND deleted_at = :changed").bind("id", s.id()).bind("changed", changed).one(dev.atlas.jdbi.internal.sql.Sql.LONG));
        assertThat(datedBack).isZero();
        assertThat(deletedAtChange).isOne();
    }
}
