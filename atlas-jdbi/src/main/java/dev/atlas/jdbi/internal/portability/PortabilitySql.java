package dev.atlas.jdbi.internal.portability;

import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.InList;
import dev.atlas.jdbi.internal.RetentionPlan;
import dev.atlas.jdbi.internal.RetentionSql;
import dev.atlas.jdbi.internal.portability.PortableSchema.Column;
import dev.atlas.jdbi.internal.portability.PortableSchema.Table;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Export, import and erase statements, declared per table of {@link PortableSchema} and per kind of
 * {@link Scope}. Those whose length depends on the call (id lists, the uploads an erase takes) are
 * {@link #render rendered}.
 */
public final class PortabilitySql {
    private final Catalogue c;
    final Statement conversationExists;
    /** The versions of the migrations the database ran successfully (a few dozen rows). */
    final Statement schemaVersions;
    final Statement blobKeyContent;
    final Statement dottedBlobKeyContent;
    final Statement blobKeyPurges;
    final Statement countAuthoredElsewhere;
    final Statement authoredElsewhere;
    final Statement countExecutionsElsewhere;
    final Statement executionsElsewhere;
    final Statement countAssistantConversationsElsewhere;
    final Statement assistantConversationsElsewhere;
    final Statement countAssistantExecutionsElsewhere;
    final Statement assistantExecutionsElsewhere;
    /** Per revisions table ({@code assistant_revisions}, {@code settings_revisions}): those the owner authored of others' documents. */
    final Map<String, Statement> countRevisionsAuthoredElsewhere = new HashMap<>();
    final Map<String, Statement> revisionsAuthoredElsewhere = new HashMap<>();
    /** PostgreSQL: takes the client-key locks of the keyed rows an import inserts, as the stores' keyed creates do (SQLite: null). */
    final @org.jspecify.annotations.Nullable Statement keyLocks;
    /** Frees a client key an expired memory still holds, as a create with the key does (the unique index spans hidden rows). */
    final Statement freeExpiredMemoryKey;
    private final Map<String, Statement> link = new HashMap<>();
    private final Map<String, Statement> insert = new HashMap<>();
    private final Map<String, Statement> byKey = new HashMap<>();
    private final Map<Scope.Kind, Map<String, Statement>> export = new EnumMap<>(Scope.Kind.class);
    private final Map<Scope.Kind, Statement> exclusiveUploads = new EnumMap<>(Scope.Kind.class);
    /** Soft-deletes the scope's conversations, so that no append lands in them while erase deletes their rows. */
    final Map<Scope.Kind, Statement> closeForErase = new EnumMap<>(Scope.Kind.class);
    /**
     * PostgreSQL: locks the scope's live conversations in id order before {@link #closeForErase}, returning how many (one row,
     * whatever the owner's number of conversations); SQLite: absent.
     */
    final Map<Scope.Kind, Statement> lockForErase = new EnumMap<>(Scope.Kind.class);
    /** Whether the scope has a live conversation (one created or restored since the erase closed the others). */
    final Map<Scope.Kind, Statement> liveInScope = new EnumMap<>(Scope.Kind.class);
    /** Per scope kind: messages outside the scope linked to its executions. */
    final Map<Scope.Kind, Statement> countLinksElsewhere = new EnumMap<>(Scope.Kind.class);
    final Map<Scope.Kind, Statement> linksElsewhere = new EnumMap<>(Scope.Kind.class);
    /** Per scope kind: voice calls outside the scope linked to its executions. */
    final Map<Scope.Kind, Statement> countVoiceCallLinksElsewhere = new EnumMap<>(Scope.Kind.class);
    final Map<Scope.Kind, Statement> voiceCallLinksElsewhere = new EnumMap<>(Scope.Kind.class);

    /**
     * Every table a tenant's erase empties, in the order it deletes them: {@link JdbiPortability#ERASE_ORDER}, then what no
     * owner has (the memory graph, model prices, vector models, leases). Derived tables are not listed: SQLite's search index
     * follows its rows by trigger, and its vector set counters ({@code vector_sets}) stay, counting nothing.
     */
    static final List<String> TENANT_TABLES;

    static {
        List<String> all = new ArrayList<>(JdbiPortability.ERASE_ORDER);
        all.addAll(List.of("graph_edges", "graph_nodes", "model_prices", "vector_models", "leases"));
        TENANT_TABLES = List.copyOf(all);
    }

    /** Per table of {@link #TENANT_TABLES}: its rows of the tenant (a dry run's count). */
    final Map<String, Statement> countTenant = new HashMap<>();
    /** Per table of {@link #TENANT_TABLES}: whether the tenant has a row there (what a tenant's erase checks after each pass). */
    final Map<String, Statement> tenantHas = new HashMap<>();
    /** The next live conversations of the tenant by id, after {@code :after}: closed batch by batch before a pass deletes them. */
    final Statement liveConversationsAfter;
    /** The tenant's assets by id after {@code :after}, with their blob keys: a dry run counts the files a page at a time. */
    final Statement blobKeysAfter;
    /** Blob keys of the tenant's purges whose file delete has not succeeded yet (an erase stopped between commit and delete). */
    final Statement claimedIntentsAfter;
    /** The tenant's next graph nodes: deleted with their edges. */
    final Statement graphNodes;
    /** The tenant's vector models no vector uses any more, once it has no conversation, memory or asset left (a few rows). */
    final Statement deleteUnusedVectorModels;
    /** The tenant's leases (a few named rows: retention's). */
    final Statement deleteLeases;

    /** Blob keys {@link #blobKeyContent} looks up at once (unused places bound to null, which matches nothing). */
    static final int BLOB_KEYS = 100;

    public PortabilitySql(Catalogue c) {
        this.c = c;
        keyLocks = c.dialect() == Dialect.POSTGRESQL ? c.sql("portability.keyLocks", dev.atlas.jdbi.internal.PgSessions.XACT_KEY_LOCKS) : null;
        freeExpiredMemoryKey = c.sql("portability.freeExpiredMemoryKey", "UPDATE <p>memories SET client_key = NULL WHERE tenant_id = :t"
                + " AND client_key = :clientKey AND deleted_at IS NULL AND expires_at <= :now");
        // The history is the database's (a reference table, no tenant's): an export records the schema its rows were read at.
        schemaVersions = c.sql("portability.schemaVersions", "SELECT version FROM <p>schema_history WHERE success");
        conversationExists = c.sql("portability.conversationExists", "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id");
        // Another tenant's pending purge (an intent) counts as other content, its bytes may still be on disk, unless an asset row
        // names the key too (JdbiPortability.pendingIgnoredWhileNamed: then that row's content decides).
        String keys = InList.marks("lowerKey", BLOB_KEYS);
        blobKeyContent = c.crossTenant("portability.blobKeyContent", "import: an imported asset may name a blob key other tenants'"
                + " rows name (a copy of an export shares the original's bytes), but only with the same content, and no key another"
                + " tenant is purging; only sha256 and size are read, compared, never returned",
                "SELECT lower(blob_key), sha256, size_bytes FROM <p>assets WHERE lower(blob_key) IN (" + keys + ")"
                        + " UNION ALL SELECT lower(blob_key), NULL, NULL FROM <p>blob_intents WHERE lower(blob_key) IN (" + keys + ")"
                        + " AND tenant_id <> :tenant");
        // Windows opens report. as report: a stored key with a segment ending in . (only older versions and imports of their files
        // stored one) names the file of the keys without those dots. Read once per import that holds assets, from V33's partial
        // indexes, which hold only those keys.
        String dotted = dev.atlas.jdbi.internal.BlobReaper.dottedKey(c.dialect());
        dottedBlobKeyContent = c.crossTenant("portability.dottedBlobKeyContent", "import: as portability.blobKeyContent, for the stored"
                + " keys with a segment ending in . that Windows opens without those dots; only sha256 and size are read, compared,"
                + " never returned", "SELECT lower(blob_key), sha256, size_bytes FROM <p>assets WHERE " + dotted
                        + " UNION ALL SELECT lower(blob_key), NULL, NULL FROM <p>blob_intents WHERE " + dotted + " AND tenant_id <> :tenant");
        // Checked again by the transaction writing the assets, under the keys' locks on PostgreSQL: a purge (of any tenant) that
        // committed its intent since the checks may already have found no row naming the key, and then deletes its bytes.
        blobKeyPurges = c.crossTenant("portability.blobKeyPurges", "import: an imported asset may not name a blob key whose bytes a"
                + " purge of any tenant is deleting, checked as the import writes it; only the keys are read, compared, never returned",
                "SELECT lower(blob_key) FROM <p>blob_intents WHERE lower(blob_key) IN (" + keys + ") AND claimed_at IS NOT NULL"
                        + " UNION ALL SELECT lower(blob_key) FROM <p>blob_intents WHERE " + dotted + " AND claimed_at IS NOT NULL");
        // Counted by a dry run over the scope as it stands; cleared by a real run over what it closed (Scope#closed).
        Scope owner = Scope.template(Scope.Kind.OWNER);
        Scope closedOwner = owner.closed();
        String elsewhere = " FROM <p>messages WHERE tenant_id = :t AND ";
        countAuthoredElsewhere = c.sql("portability.countAuthoredElsewhere", "SELECT COUNT(*)" + elsewhere + owner.authoredElsewhere());
        authoredElsewhere = c.sql("portability.authoredElsewhere", "SELECT id" + elsewhere + closedOwner.authoredElsewhere()
                + " ORDER BY id LIMIT :limit");
        String executions = " FROM <p>executions WHERE tenant_id = :t AND ";
        countExecutionsElsewhere = c.sql("portability.countExecutionsElsewhere", "SELECT COUNT(*)" + executions + owner.executionsElsewhere());
        executionsElsewhere = c.sql("portability.executionsElsewhere", "SELECT id" + executions + closedOwner.executionsElsewhere()
                + " ORDER BY id LIMIT :limit");
        String onAssistant = " FROM <p>conversations WHERE tenant_id = :t AND ";
        countAssistantConversationsElsewhere = c.sql("portability.countAssistantConversationsElsewhere", "SELECT COUNT(*)" + onAssistant
                + owner.assistantConversationsElsewhere());
        assistantConversationsElsewhere = c.sql("portability.assistantConversationsElsewhere", "SELECT id" + onAssistant
                + closedOwner.assistantConversationsElsewhere() + " ORDER BY id LIMIT :limit");
        String onRevision = " FROM <p>executions WHERE tenant_id = :t AND ";
        countAssistantExecutionsElsewhere = c.sql("portability.countAssistantExecutionsElsewhere", "SELECT COUNT(*)" + onRevision
                + owner.assistantExecutionsElsewhere());
        assistantExecutionsElsewhere = c.sql("portability.assistantExecutionsElsewhere", "SELECT id" + onRevision
                + closedOwner.assistantExecutionsElsewhere() + " ORDER BY id LIMIT :limit");
        for (String revisions : List.of("assistant_revisions", "settings_revisions")) {
            String authored = " FROM <p>" + revisions + " WHERE tenant_id = :t AND " + Scope.revisionsAuthoredElsewhere(revisions);
            countRevisionsAuthoredElsewhere.put(revisions, c.sql("portability.countRevisionsAuthoredElsewhere." + revisions,
                    "SELECT COUNT(*)" + authored));
            revisionsAuthoredElsewhere.put(revisions, c.sql("portability.revisionsAuthoredElsewhere." + revisions, "SELECT id" + authored
                    + " ORDER BY id LIMIT :limit"));
        }
        for (String table : TENANT_TABLES) {
            countTenant.put(table, c.sql("portability.countTenant." + table, "SELECT COUNT(*) FROM <p>" + table + " WHERE tenant_id = :t"));
            tenantHas.put(table, c.sql("portability.tenantHas." + table, "SELECT 1 FROM <p>" + table + " WHERE tenant_id = :t LIMIT 1"));
        }
        // Locked in id order (PostgreSQL), as every erase locks the conversations it closes (lockForErase): an UPDATE locks its
        // rows in the order its plan meets them, and a tenant's and an owner's erase closing one conversation each other holds
        // deadlocked (PostgresEraseRaces#eraseTenantAndEraseOwnerCloseConversationsInOneOrder).
        liveConversationsAfter = c.sql("portability.liveConversationsAfter", "SELECT id FROM <p>conversations WHERE tenant_id = :t"
                + " AND id > :after AND deleted_at IS NULL ORDER BY id LIMIT :limit" + c.dialect().forUpdate());
        blobKeysAfter = c.sql("portability.blobKeysAfter", "SELECT id, blob_key FROM <p>assets WHERE tenant_id = :t AND id > :after"
                + " ORDER BY id LIMIT :limit");
        claimedIntentsAfter = c.sql("portability.claimedIntentsAfter", "SELECT blob_key FROM <p>blob_intents WHERE tenant_id = :t"
                + " AND claimed_at IS NOT NULL AND blob_key > :after ORDER BY blob_key LIMIT :limit");
        graphNodes = c.sql("portability.graphNodes", "SELECT id FROM <p>graph_nodes WHERE tenant_id = :t ORDER BY id LIMIT :limit");
        // A vector's write finds its model's row without locking it (ON CONFLICT DO NOTHING), but share-locks its target (a
        // conversation, memory or asset) until it commits: while the tenant has a target a vector could be written for, an
        // uncommitted vector may rely on the row, so the models go only in a pass that leaves no target (PostgreSQL; SQLite's
        // single writer cannot interleave them).
        deleteUnusedVectorModels = c.sql("portability.deleteUnusedVectorModels", "DELETE FROM <p>vector_models WHERE tenant_id = :t"
                + " AND NOT EXISTS (SELECT 1 FROM <p>vectors v WHERE v.tenant_id = :t AND v.model = <p>vector_models.model)"
                + " AND NOT EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t)"
                + " AND NOT EXISTS (SELECT 1 FROM <p>memories m WHERE m.tenant_id = :t)"
                + " AND NOT EXISTS (SELECT 1 FROM <p>assets a WHERE a.tenant_id = :t)");
        deleteLeases = c.sql("portability.deleteLeases", "DELETE FROM <p>leases WHERE tenant_id = :t");
        for (Scope.Kind kind : List.of(Scope.Kind.OWNER, Scope.Kind.CONVERSATION)) {
            Scope scope = Scope.template(kind);
            String links = " FROM <p>messages WHERE tenant_id = :t AND ";
            countLinksElsewhere.put(kind, c.sql("portability.countLinksElsewhere." + kind, "SELECT COUNT(*)" + links
                    + scope.executionLinksElsewhere()));
            linksElsewhere.put(kind, c.sql("portability.linksElsewhere." + kind, "SELECT id" + links + scope.closed().executionLinksElsewhere()
                    + " ORDER BY id LIMIT :limit"));
            String calls = " FROM <p>voice_calls WHERE tenant_id = :t AND ";
            countVoiceCallLinksElsewhere.put(kind, c.sql("portability.countVoiceCallLinksElsewhere." + kind, "SELECT COUNT(*)" + calls
                    + scope.voiceCallLinksElsewhere()));
            voiceCallLinksElsewhere.put(kind, c.sql("portability.voiceCallLinksElsewhere." + kind, "SELECT id" + calls
                    + scope.closed().voiceCallLinksElsewhere() + " ORDER BY id LIMIT :limit"));
        }
        for (Table table : PortableSchema.TABLES) {
            for (Column col : table.columns()) {
                if (col.deferred()) {
                    link.put(table.table(), c.sql("portability.link." + table.table(), "UPDATE <p>" + table.table() + " SET " + col.name()
                            + " = :rev WHERE tenant_id = :t AND id = :id AND EXISTS (SELECT 1 FROM <p>" + col.ref() + " r"
                            + " WHERE r.tenant_id = :t AND r.id = :rev)"));
                }
            }
            List<String> names = new ArrayList<>(List.of("tenant_id"));
            List<String> values = new ArrayList<>(List.of(":t"));
            for (Column col : table.columns()) {
                names.add(col.name());
                String absent = PortableSchema.ABSENT.get(table.table() + "." + col.name());
                values.add(absent == null ? ":" + col.name() : "COALESCE(CAST(:" + col.name() + " AS INTEGER), " + absent + ")");
            }
            if (table.derived() != null) {
                names.add(table.derived());
                values.add(":" + table.derived());
            }
            insert.put(table.table(), c.sql("portability.insert." + table.table(), "INSERT INTO <p>" + table.table() + " ("
                    + String.join(", ", names) + ") VALUES (" + String.join(", ", values) + ")"));
            if (!table.byId()) {
                byKey.put(table.table(), c.sql("portability.byKey." + table.table(), "SELECT " + columns(table) + " FROM <p>" + table.table()
                        + " WHERE tenant_id = :t AND " + String.join(" AND ", table.key().stream().map(k -> k + " = :" + k).toList())));
            }
        }
        for (Scope.Kind kind : Scope.Kind.values()) {
            Scope scope = Scope.template(kind);
            Map<String, Statement> byTable = new HashMap<>();
            for (Table table : PortableSchema.TABLES) {
                byTable.put(table.table(), c.sql("portability.export." + kind.name().toLowerCase(java.util.Locale.ROOT) + "." + table.table(),
                        "SELECT " + scope.exportColumns(table) + " FROM <p>" + table.table() + " WHERE tenant_id = :t AND "
                                + scope.condition(table.table(), true)
                                + " ORDER BY " + orderBy(table, c.dialect())));
            }
            export.put(kind, byTable);
            if (kind != Scope.Kind.TENANT) {
                exclusiveUploads.put(kind, c.sql("portability.exclusiveUploads." + kind.name().toLowerCase(java.util.Locale.ROOT),
                        exclusiveUploadsText(scope)));
                closeForErase.put(kind, c.sql("portability.closeForErase." + kind.name().toLowerCase(java.util.Locale.ROOT),
                        "UPDATE <p>conversations SET deleted_at = " + Dialect.LATER + " WHERE tenant_id = :t AND deleted_at IS NULL AND id IN ("
                                + scope.conversations() + ")"));
                if (!c.dialect().forUpdate().isEmpty()) {
                    lockForErase.put(kind, c.sql("portability.lockForErase." + kind.name().toLowerCase(java.util.Locale.ROOT),
                            "SELECT COUNT(*) FROM (SELECT id FROM <p>conversations WHERE tenant_id = :t AND deleted_at IS NULL AND id IN ("
                                    + scope.conversations() + ") ORDER BY id" + c.dialect().forUpdate() + ") locked"));
                }
                liveInScope.put(kind, c.sql("portability.liveInScope." + kind.name().toLowerCase(java.util.Locale.ROOT),
                        "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND deleted_at IS NULL AND id IN (" + scope.conversations() + ")"));
            }
        }
    }

    static String columns(Table table) {
        return String.join(", ", table.columns().stream().map(Column::name).toList());
    }

    /** Text keys must sort the same on both databases for the files to be byte-identical. */
    private static String orderBy(Table table, Dialect dialect) {
        List<String> parts = new ArrayList<>();
        for (String col : table.orderBy().split(",\\s*")) {
            Column c = table.column(col);
            parts.add(c != null && c.kind() == PortableSchema.Kind.TEXT && dialect == Dialect.POSTGRESQL ? col + " COLLATE \"C\"" : col);
        }
        return String.join(", ", parts);
    }

    /**
     * The tenant's rows of {@code table} holding {@code unique} (its partial index's condition met) among {@code n} keys
     * bound as {@code :u<i>_<j>} (key i, column j).
     */
    Statement holding(Table table, PortableSchema.Unique unique, int n, Dialect dialect) {
        StringBuilder where = new StringBuilder();
        for (String col : unique.nullColumns()) {
            where.append(" AND ").append(col).append(" IS NULL");
        }
        if (unique.trueColumn() != null) {
            where.append(" AND ").append(unique.trueColumn()).append(dialect == Dialect.POSTGRESQL ? "" : " = 1");
        }
        if (unique.exceptColumn() != null) {
            // A schema constant, never input: the partial index's own literal.
            where.append(" AND ").append(unique.exceptColumn()).append(" <> '").append(unique.exceptValue()).append('\'');
        }
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> parts = new ArrayList<>();
            for (int j = 0; j < unique.columns().size(); j++) {
                parts.add(unique.columns().get(j) + " = :u" + i + "_" + j);
            }
            keys.add("(" + String.join(" AND ", parts) + ")");
        }
        return c.render("portability.holding." + table.table(), "SELECT " + columns(table) + " FROM <p>" + table.table()
                + " WHERE tenant_id = :t" + where + " AND (" + String.join(" OR ", keys) + ")");
    }

    Statement insert(Table table) {
        return insert.get(table.table());
    }

    /** Sets the one forward reference of {@code table}'s row (a current revision) once its target is stored. */
    Statement link(Table table) {
        return link.get(table.table());
    }

    Statement byKey(Table table) {
        return byKey.get(table.table());
    }

    Statement export(Scope scope, Table table) {
        return export.get(scope.kind).get(table.table());
    }

    Statement exclusiveUploads(Scope scope) {
        return exclusiveUploads.get(scope.kind);
    }

    /**
     * The text of {@link #exclusiveUploads} for {@code scope}: an asset whose attachments to the scope's messages are all its
     * attachments ((message, asset) is unique). Written as a NOT EXISTS of an attachment outside the scope, PostgreSQL read every
     * attachment of the tenant (a hash anti join), and SQLite read the tenant's attachments whole for each of the scope's (the
     * check needs a message id, which the asset index lacks): SqliteErasePlanTest, PostgresErasePlanTest. Counted, the check reads
     * the asset index alone; the CROSS JOIN keeps SQLite from reading the tenant's attachments in asset order for the grouping.
     */
    static String exclusiveUploadsText(Scope scope) {
        return "SELECT ma.asset_id FROM <p>messages m CROSS JOIN <p>message_assets ma WHERE m.tenant_id = :t AND m.conversation_id IN ("
                + scope.conversations() + ") AND ma.tenant_id = :t AND ma.message_id = m.id GROUP BY ma.asset_id"
                + " HAVING COUNT(*) = (SELECT COUNT(*) FROM <p>message_assets o WHERE o.tenant_id = :t AND o.asset_id = ma.asset_id)";
    }

    /** The rows of {@code table} among {@code n} ids bound as {@code :ids0, …}, selecting {@code what}. */
    Statement byIds(String name, String what, String table, int n) {
        return c.render("portability." + name + "." + table, "SELECT " + what + " FROM <p>" + table + " WHERE tenant_id = :t AND id IN ("
                + InList.marks("ids", n) + ")");
    }

    /** Deletes the rows of {@code table} among {@code n} ids. */
    Statement deleteByIds(String table, int n) {
        return c.render("portability.delete." + table, "DELETE FROM <p>" + table + " WHERE tenant_id = :t AND id IN (" + InList.marks("ids", n) + ")");
    }

    /**
     * Deletes the vectors of {@code n} rows of {@code type} (memory, asset): vectors have no
     * foreign key, so they go in the transaction that locked and deletes their rows. A vector write
     * share-locks its row, so one in flight commits first and is deleted here, or waits and finds no row.
     */
    Statement deleteVectorsOf(String type, int n) {
        return c.render("portability.deleteVectorsOf." + type, "DELETE FROM <p>vectors WHERE tenant_id = :t AND target_type = '" + type
                + "' AND target_id IN (" + InList.marks("ids", n) + ")");
    }

    /**
     * Share-locks the executions of {@code n} assets, in id order (PostgreSQL only), before the assets are locked: every path
     * deleting assets takes its locks in that order (retention's purges lock an execution for update before its assets), so an
     * erase holding a part of a message waits for a purge holding the part's sibling, an execution's asset, instead of deadlocking.
     * Retention's statement ({@link RetentionSql#shareExecutionsOfAssets(Dialect, String)}), named for the erase.
     */
    Statement shareExecutionsOfAssets(int n) {
        return c.render("portability.shareExecutionsOfAssets", RetentionSql.shareExecutionsOfAssets(c.dialect(), InList.marks("ids", n)));
    }

    /**
     * The assets {@code n} executions made, locked in id order (PostgreSQL only), once the executions are locked: retention's
     * statement ({@link RetentionSql#lockAssetsOf(Dialect, String)}), named for the erase.
     */
    Statement lockAssetsOfExecutions(int n) {
        return c.render("portability.lockAssetsOfExecutions", RetentionSql.lockAssetsOf(c.dialect(), InList.marks("ids", n)));
    }

    /**
     * Of {@code n} assets, those attached to a message of a live conversation: one created since a tenant's erase closed the
     * others, which that pass keeps whole with its uploads.
     */
    Statement attachedToLiveMessages(int n) {
        return c.render("portability.attachedToLiveMessages", "SELECT DISTINCT la.asset_id FROM <p>message_assets la WHERE la.tenant_id = :t"
                + " AND la.asset_id IN (" + InList.marks("ids", n) + ") AND EXISTS (SELECT 1 FROM <p>messages lm WHERE lm.tenant_id = :t"
                + " AND lm.id = la.message_id AND EXISTS (SELECT 1 FROM <p>conversations lc WHERE lc.tenant_id = :t"
                + " AND lc.id = lm.conversation_id AND lc.deleted_at IS NULL))");
    }

    /** Clears the execution and tool call of {@code n} assets whose execution is deleted while they stay (see {@link #attachedToLiveMessages}). */
    Statement unlinkAssetsOfExecutions(int n) {
        return updateIds("unlinkAssetsOfExecutions", "assets", "execution_id = NULL, tool_call_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /** Locks {@code n} rows of {@code table}, in id order (PostgreSQL only): writers adding children hold their parent's row lock. */
    Statement lockByIds(String table, int n) {
        return c.render("portability.lock." + table, "SELECT id FROM <p>" + table + " WHERE tenant_id = :t AND id IN (" + InList.marks("ids", n)
                + ") ORDER BY id" + c.dialect().forUpdate());
    }

    /** Closes (soft-deletes) {@code n} conversations by id that are still live: the batch a tenant's erase closes. */
    Statement closeConversations(int n) {
        return c.render("portability.closeConversations", "UPDATE <p>conversations SET deleted_at = " + Dialect.LATER + " WHERE tenant_id = :t"
                + " AND deleted_at IS NULL AND id IN (" + InList.marks("ids", n) + ")");
    }

    /** Deletes the graph edges from or to {@code n} nodes, before the nodes. */
    Statement deleteEdgesOfNodes(int n) {
        String ids = InList.marks("ids", n);
        return c.render("portability.deleteEdgesOfNodes", "DELETE FROM <p>graph_edges WHERE tenant_id = :t AND (source_id IN (" + ids
                + ") OR target_id IN (" + ids + "))");
    }

    /** Clears the current revision of {@code n} assistants or settings, before their revisions go. */
    Statement clearCurrentRevision(String table, int n) {
        return c.render("portability.clearCurrentRevision." + table, "UPDATE <p>" + table + " SET current_revision_id = NULL WHERE tenant_id = :t"
                + " AND id IN (" + InList.marks("ids", n) + ")");
    }

    /** Deletes the rows of {@code table} whose {@code column} names one of {@code n} parents. */
    Statement deleteByParent(String table, String column, int n) {
        return c.render("portability.deleteByParent." + table, "DELETE FROM <p>" + table + " WHERE tenant_id = :t AND " + column + " IN ("
                + InList.marks("ids", n) + ")");
    }

    /**
     * Clears the link to {@code n} executions about to be deleted from the rows of {@code table}
     * (messages, voice calls) that still name one: written elsewhere after the erase unlinked the
     * others (see {@code JdbiPortability#deleteExecutions}).
     */
    Statement unlinkOfExecutions(String table, int n) {
        String set = table.equals("messages") ? "execution_id = NULL, step_id = NULL, updated_at = " + Dialect.LATER : "execution_id = NULL";
        return c.render("portability.unlinkOfExecutions." + table, "UPDATE <p>" + table + " SET " + set + " WHERE tenant_id = :t"
                + " AND execution_id IN (" + InList.marks("ids", n) + ")");
    }

    /** Run before {@link #unlinkOfExecutions} on messages: keeps one active answer per group ({@link RetentionPlan#keepOneActive}). */
    Statement keepOneActiveOfExecutions(int n) {
        return c.render("portability.keepOneActiveOfExecutions", RetentionPlan.keepOneActive("execution_id IN (" + InList.marks("ids", n) + ")"));
    }

    /** Clears the author of {@code n} messages: what stays of an erased owner in other owners' conversations. */
    Statement detachAuthor(int n) {
        return updateIds("detachAuthor", "messages", "author_type = NULL, author_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /**
     * Clears the author of {@code n} revisions of {@code table}: what stays of an erased owner in the history of documents it
     * does not own. A revision is never changed otherwise (it has no {@code updated_at}).
     */
    Statement detachRevisionAuthor(String table, int n) {
        return updateIds("detachRevisionAuthor." + table, table, "author_type = NULL, author_id = NULL", n);
    }

    /** Clears the execution and step of {@code n} messages whose execution is erased with another conversation or owner. */
    Statement unlinkExecution(int n) {
        return updateIds("unlinkExecution", "messages", "execution_id = NULL, step_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /** Run before {@link #unlinkExecution}: keeps one active answer per group ({@link RetentionPlan#keepOneActive}). */
    Statement keepOneActive(int n) {
        return c.render("portability.keepOneActive", RetentionPlan.keepOneActive("id IN (" + InList.marks("ids", n) + ")"));
    }

    /** Clears the assistant and revision of {@code n} conversations whose assistant is erased with its owner. */
    Statement unlinkConversationAssistant(int n) {
        return updateIds("unlinkConversationAssistant", "conversations", "assistant_id = NULL, assistant_revision_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /** Clears the assistant revision of {@code n} executions whose assistant is erased with its owner. */
    Statement unlinkExecutionAssistant(int n) {
        return updateIds("unlinkExecutionAssistant", "executions", "assistant_revision_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /**
     * Clears the execution of {@code n} voice calls whose execution is erased with another conversation or
     * owner; the rest of the call (updated_at too) stays as it was, as when retention purges the execution.
     */
    Statement unlinkVoiceCall(int n) {
        return updateIds("unlinkVoiceCall", "voice_calls", "execution_id = NULL", n);
    }

    /** Clears the owner of {@code n} executions: what stays of an erased owner's calls in other owners' conversations. */
    Statement detachExecutionOwner(int n) {
        return updateIds("detachExecutionOwner", "executions", "owner_type = NULL, owner_id = NULL, updated_at = " + Dialect.LATER, n);
    }

    /**
     * {@code UPDATE table SET set} on {@code n} of the tenant's rows by id: the rows an erase keeps but unlinks. Only a row
     * with a link still set changes: one another transaction unlinked since the erase chose it (another instance's erase of
     * the same owner) is neither touched again nor counted (PostgresRetentionRaceTest#eraseCountsNoRowAnotherEraseDetached).
     */
    private Statement updateIds(String name, String table, String set, int n) {
        String linked = java.util.Arrays.stream(set.split(", ")).filter(a -> a.endsWith(" = NULL"))
                .map(a -> a.substring(0, a.length() - " = NULL".length()) + " IS NOT NULL").collect(java.util.stream.Collectors.joining(" OR "));
        return c.render("portability." + name, "UPDATE <p>" + table + " SET " + set + " WHERE tenant_id = :t AND id IN ("
                + InList.marks("ids", n) + ") AND (" + linked + ")");
    }

    /** A statement whose text depends on the erase's scope (the uploads it takes). */
    Statement render(String name, String text) {
        return c.render(name, text);
    }
}
