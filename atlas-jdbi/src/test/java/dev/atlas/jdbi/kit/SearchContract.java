package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.DatabaseKind;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.migrations.AtlasMigrations;
import dev.atlas.search.Search;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;

import static dev.atlas.jdbi.kit.MemoryStoreContract.invalid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Full-text and semantic search: the behaviour every {@link Search} implementation must have, on every database. */
public abstract class SearchContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");
    private static final String MODEL = "test-model";

    protected ConversationStore conversations;
    protected MemoryStore memories;
    protected Search search;
    protected Search other;
    private Path blobDir;

    protected SearchContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void stores() {
        conversations = atlas.tenant("acme").conversations();
        memories = atlas.tenant("acme").memories();
        search = atlas.tenant("acme").search();
        other = atlas.tenant("globex").search();
    }

    private Conversation convo(Owner owner) {
        return conversations.create(NewConversation.of(owner, "support"));
    }

    /** A stored asset of acme: asset vectors must name one. */
    private UUID asset() {
        return atlas.tenant("acme").assets().create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png"), new byte[] {1}).id();
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            blobDir = Files.createTempDirectory("atlas-search-blobs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(blobDir));
    }

    @AfterEach
    void removeBlobs() throws IOException {
        if (blobDir == null) {
            return; // the database was not available (a skipped pgvector run)
        }
        try (Stream<Path> files = Files.walk(blobDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static List<UUID> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    // ---- full-text ------------------------------------------------------------------------

    @Test
    @DisplayName("full-text search finds messages containing every word, with a bracketed snippet and the conversation")
    void findsMessages() {
        Conversation c = convo(ALICE);
        Message hit = conversations.append(c.id(), NewMessage.user("Where is my order 1234? It was due on Monday."));
        conversations.append(c.id(), NewMessage.assistant("Your order ships tomorrow."));
        conversations.append(c.id(), NewMessage.user("Thanks, Monday works."));
        List<SearchHit> hits = search.text(TextQuery.messages("ORDER monday"));
        assertThat(ids(hits)).containsExactly(hit.id());
        assertThat(hits.get(0).conversationId()).isEqualTo(c.id());
        assertThat(hits.get(0).target()).isEqualTo(SearchTarget.MESSAGE);
        assertThat(hits.get(0).snippet()).contains("[order]").contains("[Monday]");
        assertThat(search.text(TextQuery.messages("order"))).hasSize(2);
    }

    /** The documented score: BM25's saturation (k1 1.2) and length norm (b 0.75) against 32 words, no idf; one tf per phrase. */
    private static double bm25(int words, int... tfs) {
        double k1 = 1.2;
        double norm = k1 * (1 - 0.75 + 0.75 * words / 32.0);
        double score = 0;
        for (int tf : tfs) {
            score += tf * (k1 + 1) / (tf + norm);
        }
        return score;
    }

    @Test
    @DisplayName("scores are docs/memory-and-search.md's BM25 (k1 1.2, b 0.75, 32 words, no idf) to the bit on every database, for"
            + " its example too; another tenant's rows holding the words, several times or the same text, change no score, rank or"
            + " snippet; no stemming in any language; a query of Limits.MAX_QUERY_LENGTH characters is one word cut to 64 code points")
    void scoresAreTheDocumentedFormula() {
        Conversation c = convo(ALICE);
        Message docs = conversations.append(c.id(), NewMessage.user("Where is my order 1234? It was due on Monday.")); // 10 words
        Message twice = conversations.append(c.id(), NewMessage.user("My order 1234 and my order 5678")); // 7 words
        Message longer = conversations.append(c.id(), NewMessage.user("order 1234 " + "word ".repeat(40).trim())); // 42 words
        List<SearchHit> hits = search.text(TextQuery.messages("order 1234"));
        assertThat(ids(hits)).containsExactly(twice.id(), docs.id(), longer.id());
        assertThat(hits).extracting(SearchHit::score).containsExactly(bm25(7, 2, 1), bm25(10, 1, 1), bm25(42, 1, 1));
        assertThat(hits.get(1).score()).isEqualTo(2.7826086956521743);
        assertThat(hits.get(1).snippet()).isEqualTo("Where is my [order] [1234]? It was due on Monday.");
        // A repeated query word counts once: the same hits, scores to the bit and snippets.
        assertThat(search.text(TextQuery.messages("order ORDER 1234 order, 1234"))).isEqualTo(hits);

        var globex = atlas.tenant("globex");
        Conversation g = globex.conversations().create(NewConversation.of(ALICE, "support"));
        for (int i = 1; i <= 4; i++) {
            globex.conversations().append(g.id(), NewMessage.user("order 1234 ".repeat(i)));
        }
        Message same = globex.conversations().append(g.id(), NewMessage.user("Where is my order 1234? It was due on Monday."));
        assertThat(search.text(TextQuery.messages("order 1234"))).isEqualTo(hits);
        assertThat(search.text(TextQuery.messages("order 1234").limit(2), null).items()).isEqualTo(hits.subList(0, 2));
        List<SearchHit> theirs = other.text(TextQuery.messages("monday order"));
        assertThat(ids(theirs)).containsExactly(same.id());
        assertThat(theirs.get(0).score()).isEqualTo(bm25(10, 1, 1)).isEqualTo(hits.get(1).score());

        // No stemming, no folding beyond lower case, in any language: only the word as stored finds it.
        Memory de = memories.create(NewMemory.fact(ALICE, "Die H\u00e4user am Fluss"));
        Memory fr = memories.create(NewMemory.fact(ALICE, "Nous mangeons des pommes"));
        Memory ru = memories.create(NewMemory.fact(ALICE, "\u041c\u044b \u0447\u0438\u0442\u0430\u0435\u043c \u043a\u043d\u0438\u0433\u0438"));
        for (String stem : List.of("haus", "hauser", "manger", "pomme", "\u043a\u043d\u0438\u0433\u0430")) {
            assertThat(search.text(TextQuery.memories(stem))).as(stem).isEmpty();
        }
        assertThat(ids(search.text(TextQuery.memories("H\u00c4USER")))).containsExactly(de.id());
        assertThat(ids(search.text(TextQuery.memories("MANGEONS pommes")))).containsExactly(fr.id());
        assertThat(ids(search.text(TextQuery.memories("\u041a\u041d\u0418\u0413\u0418")))).containsExactly(ru.id());

        // The longest query: one word of 1,000 letters, cut to 64 as stored words are.
        String longest = "q".repeat(dev.atlas.Limits.MAX_QUERY_LENGTH);
        Memory cut = memories.create(NewMemory.fact(ALICE, "q".repeat(64) + "different tail"));
        List<SearchHit> found = search.text(TextQuery.memories(longest));
        assertThat(ids(found)).containsExactly(cut.id());
        assertThat(found.get(0).score()).isEqualTo(bm25(2, 1));
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(dev.atlas.InvalidInputException.class,
                () -> search.text(TextQuery.memories(longest + "q"))).field()).isEqualTo("text");
    }

    @Test
    @DisplayName("text pages: keyset by score then id, every hit once in the order of one long search; a cursor of another"
            + " tenant, text, target or filter, or an edited one, is InvalidInputException on cursor")
    void textPages() {
        Conversation c = convo(ALICE);
        // Ties (equal texts score alike) so the id tiebreak decides across page boundaries.
        for (String text : List.of("jazz night", "jazz jazz", "jazz night", "jazz festival lineup tonight", "jazz night", "jazz jazz",
                "jazz festival lineup tonight", "jazz night", "no match here")) {
            conversations.append(c.id(), NewMessage.user(text));
            memories.create(NewMemory.fact(ALICE, text));
        }
        for (TextQuery q : List.of(TextQuery.messages("jazz"), TextQuery.memories("jazz"))) {
            List<SearchHit> all = search.text(q.limit(100));
            assertThat(all).hasSize(8);
            List<SearchHit> paged = new ArrayList<>();
            List<Integer> sizes = new ArrayList<>();
            dev.atlas.Page<SearchHit> page = search.text(q.limit(3), null);
            while (true) {
                paged.addAll(page.items());
                sizes.add(page.items().size());
                if (!page.hasMore()) {
                    break;
                }
                page = search.text(q.limit(3), page.nextCursor().orElseThrow());
            }
            assertThat(sizes).containsExactly(3, 3, 2);
            assertThat(paged).isEqualTo(all);
            // The page size may change between pages; the position is the cursor's.
            dev.atlas.Page<SearchHit> first = search.text(q.limit(3), null);
            assertThat(search.text(q.limit(100), first.nextCursor().orElseThrow()).items()).isEqualTo(all.subList(3, 8));
            assertThat(search.text(q.limit(8), null).nextCursor()).isEmpty();
            String cursor = first.nextCursor().orElseThrow();
            invalid("cursor", () -> other.text(q.limit(3), cursor));
            invalid("cursor", () -> search.text(TextQuery.messages("jazz night").limit(3), cursor));
            invalid("cursor", () -> search.text(new TextQuery(q.target() == SearchTarget.MESSAGE ? SearchTarget.MEMORY : SearchTarget.MESSAGE,
                    "jazz", SearchFilter.none(), 3), cursor));
            invalid("cursor", () -> search.text(q.filter(SearchFilter.none().owner(ALICE)).limit(3), cursor));
            invalid("cursor", () -> search.text(q, "not a cursor"));
            invalid("cursor", () -> search.text(q, ""));
            invalid("cursor", () -> search.text(q, cursor.substring(0, cursor.length() - 2)));
            invalid("cursor", () -> search.text(q, "x".repeat(5_000)));
            invalid("cursor", () -> search.text(q, cursor + "\u0000"));
            invalid("cursor", () -> search.text(q, cursor + "\ud800"));
            // The same listing and id with an edited score: not a position any page handed out.
            String raw = new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
            String[] parts = raw.split("\u001f", -1);
            for (String score : List.of("NaN", "Infinity", "-1.0", "0.0", "1e400", "abc", "")) {
                parts[2] = score;
                String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(String.join("\u001f", parts)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                invalid("cursor", () -> search.text(q, forged));
            }
            parts[2] = "1.0";
            parts[3] = parts[3].toUpperCase(java.util.Locale.ROOT);
            String upper = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(String.join("\u001f", parts)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            invalid("cursor", () -> search.text(q, upper));
        }
        assertThat(search.text(TextQuery.messages("absent"), null)).isEqualTo(new dev.atlas.Page<>(List.of(), java.util.Optional.empty()));
        assertThat(search.text(TextQuery.messages("!!!"), null).items()).isEmpty();
    }

    @Test
    @DisplayName("text pages across writes: a row written between pages that ranks after the cursor shows on a later page, one"
            + " ranking before it does not, a row deleted between pages never shows, and no hit repeats")
    void textPagesAcrossWrites() {
        Conversation c = convo(ALICE);
        List<Message> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            rows.add(conversations.append(c.id(), NewMessage.user("jazz tonight number " + i)));
        }
        TextQuery q = TextQuery.messages("jazz").limit(2);
        dev.atlas.Page<SearchHit> first = search.text(q, null);
        Message better = conversations.append(c.id(), NewMessage.user("jazz jazz"));      // scores above every page row
        Message worse = conversations.append(c.id(), NewMessage.user("jazz with a much longer text than the others have here"));
        UUID lastOnFirst = first.items().get(1).id();
        List<UUID> rest = rows.stream().map(Message::id).filter(id -> !ids(first.items()).contains(id)).toList();
        conversations.deleteMessage(rest.get(0));
        List<UUID> seen = new ArrayList<>(ids(first.items()));
        String cursor = first.nextCursor().orElseThrow();
        while (cursor != null) {
            dev.atlas.Page<SearchHit> page = search.text(q, cursor);
            seen.addAll(ids(page.items()));
            cursor = page.nextCursor().orElse(null);
        }
        assertThat(seen).doesNotHaveDuplicates().contains(lastOnFirst, rest.get(1), worse.id()).doesNotContain(better.id(), rest.get(0));
        assertThat(seen).hasSize(4);
    }

    @Test
    @DisplayName("text pages through ties while rows are written: a tied row stored between pages (a later id) shows on a later page"
            + " after the tied rows before it; a hit of an earlier page changed so that it ranks after the cursor shows again (a keyset"
            + " cursor holds a position, not the hits handed out)")
    void textPagesThroughTiesWhileWriting() {
        List<Memory> tied = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            tied.add(memories.create(NewMemory.fact(ALICE, "jazz night")));
            clock.advanceMicros(1_000);
        }
        TextQuery q = TextQuery.memories("jazz").limit(2);
        dev.atlas.Page<SearchHit> first = search.text(q, null);
        assertThat(ids(first.items())).containsExactly(tied.get(0).id(), tied.get(1).id());
        clock.advanceMicros(1_000);
        Memory later = memories.create(NewMemory.fact(ALICE, "jazz night"));
        // The first page's first hit now scores lower than every tied row: it ranks after the cursor again.
        memories.update(tied.get(0).id(), MemoryPatch.content("jazz night with a much longer text than the other rows have"));
        List<UUID> seen = new ArrayList<>(ids(first.items()));
        String cursor = first.nextCursor().orElseThrow();
        while (cursor != null) {
            dev.atlas.Page<SearchHit> page = search.text(q, cursor);
            seen.addAll(ids(page.items()));
            cursor = page.nextCursor().orElse(null);
        }
        assertThat(seen).containsExactly(tied.get(0).id(), tied.get(1).id(), tied.get(2).id(), tied.get(3).id(), later.id(), tied.get(0).id());
    }

    @Test
    @DisplayName("a text search inside an application's transaction that Atlas joins reads one state: a memory edited and another"
            + " deleted by another connection right after the candidates were read leave the hits, scores and snippets as before,"
            + " at READ COMMITTED, REPEATABLE READ and SERIALIZABLE on PostgreSQL (one statement at every level: the connection is not asked its"
            + " level), and on SQLite; in a transaction an earlier statement of the application aborted (PostgreSQL) it fails"
            + " with 25P02, not retryable")
    void textSearchInTheApplicationsTransactionIsOneState() throws Exception {
        List<Memory> rows = new ArrayList<>();
        for (String text : List.of("jazz night one", "jazz night two", "jazz and blues three")) {
            rows.add(memories.create(NewMemory.fact(ALICE, text)));
        }
        boolean sqlite = atlas.databaseKind() == DatabaseKind.SQLITE;
        ApplicationTransactions app = new ApplicationTransactions(database, !sqlite);
        try (Atlas joined = configure(Atlas.builder().dataSource(app.dataSource())).migrate(false).build()) {
            dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) joined).db();
            TextQuery q = TextQuery.memories("jazz night");
            for (int level : sqlite ? new int[] {Connection.TRANSACTION_SERIALIZABLE}
                    : new int[] {Connection.TRANSACTION_READ_COMMITTED, Connection.TRANSACTION_REPEATABLE_READ, Connection.TRANSACTION_SERIALIZABLE}) {
                List<SearchHit> before = search.text(q);
                assertThat(before).hasSize(2);
                Memory edited = memories.create(NewMemory.fact(ALICE, "jazz night edited"));
                Memory deleted = memories.create(NewMemory.fact(ALICE, "jazz night deleted"));
                List<SearchHit> was = search.text(q);
                assertThat(was).hasSize(4);
                java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
                db.statementListener((name, sql) -> {
                    if (name.startsWith("search.text.") && armed.getAndSet(false)) {
                        // Another connection (the per-test instance's pool) commits between the search's reads.
                        memories.update(edited.id(), MemoryPatch.content("blues only now"));
                        memories.delete(deleted.id());
                    }
                });
                List<SearchHit> seen;
                try {
                    seen = app.in(level, () -> joined.tenant("acme").search().text(q));
                } finally {
                    db.statementListener(null);
                }
                assertThat(armed).as("the write ran during the search").isFalse();
                assertThat(seen).as("isolation " + level).isEqualTo(was);
                assertThat(search.text(q)).isEqualTo(before);
            }
            assertThat(app.isolationAsked()).as("getTransactionIsolation calls").isZero();
            assertThat(app.afterAFailedStatement(() -> joined.tenant("acme").search().text(q)))
                    .isEqualTo(sqlite ? "answered" : "StorageException 25P02 retryable=false");
        }
    }

    @Test
    @DisplayName("first vectors of one model with different dimensions stored at once from two instances: one dimension wins,"
            + " every other store of another dimension is InvalidInputException on vector, never a storage error")
    void concurrentFirstVectorsOfOneModel() throws Exception {
        Search second = reopen(b -> b.clock(clock)).tenant("acme").search();
        List<Memory> ms = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ms.add(memories.create(NewMemory.fact(ALICE, "m" + i)));
        }
        for (int round = 0; round < 3; round++) {
            String model = "race-" + round;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    Search s = t % 2 == 0 ? search : second;
                    UUID id = ms.get(t).id();
                    float[] v = t % 2 == 0 ? new float[] {1, 2} : new float[] {1, 2, 3};
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            s.upsertVector(SearchTarget.MEMORY, id, model, v);
                            return "stored " + v.length;
                        } catch (dev.atlas.InvalidInputException e) {
                            return "refused " + e.field() + " " + v.length;
                        }
                    }));
                }
                go.countDown();
                List<String> outcomes = new ArrayList<>();
                for (java.util.concurrent.Future<String> f : futures) {
                    outcomes.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
                int dim = search.dimension(model);
                assertThat(dim).isIn(2, 3);
                assertThat(outcomes).containsOnly("stored " + dim, "refused vector " + (5 - dim));
                assertThat(outcomes).filteredOn(o -> o.startsWith("stored")).hasSize(4);
                assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, dim == 2 ? new float[] {1, 2} : new float[] {1, 2, 3})
                        .k(10))).hasSize(4);
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    @DisplayName("a model's dimension is per tenant: two tenants store one model at 2 and 3 dimensions, each searches its own, and a"
            + " query of the other tenant's dimension is InvalidInputException on vector, never another tenant's rows")
    void modelDimensionIsPerTenant() {
        MemoryStore globex = atlas.tenant("globex").memories();
        Memory a = memories.create(NewMemory.fact(ALICE, "acme row"));
        Memory g = globex.create(NewMemory.fact(ALICE, "globex row"));
        search.upsertVector(SearchTarget.MEMORY, a.id(), MODEL, new float[] {1, 0});
        other.upsertVector(SearchTarget.MEMORY, g.id(), MODEL, new float[] {1, 0, 0});
        assertThat(search.dimension(MODEL)).isEqualTo(2);
        assertThat(other.dimension(MODEL)).isEqualTo(3);
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0})))).containsExactly(a.id());
        assertThat(ids(other.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0, 0})))).containsExactly(g.id());
        invalid("vector", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0, 0})));
        invalid("vector", () -> other.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0})));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, a.id(), MODEL, new float[] {1, 0, 0}));
        // Another tenant's memory id is unknown here, whatever the vector.
        assertThatThrownBy(() -> search.upsertVector(SearchTarget.MEMORY, g.id(), MODEL, new float[] {1, 0}))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> search.deleteVector(SearchTarget.MEMORY, g.id(), MODEL)).isInstanceOf(NotFoundException.class);
        assertThat(other.dimension(MODEL)).isEqualTo(3);
        assertThat(ids(other.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0, 0})))).containsExactly(g.id());
        // Huge and tiny components score as exactly as any: a vector queried with itself is 1.0.
        Memory big = memories.create(NewMemory.fact(ALICE, "big"));
        Memory tiny = memories.create(NewMemory.fact(ALICE, "tiny"));
        search.upsertVector(SearchTarget.MEMORY, big.id(), MODEL, new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
        search.upsertVector(SearchTarget.MEMORY, tiny.id(), MODEL, new float[] {-Float.MIN_VALUE, Float.MIN_VALUE});
        List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {Float.MAX_VALUE, -Float.MAX_VALUE}));
        assertThat(ids(hits)).containsExactly(big.id(), a.id(), tiny.id());
        assertThat(hits.get(0).score()).isEqualTo(1.0);
        assertThat(hits.get(2).score()).isEqualTo(-1.0);
    }

    @Test
    @DisplayName("ranking on a small hand-made corpus puts the most relevant document first")
    void ranking() {
        Conversation c = convo(ALICE);
        Message many = conversations.append(c.id(), NewMessage.user("jazz jazz jazz: the jazz festival lineup"));
        Message once = conversations.append(c.id(), NewMessage.user("the festival has rock, pop, folk, blues, soul, metal and one jazz stage"));
        conversations.append(c.id(), NewMessage.user("nothing about music here"));
        assertThat(ids(search.text(TextQuery.messages("jazz")))).containsExactly(many.id(), once.id());
        List<SearchHit> hits = search.text(TextQuery.messages("jazz festival"));
        assertThat(ids(hits)).containsExactly(many.id(), once.id());
        assertThat(hits.get(0).score()).isGreaterThan(hits.get(1).score());
    }

    @Test
    @DisplayName("full-text search over memories honours owner and kind filters and hides deleted and expired memories")
    void findsMemories() {
        Memory pref = memories.create(NewMemory.preference(ALICE, "Prefers email contact in the morning"));
        Memory fact = memories.create(NewMemory.fact(ALICE, "Email address changed last year"));
        memories.create(NewMemory.preference(BOB, "Prefers email too"));
        Memory gone = memories.create(NewMemory.fact(ALICE, "Old email note"));
        Memory expiring = memories.create(NewMemory.fact(ALICE, "Temporary email code").expiresAt(clock.instant().plusSeconds(10)));
        memories.delete(gone.id());
        clock.set(clock.instant().plusSeconds(10));
        assertThat(ids(search.text(TextQuery.memories("email").filter(SearchFilter.none().owner(ALICE)))))
                .containsExactlyInAnyOrder(pref.id(), fact.id());
        assertThat(ids(search.text(TextQuery.memories("email").filter(SearchFilter.none().owner(ALICE).kind(MemoryKind.PREFERENCE)))))
                .containsExactly(pref.id());
        assertThat(ids(search.text(TextQuery.memories("email")))).doesNotContain(gone.id(), expiring.id()).hasSize(3);
    }

    @Test
    @DisplayName("message search filters by conversation, owner, role and time range")
    void messageFilters() {
        Conversation a = convo(ALICE);
        Conversation b = convo(BOB);
        Message a1 = conversations.append(a.id(), NewMessage.user("refund please"));
        clock.advanceMicros(10);
        Instant mid = clock.instant();
        Message a2 = conversations.append(a.id(), NewMessage.assistant("refund issued"));
        Message b1 = conversations.append(b.id(), NewMessage.user("refund status?"));
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().conversation(b.id()))))).containsExactly(b1.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().owner(ALICE)))))
                .containsExactlyInAnyOrder(a1.id(), a2.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().role(Role.ASSISTANT))))).containsExactly(a2.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().between(null, mid))))).containsExactly(a1.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().between(mid, null)))))
                .containsExactlyInAnyOrder(a2.id(), b1.id());
    }


    @Test
    @DisplayName("a time range bound finer than a microsecond is exact: a row stored at T is before T + 500 ns, for full-text and"
            + " semantic search")
    void subMicrosecondTimeBounds() {
        // Rows are stored at microsecond precision; a bound bound as is was truncated, so a row
        // at T passed 'from T + 500 ns' and failed 'before T + 500 ns'.
        Memory m = memories.create(NewMemory.fact(ALICE, "refund policy"));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        Instant justAfter = m.createdAt().plusNanos(500);
        SearchFilter fromJustAfter = SearchFilter.none().between(justAfter, null);
        SearchFilter beforeJustAfter = SearchFilter.none().between(null, justAfter);
        assertThat(search.text(TextQuery.memories("refund").filter(fromJustAfter))).isEmpty();
        assertThat(ids(search.text(TextQuery.memories("refund").filter(beforeJustAfter)))).containsExactly(m.id());
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).filter(fromJustAfter))).isEmpty();
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).filter(beforeJustAfter))))
                .containsExactly(m.id());
    }

    @Test
    @DisplayName("agentWithGlobal searches an agent's memories plus the owner's global ones, full-text, paged and semantic; messages"
            + " and a filter without an agent refuse it")
    void agentWithGlobalMemories() {
        Memory billing = memories.create(NewMemory.fact(ALICE, "invoice due friday").agent("billing"));
        Memory global = memories.create(NewMemory.fact(ALICE, "invoice address is Main St"));
        memories.create(NewMemory.fact(ALICE, "invoice question").agent("support"));
        Memory bobsGlobal = memories.create(NewMemory.fact(BOB, "invoice by post"));
        Memory gone = memories.create(NewMemory.fact(ALICE, "invoice old"));
        memories.delete(gone.id());
        other.upsertVector(SearchTarget.MEMORY, atlas.tenant("globex").memories().create(NewMemory.fact(ALICE, "invoice")).id(), MODEL,
                new float[] {1, 0});
        float y = 0;
        for (Memory m : memories.list(dev.atlas.memory.MemoryQuery.all()).items()) {
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, y += 0.1f});
        }
        SearchFilter alices = SearchFilter.none().owner(ALICE).agentWithGlobal("billing");
        assertThat(alices.includeGlobal()).isTrue();
        assertThat(ids(search.text(TextQuery.memories("invoice").filter(alices)))).containsExactlyInAnyOrder(billing.id(), global.id());
        assertThat(ids(search.text(TextQuery.memories("invoice").filter(alices).limit(1), null).items())).hasSize(1);
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).filter(alices))))
                .containsExactlyInAnyOrder(billing.id(), global.id());
        // Without an owner, every owner's global memories count (as MemoryQuery.agent does).
        assertThat(ids(search.text(TextQuery.memories("invoice").filter(SearchFilter.none().agentWithGlobal("billing")))))
                .containsExactlyInAnyOrder(billing.id(), global.id(), bobsGlobal.id());
        // agent(...) alone stays exclusive; the last of agent/agentWithGlobal decides.
        assertThat(ids(search.text(TextQuery.memories("invoice").filter(alices.agent("billing"))))).containsExactly(billing.id());
        invalid("includeGlobal", () -> TextQuery.messages("invoice").filter(SearchFilter.none().agentWithGlobal("billing")));
        invalid("includeGlobal", () -> new SearchFilter(null, null, null, null, null, null, Map.of(), List.of(), null, true));
        // A cursor of the exclusive filter is not one of the inclusive filter.
        String cursor = search.text(TextQuery.memories("invoice").filter(alices).limit(1), null).nextCursor().orElseThrow();
        assertThat(search.text(TextQuery.memories("invoice").filter(alices).limit(1), cursor).items()).hasSize(1);
        invalid("cursor", () -> search.text(TextQuery.memories("invoice").filter(alices.agent("billing")).limit(1), cursor));
    }

    @Test
    @DisplayName("agentWithGlobal under a selective filter: 60 nearer memories of another agent never crowd out the agent's and the"
            + " global ones, in the same order and scores on every database")
    void agentWithGlobalSelective() {
        List<UUID> expected = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Memory m = memories.create(NewMemory.fact(ALICE, "noise " + i).agent("other"));
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, i / 1000f});
        }
        for (int i = 0; i < 5; i++) {
            Memory m = memories.create(NewMemory.fact(ALICE, "kept " + i).agent(i < 3 ? "billing" : null));
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 1 + i});
            expected.add(m.id());
        }
        SemanticQuery q = SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).filter(SearchFilter.none().agentWithGlobal("billing"));
        assertThat(ids(search.similar(q.k(10)))).containsExactlyElementsOf(expected);
        assertThat(ids(search.similar(q.k(2)))).containsExactlyElementsOf(expected.subList(0, 2));
        assertThat(ids(search.similar(q.k(10).filter(SearchFilter.none().owner(ALICE).agentWithGlobal("billing")))))
                .containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("full-text and semantic search filter by metadata key=value (strings only, all must match), tags (all) and agent,"
            + " with the same exact result lists on every database")
    void metadataTagAndAgentFilters() {
        Memory m1 = memories.create(NewMemory.fact(ALICE, "invoice due friday").agent("billing").tags("finance", "urgent")
                .metadata(Map.of("source", "email", "lang", "en")));
        Memory m2 = memories.create(NewMemory.fact(ALICE, "invoice paid").agent("billing").tags("finance")
                .metadata(Map.of("source", "chat", "lang", "en")));
        Memory m3 = memories.create(NewMemory.fact(ALICE, "invoice question").agent("support").tags("urgent")
                .metadata(Map.of("source", "email", "count", 5)));
        Memory m4 = memories.create(NewMemory.fact(ALICE, "invoice copy").metadata(Map.of("count", "5", "nested", Map.of("source", "email"))));
        search.upsertVector(SearchTarget.MEMORY, m1.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, m2.id(), MODEL, new float[] {1, 0.2f});
        search.upsertVector(SearchTarget.MEMORY, m3.id(), MODEL, new float[] {1, 0.4f});
        search.upsertVector(SearchTarget.MEMORY, m4.id(), MODEL, new float[] {1, 0.6f});
        Map<SearchFilter, List<UUID>> expected = new LinkedHashMap<>();
        expected.put(SearchFilter.none(), List.of(m1.id(), m2.id(), m3.id(), m4.id()));
        expected.put(SearchFilter.none().metadata("source", "email"), List.of(m1.id(), m3.id()));
        expected.put(SearchFilter.none().metadata("source", "email").metadata("lang", "en"), List.of(m1.id()));
        // Strings only: the number 5 is not "5"; a nested key is not a top-level key.
        expected.put(SearchFilter.none().metadata("count", "5"), List.of(m4.id()));
        expected.put(SearchFilter.none().metadata("source", "EMAIL"), List.of());
        expected.put(SearchFilter.none().tag("urgent"), List.of(m1.id(), m3.id()));
        expected.put(SearchFilter.none().tag("urgent").tag("finance"), List.of(m1.id()));
        expected.put(SearchFilter.none().agent("billing"), List.of(m1.id(), m2.id()));
        expected.put(SearchFilter.none().agent("billing").tag("urgent").metadata("source", "email"), List.of(m1.id()));
        expected.put(SearchFilter.none().agent("nobody"), List.of());
        for (Map.Entry<SearchFilter, List<UUID>> e : expected.entrySet()) {
            assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).filter(e.getKey()))))
                    .as("semantic " + e.getKey()).containsExactlyElementsOf(e.getValue());
            // Every memory holds "invoice" once; m1 has three words, the others two: shorter scores higher, equal scores go by id.
            List<UUID> text = new ArrayList<>(e.getValue().stream().filter(id -> !id.equals(m1.id()))
                    .sorted(Comparator.comparing(UUID::toString)).toList());
            if (e.getValue().contains(m1.id())) {
                text.add(m1.id());
            }
            assertThat(ids(search.text(TextQuery.memories("invoice").filter(e.getKey())))).as("text " + e.getKey())
                    .containsExactlyElementsOf(text);
        }
        assertThat(ids(search.text(TextQuery.memories("invoice").filter(SearchFilter.none().tag("finance")))))
                .containsExactly(m2.id(), m1.id());
        assertThat(other.text(TextQuery.memories("invoice").filter(SearchFilter.none().agent("billing")))).isEmpty();

        Conversation c = convo(ALICE);
        Message a = conversations.append(c.id(), NewMessage.assistant("refund sent").agent("billing").metadata(Map.of("channel", "sms")));
        Message b = conversations.append(c.id(), NewMessage.assistant("refund pending").agent("support").metadata(Map.of("channel", "sms")));
        Message u = conversations.append(c.id(), NewMessage.user("refund?").metadata(Map.of("channel", "web")));
        search.upsertVector(SearchTarget.MESSAGE, a.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MESSAGE, b.id(), MODEL, new float[] {1, 0.5f});
        search.upsertVector(SearchTarget.MESSAGE, u.id(), MODEL, new float[] {0, 1});
        SemanticQuery near = SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0});
        assertThat(ids(search.similar(near.filter(SearchFilter.none().metadata("channel", "sms"))))).containsExactly(a.id(), b.id());
        assertThat(ids(search.similar(near.filter(SearchFilter.none().metadata("channel", "sms").agent("support"))))).containsExactly(b.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().metadata("channel", "web"))))).containsExactly(u.id());
        assertThat(ids(search.text(TextQuery.messages("refund").filter(SearchFilter.none().agent("billing"))))).containsExactly(a.id());
    }

    @Test
    @DisplayName("a metadata condition matches a top-level string only, whatever the key's text: not an array or object holding the"
            + " string, not a key spelt as a path; keys with dots, dollars, quotes and SQL match themselves, text and semantic alike")
    void metadataConditionsMatchTopLevelStringsOnly() {
        Map<String, Object> shapes = new LinkedHashMap<>();
        shapes.put("array", List.of("email"));
        shapes.put("object", Map.of("source", "email"));
        shapes.put("string", "email");
        Map<String, UUID> byShape = new LinkedHashMap<>();
        float y = 0;
        for (Map.Entry<String, Object> e : shapes.entrySet()) {
            Memory m = memories.create(NewMemory.fact(ALICE, "note " + e.getKey()).metadata(Map.of("source", e.getValue())));
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, y += 0.1f});
            byShape.put(e.getKey(), m.id());
        }
        List<String> oddKeys = List.of("a.b", "$.source", "a\"b", "'; DROP TABLE x; --", "source.0", "[0]", "\u00e9", "\uD83D\uDE00 k");
        Map<String, UUID> byKey = new LinkedHashMap<>();
        for (String key : oddKeys) {
            Memory m = memories.create(NewMemory.fact(ALICE, "note key").metadata(Map.of(key, "v")));
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, y += 0.1f});
            byKey.put(key, m.id());
        }
        SemanticQuery near = SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).k(50);
        SearchFilter email = SearchFilter.none().metadata("source", "email");
        assertThat(ids(search.text(TextQuery.memories("note").filter(email)))).containsExactly(byShape.get("string"));
        assertThat(ids(search.similar(near.filter(email)))).containsExactly(byShape.get("string"));
        for (String key : oddKeys) {
            SearchFilter f = SearchFilter.none().metadata(key, "v");
            assertThat(ids(search.text(TextQuery.memories("note").filter(f)))).as(key).containsExactly(byKey.get(key));
            assertThat(ids(search.similar(near.filter(f)))).as(key).containsExactly(byKey.get(key));
        }
        // Values JSON escapes, or that differ only in their Unicode form, are matched as the exact string on both databases.
        List<String> oddValues = List.of("a\"b", "back\\slash", "tab\there", "line\u2028sep", "caf\u00e9", "cafe\u0301", "\uD83D\uDE00",
                " v ", "\u0001", "\\u0041");
        Map<String, UUID> byValue = new LinkedHashMap<>();
        for (String value : oddValues) {
            Memory m = memories.create(NewMemory.fact(ALICE, "note value").metadata(Map.of("odd", value)));
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, y += 0.1f});
            byValue.put(value, m.id());
        }
        for (String value : oddValues) {
            SearchFilter f = SearchFilter.none().metadata("odd", value);
            assertThat(ids(search.text(TextQuery.memories("note").filter(f)))).as(value).containsExactly(byValue.get(value));
            assertThat(ids(search.similar(near.filter(f)))).as(value).containsExactly(byValue.get(value));
        }
        assertThat(search.text(TextQuery.memories("note").filter(SearchFilter.none().metadata("odd", "A")))).isEmpty();
        assertThat(search.text(TextQuery.memories("note").filter(SearchFilter.none().metadata("odd", "v")))).isEmpty();
        // A path-like key is a key: "a.b" does not reach {"a": {"b": "v"}}.
        Memory nested = memories.create(NewMemory.fact(ALICE, "note nested").metadata(Map.of("a", Map.of("b", "v"))));
        assertThat(ids(search.text(TextQuery.memories("note").filter(SearchFilter.none().metadata("a.b", "v")))))
                .containsExactly(byKey.get("a.b")).doesNotContain(nested.id());
    }

    @Test
    @DisplayName("rfsearch35: a search stopped between its statements (after its first read) while eraseOwner runs to the end"
            + " returns, without error, what its snapshot held before the erase; every search begun after the erase returned, on"
            + " the erasing instance and on another instance whose vector cache held the erased vectors, has no hit of the"
            + " owner's memories or messages, semantic or text")
    void searchBetweenItsStatementsWhileAnEraseRunsSeesBeforeOrAfterOnly() throws Exception {
        float[] query = {1, 0, 0, 0};
        Memory alices = memories.create(NewMemory.fact(ALICE, "parcel code lilac"));
        search.upsertVector(SearchTarget.MEMORY, alices.id(), MODEL, new float[] {1, 0, 0, 0});
        Memory bobs = memories.create(NewMemory.fact(BOB, "parcel code lilac too"));
        search.upsertVector(SearchTarget.MEMORY, bobs.id(), MODEL, new float[] {4, 3, 0, 0});
        Message alicesMessage = conversations.append(convo(ALICE).id(), NewMessage.user("the lilac parcel"));
        search.upsertVector(SearchTarget.MESSAGE, alicesMessage.id(), MODEL, new float[] {1, 0, 0, 0});
        Message bobsMessage = conversations.append(convo(BOB).id(), NewMessage.user("the lilac parcel again"));
        search.upsertVector(SearchTarget.MESSAGE, bobsMessage.id(), MODEL, new float[] {4, 3, 0, 0});

        StatementGate gate = new StatementGate(pooledDatabase());
        Search second = reopen(b -> b.clock(clock).dataSource(gate.dataSource())).tenant("acme").search();
        // Chooses the vector index and fills the second instance's cache with alice's vectors.
        assertThat(ids(second.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query)))).containsExactly(alices.id(), bobs.id());
        assertThat(ids(second.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, query))))
                .containsExactly(alicesMessage.id(), bobsMessage.id());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<List<SearchHit>> inFlight = pool.submit(() -> {
                gate.arm(2); // the first statement (the model's dimension) has begun the snapshot
                try {
                    return second.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query));
                } finally {
                    gate.finished(); // a search of one statement (plain PostgreSQL) has no boundary inside: it ended before the erase
                }
            });
            gate.awaitReached();
            atlas.tenant("acme").portability().eraseOwner(ALICE, false);
            for (Search s : List.of(search, second)) {
                assertThat(ids(s.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query)))).containsExactly(bobs.id());
                assertThat(ids(s.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, query)))).containsExactly(bobsMessage.id());
                assertThat(ids(s.text(TextQuery.memories("lilac")))).containsExactly(bobs.id());
                assertThat(ids(s.text(TextQuery.messages("lilac")))).containsExactly(bobsMessage.id());
            }
            gate.release();
            assertThat(ids(inFlight.get(60, java.util.concurrent.TimeUnit.SECONDS))).containsExactly(alices.id(), bobs.id());
            // The in-flight search loaded its snapshot's vectors: none of them may answer a later search.
            assertThat(ids(second.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query)))).containsExactly(bobs.id());
        } finally {
            gate.release();
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("rfsearch35: a memory deleted (or expired) and created again with the same client key is a new memory: semantic and"
            + " text search return the new one only, at exactly its own vector's score, never the old one's vector or content; the"
            + " old id takes no vector (NotFound); globex sees none of it")
    void memoryRecreatedWithItsClientKeyIsSearchedAsTheNewOneOnly() {
        float[] query = {1, 0, 0, 0};
        Memory old = memories.create(NewMemory.fact(ALICE, "parcel code lilac").clientKey("k1"));
        search.upsertVector(SearchTarget.MEMORY, old.id(), MODEL, new float[] {1, 0, 0, 0}); // would score 1.0
        Memory aside = memories.create(NewMemory.fact(ALICE, "parcel code aside"));
        search.upsertVector(SearchTarget.MEMORY, aside.id(), MODEL, new float[] {4, 3, 0, 0}); // 0.8
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query)))).containsExactly(old.id(), aside.id());
        memories.delete(old.id());
        Memory again = memories.create(NewMemory.fact(ALICE, "parcel code lilac").clientKey("k1"));
        assertThat(again.id()).isNotEqualTo(old.id());
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query)))).containsExactly(aside.id());
        search.upsertVector(SearchTarget.MEMORY, again.id(), MODEL, new float[] {3, 4, 0, 0}); // 0.6
        assertThatThrownBy(() -> search.upsertVector(SearchTarget.MEMORY, old.id(), MODEL, new float[] {1, 0, 0, 0}))
                .isInstanceOf(NotFoundException.class);
        List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query));
        assertThat(ids(hits)).containsExactly(aside.id(), again.id());
        assertThat(hits.stream().map(SearchHit::score).toList()).containsExactly(0.8, 0.6);
        assertThat(ids(search.text(TextQuery.memories("lilac")))).containsExactly(again.id());

        // The same through expiry: the key of an expired memory is freed by the next create with it.
        Memory expiring = memories.create(NewMemory.fact(ALICE, "parcel code mauve").clientKey("k2")
                .expiresAt(clock.instant().plusSeconds(10)));
        search.upsertVector(SearchTarget.MEMORY, expiring.id(), MODEL, new float[] {1, 0, 0, 0});
        clock.set(clock.instant().plusSeconds(10));
        Memory renewed = memories.create(NewMemory.fact(ALICE, "parcel code mauve").clientKey("k2"));
        assertThat(renewed.id()).isNotEqualTo(expiring.id());
        search.upsertVector(SearchTarget.MEMORY, renewed.id(), MODEL, new float[] {0, 1, 0, 0}); // 0.0
        hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query));
        assertThat(ids(hits)).containsExactly(aside.id(), again.id(), renewed.id());
        assertThat(hits.stream().map(SearchHit::score).toList()).containsExactly(0.8, 0.6, 0.0);
        assertThat(ids(search.text(TextQuery.memories("mauve")))).containsExactly(renewed.id());
        assertThat(other.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query))).isEmpty();
    }

    @Test
    @DisplayName("search35: a metadata filter matches only the string that equals its value code unit for code unit, on every dialect:"
            + " NFC and NFD forms of one letter, a symbol outside the BMP, a key with JSON path characters, and a number beyond long"
            + " (stored as a number it matches no string filter, stored as text it does)")
    void metadataFiltersMatchExactStringsOnly() {
        Map<String, Object> nfc = Map.of("k", "\u00e9");
        Map<String, Object> nfd = Map.of("k", "e\u0301");
        Map<String, Object> astral = Map.of("k", "\uD835\uDEC1");
        Map<String, Object> pathKey = Map.of("k\".$[0]", "q");
        Map<String, Object> bigNumber = Map.of("n", new java.math.BigInteger("123456789012345678901234567890"));
        Map<String, Object> bigText = Map.of("n", "123456789012345678901234567890");
        List<Map<String, Object>> all = List.of(nfc, nfd, astral, pathKey, bigNumber, bigText);
        List<UUID> ids = new ArrayList<>();
        for (Map<String, Object> metadata : all) {
            UUID id = memories.create(NewMemory.fact(ALICE, "meta").metadata(metadata)).id();
            search.upsertVector(SearchTarget.MEMORY, id, "meta-model", new float[] {1, 0});
            ids.add(id);
        }
        String[][] filters = {{"k", "\u00e9"}, {"k", "e\u0301"}, {"k", "\uD835\uDEC1"}, {"k\".$[0]", "q"},
                {"n", "123456789012345678901234567890"}, {"k", "e"}, {"k\"", "q"}};
        List<List<UUID>> expected = List.of(List.of(ids.get(0)), List.of(ids.get(1)), List.of(ids.get(2)), List.of(ids.get(3)),
                List.of(ids.get(5)), List.of(), List.of());
        for (int i = 0; i < filters.length; i++) {
            SearchFilter f = SearchFilter.none().metadata(filters[i][0], filters[i][1]);
            List<UUID> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, "meta-model", new float[] {1, 0}).k(10).filter(f))
                    .stream().map(SearchHit::id).toList();
            assertThat(hits).as(filters[i][0] + " = " + filters[i][1]).isEqualTo(expected.get(i));
            List<UUID> text = search.text(TextQuery.memories("meta").filter(f)).stream().map(SearchHit::id).toList();
            assertThat(text).as("text, " + filters[i][0] + " = " + filters[i][1]).isEqualTo(expected.get(i));
        }
    }

    @Test
    @DisplayName("a memory is found by text and semantic search up to the microsecond before its expiresAt and by neither at it, by"
            + " the reading instance's clock, with the vectors already cached")
    void expiryBoundaryInSearch() {
        Instant expiry = clock.instant().plusSeconds(10);
        Memory going = memories.create(NewMemory.fact(ALICE, "boundary word").expiresAt(expiry));
        Memory staying = memories.create(NewMemory.fact(ALICE, "boundary word kept"));
        search.upsertVector(SearchTarget.MEMORY, going.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, staying.id(), MODEL, new float[] {0, 1});
        SemanticQuery near = SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0});
        assertThat(ids(search.similar(near))).containsExactly(going.id(), staying.id());
        clock.set(expiry.minusNanos(1_000));
        assertThat(ids(search.text(TextQuery.memories("boundary")))).containsExactly(going.id(), staying.id());
        assertThat(ids(search.similar(near))).containsExactly(going.id(), staying.id());
        clock.set(expiry);
        assertThat(ids(search.text(TextQuery.memories("boundary")))).containsExactly(staying.id());
        assertThat(ids(search.similar(near))).containsExactly(staying.id());
        assertThat(ids(search.similar(near.k(1)))).containsExactly(staying.id());
    }

    @Test
    @DisplayName("semantic search follows replaced and deleted vectors between queries, and a selective filter still finds its"
            + " low-scoring rows (the SQLite vector cache ranks, SQL decides)")
    void searchFollowsVectorWritesBetweenQueries() {
        List<Memory> m = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            m.add(memories.create(NewMemory.fact(i == 59 ? BOB : ALICE, "m" + i)));
            search.upsertVector(SearchTarget.MEMORY, m.get(i).id(), MODEL, new float[] {1, i / 100f});
        }
        SemanticQuery q = SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).k(3);
        assertThat(ids(search.similar(q))).containsExactly(m.get(0).id(), m.get(1).id(), m.get(2).id());
        search.upsertVector(SearchTarget.MEMORY, m.get(0).id(), MODEL, new float[] {0, 1});
        search.deleteVector(SearchTarget.MEMORY, m.get(1).id(), MODEL);
        assertThat(ids(search.similar(q))).containsExactly(m.get(2).id(), m.get(3).id(), m.get(4).id());
        memories.delete(m.get(2).id());
        memories.update(m.get(3).id(), MemoryPatch.content("changed"));
        assertThat(ids(search.similar(q))).containsExactly(m.get(4).id(), m.get(5).id(), m.get(6).id());
        // Bob's single memory scores below all 32 best rows: found through the candidates' listing.
        List<SearchHit> bob = search.similar(q.filter(SearchFilter.none().owner(BOB)));
        assertThat(ids(bob)).containsExactly(m.get(59).id());
        assertThat(bob.get(0).score()).isEqualTo(1 / Math.sqrt(1 + (double) (59 / 100f) * (59 / 100f)));
        assertThat(other.similar(q)).isEmpty();
    }

    @Test
    @DisplayName("semantic search follows vectors another Atlas on the same database replaced in place, or deleted and"
            + " stored again with the count unchanged (SQLite: two processes on one file)")
    void searchFollowsAnotherInstancesVectorWrites() {
        Search theirs = reopen(b -> b.clock(clock)).tenant("acme").search();
        List<Memory> m = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            m.add(memories.create(NewMemory.fact(ALICE, "m" + i)));
            if (i < 5) {
                search.upsertVector(SearchTarget.MEMORY, m.get(i).id(), MODEL, new float[] {1, i / 10f});
            }
        }
        SemanticQuery q = SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).k(2);
        assertThat(ids(search.similar(q))).containsExactly(m.get(0).id(), m.get(1).id());

        theirs.upsertVector(SearchTarget.MEMORY, m.get(0).id(), MODEL, new float[] {0, 1});
        assertThat(ids(search.similar(q))).containsExactly(m.get(1).id(), m.get(2).id());

        theirs.deleteVector(SearchTarget.MEMORY, m.get(1).id(), MODEL);
        theirs.upsertVector(SearchTarget.MEMORY, m.get(5).id(), MODEL, new float[] {1, 0});
        List<SearchHit> hits = search.similar(q);
        assertThat(ids(hits)).containsExactly(m.get(5).id(), m.get(2).id());
        assertThat(hits.get(0).score()).isEqualTo(1.0);
    }

    @Test
    @DisplayName("the full-text index follows message edits, message deletes and conversation deletes")
    void followsMessageChanges() {
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("my parcel is late"));
        Message n = conversations.append(c.id(), NewMessage.user("parcel number 77"));
        conversations.edit(m.id(), "my package is late");
        assertThat(ids(search.text(TextQuery.messages("parcel")))).containsExactly(n.id());
        assertThat(ids(search.text(TextQuery.messages("package")))).containsExactly(m.id());
        conversations.markRead(m.id());
        assertThat(ids(search.text(TextQuery.messages("package")))).containsExactly(m.id());
        conversations.deleteMessage(m.id());
        assertThat(search.text(TextQuery.messages("package"))).isEmpty();
        conversations.delete(c.id());
        assertThat(search.text(TextQuery.messages("parcel"))).isEmpty();
        conversations.restore(c.id());
        assertThat(ids(search.text(TextQuery.messages("parcel")))).containsExactly(n.id());
    }

    @Test
    @DisplayName("the full-text index follows memory updates and deletes")
    void followsMemoryChanges() {
        Memory m = memories.create(NewMemory.fact(ALICE, "likes green tea"));
        memories.update(m.id(), MemoryPatch.content("likes black coffee"));
        assertThat(search.text(TextQuery.memories("tea"))).isEmpty();
        assertThat(ids(search.text(TextQuery.memories("coffee")))).containsExactly(m.id());
        memories.update(m.id(), MemoryPatch.none().importance(0.9));
        assertThat(ids(search.text(TextQuery.memories("coffee")))).containsExactly(m.id());
        memories.delete(m.id());
        assertThat(search.text(TextQuery.memories("coffee"))).isEmpty();
    }

    @Test
    @DisplayName("updates and deletes from a second instance whose clock runs an hour behind are seen by the next search of the first:"
            + " never the old text, its snippet or its vector")
    void laggingInstanceChangesAreSeenAtOnce() {
        Atlas lagging = reopen(b -> b.clock(new MutableClock(clock.instant().minus(java.time.Duration.ofHours(1)))));
        Memory m = memories.create(NewMemory.fact(ALICE, "likes green tea"));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        Conversation c = convo(ALICE);
        Message msg = conversations.append(c.id(), NewMessage.user("parcel lost in Lyon"));
        search.text(TextQuery.memories("tea")); // the first instance has searched (and cached) before the changes
        search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}));
        lagging.tenant("acme").memories().update(m.id(), MemoryPatch.content("likes black coffee"));
        lagging.tenant("acme").conversations().edit(msg.id(), "parcel found in Paris");
        assertThat(search.text(TextQuery.memories("tea"))).isEmpty();
        assertThat(search.text(TextQuery.memories("coffee"))).extracting(SearchHit::snippet).containsExactly("likes black [coffee]");
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}))).isEmpty();
        assertThat(search.text(TextQuery.messages("Lyon"))).isEmpty();
        assertThat(search.text(TextQuery.messages("parcel"))).extracting(SearchHit::snippet).containsExactly("[parcel] found in Paris");
        lagging.tenant("acme").memories().delete(m.id());
        lagging.tenant("acme").conversations().deleteMessage(msg.id());
        assertThat(search.text(TextQuery.memories("coffee"))).isEmpty();
        assertThat(search.text(TextQuery.messages("parcel"))).isEmpty();
    }

    @Test
    @DisplayName("a vector upserted again from an instance whose clock runs an hour behind keeps its update time (it moved back to"
            + " before the vector was created)")
    void laggingVectorUpsertNeverMovesItsUpdateTimeBack() {
        Memory m = memories.create(NewMemory.fact(ALICE, "likes green tea"));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        Atlas lagging = reopen(b -> b.clock(new MutableClock(clock.instant().minus(java.time.Duration.ofHours(1)))));
        lagging.tenant("acme").search().upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {0, 1});
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        long unmoved = db.read(h -> AdHoc.on(db, h, "SELECT COUNT(*) FROM <p>vectors WHERE updated_at = created_at")
                .one(dev.atlas.jdbi.internal.sql.Sql.LONG));
        assertThat(unmoved).isEqualTo(1L);
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {0, 1}))).extracting(SearchHit::id)
                .containsExactly(m.id());
    }

    @Test
    @DisplayName("any query string is safe: quotes, operators and punctuation never cause an error, and every engine's syntax (AND/OR/NOT,"
            + " NEAR, *, -, ^, column filters, & | ! <->) is plain words, each query finding exactly its rows on every database")
    void hostileQueries() {
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("drop the table near the window"));
        // srch19: each query finds exactly these rows on every database: FTS5's quotes, NEAR, *, -, ^, column filters and
        // AND/OR/NOT are words (every one required), as are tsquery's & | ! <->; unbalanced parentheses, stop words (none:
        // "the" is a word), and queries of punctuation only find nothing without an error.
        Message syntax = conversations.append(c.id(), NewMessage.user("NOT and OR body:value \"quoted phrase\" star* -minus ^caret (open"));
        List<UUID> none = List.of();
        List<UUID> drop = List.of(m.id());
        List<UUID> words = List.of(syntax.id());
        Map<String, List<UUID>> hostile = new LinkedHashMap<>();
        for (String q : List.of("'; DROP TABLE atlas_messages; --", "\"", "\"unbalanced", "NEAR(drop table, 2)", "*", "a:b", "body:drop",
                "{body}: drop", "''", "\\", "%", "_", "?", "<p>", "", "   ", "\u00e9t\u00e9", "\uD83D\uDE00 emoji")) {
            hostile.put(q, none);
        }
        for (String q : List.of("NEAR(", "drop*", "-drop", "^drop", "(drop", "drop)", "drop & table | !window")) {
            hostile.put(q, drop);
        }
        hostile.put("AND", words);
        hostile.put("OR NOT", words);
        for (Map.Entry<String, List<UUID>> e : hostile.entrySet()) {
            assertThat(ids(search.text(TextQuery.messages(e.getKey())))).as(e.getKey()).isEqualTo(e.getValue());
            search.text(TextQuery.memories(e.getKey()));
        }
        Map<String, List<UUID>> more = new LinkedHashMap<>();
        for (String q : List.of("NEAR/2", "drop OR window", "drop NOT window", "dro*", "((((", "near-table", "... ,,, ::: \"\" '' -- ** ^^ ()")) {
            more.put(q, none);
        }
        for (String q : List.of("'; DROP", "NEAR(drop window)", "drop -window", "drop <-> table", "table-near", "THE the The")) {
            more.put(q, drop);
        }
        for (String q : List.of("\"quoted phrase\"", "body:value", "star*", "-minus", "open))")) {
            more.put(q, words);
        }
        for (Map.Entry<String, List<UUID>> e : more.entrySet()) {
            assertThat(ids(search.text(TextQuery.messages(e.getKey())))).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(conversations.getMessage(m.id())).isPresent();
        // The longest query is Limits.MAX_QUERY_LENGTH characters: a megabyte of words is refused on text, before any read.
        assertThatThrownBy(() -> TextQuery.messages("drop ".repeat(200_000))).isInstanceOf(dev.atlas.InvalidInputException.class)
                .hasMessage("text: is 1000000 characters; at most 1000 are allowed");
    }

    @Test
    @DisplayName("neither full-text nor semantic search ever returns another tenant's rows")
    void tenantIsolation() {
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("shared words everywhere"));
        Memory mem = memories.create(NewMemory.fact(ALICE, "shared words everywhere"));
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 0, 0});
        search.upsertVector(SearchTarget.MEMORY, mem.id(), MODEL, new float[] {1, 0, 0});
        search.upsertAssetVector(asset(), null, MODEL, new float[] {1, 0, 0});
        var globexConvos = atlas.tenant("globex").conversations();
        globexConvos.append(globexConvos.create(NewConversation.of(ALICE)).id(), NewMessage.user("shared words"));
        assertThat(other.text(TextQuery.messages("shared words"))).hasSize(1).extracting(SearchHit::id).doesNotContain(m.id());
        assertThat(other.text(TextQuery.memories("shared"))).isEmpty();
        for (SearchTarget t : SearchTarget.values()) {
            assertThat(other.similar(SemanticQuery.of(t, MODEL, new float[] {1, 0, 0}))).isEmpty();
        }
        assertThat(other.dimension(MODEL)).isZero();
        assertThatThrownBy(() -> other.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 0, 0})).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.upsertVector(SearchTarget.MEMORY, mem.id(), MODEL, new float[] {1, 0, 0})).isInstanceOf(NotFoundException.class);
        UUID mine = asset();
        assertThatThrownBy(() -> other.upsertAssetVector(mine, c.id(), MODEL, new float[] {1, 0, 0}))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.deleteVector(SearchTarget.MESSAGE, m.id(), MODEL)).isInstanceOf(NotFoundException.class)
                .hasMessage("id: vector " + m.id() + " not found");
        assertThatThrownBy(() -> other.embed(SearchTarget.MEMORY, mem.id(), MODEL, text -> new float[] {1, 0, 0}))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> other.embed(SearchTarget.MESSAGE, m.id(), MODEL, text -> new float[] {1, 0, 0}))
                .isInstanceOf(NotFoundException.class);
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0, 0}))).hasSize(1);
    }

    @Test
    @DisplayName("the full-text index answers a tenant's words with that tenant's rows only, never reading a larger tenant's matches")
    void indexReadsOnlyTheTenantsMatches() {
        var globex = atlas.tenant("globex").conversations();
        Conversation big = globex.create(NewConversation.of(ALICE));
        List<NewMessage> theirs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            theirs.add(NewMessage.user("where is my order " + i));
        }
        globex.appendAll(big.id(), theirs);
        atlas.tenant("globex").memories().create(NewMemory.fact(ALICE, "order history"));
        Conversation c = convo(ALICE);
        for (int i = 0; i < 3; i++) {
            conversations.append(c.id(), NewMessage.user("my order " + i));
        }
        conversations.append(c.id(), NewMessage.user("no match here"));
        memories.create(NewMemory.fact(ALICE, "order by phone"));

        assertThat(indexMatches("acme", "messages", "message", "order")).isEqualTo(3);
        assertThat(indexMatches("acme", "memories", "memory", "order")).isEqualTo(1);
        assertThat(indexMatches("globex", "messages", "message", "order")).isEqualTo(200);
        assertThat(indexMatches("initech", "messages", "message", "order")).isZero();
        assertThat(search.text(TextQuery.messages("order").limit(50))).hasSize(3);
        assertThat(other.text(TextQuery.messages("order").limit(50))).hasSize(50);
    }

    /** Rows the full-text index condition alone (no tenant filter beside it) returns for {@code tenant}'s search of {@code word}. */
    private long indexMatches(String tenant, String table, String targetType, String word) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String sql = "SELECT COUNT(*) FROM " + db.dialect().textFrom(table, "x", targetType) + " WHERE " + db.dialect().textMatch("x");
        // The tenant is bound by hand (the runner binds :t only beside a tenant filter, which this count leaves out on purpose).
        String unfiltered = sql.replaceAll(":t\\b", ":tenant");
        return db.read(h -> AdHoc.on(db, h, unfiltered).bind("tenant", tenant).bind("q", db.dialect().textQuery(List.of(word)))
                .one(dev.atlas.jdbi.internal.sql.Sql.LONG));
    }

    @Test
    @DisplayName("tenant ids that look like words, query syntax or the index's own tenant term find their own rows by their words only")
    void tenantIdsOfEveryShape() {
        List<String> tenants = List.of("order", "x0", "x06f72646572", "acme corp", "q\"uote's :t -- \u00fc\u00f1\u00ee", "\ud83d\ude00".repeat(64),
                "a" + "b".repeat(127), "OR", "NEAR", "*");
        Map<String, UUID> found = new LinkedHashMap<>();
        for (String t : tenants) {
            ConversationStore store = atlas.tenant(t).conversations();
            Conversation c = store.create(NewConversation.of(ALICE));
            found.put(t, store.append(c.id(), NewMessage.user("an order placed")).id());
            store.append(c.id(), NewMessage.user("nothing to see"));
            atlas.tenant(t).memories().create(NewMemory.fact(ALICE, "prefers email"));
        }
        for (String t : tenants) {
            Search s = atlas.tenant(t).search();
            assertThat(ids(s.text(TextQuery.messages("order")))).as(t).containsExactly(found.get(t));
            assertThat(ids(s.text(TextQuery.messages("nothing")))).as(t).hasSize(1).doesNotContain(found.get(t));
            assertThat(s.text(TextQuery.memories("email"))).as(t).hasSize(1);
            // The index's spelling of tenant "order" on SQLite is never a word's: searching it finds nothing.
            assertThat(s.text(TextQuery.messages("x06f72646572"))).as(t).isEmpty();
        }
    }

    @Test
    @DisplayName("another tenant's rows change nothing in a tenant's answers: same rows, order, score bits, snippets and conversations,"
            + " full-text and semantic, whatever the other tenant stores (same words, same model, another dimension)")
    void otherTenantsRowsChangeNothing() {
        Conversation c = convo(ALICE);
        Random random = new Random(1);
        for (int i = 0; i < 30; i++) {
            String text = "alpha " + "filler ".repeat(random.nextInt(40)) + (i % 2 == 0 ? "beta alpha" : "gamma") + " end";
            Memory m = memories.create(NewMemory.fact(ALICE, text).tags("t" + (i % 3)));
            conversations.append(c.id(), NewMessage.user(text));
            // Every fifth vector ties, so the k returned among equals is tested too.
            search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, i % 5 == 0 ? new float[] {1, 1, 0} : randomVector(random, 3));
        }
        List<TextQuery> texts = List.of(TextQuery.memories("alpha").limit(10), TextQuery.memories("alpha beta"),
                TextQuery.messages("alpha").limit(7), TextQuery.messages("beta alpha"),
                TextQuery.memories("alpha").filter(SearchFilter.none().tag("t1")).limit(3));
        List<SemanticQuery> vectors = List.of(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 1, 0}).k(3),
                SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 1, 0}).k(25),
                SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {0, 0, 1}).k(1000),
                SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 1, 0}).k(2).filter(SearchFilter.none().tag("t0")));
        List<List<String>> before = answers(texts, vectors);
        var globex = atlas.tenant("globex");
        Conversation g = globex.conversations().create(NewConversation.of(ALICE));
        List<NewMessage> theirs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String text = "alpha beta alpha gamma " + "alpha ".repeat(i % 7);
            Memory m = globex.memories().create(NewMemory.fact(ALICE, text).tags("t0", "t1"));
            theirs.add(NewMessage.user(text));
            other.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 1, 0});
        }
        globex.conversations().appendAll(g.id(), theirs); // the rows of 200 appends, in one call
        UUID hooli = atlas.tenant("hooli").memories().create(NewMemory.fact(ALICE, "alpha")).id();
        atlas.tenant("hooli").search().upsertVector(SearchTarget.MEMORY, hooli, MODEL, new float[] {1, 1, 0, 0});
        assertThat(answers(texts, vectors)).isEqualTo(before);
    }

    private List<List<String>> answers(List<TextQuery> texts, List<SemanticQuery> vectors) {
        List<List<String>> out = new ArrayList<>();
        Stream.concat(texts.stream().map(search::text), vectors.stream().map(search::similar)).forEach(hits -> out.add(hits.stream()
                .map(h -> h.id() + " " + Double.doubleToRawLongBits(h.score()) + " " + h.conversationId() + " " + h.snippet()).toList()));
        return out;
    }

    /** One corpus for {@link #sameMatchesOnEveryDatabase}: mixed scripts, addresses, numbers, code and punctuation. */
    private static final Map<String, String> CORPUS = corpus();

    private static Map<String, String> corpus() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("email", "Contact ada@example.com or read https://docs.example.org/guide?lang=en#setup today.");
        c.put("version", "Upgrade to version 2.5.1 now; 2.5.10 is not out yet.");
        c.put("decimal", "Pi is about 3.14 (roughly 22/7).");
        c.put("apart", "I ate 3 apples and 14 pears.");
        c.put("accents", "Caf\u00e9 d\u00e9j\u00e0 vu \u2014 CR\u00c8ME br\u00fbl\u00e9e");
        c.put("plain", "A cafe, a xylophone and a creme caramel.");
        c.put("cyrillic", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041c\u043e\u0441\u043a\u0432\u0430 \u2014 \u0441\u0442\u043e\u043b\u0438\u0446\u0430.");
        c.put("devanagari", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e, \u092f\u0939 \u090f\u0915 \u092a\u0930\u0940\u0915\u094d\u0937\u0923 \u0939\u0948\u0964");
        c.put("cjk", "\u6211\u559c\u6b22\u4e2d\u6587\u641c\u7d22\u3002\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3082\u3002");
        c.put("emoji", "Ship it \uD83D\uDE80\uD83C\uDF89 today \uD83D\uDC4D\uD83C\uDFFD");
        c.put("code", "call user_id = getUserName(config.max_retries) in app.core.utils");
        c.put("punctuation", "Hello!!! (world) [test] {brace} <tag> ... ??? -- done");
        return c;
    }

    /** Query, then the corpus keys it must find: exactly these, on every database, for messages and for memories. */
    private static final List<Map.Entry<String, List<String>>> QUERIES = List.of(
            Map.entry("ada@example.com", List.of("email")),
            Map.entry("example", List.of("email")),
            Map.entry("guide", List.of("email")),
            Map.entry("docs.example.org/guide", List.of("email")),
            Map.entry("https", List.of("email")),
            Map.entry("example.com ada", List.of("email")),
            Map.entry("com.example", List.of()),
            Map.entry("2.5.1", List.of("version")),
            Map.entry("2.5", List.of("version")),
            Map.entry("5.10", List.of("version")),
            Map.entry("2.5.2", List.of()),
            Map.entry("3.14", List.of("decimal")),
            Map.entry("3 14", List.of("decimal", "apart")),
            Map.entry("22/7", List.of("decimal")),
            Map.entry("caf\u00e9", List.of("accents")),
            Map.entry("CAF\u00c9", List.of("accents")),
            Map.entry("cafe\u0301", List.of("accents")),
            Map.entry("cafe", List.of("plain")),
            Map.entry("Xylophone", List.of("plain")),
            Map.entry("cr\u00e8me", List.of("accents")),
            Map.entry("\u043f\u0440\u0438\u0432\u0435\u0442", List.of("cyrillic")),
            Map.entry("\u041c\u041e\u0421\u041a\u0412\u0410", List.of("cyrillic")),
            Map.entry("\u0928\u092e\u0938\u094d\u0924\u0947", List.of("devanagari")),
            Map.entry("\u092a\u0930\u0940\u0915\u094d\u0937\u0923", List.of("devanagari")),
            Map.entry("\u0928\u092e\u0938", List.of()),
            Map.entry("\u4e2d\u6587", List.of("cjk")),
            Map.entry("\u641c\u7d22", List.of("cjk")),
            Map.entry("\u4e2d\u641c", List.of()),
            Map.entry("\u30c6\u30ad\u30b9\u30c8", List.of("cjk")),
            Map.entry("\uD83D\uDE80", List.of("emoji")),
            Map.entry("\uD83D\uDC4D", List.of("emoji")),
            Map.entry("\uD83C\uDF89\uD83D\uDE80", List.of()),
            Map.entry("today", List.of("email", "emoji")),
            Map.entry("user_id", List.of("code")),
            Map.entry("user", List.of("code")),
            Map.entry("getUserName", List.of("code")),
            Map.entry("getusername", List.of("code")),
            Map.entry("name", List.of()),
            Map.entry("config.max_retries", List.of("code")),
            Map.entry("max retries", List.of("code")),
            Map.entry("core.utils", List.of("code")),
            Map.entry("utils.core", List.of()),
            Map.entry("world tag", List.of("punctuation")),
            Map.entry("world:test", List.of("punctuation")),
            Map.entry("(world) {brace}", List.of("punctuation")),
            Map.entry("world,test", List.of("punctuation")),
            Map.entry("test,world", List.of()),
            Map.entry("!!! ??? --", List.of()),
            Map.entry("hello world zebra", List.of()));

    @Test
    @DisplayName("one corpus of mixed scripts, addresses, numbers, code and punctuation: every query finds exactly the expected rows")
    void sameMatchesOnEveryDatabase() {
        Conversation c = convo(ALICE);
        Map<UUID, String> messageKeys = new HashMap<>();
        Map<UUID, String> memoryKeys = new HashMap<>();
        CORPUS.forEach((key, text) -> {
            messageKeys.put(conversations.append(c.id(), NewMessage.user(text)).id(), key);
            memoryKeys.put(memories.create(NewMemory.fact(ALICE, text)).id(), key);
        });
        Map<String, List<String>> expected = new LinkedHashMap<>();
        Map<String, List<String>> messageHits = new LinkedHashMap<>();
        Map<String, List<String>> memoryHits = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> q : QUERIES) {
            expected.put(q.getKey(), q.getValue().stream().sorted().toList());
            messageHits.put(q.getKey(), search.text(TextQuery.messages(q.getKey())).stream().map(h -> messageKeys.get(h.id())).sorted().toList());
            memoryHits.put(q.getKey(), search.text(TextQuery.memories(q.getKey())).stream().map(h -> memoryKeys.get(h.id())).sorted().toList());
        }
        assertThat(messageHits).isEqualTo(expected);
        assertThat(memoryHits).isEqualTo(expected);
    }

    /** A word of 84 code points: a term keeps its first 64. */
    private static final String LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstaltsdirektor";

    /**
     * The differential corpus of {@link #differentialCorpusInOrder}: label, then text. Mixed case of
     * non-ASCII letters, composed and decomposed accents, CJK, emoji with ZWJ and skin tones,
     * joined words (e-mail, don't, v1.2.3, U.S.), numbers, stop words, a word over 64 code points,
     * a word repeated, and the syntax of FTS5 and tsquery written as text.
     */
    private static Map<String, String> differentialCorpus() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("strasse", "Die Straße ist gesperrt");
        c.put("STRASSE", "STRASSE gesperrt");
        c.put("istanbul-dot", "İstanbul'a uçuş");
        c.put("istanbul", "ISTANBUL flights");
        c.put("sisyphus-upper", "ΣΊΣΥΦΟΣ and the rock");
        c.put("sisyphus", "σίσυφος");
        c.put("dz", "ǅemal wrote");
        c.put("cafe-nfc", "caf\u00e9 au lait");
        c.put("cafe-nfd", "cafe\u0301 noir");
        c.put("cjk", "東京タワーに行きました");
        c.put("emoji", "family \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 photo \uD83D\uDC4D\uD83C\uDFFD");
        c.put("e-mail", "send an e-mail to ada@example.com");
        c.put("dont", "don't panic");
        c.put("version", "upgrade to v1.2.3 now");
        c.put("us", "the U.S. economy");
        c.put("numbers", "order 1234 and order 12345");
        c.put("stopwords", "the the the of and");
        c.put("long", "the " + LONG_WORD + " pays");
        c.put("cats", "cat cat cat cat");
        c.put("cat", "cat");
        c.put("syntax", "NEAR(a b) AND c OR NOT d");
        c.put("symbols", "price: $5 * 3 | \"quoted\" (parens) !bang & amp");
        c.put("email", "mail me: email");
        c.put("xray", "x-ray xylophone");
        return c;
    }

    /** Query, then the labels it finds in order (score descending, then id, which is creation order here). */
    private static final List<Map.Entry<String, List<String>>> DIFFERENTIAL_QUERIES = List.of(
            Map.entry("straße", List.of("strasse")),
            Map.entry("STRASSE", List.of("STRASSE")),
            Map.entry("gesperrt", List.of("STRASSE", "strasse")),
            Map.entry("istanbul", List.of("istanbul")),
            Map.entry("İSTANBUL", List.of("istanbul-dot")),
            Map.entry("ΣΊΣΥΦΟΣ", List.of("sisyphus", "sisyphus-upper")),
            Map.entry("ǆemal", List.of("dz")),
            Map.entry("caf\u00e9", List.of("cafe-nfd", "cafe-nfc")),
            Map.entry("cafe\u0301", List.of("cafe-nfd", "cafe-nfc")),
            Map.entry("cafe", List.of()),
            Map.entry("東京", List.of("cjk")),
            Map.entry("京東", List.of()),
            Map.entry("タワー", List.of("cjk")),
            Map.entry("\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", List.of("emoji")),
            Map.entry("\uD83D\uDC69", List.of("emoji")),
            Map.entry("\uD83D\uDC4D", List.of("emoji")),
            Map.entry("e-mail", List.of("e-mail")),
            Map.entry("email", List.of("email")),
            Map.entry("mail", List.of("email", "e-mail")),
            Map.entry("ada@example.com", List.of("e-mail")),
            Map.entry("don't", List.of("dont")),
            Map.entry("dont", List.of()),
            Map.entry("v1.2.3", List.of("version")),
            Map.entry("1.2.3", List.of()),
            Map.entry("U.S.", List.of("us")),
            Map.entry("us", List.of()),
            Map.entry("1234", List.of("numbers")),
            Map.entry("order 1234", List.of("numbers")),
            Map.entry("the", List.of("stopwords", "long", "sisyphus-upper", "us")),
            Map.entry("and", List.of("sisyphus-upper", "numbers", "stopwords", "syntax")),
            Map.entry(LONG_WORD, List.of("long")),
            Map.entry(LONG_WORD.substring(0, 64) + "zzz", List.of("long")),
            Map.entry(LONG_WORD.substring(0, 63), List.of()),
            Map.entry("cat", List.of("cats", "cat")),
            Map.entry("cat*", List.of("cats", "cat")),
            Map.entry("cat cat", List.of("cats", "cat")),
            Map.entry("\"cat\"", List.of("cats", "cat")),
            Map.entry("cat OR xylophone", List.of()),
            Map.entry("cat AND xylophone", List.of()),
            Map.entry("NOT cat", List.of()),
            Map.entry("NEAR(a b)", List.of("syntax")),
            Map.entry("near a b", List.of("syntax")),
            Map.entry("a | b", List.of("syntax")),
            Map.entry("a & !d", List.of("syntax")),
            Map.entry("(c OR d)", List.of("syntax")),
            Map.entry("c:d", List.of("syntax")),
            Map.entry("price:5", List.of("symbols")),
            Map.entry("\"quoted\" !bang", List.of("symbols")),
            Map.entry("*", List.of()),
            Map.entry("stra*", List.of()),
            Map.entry("x-ray", List.of("xray")),
            Map.entry("XYLOPHONE", List.of("xray")),
            Map.entry("'; DROP TABLE x; --", List.of()));

    @Test
    @DisplayName("a differential corpus (case of non-ASCII letters, NFC and NFD, CJK, emoji, joined words, numbers, stop words, a"
            + " word over 64 code points, FTS5 and tsquery syntax as text): every query finds exactly the expected rows in the expected"
            + " order, messages and memories with the same scores, unchanged by another tenant's rows of the same words")
    void differentialCorpusInOrder() {
        Conversation c = convo(ALICE);
        Map<UUID, String> labels = new HashMap<>();
        differentialCorpus().forEach((label, text) -> {
            labels.put(conversations.append(c.id(), NewMessage.user(text)).id(), label);
            labels.put(memories.create(NewMemory.fact(ALICE, text)).id(), label);
            clock.advanceMicros(1);
        });
        Map<String, List<String>> expected = new LinkedHashMap<>();
        DIFFERENTIAL_QUERIES.forEach(e -> expected.put(e.getKey(), e.getValue()));
        Map<String, List<String>> messageHits = new LinkedHashMap<>();
        Map<String, List<String>> memoryHits = new LinkedHashMap<>();
        Map<String, List<String>> before = new LinkedHashMap<>();
        for (String q : expected.keySet()) {
            List<SearchHit> m = search.text(TextQuery.messages(q).limit(50));
            List<SearchHit> r = search.text(TextQuery.memories(q).limit(50));
            messageHits.put(q, m.stream().map(h -> labels.get(h.id())).toList());
            memoryHits.put(q, r.stream().map(h -> labels.get(h.id())).toList());
            // A message and a memory of one text score alike (per row, from its terms only).
            assertThat(m.stream().map(SearchHit::score).toList()).as(q).isEqualTo(r.stream().map(SearchHit::score).toList());
            before.put(q, r.stream().map(h -> h.id() + " " + Double.doubleToRawLongBits(h.score()) + " " + h.snippet()).toList());
        }
        assertThat(messageHits).isEqualTo(expected);
        assertThat(memoryHits).isEqualTo(expected);
        // Another tenant storing the same texts, each twice over: nothing of acme's answers moves (memories; a
        // message's score is its memory twin's, asserted above).
        var globex = atlas.tenant("globex");
        for (String text : differentialCorpus().values()) {
            globex.memories().create(NewMemory.fact(ALICE, text + " " + text));
        }
        for (String q : expected.keySet()) {
            assertThat(search.text(TextQuery.memories(q).limit(50)).stream()
                    .map(h -> h.id() + " " + Double.doubleToRawLongBits(h.score()) + " " + h.snippet()).toList()).as(q).isEqualTo(before.get(q));
        }
    }

    @Test
    @DisplayName("snippets bracket the matched words, a phrase as one span, in the original text, from the window showing the most"
            + " different phrases, however many times one phrase occurs before it")
    void snippets() {
        Conversation c = convo(ALICE);
        conversations.append(c.id(), NewMessage.user(CORPUS.get("email")));
        conversations.append(c.id(), NewMessage.user(CORPUS.get("cjk")));
        conversations.append(c.id(), NewMessage.user(CORPUS.get("devanagari")));
        assertThat(search.text(TextQuery.messages("ADA@example.com")).get(0).snippet())
                .isEqualTo("Contact [ada@example.com] or read https://docs.example.org/guide?lang=en#setup today.");
        assertThat(search.text(TextQuery.messages("\u4e2d\u6587")).get(0).snippet())
                .isEqualTo("\u6211\u559c\u6b22[\u4e2d\u6587]\u641c\u7d22\u3002\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3082\u3002");
        assertThat(search.text(TextQuery.messages("\u0928\u092e\u0938\u094d\u0924\u0947")).get(0).snippet())
                .startsWith("[\u0928\u092e\u0938\u094d\u0924\u0947] \u0926\u0941\u0928\u093f\u092f\u093e");
        // The window with both phrases comes after 120 occurrences of one: only the first 100 were tried as windows.
        memories.create(NewMemory.fact(ALICE, "cat ".repeat(120) + "dog"));
        assertThat(search.text(TextQuery.memories("cat dog"))).extracting(SearchHit::snippet)
                .containsExactly("\u2026" + "[cat] ".repeat(15) + "[dog]");
        // Two phrases ending at one word (a 13-word name and its last word) both count in the first 16 words' window.
        String name = "org.example.app.core.model.user.account.settings.privacy.mail.notify.rules.engine";
        memories.create(NewMemory.fact(ALICE, "See the docs: " + name + " is slow."));
        assertThat(search.text(TextQuery.memories(name + " engine"))).extracting(SearchHit::snippet)
                .containsExactly("See the docs: [" + name + "]\u2026");
    }

    @Test
    @DisplayName("a snippet stays short whatever the content: a word, or the text before, between or after words, longer than 64"
            + " code points is cut to 64 with … where cut (a memory of a few words and 400,000 characters)")
    void snippetsOfHugeWordsAndGapsStayShort() {
        // Before, a content of at most 16 words came back whole, however long its words or the text between them.
        memories.create(NewMemory.fact(ALICE, "!".repeat(100_000) + " jazz " + "y".repeat(200_000) + "?".repeat(100_000)));
        memories.create(NewMemory.fact(ALICE, "\u4e2d ".repeat(20) + "mid" + "\u00a0-".repeat(100) + "\uD83D\uDE00".repeat(70)
                + " \u6587".repeat(20)));
        memories.create(NewMemory.fact(ALICE, "odd" + "\uD835\uDEC1".repeat(70) + "end"));
        String yWord = "y".repeat(64) + "…";
        assertThat(search.text(TextQuery.memories("jazz")).get(0).snippet())
                .isEqualTo("…" + "!".repeat(63) + " [jazz] " + yWord + "?".repeat(64) + "…");
        assertThat(search.text(TextQuery.memories("jazz " + "y".repeat(64))).get(0).snippet())
                .isEqualTo("…" + "!".repeat(63) + " [jazz] [" + yWord + "]" + "?".repeat(64) + "…");
        assertThat(search.text(TextQuery.memories("mid")).get(0).snippet())
                .isEqualTo("…\u4e2d \u4e2d \u4e2d [mid]" + "\u00a0-".repeat(32) + "…" + "\uD83D\uDE00".repeat(12) + "…");
        assertThat(search.text(TextQuery.memories("\uD83D\uDE00")).get(0).snippet())
                .isEqualTo("…\u4e2d \u4e2d mid" + "\u00a0-".repeat(32) + "…" + "[\uD83D\uDE00]".repeat(13) + "…");
        // Cuts count code points, never splitting a surrogate pair (U+1D6C1, a symbol outside the BMP, separates words).
        assertThat(search.text(TextQuery.memories("odd")).get(0).snippet()).isEqualTo("[odd]" + "\uD835\uDEC1".repeat(64) + "…end");
    }

    @Test
    @DisplayName("emoji newer than Java 17's Unicode 13 tables (🥹 and 🫠 of Unicode 14, 🩷 of 15) are words, as older emoji are,"
            + " found alone and in phrases whatever the JVM's Unicode version")
    void emojiNewerThanTheJvmsUnicodeTablesAreWords() {
        // Java 17 knows Unicode 13: these code points were unassigned there, so they separated words and a
        // search for them had no words (nothing found), while a Java 21 or 25 instance indexed them as words.
        Memory proud = memories.create(NewMemory.fact(ALICE, "so proud \uD83E\uDD79 of you"));
        Memory melting = memories.create(NewMemory.fact(ALICE, "it is hot \uD83E\uDEE0\uD83E\uDEE0 today"));
        Memory hearts = memories.create(NewMemory.fact(ALICE, "\uD83E\uDE77\uD83D\uDE00 pink and grin"));
        memories.create(NewMemory.fact(ALICE, "proud of you"));
        assertThat(search.text(TextQuery.memories("\uD83E\uDD79"))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(proud.id(), "so proud [\uD83E\uDD79] of you"));
        assertThat(ids(search.text(TextQuery.memories("proud \uD83E\uDD79")))).containsExactly(proud.id());
        assertThat(search.text(TextQuery.memories("proud \uD83E\uDEE0"))).isEmpty();
        assertThat(search.text(TextQuery.memories("\uD83E\uDEE0\uD83E\uDEE0"))).extracting(SearchHit::snippet)
                .containsExactly("it is hot [\uD83E\uDEE0\uD83E\uDEE0] today");
        assertThat(ids(search.text(TextQuery.memories("\uD83E\uDEE0")))).containsExactly(melting.id());
        assertThat(search.text(TextQuery.memories("\uD83E\uDE77\uD83D\uDE00"))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(hearts.id(), "[\uD83E\uDE77\uD83D\uDE00] pink and grin"));
    }

    @Test
    @DisplayName("a flag emoji is one word: 🇪🇷 does not find the Belgian and Russian flags side by side (🇧🇪🇷🇺), whose middle"
            + " indicators spell it, and a flag's first indicator alone finds nothing")
    void flagsAreWholeWords() {
        String belgium = "\uD83C\uDDE7\uD83C\uDDEA";
        String eritrea = "\uD83C\uDDEA\uD83C\uDDF7";
        String russia = "\uD83C\uDDF7\uD83C\uDDFA";
        Memory trip = memories.create(NewMemory.fact(ALICE, belgium + russia + " trip"));
        Memory visit = memories.create(NewMemory.fact(ALICE, "visit " + eritrea));
        assertThat(search.text(TextQuery.memories(eritrea))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(visit.id(), "visit [" + eritrea + "]"));
        assertThat(search.text(TextQuery.memories(russia))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(trip.id(), belgium + "[" + russia + "] trip"));
        assertThat(search.text(TextQuery.memories(belgium + russia))).extracting(SearchHit::snippet)
                .containsExactly("[" + belgium + russia + "] trip");
        assertThat(search.text(TextQuery.memories("\uD83C\uDDE7"))).isEmpty();
    }

    @Test
    @DisplayName("the first 32 words of a query count and the rest are ignored, a phrase cut at the 32nd word included; a query of"
            + " no words finds nothing and pages nothing")
    void onlyTheFirst32QueryWordsCount() {
        StringBuilder words = new StringBuilder();
        for (int i = 1; i <= 32; i++) {
            words.append(" w").append(i);
        }
        String first32 = words.toString().trim();
        Memory m = memories.create(NewMemory.fact(ALICE, first32 + " end"));
        assertThat(ids(search.text(TextQuery.memories(first32 + " absent")))).containsExactly(m.id());
        assertThat(ids(search.text(TextQuery.memories(first32.replace(" w32", " w32-absent"))))).containsExactly(m.id());
        assertThat(search.text(TextQuery.memories("absent " + first32))).isEmpty();
        assertThat(search.text(TextQuery.memories(first32.replace(" w32", " w32absent")))).isEmpty();
        // A repeated phrase counts once: 32 of them leave room for 31 more words, so "absent" counts.
        assertThat(search.text(TextQuery.memories("w1 ".repeat(32) + "absent"))).isEmpty();
        assertThat(ids(search.text(TextQuery.memories("w1 ".repeat(40) + first32 + " absent")))).containsExactly(m.id());
        assertThat(search.text(TextQuery.memories("... -- \"\" ()"))).isEmpty();
        dev.atlas.Page<SearchHit> none = search.text(TextQuery.memories("... -- \"\" ()"), null);
        assertThat(none.items()).isEmpty();
        assertThat(none.nextCursor()).isEmpty();
    }

    @Test
    @DisplayName("a phrase repeated in a query counts once: 'cat cat' finds, orders, scores and snips exactly as 'cat', 'status of"
            + " order 1234, order' as 'status of order 1234', for messages and memories, whole searches and pages alike")
    void repeatedQueryPhrasesCountOnce() {
        Conversation c = convo(ALICE);
        List<String> texts = List.of("order 1234 status: shipped", "order order order order status of 1234",
                "status of order 1234 is unknown", "cat dog", "cat cat cat dog", "dog dog dog dog dog cat", "the cat.cat of 1234");
        for (String text : texts) {
            conversations.append(c.id(), NewMessage.user(text));
            memories.create(NewMemory.fact(ALICE, text));
            clock.advanceMicros(1);
        }
        Map<String, String> same = new LinkedHashMap<>();
        same.put("cat cat", "cat");
        same.put("cat dog cat", "cat dog");
        same.put("CAT dog, cat. Dog", "cat dog");
        same.put("status of order 1234, order", "status of order 1234");
        same.put("order 1234 order 1234 ORDER", "order 1234");
        same.put("cat.cat cat.cat", "cat.cat");
        for (Map.Entry<String, String> e : same.entrySet()) {
            for (TextQuery q : List.of(TextQuery.messages(e.getKey()), TextQuery.memories(e.getKey()))) {
                TextQuery plain = q.target() == SearchTarget.MESSAGE ? TextQuery.messages(e.getValue()) : TextQuery.memories(e.getValue());
                List<SearchHit> expected = search.text(plain);
                assertThat(expected).as(e.getValue()).isNotEmpty();
                assertThat(search.text(q)).as(e.getKey()).isEqualTo(expected);
                assertThat(search.text(q.limit(2), null).items()).as(e.getKey()).isEqualTo(expected.subList(0, Math.min(2, expected.size())));
            }
        }
        // A phrase holding a word twice is its own phrase: "cat.cat" needs the two side by side.
        assertThat(search.text(TextQuery.memories("cat.cat")).stream().map(SearchHit::snippet))
                .containsExactly("[cat cat cat] dog", "the [cat.cat] of 1234");
    }

    @Test
    @DisplayName("an emoji run with skin-tone modifiers is one phrase in a query, as it is in stored text; conversation delete and"
            + " restore hide and bring back its messages with the same score")
    void emojiModifierRunsAndConversationRestore() {
        Conversation c = convo(ALICE);
        Message run = conversations.append(c.id(), NewMessage.user("great \uD83D\uDC4D\uD83C\uDFFD\uD83D\uDC4D job"));
        Message apart = conversations.append(c.id(), NewMessage.user("\uD83D\uDC4D first, then later \uD83D\uDC4D again"));
        // The modifier is dropped in stored text, so the query's run is the phrase "thumbs thumbs".
        assertThat(ids(search.text(TextQuery.messages("\uD83D\uDC4D\uD83C\uDFFD\uD83D\uDC4D")))).containsExactly(run.id());
        assertThat(ids(search.text(TextQuery.messages("\uD83D\uDC4D\uD83D\uDC4D")))).containsExactly(run.id());
        assertThat(ids(search.text(TextQuery.messages("\uD83D\uDC4D\uD83C\uDFFD")))).containsExactlyInAnyOrder(run.id(), apart.id());
        List<SearchHit> before = search.text(TextQuery.messages("great job"));
        assertThat(ids(before)).containsExactly(run.id());
        conversations.delete(c.id());
        assertThat(search.text(TextQuery.messages("great job"))).isEmpty();
        conversations.restore(c.id());
        assertThat(search.text(TextQuery.messages("great job"))).isEqualTo(before);
    }

    @Test
    @DisplayName("a restored message, and the messages of a restored conversation, come back to text and semantic search with the"
            + " same hits and scores; a memory update is searchable by its new words at once, not its old ones")
    void restoredAndUpdatedRowsAreSearchable() {
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("parcel returned to sender"));
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 2, 3});
        TextQuery text = TextQuery.messages("parcel sender");
        SemanticQuery near = SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 2, 2});
        List<SearchHit> textBefore = search.text(text);
        List<SearchHit> nearBefore = search.similar(near);
        assertThat(ids(textBefore)).containsExactly(m.id());
        assertThat(ids(nearBefore)).containsExactly(m.id());
        conversations.deleteMessage(m.id());
        assertThat(search.text(text)).isEmpty();
        assertThat(search.similar(near)).isEmpty();
        conversations.restoreMessage(m.id());
        assertThat(search.text(text)).isEqualTo(textBefore);
        assertThat(search.similar(near)).isEqualTo(nearBefore);
        conversations.delete(c.id());
        assertThat(search.text(text)).isEmpty();
        assertThat(search.similar(near)).isEmpty();
        conversations.restore(c.id());
        assertThat(search.text(text)).isEqualTo(textBefore);
        assertThat(search.similar(near)).isEqualTo(nearBefore);

        Memory mem = memories.create(NewMemory.fact(ALICE, "likes green tea"));
        memories.update(mem.id(), MemoryPatch.content("likes black coffee"));
        assertThat(search.text(TextQuery.memories("green tea"))).isEmpty();
        assertThat(search.text(TextQuery.memories("black coffee"))).singleElement()
                .satisfies(h -> assertThat(h.snippet()).isEqualTo("likes [black] [coffee]"));
    }

    @Test
    @DisplayName("rows written before migration V8 are indexed when Atlas opens; rows left without a search column are indexed before their tenant's next search")
    void indexesRowsWrittenBeforeV8() throws SQLException {
        DataSource ds = database.dataSource();
        Flyway v5 = Flyway.configure().configuration(AtlasMigrations.of(ds).tablePrefix("old_").flyway().getConfiguration())
                .target("5").load();
        v5.migrate();
        UUID conversation = UUID.randomUUID();
        UUID email = UUID.randomUUID();
        UUID hindi = UUID.randomUUID();
        UUID memory = UUID.randomUUID();
        boolean pg = atlas.databaseKind() == DatabaseKind.POSTGRESQL;
        try (Connection c = ds.getConnection()) {
            insert(c, pg, "INSERT INTO old_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence,"
                    + " activity_at, created_at, updated_at) VALUES ('acme', ?, 'user', 'alice', 'user', 'open', ?, 2, ?, ?, ?)",
                    conversation, "{}", clock.instant(), clock.instant(), clock.instant());
            String message = "INSERT INTO old_messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
                    + " is_active, metadata, created_at, updated_at) VALUES ('acme', ?, ?, ?, 'user', 'text', ?, 'delivered', ?, ?, ?, ?)";
            insert(c, pg, message, email, conversation, 1L, CORPUS.get("email"), true, "{}", clock.instant(), clock.instant());
            insert(c, pg, message, hindi, conversation, 2L, CORPUS.get("devanagari"), true, "{}", clock.instant(), clock.instant());
            insert(c, pg, "INSERT INTO old_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance, revision,"
                    + " created_at, updated_at) VALUES ('acme', ?, 'user', 'alice', 'fact', ?, ?, 0.5, 1, ?, ?)",
                    memory, CORPUS.get("code"), "{}", clock.instant(), clock.instant());
        }
        Atlas upgraded = reopen(b -> b.tablePrefix("old_").clock(clock));
        assertThat(count("SELECT COUNT(*) FROM old_messages WHERE search_text IS NULL")).isZero();
        assertThat(count("SELECT COUNT(*) FROM old_memories WHERE search_text IS NULL")).isZero();
        Search s = upgraded.tenant("acme").search();
        assertThat(ids(s.text(TextQuery.messages("ada@example.com")))).containsExactly(email);
        assertThat(ids(s.text(TextQuery.messages("\u0928\u092e\u0938\u094d\u0924\u0947")))).containsExactly(hindi);
        assertThat(ids(s.text(TextQuery.memories("config.max_retries")))).containsExactly(memory);

        // A row an older Atlas wrote after the upgrade (no search column): indexed by its tenant's next search only.
        Conversation g = atlas.tenant("globex").conversations().create(NewConversation.of(BOB));
        Message theirs = atlas.tenant("globex").conversations().append(g.id(), NewMessage.user("pending words"));
        Message ours = conversations.append(convo(ALICE).id(), NewMessage.user("pending words"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE atlas_messages SET search_text = NULL");
        }
        assertThat(ids(search.text(TextQuery.messages("pending")))).containsExactly(ours.id());
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE search_text IS NULL")).isEqualTo(1);
        assertThat(ids(other.text(TextQuery.messages("pending words")))).containsExactly(theirs.id());
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE search_text IS NULL")).isZero();
    }

    @Test
    @DisplayName("rows indexed before migration V23 (the index without tenant terms) are found by their own tenant only after it, and stay in step with edits and deletes")
    void rowsIndexedBeforeV23() throws SQLException {
        DataSource ds = database.dataSource();
        Flyway v22 = Flyway.configure().configuration(AtlasMigrations.of(ds).tablePrefix("old_").flyway().getConfiguration())
                .target("22").load();
        v22.migrate();
        boolean pg = atlas.databaseKind() == DatabaseKind.POSTGRESQL;
        Map<String, UUID> messages = new LinkedHashMap<>();
        try (Connection c = ds.getConnection()) {
            for (String tenant : List.of("acme", "globex")) {
                UUID conversation = UUID.randomUUID();
                insert(c, pg, "INSERT INTO old_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence,"
                        + " activity_at, created_at, updated_at) VALUES (?, ?, 'user', 'alice', 'user', 'open', ?, 2, ?, ?, ?)",
                        tenant, conversation, "{}", clock.instant(), clock.instant(), clock.instant());
                String message = "INSERT INTO old_messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
                        + " is_active, metadata, created_at, updated_at, search_text, deleted_at)"
                        + " VALUES (?, ?, ?, ?, 'user', 'text', ?, 'delivered', ?, ?, ?, ?, ?, ?)";
                UUID live = UUID.randomUUID();
                insert(c, pg, message, tenant, live, conversation, 1L, "Parcel lost in Lyon", true, "{}", clock.instant(), clock.instant(),
                        "parcel lost in lyon", null);
                insert(c, pg, message, tenant, UUID.randomUUID(), conversation, 2L, "Parcel found", true, "{}", clock.instant(), clock.instant(),
                        "parcel found", clock.instant());
                insert(c, pg, "INSERT INTO old_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance, revision,"
                        + " created_at, updated_at, search_text) VALUES (?, ?, 'user', 'alice', 'fact', ?, ?, 0.5, 1, ?, ?, ?)",
                        tenant, UUID.randomUUID(), "Likes green tea", "{}", clock.instant(), clock.instant(), "likes green tea");
                messages.put(tenant, live);
            }
        }
        Atlas upgraded = reopen(b -> b.tablePrefix("old_").clock(clock));
        for (String tenant : messages.keySet()) {
            Search s = upgraded.tenant(tenant).search();
            assertThat(ids(s.text(TextQuery.messages("parcel")))).as(tenant).containsExactly(messages.get(tenant));
            assertThat(s.text(TextQuery.memories("green tea"))).as(tenant).extracting(SearchHit::snippet).containsExactly("Likes [green] [tea]");
        }
        upgraded.tenant("acme").conversations().edit(messages.get("acme"), "Parcel delivered in Paris");
        upgraded.tenant("globex").conversations().deleteMessage(messages.get("globex"));
        assertThat(ids(upgraded.tenant("acme").search().text(TextQuery.messages("paris")))).containsExactly(messages.get("acme"));
        assertThat(upgraded.tenant("acme").search().text(TextQuery.messages("lyon"))).isEmpty();
        assertThat(upgraded.tenant("globex").search().text(TextQuery.messages("parcel"))).isEmpty();
        if (!pg) {
            // Each index row keeps its key: two memories and the acme message (globex's was deleted).
            assertThat(count("SELECT COUNT(*) FROM old_search_keys")).isEqualTo(3);
            assertThat(count("SELECT COUNT(*) FROM old_search_keys k JOIN old_search_fts f ON f.rowid = k.fts_rowid")).isEqualTo(3);
        }
    }

    @Test
    @DisplayName("rows indexed before migration V26 by a JVM that did not know an emoji (its term missing), or with a flag's two"
            + " indicators as two words, are indexed again after the upgrade: found by the emoji, the flags one word each")
    void rowsIndexedBeforeV26AreFoundByNewerEmoji() throws SQLException {
        DataSource ds = database.dataSource();
        Flyway.configure().configuration(AtlasMigrations.of(ds).tablePrefix("v25_").flyway().getConfiguration()).target("25").load()
                .migrate();
        boolean pg = atlas.databaseKind() == DatabaseKind.POSTGRESQL;
        UUID conversation = UUID.randomUUID();
        UUID message = UUID.randomUUID();
        UUID memory = UUID.randomUUID();
        UUID plain = UUID.randomUUID();
        UUID flags = UUID.randomUUID();
        try (Connection c = ds.getConnection()) {
            insert(c, pg, "INSERT INTO v25_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence,"
                    + " activity_at, created_at, updated_at) VALUES ('acme', ?, 'user', 'alice', 'user', 'open', ?, 1, ?, ?, ?)",
                    conversation, "{}", clock.instant(), clock.instant(), clock.instant());
            // The search column as Java 17 wrote it before this version: U+1F979 and U+1FAE0 were separators, left out.
            insert(c, pg, "INSERT INTO v25_messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
                    + " is_active, metadata, created_at, updated_at, search_text) VALUES ('acme', ?, ?, 1, 'user', 'text', ?, 'delivered',"
                    + " ?, ?, ?, ?, ?)", message, conversation, "so proud \uD83E\uDD79 of you", true, "{}", clock.instant(), clock.instant(),
                    "so proud of you");
            String memoryRow = "INSERT INTO v25_memories (tenant_id, id, owner_type, owner_id, kind, content, metadata, importance, revision,"
                    + " created_at, updated_at, search_text) VALUES ('acme', ?, 'user', 'alice', 'fact', ?, ?, 0.5, 1, ?, ?, ?)";
            insert(c, pg, memoryRow, memory, "hot \uD83E\uDEE0 today", "{}", clock.instant(), clock.instant(), "hot today");
            insert(c, pg, memoryRow, plain, "hot tea", "{}", clock.instant(), clock.instant(), "hot tea");
            // Each regional indicator was a word: Belgium's and Russia's flags held Eritrea's in the middle.
            insert(c, pg, memoryRow, flags, "\uD83C\uDDE7\uD83C\uDDEA\uD83C\uDDF7\uD83C\uDDFA trip", "{}", clock.instant(),
                    clock.instant(), "xf09f87a7 xf09f87aa xf09f87b7 xf09f87ba trip");
        }
        Atlas upgraded = reopen(b -> b.tablePrefix("v25_").clock(clock));
        Search s = upgraded.tenant("acme").search();
        assertThat(s.text(TextQuery.messages("\uD83E\uDD79"))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(message, "so proud [\uD83E\uDD79] of you"));
        assertThat(s.text(TextQuery.memories("hot \uD83E\uDEE0"))).extracting(SearchHit::id, SearchHit::snippet)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(memory, "[hot] [\uD83E\uDEE0] today"));
        assertThat(ids(s.text(TextQuery.memories("hot")))).containsExactlyInAnyOrder(memory, plain);
        assertThat(s.text(TextQuery.memories("\uD83C\uDDEA\uD83C\uDDF7"))).isEmpty();
        assertThat(ids(s.text(TextQuery.memories("\uD83C\uDDF7\uD83C\uDDFA trip")))).containsExactly(flags);
        assertThat(count("SELECT COUNT(*) FROM v25_memories WHERE search_text IS NULL")).isZero();
        assertThat(count("SELECT COUNT(*) FROM v25_messages WHERE search_text = 'so proud xf09fa5b9 of you'")).isEqualTo(1);
    }

    @Test
    @DisplayName("a content change by a writer that does not know the search column (an Atlas before V8 during a rolling upgrade,"
            + " plain SQL) is searched by its new words, never its old ones")
    void contentChangedWithoutSearchColumnIsReindexed() throws SQLException {
        // Such a write kept the row's previous search column: the old words found the row, the new ones did not.
        Memory m = memories.create(NewMemory.fact(ALICE, "likes green tea"));
        Conversation c = convo(ALICE);
        Message msg = conversations.append(c.id(), NewMessage.user("parcel lost in Lyon"));
        Message same = conversations.append(c.id(), NewMessage.user("hello!"));
        boolean pg = atlas.databaseKind() == DatabaseKind.POSTGRESQL;
        try (Connection conn = database.dataSource().getConnection()) {
            insert(conn, pg, "UPDATE atlas_memories SET content = ? WHERE tenant_id = 'acme' AND id = ?", "likes black coffee", m.id());
            insert(conn, pg, "UPDATE atlas_messages SET content = ? WHERE tenant_id = 'acme' AND id = ?", "parcel found in Paris", msg.id());
        }
        conversations.edit(same.id(), "hello?"); // Atlas's own write, same terms: found as before
        assertThat(search.text(TextQuery.memories("tea"))).isEmpty();
        assertThat(search.text(TextQuery.memories("coffee"))).extracting(SearchHit::snippet).containsExactly("likes black [coffee]");
        assertThat(search.text(TextQuery.messages("Lyon"))).isEmpty();
        assertThat(search.text(TextQuery.messages("Paris"))).extracting(SearchHit::snippet).containsExactly("parcel found in [Paris]");
        assertThat(search.text(TextQuery.messages("hello"))).extracting(SearchHit::snippet).containsExactly("[hello]?");
    }

    private static void insert(Connection c, boolean pg, String sql, Object... values) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                Object v = values[i];
                if (v instanceof Instant t) {
                    if (pg) {
                        ps.setObject(i + 1, java.time.OffsetDateTime.ofInstant(t, java.time.ZoneOffset.UTC));
                    } else {
                        ps.setLong(i + 1, t.getEpochSecond() * 1_000_000L + t.getNano() / 1_000);
                    }
                } else if (v instanceof UUID u) {
                    ps.setObject(i + 1, pg ? u : u.toString());
                } else if ("{}".equals(v) && pg) {
                    ps.setObject(i + 1, v, java.sql.Types.OTHER);
                } else {
                    ps.setObject(i + 1, v);
                }
            }
            ps.executeUpdate();
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    // ---- semantic -------------------------------------------------------------------------

    @Test
    @DisplayName("exact semantic top-k equals a brute-force cosine reference over random vectors")
    void exactTopK() {
        Random random = new Random(42);
        int dim = 24;
        List<float[]> vectors = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            float[] v = randomVector(random, dim);
            UUID id = memories.create(NewMemory.fact(ALICE, "memory " + i)).id();
            search.upsertVector(SearchTarget.MEMORY, id, MODEL, v);
            vectors.add(v);
            ids.add(id);
        }
        for (int trial = 0; trial < 5; trial++) {
            float[] q = randomVector(random, dim);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < vectors.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparingDouble((Integer i) -> -cosine(q, vectors.get(i))));
            List<UUID> expected = order.subList(0, 10).stream().map(ids::get).toList();
            List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, q).k(10));
            assertThat(ids(hits)).containsExactlyElementsOf(expected);
            assertThat(hits.get(0).score()).isCloseTo(cosine(q, vectors.get(order.get(0))), org.assertj.core.data.Offset.offset(1e-5));
        }
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, randomVector(random, dim)).k(1000))).hasSize(300);
    }

    /**
     * Query vector, then the labels of {@link #semanticDifferential} in the order every database
     * and index must return them: score descending, then id (creation order here).
     */
    private static final List<Map.Entry<float[], List<String>>> SEMANTIC_QUERIES = List.of(
            Map.entry(new float[] {1, 0, 0, 0}, List.of("x", "tiny-x", "2x", "huge-xy", "xy", "h3", "s12", "s7", "s6", "s3", "h1", "s11",
                    "s10", "s9", "s8", "s5", "s4", "s2", "s1", "sub", "y", "-x")),
            Map.entry(new float[] {1, 2, 3, 4.5f}, List.of("sub", "h1", "s9", "s8", "s4", "s2", "s1", "h3", "s12", "s11", "s10", "s7", "s6",
                    "s5", "s3", "xy", "huge-xy", "y", "x", "tiny-x", "2x", "-x")),
            Map.entry(new float[] {-3e38f, 0, 0, 0}, List.of("-x", "y", "sub", "h1", "h3", "s12", "s11", "s10", "s9", "s8", "s7", "s6", "s5",
                    "s4", "s3", "s2", "s1", "huge-xy", "xy", "x", "tiny-x", "2x")));

    @Test
    @DisplayName("semantic search answers exactly the written order and the documented cosine on every database and index, for every"
            + " k: ties, vectors of one direction at other lengths (huge, subnormal, scaled copies whose cosines differ in the last bit)")
    void semanticDifferential() {
        Map<String, float[]> vectors = new LinkedHashMap<>();
        vectors.put("x", new float[] {1, 0, 0, 0});
        vectors.put("tiny-x", new float[] {Float.MIN_VALUE, 0, 0, 0});
        vectors.put("2x", new float[] {2, 0, 0, 0});
        vectors.put("xy", new float[] {1, 1, 0, 0});
        vectors.put("huge-xy", new float[] {3e38f, 3e38f, 0, 0});
        vectors.put("y", new float[] {0, 1, 0, 0});
        vectors.put("-x", new float[] {-1, 0, 0, 0});
        vectors.put("h1", new float[] {1, 2, 3, 4});
        vectors.put("h3", new float[] {3, 6, 9, 12});
        vectors.put("sub", new float[] {1e-40f, 2e-40f, 3e-40f, 4e-40f});
        // One direction at twelve lengths, stored longest first: scaled to unit length they are one
        // float32 vector, while their exact cosines with a query differ in the last bit.
        for (int s = 12; s >= 1; s--) {
            vectors.put("s" + s, new float[] {s, 2 * s, 3 * s, 4 * s});
        }
        Map<UUID, String> labels = new HashMap<>();
        vectors.forEach((label, v) -> {
            UUID id = memories.create(NewMemory.fact(ALICE, label)).id();
            search.upsertVector(SearchTarget.MEMORY, id, "diff-4", v);
            labels.put(id, label);
            clock.advanceMicros(1);
        });
        // Stored again, last first: the same vectors, but on PostgreSQL each update writes a new row
        // version, so the table (and an index's ties) now meet them in reverse id order.
        List<UUID> ids = new ArrayList<>(labels.keySet());
        ids.sort(Comparator.comparing(UUID::toString).reversed());
        for (UUID id : ids) {
            search.upsertVector(SearchTarget.MEMORY, id, "diff-4", vectors.get(labels.get(id)));
        }
        for (Map.Entry<float[], List<String>> q : SEMANTIC_QUERIES) {
            // Every k where a tie or a group of one direction meets the k-th place, the first, the whole and past it.
            for (int k : new int[] {1, 3, 4, 5, 6, 7, 8, 10, 11, 15, 16, 17, 18, 19, 20, 23}) {
                List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, "diff-4", q.getKey()).k(k));
                String as = java.util.Arrays.toString(q.getKey()) + " k=" + k;
                assertThat(hits.stream().map(h -> labels.get(h.id())).toList()).as(as)
                        .isEqualTo(q.getValue().subList(0, Math.min(k, q.getValue().size())));
                assertThat(hits).as(as).allSatisfy(h -> assertThat(h.score()).isEqualTo(cosine(q.getKey(), vectors.get(labels.get(h.id())))));
            }
        }
    }

    @Test
    @DisplayName("vectors whose cosines with the query differ below float32 precision are ranked by their exact scores: the k"
            + " returned and their order are exact search's on every database and index")
    void semanticNearTiesBelowFloat32() {
        // Sixty vectors around one direction, each a small step off it: their exact cosines with the query differ by about
        // 1e-8 to 1e-7, less than the rounding of pgvector's float32 distance (each vector scaled to unit length in float32,
        // the sums in float32), so the index meets them in another order than their scores, and a row the index placed
        // just past its LIMIT could score above one it returned.
        Random random = new Random(32);
        int d = 384;
        float[] query = new float[d];
        for (int i = 0; i < d; i++) {
            query[i] = (float) random.nextGaussian();
        }
        for (double base : new double[] {1e-3, 3e-3}) {
            String model = "near-" + base;
            Map<UUID, float[]> vectors = new LinkedHashMap<>();
            for (int j = 0; j < 60; j++) {
                float[] v = new float[d];
                double step = base * (1 + j * 1e-2);
                for (int i = 0; i < d; i++) {
                    v[i] = (float) (query[i] + step * random.nextGaussian());
                }
                UUID id = memories.create(NewMemory.fact(ALICE, "near " + j)).id();
                search.upsertVector(SearchTarget.MEMORY, id, model, v);
                vectors.put(id, v);
            }
            List<UUID> exact = new ArrayList<>(vectors.keySet());
            exact.sort(Comparator.comparingDouble((UUID id) -> -cosine(query, vectors.get(id))).thenComparing(UUID::toString));
            for (int k = 1; k <= 40; k++) {
                List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, query).k(k));
                assertThat(ids(hits)).as(model + " k=" + k).containsExactlyElementsOf(exact.subList(0, k));
            }
        }
    }

    @Test
    @DisplayName("equal semantic scores are ordered by id (as text): the k returned are the smallest ids, in order, whatever the"
            + " scan order, with or without a filter")
    void semanticTiesByIdOrder() {
        // Identical vectors (one text embedded twice) score exactly alike. Without an order among
        // them, which k rows came back depended on the scan order: the cache's heap on SQLite, the
        // plan on PostgreSQL (which another tenant's row count can change).
        List<UUID> same = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            UUID id = memories.create(NewMemory.fact(i % 3 == 0 ? BOB : ALICE, "same " + i)).id();
            search.upsertVector(SearchTarget.MEMORY, id, MODEL, new float[] {3, 4, 0});
            same.add(id);
        }
        for (int i = 0; i < 5; i++) {
            search.upsertVector(SearchTarget.MEMORY, memories.create(NewMemory.fact(ALICE, "far " + i)).id(), MODEL, new float[] {0, 0, 1});
        }
        List<UUID> byId = same.stream().sorted(Comparator.comparing(UUID::toString)).toList();
        for (int k : new int[] {1, 5, 44, 45, 46}) {
            List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {0.6f, 0.8f, 0}).k(k));
            assertThat(ids(hits).subList(0, Math.min(k, 45))).as("k=" + k).containsExactlyElementsOf(byId.subList(0, Math.min(k, 45)));
            assertThat(hits.subList(0, Math.min(k, 45))).allSatisfy(h -> assertThat(h.score()).isEqualTo(hits.get(0).score()));
        }
        List<UUID> bobs = byId.stream().filter(id -> memories.get(id).orElseThrow().owner().equals(BOB)).toList();
        List<SearchHit> filtered = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {3, 4, 0}).k(4)
                .filter(SearchFilter.none().owner(BOB)));
        assertThat(ids(filtered)).containsExactlyElementsOf(bobs.subList(0, 4));
    }

    @Test
    @DisplayName("equal semantic scores are ordered by id whatever order the vectors were stored in: the k returned are the"
            + " smallest ids, the same on every database and index")
    void semanticTiesStoredInReverseIdOrder() {
        // Vectors stored in id order lie in id order in the table, so a scan that kept ties in
        // table order looked right; stored newest id first, it returned the largest ids (pgvector:
        // the index's LIMIT k kept whichever tied rows it met first).
        List<UUID> byId = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            byId.add(memories.create(NewMemory.fact(ALICE, "twin " + i)).id());
        }
        byId.sort(Comparator.comparing(UUID::toString));
        for (int i = byId.size() - 1; i >= 0; i--) {
            search.upsertVector(SearchTarget.MEMORY, byId.get(i), MODEL, new float[] {3, 4, 0});
        }
        for (int i = 0; i < 5; i++) {
            search.upsertVector(SearchTarget.MEMORY, memories.create(NewMemory.fact(ALICE, "far " + i)).id(), MODEL, new float[] {0, 0, 1});
        }
        for (int k : new int[] {1, 3, 10, 39, 40}) {
            List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {0.6f, 0.8f, 0}).k(k));
            assertThat(ids(hits)).as("k=" + k).containsExactlyElementsOf(byId.subList(0, k));
            assertThat(hits).allSatisfy(h -> assertThat(h.score()).isEqualTo(1.0));
        }
    }

    @Test
    @DisplayName("semantic scores stay within [-1, 1]: a vector queried with itself scores at most 1, with its negation at least -1")
    void semanticScoresWithinRange() {
        // The query is scaled to unit length in float32, so the computed cosine of a vector with
        // itself came out above 1 (by up to ~4e-8) for about half of all vectors.
        Random random = new Random(11);
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            float[] v = randomVector(random, 24);
            search.upsertVector(SearchTarget.MEMORY, memories.create(NewMemory.fact(ALICE, "v " + i)).id(), MODEL, v);
            vectors.add(v);
        }
        for (float[] v : vectors) {
            float[] negated = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                negated[i] = -v[i];
            }
            for (float[] q : List.of(v, negated)) {
                List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, q).k(20));
                assertThat(hits).hasSize(20).allSatisfy(h -> assertThat(h.score()).isBetween(-1.0, 1.0));
            }
            List<SearchHit> self = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, v).k(1));
            assertThat(self.get(0).score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    @DisplayName("semantic search over memories applies filters and hides deleted and expired memories")
    void semanticMemories() {
        Memory close = memories.create(NewMemory.preference(ALICE, "a"));
        Memory closeFact = memories.create(NewMemory.fact(ALICE, "b"));
        Memory far = memories.create(NewMemory.preference(ALICE, "c"));
        Memory bobs = memories.create(NewMemory.preference(BOB, "d"));
        Memory deleted = memories.create(NewMemory.preference(ALICE, "e"));
        Memory expiring = memories.create(NewMemory.preference(ALICE, "f").expiresAt(clock.instant().plusSeconds(1)));
        search.upsertVector(SearchTarget.MEMORY, close.id(), MODEL, new float[] {1, 0.1f});
        search.upsertVector(SearchTarget.MEMORY, closeFact.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, far.id(), MODEL, new float[] {0, 1});
        search.upsertVector(SearchTarget.MEMORY, bobs.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, deleted.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, expiring.id(), MODEL, new float[] {1, 0});
        memories.delete(deleted.id());
        clock.set(clock.instant().plusSeconds(1));
        List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {2, 0})
                .filter(SearchFilter.none().owner(ALICE).kind(MemoryKind.PREFERENCE)));
        assertThat(ids(hits)).containsExactly(close.id(), far.id());
        assertThat(hits.get(1).score()).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).k(2))))
                .containsExactlyInAnyOrder(closeFact.id(), bobs.id());
    }

    @Test
    @DisplayName("semantic search over messages filters by role and conversation and follows deletes")
    void semanticMessages() {
        Conversation a = convo(ALICE);
        Conversation b = convo(ALICE);
        Message u = conversations.append(a.id(), NewMessage.user("question"));
        Message r = conversations.append(a.id(), NewMessage.assistant("answer"));
        Message x = conversations.append(b.id(), NewMessage.user("other"));
        search.upsertVector(SearchTarget.MESSAGE, u.id(), MODEL, new float[] {1, 0, 0});
        search.upsertVector(SearchTarget.MESSAGE, r.id(), MODEL, new float[] {0.9f, 0.1f, 0});
        search.upsertVector(SearchTarget.MESSAGE, x.id(), MODEL, new float[] {1, 0, 0});
        float[] q = {1, 0, 0};
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, q).filter(SearchFilter.none().role(Role.ASSISTANT)))))
                .containsExactly(r.id());
        List<SearchHit> inA = search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, q).filter(SearchFilter.none().conversation(a.id())));
        assertThat(ids(inA)).containsExactly(u.id(), r.id());
        assertThat(inA.get(0).conversationId()).isEqualTo(a.id());
        conversations.deleteMessage(u.id());
        conversations.delete(b.id());
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, q)))).containsExactly(r.id());
        assertThatThrownBy(() -> search.upsertVector(SearchTarget.MESSAGE, u.id(), MODEL, q)).isInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("a message's vector stored before an edit is ignored until a new one is stored; a memory's content change drops its vectors")
    void staleVectors() {
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("before"));
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 0});
        clock.advanceMicros(1);
        conversations.edit(m.id(), "after");
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0}))).isEmpty();
        clock.advanceMicros(1);
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {0, 1});
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0})))).containsExactly(m.id());
        Memory mem = memories.create(NewMemory.fact(ALICE, "old"));
        search.upsertVector(SearchTarget.MEMORY, mem.id(), MODEL, new float[] {1, 0});
        memories.update(mem.id(), MemoryPatch.none().importance(0.9));
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}))).hasSize(1);
        memories.update(mem.id(), MemoryPatch.content("new"));
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}))).isEmpty();
    }

    @Test
    @DisplayName("upsertVector and embed given an unknown id, another tenant's, a deleted memory or a message of a deleted"
            + " conversation are NotFoundException naming id, worded alike, the embedder not called and nothing stored")
    void vectorWritesOfAnUnknownOrForeignTargetNameId() {
        var globex = atlas.tenant("globex");
        Conversation theirs = globex.conversations().create(NewConversation.of(ALICE));
        UUID theirMessage = globex.conversations().append(theirs.id(), NewMessage.user("their words")).id();
        UUID theirMemory = globex.memories().create(NewMemory.fact(ALICE, "their fact")).id();
        Memory deleted = memories.create(NewMemory.fact(ALICE, "gone"));
        memories.delete(deleted.id());
        Conversation hidden = convo(ALICE);
        UUID hiddenMessage = conversations.append(hidden.id(), NewMessage.user("hidden")).id();
        conversations.delete(hidden.id());
        Map<SearchTarget, List<UUID>> absent = Map.of(SearchTarget.MESSAGE, List.of(UUID.randomUUID(), theirMessage, hiddenMessage),
                SearchTarget.MEMORY, List.of(UUID.randomUUID(), theirMemory, deleted.id()));
        List<String> embedded = new ArrayList<>();
        absent.forEach((target, ids) -> {
            for (UUID id : ids) {
                String expected = "id: " + (target == SearchTarget.MESSAGE ? "message " : "memory ") + id + " not found";
                for (Runnable write : List.<Runnable>of(() -> search.upsertVector(target, id, MODEL, new float[] {1, 0}),
                        () -> search.embed(target, id, MODEL, text -> {
                            embedded.add(text);
                            return new float[] {1, 0};
                        }))) {
                    assertThatThrownBy(write::run).as(target + " " + id).isInstanceOfSatisfying(NotFoundException.class, e -> {
                        assertThat(e.getMessage()).isEqualTo(expected);
                        assertThat(e.field()).contains("id");
                    });
                }
            }
        });
        assertThat(embedded).isEmpty();
        assertThat(search.dimension(MODEL)).isZero();
    }

    @Test
    @DisplayName("embed of a message whose conversation is deleted is NotFoundException without calling the embedder")
    void embedNeverCallsTheEmbedderForAHiddenMessage() {
        // The embedder is often a billed network call; the message was refused only after it.
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("hello"));
        conversations.delete(c.id());
        List<String> seen = new ArrayList<>();
        assertThatThrownBy(() -> search.embed(SearchTarget.MESSAGE, m.id(), MODEL, text -> {
            seen.add(text);
            return new float[] {1, 0};
        })).isInstanceOf(NotFoundException.class).hasMessage("id: message " + m.id() + " not found");
        assertThat(seen).isEmpty();
    }

    @Test
    @DisplayName("a message's vector stored after its edit counts even from an instance whose clock runs behind the editor's")
    void vectorFromLaggingClockAfterEdit() {
        // A vector older than the message's edit is ignored as stale; "older" was judged by the
        // writing instance's own clock, so a vector stored after the edit by an instance an hour
        // behind was ignored until some other instance stored it again.
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("before"));
        clock.advanceMicros(1);
        conversations.edit(m.id(), "after");
        Search lagging = reopen(b -> b.clock(new MutableClock(clock.instant().minus(java.time.Duration.ofHours(1))))).tenant("acme").search();
        lagging.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 0});
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0})))).containsExactly(m.id());
        assertThat(ids(lagging.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0})))).containsExactly(m.id());
    }

    @Test
    @DisplayName("a message's vector of its old text never answers after an edit: not when the edit comes from an instance whose clock"
            + " runs behind the vector's writer, nor in the vector's own microsecond")
    void editFromLaggingClockLeavesNoStaleVector() {
        // A vector counted unless older than the edit, by the two writers' clocks: an edit stamped
        // an hour behind (or in the same microsecond) left the old text's vector answering.
        Conversation c = convo(ALICE);
        Message m = conversations.append(c.id(), NewMessage.user("before"));
        clock.advanceMicros(1);
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {1, 0});
        ConversationStore lagging = reopen(b -> b.clock(new MutableClock(clock.instant().minus(java.time.Duration.ofHours(1)))))
                .tenant("acme").conversations();
        lagging.edit(m.id(), "after");
        SemanticQuery query = SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0});
        assertThat(search.similar(query)).isEmpty();
        Message n = conversations.append(c.id(), NewMessage.user("one"));
        search.upsertVector(SearchTarget.MESSAGE, n.id(), MODEL, new float[] {1, 0});
        conversations.edit(n.id(), "two");
        assertThat(search.similar(query)).isEmpty();
        // A vector stored after the edit counts, whichever instance stores it.
        search.upsertVector(SearchTarget.MESSAGE, m.id(), MODEL, new float[] {0, 1});
        assertThat(ids(search.similar(query))).containsExactly(m.id());
    }

    @Test
    @DisplayName("an asset vector naming another tenant's, a deleted or an unknown conversation is NotFoundException on conversationId,"
            + " revealing nothing, and stores nothing")
    void assetVectorOfForeignConversation() {
        UUID mine = asset();
        Conversation gone = convo(ALICE);
        conversations.delete(gone.id());
        UUID theirs = atlas.tenant("globex").conversations().create(NewConversation.of(ALICE, "support")).id();
        for (UUID conversation : List.of(theirs, gone.id(), UUID.randomUUID())) {
            assertThatThrownBy(() -> search.upsertAssetVector(mine, conversation, MODEL, new float[] {1, 0}))
                    .isInstanceOfSatisfying(NotFoundException.class, e -> {
                        assertThat(e.field()).contains("conversationId");
                        assertThat(e.getMessage()).isEqualTo("conversationId: conversation " + conversation + " not found");
                    });
        }
        assertThat(search.dimension(MODEL)).isZero();
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 0}))).isEmpty();
    }

    @Test
    @DisplayName("asset vectors are filtered by the conversation they were stored with")
    void assetVectors() {
        Conversation c = convo(ALICE);
        UUID inC = asset();
        UUID loose = asset();
        search.upsertAssetVector(inC, c.id(), MODEL, new float[] {1, 1});
        search.upsertAssetVector(loose, null, MODEL, new float[] {1, 1});
        List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 1})
                .filter(SearchFilter.none().conversation(c.id())));
        assertThat(ids(hits)).containsExactly(inC);
        assertThat(hits.get(0).conversationId()).isEqualTo(c.id());
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 1}))).hasSize(2);
    }

    @Test
    @DisplayName("an asset vector stored with a conversation is hidden while that conversation is deleted, as its messages are (before:"
            + " it was returned naming the deleted conversation, even to a filter on it), and comes back when it is restored")
    void assetVectorsOfADeletedConversationAreHidden() {
        Conversation c = convo(ALICE);
        UUID inC = asset();
        UUID loose = asset();
        search.upsertAssetVector(inC, c.id(), MODEL, new float[] {1, 1});
        search.upsertAssetVector(loose, null, MODEL, new float[] {1, 2});
        SemanticQuery all = SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 1});
        SemanticQuery inConversation = all.filter(SearchFilter.none().conversation(c.id()));
        List<SearchHit> before = search.similar(all);
        assertThat(ids(before)).containsExactly(inC, loose);
        conversations.delete(c.id());
        assertThat(ids(search.similar(all))).containsExactly(loose);
        assertThat(search.similar(inConversation)).isEmpty();
        conversations.restore(c.id());
        assertThat(search.similar(all)).isEqualTo(before);
    }

    @Test
    @DisplayName("deleteVector of an expired or deleted memory, or of a deleted message or one in a deleted conversation, throws"
            + " NotFoundException naming id, as for an unknown id, and deletes nothing: a restored message is found by its vector again")
    void deleteVectorOfAnInvisibleTargetIsNotFound() {
        Instant expiry = clock.instant().plusSeconds(10);
        Memory expiring = memories.create(NewMemory.fact(ALICE, "expiring").expiresAt(expiry));
        Memory deleted = memories.create(NewMemory.fact(ALICE, "deleted"));
        search.upsertVector(SearchTarget.MEMORY, expiring.id(), MODEL, new float[] {1, 0});
        search.upsertVector(SearchTarget.MEMORY, deleted.id(), MODEL, new float[] {0, 1});
        memories.delete(deleted.id());
        clock.set(expiry);
        for (UUID id : List.of(expiring.id(), deleted.id())) {
            assertThatThrownBy(() -> search.deleteVector(SearchTarget.MEMORY, id, MODEL)).as("memory " + id)
                    .isInstanceOfSatisfying(NotFoundException.class, e -> {
                        assertThat(e.field()).contains("id");
                        assertThat(e.id()).isEqualTo(id);
                    });
            assertThat(search.removeVector(SearchTarget.MEMORY, id, MODEL)).isFalse();
        }
        // A microsecond before its expiry the memory is visible again, with the vector the refused calls left.
        clock.set(expiry.minusNanos(1_000));
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0})))).containsExactly(expiring.id());
        Conversation c = convo(ALICE);
        Message gone = conversations.append(c.id(), NewMessage.user("gone"));
        search.upsertVector(SearchTarget.MESSAGE, gone.id(), MODEL, new float[] {1, 1});
        SemanticQuery messages = SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 1});
        conversations.deleteMessage(gone.id());
        assertThatThrownBy(() -> search.deleteVector(SearchTarget.MESSAGE, gone.id(), MODEL)).as("deleted message")
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("id"));
        conversations.restoreMessage(gone.id());
        assertThat(ids(search.similar(messages))).containsExactly(gone.id());
        conversations.delete(c.id());
        assertThatThrownBy(() -> search.deleteVector(SearchTarget.MESSAGE, gone.id(), MODEL)).as("message of a deleted conversation")
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("id"));
        conversations.restore(c.id());
        assertThat(ids(search.similar(messages))).containsExactly(gone.id());
        search.deleteVector(SearchTarget.MESSAGE, gone.id(), MODEL);
        assertThat(search.similar(messages)).isEmpty();
    }

    @Test
    @DisplayName("deleteVector of an asset vector stored with a conversation that is deleted now throws NotFoundException naming id"
            + " and deletes nothing: search hides it, and it answers again when the conversation is restored")
    void deleteVectorOfAnAssetInADeletedConversationIsNotFound() {
        Conversation c = convo(ALICE);
        UUID inC = asset();
        search.upsertAssetVector(inC, c.id(), MODEL, new float[] {1, 1});
        SemanticQuery assets = SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 1});
        conversations.delete(c.id());
        assertThatThrownBy(() -> search.deleteVector(SearchTarget.ASSET, inC, MODEL))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("id"));
        conversations.restore(c.id());
        assertThat(ids(search.similar(assets))).containsExactly(inC);
        search.deleteVector(SearchTarget.ASSET, inC, MODEL);
        assertThat(search.similar(assets)).isEmpty();
    }

    @Test
    @DisplayName("storing again replaces a vector; deleteVector deletes it; an Embedder is called with the stored content")
    void replaceRemoveEmbed() {
        Memory m = memories.create(NewMemory.fact(ALICE, "hello"));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {0, 1});
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0})).get(0).score())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        search.deleteVector(SearchTarget.MEMORY, m.id(), MODEL);
        assertThatThrownBy(() -> search.deleteVector(SearchTarget.MEMORY, m.id(), MODEL)).isInstanceOf(NotFoundException.class);
        // The deprecated twin keeps 0.1's boolean answer.
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 0});
        assertThat(search.removeVector(SearchTarget.MEMORY, m.id(), MODEL)).isTrue();
        assertThat(search.removeVector(SearchTarget.MEMORY, m.id(), MODEL)).isFalse();
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}))).isEmpty();
        List<String> seen = new ArrayList<>();
        search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> {
            seen.add(text);
            return new float[] {0, 3};
        });
        assertThat(seen).containsExactly("hello");
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, "anything", text -> new float[] {0, 1}))))
                .containsExactly(m.id());
    }

    @Test
    @DisplayName("embed refuses with ConflictException naming id, storing nothing, when the content changed while the embedder ran:"
            + " the vector would describe the old content")
    void embedRacingContentChange() {
        // The embedder runs outside any transaction (often a network call); an update meanwhile
        // deleted the memory's vectors, and the message's edit stamp preceded the vector's, so a
        // vector of the old text was stored afterwards and answered for the new one.
        Memory m = memories.create(NewMemory.fact(ALICE, "old text"));
        Throwable memoryRace = org.assertj.core.api.Assertions.catchThrowable(() -> search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> {
            memories.update(m.id(), MemoryPatch.content("new text"));
            return new float[] {1, 0};
        }));
        assertThat(memoryRace).isInstanceOf(dev.atlas.ConflictException.class);
        assertThat(((dev.atlas.ConflictException) memoryRace).field()).isEqualTo("id");
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}))).isEmpty();
        Conversation c = convo(ALICE);
        Message msg = conversations.append(c.id(), NewMessage.user("old text"));
        Throwable messageRace = org.assertj.core.api.Assertions.catchThrowable(() -> search.embed(SearchTarget.MESSAGE, msg.id(), MODEL, text -> {
            clock.advanceMicros(1);
            conversations.edit(msg.id(), "new text");
            clock.advanceMicros(1);
            return new float[] {1, 0};
        }));
        assertThat(messageRace).isInstanceOf(dev.atlas.ConflictException.class);
        assertThat(((dev.atlas.ConflictException) messageRace).field()).isEqualTo("id");
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, new float[] {1, 0}))).isEmpty();
        // Unchanged content: stored.
        search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> new float[] {1, 0});
        assertThat(ids(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0})))).containsExactly(m.id());
    }

    @Test
    @DisplayName("wrong dimension, NaN, infinite and zero vectors are rejected naming the field, and nothing is stored")
    void badVectors() {
        Memory m = memories.create(NewMemory.fact(ALICE, "x"));
        assertThat(search.dimension(MODEL)).isZero();
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 2, 3});
        assertThat(search.dimension(MODEL)).isEqualTo(3);
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 2}));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, Float.NaN, 3}));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, Float.POSITIVE_INFINITY, 3}));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {0, 0, 0}));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[0]));
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, null));
        invalid("vector", () -> search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 2})));
        invalid("vector", () -> SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {Float.NaN}));
        invalid("model", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), "", new float[] {1}));
        invalid("target", () -> search.upsertVector(SearchTarget.ASSET, m.id(), MODEL, new float[] {1, 2, 3}));
        // The way out named is the current method, not its deprecated alias (removed in 1.0).
        assertThatThrownBy(() -> search.upsertVector(SearchTarget.ASSET, m.id(), MODEL, new float[] {1, 2, 3}))
                .hasMessage("target: asset vectors are stored with upsertAssetVector(assetId, conversationId, model, vector)");
        assertThatThrownBy(() -> search.embed(SearchTarget.ASSET, m.id(), MODEL, text -> new float[] {1, 2, 3}))
                .hasMessage("target: Atlas holds no text for assets; embed it yourself and call upsertAssetVector");
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 2, 3})).get(0).score())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 2, 3}))).isEmpty();
        UUID huge = asset();
        search.upsertAssetVector(huge, null, MODEL, new float[] {3e38f, 3e38f, 3e38f});
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, MODEL, new float[] {1, 1, 1})).get(0).score())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, "unknown-model", new float[] {1, 2}))).isEmpty();
    }

    @Test
    @DisplayName("a model's dimension stays fixed when its last vector is deleted (another dimension needs another model key), and"
            + " an exception of the embedder reaches the caller as thrown, with nothing stored")
    void dimensionOutlivesVectorsAndEmbedderFailuresPropagate() {
        Memory m = memories.create(NewMemory.fact(ALICE, "x"));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 2, 3});
        search.deleteVector(SearchTarget.MEMORY, m.id(), MODEL);
        assertThat(search.dimension(MODEL)).isEqualTo(3);
        invalid("vector", () -> search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL, new float[] {1, 2}));
        search.upsertVector(SearchTarget.MEMORY, m.id(), MODEL + "-2d", new float[] {1, 2});
        IllegalStateException boom = new IllegalStateException("embedding service down");
        assertThatThrownBy(() -> search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 2, 3}))).isEmpty();
        invalid("vector", () -> search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> new float[] {1, Float.NaN, 3}));
        invalid("vector", () -> search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> new float[] {1, 2}));
        invalid("vector", () -> search.embed(SearchTarget.MEMORY, m.id(), MODEL, text -> null));
        assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 2, 3}))).isEmpty();
    }

    @Test
    @DisplayName("a memory's vector queried with itself, or with twice itself, scores exactly 1.0 and its negation exactly -1.0,"
            + " for small, huge and tiny components alike")
    void selfSimilarityIsExactlyOne() {
        java.util.Random random = new java.util.Random(7);
        float[][] queries = new float[4][384];
        for (int i = 0; i < 384; i++) {
            queries[0][i] = random.nextFloat() - 0.5f;
            queries[1][i] = (random.nextFloat() - 0.5f) * 3e38f;
            queries[2][i] = (random.nextFloat() - 0.5f) * 1e-40f; // subnormal floats
            queries[3][i] = i % 7 == 0 ? 0.1f * i : 0;
        }
        for (float[] v : queries) {
            float[] twice = new float[v.length];
            float[] negated = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                twice[i] = v == queries[1] ? v[i] / 2 : 2 * v[i]; // halved: twice a huge float overflows
                negated[i] = -v[i];
            }
            String model = "self-" + java.util.Arrays.asList(queries).indexOf(v);
            for (float[] stored : List.of(v, twice, negated)) {
                search.upsertVector(SearchTarget.MEMORY, memories.create(NewMemory.fact(ALICE, "v")).id(), model, stored);
            }
            // Before, the query was scaled to float32 unit length first: 0.99999998 for a vector and itself.
            assertThat(search.similar(SemanticQuery.of(SearchTarget.MEMORY, model, v).k(3)).stream().map(SearchHit::score).toList())
                    .containsExactly(1.0, 1.0, -1.0);
        }
    }

    @Test
    @DisplayName("vectors over 2,000 dimensions (beyond pgvector's HNSW limit) are all stored and found, ranked exactly")
    void vectorsBeyondIndexLimit() {
        Random random = new Random(7);
        int dim = 2001;
        List<float[]> vectors = new ArrayList<>();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            float[] v = randomVector(random, dim);
            UUID id = memories.create(NewMemory.fact(ALICE, "wide " + i)).id();
            search.upsertVector(SearchTarget.MEMORY, id, "wide-model", v);
            vectors.add(v);
            ids.add(id);
        }
        assertThat(search.dimension("wide-model")).isEqualTo(dim);
        for (int i = 0; i < vectors.size(); i++) {
            float[] q = vectors.get(i);
            List<Integer> order = new ArrayList<>(List.of(0, 1, 2, 3, 4));
            order.sort(Comparator.comparingDouble((Integer j) -> -cosine(q, vectors.get(j))));
            List<SearchHit> hits = search.similar(SemanticQuery.of(SearchTarget.MEMORY, "wide-model", q).k(10));
            assertThat(ids(hits)).containsExactlyElementsOf(order.stream().map(ids::get).toList());
            assertThat(hits.get(0).id()).isEqualTo(ids.get(i));
            assertThat(hits.get(0).score()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    static float[] randomVector(Random random, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    @DisplayName("semantic search answers exactly (best k by exact cosine, ties by id) for a tenant of one fewer, as many and one more"
            + " live vectors than an index is asked for (k + max(k, 16)), deleted, expired and filtered-out rows nearest the query,"
            + " each query repeated past the driver's server-side prepare")
    void semanticAnswerAtTheIndexBoundary() {
        float[] query = {0.3f, -0.7f, 0.2f, 0.5f};
        Random random = new Random(33);
        for (int k : new int[] {3, 10}) {
            int asked = k + Math.max(k, 16);
            for (int n = asked - 1; n <= asked + 1; n++) {
                dev.atlas.Tenant tenant = atlas.tenant("edge-" + k + "-" + n);
                MemoryStore mine = tenant.memories();
                Search find = tenant.search();
                Map<UUID, float[]> live = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    UUID id = mine.create(NewMemory.fact(ALICE, "in " + i).metadata(Map.of("g", "in"))).id();
                    float[] v = {(float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian(),
                            (float) random.nextGaussian()};
                    find.upsertVector(SearchTarget.MEMORY, id, MODEL, v);
                    live.put(id, v);
                }
                // Rows that would win if they were candidates: the query's own direction.
                UUID deleted = mine.create(NewMemory.fact(ALICE, "deleted").metadata(Map.of("g", "in"))).id();
                find.upsertVector(SearchTarget.MEMORY, deleted, MODEL, query);
                mine.delete(deleted);
                UUID expired = mine.create(NewMemory.fact(ALICE, "expired").metadata(Map.of("g", "in"))
                        .expiresAt(clock.instant().plusSeconds(1))).id();
                find.upsertVector(SearchTarget.MEMORY, expired, MODEL, query);
                clock.set(clock.instant().plusSeconds(1));
                List<UUID> expected = new ArrayList<>(live.keySet());
                expected.sort(Comparator.comparingDouble((UUID id) -> -cosine(query, live.get(id))).thenComparing(UUID::toString));
                List<UUID> best = expected.subList(0, k);
                for (int run = 0; run < 7; run++) {
                    assertThat(ids(find.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query).k(k))))
                            .as("k = %d, %d live, run %d", k, n, run).containsExactlyElementsOf(best);
                }
                // As many filtered out, all nearer than any live one.
                for (int i = 0; i < n; i++) {
                    UUID out = mine.create(NewMemory.fact(ALICE, "out " + i).metadata(Map.of("g", "out"))).id();
                    find.upsertVector(SearchTarget.MEMORY, out, MODEL, new float[] {query[0], query[1], query[2], query[3] + 0.001f * i});
                }
                for (int run = 0; run < 7; run++) {
                    assertThat(ids(find.similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, query).k(k)
                            .filter(SearchFilter.none().metadata("g", "in")))))
                            .as("filtered, k = %d, %d live, run %d", k, n, run).containsExactlyElementsOf(best);
                }
            }
        }
    }
}
