package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Differential test of full-text and semantic search: one random (fixed seeds) history of writes,
 * edits, deletes and restores of mixed-script text, replayed on SQLite and on PostgreSQL, then
 * random queries (words, phrases, operators of every engine, prefixes, quotes, punctuation only).
 * Each answer must equal, bit for bit, a reference computed in Java over every live row (so the
 * database indexes, which only preselect, never lose a row) and so the two databases agree; and
 * tenant A's answers must stay identical while tenant B adds, and then deletes, thousands of rows
 * made of A's words and vectors.
 */
class SearchDifferentialTest {
    private static final SqliteTestDatabase SQLITE = new SqliteTestDatabase();
    private static final PostgresTestDatabase POSTGRES = new PostgresTestDatabase();
    private static final String MODEL = "diff-16";
    private static final Owner OWNER = Owner.user("u1");

    private static final String[] WORDS = {"order", "Order", "ORDER", "orders", "refund", "café", "cafe", "CAFÉ", "cafe\u0301", "naïve",
            "Straße", "STRASSE", "strasse", "ß", "ẞ", "İstanbul", "istanbul", "ISTANBUL", "ırmak", "IRMAK", "Σίσυφος", "ΣΊΣΥΦΟΣ",
            "東京", "東京タワー", "中文", "日本語", "ภาษาไทย", "한국어", "🙂", "😀😀", "👍🏽", "👨\u200D👩\u200D👧", "❤️", "שלום", "مرحبا",
            "עברית123", "नमस्ते", "ﬁle", "file", "ǅemal", "x-ray", "xray", "x", "X", "e-mail", "email", "don't", "dont", "don’t",
            "user@example.com", "a.b.c", "2.5.1", "3.14", "3,14", "1e5", "0x1F", "-12", "+7", "12:30", "½", "²", "Ⅻ", "٣٤", "१२",
            "C++", "C#", "node.js", "getUserName", "user_id", "the", "a", "an", "and", "or", "not", "near", "NEAR", "AND", "OR", "NOT",
            "of", "to", "in", "is", "shipping", "delay", "delayed", "invoice", "Invoice#7", "soft\u00ADhyphen", "zero\u200Bwidth",
            "tab\tbed", "line\nbreak", "supercalifragilisticexpialidocious", "a".repeat(70), "x".repeat(65) + "tail",
            "ü".repeat(70), "z9".repeat(40), "1234567890".repeat(7), "deadbeef", "xff", "x0", "0x", "ﾃｽﾄ", "ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "Ꭰ", "ꭰ", "ǈ", "ﬀ", "ŉ", "İ̇", "\u0130\u0307", "ǰ", "ΐ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𐐀𐐨", "🇩🇪", "1️⃣", "🏴\uDB40\uDC67\uDB40\uDC62\uDB40\uDC7F"};
    private static final String[] SEPARATORS = {" ", " ", " ", " ", ", ", ". ", "-", "'", "@", "/", "_", " — ", "…", " (", ") ", "\n",
            "\t", "; ", "!", "?", ":", "\"", " * ", " & ", " | "};
    private static final String[] OPERATORS = {"\"", "*", "NEAR(", "NEAR/2", " OR ", " AND ", " NOT ", "-", ":", "^", "&", "|", "!",
            "<->", "\\", "(", ")", "{", "}", "'", "%", "_", "+", "~", "@@", "''", ";", "--", "/*", "*/", "$1", "?", "[", "]"};

    private static Atlas sqlite;
    private static Atlas postgres;
    /** The same history on both databases: per key, each database's id, and the content and liveness it should have. */
    private static final Map<String, Doc> DOCS = new LinkedHashMap<>();
    private static final List<String> QUERIES = new ArrayList<>();
    /** Per database, tenant a's two conversations. */
    private static final UUID[][] CONVERSATIONS = new UUID[2][2];
    /**
     * Per database, every query's answer on the seeded history, read once in {@link #seed()}: both
     * tests start from it (reading each answer again cost a third of the class).
     */
    private static final List<Map<String, List<String>>> SEEDED = new ArrayList<>();

    /** One message or memory of tenant "a", by its key. */
    static final class Doc {
        final String key;
        final SearchTarget target;
        final UUID[] ids = new UUID[2]; // [sqlite, postgres]
        final UUID[] conversations = new UUID[2];
        String content;
        boolean live = true;

        Doc(String key, SearchTarget target, String content) {
            this.key = key;
            this.target = target;
            this.content = content;
        }
    }

    @BeforeAll
    static void seed() {
        sqlite = SQLITE.open();
        postgres = POSTGRES.open();
        Random random = new Random(20261203L);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            texts.add(i > 0 && random.nextInt(10) == 0 ? texts.get(random.nextInt(i)) : sentence(random, 1 + random.nextInt(35)));
        }
        texts.add("order ".repeat(300).trim());                        // many repeats of one term
        texts.add(sentence(new Random(1), 2000));                      // a long row
        texts.add("!!! ??? -- ... ***");                               // no words at all
        texts.add("order");
        Atlas[] both = {sqlite, postgres};
        UUID[][] convs = CONVERSATIONS;
        for (int d = 0; d < 2; d++) {
            var conversations = both[d].tenant("a").conversations();
            convs[d][0] = conversations.create(NewConversation.of(OWNER)).id();
            convs[d][1] = conversations.create(NewConversation.of(OWNER)).id();
        }
        for (int i = 0; i < texts.size(); i++) {
            Doc msg = new Doc("msg" + i, SearchTarget.MESSAGE, texts.get(i));
            Doc mem = new Doc("mem" + i, SearchTarget.MEMORY, texts.get(i));
            for (int d = 0; d < 2; d++) {
                Tenant a = both[d].tenant("a");
                msg.conversations[d] = convs[d][i % 2];
                msg.ids[d] = a.conversations().append(msg.conversations[d], NewMessage.user(msg.content)).id();
                mem.ids[d] = a.memories().create(NewMemory.fact(OWNER, mem.content)).id();
            }
            DOCS.put(msg.key, msg);
            DOCS.put(mem.key, mem);
        }
        // A history of changes, the same on both databases.
        List<Doc> all = new ArrayList<>(DOCS.values());
        for (int step = 0; step < 80; step++) {
            Doc doc = all.get(random.nextInt(all.size()));
            int action = random.nextInt(3);
            for (int d = 0; d < 2; d++) {
                Tenant a = both[d].tenant("a");
                if (doc.target == SearchTarget.MESSAGE) {
                    if (!doc.live) {
                        a.conversations().restoreMessage(doc.ids[d]);
                    } else if (action == 0) {
                        a.conversations().deleteMessage(doc.ids[d]);
                    } else if (action == 1) {
                        a.conversations().edit(doc.ids[d], edited(doc, step));
                    }
                } else if (doc.live) {
                    if (action == 0) {
                        a.memories().delete(doc.ids[d]);
                    } else if (action == 1) {
                        a.memories().update(doc.ids[d], MemoryPatch.content(edited(doc, step)));
                    }
                }
            }
            if (doc.target == SearchTarget.MESSAGE && !doc.live) {
                doc.live = true;
            } else if (doc.live && action == 0) {
                doc.live = false;
            } else if (doc.live && action == 1) {
                doc.content = edited(doc, step);
            }
        }
        // Every live row gets the vector of its current content (edits make old ones stale).
        for (Doc doc : DOCS.values()) {
            if (doc.live && !SearchText.index(doc.content).isEmpty()) {
                for (int d = 0; d < 2; d++) {
                    both[d].tenant("a").search().upsertVector(doc.target, doc.ids[d], MODEL, embed(doc.content));
                }
            }
        }
        Random q = new Random(7);
        for (int i = 0; i < 60; i++) {
            QUERIES.add(query(q));
        }
        QUERIES.addAll(List.of("", " ", "!!!", "\"\"", "*", "NEAR(order, refund)", "order*", "ord*", "\"order refund\"", "order -refund",
                "order OR refund", "col:order", "^order", "order & refund", "order | refund", "!order", "order <-> refund", "\\order\\",
                "order\\", "'; DROP TABLE messages; --", "x", "X", "xx", "a".repeat(64), "a".repeat(65), "a".repeat(1000), "ü".repeat(64),
                "東京タワー", "タワー東京", "👍", "👍🏽", "🏽", "\u0301", "\u200B", "soft\u00ADhyphen", "softhyphen", "istanbul", "i̇stanbul",
                "İSTANBUL", "ırmak", "Irmak", "σίσυφος", "ΣΊΣΥΦΟΣ", "ss", "SS", "ß", "ẞ", "fi", "file", "ﬁle", "12", "١٢", "3 14", "3.14",
                "order order order", "order order order order order order order order order order order order order order order order"
                        + " order order order order order order order order order order order order order order order order order refund"));
        SEEDED.add(answers(0));
        SEEDED.add(answers(1));
    }

