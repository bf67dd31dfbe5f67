package dev.atlas.jdbi.internal;

import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchTarget;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Search's statements: vectors and their models, the liveness checks of what a vector may point
 * at, and the search column's back-fill. Queries whose filters vary per call are {@link #render rendered}.
 */
final class SearchSql {
    /** Tables with a search column, for the back-fill. */
    static final String[] TEXT_TABLES = {"messages", "memories"};

    final Catalogue catalogue;
    final Statement messageConversation;
    final Statement memoryVisible;
    final Statement assetLive;
    final Statement conversationLive;
    final Statement messageContent;
    final Statement memoryContent;
    /**
     * A memory's content as of an embedding's write, share-locked on PostgreSQL so an update waits
     * for the vector's commit and then deletes it. Memories only: updates and retention lock the
     * memory before its vectors, as this does; purges delete a message's vectors before the
     * message, so locking the message here could deadlock with them (a message's vector older
     * than its edit is ignored anyway).
     */
    final Statement memoryContentShared;
    final Statement insertModel;
    final Statement dimension;
    final Statement upsertVector;
    final Statement deleteVector;
    /** An asset's vector of a model, unless the conversation it was stored with is deleted (search hides it then). */
    final Statement assetVectorVisible;
    final Statement vectorSet;
    final Statement vectorLoad;
    /** Per table of {@link #TEXT_TABLES}: whether a row lacks its search column, a batch of such rows, and writing one. */
    final Map<String, Statement> anyPending;
    final Map<String, Statement> pendingBatch;
    final Map<String, Statement> writeSearchText;
    /** Per table: the tenants with rows lacking their search column (start-up maintenance, across tenants). */
    final Map<String, Statement> pendingTenants;

    static final int INDEX_BATCH = 500;

    SearchSql(Catalogue c) {
        catalogue = c;
        messageConversation = c.sql("search.messageConversation", "SELECT m.id, m.conversation_id, m.edited_at FROM <p>messages m JOIN <p>conversations c"
                + " ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id"
                + " WHERE m.tenant_id = :t AND m.id = :id AND m.deleted_at IS NULL AND c.deleted_at IS NULL");
        // The checks of a vector's write share-lock the row they check (on PostgreSQL): vectors have
        // no foreign key, so a delete, erase or purge of that row, which removes its vectors in the
        // transaction that locks it, cannot pass between the check and the vector's insert; it
        // waits for the vector's commit and deletes it, or the check waits and finds the row gone.
        memoryVisible = c.sql("search.memoryVisible", "SELECT id FROM <p>memories WHERE tenant_id = :t AND id = :id AND "
                + MemorySql.VISIBLE + c.dialect().forShare());
        assetLive = c.sql("search.assetLive", "SELECT 1 FROM <p>assets WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL"
                + c.dialect().forShare());
        // A message's vector locks its conversation, not the message: erase and purge lock (or
        // soft-delete) the conversation before they delete vectors, so the order is the same.
        conversationLive = c.sql("search.conversationLive", "SELECT id FROM <p>conversations WHERE tenant_id = :t AND id = :id"
                + " AND deleted_at IS NULL" + c.dialect().forShare());
        // Live in a live conversation, as the vector's write requires: the embedder is not called for a message it would refuse.
        messageContent = c.sql("search.messageContent", "SELECT m.content FROM <p>messages m JOIN <p>conversations c"
                + " ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id"
                + " WHERE m.tenant_id = :t AND m.id = :id AND m.deleted_at IS NULL AND c.deleted_at IS NULL");
        memoryContent = c.sql("search.memoryContent", "SELECT content FROM <p>memories WHERE tenant_id = :t AND id = :id AND "
                + MemorySql.VISIBLE);
        memoryContentShared = c.sql("search.memoryContentShared", "SELECT content FROM <p>memories WHERE tenant_id = :t AND id = :id"
                + c.dialect().forShare());
        insertModel = c.sql("search.insertModel", "INSERT INTO <p>vector_models (tenant_id, model, dimension, created_at)"
                + " VALUES (:t, :model, :dim, :now) ON CONFLICT (tenant_id, model) DO NOTHING");
        dimension = c.sql("search.dimension", "SELECT dimension FROM <p>vector_models WHERE tenant_id = :t AND model = :model");
        upsertVector = c.sql("search.upsertVector", "INSERT INTO <p>vectors (tenant_id, id, target_type, target_id, model, dimension,"
                + " vector, conversation_id, created_at, updated_at) VALUES (:t, :id, :type, :target, :model, :dim, :vector, :conversation,"
                + " :now, :now) ON CONFLICT (tenant_id, model, target_type, target_id) DO UPDATE SET vector = excluded.vector,"
                + " dimension = excluded.dimension, conversation_id = excluded.conversation_id,"
                + " updated_at = " + Dialect.upsertLater("<p>vectors"));
        deleteVector = c.sql("search.deleteVector", "DELETE FROM <p>vectors WHERE tenant_id = :t AND model = :model"
                + " AND target_type = :type AND target_id = :id");
        assetVectorVisible = c.sql("search.assetVectorVisible", "SELECT 1 FROM <p>vectors v WHERE v.tenant_id = :t AND v.model = :model"
                + " AND v.target_type = 'asset' AND v.target_id = :id AND (v.conversation_id IS NULL OR EXISTS (SELECT 1 FROM"
                + " <p>conversations c WHERE c.tenant_id = v.tenant_id AND c.id = v.conversation_id AND c.deleted_at IS NULL))");
        // SQLite only (V19): the count and version its triggers keep per (tenant, model, type).
        vectorSet = c.sql("search.vectorSet", "SELECT vectors, version FROM <p>vector_sets WHERE tenant_id = :t AND model = :model"
                + " AND target_type = :type");
        vectorLoad = c.sql("search.vectorLoad", "SELECT target_id, vector FROM <p>vectors WHERE tenant_id = :t AND model = :model"
                + " AND target_type = :type");
        anyPending = perTable(table -> c.sql("search.anyPending." + table, "SELECT 1 FROM <p>" + table + " WHERE tenant_id = :t"
                + " AND search_text IS NULL LIMIT 1"));
        pendingBatch = perTable(table -> c.sql("search.pendingBatch." + table, "SELECT id, content FROM <p>" + table
                + " WHERE tenant_id = :t AND search_text IS NULL LIMIT " + INDEX_BATCH + c.dialect().lockSkipLocked()));
        writeSearchText = perTable(table -> c.sql("search.writeSearchText." + table, "UPDATE <p>" + table + " SET search_text = :s"
                + " WHERE tenant_id = :t AND id = :id AND search_text IS NULL"));
        pendingTenants = perTable(table -> c.crossTenant("search.pendingTenants." + table, "start-up maintenance: finds the tenants"
                + " whose rows predate the search column (V8); each is then indexed by tenant-bound statements",
                "SELECT DISTINCT tenant_id FROM <p>" + table + " WHERE search_text IS NULL"));
    }

