package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same writes and the same queries on SQLite and on PostgreSQL give the same answers: the
 * same rows in the same order, the same scores and the same snippets. The corpus and queries are
 * random (fixed seed) over a vocabulary of mixed scripts, case, accents, digits and punctuation,
 * with other tenants' rows interleaved, so ranking statistics from another tenant would show.
 */
class SearchParityTest {
    private static final SqliteTestDatabase SQLITE = new SqliteTestDatabase();
    private static final PostgresTestDatabase POSTGRES = new PostgresTestDatabase();
    private static final String[] WORDS = {"order", "Order", "ORDER", "refund", "refunds", "café", "cafe", "naïve", "Straße", "strasse",
            "東京", "東京タワー", "москва", "Москва", "ελλάδα", "42", "4.2", "1234", "x-ray", "e-mail", "user@example.com", "don't",
            "C++", "C#", "node.js", "getUserName", "user_id", "🙂", "😀😀", "the", "a", "and", "of", "shipping", "shipped", "delay",
            "delayed", "invoice", "INVOICE", "Invoice#7", "ǅemal", "ﬁle", "file", "İstanbul", "istanbul", "ß", "ss", "ΣΊΣΥΦΟΣ", "σίσυφος"};
    private static Atlas sqlite;
    private static Atlas postgres;
    private static final Map<UUID, Integer> KEYS_SQLITE = new HashMap<>();
    private static final Map<UUID, Integer> KEYS_POSTGRES = new HashMap<>();

