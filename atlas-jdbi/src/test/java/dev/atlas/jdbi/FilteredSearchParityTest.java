package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same writes and the same filtered queries give the same answers on SQLite and on PostgreSQL (and, in
 * {@link PgvectorFilteredSearchParityTest}, on PostgreSQL with pgvector's index): semantic hits with their exact score
 * bits, text hits with scores and snippets, and every page of a text query, under random combinations of owner, kind,
 * role, agent (with and without the owner's global memories), tag, metadata (a blank value, and a number never equal to its
 * digits) and creation-time bounds finer than the microseconds the databases keep; then again after deletes, content
 * changes, edits and expiries; and for the tenant exported from SQLite and imported into the other database. The rows
 * are written to both databases in one sequence from one JVM, so their ids sort
 * alike on both and ties (identical and scaled vectors) must fall alike too; another tenant's rows are interleaved.
 */
class FilteredSearchParityTest {
    private static final String[] WORDS = {"order", "refund", "café", "cafe", "東京", "🙂", "x-ray", "don't", "the", "delay", "42",
            "4.2", "Invoice"};
    private static final Owner ANN = Owner.user("ann");
    private static final Owner BEN = Owner.user("ben");
    private static final MemoryKind[] KINDS = {MemoryKind.FACT, MemoryKind.PREFERENCE, MemoryKind.TASK};
    private static final String[] AGENTS = {null, "billing", "support"};
    private static final String[] TAGS = {"red", "green", "blue"};
    private static final int DIM = 6;
    private static final int ROWS = 120;
    private static final int QUERIES = 60;

    /** The database compared with SQLite. */
    protected TestDatabase other() {
        return new PostgresTestDatabase();
    }

    /** One database under test: its Atlas, the clock every write of it uses, and each row's label by id. */
    private record Side(TestDatabase database, Atlas atlas, MutableClock clock, Map<UUID, String> labels, List<Conversation> conversations) {
        Tenant mine() {
            return atlas.tenant("mine");
        }
    }

    @Test
    @DisplayName("filtered semantic and text queries, and every page of the text ones, answer the same rows, order, score bits and"
            + " snippets on both databases, before and after deletes, content changes, edits and expiries")
    void sameAnswersUnderFilters() {
        Instant start = Instant.parse("2026-03-29T00:30:00.123456Z");
        List<Side> sides = new ArrayList<>();
        for (TestDatabase database : List.of(new SqliteTestDatabase(), other())) {
            MutableClock clock = new MutableClock(start);
            Atlas atlas = database.open(b -> b.clock(clock));
            List<Conversation> conversations = new ArrayList<>();
            for (Owner owner : List.of(ANN, ANN, BEN)) {
                conversations.add(atlas.tenant("mine").conversations().create(NewConversation.of(owner)));
            }
            sides.add(new Side(database, atlas, clock, new HashMap<>(), conversations));
        }
        try {
            Random random = new Random(20261207);
            List<float[]> vectors = new ArrayList<>();
            List<Instant> times = new ArrayList<>();
            Map<String, List<UUID>> ids = new LinkedHashMap<>();
            for (int i = 0; i < ROWS; i++) {
                write(random, sides, "r" + i, vectors, times, ids);
            }
            // The tenant moved from SQLite as users move when they outgrow it: exported, imported into the other database
            // (ids kept, search terms recomputed, vectors without a pgvector embedding until back-filled). It must answer as
            // SQLite's does, before the changes below (which go to "mine" only).
            java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
            sides.get(0).mine().portability().exportTo(file, dev.atlas.portability.ExportScope.tenant());
            Side moved = sides.get(1);
            moved.atlas().tenant("moved").portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray()));
            moved.labels().putAll(sides.get(0).labels());
            int compared = 0;
            int found = 0;
            for (int phase = 0; phase < 2; phase++) {
                for (int n = 0; n < QUERIES; n++) {
                    SearchTarget kind = random.nextBoolean() ? SearchTarget.MEMORY : SearchTarget.MESSAGE;
                    SearchFilter filter = filter(random, kind, times);
                    int k = new int[] {1, 2, 3, 5, 10, 17, 33, 100, 1000}[random.nextInt(9)];
                    float[] query = random.nextBoolean() ? vectors.get(random.nextInt(vectors.size())).clone() : gaussian(random);
                    SemanticQuery semantic = SemanticQuery.of(kind, "parity-6", query).k(k).filter(filter);
                    String words = WORDS[random.nextInt(WORDS.length)] + (random.nextBoolean() ? " " + WORDS[random.nextInt(WORDS.length)] : "");
                    TextQuery text = (kind == SearchTarget.MEMORY ? TextQuery.memories(words) : TextQuery.messages(words))
                            .filter(filter).limit(Math.min(k, 50));
                    List<List<String>> first = null;
                    List<Map.Entry<Side, String>> asked = new ArrayList<>();
                    sides.forEach(side -> asked.add(Map.entry(side, "mine")));
                    if (phase == 0) {
                        asked.add(Map.entry(moved, "moved"));
                    }
                    for (Map.Entry<Side, String> at : asked) {
                        Side side = at.getKey();
                        dev.atlas.search.Search search = side.atlas().tenant(at.getValue()).search();
                        List<List<String>> answers = List.of(lines(side, search.similar(semantic)), lines(side, search.text(text)),
                                pages(side, search, text.limit(3)));
                        if (first == null) {
                            first = answers;
                            found += answers.get(0).isEmpty() ? 0 : 1;
                            found += answers.get(1).isEmpty() ? 0 : 1;
                        } else {
                            assertThat(answers).as("%s on %s, tenant %s: %s, k=%d, text '%s'", kind, side.database().name(), at.getValue(),
                                    filter, k, words)
                                    .isEqualTo(first);
                            compared++;
                        }
                    }
                }
                change(random, sides, ids);
            }
            // The comparison means something only if most queries find rows.
            assertThat(compared).isEqualTo(3 * QUERIES);
            assertThat(found).isGreaterThan(2 * QUERIES);
        } finally {
            for (Side side : sides) {
                side.atlas().close();
                side.database().cleanup();
            }
        }
    }

    private static float[] gaussian(Random random) {
        float[] v = new float[DIM];
        for (int j = 0; j < DIM; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }

    /** One row (a memory or a message, of this tenant or, one in four, another's) with its vector, on every side alike. */
    private static void write(Random random, List<Side> sides, String label, List<float[]> vectors, List<Instant> times,
                              Map<String, List<UUID>> ids) {
        boolean memory = random.nextBoolean();
        String tenant = random.nextInt(4) == 0 ? "other" : "mine";
        StringBuilder text = new StringBuilder();
        for (int w = 0, n = 1 + random.nextInt(6); w < n; w++) {
            text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        // A new direction, or an earlier vector again, scaled, or moved in its last bits: ties and near-ties.
        float[] v;
        int shape = vectors.isEmpty() ? 3 : random.nextInt(4);
        if (shape == 3) {
            v = gaussian(random);
        } else {
            v = vectors.get(random.nextInt(vectors.size())).clone();
            for (int j = 0; j < DIM; j++) {
                v[j] = shape == 1 ? v[j] * 3 : shape == 2 && j == 0 ? v[j] + 1e-6f : v[j];
            }
        }
        vectors.add(v);
        Owner owner = random.nextBoolean() ? ANN : BEN;
        MemoryKind kind = KINDS[random.nextInt(KINDS.length)];
        String agent = AGENTS[random.nextInt(AGENTS.length)];
        int conversation = random.nextInt(3);
        Role role = random.nextBoolean() ? Role.USER : Role.ASSISTANT;
        List<String> tags = new ArrayList<>();
        for (String tag : TAGS) {
            if (random.nextBoolean()) {
                tags.add(tag);
            }
        }
        Map<String, Object> metadata = new TreeMap<>();
        switch (random.nextInt(4)) {
            case 1 -> metadata.put("source", "mail");
            case 2 -> metadata.put("source", "");
            case 3 -> metadata.put("source", 1);
            default -> { }
        }
        // Often the same microsecond as the row before: ties in time, and bounds between them.
        long advance = random.nextInt(3) == 0 ? 0 : random.nextInt(2_000_000);
        List<UUID> written = new ArrayList<>();
        for (Side side : sides) {
            side.clock().advanceMicros(advance);
            Tenant t = side.atlas().tenant(tenant);
            UUID id;
            if (memory) {
                id = t.memories().create(NewMemory.of(owner, kind, text.toString()).agent(agent).tags(tags).metadata(metadata)).id();
            } else {
                UUID in = tenant.equals("mine") ? side.conversations().get(conversation).id()
                        : t.conversations().create(NewConversation.of(owner)).id();
                id = t.conversations().append(in, NewMessage.of(role, text.toString()).agent(agent).metadata(metadata)).id();
            }
            t.search().upsertVector(memory ? SearchTarget.MEMORY : SearchTarget.MESSAGE, id, "parity-6", v);
            side.labels().put(id, label);
            written.add(id);
        }
        times.add(sides.get(0).clock().instant());
        ids.put(label, written);
    }

    /** A random combination of the filters that apply to {@code target}. */
    private static SearchFilter filter(Random random, SearchTarget target, List<Instant> times) {
        SearchFilter f = SearchFilter.none();
        if (random.nextInt(3) == 0) {
            f = f.owner(random.nextBoolean() ? ANN : BEN);
        }
        if (target == SearchTarget.MEMORY && random.nextInt(3) == 0) {
            f = f.kind(KINDS[random.nextInt(KINDS.length)]);
        }
        if (target == SearchTarget.MESSAGE && random.nextInt(3) == 0) {
            f = f.role(random.nextBoolean() ? Role.USER : Role.ASSISTANT);
        }
        if (random.nextInt(4) == 0) {
            String agent = AGENTS[1 + random.nextInt(2)];
            f = target == SearchTarget.MEMORY && random.nextBoolean() ? f.agentWithGlobal(agent) : f.agent(agent);
        }
        if (target == SearchTarget.MEMORY && random.nextInt(4) == 0) {
            f = f.tag(TAGS[random.nextInt(TAGS.length)]);
        }
        if (random.nextInt(4) == 0) {
            f = f.metadata("source", new String[] {"mail", "", "1"}[random.nextInt(3)]); // "1": never the number 1
        }
        if (random.nextInt(3) == 0) {
            // Bounds half a microsecond around a row's stamp, or on it.
            Instant from = times.get(random.nextInt(times.size())).plusNanos(random.nextInt(3) * 500 - 500);
            Instant to = from.plusSeconds(random.nextInt(200)).plusNanos(1 + random.nextInt(1500));
            f = f.between(random.nextBoolean() ? from : null, to);
        }
        return f;
    }

    /** Deletes, content changes, edits and expiries, the same on every side. */
    private static void change(Random random, List<Side> sides, Map<String, List<UUID>> ids) {
        List<String> labels = new ArrayList<>(ids.keySet());
        for (int n = 0; n < 40; n++) {
            String label = labels.get(random.nextInt(labels.size()));
            int op = random.nextInt(3);
            for (int s = 0; s < sides.size(); s++) {
                Side side = sides.get(s);
                UUID id = ids.get(label).get(s);
                Tenant t = side.mine();
                if (t.memories().get(id).isPresent()) {
                    switch (op) {
                        case 0 -> t.memories().delete(id);
                        case 1 -> t.memories().update(id, MemoryPatch.content("order refund " + n));
                        default -> t.memories().update(id, MemoryPatch.none().expiresAt(side.clock().instant().plusSeconds(1)));
                    }
                } else if (t.conversations().getMessage(id).isPresent()) {
                    if (op == 0) {
                        t.conversations().deleteMessage(id);
                    } else {
                        t.conversations().edit(id, "edited order " + n);
                    }
                }
            }
        }
        for (Side side : sides) {
            side.clock().advanceMicros(2_000_000); // past every expiry just set
        }
    }

    /** Each hit as its label, the exact bits of its score and its snippet (null for semantic hits). */
    private static List<String> lines(Side side, List<SearchHit> hits) {
        List<String> out = new ArrayList<>();
        for (SearchHit h : hits) {
            out.add(side.labels().get(h.id()) + " " + Double.doubleToRawLongBits(h.score()) + " " + h.snippet());
        }
        return out;
    }

    /** Every page of {@code query}, in order, as {@link #lines}. */
    private static List<String> pages(Side side, dev.atlas.search.Search search, TextQuery query) {
        List<String> out = new ArrayList<>();
        String cursor = null;
        do {
            Page<SearchHit> page = search.text(query, cursor);
            out.addAll(lines(side, page.items()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        return out;
    }
}