    private static Map<String, Statement> perTable(java.util.function.Function<String, Statement> statement) {
        return java.util.Arrays.stream(TEXT_TABLES).collect(java.util.stream.Collectors.toUnmodifiableMap(t -> t, statement));
    }

    /**
     * Whether the metadata of row {@code alias} has the top-level key {@code :key} holding exactly
     * the string {@code :value}: one meaning on both databases (numbers, booleans and nested
     * objects never equal a string; no path syntax, so any key text is just a key).
     */
    private String metadataIs(String alias, String key, String value) {
        return catalogue.dialect() == Dialect.SQLITE
                ? "EXISTS (SELECT 1 FROM json_each(" + alias + ".metadata) j WHERE j.key = :" + key + " AND j.type = 'text'"
                        + " AND j.value = :" + value + ")"
                : alias + ".metadata @> jsonb_build_object(CAST(:" + key + " AS text), CAST(:" + value + " AS text))";
    }

    /** A statement assembled per call from this catalogue's fragments (filters, IN lists); checked once per text. */
    Statement render(String name, String text) {
        return catalogue.render(name, text);
    }

    // ---- queries assembled per call ---------------------------------------------------------

    private static final String CONVERSATION_OF_X = " JOIN <p>conversations c ON c.tenant_id = x.tenant_id AND c.id = x.conversation_id";

    /**
     * The full-text candidates of {@code target}: rows {@code x} holding every term of {@code :q} that pass {@link #filters};
     * with {@code content}, each row's content too (4th column), for a search that must read in one statement.
     */
    Statement textCandidates(SearchTarget target, SearchFilter f, Instant now, Map<String, Object> binds, boolean content) {
        Dialect d = catalogue.dialect();
        String table = target == SearchTarget.MESSAGE ? "messages" : "memories";
        return render("search.text." + table, "SELECT x.id AS id, x.conversation_id AS conv, x.search_text AS terms"
                + (content ? ", x.content AS content" : "") + " FROM "
                + d.textFrom(table, "x", target.toString()) + (target == SearchTarget.MESSAGE ? CONVERSATION_OF_X : "")
                + " WHERE " + d.textMatch("x") + " AND x.tenant_id = :t" + filters(target, f, now, binds));
    }

    /** The content of the rows of {@code table} whose ids {@code ids} binds. */
    Statement contents(String table, Where ids) {
        return render("search.contents." + table, "SELECT id, content FROM <p>" + table + " WHERE tenant_id = :t" + ids);
    }

