package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryRevision;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The behaviour every {@link MemoryStore} implementation must have, on every database. */
public abstract class MemoryStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");

    protected MemoryStore memories;
    protected MemoryStore other;

    protected MemoryStoreContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        memories = atlas.tenant("acme").memories();
        other = atlas.tenant("globex").memories();
    }

    @Test
    @DisplayName("an added memory reads back with every field as written, tags sorted, at revision 1")
    void addReadsBack() {
        Provenance p = provenance(atlas.tenant("acme"));
        UUID conversation = p.conversation();
        UUID message = p.message();
        UUID toolCall = p.toolCall();
        Instant expiry = Instant.parse("2027-01-01T00:00:00.000001Z");
        Memory m = memories.create(NewMemory.preference(ALICE, "Prefers email over phone").agent("support").tags("contact", "channel")
                .metadata(Map.of("source", "chat", "n", 3)).importance(0.8).from(conversation, message).toolCall(toolCall)
                .expiresAt(expiry));
        Memory read = memories.require(m.id());
        assertThat(read).isEqualTo(m);
        assertThat(read.owner()).isEqualTo(ALICE);
        assertThat(read.agent()).isEqualTo("support");
        assertThat(read.kind()).isEqualTo(MemoryKind.PREFERENCE);
        assertThat(read.tags()).containsExactly("channel", "contact");
        assertThat(read.metadata()).containsEntry("source", "chat").containsEntry("n", 3);
        assertThat(read.importance()).isEqualTo(0.8);
        assertThat(read.conversationId()).isEqualTo(conversation);
        assertThat(read.messageId()).isEqualTo(message);
        assertThat(read.toolCallId()).isEqualTo(toolCall);
        assertThat(read.expiresAt()).isEqualTo(expiry);
        assertThat(read.revision()).isEqualTo(1);
        assertThat(read.createdAt()).isEqualTo(clock.instant());
    }

    @Test
    @DisplayName("a client key makes create idempotent: same key, owner, agent, kind and content return the first memory;"
            + " other ones are ConflictException on clientKey; deleting or expiring frees the key; keys are per tenant and exact")
    void clientKeyMakesCreateIdempotent() {
        NewMemory first = NewMemory.preference(ALICE, "Prefers email").agent("support").tags("contact").clientKey("k-1");
        Memory m = memories.create(first);
        clock.set(clock.instant().plusSeconds(1));
        // The retry returns the stored memory; fields other than owner, agent, kind and content are not compared.
        assertThat(memories.create(first)).isEqualTo(m);
        assertThat(memories.create(first.tags("other").importance(0.9))).isEqualTo(m);
        assertThat(memories.list(MemoryQuery.all()).items()).containsExactly(m);
        for (NewMemory differs : List.of(NewMemory.preference(ALICE, "Prefers phone").agent("support"),
                NewMemory.preference(BOB, "Prefers email").agent("support"), NewMemory.preference(ALICE, "Prefers email"),
                NewMemory.fact(ALICE, "Prefers email").agent("support"))) {
            assertThat(catchThrowableOfType(dev.atlas.ConflictException.class, () -> memories.create(differs.clientKey("k-1"))).field())
                    .isEqualTo("clientKey");
        }
        // Updated since: a retry of the original create is still the same create.
        Memory updated = memories.update(m.id(), MemoryPatch.content("Prefers SMS"));
        assertThat(memories.create(first)).isEqualTo(updated);
        // As for messages' clientId: the current content matches too.
        assertThat(memories.create(NewMemory.preference(ALICE, "Prefers SMS").agent("support").clientKey("k-1"))).isEqualTo(updated);
        memories.update(m.id(), MemoryPatch.content("Prefers fax"));
        assertThat(catchThrowableOfType(dev.atlas.ConflictException.class,
                () -> memories.create(NewMemory.preference(ALICE, "Prefers SMS").agent("support").clientKey("k-1"))).field())
                .isEqualTo("clientKey");
        assertThat(memories.create(first).content()).isEqualTo("Prefers fax");
        // Exact keys, per tenant.
        Memory upper = memories.create(first.clientKey("K-1"));
        assertThat(upper.id()).isNotEqualTo(m.id());
        Memory elsewhere = other.create(first);
        assertThat(elsewhere.id()).isNotEqualTo(m.id());
        assertThat(other.create(first)).isEqualTo(elsewhere);
        // Deleting frees the key.
        memories.delete(m.id());
        Memory again = memories.create(first);
        assertThat(again.id()).isNotEqualTo(m.id());
        assertThat(memories.create(first)).isEqualTo(again);
        // An expired memory is invisible: it frees the key too.
        Memory expiring = memories.create(NewMemory.fact(ALICE, "code 1234").expiresAt(clock.instant().plusSeconds(5)).clientKey("k-2"));
        clock.set(clock.instant().plusSeconds(5));
        Memory fresh = memories.create(NewMemory.fact(ALICE, "code 1234").clientKey("k-2"));
        assertThat(fresh.id()).isNotEqualTo(expiring.id());
        assertThat(memories.create(NewMemory.fact(ALICE, "code 1234").clientKey("k-2"))).isEqualTo(fresh);
        // Any storable key of up to 255 characters works, injection text and astral characters included.
        for (String odd : List.of("'; DROP TABLE memories; --", "\uD83D\uDE42".repeat(127), "x".repeat(dev.atlas.Limits.MAX_KEY_LENGTH),
                "a\u001fb\\s", "\u202Eevil")) {
            Memory made = memories.create(NewMemory.fact(ALICE, "odd key").clientKey(odd));
            assertThat(memories.create(NewMemory.fact(ALICE, "odd key").clientKey(odd))).isEqualTo(made);
        }
        // A bad key is refused before any write.
        int before = memories.list(MemoryQuery.all().limit(1000)).items().size();
        for (String bad : List.of("", " ", "a\u0000b", "x".repeat(dev.atlas.Limits.MAX_KEY_LENGTH + 1), "\ud800")) {
            invalid("clientKey", () -> memories.create(NewMemory.fact(ALICE, "x").clientKey(bad)));
        }
        assertThat(memories.list(MemoryQuery.all().limit(1000)).items()).hasSize(before);
    }

    @Test
    @DisplayName("concurrent creates with one client key from two Atlas instances store one memory; a different content conflicts;"
            + " the key of a memory expiring at that instant is taken once, by a new memory")
    void concurrentCreatesWithOneClientKey() throws Exception {
        MemoryStore second = reopen(b -> b.clock(clock)).tenant("acme").memories();
        for (int round = 0; round < 3; round++) {
            String key = "race-" + round;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Object>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    MemoryStore s = t % 2 == 0 ? memories : second;
                    String content = t == 7 ? "different" : "the memory";
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            return s.create(NewMemory.fact(ALICE, content).clientKey(key));
                        } catch (dev.atlas.ConflictException e) {
                            return e.field();
                        }
                    }));
                }
                go.countDown();
                List<Object> outcomes = new ArrayList<>();
                for (java.util.concurrent.Future<Object> f : futures) {
                    outcomes.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
                List<UUID> ids = outcomes.stream().filter(o -> o instanceof Memory).map(o -> ((Memory) o).id()).distinct().toList();
                assertThat(ids).hasSize(1);
                Memory winner = memories.require(ids.get(0));
                long conflicts = outcomes.stream().filter("clientKey"::equals).count();
                assertThat(conflicts).isEqualTo(winner.content().equals("the memory") ? 1 : 7);
            } finally {
                pool.shutdown();
            }
        }
        assertThat(memories.list(MemoryQuery.all()).items()).hasSize(3);
        // The key of a memory expiring at this very instant is free: creates racing from both instances take it once.
        Memory expired = memories.create(NewMemory.fact(ALICE, "the memory").clientKey("race-expired").expiresAt(clock.instant().plusSeconds(1)));
        clock.set(clock.instant().plusSeconds(1));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        try {
            List<java.util.concurrent.Future<Memory>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                MemoryStore s = t % 2 == 0 ? memories : second;
                futures.add(pool.submit(() -> {
                    go.await();
                    return s.create(NewMemory.fact(ALICE, "the memory").clientKey("race-expired"));
                }));
            }
            go.countDown();
            Set<UUID> ids = new HashSet<>();
            for (java.util.concurrent.Future<Memory> f : futures) {
                ids.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS).id());
            }
            assertThat(ids).hasSize(1).doesNotContain(expired.id());
            assertThat(memories.get(expired.id())).isEmpty();
            assertThat(memories.list(MemoryQuery.all()).items()).hasSize(4);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @DisplayName("updates and deletes of one memory racing from two instances: each update succeeds or is NotFoundException on the"
            + " memory, the delete succeeds once, the revisions are exactly the successful content changes")
    void concurrentUpdatesAndDelete() throws Exception {
        MemoryStore second = reopen(b -> b.clock(clock)).tenant("acme").memories();
        for (int round = 0; round < 3; round++) {
            Memory m = memories.create(NewMemory.fact(ALICE, "start " + round));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    MemoryStore s = t % 2 == 0 ? memories : second;
                    int n = t;
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            if (n == 5 || n == 6) {
                                s.delete(m.id());
                                return "deleted";
                            }
                            s.update(m.id(), MemoryPatch.content("content " + n));
                            return "updated";
                        } catch (NotFoundException e) {
                            return "not found " + e.id();
                        }
                    }));
                }
                go.countDown();
                List<String> outcomes = new ArrayList<>();
                for (java.util.concurrent.Future<String> f : futures) {
                    outcomes.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
                assertThat(outcomes).isSubsetOf("updated", "deleted", "not found " + m.id());
                assertThat(outcomes).filteredOn("deleted"::equals).hasSize(1);
                assertThat(memories.get(m.id())).isEmpty();
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    @DisplayName("an application-defined kind round-trips")
    void customKind() {
        Memory m = memories.create(NewMemory.of(ALICE, MemoryKind.of("shipping-address"), "12 Main St"));
        assertThat(memories.require(m.id()).kind().value()).isEqualTo("shipping-address");
    }

    @Test
    @DisplayName("listing by owner returns newest first and keyset pages visit every memory exactly once")
    void listPages() {
        List<UUID> added = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            added.add(memories.create(NewMemory.fact(ALICE, "fact " + i)).id());
            clock.advanceMicros(1);
        }
        memories.create(NewMemory.fact(BOB, "bob's"));
        List<UUID> seen = new ArrayList<>();
        MemoryQuery q = MemoryQuery.forOwner(ALICE).limit(3);
        Page<Memory> page = memories.list(q);
        seen.addAll(page.items().stream().map(Memory::id).toList());
        while (page.hasMore()) {
            page = memories.list(q.after(page.nextCursor().orElseThrow()));
            seen.addAll(page.items().stream().map(Memory::id).toList());
        }
        Collections.reverse(added);
        assertThat(seen).containsExactlyElementsOf(added);
    }

    @Test
    @DisplayName("an agent filter includes the owner's global memories; agentOnly excludes them")
    void agentScope() {
        Memory global = memories.create(NewMemory.fact(ALICE, "global"));
        Memory support = memories.create(NewMemory.fact(ALICE, "support only").agent("support"));
        memories.create(NewMemory.fact(ALICE, "sales only").agent("sales"));
        assertThat(ids(memories.list(MemoryQuery.forOwner(ALICE).agent("support")))).containsExactlyInAnyOrder(global.id(), support.id());
        assertThat(ids(memories.list(MemoryQuery.forOwner(ALICE).agentOnly("support")))).containsExactly(support.id());
    }

    @Test
    @DisplayName("kind and tag filters select only matching memories")
    void kindAndTag() {
        Memory a = memories.create(NewMemory.preference(ALICE, "likes jazz").tags("music"));
        memories.create(NewMemory.fact(ALICE, "plays piano").tags("music"));
        memories.create(NewMemory.preference(ALICE, "likes tea").tags("food"));
        assertThat(ids(memories.list(MemoryQuery.all().kind(MemoryKind.PREFERENCE).tag("music")))).containsExactly(a.id());
        assertThat(ids(memories.list(MemoryQuery.all().tag("music")))).hasSize(2);
        assertThat(ids(memories.list(MemoryQuery.all().tag("nothing")))).isEmpty();
    }

    @Test
    @DisplayName("tags are exact strings on both databases: no case folding, no trimming")
    void tagsAreExact() {
        Memory upper = memories.create(NewMemory.fact(ALICE, "upper").tags("Urgent", "urgent ", "straße"));
        Memory lower = memories.create(NewMemory.fact(ALICE, "lower").tags("urgent"));
        assertThat(memories.require(upper.id())).isEqualTo(upper);
        assertThat(upper.tags()).containsExactly("Urgent", "straße", "urgent "); // Memory.tags(): code point order
        assertThat(ids(memories.list(MemoryQuery.all().tag("urgent")))).containsExactly(lower.id());
        assertThat(ids(memories.list(MemoryQuery.all().tag("Urgent")))).containsExactly(upper.id());
        assertThat(ids(memories.list(MemoryQuery.all().tag("urgent ")))).containsExactly(upper.id());
        assertThat(ids(memories.list(MemoryQuery.all().tag("STRASSE")))).isEmpty();
        assertThat(ids(memories.list(MemoryQuery.all().tag("Straße")))).isEmpty();
    }

    @Test
    @DisplayName("a content change bumps the revision and keeps the previous content in the trail")
    void revisionTrail() {
        Memory m = memories.create(NewMemory.fact(ALICE, "v1"));
        clock.advanceMicros(5);
        memories.update(m.id(), MemoryPatch.content("v2"));
        Memory v3 = memories.update(m.id(), MemoryPatch.content("v3"));
        assertThat(v3.revision()).isEqualTo(3);
        assertThat(v3.content()).isEqualTo("v3");
        List<MemoryRevision> trail = memories.revisions(m.id());
        assertThat(trail).extracting(MemoryRevision::content).containsExactly("v1", "v2");
        assertThat(trail).extracting(MemoryRevision::revision).containsExactly(1, 2);
        assertThat(trail.get(0).replacedAt()).isEqualTo(clock.instant());
    }

    @Test
    @DisplayName("revisions page oldest first, byte-exact, in pages of the limit whose cursors end on the last page; a bad"
            + " cursor or limit is refused naming the field, another tenant's memory is not found")
    void revisionsInPages() {
        Memory m = memories.create(NewMemory.fact(ALICE, "r1 \u00E9\uD83D\uDE00"));
        for (String content : List.of("r2 'quoted'", "r3 \u4E2D\u6587", "r4", "r5", "r6")) {
            clock.set(clock.instant().plusSeconds(1));
            memories.update(m.id(), MemoryPatch.content(content));
        }
        List<MemoryRevision> all = memories.revisions(m.id());
        assertThat(all).extracting(MemoryRevision::content).containsExactly("r1 \u00E9\uD83D\uDE00", "r2 'quoted'", "r3 \u4E2D\u6587", "r4", "r5");
        List<List<Integer>> pages = new ArrayList<>();
        List<MemoryRevision> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<MemoryRevision> page = memories.revisions(m.id(), 2, cursor);
            pages.add(page.items().stream().map(MemoryRevision::revision).toList());
            seen.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(pages).containsExactly(List.of(1, 2), List.of(3, 4), List.of(5));
        assertThat(seen).isEqualTo(all);
        assertThat(memories.revisions(m.id(), 5, null).nextCursor()).isEmpty();
        String second = memories.revisions(m.id(), 2, null).nextCursor().orElseThrow();
        memories.create(NewMemory.fact(ALICE, "another"));
        String listCursor = memories.list(MemoryQuery.all().limit(1)).nextCursor().orElseThrow();
        for (String bad : List.of("garbage", "", listCursor, "x".repeat(2_000))) {
            assertThat(catchThrowableOfType(InvalidInputException.class, () -> memories.revisions(m.id(), 2, bad)).field())
                    .as(bad).isEqualTo("cursor");
        }
        for (int limit : new int[] {0, -1, 1001}) {
            assertThat(catchThrowableOfType(InvalidInputException.class, () -> memories.revisions(m.id(), limit, null)).field())
                    .isEqualTo("limit");
        }
        assertThatThrownBy(() -> other.revisions(m.id(), 2, null)).isInstanceOf(NotFoundException.class);
        // acme's cursor in globex, even for the same memory id: refused on cursor, as with an id globex never had.
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> other.revisions(m.id(), 2, second)).field()).isEqualTo("cursor");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> other.revisions(UUID.randomUUID(), 2, second)).field()).isEqualTo("cursor");
        assertThatThrownBy(() -> memories.revisions(null, 2, null)).isInstanceOf(InvalidInputException.class);
    }

    @Test
    @DisplayName("a patch without a content change updates tags, metadata, importance and expiry but adds no revision")
    void patchWithoutContent() {
        Memory m = memories.create(NewMemory.fact(ALICE, "same").tags("a"));
        Instant expiry = clock.instant().plus(Duration.ofDays(1));
        Memory u = memories.update(m.id(), MemoryPatch.content("same").tags("b", "c").metadata(Map.of("k", "v")).importance(0.1)
                .expiresAt(expiry));
        assertThat(u.revision()).isEqualTo(1);
        assertThat(u.tags()).containsExactly("b", "c");
        assertThat(u.metadata()).containsEntry("k", "v");
        assertThat(u.importance()).isEqualTo(0.1);
        assertThat(u.expiresAt()).isEqualTo(expiry);
        assertThat(memories.revisions(m.id())).isEmpty();
        assertThat(memories.update(m.id(), MemoryPatch.none().neverExpires()).expiresAt()).isNull();
        assertThat(ids(memories.list(MemoryQuery.all().tag("a")))).isEmpty();
    }

    @Test
    @DisplayName("a deleted memory disappears from get, list and revisions, and cannot be deleted twice")
    void deleteHides() {
        Memory m = memories.create(NewMemory.fact(ALICE, "secret"));
        memories.delete(m.id());
        assertThat(memories.get(m.id())).isEmpty();
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        assertThatThrownBy(() -> memories.revisions(m.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> memories.delete(m.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> memories.update(m.id(), MemoryPatch.content("x"))).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("an expired memory is invisible to every read before any cleanup runs")
    void expiredInvisible() {
        Memory m = memories.create(NewMemory.fact(ALICE, "temporary").expiresAt(clock.instant().plusSeconds(60)));
        assertThat(memories.get(m.id())).isPresent();
        clock.set(clock.instant().plusSeconds(60));
        assertThat(memories.get(m.id())).isEmpty();
        assertThat(memories.list(MemoryQuery.forOwner(ALICE)).items()).isEmpty();
        assertThatThrownBy(() -> memories.update(m.id(), MemoryPatch.content("x"))).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("a memory created already expired (expiresAt now or in the past) is refused naming expiresAt, and nothing is written")
    void createdExpiredIsRefused() {
        Instant now = clock.instant();
        for (Instant expiry : List.of(now, now.minusNanos(1000), now.minus(Duration.ofDays(365)))) {
            invalid("expiresAt", () -> memories.create(NewMemory.fact(ALICE, "stale").tags("t").expiresAt(expiry)));
        }
        // Below the stored precision a sub-microsecond future is still "now": refused, not stored expired.
        invalid("expiresAt", () -> memories.create(NewMemory.fact(ALICE, "stale").expiresAt(now.plusNanos(1))));
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        assertThat(atlas.tenant("acme").retention().runRetention(dev.atlas.retention.RetentionPolicy.none().dropExpiredMemories(true)
                .dryRun(true)).counts()).isEmpty();
        Memory ok = memories.create(NewMemory.fact(ALICE, "fresh").expiresAt(now.plusNanos(1000)));
        assertThat(memories.require(ok.id()).expiresAt()).isEqualTo(now.plusNanos(1000));
    }

    @Test
    @DisplayName("tags with NUL or an unpaired surrogate, or longer than the limit, are refused naming tags; emoji and the longest tags round-trip and filter exactly")
    void hostileTags() {
        invalid("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags("a\u0000b")));
        invalid("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags("\uD83D")));
        invalid("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags("t".repeat(dev.atlas.Limits.MAX_TAG_LENGTH + 1))));
        invalid("tags", () -> memories.create(NewMemory.fact(ALICE, "x").tags(" ")));
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        String longest = "\u00e9".repeat(dev.atlas.Limits.MAX_TAG_LENGTH);
        String emoji = "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67";
        Memory m = memories.create(NewMemory.fact(ALICE, "x").tags(longest, emoji, "%", "_"));
        assertThat(memories.require(m.id()).tags()).containsExactlyInAnyOrder(longest, emoji, "%", "_");
        for (String tag : List.of(longest, emoji, "%", "_")) {
            assertThat(ids(memories.list(MemoryQuery.all().tag(tag)))).as(tag).containsExactly(m.id());
        }
        assertThat(ids(memories.list(MemoryQuery.all().tag("\uD83D\uDC68")))).isEmpty();
        assertThat(ids(memories.list(MemoryQuery.all().tag("x")))).isEmpty();
    }

    @Test
    @DisplayName("another tenant's memory is not found by get, list, update, delete or revisions")
    void tenantIsolation() {
        Memory m = memories.create(NewMemory.fact(ALICE, "acme only").tags("t"));
        assertThat(other.get(m.id())).isEmpty();
        assertThat(other.list(MemoryQuery.all()).items()).isEmpty();
        assertThat(other.list(MemoryQuery.all().tag("t")).items()).isEmpty();
        assertThatThrownBy(() -> other.update(m.id(), MemoryPatch.content("x"))).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.delete(m.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.revisions(m.id())).isInstanceOf(NotFoundException.class);
        assertThat(memories.require(m.id()).content()).isEqualTo("acme only");
    }

    @Test
    @DisplayName("a stored tag today's writes refuse (blank, or longer than Limits.MAX_TAG_LENGTH: an import before its text rules"
            + " brought such tags unchecked) reads back as stored through get, list and update, which can then replace it")
    void tagsAPastImportCouldStoreStillRead() {
        Memory bad = memories.create(NewMemory.fact(ALICE, "old").tags("ok", "b", "c"));
        String blank = " ";
        String longTag = "t".repeat(dev.atlas.Limits.MAX_TAG_LENGTH + 1);
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        Map<String, String> imported = new java.util.LinkedHashMap<>();
        imported.put("b", blank);
        imported.put("c", longTag);
        for (Map.Entry<String, String> t : imported.entrySet()) {
            int changed = db.write(h -> AdHoc.on(db, h, "UPDATE <p>memory_tags SET tag = :tag WHERE tenant_id = 'acme' AND memory_id = :m"
                    + " AND tag = :from").bind("tag", t.getValue()).bind("m", bad.id()).bind("from", t.getKey()).update());
            assertThat(changed).isEqualTo(1);
        }
        List<String> stored = List.of(blank, "ok", longTag);
        assertThat(memories.require(bad.id()).tags()).isEqualTo(stored);
        assertThat(memories.list(MemoryQuery.all()).items()).singleElement().satisfies(m -> assertThat(m.tags()).isEqualTo(stored));
        assertThat(memories.list(MemoryQuery.all().tag("ok")).items()).singleElement()
                .satisfies(m -> assertThat(m.tags()).isEqualTo(stored));
        assertThat(memories.update(bad.id(), MemoryPatch.content("new")).tags()).isEqualTo(stored);
        assertThat(memories.update(bad.id(), MemoryPatch.content("new").tags("ok")).tags()).containsExactly("ok");
        assertThat(memories.require(bad.id()).tags()).containsExactly("ok");
    }

    @Test
    @DisplayName("revisions, listed or paged, is one statement: the memory's visibility and its trail read together; an unknown"
            + " id, another tenant's, a deleted or an expired memory is one NotFoundException alike")
    void revisionsIsOneStatement() {
        Memory m = memories.create(NewMemory.fact(ALICE, "v1"));
        Memory none = memories.create(NewMemory.fact(ALICE, "never edited"));
        memories.update(m.id(), MemoryPatch.content("v2"));
        assertThat(StatementCounter.count(atlas, () -> memories.revisions(m.id())).statements()).isEqualTo(1);
        assertThat(StatementCounter.count(atlas, () -> memories.revisions(m.id(), 1, null)).statements()).isEqualTo(1);
        StatementCounter.Counted<List<MemoryRevision>> empty = StatementCounter.count(atlas, () -> memories.revisions(none.id()));
        assertThat(empty.result()).isEmpty();
        assertThat(empty.statements()).isEqualTo(1);
        assertThat(memories.revisions(none.id(), 1, null).items()).isEmpty();
        String cursor = memories.revisions(m.id(), 1, null).nextCursor().orElse(null);
        assertThat(cursor).isNull();
        Memory expiring = memories.create(NewMemory.fact(ALICE, "soon").expiresAt(clock.instant().plusSeconds(1)));
        memories.update(expiring.id(), MemoryPatch.content("soon 2"));
        Memory deleted = memories.create(NewMemory.fact(ALICE, "gone"));
        memories.update(deleted.id(), MemoryPatch.content("gone 2"));
        memories.delete(deleted.id());
        clock.set(clock.instant().plusSeconds(1));
        for (UUID absent : List.of(UUID.randomUUID(), deleted.id(), expiring.id())) {
            NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> memories.revisions(absent));
            NotFoundException paged = catchThrowableOfType(NotFoundException.class, () -> memories.revisions(absent, 2, null));
            assertThat(e.getMessage()).isEqualTo("memory " + absent + " not found");
            assertThat(paged.getMessage()).isEqualTo(e.getMessage());
        }
        NotFoundException foreign = catchThrowableOfType(NotFoundException.class, () -> other.revisions(m.id()));
        assertThat(foreign.getMessage()).isEqualTo("memory " + m.id() + " not found");
        assertThat(catchThrowableOfType(NotFoundException.class, () -> other.revisions(m.id(), 2, null)).getMessage())
                .isEqualTo(foreign.getMessage());
    }

    /** Real provenance ids of one tenant: a conversation, a message in it and a tool call. */
    private record Provenance(UUID conversation, UUID message, UUID toolCall) {}

    private static Provenance provenance(Tenant t) {
        Conversation c = t.conversations().create(NewConversation.of(ALICE, "support"));
        Message m = t.conversations().append(c.id(), NewMessage.user("remember this"));
        UUID call = t.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step().toolCall("c1", "remember", "{}").id();
        return new Provenance(c.id(), m.id(), call);
    }

    @Test
    @DisplayName("another tenant's conversation, message or tool call as provenance is refused exactly like an unknown id, and nothing is written")
    void foreignProvenance() {
        Provenance mine = provenance(atlas.tenant("acme"));
        Provenance theirs = provenance(atlas.tenant("globex"));
        Map<String, java.util.function.Function<UUID, NewMemory>> fields = new java.util.LinkedHashMap<>();
        fields.put("conversation", id -> NewMemory.fact(ALICE, "x").from(id, null));
        fields.put("message", id -> NewMemory.fact(ALICE, "x").from(mine.conversation(), id));
        fields.put("tool call", id -> NewMemory.fact(ALICE, "x").from(mine.conversation(), mine.message()).toolCall(id));
        Map<String, UUID> foreign = Map.of("conversation", theirs.conversation(), "message", theirs.message(), "tool call", theirs.toolCall());
        fields.forEach((entity, memory) -> {
            UUID random = UUID.randomUUID();
            NotFoundException unknown = catchThrowableOfType(NotFoundException.class, () -> memories.create(memory.apply(random)));
            NotFoundException foreignId = catchThrowableOfType(NotFoundException.class, () -> memories.create(memory.apply(foreign.get(entity))));
            assertThat(unknown).as(entity + " unknown").isNotNull();
            assertThat(foreignId).as(entity + " foreign").isNotNull();
            String field = entity.equals("tool call") ? "toolCallId" : entity + "Id";
            assertThat(unknown.entity()).isEqualTo(entity);
            assertThat(unknown.field()).contains(field);
            assertThat(foreignId.entity()).isEqualTo(entity);
            assertThat(foreignId.field()).contains(field);
            assertThat(foreignId.getMessage()).isEqualTo(unknown.getMessage().replace(random.toString(), foreign.get(entity).toString()));
        });
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        assertThat(other.list(MemoryQuery.all()).items()).isEmpty();
        Memory ok = memories.create(NewMemory.fact(ALICE, "x").from(mine.conversation(), mine.message()).toolCall(mine.toolCall()));
        assertThat(memories.require(ok.id()).toolCallId()).isEqualTo(mine.toolCall());
    }

    @Test
    @DisplayName("the tag limit counts distinct tags: a list repeating tags is stored as its distinct ones (create and update), one"
            + " of more distinct tags than Limits.MAX_TAGS is refused naming tags with the distinct count, nothing written")
    void tagLimitCountsDistinctTags() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < dev.atlas.Limits.MAX_TAGS; i++) {
            all.add(String.format("t%02d", i));
        }
        List<String> repeated = new ArrayList<>(all);
        repeated.add("t00");
        Memory m = memories.create(NewMemory.fact(ALICE, "many tags").tags(repeated));
        assertThat(m.tags()).containsExactlyElementsOf(all);
        assertThat(memories.require(m.id())).isEqualTo(m);
        Memory one = memories.create(NewMemory.fact(ALICE, "one tag").tags(Collections.nCopies(1_000, "same")));
        assertThat(memories.require(one.id()).tags()).containsExactly("same");
        // A search filter counts distinct tags too: the 65th tag(...) repeating one is the same filter.
        dev.atlas.search.SearchFilter filter = dev.atlas.search.SearchFilter.none();
        for (String tag : repeated) {
            filter = filter.tag(tag);
        }
        assertThat(filter.tags()).hasSize(dev.atlas.Limits.MAX_TAGS);
        assertThat(atlas.tenant("acme").search().text(dev.atlas.search.TextQuery.memories("tags").filter(filter)))
                .extracting(h -> h.id()).containsExactly(m.id());
        dev.atlas.search.SearchFilter full = filter;
        invalid("tags", () -> full.tag("t64"));
        assertThat(memories.update(one.id(), MemoryPatch.none().tags(repeated.toArray(String[]::new))).tags()).containsExactlyElementsOf(all);
        assertThat(memories.update(m.id(), MemoryPatch.none().tags("x", "x", "x")).tags()).containsExactly("x");
        List<String> tooMany = new ArrayList<>(repeated);
        tooMany.add("t64");
        tooMany.add("t64");
        InvalidInputException refused = catchThrowableOfType(InvalidInputException.class,
                () -> memories.create(NewMemory.fact(ALICE, "too many").tags(tooMany)));
        assertThat(refused.field()).isEqualTo("tags");
        assertThat(refused.getMessage()).isEqualTo("tags: 65 distinct tags given; at most 64 are allowed");
        invalid("tags", () -> memories.update(one.id(), MemoryPatch.none().tags(tooMany.toArray(String[]::new))));
        assertThat(memories.list(MemoryQuery.all()).items()).extracting(Memory::content).containsExactly("one tag", "many tags");
        assertThat(memories.require(m.id()).tags()).containsExactly("x");
    }

    @Test
    @DisplayName("a provenance tool call of an execution of another conversation than the memory's (conversationId, or its message's)"
            + " is refused naming toolCallId, nothing written; one of the same conversation, or of an execution without a conversation"
            + " (an extractor run outside it), is kept")
    void provenanceToolCallOfAnotherConversation() {
        Tenant acme = atlas.tenant("acme");
        Conversation x = acme.conversations().create(NewConversation.of(ALICE, "support"));
        Message inX = acme.conversations().append(x.id(), NewMessage.user("I moved to Lyon"));
        Conversation y = acme.conversations().create(NewConversation.of(ALICE, "support"));
        UUID callInX = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(x.id())).step()
                .toolCall("c1", "remember", "{}").id();
        UUID callInY = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(y.id())).step()
                .toolCall("c1", "remember", "{}").id();
        UUID callOutside = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step().toolCall("c1", "remember", "{}").id();
        for (NewMemory contradicting : List.of(NewMemory.fact(ALICE, "lives in Lyon").from(x.id(), inX.id()).toolCall(callInY),
                NewMemory.fact(ALICE, "lives in Lyon").from(x.id(), null).toolCall(callInY),
                NewMemory.fact(ALICE, "lives in Lyon").from(null, inX.id()).toolCall(callInY))) {
            InvalidInputException refused = catchThrowableOfType(InvalidInputException.class, () -> memories.create(contradicting));
            assertThat(refused.field()).isEqualTo("toolCallId");
            assertThat(refused.getMessage()).isEqualTo("toolCallId: tool call " + callInY + " is of an execution of another conversation than "
                    + (contradicting.conversationId() != null ? "conversationId " : "messageId's conversation ") + x.id());
        }
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        Memory same = memories.create(NewMemory.fact(ALICE, "lives in Lyon").from(x.id(), inX.id()).toolCall(callInX));
        Memory outside = memories.create(NewMemory.fact(ALICE, "lives in Lyon").from(x.id(), inX.id()).toolCall(callOutside));
        Memory callOnly = memories.create(NewMemory.fact(ALICE, "lives in Lyon").toolCall(callInY));
        assertThat(List.of(memories.require(same.id()).toolCallId(), memories.require(outside.id()).toolCallId(),
                memories.require(callOnly.id()).toolCallId())).containsExactly(callInX, callOutside, callInY);
    }

    @Test
    @DisplayName("provenance is checked, not held: a conversation erased while a memory naming it and its message is created leaves"
            + " the memory stored with those ids, as one created just before the erase (SQLite's erase waits for the create;"
            + " PostgreSQL's commits between the create's check and its insert)")
    void conversationErasedDuringCreateLeavesTheMemory() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support"));
        Message said = acme.conversations().append(c.id(), NewMessage.user("call me Ada"));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        boolean pg = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CompletableFuture<dev.atlas.portability.EraseReport>> erase =
                new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (name.equals("memories.messageExists") && erase.get() == null) {
                erase.set(java.util.concurrent.CompletableFuture.supplyAsync(() -> acme.portability().eraseConversation(c.id(), false)));
                if (pg) {
                    try {
                        erase.get().get(30, java.util.concurrent.TimeUnit.SECONDS); // nothing the create holds stops it
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            }
        });
        Memory m;
        try {
            m = memories.create(NewMemory.fact(ALICE, "is called Ada").from(c.id(), said.id()));
        } finally {
            db.statementListener(null);
        }
        assertThat(erase.get().get(30, java.util.concurrent.TimeUnit.SECONDS).counts()).containsEntry("conversations", 1L)
                .doesNotContainKey("memories");
        assertThat(acme.conversations().get(c.id())).isEmpty();
        Memory stored = memories.require(m.id());
        assertThat(stored).isEqualTo(m);
        assertThat(List.of(stored.conversationId(), stored.messageId())).containsExactly(c.id(), said.id());
    }

    @Test
    @DisplayName("provenance naming a message of another conversation than conversationId is refused naming messageId, and nothing is written")
    void provenanceMessageOfAnotherConversation() {
        Provenance first = provenance(atlas.tenant("acme"));
        Provenance second = provenance(atlas.tenant("acme"));
        assertThatThrownBy(() -> memories.create(NewMemory.fact(ALICE, "x").from(first.conversation(), second.message())))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("messageId"));
        assertThat(memories.list(MemoryQuery.all()).items()).isEmpty();
        Memory ok = memories.create(NewMemory.fact(ALICE, "x").from(second.conversation(), second.message()));
        assertThat(memories.require(ok.id()).messageId()).isEqualTo(second.message());
    }

    @Test
    @DisplayName("hostile text in content, tags, agent and owner round-trips unchanged and is found by full-text search")
    void hostileText() {
        String content = "Robert'); DROP TABLE atlas_memories;-- \"NEAR(\" * <p> \u202Eevil\u202C caf\u00e9 \uD83D\uDE00 \\u0000 %_ tail";
        Memory m = memories.create(NewMemory.fact(Owner.of("user'; --", "\uD83D\uDE00"), content).agent("a\"b").tags("t'1", "<p>", "\uD83D\uDE00")
                .metadata(Map.of("k'", "v\"", "n", List.of(1, "x"))));
        Memory read = memories.require(m.id());
        assertThat(read.content()).isEqualTo(content);
        assertThat(read.owner()).isEqualTo(Owner.of("user'; --", "\uD83D\uDE00"));
        assertThat(read.agent()).isEqualTo("a\"b");
        assertThat(read.tags()).containsExactlyInAnyOrder("t'1", "<p>", "\uD83D\uDE00");
        assertThat(read.metadata()).isEqualTo(m.metadata());
        assertThat(memories.list(MemoryQuery.all().tag("<p>")).items()).extracting(Memory::id).containsExactly(m.id());
        assertThat(atlas.tenant("acme").search().text(dev.atlas.search.TextQuery.memories("DROP TABLE tail"))).extracting(h -> h.id())
                .containsExactly(m.id());
    }

    @Test
    @DisplayName("concurrent content updates of one memory each leave exactly one revision")
    void concurrentUpdates() throws Exception {
        Memory m = memories.create(NewMemory.fact(ALICE, "start"));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Memory>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                futures.add(pool.submit(() -> memories.update(m.id(), MemoryPatch.content("v" + n))));
            }
            for (var f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        Memory last = memories.require(m.id());
        assertThat(last.revision()).isEqualTo(9);
        Set<Integer> revisions = new HashSet<>();
        memories.revisions(m.id()).forEach(r -> revisions.add(r.revision()));
        assertThat(revisions).hasSize(8);
    }

    private static List<UUID> ids(Page<Memory> page) {
        return page.items().stream().map(Memory::id).toList();
    }

    static void invalid(String field, Executable call) {
        Throwable thrown = null;
        try {
            call.execute();
        } catch (Throwable t) {
            thrown = t;
        }
        assertThat(thrown).as("expected InvalidInputException for " + field).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) thrown).field()).isEqualTo(field);
    }

    @Test
    @DisplayName("a memory's tags come back in one order (code point) from create, update and reads, on every database, whatever the PostgreSQL database's collation")
    void tagsInCodePointOrder() {
        Collations.natural(database, "memory_tags", "tag");
        List<String> expected = List.of("A", "B", "a-c", "a_d", "aa", "ab", "b", "\uFF21", "\uD83D\uDE00");
        Memory m = memories.create(NewMemory.fact(ALICE, "x").tags(List.of("b", "B", "a-c", "ab", "a_d", "aa", "A", "\uFF21", "\uD83D\uDE00")));
        assertThat(m.tags()).containsExactlyElementsOf(expected);
        assertThat(memories.require(m.id()).tags()).containsExactlyElementsOf(expected);
        assertThat(memories.list(MemoryQuery.all()).items().get(0).tags()).containsExactlyElementsOf(expected);
        Memory updated = memories.update(m.id(), MemoryPatch.none().tags("\uD83D\uDE00", "\uFF21", "b", "B"));
        assertThat(updated.tags()).containsExactly("B", "b", "\uFF21", "\uD83D\uDE00");
        assertThat(memories.require(m.id())).isEqualTo(updated);
    }

    // ---- probes of a demanding user (clock skew, races, edited cursors, bounds) -----------------

    @Test
    @DisplayName("expiry is judged by the clock of the instance that reads: one whose clock is past expiresAt does not see, list,"
            + " find or update the memory, nor create one expiring then; one whose clock is before it does, until its clock passes it")
    void expiryIsJudgedByTheReadersClock() {
        Instant now = clock.instant();
        Memory m = memories.create(NewMemory.fact(ALICE, "parcel code 4711").expiresAt(now.plus(Duration.ofMinutes(30))));
        Atlas ahead = reopen(b -> b.clock(new MutableClock(now.plus(Duration.ofHours(1)))));
        MemoryStore aheadMemories = ahead.tenant("acme").memories();
        // The instance whose clock is an hour ahead is past the expiry: the memory is gone for it, as for any reader after it.
        assertThat(aheadMemories.get(m.id())).isEmpty();
        assertThat(aheadMemories.list(MemoryQuery.forOwner(ALICE)).items()).isEmpty();
        assertThat(ahead.tenant("acme").search().text(dev.atlas.search.TextQuery.memories("4711"))).isEmpty();
        assertThat(catchThrowableOfType(() -> aheadMemories.update(m.id(), MemoryPatch.none().importance(0.9)), NotFoundException.class)
                .getMessage()).isEqualTo("memory " + m.id() + " not found");
        assertThat(catchThrowableOfType(() -> aheadMemories.create(NewMemory.fact(ALICE, "x").expiresAt(now.plus(Duration.ofMinutes(30)))),
                InvalidInputException.class).field()).isEqualTo("expiresAt");
        // This instance is before it: the memory is there, found and unchanged.
        assertThat(memories.require(m.id())).isEqualTo(m);
        assertThat(atlas.tenant("acme").search().text(dev.atlas.search.TextQuery.memories("4711"))).extracting(h -> h.id())
                .containsExactly(m.id());
        clock.advanceMicros(Duration.ofMinutes(30).toNanos() / 1_000);
        assertThat(memories.get(m.id())).isEmpty();
    }

    @Test
    @DisplayName("an update from a second instance whose clock runs an hour behind never moves updatedAt back, nor stamps the revision before the content it replaced was written")
    void laggingClockUpdate() {
        Memory m = memories.create(NewMemory.fact(ALICE, "v1"));
        Instant created = m.createdAt();
        MemoryStore lagging = reopen(b -> b.clock(new MutableClock(created.minus(Duration.ofHours(1))))).tenant("acme").memories();
        Memory v2 = lagging.update(m.id(), MemoryPatch.content("v2"));
        assertThat(v2.revision()).isEqualTo(2);
        assertThat(v2.createdAt()).isEqualTo(created);
        assertThat(v2.updatedAt()).isEqualTo(created);
        assertThat(memories.require(m.id())).isEqualTo(v2);
        assertThat(lagging.revisions(m.id())).extracting(MemoryRevision::replacedAt).containsExactly(created);
        clock.advanceMicros(7);
        assertThat(memories.update(m.id(), MemoryPatch.none().importance(0.2)).updatedAt()).isEqualTo(created.plusNanos(7_000));
        assertThat(lagging.update(m.id(), MemoryPatch.none().tags("x")).updatedAt()).isEqualTo(created.plusNanos(7_000));
    }

    @Test
    @DisplayName("a patch that changes nothing writes nothing: every field given as stored (tags in any order or repeated, metadata in"
            + " any key order, the expiry to the nanosecond) leaves updatedAt, the revision and the trail as they were; one real change moves updatedAt")
    void noOpPatchChangesNothing() {
        Instant expiry = clock.instant().plus(Duration.ofDays(30)).plusNanos(1_234);
        Map<String, Object> metadata = new java.util.LinkedHashMap<>();
        metadata.put("n", 1);
        metadata.put("s", "x");
        Map<String, Object> reordered = new java.util.LinkedHashMap<>();
        reordered.put("s", "x");
        reordered.put("n", 1);
        Memory m = memories.create(NewMemory.fact(ALICE, "Lives in Lyon").tags("b", "a").metadata(metadata).importance(0.3).expiresAt(expiry));
        Memory never = memories.create(NewMemory.fact(ALICE, "Never expires"));
        clock.advanceMicros(5_000_000);
        List<MemoryPatch> same = List.of(MemoryPatch.none(), MemoryPatch.content("Lives in Lyon"), MemoryPatch.none().tags("a", "b", "a"),
                MemoryPatch.none().metadata(metadata), MemoryPatch.none().metadata(reordered), MemoryPatch.none().importance(0.3),
                MemoryPatch.none().expiresAt(expiry), MemoryPatch.none().expiresAt(m.expiresAt()),
                MemoryPatch.content("Lives in Lyon").tags("b", "a").metadata(reordered).importance(0.3).expiresAt(expiry));
        for (MemoryPatch patch : same) {
            assertThat(memories.update(m.id(), patch)).as(patch.toString()).isEqualTo(m);
        }
        assertThat(memories.update(never.id(), MemoryPatch.none().neverExpires())).isEqualTo(never);
        assertThat(memories.require(m.id())).isEqualTo(m);
        assertThat(memories.require(never.id())).isEqualTo(never);
        assertThat(memories.revisions(m.id())).isEmpty();
        assertThat(memories.list(MemoryQuery.all()).items()).containsExactly(never, m);
        // Another tenant's id is absent, whatever the patch.
        assertThat(catchThrowableOfType(NotFoundException.class, () -> other.update(m.id(), MemoryPatch.none())).getMessage())
                .isEqualTo(catchThrowableOfType(NotFoundException.class, () -> memories.update(UUID.randomUUID(), MemoryPatch.none()))
                        .getMessage().replaceAll("[0-9a-f-]{36}", m.id().toString()));

        Memory changed = memories.update(m.id(), MemoryPatch.none().importance(0.4).tags("a", "b"));
        assertThat(changed.updatedAt()).isEqualTo(clock.instant()).isAfter(m.updatedAt());
        assertThat(changed.revision()).isEqualTo(1);
        assertThat(changed.importance()).isEqualTo(0.4);
        assertThat(memories.update(m.id(), MemoryPatch.none().expiresAt(expiry.plusSeconds(1))).expiresAt()).isEqualTo(m.expiresAt().plusSeconds(1));
    }

    @Test
    @DisplayName("patches of different fields racing from two instances are both kept: content, tags, metadata and importance each"
            + " as its one writer set it, one revision per content change, and a no-op patch in the race changes nothing")
    void patchesOfDifferentFieldsRacingAreBothKept() throws Exception {
        MemoryStore second = reopen(b -> b.clock(clock)).tenant("acme").memories();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                Memory m = memories.create(NewMemory.fact(ALICE, "v0").tags("old").metadata(Map.of("k", "old")).importance(0.1));
                int r = round;
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<Memory>> futures = new ArrayList<>();
                List<java.util.concurrent.Callable<Memory>> writers = List.of(
                        () -> memories.update(m.id(), MemoryPatch.content("v1 of round " + r)),
                        () -> second.update(m.id(), MemoryPatch.none().tags("new-" + r, "both")),
                        () -> memories.update(m.id(), MemoryPatch.none().metadata(Map.of("k", "new-" + r)).importance(0.9)),
                        () -> second.update(m.id(), MemoryPatch.none()));
                for (java.util.concurrent.Callable<Memory> w : writers) {
                    futures.add(pool.submit(() -> {
                        go.await();
                        return w.call();
                    }));
                }
                go.countDown();
                for (java.util.concurrent.Future<Memory> f : futures) {
                    f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
                Memory stored = memories.require(m.id());
                assertThat(stored.content()).isEqualTo("v1 of round " + r);
                assertThat(stored.tags()).containsExactly("both", "new-" + r);
                assertThat(stored.metadata()).isEqualTo(Map.of("k", "new-" + r));
                assertThat(stored.importance()).isEqualTo(0.9);
                assertThat(stored.revision()).isEqualTo(2);
                assertThat(memories.revisions(m.id())).extracting(MemoryRevision::content).containsExactly("v0");
                assertThat(second.require(m.id())).isEqualTo(stored);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @DisplayName("a memory read while another instance patches its content and tags together is read as before or as after,"
            + " never its old content with its new tags: get and list are one statement each (the row with its tags), no commit,"
            + " so one snapshot also inside an application's READ COMMITTED transaction that Atlas joins, where they ask the"
            + " connection nothing more and fail as its aborted state does (PostgreSQL 25P02, not retryable)")
    void readsNeverShowHalfAPatch() throws Exception {
        boolean postgres = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL;
        ApplicationTransactions app = new ApplicationTransactions(database, postgres);
        CountingDataSource counting = new CountingDataSource(app.dataSource());
        Atlas readerAtlas = reopen(b -> configure(b.dataSource(counting.dataSource())).migrate(false));
        MemoryStore reader = readerAtlas.tenant("acme").memories();
        Memory m = memories.create(NewMemory.fact(ALICE, "old text").tags("old"));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) readerAtlas).db();
        java.util.concurrent.atomic.AtomicReference<String> armed = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            String next = armed.get();
            if (next != null && name.startsWith("memories.") && armed.compareAndSet(next, null)) {
                // Another instance commits right after the read's first statement.
                memories.update(m.id(), MemoryPatch.content(next + " text").tags(next));
            }
        });
        List<String> seen = new ArrayList<>();
        java.util.function.BiConsumer<String, java.util.function.Supplier<Memory>> read = (patch, r) -> {
            counting.reset();
            armed.set(patch);
            Memory got = r.get();
            seen.add(got.content() + " " + got.tags() + ": " + counting.statements() + " statements, " + counting.commits() + " commits"
                    + (armed.get() == null ? "" : ", no patch ran"));
        };
        try {
            for (boolean inApp : new boolean[] {false, true}) {
                String[] p = inApp ? new String[] {"b1", "b2", "b3"} : new String[] {"new", "newer", "newest"};
                List<java.util.function.Supplier<Memory>> reads = List.of(() -> reader.get(m.id()).orElseThrow(),
                        () -> reader.list(MemoryQuery.all()).items().get(0), () -> reader.list(MemoryQuery.all().tag(p[1])).items().get(0));
                for (int i = 0; i < 3; i++) {
                    java.util.function.Supplier<Memory> r = reads.get(i);
                    String patch = p[i];
                    if (inApp) {
                        app.in(java.sql.Connection.TRANSACTION_READ_COMMITTED, () -> {
                            read.accept(patch, r);
                            return null;
                        });
                    } else {
                        read.accept(patch, r);
                    }
                }
            }
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).containsExactly("old text [old]: 1 statements, 0 commits", "new text [new]: 1 statements, 0 commits",
                "newer text [newer]: 1 statements, 0 commits", "newest text [newest]: 1 statements, 0 commits",
                "b1 text [b1]: 1 statements, 0 commits", "b2 text [b2]: 1 statements, 0 commits");
        assertThat(app.isolationAsked()).as("getTransactionIsolation calls").isZero();
        Memory now = memories.get(m.id()).orElseThrow();
        assertThat(now.content() + " " + now.tags()).isEqualTo("b3 text [b3]");
        for (Runnable r : List.<Runnable>of(() -> reader.get(m.id()), () -> reader.list(MemoryQuery.all()))) {
            assertThat(app.afterAFailedStatement(r)).isEqualTo(postgres ? "StorageException 25P02 retryable=false" : "answered");
        }
    }

    @Test
    @DisplayName("a client key quoted in a ConflictException shows line breaks and controls as \\uXXXX escapes (it was quoted raw)")
    void clientKeyInConflictIsEscaped() {
        String key = "turn-1\nERROR forged\u0085";
        Memory m = memories.create(NewMemory.fact(ALICE, "Lives in Lyon").clientKey(key));
        assertThat(catchThrowableOfType(dev.atlas.ConflictException.class, () -> memories.create(NewMemory.fact(ALICE, "other").clientKey(key)))
                .getMessage()).isEqualTo("clientKey: 'turn-1\\u000aERROR forged\\u0085' was already used for memory " + m.id()
                        + " with a different owner, agent, kind or content");
    }

    @Test
    @DisplayName("a listing cursor edited by hand, or taken from another listing, is refused naming cursor; limits outside 1..1000 are refused naming limit")
    void editedCursorsAndLimits() {
        for (int i = 0; i < 3; i++) {
            memories.create(NewMemory.fact(ALICE, "f" + i));
            clock.advanceMicros(1);
        }
        String cursor = memories.list(MemoryQuery.all().limit(1)).nextCursor().orElseThrow();
        String raw = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
        java.util.function.Function<String, String> enc = r -> java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(r.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (String edited : List.of("x", cursor + "A", enc.apply(raw.replace("memories", "neighbours")),
                enc.apply(raw + "\u001fextra"), enc.apply(raw.replaceAll("[0-9a-f]{4}$", "zzzz")),
                "\u0000", " ")) {
            invalid("cursor", () -> memories.list(MemoryQuery.all().after(edited)));
        }
        for (int limit : new int[] {0, -1, Integer.MIN_VALUE, dev.atlas.Limits.MAX_PAGE_SIZE + 1, Integer.MAX_VALUE}) {
            invalid("limit", () -> memories.list(MemoryQuery.all().limit(limit)));
        }
        assertThat(memories.list(MemoryQuery.all().limit(dev.atlas.Limits.MAX_PAGE_SIZE)).items()).hasSize(3);
        // Another tenant's cursor is not a position in this tenant's listing.
        invalid("cursor", () -> other.list(MemoryQuery.all().after(cursor)));
    }

    @Test
    @DisplayName("a listing cursor is bound to its tenant and query: another tenant's cursor, or one of another owner, agent,"
            + " kind or tag filter, is refused naming cursor and reveals nothing; each tenant's own cursors page on")
    void cursorOfAnotherTenantOrQueryIsRefused() {
        for (int i = 0; i < 3; i++) {
            memories.create(NewMemory.fact(ALICE, "acme " + i).agent("a").tags("t"));
            other.create(NewMemory.fact(ALICE, "globex " + i).agent("a").tags("t"));
            clock.advanceMicros(1);
        }
        MemoryQuery query = MemoryQuery.forOwner(ALICE).limit(1);
        String acme = memories.list(query).nextCursor().orElseThrow();
        String globex = other.list(query).nextCursor().orElseThrow();
        InvalidInputException refused = catchThrowableOfType(InvalidInputException.class, () -> other.list(query.after(acme)));
        assertThat(refused.field()).isEqualTo("cursor");
        assertThat(refused.getMessage()).doesNotContain("acme");
        invalid("cursor", () -> memories.list(query.after(globex)));
        for (MemoryQuery another : List.of(MemoryQuery.all().limit(1), MemoryQuery.forOwner(BOB).limit(1),
                MemoryQuery.forOwner(ALICE).agent("a").limit(1), MemoryQuery.forOwner(ALICE).kind(MemoryKind.FACT).limit(1),
                MemoryQuery.forOwner(ALICE).tag("t").limit(1))) {
            invalid("cursor", () -> memories.list(another.after(acme)));
        }
        assertThat(memories.list(query.after(acme)).items()).extracting(Memory::content).containsExactly("acme 1");
        assertThat(other.list(query.after(globex)).items()).extracting(Memory::content).containsExactly("globex 1");
    }

    @Test
    @DisplayName("NUL or an unpaired surrogate in content, on create or update, is refused naming content and nothing changes; the longest content round-trips")
    void hostileContent() {
        for (String bad : List.of("a\u0000b", "\uD800", "x\uDC00y", "")) {
            invalid("content", () -> memories.create(NewMemory.fact(ALICE, bad)));
        }
        Memory m = memories.create(NewMemory.fact(ALICE, "ok"));
        for (String bad : List.of("a\u0000b", "\uD800", " ")) {
            invalid("content", () -> memories.update(m.id(), MemoryPatch.content(bad)));
        }
        invalid("content", () -> memories.create(NewMemory.fact(ALICE, "a".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH + 1))));
        assertThat(memories.require(m.id())).isEqualTo(m);
        String longest = "word ".repeat(dev.atlas.Limits.MAX_CONTENT_LENGTH / 5 - 1) + "\uD83D\uDE00z";
        Memory big = memories.create(NewMemory.fact(ALICE, longest));
        assertThat(memories.require(big.id()).content()).isEqualTo(longest);
        assertThat(memories.list(MemoryQuery.all()).items()).extracting(Memory::id).containsExactly(big.id(), m.id());
    }

    @Test
    @DisplayName("metadata that is not JSON (NaN, Infinity, NUL or an unpaired surrogate in a string or key) is refused naming metadata (or metadata key) on create and update; nothing is written")
    void hostileMetadata() {
        Memory m = memories.create(NewMemory.fact(ALICE, "ok").metadata(Map.of("k", "v")));
        List<Map<String, Object>> bad = List.of(Map.of("n", Double.NaN), Map.of("n", Double.POSITIVE_INFINITY), Map.of("f", Float.NEGATIVE_INFINITY),
                Map.of("s", "a\u0000b"), Map.of("s", "\uD800"), Map.of("l", List.of("\uDC00")));
        for (Map<String, Object> md : bad) {
            invalid("metadata", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(md)));
            invalid("metadata", () -> memories.update(m.id(), MemoryPatch.none().metadata(md)));
        }
        invalid("metadata key", () -> memories.create(NewMemory.fact(ALICE, "x").metadata(Map.of("a\u0000", 1))));
        invalid("metadata key", () -> memories.update(m.id(), MemoryPatch.none().metadata(Map.of("\uD800", 1))));
        assertThat(memories.list(MemoryQuery.all()).items()).containsExactly(m);
    }

    @Test
    @DisplayName("listings never cross owners, agents or tenants: each scope sees exactly its own memories")
    void scopesDoNotLeak() {
        Memory aliceGlobal = memories.create(NewMemory.fact(ALICE, "alice global"));
        Memory aliceSupport = memories.create(NewMemory.fact(ALICE, "alice support").agent("support"));
        Memory bobSupport = memories.create(NewMemory.fact(BOB, "bob support").agent("support"));
        Memory sameIdOtherType = memories.create(NewMemory.fact(Owner.of("team", "alice"), "team alice"));
        Memory theirs = other.create(NewMemory.fact(ALICE, "globex alice").agent("support"));
        assertThat(ids(memories.list(MemoryQuery.forOwner(ALICE)))).containsExactlyInAnyOrder(aliceGlobal.id(), aliceSupport.id());
        assertThat(ids(memories.list(MemoryQuery.forOwner(ALICE).agent("support")))).containsExactlyInAnyOrder(aliceGlobal.id(), aliceSupport.id());
        assertThat(ids(memories.list(MemoryQuery.forOwner(ALICE).agentOnly("support")))).containsExactly(aliceSupport.id());
        assertThat(ids(memories.list(MemoryQuery.all().agentOnly("support")))).containsExactlyInAnyOrder(aliceSupport.id(), bobSupport.id());
        assertThat(ids(memories.list(MemoryQuery.forOwner(Owner.of("team", "alice"))))).containsExactly(sameIdOtherType.id());
        assertThat(ids(memories.list(MemoryQuery.forOwner(BOB).agent("sales")))).isEmpty();
        assertThat(ids(other.list(MemoryQuery.all()))).containsExactly(theirs.id());
        assertThat(ids(memories.list(MemoryQuery.all()))).doesNotContain(theirs.id()).hasSize(4);
    }

    @Test
    @DisplayName("retention dropping an expired memory while an instance whose clock is behind updates it: the update is refused or purged with the memory; never a storage error or a half-purged memory")
    void purgeRacingLaggingUpdate() throws Exception {
        Memory m = memories.create(NewMemory.fact(ALICE, "v1").expiresAt(clock.instant().plusSeconds(60)));
        MemoryStore lagging = reopen(b -> b.clock(new MutableClock(clock.instant()))).tenant("acme").memories();
        clock.set(clock.instant().plusSeconds(120));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.CountDownLatch childrenDeleted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch updateReturned = new java.util.concurrent.CountDownLatch(1);
        // The purge stops after deleting the memory's revisions until the update has returned or,
        // until the update is seen waiting for one of the purge's locks (RaceWaits).
        java.util.concurrent.atomic.AtomicReference<Thread> updater = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, jdbc) -> {
            if (name.equals("retention.delete.memory_revisions")) {
                childrenDeleted.countDown();
                try {
                    RaceWaits.awaitReturnedOrBlocked(updateReturned, updater::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        dev.atlas.retention.RetentionReport report;
        Object updated;
        try {
            var purge = java.util.concurrent.CompletableFuture.supplyAsync(() -> atlas.tenant("acme").retention()
                    .runRetention(dev.atlas.retention.RetentionPolicy.none().dropExpiredMemories(true)));
            childrenDeleted.await();
            var update = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                updater.set(Thread.currentThread());
                try {
                    return (Object) lagging.update(m.id(), MemoryPatch.content("v2").tags("late"));
                } catch (RuntimeException e) {
                    return e;
                } finally {
                    updateReturned.countDown();
                }
            });
            report = purge.get();
            updated = update.get();
        } finally {
            db.statementListener(null);
        }
        assertThat(updated).isInstanceOf(NotFoundException.class);
        assertThat(report.counts()).containsEntry("memories.deleted", 1L);
        assertThat(lagging.get(m.id())).isEmpty();
        assertThat(atlas.tenant("acme").retention().runRetention(dev.atlas.retention.RetentionPolicy.none().dropExpiredMemories(true)
                .dryRun(true)).counts()).isEmpty();
    }

    @Test
    @DisplayName("SQLite: a revision whose replaced_at is stored as text ('12abc') or a fraction is unreadable, naming memory_revisions,"
            + " the revision's row id and the column")
    void revisionTimestampStoredAsTextIsUnreadable() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        Memory text = memories.create(NewMemory.of(ALICE, MemoryKind.FACT, "v1"));
        memories.update(text.id(), MemoryPatch.content("v2"));
        Memory fraction = memories.create(NewMemory.of(ALICE, MemoryKind.FACT, "w1"));
        memories.update(fraction.id(), MemoryPatch.content("w2"));
        String textRow;
        String fractionRow;
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_memory_revisions SET replaced_at = '12abc' WHERE memory_id = '" + text.id() + "'"))
                    .isEqualTo(1);
            assertThat(s.executeUpdate("UPDATE atlas_memory_revisions SET replaced_at = replaced_at + 0.5 WHERE memory_id = '"
                    + fraction.id() + "'")).isEqualTo(1);
            textRow = revisionRow(s, text.id());
            fractionRow = revisionRow(s, fraction.id());
        }
        for (Executable read : List.<Executable>of(() -> memories.revisions(text.id()), () -> memories.revisions(text.id(), 5, null))) {
            assertThat(org.junit.jupiter.api.Assertions.assertThrows(dev.atlas.UnreadableRowException.class, read))
                    .hasMessageContaining("replaced_at")
                    .satisfies(e -> assertThat(e.table()).isEqualTo("memory_revisions"))
                    .satisfies(e -> assertThat(e.rowId()).isEqualTo(textRow));
        }
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(dev.atlas.UnreadableRowException.class,
                        () -> memories.revisions(fraction.id(), 5, null)))
                .hasMessageContaining("replaced_at")
                .satisfies(e -> assertThat(e.table()).isEqualTo("memory_revisions"))
                .satisfies(e -> assertThat(e.rowId()).isEqualTo(fractionRow));
        // The memories themselves still read.
        assertThat(memories.get(text.id())).map(Memory::content).contains("v2");
    }

    private static String revisionRow(java.sql.Statement s, UUID memoryId) throws java.sql.SQLException {
        try (java.sql.ResultSet rs = s.executeQuery("SELECT id FROM atlas_memory_revisions WHERE memory_id = '" + memoryId + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
