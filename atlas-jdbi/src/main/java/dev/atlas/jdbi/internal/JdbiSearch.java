package dev.atlas.jdbi.internal;

import dev.atlas.Embedder;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Search;
import dev.atlas.SearchFilter;
import dev.atlas.SearchHit;
import dev.atlas.SearchTarget;
import dev.atlas.SemanticQuery;
import dev.atlas.TextQuery;
import dev.atlas.internal.Check;
import dev.atlas.internal.VectorCheck;
import org.jdbi.v3.core.Handle;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** {@link Search} on Jdbi: full-text through the {@link Dialect}, semantic through a {@link VectorIndex}. */
public final class JdbiSearch implements Search {
    /** Words beyond this many are ignored: a query with more adds nothing but cost. */
    static final int MAX_WORDS = 32;

    private final Db db;
    private final String tenant;
    private volatile VectorIndex index;

    public JdbiSearch(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
    }

    private VectorIndex index() {
        VectorIndex i = index;
        if (i == null) {
            i = PgVectorIndex.forDb(db);
            index = i;
        }
        return i;
    }

    // ---- full-text ------------------------------------------------------------------------

    @Override
    public List<SearchHit> text(TextQuery q) {
        Check.notNull("query", q);
        List<String> words = words(q.text());
        if (words.isEmpty()) {
            return List.of();
        }
        Dialect d = db.dialect();
        boolean messages = q.target() == SearchTarget.MESSAGE;
        Map<String, Object> binds = new LinkedHashMap<>();
        StringBuilder sql = new StringBuilder("SELECT x.id AS id, x.conversation_id AS conv, ")
                .append(d.textScore("x")).append(" AS score, ").append(d.textSnippet("x")).append(" AS snippet FROM ")
                .append(d.textFrom(messages ? "messages" : "memories", "x", q.target().toString()));
        if (messages) {
            sql.append(" JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id");
        }
        sql.append(" WHERE ").append(d.textMatch("x")).append(" AND x.tenant_id = :t");
        sql.append(conditions(q.target(), q.filter(), binds));
        sql.append(" ORDER BY score DESC, x.id LIMIT :limit");
        binds.put("q", d.textQuery(words));
        binds.put("t", tenant);
        binds.put("limit", q.limit());
        return db.read(h -> List.copyOf(h.createQuery(sql.toString()).bindMap(binds)
                .map((rs, ctx) -> new SearchHit(q.target(), d.uuid(rs, "id"), d.uuid(rs, "conv"), rs.getDouble("score"),
                        rs.getString("snippet")))
                .list()));
    }

    /** Letter-and-digit runs of the query: everything else separates words, so no input is query syntax. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        for (int i = 0; i < text.length() && words.size() < MAX_WORDS; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isLetterOrDigit(cp)) {
                w.appendCodePoint(cp);
            } else if (w.length() > 0) {
                words.add(w.toString());
                w.setLength(0);
            }
        }
        if (w.length() > 0 && words.size() < MAX_WORDS) {
            words.add(w.toString());
        }
        return words;
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
    public void putVector(SearchTarget target, UUID id, String model, float[] vector) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        if (target == SearchTarget.ASSET) {
            throw new InvalidInputException("target", "asset vectors are stored with putAssetVector(assetId, conversationId, model, vector)");
        }
        store(target, id, null, model, vector);
    }

    @Override
    public void putAssetVector(UUID assetId, UUID conversationId, String model, float[] vector) {
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
        putVector(target, id, model, embedder.embed(content));
    }

    @Override
    public boolean removeVector(SearchTarget target, UUID id, String model) {
        Check.notNull("target", target);
        Check.notNull("id", id);
        VectorCheck.model("model", model);
        return db.write(h -> h.createUpdate("DELETE FROM <p>vectors WHERE tenant_id = :t AND model = :model AND target_type = :type"
                        + " AND target_id = :id")
                .bind("t", tenant).bind("model", model).bind("type", target.toString()).bind("id", id).execute()) > 0;
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
