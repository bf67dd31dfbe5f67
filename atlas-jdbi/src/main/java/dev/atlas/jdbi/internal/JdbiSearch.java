package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.internal.Check;
import dev.atlas.Page;
import dev.atlas.internal.VectorCheck;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.Embedder;
import dev.atlas.search.Search;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;

import java.time.Instant;
import java.util.ArrayList;
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

    public JdbiSearch(Db db, String tenant, PgVectorIndex.Settings pgvector) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(SearchSql.class, SearchSql::new);
        this.pgvector = pgvector;
    }

    /** Asked at each vector call: the choice may change while the instance runs (PgVectorIndex#forDb). */
    private VectorIndex index() {
        return PgVectorIndex.forDb(db, pgvector);
    }

    // ---- full-text ------------------------------------------------------------------------

    @Override
    public List<SearchHit> text(TextQuery query) {
        Check.notNull("query", query);
        return text(query, null, query.limit());
    }

    @Override
    public Page<SearchHit> text(TextQuery query, String cursor) {
        Check.notNull("query", query);
        Cursor.Listing listing = textListing(query);
        TextHit after = cursor == null ? null : after(Cursor.decode(cursor, listing, 2));
        List<SearchHit> rows = text(query, after, query.limit() + 1);
        return Cursor.page(rows, query.limit(), x -> Cursor.encode(listing, Double.toString(x.score()), x.id()));
    }

    /**
     * The listing of {@code query}'s pages in this tenant: a cursor of another tenant, text, target
     * or filter (whose hits and positions differ) is refused. The limit is left out: it is the page size.
     */
    private Cursor.Listing textListing(TextQuery query) {
        SearchFilter f = query.filter();
        List<Object> key = new ArrayList<>(List.of(query.target().toString(), query.text()));
        key.addAll(java.util.Arrays.asList(f.conversationId(), f.owner() == null ? null : f.owner().type(),
                f.owner() == null ? null : f.owner().id(), f.kind() == null ? null : f.kind().value(), f.role(), f.from(), f.to(),
                f.agent(), f.includeGlobal(), f.tags(), f.metadata().size()));
        f.metadata().forEach((k, v) -> {
            key.add(k);
            key.add(v);
        });
        return sql.listing("text", key.toArray());
    }

    /** The position a text cursor records: the last hit's score (a positive finite double) and id. */
    private static TextHit after(Cursor c) {
        double score;
        try {
            score = Double.parseDouble(c.string(0));
        } catch (NumberFormatException e) {
            score = Double.NaN;
        }
        // The id exactly as handed out: UUID.fromString also reads short groups (an edited or cut cursor).
        if (!(score > 0 && score < Double.POSITIVE_INFINITY) || !c.uuid(1).toString().equals(c.string(1))) {
            throw new InvalidInputException("cursor", "is not a cursor returned by a previous page of this listing");
        }
        return new TextHit(score, c.uuid(1).toString(), null, null);
    }

    /** The best {@code limit} hits of {@code query} ranked after {@code after} (null: from the top). */
    private List<SearchHit> text(TextQuery query, TextHit after, int limit) {
        List<List<String>> phrases = SearchText.phrases(query.text(), MAX_WORDS);
        if (phrases.isEmpty()) {
            return List.of();
        }
        String table = query.target() == SearchTarget.MESSAGE ? "messages" : "memories";
        SearchBackfill.run(db, sql, q, table);
        Map<String, Object> binds = new LinkedHashMap<>();
        binds.put("q", db.dialect().textQuery(phrases.stream().flatMap(List::stream).distinct().toList()));
        Instant now = db.now();
        return db.readConsistent((h, oneSnapshot) -> {
            // The index only preselects rows holding every term; the stored terms decide (phrases)
            // and score, in Java, so both databases answer alike and no other row's statistics count.
            // The best hits by score, then by id as text (which is also PostgreSQL's uuid order).
            // The contents of the best are read afterwards, unless the two reads would not share one
            // snapshot (any application transaction on PostgreSQL, whose level is not asked): then every
            // candidate's content comes with its terms, in the one statement.
            Map<String, Object> b = new LinkedHashMap<>(binds);
            Statement candidates = q.textCandidates(query.target(), query.filter(), now, b, !oneSnapshot);
            PriorityQueue<TextHit> top = new PriorityQueue<>(TextHit.WORST_FIRST);
            List<String> joined = phrases.stream().map(p -> String.join(" ", p)).toList();
            Sql.Call call = sql.on(h, candidates).fetchSize(500);
            b.forEach(call::bind);
            call.forEach((rs, ctx) -> {
                double score = TextRanking.score(rs.getString(3), joined);
                return score > 0 ? new TextHit(score, rs.getString(1), rs.getString(2), oneSnapshot ? null : rs.getString(4)) : null;
            }, x -> {
                // Keyset: only hits ranked after the cursor's (worse score, or equal score and greater id).
                if (x != null && (after == null || TextHit.WORST_FIRST.compare(x, after) < 0) && top.add(x) && top.size() > limit) {
                    top.poll();
                }
            });
            if (top.isEmpty()) {
                return List.of();
            }
            List<TextHit> best = top.stream().sorted(TextHit.WORST_FIRST.reversed()).toList();
            Map<String, String> contents = new HashMap<>();
            if (oneSnapshot) {
                Where ids = new Where().in("id", "id", best.stream().map(x -> UUID.fromString(x.id())).toList());
                ids.bindTo(sql.on(h, q.contents(table, ids)))
                        .forEach((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("content")), e -> contents.put(e.getKey(), e.getValue()));
            } else {
                best.forEach(x -> contents.put(x.id(), x.content()));
            }
            return best.stream().filter(x -> contents.containsKey(x.id())) // a guard: both reads share one snapshot (readConsistent)
                    .map(x -> new SearchHit(query.target(), UUID.fromString(x.id()), x.conversation() == null ? null
                            : UUID.fromString(x.conversation()), x.score(), TextRanking.snippet(contents.get(x.id()), phrases))).toList();
        });
    }

    /** One scored row of a text search. */
    private record TextHit(double score, String id, String conversation, String content) {
        static final Comparator<TextHit> WORST_FIRST =
                Comparator.comparingDouble(TextHit::score).thenComparing(TextHit::id, Comparator.reverseOrder());
    }

    // ---- semantic -------------------------------------------------------------------------

    @Override
    public List<SearchHit> similar(SemanticQuery query) {
        Check.notNull("query", query);
        VectorIndex idx = index(); // chosen before any transaction: choosing may run DDL on its own connection
        boolean[] joined = new boolean[1];
        try {
            return similar(query, idx, joined);
        } catch (dev.atlas.StorageException e) {
            // The extension or its embedding column went under this instance (DROP EXTENSION vector CASCADE): choose again, as
            // a restart would, and answer with that choice; not inside the application's transaction, which the failed
            // statement aborted (its next call uses the new choice). Before, every search failed until a restart.
            if (!PgVectorIndex.reconsider(db, pgvector, idx, e) || joined[0]) {
                throw e;
            }
            return similar(query, index(), joined);
        }
    }

    private List<SearchHit> similar(SemanticQuery query, VectorIndex idx, boolean[] joined) {
        float[] vector = query.vector();
        return db.readConsistent((h, oneSnapshot) -> {
            joined[0] = !oneSnapshot; // PostgreSQL: only in the application's transaction
            int dimension = dimension(h, query.model());
            if (dimension == 0) {
                return List.of();
            }
            if (dimension != vector.length) {
                throw wrongDimension("vector", vector.length, query.model(), dimension);
            }
            Map<String, Object> binds = new LinkedHashMap<>(Map.of("model", query.model(), "type", query.target().toString(), "dim", dimension));
            String fromWhere = q.vectorCandidates(query.target(), query.filter(), db.now(), binds);
            String conversation = query.target() == SearchTarget.ASSET ? "v.conversation_id" : "x.conversation_id";
            return idx.nearest(sql, h, query.target(), new VectorIndex.Candidates(q, fromWhere, conversation, binds), query.model(),
                    vector, query.k());
        });
    }

    @Override
    public void upsertVector(SearchTarget target, UUID id, String model, float[] vector) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        if (target == SearchTarget.ASSET) {
            throw new InvalidInputException("target", "asset vectors are stored with upsertAssetVector(assetId, conversationId, model, vector)");
        }
        store(target, id, null, model, vector, null);
    }

    @Override
    public void upsertAssetVector(UUID assetId, UUID conversationId, String model, float[] vector) {
        Check.notNull("assetId", assetId);
        store(SearchTarget.ASSET, assetId, conversationId, model, vector, null);
    }

    /** {@code embedded}: the content an {@link Embedder} was given, which must still be current, or null for a vector given as is. */
    private void store(SearchTarget target, UUID id, UUID assetConversation, String model, float[] vector, String embedded) {
        VectorCheck.model("model", model);
        float[] copy = VectorCheck.checked("vector", vector).clone();
        byte[] bytes = Vectors.encode(copy);
        VectorIndex idx = index(); // chosen before the write transaction: choosing may run DDL on its own connection
        try {
            store(idx, target, id, assetConversation, model, copy, bytes, embedded);
        } catch (dev.atlas.StorageException e) {
            // As for similar: the extension or its column went under this instance. The write rolled back (inside the
            // application's transaction, to its savepoint), so it runs again with the new choice.
            if (!PgVectorIndex.reconsider(db, pgvector, idx, e)) {
                throw e;
            }
            store(index(), target, id, assetConversation, model, copy, bytes, embedded);
        }
    }

    private void store(VectorIndex idx, SearchTarget target, UUID id, UUID assetConversation, String model, float[] copy, byte[] bytes,
                       String embedded) {
        db.write(h -> {
            Instant now = db.now();
            UUID conversation = switch (target) {
                case MESSAGE -> {
                    LiveMessage m = message(h, id);
                    // Locked (see SearchSql), then read again: a purge or erase that locked the conversation first has committed now.
                    if (!sql.on(h, q.conversationLive).bind("id", m.conversationId()).exists()) {
                        throw new NotFoundException("message", id, "id");
                    }
                    m = message(h, id);
                    // A vector older than the message's edit is ignored as stale: stamped by a clock
                    // behind the editor's, this one, stored after the edit, would be too.
                    if (m.editedAt() != null && m.editedAt().isAfter(now)) {
                        now = m.editedAt();
                    }
                    yield m.conversationId();
                }
                case MEMORY -> {
                    if (!sql.on(h, q.memoryVisible).bind("id", id).bind("now", now).exists()) {
                        throw new NotFoundException("memory", id, "id");
                    }
                    yield null;
                }
                case ASSET -> {
                    if (!sql.on(h, q.assetLive).bind("id", id).exists()) {
                        throw new NotFoundException("asset", id, "assetId");
                    }
                    if (assetConversation != null && !sql.on(h, q.conversationLive).bind("id", assetConversation).exists()) {
                        throw new NotFoundException("conversation", assetConversation, "conversationId");
                    }
                    yield assetConversation;
                }
            };
            if (embedded != null && !embedded.equals(sql.on(h, target == SearchTarget.MESSAGE ? q.messageContent
                    : q.memoryContentShared).bind("id", id).optional(Sql.STRING).orElse(null))) {
                // The embedder ran outside any transaction: an edit meanwhile would leave a vector of the old text.
                throw new ConflictException("id", target + " " + id + " changed while it was being embedded; embed it again");
            }
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

    private record LiveMessage(UUID conversationId, @org.jspecify.annotations.Nullable Instant editedAt) {}

    /** The live message's conversation and edit time; NotFoundException unless it and its conversation are live. */
    private LiveMessage message(Handle h, UUID id) {
        Dialect d = db.dialect();
        return sql.on(h, q.messageConversation).bind("id", id)
                .optional(Rows.guard("messages", "id", (rs, ctx) -> new LiveMessage(d.uuid(rs, "conversation_id"), d.instant(rs, "edited_at"))))
                .orElseThrow(() -> new NotFoundException("message", id, "id"));
    }

    @Override
    public void embed(SearchTarget target, UUID id, String model, Embedder embedder) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        Check.notNull("embedder", embedder);
        String content = db.read(h -> switch (target) {
            case MESSAGE -> sql.on(h, q.messageContent).bind("id", id).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("message", id, "id"));
            case MEMORY -> sql.on(h, q.memoryContent).bind("id", id).bind("now", db.now()).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("memory", id, "id"));
            case ASSET -> throw new InvalidInputException("target", "Atlas holds no text for assets; embed it yourself and call upsertAssetVector");
        });
        // The embedder (often a network call) runs outside any transaction; the write checks the content is still this.
        store(target, id, null, model, embedder.embed(content), content);
    }

    @Override
    public void deleteVector(SearchTarget target, UUID id, String model) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        int deleted = db.write(h -> {
            // The vector of an expired or deleted memory, of a deleted message or one in a deleted conversation, or of an asset
            // stored with a deleted conversation is not found, as by every other call: those rows come back (restore, a clock
            // behind the expiry) with their vectors. A deleted asset has none left.
            boolean visible = switch (target) {
                case MEMORY -> sql.on(h, q.memoryVisible).bind("id", id).bind("now", db.now()).exists();
                case MESSAGE -> sql.on(h, q.messageConversation).bind("id", id).exists();
                case ASSET -> sql.on(h, q.assetVectorVisible).bind("model", model).bind("id", id).exists();
            };
            return visible ? sql.on(h, q.deleteVector).bind("model", model).bind("type", target.toString()).bind("id", id).update() : 0;
        });
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
        return new InvalidInputException(field, "has " + given + " dimensions, but model '" + dev.atlas.internal.Check.escaped(model) + "' stores " + expected
                + "-dimensional vectors in this tenant");
    }
}