    @BeforeAll
    static void seed() {
        sqlite = SQLITE.open();
        postgres = POSTGRES.open();
        Random random = new Random(20261203);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            texts.add(sentence(random, 1 + random.nextInt(30)));
        }
        List<String> noise = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            noise.add(sentence(random, 1 + random.nextInt(30)));
        }
        write(sqlite, texts, noise, KEYS_SQLITE);
        write(postgres, texts, noise, KEYS_POSTGRES);
    }

    private static String sentence(Random random, int words) {
        StringBuilder b = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                b.append(random.nextInt(8) == 0 ? ", " : random.nextInt(10) == 0 ? ". " : " ");
            }
            b.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return b.toString();
    }

    private static void write(Atlas atlas, List<String> texts, List<String> noise, Map<UUID, Integer> keys) {
        Tenant mine = atlas.tenant("mine");
        Tenant other = atlas.tenant("other");
        Conversation c = mine.conversations().create(NewConversation.of(Owner.user("1")));
        Conversation o = other.conversations().create(NewConversation.of(Owner.user("1")));
        for (int i = 0; i < texts.size(); i++) {
            keys.put(mine.conversations().append(c.id(), NewMessage.user(texts.get(i))).id(), i);
            keys.put(mine.memories().create(NewMemory.fact(Owner.user("1"), texts.get(i))).id(), 1000 + i);
            other.conversations().append(o.id(), NewMessage.user(noise.get(i)));
            other.memories().create(NewMemory.fact(Owner.user("1"), noise.get(i)));
        }
    }

    @AfterAll
    static void close() {
        sqlite.close();
        postgres.close();
        SQLITE.cleanup();
        POSTGRES.cleanup();
    }

    private static List<String> answer(Atlas atlas, Map<UUID, Integer> keys, TextQuery q) {
        List<String> out = new ArrayList<>();
        for (SearchHit h : atlas.tenant("mine").search().text(q)) {
            out.add(keys.get(h.id()) + " " + String.format("%.9f", h.score()) + " " + h.snippet());
        }
        return out;
    }

    /** Every page of {@code q} (page size {@code q.limit()}), as {@link #answer} lines. */
    private static List<String> pages(Atlas atlas, Map<UUID, Integer> keys, TextQuery q) {
        List<String> out = new ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<SearchHit> page = atlas.tenant("mine").search().text(q, cursor);
            for (SearchHit h : page.items()) {
                out.add(keys.get(h.id()) + " " + String.format("%.9f", h.score()) + " " + h.snippet());
            }
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        return out;
    }

    @Test
    @DisplayName("case of non-ASCII words is lower-cased alike on both databases (no case folding, no accent folding): Ärger/ÄRGER/ärger"
            + " match; Straße is found by STRASSE only as straße; İ keeps its dot; a final ς matches only ς; the same rows on both")
    void sameCaseRulesForNonAsciiWords() {
        List<String> contents = List.of("Ärger", "ÄRGER", "ärger", "Straße", "STRASSE", "strasse", "STRAẞE", "İstanbul", "ISTANBUL",
                "istanbul", "ıstanbul", "ΟΔΟΣ", "οδος", "οδοσ", "Σίσυφος", "ǅemal", "ǆemal", "ﬁle", "\u2126", "\u03A9", "A\u0308rger");
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("ärger", List.of("Ärger", "ÄRGER", "ärger", "A\u0308rger"));
        expected.put("ÄRGER", List.of("Ärger", "ÄRGER", "ärger", "A\u0308rger"));
        expected.put("arger", List.of());
        // Lower-cased, not case-folded: ß stays ß (ẞ lower-cases to it), so STRASSE is strasse.
        expected.put("straße", List.of("Straße", "STRAẞE"));
        expected.put("STRASSE", List.of("STRASSE", "strasse"));
        // İ lower-cases to i and a combining dot above, kept (no accent folding); I is i; ı stays ı.
        expected.put("istanbul", List.of("ISTANBUL", "istanbul"));
        expected.put("İSTANBUL", List.of("İstanbul"));
        expected.put("ISTANBUL", List.of("ISTANBUL", "istanbul"));
        expected.put("ıstanbul", List.of("ıstanbul"));
        // A capital Σ at the end of a word lower-cases to ς, as written words end.
        expected.put("ΟΔΟΣ", List.of("ΟΔΟΣ", "οδος"));
        expected.put("οδοσ", List.of("οδοσ"));
        expected.put("ΣΊΣΥΦΟΣ", List.of("Σίσυφος"));
        // NFKC first: decomposed letters, ligatures and the Ohm sign are their letters.
        expected.put("Ǆemal", List.of("ǅemal", "ǆemal"));
        expected.put("FILE", List.of("ﬁle"));
        expected.put("\u03C9", List.of("\u2126", "\u03A9"));
        for (Atlas atlas : List.of(sqlite, postgres)) {
            Tenant t = atlas.tenant("case-rules");
            Map<UUID, String> byId = new HashMap<>();
            for (String c : contents) {
                byId.put(t.memories().create(NewMemory.fact(Owner.user("1"), c)).id(), c);
            }
            expected.forEach((query, hits) -> assertThat(t.search().text(TextQuery.memories(query).limit(50)))
                    .as(atlas == sqlite ? "SQLite: " + query : "PostgreSQL: " + query)
                    .extracting(h -> byId.get(h.id())).containsExactlyInAnyOrderElementsOf(hits));
        }
    }

    @Test
    @DisplayName("paging a query 7 hits at a time gives, on both databases, the same rows, order, scores and snippets as one"
            + " search of every hit")
    void samePages() {
        Random random = new Random(11);
        int compared = 0;
        for (int i = 0; i < 40; i++) {
            String text = sentence(random, 1 + random.nextInt(2));
            for (TextQuery q : List.of(TextQuery.messages(text), TextQuery.memories(text))) {
                List<String> all = answer(sqlite, KEYS_SQLITE, q.limit(1000));
                assertThat(pages(sqlite, KEYS_SQLITE, q.limit(7))).as(text).isEqualTo(all);
                assertThat(pages(postgres, KEYS_POSTGRES, q.limit(7))).as(text).isEqualTo(all);
                compared += all.size() > 7 ? 1 : 0;
            }
        }
        assertThat(compared).isGreaterThan(10);
    }

    @Test
    @DisplayName("random queries give the same rows, order, scores and snippets on both databases")
    void sameAnswers() {
        Random random = new Random(7);
        Map<String, List<String>> onSqlite = new LinkedHashMap<>();
        Map<String, List<String>> onPostgres = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            String text = sentence(random, 1 + random.nextInt(3));
            if (random.nextInt(4) == 0) {
                text = "\"" + text + "\"";
            }
            for (TextQuery q : List.of(TextQuery.messages(text).limit(20), TextQuery.memories(text).limit(20))) {
                onSqlite.put(q.target() + ": " + text, answer(sqlite, KEYS_SQLITE, q));
                onPostgres.put(q.target() + ": " + text, answer(postgres, KEYS_POSTGRES, q));
            }
        }
        Map<String, List<String>> differ = new LinkedHashMap<>();
        onSqlite.forEach((k, v) -> {
            if (!v.equals(onPostgres.get(k))) {
                differ.put(k, v);
                differ.put(k + " [postgres]", onPostgres.get(k));
            }
        });
        assertThat(differ).isEmpty();
        // The comparison means something only if most queries find rows, several of them a full page.
        assertThat(onSqlite.values().stream().filter(v -> !v.isEmpty()).count()).isGreaterThan(onSqlite.size() / 2);
        assertThat(onSqlite.values().stream().filter(v -> v.size() == 20).count()).isGreaterThan(10);
    }

    @Test
    @DisplayName("queries with operators, quotes, punctuation, case, accents, CJK, emoji, blanks and the longest allowed text give"
            + " the same rows, order, scores and snippets on both databases")
    void sameAnswersForHostileQueries() {
        List<String> queries = new ArrayList<>(List.of("order OR refund", "order -refund", "-order", "NOT order", "order AND NOT refund",
                "refund*", "ref*", "*", "\"café order\"", "\"order", "order\"", "'order'", "(order)", "order:*", "order & refund",
                "order | refund", "order <-> refund", "NEAR(order refund)", "{order}", "^order", "order^2", "%", "_", "\\",
                "Café", "CAFE", "cafe", "café", "naive", "naïve", "NAÏVE", "STRASSE", "straße", "Straße", "ß", "ss", "東京", "東",
                "タワー", "東京タワー", "москва", "МОСКВА", "ελλάδα", "ΕΛΛΆΔΑ", "ΣΊΣΥΦΟΣ", "σίσυφος", "σισυφος", "🙂", "😀", "😀😀",
                "x-ray", "x ray", "xray", "e-mail", "email", "user@example.com", "example.com", "don't", "dont", "don", "C++", "C#", "C",
                "node.js", "node", "js", "getUserName", "getusername", "user_id", "user", "id", "ǅemal", "Ǆemal", "ﬁle", "file", "FILE",
                "İstanbul", "istanbul", "ISTANBUL", "4.2", "42", "4", "1234", "Invoice#7", "invoice 7", "7", "the", "a", "and of",
                "", "   ", "\t\n", ".", "...", "-", "'", "\"", "\"\"", "e\u0301", "cafe\u0301", "\u202Eorder", "or\u200Bder",
                "order".repeat(200), "order ".repeat(166), "x".repeat(dev.atlas.Limits.MAX_QUERY_LENGTH)));
        Map<String, List<String>> differ = new LinkedHashMap<>();
        long found = 0;
        for (String text : queries) {
            for (TextQuery q : List.of(TextQuery.messages(text).limit(1000), TextQuery.memories(text).limit(1000))) {
                List<String> a = answer(sqlite, KEYS_SQLITE, q);
                List<String> b = answer(postgres, KEYS_POSTGRES, q);
                found += a.isEmpty() ? 0 : 1;
                if (!a.equals(b)) {
                    differ.put(q.target() + ": " + text, a);
                    differ.put(q.target() + ": " + text + " [postgres]", b);
                }
            }
        }
        assertThat(differ).isEmpty();
        assertThat(found).isGreaterThan(queries.size());
    }

    /** Texts that stress the tokeniser: hyphens, apostrophes, dotted numbers, words over 64 code points, repeats, scripts, NFC/NFD. */
    private static final List<String> HOSTILE_TEXTS = List.of(
            "state-of-the-art well-known e-mail x-ray co-operate", "don't won't it's rock'n'roll O'Brien l'amour",
            "version 1.2.3 and 1.23 and 12.3 and 3.14159 and .5 and 5. and 1e10 and 0x1F", "a".repeat(70) + " " + "a".repeat(64) + "b",
            "b".repeat(5000), "the the the the of and a an", "order order order refund", "café cafe\u0301 CAFÉ Cafe\u0301",
            "Ⅻ xii XII ² 2 ﬁle ＡＢＣ abc", "İstanbul ıstanbul ISTANBUL", "ΟΔΟΣ οδος οδοσ", "한국어 한국어 \u1112\u1161\u11ab",
            "日本語と English と русский", "x xx xa x41 xe4", "1 22 333 4444 55555 " + "9".repeat(80), "foo_bar foo-bar foo.bar foo/bar foo@bar foo,bar foo'bar",
            "emoji👍🏽👍 and 🇫🇷 flag and 1️⃣ keycap", "tab\tsep\nnew\u00a0nbsp\u2003em\u3000ideo", "e\u0301\u0301 stacked", "مرحبا بالعالم", "שלום עולם",
            "ﷺ ligature", "Ǆ ǅ ǆ", "ß SS ss ẞ");
    private static final List<String> HOSTILE_WORDS = List.of("state-of-the-art", "state of the art", "well known", "e-mail", "email", "x-ray", "don't", "won't", "it's",
            "rock'n'roll", "o'brien", "brien", "l'amour", "1.2.3", "1.23", "12.3", "3.14159", ".5", "5.", "1e10", "0x1f", "a".repeat(64), "a".repeat(70),
            "a".repeat(64) + "c", "b".repeat(100), "the", "the the", "of and", "order order", "order", "café", "cafe\u0301", "CAFÉ", "cafe", "xii", "Ⅻ", "2",
            "file", "abc", "ＡＢＣ", "istanbul", "ıstanbul", "i̇stanbul", "οδος", "ΟΔΟΣ", "οδοσ", "한국어", "한", "\u1112\u1161\u11ab", "日本語", "english",
            "русский", "x", "xx", "xa", "x41", "xe4", "A", "4444", "9".repeat(80), "foo_bar", "foo bar", "foo.bar", "foo'bar", "👍", "👍🏽", "🇫🇷", "1",
            "sep new nbsp em ideo", "e\u0301", "مرحبا", "עולם", "ﷺ", "صلى", "ǆ", "Ǆ", "ß", "ss", "ẞ", "foo,bar,foo");
    private static Map<String, List<String>> hostileAnswers(Atlas atlas) {
        Tenant t = atlas.tenant("hostile");
        Map<UUID, Integer> keys = new HashMap<>();
        Conversation c = t.conversations().create(NewConversation.of(Owner.user("1")));
        for (int i = 0; i < HOSTILE_TEXTS.size(); i++) {
            keys.put(t.conversations().append(c.id(), NewMessage.user(HOSTILE_TEXTS.get(i))).id(), i);
            keys.put(t.memories().create(NewMemory.fact(Owner.user("1"), HOSTILE_TEXTS.get(i))).id(), 100 + i);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String q : HOSTILE_WORDS) {
            for (TextQuery tq : List.of(TextQuery.messages(q).limit(100), TextQuery.memories(q).limit(100))) {
                List<String> r = new ArrayList<>();
                for (SearchHit h : t.search().text(tq)) {
                    // The score's exact bits: equal to the last bit on both databases.
                    r.add(keys.get(h.id()) + " " + Double.doubleToRawLongBits(h.score()) + " " + h.snippet());
                }
                out.put(tq.target() + ": " + q, r);
            }
        }
        return out;
    }

    @Test
    @DisplayName("hyphenated, apostrophised, dotted, over-long, repeated, stop-word-only, mixed-script and NFC/NFD words give the same"
            + " rows, order, score bits and snippets on both databases")
    void sameAnswersForHostileWords() {
        Map<String, List<String>> onSqlite = hostileAnswers(sqlite);
        assertThat(hostileAnswers(postgres)).isEqualTo(onSqlite);
        assertThat(onSqlite.values().stream().filter(v -> !v.isEmpty()).count()).isGreaterThan(HOSTILE_WORDS.size());
    }
}