    /**
     * FROM and WHERE of the semantic candidates of {@code target}: vectors {@code v} of
     * {@code :model}, {@code :type} and {@code :dim} whose live row {@code x} passes {@link #filters}.
     */
    String vectorCandidates(SearchTarget target, SearchFilter f, Instant now, Map<String, Object> binds) {
        String join = switch (target) {
            // A vector stored before the message's last edit describes old content: skip it
            // until the application stores a new one.
            case MESSAGE -> " JOIN <p>messages x ON x.tenant_id = v.tenant_id AND x.id = v.target_id"
                    + " AND (x.edited_at IS NULL OR v.updated_at >= x.edited_at)" + CONVERSATION_OF_X;
            case MEMORY -> " JOIN <p>memories x ON x.tenant_id = v.tenant_id AND x.id = v.target_id";
            case ASSET -> "";
        };
        return "FROM <p>vectors v" + join + " WHERE v.tenant_id = :t AND v.model = :model AND v.target_type = :type AND v.dimension = :dim"
                + filters(target, f, now, binds);
    }

    /**
     * Exact search's candidates ({@code fromWhere} of {@link #vectorCandidates}): target id and conversation
     * ({@code conversationExpr}), only the rows whose ids {@code ids} binds when given.
     */
    Statement vectorIds(String fromWhere, String conversationExpr, @Nullable Where ids) {
        return ids == null ? render("search.nearest.candidates", "SELECT v.target_id AS target_id, " + conversationExpr + " AS conv " + fromWhere)
                : render("search.nearest.verify", "SELECT v.target_id AS target_id, " + conversationExpr + " AS conv " + fromWhere + ids);
    }

    /** As {@link #vectorIds} without {@code ids}, with each candidate's stored bytes (3rd column) for exact scoring. */
    Statement vectorBytes(String fromWhere, String conversationExpr) {
        return render("search.nearest.exact", "SELECT v.target_id AS target_id, " + conversationExpr + " AS conv, v.vector AS vector "
                + fromWhere);
    }

    private static final String TAG = "EXISTS (SELECT 1 FROM <p>memory_tags g# WHERE g#.tenant_id = x.tenant_id AND g#.memory_id = x.id"
            + " AND g#.tag = :fTag#)";

    /**
     * Liveness and filter conditions for rows of {@code target} aliased {@code x} (with the
     * message's conversation as {@code c}; for assets only the vector {@code v} exists); their
     * values go to {@code binds}. The query's constructor already refused filters that do not
     * apply to its target.
     */
    private String filters(SearchTarget target, SearchFilter f, Instant now, Map<String, Object> binds) {
        StringBuilder sql = new StringBuilder();
        Filter and = (fragment, name, value) -> {
            if (value != null) {
                sql.append(" AND ").append(fragment);
                binds.put(name, value);
            }
        };
        String owner = target == SearchTarget.MESSAGE ? "c" : "x";
        if (target == SearchTarget.MESSAGE) {
            sql.append(" AND x.deleted_at IS NULL AND c.deleted_at IS NULL");
        } else if (target == SearchTarget.MEMORY) {
            and.add("x.deleted_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > :now)", "now", now);
        } else {
            // An asset's vector belongs to the conversation it was stored with (purged with it): hidden while that is deleted, as its messages are.
            sql.append(" AND (v.conversation_id IS NULL OR EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = v.tenant_id"
                    + " AND c.id = v.conversation_id AND c.deleted_at IS NULL))");
        }
        and.add(owner + ".owner_type = :fOwnerType", "fOwnerType", f.owner() == null ? null : f.owner().type());
        and.add(owner + ".owner_id = :fOwnerId", "fOwnerId", f.owner() == null ? null : f.owner().id());
        and.add("x.role = :fRole", "fRole", f.role() == null ? null : f.role().toString());
        and.add("x.kind = :fKind", "fKind", f.kind() == null ? null : f.kind().value());
        and.add(f.includeGlobal() ? "(x.agent = :fAgent OR x.agent IS NULL)" : "x.agent = :fAgent", "fAgent", f.agent());
        List<Map.Entry<String, String>> metadata = List.copyOf(f.metadata().entrySet());
        for (int i = 0; i < metadata.size(); i++) {
            binds.put("fKey" + i, metadata.get(i).getKey());
            and.add(metadataIs("x", "fKey" + i, "fValue" + i), "fValue" + i, metadata.get(i).getValue());
        }
        for (int t = 0; t < f.tags().size(); t++) {
            and.add(TAG.replace("#", String.valueOf(t)), "fTag" + t, f.tags().get(t));
        }
        String row = target == SearchTarget.ASSET ? "v" : "x";
        and.add(row + ".conversation_id = :fConversation", "fConversation", f.conversationId());
        // Rows hold microseconds; a finer bound would be truncated when bound, so it is rounded up instead.
        and.add(row + ".created_at >= :fFrom", "fFrom", f.from() == null ? null : Check.ceilMicros(f.from()));
        and.add(row + ".created_at < :fTo", "fTo", f.to() == null ? null : Check.ceilMicros(f.to()));
        return sql.toString();
    }

    private interface Filter {
        void add(String fragment, String name, @Nullable Object value);
    }
}
