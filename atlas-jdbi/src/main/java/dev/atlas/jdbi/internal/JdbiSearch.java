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
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;

/** {@link Search} on the statement layer ({@link SearchSql}): full-text through the {@link Dialect}, semantic through a {@link VectorIndex}. */
public final class JdbiSearch implements Search {
    /** Query words beyond this many are ignored: a query with more adds nothing but cost. */
    static final int MAX_WORDS = 32;

    private final Db db;
    private final Sql sql;
    private final SearchSql q;
    private final PgVectorIndex.Settings pgvector;
    private volatile VectorIndex index;

    public JdbiSearch(Db db, String tenant, PgVectorIndex.Settings pgvector) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(SearchSql.class, SearchSql::new);
        this.pgvector = pgvector;
    }

    private VectorIndex index() {
        VectorIndex i = index;
        if (i == null) {
            i = PgVectorIndex.forDb(db, pgvector);
            index = i;
        }
        return i;
    }

    // ---- full-text ------------------------------------------------------------------------

    @Override
    public List<SearchHit> text(TextQuery query) {
        Check.notNull("query", query);
        List<List<String>> phrases = SearchText.phrases(query.text(), MAX_WORDS);
        if (phrases.isEmpty()) {
            return List.of();
        }
        Dialect d = db.dialect();
        boolean messages = query.target() == SearchTarget.MESSAGE;
        String table = messages ? "messages" : "memories";
        indexPending(db, sql, q, table);
        Map<String, Object> binds = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder("SELECT x.id AS id, x.conversation_id AS conv, x.search_text AS terms FROM ")
                .append(d.textFrom(table, "x", query.target().toString()));
        if (messages) {
            text.append(" JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id");
        }
        text.append(" WHERE ").append(d.textMatch("x")).append(" AND x.tenant_id = :t");
        text.append(conditions(query.target(), query.filter(), binds));
        binds.put("q", d.textQuery(SearchText.distinct(phrases)));
        return db.readConsistent(h -> {
            // The index only preselects rows holding every term; the stored terms decide (phrases)
            // and score, in Java, so both databases answer alike and no other row's statistics count.
            TextTopK top = new TextTopK(query.limit());
            List<String> joined = phrases.stream().map(p -> String.join(" ", p)).toList();
            Sql.Call call = sql.on(h, q.render("search.text." + table, text.toString())).fetchSize(500);
            binds.forEach(call::bind);
            call.forEach((rs, ctx) -> {
                double score = score(rs.getString(3), joined);
                if (score > 0) {
                    top.add(score, rs.getString(1), rs.getString(2));
                }
                return null;
            }, x -> { });
            List<TextTopK.Hit> best = top.best();
            if (best.isEmpty()) {
                return List.of();
            }
            Map<String, String> contents = new HashMap<>();
            Where ids = new Where().in("id", "id", best.stream().map(x -> UUID.fromString(x.id())).toList());
            ids.bindTo(sql.on(h, q.render("search.contents." + table, "SELECT id, content FROM <p>" + table + " WHERE tenant_id = :t"
                            + ids)))
                    .forEach((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("content")), e -> contents.put(e.getKey(), e.getValue()));
            List<SearchHit> hits = new ArrayList<>(best.size());
            for (TextTopK.Hit x : best) {
                String content = contents.get(x.id());
                if (content != null) { // null: deleted since the first statement (SQLite reads per statement)
                    hits.add(new SearchHit(query.target(), UUID.fromString(x.id()),
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

    /**
     * Writes the search column of one tenant's rows of {@code table} that have none (rows written
     * before migration V8, or since by an older Atlas), in batches, each its own transaction. The
     * column is made by {@link SearchText} in Java, which SQL cannot reproduce, so no migration
     * can fill it. Returns the rows written.
     */
    static int indexPending(Db db, Sql sql, SearchSql q, String table) {
        boolean any = db.read(h -> sql.on(h, q.anyPending.get(table)).exists());
        int total = 0;
        while (any) {
            int n = db.write(h -> {
                List<String[]> rows = sql.on(h, q.pendingBatch.get(table))
                        .list((rs, ctx) -> new String[] {rs.getString("id"), rs.getString("content")});
                if (!rows.isEmpty()) {
                    Sql.Call batch = sql.on(h, q.writeSearchText.get(table));
                    for (String[] r : rows) {
                        batch.bind("s", SearchText.index(r[1])).bind("id", UUID.fromString(r[0])).add();
                    }
                    batch.batch();
                }
                return rows.size();
            });
            total += n;
            any = n == SearchSql.INDEX_BATCH;
        }
        return total;
    }

    /** {@link #indexPending} for every tenant's messages and memories: run when Atlas opens after migrating. */
    public static int indexPending(Db db) {
        SearchSql q = db.statements(SearchSql.class, SearchSql::new);
        int total = 0;
        for (String table : SearchSql.TEXT_TABLES) {
            for (String tenant : db.read(h -> Sql.crossTenant(db).on(h, q.pendingTenants.get(table)).list(Sql.STRING))) {
                total += indexPending(db, new Sql(db, new TenantId(tenant)), q, table);
            }
        }
        return total;
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
        if (f.agent() != null) {
            sql.append(" AND x.agent = :fAgent");
            binds.put("fAgent", f.agent());
        }
        int i = 0;
        for (Map.Entry<String, String> e : f.metadata().entrySet()) {
            sql.append(" AND ").append(SearchSql.metadataIs(db.dialect(), "x", "fKey" + i, "fValue" + i));
            binds.put("fKey" + i, e.getKey());
            binds.put("fValue" + i, e.getValue());
            i++;
        }
        for (int t = 0; t < f.tags().size(); t++) {
            sql.append(" AND EXISTS (SELECT 1 FROM <p>memory_tags g").append(t).append(" WHERE g").append(t).append(".tenant_id = x.tenant_id")
                    .append(" AND g").append(t).append(".memory_id = x.id AND g").append(t).append(".tag = :fTag").append(t).append(')');
            binds.put("fTag" + t, f.tags().get(t));
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
    public List<SearchHit> similar(SemanticQuery query) {
        Check.notNull("query", query);
        float[] unit = normalise(query.vector());
        VectorIndex idx = index(); // chosen before any transaction: choosing may run DDL on its own connection
        return db.readConsistent(h -> {
            int dimension = dimension(h, query.model());
            if (dimension == 0) {
                return List.of();
            }
            if (dimension != unit.length) {
                throw wrongDimension("vector", unit.length, query.model(), dimension);
            }
            Map<String, Object> binds = new LinkedHashMap<>();
            StringBuilder from = new StringBuilder("FROM <p>vectors v");
            String conversation = "v.conversation_id";
            if (query.target() == SearchTarget.MESSAGE) {
                // A vector stored before the message's last edit describes old content: skip it
                // until the application stores a new one.
                from.append(" JOIN <p>messages x ON x.tenant_id = v.tenant_id AND x.id = v.target_id"
                                + " AND (x.edited_at IS NULL OR v.updated_at >= x.edited_at)")
                        .append(" JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id");
                conversation = "x.conversation_id";
            } else if (query.target() == SearchTarget.MEMORY) {
                from.append(" JOIN <p>memories x ON x.tenant_id = v.tenant_id AND x.id = v.target_id");
                conversation = "x.conversation_id";
            }
            from.append(" WHERE v.tenant_id = :t AND v.model = :model AND v.target_type = :type AND v.dimension = :dim");
            from.append(conditions(query.target(), query.filter(), binds));
            binds.put("model", query.model());
            binds.put("type", query.target().toString());
            binds.put("dim", dimension);
            return idx.nearest(sql, h, query.target(), new VectorIndex.Candidates(q, from.toString(), conversation, binds), query.model(),
                    unit, query.k());
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
                case MESSAGE -> sql.on(h, q.messageConversation).bind("id", id).optional(sql.uuidColumn())
                        .orElseThrow(() -> new NotFoundException("message", id));
                case MEMORY -> {
                    if (!sql.on(h, q.memoryVisible).bind("id", id).bind("now", now).exists()) {
                        throw new NotFoundException("memory", id);
                    }
                    yield null;
                }
                case ASSET -> {
                    if (!sql.on(h, q.assetLive).bind("id", id).exists()) {
                        throw new NotFoundException("asset", id, "assetId");
                    }
                    if (assetConversation != null && !sql.on(h, q.conversationLive).bind("id", assetConversation).exists()) {
                        throw new NotFoundException("conversation", assetConversation);
                    }
                    yield assetConversation;
                }
            };
            sql.on(h, q.insertModel).bind("model", model).bind("dim", copy.length).bind("now", now).update();
            int dimension = dimension(h, model);
            if (dimension != copy.length) {
                throw wrongDimension("vector", copy.length, model, dimension);
            }
            sql.on(h, q.upsertVector).bind("id", Ids.next(db.clock())).bind("type", target.toString()).bind("target", id)
                    .bind("model", model).bind("dim", copy.length).bind("vector", bytes).bind("conversation", conversation)
                    .bind("now", now).update();
            idx.stored(sql, h, target, id, model, copy);
            return null;
        });
        idx.changed(sql.tenant().value(), model);
        idx.committed(model, copy.length);
    }

    @Override
    public void embed(SearchTarget target, UUID id, String model, Embedder embedder) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        Check.notNull("embedder", embedder);
        String content = db.read(h -> switch (target) {
            case MESSAGE -> sql.on(h, q.messageContent).bind("id", id).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("message", id));
            case MEMORY -> sql.on(h, q.memoryContent).bind("id", id).bind("now", db.now()).optional(Sql.STRING)
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
        int deleted = db.write(h -> sql.on(h, q.deleteVector).bind("model", model).bind("type", target.toString()).bind("id", id).update());
        index().changed(sql.tenant().value(), model);
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
        return sql.on(h, q.dimension).bind("model", model).optional(Sql.INT).orElse(0);
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
