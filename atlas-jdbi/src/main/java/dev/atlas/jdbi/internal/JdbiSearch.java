package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.internal.Check;
import dev.atlas.internal.VectorCheck;
import dev.atlas.search.Embedder;
import dev.atlas.search.Search;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import org.jdbi.v3.core.Handle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.UUID;

/** {@link Search} on Jdbi: full-text through the {@link Dialect}, semantic through a {@link VectorIndex}. */
public final class JdbiSearch implements Search {
    /** Query words beyond this many are ignored: a query with more adds nothing but cost. */
    static final int MAX_WORDS = 32;

    private final Db db;
    private final String tenant;
    private final int pgvectorEfSearch;
    private volatile VectorIndex index;

    public JdbiSearch(Db db, String tenant, int pgvectorEfSearch) {
        this.db = db;
        this.tenant = tenant;
        this.pgvectorEfSearch = pgvectorEfSearch;
    }

    private VectorIndex index() {
        VectorIndex i = index;
        if (i == null) {
            i = PgVectorIndex.forDb(db, pgvectorEfSearch);
            index = i;
        }
        return i;
    }

    // ---- full-text ------------------------------------------------------------------------

    @Override
    public List<SearchHit> text(TextQuery q) {
        Check.notNull("query", q);
        List<List<String>> phrases = SearchText.phrases(q.text(), MAX_WORDS);
        if (phrases.isEmpty()) {
            return List.of();
        }
        Dialect d = db.dialect();
        boolean messages = q.target() == SearchTarget.MESSAGE;
        String table = messages ? "messages" : "memories";
        indexPending(db, tenant, table);
        Map<String, Object> binds = new LinkedHashMap<>();
        StringBuilder sql = new StringBuilder("SELECT x.id AS id, x.conversation_id AS conv, x.search_text AS terms FROM ")
                .append(d.textFrom(table, "x", q.target().toString()));
        if (messages) {
            sql.append(" JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id");
        }
        sql.append(" WHERE ").append(d.textMatch("x")).append(" AND x.tenant_id = :t");
        sql.append(conditions(q.target(), q.filter(), binds));
        binds.put("q", d.textQuery(SearchText.distinct(phrases)));
        binds.put("t", tenant);
        return db.readConsistent(h -> {
            // The index only preselects rows holding every term; the stored terms decide (phrases)
            // and score, in Java, so both databases answer alike and no other row's statistics count.
            TextTopK top = new TextTopK(q.limit());
            List<String> joined = phrases.stream().map(p -> String.join(" ", p)).toList();
            h.createQuery(sql.toString()).bindMap(binds).setFetchSize(500).scanResultSet((supplier, ctx) -> {
                ResultSet rs = supplier.get();
                while (rs.next()) {
                    double score = score(rs.getString(3), joined);
                    if (score > 0) {
                        top.add(score, rs.getString(1), rs.getString(2));
                    }
                }
                return null;
            });
            List<TextTopK.Hit> best = top.best();
            if (best.isEmpty()) {
                return List.of();
            }
            Map<String, String> contents = new HashMap<>();
            h.createQuery("SELECT id, content FROM <p>" + table + " WHERE tenant_id = :t AND id IN (<ids>)")
                    .bind("t", tenant).bindList("ids", best.stream().map(x -> UUID.fromString(x.id())).toList())
                    .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("content")))
                    .forEach(e -> contents.put(e.getKey(), e.getValue()));
            List<SearchHit> hits = new ArrayList<>(best.size());
            for (TextTopK.Hit x : best) {
                String content = contents.get(x.id());
                if (content != null) { // null: deleted since the first statement (SQLite reads per statement)
                    hits.add(new SearchHit(q.target(), UUID.fromString(x.id()),
                            x.conversation() == null ? null : UUID.fromString(x.conversation()), x.score(), snippet(content, phrases)));
                }
            }
            return List.copyOf(hits);
        });
    }

    // BM25's term-frequency saturation and length normalisation with a fixed average length and
    // no inverse document frequency: a row's score depends on that row and the query only.
    private static final double K1 = 1.2;
    private static final double B = 0.75;
    private static final double AVERAGE_WORDS = 32;

    /** The relevance of a row with search column {@code index}: 0 unless every phrase (terms joined by spaces) occurs in it. */
    static double score(String index, List<String> phrases) {
        double norm = K1 * (1 - B + B * SearchText.length(index) / AVERAGE_WORDS);
        double score = 0;
        for (String phrase : phrases) {
            int tf = SearchText.count(index, phrase);
            if (tf == 0) {
                return 0;
            }
            score += tf * (K1 + 1) / (tf + norm);
        }
        return score;
    }

    private static final int SNIPPET_WORDS = 16;
    private static final int SNIPPET_CONTEXT = 3;

    /**
     * At most {@value #SNIPPET_WORDS} words of {@code content} around the matches, each matched
     * phrase in one pair of brackets, with "…" where the content was cut.
     */
    static String snippet(String content, List<List<String>> phrases) {
        List<SearchText.Word> words = SearchText.words(content, Integer.MAX_VALUE);
        int n = words.size();
        boolean[] matched = new boolean[n];
        boolean[] joined = new boolean[n]; // word i and i + 1 are in one matched phrase
        List<int[]> occurrences = new ArrayList<>(); // {first word, phrase}
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < phrases.size(); p++) {
                List<String> phrase = phrases.get(p);
                if (SearchText.at(words, i, phrase)) {
                    for (int j = 0; j < phrase.size(); j++) {
                        matched[i + j] = true;
                        if (j > 0) {
                            joined[i + j - 1] = true;
                        }
                    }
                    occurrences.add(new int[] {i, p});
                }
            }
        }
        int from = 0;
        if (n > SNIPPET_WORDS) {
            // The window showing the most different phrases; the earliest of equals.
            int bestCount = -1;
            for (int k = 0; k < occurrences.size() && k < 100; k++) {
                int start = Math.max(0, Math.min(occurrences.get(k)[0] - SNIPPET_CONTEXT, n - SNIPPET_WORDS));
                BitSet seen = new BitSet();
                for (int[] o : occurrences) {
                    if (o[0] >= start && o[0] + phrases.get(o[1]).size() <= start + SNIPPET_WORDS) {
                        seen.set(o[1]);
                    }
                }
                if (seen.cardinality() > bestCount) {
                    bestCount = seen.cardinality();
                    from = start;
                }
            }
        }
        int to = Math.min(n, from + SNIPPET_WORDS); // exclusive
        int begin = from == 0 ? 0 : words.get(from).start();
        int end = to == n ? content.length() : words.get(to - 1).end();
        StringBuilder out = new StringBuilder(end - begin + 16);
        if (begin > 0) {
            out.append('…');
        }
        int at = begin;
        for (int i = from; i < to; i++) {
            SearchText.Word w = words.get(i);
            if (matched[i] && (i == from || !joined[i - 1])) {
                out.append(content, at, w.start()).append('[');
                at = w.start();
            }
            if (matched[i] && (i == to - 1 || !joined[i])) {
                out.append(content, at, w.end()).append(']');
                at = w.end();
            }
        }
        out.append(content, at, end);
        if (end < content.length()) {
            out.append('…');
        }
        return out.toString();
    }

    /** The best {@code k} rows by score, then by id as text (which is also PostgreSQL's uuid order). */
    static final class TextTopK {
        record Hit(double score, String id, String conversation) {}

        private static final Comparator<Hit> WORST_FIRST =
                Comparator.comparingDouble(Hit::score).thenComparing(Hit::id, Comparator.reverseOrder());
        private final int k;
        private final PriorityQueue<Hit> heap;

        TextTopK(int k) {
            this.k = k;
            this.heap = new PriorityQueue<>(Math.min(k, 1024), WORST_FIRST);
        }

        void add(double score, String id, String conversation) {
            Hit h = new Hit(score, id, conversation);
            if (heap.size() < k) {
                heap.add(h);
            } else if (WORST_FIRST.compare(h, heap.peek()) > 0) {
                heap.poll();
                heap.add(h);
            }
        }

        List<Hit> best() {
            List<Hit> all = new ArrayList<>(heap);
            all.sort(WORST_FIRST.reversed());
            return all;
        }
    }

    private static final int INDEX_BATCH = 500;

    /**
     * Writes the search column of {@code table}'s rows that have none (rows written before
     * migration V8, or since by an older Atlas), in batches, each its own transaction: of one
     * tenant, or of all when {@code tenant} is null. The column is made by {@link SearchText} in
     * Java, which SQL cannot reproduce, so no migration can fill it. Returns the rows written.
     */
    static int indexPending(Db db, String tenant, String table) {
        String where = " WHERE search_text IS NULL" + (tenant == null ? "" : " AND tenant_id = :t");
        Map<String, Object> binds = tenant == null ? Map.of() : Map.of("t", tenant);
        boolean any = db.read(h -> h.createQuery("SELECT 1 FROM <p>" + table + where + " LIMIT 1")
                .bindMap(binds).mapTo(Integer.class).findFirst().isPresent());
        int total = 0;
        while (any) {
            int n = db.write(h -> {
                List<String[]> rows = h.createQuery("SELECT tenant_id, id, content FROM <p>" + table + where
                                + " LIMIT " + INDEX_BATCH + db.dialect().lockSkipLocked())
                        .bindMap(binds)
                        .map((rs, ctx) -> new String[] {rs.getString("tenant_id"), rs.getString("id"), rs.getString("content")})
                        .list();
                if (!rows.isEmpty()) {
                    var batch = h.prepareBatch("UPDATE <p>" + table + " SET search_text = :s WHERE tenant_id = :t AND id = :id"
                            + " AND search_text IS NULL");
                    for (String[] r : rows) {
                        batch.bind("s", SearchText.index(r[2])).bind("t", r[0]).bind("id", UUID.fromString(r[1])).add();
                    }
                    batch.execute();
                }
                return rows.size();
            });
            total += n;
            any = n == INDEX_BATCH;
        }
        return total;
    }

    /** {@link #indexPending} for every tenant's messages and memories: run when Atlas opens after migrating. */
    public static int indexPending(Db db) {
        return indexPending(db, null, "messages") + indexPending(db, null, "memories");
    }

    /**
     * Liveness and filter conditions for rows of {@code target} aliased {@code x} (with the
     * message's conversation as {@code c}; for assets only the vector {@code v} exists).
     */
    private String conditions(SearchTarget target, SearchFilter f, Map<String, Object> binds) {
        StringBuilder sql = new StringBuilder();
        switch (target) {
            case MESSAGE -> {
                sql.append(" AND x.deleted_at IS NULL AND c.deleted_at IS NULL");
                if (f.owner() != null) {
                    sql.append(" AND c.owner_type = :fOwnerType AND c.owner_id = :fOwnerId");
                }
                if (f.role() != null) {
                    sql.append(" AND x.role = :fRole");
                    binds.put("fRole", f.role().toString());
                }
            }
            case MEMORY -> {
                sql.append(" AND x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > :now)");
                binds.put("now", db.now());
                if (f.owner() != null) {
                    sql.append(" AND x.owner_type = :fOwnerType AND x.owner_id = :fOwnerId");
                }
                if (f.kind() != null) {
                    sql.append(" AND x.kind = :fKind");
                    binds.put("fKind", f.kind().value());
                }
            }
            case ASSET -> { }
        }
        if (f.owner() != null) {
            binds.put("fOwnerType", f.owner().type());
            binds.put("fOwnerId", f.owner().id());
        }
        String row = target == SearchTarget.ASSET ? "v" : "x";
        if (f.conversationId() != null) {
            sql.append(" AND ").append(row).append(".conversation_id = :fConversation");
            binds.put("fConversation", f.conversationId());
        }
        if (f.from() != null) {
            sql.append(" AND ").append(row).append(".created_at >= :fFrom");
            binds.put("fFrom", f.from());
        }
        if (f.to() != null) {
            sql.append(" AND ").append(row).append(".created_at < :fTo");
            binds.put("fTo", f.to());
        }
        return sql.toString();
    }

    // ---- semantic -------------------------------------------------------------------------

    @Override
    public List<SearchHit> similar(SemanticQuery q) {
        Check.notNull("query", q);
        float[] unit = normalise(q.vector());
        VectorIndex idx = index(); // chosen before any transaction: choosing may run DDL on its own connection
        return db.readConsistent(h -> {
            int dimension = dimension(h, q.model());
            if (dimension == 0) {
                return List.of();
            }
            if (dimension != unit.length) {
                throw wrongDimension("vector", unit.length, q.model(), dimension);
            }
            Map<String, Object> binds = new LinkedHashMap<>();
            StringBuilder from = new StringBuilder("FROM <p>vectors v");
            String conversation = "v.conversation_id";
            if (q.target() == SearchTarget.MESSAGE) {
                // A vector stored before the message's last edit describes old content: skip it
                // until the application stores a new one.
                from.append(" JOIN <p>messages x ON x.tenant_id = v.tenant_id AND x.id = v.target_id"
                                + " AND (x.edited_at IS NULL OR v.updated_at >= x.edited_at)")
                        .append(" JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id");
                conversation = "x.conversation_id";
            } else if (q.target() == SearchTarget.MEMORY) {
                from.append(" JOIN <p>memories x ON x.tenant_id = v.tenant_id AND x.id = v.target_id");
                conversation = "x.conversation_id";
            }
            from.append(" WHERE v.tenant_id = :t AND v.model = :model AND v.target_type = :type AND v.dimension = :dim");
            from.append(conditions(q.target(), q.filter(), binds));
            binds.put("t", tenant);
            binds.put("model", q.model());
            binds.put("type", q.target().toString());
            binds.put("dim", dimension);
            return idx.nearest(h, q.target(), new VectorIndex.Candidates(from.toString(), conversation, binds), q.model(), unit, q.k());
        });
    }

    @Override
    public void upsertVector(SearchTarget target, UUID id, String model, float[] vector) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        if (target == SearchTarget.ASSET) {
            throw new InvalidInputException("target", "asset vectors are stored with putAssetVector(assetId, conversationId, model, vector)");
        }
        store(target, id, null, model, vector);
    }

    @Override
    public void upsertAssetVector(UUID assetId, UUID conversationId, String model, float[] vector) {
        Check.notNull("assetId", assetId);
        store(SearchTarget.ASSET, assetId, conversationId, model, vector);
    }

    private void store(SearchTarget target, UUID id, UUID assetConversation, String model, float[] vector) {
        VectorCheck.model("model", model);
        float[] copy = VectorCheck.checked("vector", vector).clone();
        byte[] bytes = encode(copy);
        VectorIndex idx = index(); // chosen before the write transaction: choosing may run DDL on its own connection
        db.write(h -> {
            Instant now = db.now();
            UUID conversation = switch (target) {
                case MESSAGE -> h.createQuery("SELECT m.conversation_id FROM <p>messages m JOIN <p>conversations c"
                                + " ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id"
                                + " WHERE m.tenant_id = :t AND m.id = :id AND m.deleted_at IS NULL AND c.deleted_at IS NULL")
                        .bind("t", tenant).bind("id", id).map((rs, ctx) -> db.dialect().uuid(rs, "conversation_id")).findOne()
                        .orElseThrow(() -> new NotFoundException("message", id));
                case MEMORY -> {
                    h.createQuery("SELECT id FROM <p>memories WHERE tenant_id = :t AND id = :id AND " + JdbiMemoryStore.VISIBLE)
                            .bind("t", tenant).bind("id", id).bind("now", now).mapTo(String.class).findOne()
                            .orElseThrow(() -> new NotFoundException("memory", id));
                    yield null;
                }
                case ASSET -> {
                    // Locked so a concurrent delete of the asset, which removes its vectors in its
                    // own transaction, cannot pass between this check and the insert below.
                    if (h.createQuery("SELECT 1 FROM <p>assets WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL"
                                    + db.dialect().forShare())
                            .bind("t", tenant).bind("id", id).mapTo(Integer.class).findOne().isEmpty()) {
                        throw new NotFoundException("asset", id, "assetId");
                    }
                    if (assetConversation != null && h.createQuery("SELECT id FROM <p>conversations WHERE tenant_id = :t AND id = :id"
                                    + " AND deleted_at IS NULL")
                            .bind("t", tenant).bind("id", assetConversation).mapTo(String.class).findOne().isEmpty()) {
                        throw new NotFoundException("conversation", assetConversation);
                    }
                    yield assetConversation;
                }
            };
            h.createUpdate("INSERT INTO <p>vector_models (tenant_id, model, dimension, created_at) VALUES (:t, :model, :dim, :now)"
                            + " ON CONFLICT (tenant_id, model) DO NOTHING")
                    .bind("t", tenant).bind("model", model).bind("dim", copy.length).bind("now", now).execute();
            int dimension = dimension(h, model);
            if (dimension != copy.length) {
                throw wrongDimension("vector", copy.length, model, dimension);
            }
            h.createUpdate("INSERT INTO <p>vectors (tenant_id, id, target_type, target_id, model, dimension, vector, conversation_id,"
                            + " created_at, updated_at) VALUES (:t, :id, :type, :target, :model, :dim, :vector, :conversation, :now, :now)"
                            + " ON CONFLICT (tenant_id, model, target_type, target_id) DO UPDATE SET vector = excluded.vector,"
                            + " dimension = excluded.dimension, conversation_id = excluded.conversation_id, updated_at = excluded.updated_at")
                    .bind("t", tenant).bind("id", Ids.next(db.clock())).bind("type", target.toString()).bind("target", id)
                    .bind("model", model).bind("dim", copy.length).bind("vector", bytes).bind("conversation", conversation)
                    .bind("now", now)
                    .execute();
            idx.stored(h, tenant, target, id, model, copy);
            return null;
        });
    }

    @Override
    public void embed(SearchTarget target, UUID id, String model, Embedder embedder) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        Check.notNull("embedder", embedder);
        String content = db.read(h -> switch (target) {
            case MESSAGE -> h.createQuery("SELECT content FROM <p>messages WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                    .bind("t", tenant).bind("id", id).mapTo(String.class).findOne()
                    .orElseThrow(() -> new NotFoundException("message", id));
            case MEMORY -> h.createQuery("SELECT content FROM <p>memories WHERE tenant_id = :t AND id = :id AND " + JdbiMemoryStore.VISIBLE)
                    .bind("t", tenant).bind("id", id).bind("now", db.now()).mapTo(String.class).findOne()
                    .orElseThrow(() -> new NotFoundException("memory", id));
            case ASSET -> throw new InvalidInputException("target", "Atlas holds no text for assets; embed it yourself and call putAssetVector");
        });
        // The embedder (often a network call) runs outside any transaction.
        upsertVector(target, id, model, embedder.embed(content));
    }

    @Override
    public void deleteVector(SearchTarget target, UUID id, String model) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        int deleted = db.write(h -> h.createUpdate("DELETE FROM <p>vectors WHERE tenant_id = :t AND model = :model"
                        + " AND target_type = :type AND target_id = :id")
                .bind("t", tenant).bind("model", model).bind("type", target.toString()).bind("id", id).execute());
        if (deleted == 0) {
            throw new NotFoundException("vector", id, "id");
        }
    }

    @Override
    public int dimension(String model) {
        VectorCheck.model("model", model);
        return db.read(h -> dimension(h, model));
    }

    private int dimension(Handle h, String model) {
        Optional<Integer> d = h.createQuery("SELECT dimension FROM <p>vector_models WHERE tenant_id = :t AND model = :model")
                .bind("t", tenant).bind("model", model).mapTo(Integer.class).findOne();
        return d.orElse(0);
    }

    private static InvalidInputException wrongDimension(String field, int given, String model, int expected) {
        return new InvalidInputException(field, "has " + given + " dimensions, but model '" + model + "' stores " + expected
                + "-dimensional vectors in this tenant");
    }

    static byte[] encode(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    static float[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        double inv = 1 / Math.sqrt(norm);
        float[] unit = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] * inv);
        }
        return unit;
    }
}