    private static String edited(Doc doc, int step) {
        return sentence(new Random(step * 31L + doc.key.hashCode()), 1 + step % 20);
    }

    private static String sentence(Random random, int words) {
        StringBuilder b = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                b.append(SEPARATORS[random.nextInt(SEPARATORS.length)]);
            }
            b.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return b.toString();
    }

    private static String query(Random random) {
        StringBuilder b = new StringBuilder();
        int parts = 1 + random.nextInt(3);
        for (int p = 0; p < parts; p++) {
            if (p > 0 || random.nextInt(3) == 0) {
                b.append(random.nextBoolean() ? " " : OPERATORS[random.nextInt(OPERATORS.length)]);
            }
            String w = WORDS[random.nextInt(WORDS.length)];
            if (random.nextInt(6) == 0 && w.length() > 2) {
                w = w.substring(0, w.offsetByCodePoints(0, 1 + random.nextInt(w.codePointCount(0, w.length()) - 1))) + "*";
            }
            b.append(w);
        }
        return b.length() > 1000 ? b.substring(0, 1000) : b.toString();
    }

    /** A deterministic test embedder: the sum of one pseudo-random vector per term, plus a constant so no vector is zero. */
    static float[] embed(String text) {
        float[] v = new float[16];
        v[0] = 0.25f;
        for (String term : SearchText.index(text).split(" ")) {
            if (!term.isEmpty()) {
                Random r = new Random(term.hashCode());
                for (int i = 0; i < v.length; i++) {
                    v[i] += (float) r.nextGaussian();
                }
            }
        }
        return v;
    }

    @AfterAll
    static void close() {
        sqlite.close();
        postgres.close();
        SQLITE.cleanup();
        POSTGRES.cleanup();
    }

    // ---- answers as comparable text ------------------------------------------------------------------

    private static Map<UUID, Doc> byId(int d) {
        Map<UUID, Doc> m = new HashMap<>();
        DOCS.values().forEach(doc -> m.put(doc.ids[d], doc));
        return m;
    }

    /** Key, score bits, conversation key, snippet: one line per hit. */
    private static List<String> lines(List<SearchHit> hits, int d) {
        Map<UUID, Doc> docs = byId(d);
        List<String> out = new ArrayList<>();
        for (SearchHit h : hits) {
            Doc doc = docs.get(h.id());
            out.add((doc == null ? "FOREIGN " + h.id() : doc.key) + " " + h.score() + " 0x" + Long.toHexString(Double.doubleToLongBits(h.score()))
                    + (h.conversationId() == null ? "" : " conv" + (h.conversationId().equals(doc == null ? null : doc.conversations[d]) ? "=" : "!"))
                    + " " + h.snippet());
        }
        return out;
    }

    /** The reference: every live row of the target scored in Java, best first, equal scores by id as text. */
    private static List<String> expectedText(TextQuery q, int d) {
        List<List<String>> phrases = SearchText.phrases(q.text(), JdbiSearch.MAX_WORDS);
        if (phrases.isEmpty()) {
            return List.of();
        }
        List<String> joined = phrases.stream().map(p -> String.join(" ", p)).toList();
        List<SearchHit> hits = new ArrayList<>();
        for (Doc doc : DOCS.values()) {
            UUID only = q.filter().conversationId();
            if (doc.live && doc.target == q.target() && (only == null || only.equals(doc.conversations[d]))) {
                double score = TextRanking.score(SearchText.index(doc.content), joined);
                if (score > 0) {
                    hits.add(new SearchHit(doc.target, doc.ids[d], doc.conversations[d], score, TextRanking.snippet(doc.content, phrases)));
                }
            }
        }
        hits.sort(Comparator.comparingDouble((SearchHit h) -> -h.score()).thenComparing(h -> h.id().toString()));
        return lines(hits.subList(0, Math.min(q.limit(), hits.size())), d);
    }

    private static List<String> expectedSimilar(SemanticQuery q, int d) {
        float[] query = q.vector();
        double qq = Vectors.squaredNorm(query);
        List<SearchHit> hits = new ArrayList<>();
        for (Doc doc : DOCS.values()) {
            if (doc.live && doc.target == q.target() && !SearchText.index(doc.content).isEmpty()) {
                double score = ExactVectorIndex.cosine(query, qq, Vectors.encode(embed(doc.content)));
                hits.add(new SearchHit(doc.target, doc.ids[d], doc.conversations[d], score, null));
            }
        }
        hits.sort(Comparator.comparingDouble((SearchHit h) -> -h.score()).thenComparing(h -> h.id().toString()));
        return lines(hits.subList(0, Math.min(q.k(), hits.size())), d);
    }

    /** The text queries on database {@code d}; every fifth message query is limited to the second conversation. */
    private static List<TextQuery> textQueries(int d) {
        List<TextQuery> out = new ArrayList<>();
        int[] limits = {1, 3, 20, 1000};
        for (int i = 0; i < QUERIES.size(); i++) {
            TextQuery messages = TextQuery.messages(QUERIES.get(i)).limit(limits[i % limits.length]);
            out.add(i % 5 == 0 ? messages.filter(SearchFilter.none().conversation(CONVERSATIONS[d][1])) : messages);
            out.add(TextQuery.memories(QUERIES.get(i)).limit(limits[(i + 1) % limits.length]));
        }
        return out;
    }

    private static String label(TextQuery q) {
        return "text " + q.target() + " " + q.limit() + (q.filter().conversationId() == null ? "" : " conv1") + " [" + q.text() + "]";
    }

    private static List<SemanticQuery> semanticQueries() {
        List<SemanticQuery> out = new ArrayList<>();
        int[] ks = {1, 5, 10, 1000};
        for (int i = 0; i < QUERIES.size(); i += 2) {
            float[] v = embed(QUERIES.get(i));
            out.add(SemanticQuery.of(SearchTarget.MESSAGE, MODEL, v).k(ks[i / 2 % ks.length]));
            out.add(SemanticQuery.of(SearchTarget.MEMORY, MODEL, v).k(ks[(i / 2 + 1) % ks.length]));
        }
        return out;
    }

    /** Every query's answer in tenant "a" of database {@code d}, keyed by the query. */
    private static Map<String, List<String>> answers(int d) {
        Atlas atlas = d == 0 ? sqlite : postgres;
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (TextQuery q : textQueries(d)) {
            out.put(label(q), lines(atlas.tenant("a").search().text(q), d));
        }
        for (SemanticQuery q : semanticQueries()) {
            out.put("similar " + q.target() + " " + q.k() + " " + java.util.Arrays.toString(q.vector()),
                    lines(atlas.tenant("a").search().similar(q), d));
        }
        return out;
    }

    private static Map<String, List<String>> expected(int d) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (TextQuery q : textQueries(d)) {
            out.put(label(q), expectedText(q, d));
        }
        for (SemanticQuery q : semanticQueries()) {
            out.put("similar " + q.target() + " " + q.k() + " " + java.util.Arrays.toString(q.vector()), expectedSimilar(q, d));
        }
        return out;
    }

    private static Map<String, List<String>> differences(Map<String, List<String>> actual, Map<String, List<String>> expected) {
        Map<String, List<String>> differ = new LinkedHashMap<>();
        expected.forEach((k, v) -> {
            if (!v.equals(actual.get(k))) {
                differ.put(k + " expected", v);
                differ.put(k + " actual", actual.get(k));
            }
        });
        return differ;
    }

    // ---- tests -----------------------------------------------------------------------------------

    @Test
    @DisplayName("SQLite and PostgreSQL give every query the reference answer: rows, order, score bits, conversations and snippets")
    void bothDatabasesGiveTheReferenceAnswer() {
        Map<String, List<String>> onSqlite = SEEDED.get(0);
        Map<String, List<String>> onPostgres = SEEDED.get(1);
        assertThat(differences(onSqlite, expected(0))).isEmpty();
        assertThat(differences(onPostgres, expected(1))).isEmpty();
        // Hits are written with keys, not ids (which differ between the databases), so the answers compare directly.
        assertThat(differences(onPostgres, onSqlite)).isEmpty();
        // The comparison means something only if many queries find rows, and some a full page of ties or more.
        long found = onSqlite.entrySet().stream().filter(e -> e.getKey().startsWith("text") && !e.getValue().isEmpty()).count();
        assertThat(found).isGreaterThan(QUERIES.size() / 2);
        assertThat(onSqlite.values().stream().filter(v -> v.size() >= 20).count()).isGreaterThan(10);
    }

    @Test
    @DisplayName("tenant a's answers and score bits stay identical while tenant b adds thousands of rows of a's words and vectors, and"
            + " after b deletes them")
    void anotherTenantChangesNothing() {
        Map<String, List<String>> before0 = SEEDED.get(0);
        Map<String, List<String>> before1 = SEEDED.get(1);
        List<String> texts = DOCS.values().stream().map(doc -> doc.content).filter(t -> t.length() < 400).distinct().toList();
        Atlas[] both = {sqlite, postgres};
        List<List<UUID>> vectored = List.of(new ArrayList<>(), new ArrayList<>());
        UUID[] conv = new UUID[2];
        List<List<UUID>> mems = List.of(new ArrayList<>(), new ArrayList<>());
        for (int d = 0; d < 2; d++) {
            Tenant b = both[d].tenant("b");
            conv[d] = b.conversations().create(NewConversation.of(OWNER)).id();
            Random r = new Random(3);
            for (int batch = 0; batch < 4; batch++) {
                List<NewMessage> page = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    String t = texts.get(r.nextInt(texts.size()));
                    page.add(NewMessage.user(t));
                }
                List<UUID> ids = b.conversations().appendAll(conv[d], page).stream().map(m -> m.id()).toList();
                if (batch == 0) {
                    for (int i = 0; i < 30; i++) {
                        b.search().upsertVector(SearchTarget.MESSAGE, ids.get(i), MODEL, embed(page.get(i).content()));
                        vectored.get(d).add(ids.get(i));
                    }
                }
            }
            for (int i = 0; i < 30; i++) {
                String t = texts.get(i % texts.size());
                UUID id = b.memories().create(NewMemory.fact(OWNER, t)).id();
                mems.get(d).add(id);
                if (!SearchText.index(t).isEmpty()) {
                    b.search().upsertVector(SearchTarget.MEMORY, id, MODEL, embed(t));
                }
            }
        }
        assertThat(b(sqlite).text(TextQuery.messages("order").limit(1000))).hasSizeGreaterThan(100);
        assertThat(differences(answers(0), before0)).isEmpty();
        assertThat(differences(answers(1), before1)).isEmpty();
        for (int d = 0; d < 2; d++) {
            Tenant b = both[d].tenant("b");
            for (UUID id : vectored.get(d)) {
                b.search().deleteVector(SearchTarget.MESSAGE, id, MODEL);
            }
            for (UUID id : mems.get(d)) {
                b.memories().delete(id);
            }
            b.conversations().delete(conv[d]);
        }
        assertThat(b(postgres).text(TextQuery.messages("order").limit(1000))).isEmpty();
        assertThat(differences(answers(0), before0)).isEmpty();
        assertThat(differences(answers(1), before1)).isEmpty();
    }

    private static dev.atlas.search.Search b(Atlas atlas) {
        return atlas.tenant("b").search();
    }

    @Test
    @DisplayName("queries over 1,000 characters, with NUL or a lone surrogate, and limits/k outside 1..1000 are refused naming the field")
    void badQueriesNameTheField() {
        for (Function<String, Object> make : List.<Function<String, Object>>of(TextQuery::messages, TextQuery::memories)) {
            assertThatThrownBy(() -> make.apply("a ".repeat(5000))).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("text:");
            assertThatThrownBy(() -> make.apply("order\u0000refund")).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("text:");
            assertThatThrownBy(() -> make.apply("order \uD83D")).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("text:");
            assertThatThrownBy(() -> make.apply("\uDE00 order")).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("text:");
            assertThatThrownBy(() -> make.apply(null)).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("text:");
        }
        for (int limit : new int[] {0, -1, Integer.MIN_VALUE, 1001, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> TextQuery.messages("order").limit(limit)).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("limit:");
            assertThatThrownBy(() -> SemanticQuery.of(SearchTarget.MEMORY, MODEL, new float[] {1, 0}).k(limit))
                    .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("k:");
        }
        assertThat(TextQuery.messages("a ".repeat(500)).text()).hasSize(1000);
    }
}
