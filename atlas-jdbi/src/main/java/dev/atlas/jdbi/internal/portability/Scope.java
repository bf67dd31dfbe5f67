package dev.atlas.jdbi.internal.portability;

import dev.atlas.Owner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The rows of each table that belong to a tenant, an owner or a conversation, as SQL conditions
 * on the table's own (unqualified) columns. Export and erase read the same conditions, so what an
 * owner's export holds and what erasing the owner deletes are defined once. Binds {@code :t} (the
 * runner does) and, for an owner, {@code :ot}/{@code :oi}; for a conversation, {@code :cid}; the
 * uploads an erase takes, {@code :uploads0, …}.
 */
final class Scope {
    private static final String ALL = "1 = 1";
    private static final String NONE = "1 = 0";

    /** What a scope selects by; its statements' texts depend on nothing else (but the number of uploads). */
    enum Kind { TENANT, OWNER, CONVERSATION }

    final Kind kind;
    final Owner owner;
    final UUID conversation;
    /** Assets uploaded to the scope's messages that also go (see {@link #uploads}); null means "those attached to its messages". */
    private final List<UUID> uploads;
    /** Only the conversations an erase has closed (soft-deleted): see {@link #closed}. */
    private final boolean closedOnly;

    private Scope(Kind kind, Owner owner, UUID conversation, List<UUID> uploads) {
        this(kind, owner, conversation, uploads, false);
    }

    private Scope(Kind kind, Owner owner, UUID conversation, List<UUID> uploads, boolean closedOnly) {
        this.kind = kind;
        this.owner = owner;
        this.conversation = conversation;
        this.uploads = uploads;
        this.closedOnly = closedOnly;
    }

    static Scope tenant() {
        return new Scope(Kind.TENANT, null, null, null);
    }

    static Scope owner(Owner owner) {
        return new Scope(Kind.OWNER, owner, null, null);
    }

    static Scope conversation(UUID id) {
        return new Scope(Kind.CONVERSATION, null, id, null);
    }

    /** A scope of {@code kind} without values, to declare the statements every scope of that kind runs. */
    static Scope template(Kind kind) {
        return new Scope(kind, null, null, null);
    }

    /** The same scope, with uploaded assets limited to {@code ids} (erase takes only those no other conversation uses). */
    Scope withUploads(List<UUID> ids) {
        return new Scope(kind, owner, conversation, List.copyOf(ids), closedOnly);
    }

    /**
     * The same scope without the conversations that are live (not soft-deleted), and without what
     * hangs off them: what an erase deletes once it has closed the scope's conversations. One
     * created or restored since (an owner's new conversation) takes appends, so deleting its rows
     * meanwhile failed the erase on a foreign key; the erase closes it and runs again.
     */
    Scope closed() {
        return new Scope(kind, owner, conversation, uploads, true);
    }

    boolean isTenant() {
        return kind == Kind.TENANT;
    }

    /** The values of the scope's parameters (not {@code :t}, which the runner binds). */
    Map<String, Object> binds() {
        Map<String, Object> b = new LinkedHashMap<>();
        if (owner != null) {
            b.put("ot", owner.type());
            b.put("oi", owner.id());
        }
        if (conversation != null) {
            b.put("cid", conversation);
        }
        if (uploads != null) {
            for (int i = 0; i < uploads.size(); i++) {
                b.put("uploads" + i, uploads.get(i));
            }
        }
        return b;
    }

    List<UUID> uploadIds() {
        return uploads;
    }

    private String roots() {
        return (kind == Kind.OWNER
                ? "SELECT r.id FROM <p>conversations r WHERE r.tenant_id = :t AND r.owner_type = :ot AND r.owner_id = :oi"
                : "SELECT r.id FROM <p>conversations r WHERE r.tenant_id = :t AND r.id = :cid") + (closedOnly ? " AND r.deleted_at IS NOT NULL" : "");
    }

    /** The scope's conversations and every tool thread below them. */
    String conversations() {
        return "WITH RECURSIVE tree (id) AS (" + roots() + " UNION SELECT c.id FROM <p>conversations c JOIN tree"
                + " ON c.tenant_id = :t AND c.parent_conversation_id = tree.id" + (closedOnly ? " AND c.deleted_at IS NOT NULL" : "")
                + ") SELECT id FROM tree";
    }

    private String messages() {
        return "SELECT m.id FROM <p>messages m WHERE m.tenant_id = :t AND m.conversation_id IN (" + conversations() + ")";
    }

    /** The scope's conversations' executions and, for an owner, those attributed to them that have no conversation. */
    private String executions() {
        String inConversations = "SELECT e.id FROM <p>executions e WHERE e.tenant_id = :t AND e.conversation_id IN (" + conversations() + ")";
        return kind == Kind.OWNER ? inConversations + " UNION ALL SELECT eo.id FROM <p>executions eo WHERE eo.tenant_id = :t"
                + " AND eo.conversation_id IS NULL AND eo.owner_type = :ot AND eo.owner_id = :oi" : inConversations;
    }

    /** {@link #executions} as a condition on the executions' own columns, prefixed by {@code alias}. */
    private String ownExecutions(String alias) {
        return kind == Kind.OWNER ? alias + "id IN (" + executions() + ")" : alias + "conversation_id IN (" + conversations() + ")";
    }

    private String ownerMatch() {
        return kind == Kind.OWNER ? "(owner_type = :ot AND owner_id = :oi)" : NONE;
    }

    /**
     * The rows of {@code table} (columns named bare) meeting any of {@code branches}, each a condition on the columns of a
     * row of {@code table} prefixed by the alias given: one branch is used as it is; several are one {@code id IN} of a
     * {@code UNION ALL} of id lists, each read through its own index. Written as one {@code OR}, PostgreSQL read every row of
     * the tenant for each batch of an erase (an {@code IN} list inside an {@code OR} is no join it can drive by index:
     * PostgresErasePlanTest).
     */
    private static String anyOf(String table, String alias, List<java.util.function.Function<String, String>> branches) {
        if (branches.isEmpty()) {
            return NONE;
        }
        if (branches.size() == 1) {
            return branches.get(0).apply("");
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < branches.size(); i++) {
            String a = alias + i;
            ids.add("SELECT " + a + ".id FROM <p>" + table + " " + a + " WHERE " + a + ".tenant_id = :t AND " + branches.get(i).apply(a + "."));
        }
        return "id IN (" + String.join(" UNION ALL ", ids) + ")";
    }

    /** The scope's assets: its executions' (made by them), its uploads and, for an owner, the owner's own. */
    private String assets() {
        List<java.util.function.Function<String, String>> branches = new ArrayList<>();
        branches.add(a -> a + "execution_id IN (" + executions() + ")");
        if (uploads == null) {
            branches.add(a -> a + "id IN (SELECT ma.asset_id FROM <p>message_assets ma WHERE ma.tenant_id = :t AND ma.message_id IN ("
                    + messages() + "))");
        } else if (!uploads.isEmpty()) {
            branches.add(a -> a + "id IN (" + uploadMarks() + ")");
        }
        if (kind == Kind.OWNER) {
            branches.add(a -> a + "owner_type = :ot AND " + a + "owner_id = :oi");
        }
        return anyOf("assets", "ua", branches);
    }

    private String uploadMarks() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < uploads.size(); i++) {
            out.append(i == 0 ? ":uploads" : ", :uploads").append(i);
        }
        return out.toString();
    }

    private String memories() {
        return ownerMatch();
    }

    /** Messages the owner wrote in conversations outside the scope (other owners'): they stay, without their author. */
    String authoredElsewhere() {
        return "author_type = :ot AND author_id = :oi AND conversation_id NOT IN (" + conversations() + ")";
    }

    /**
     * Revisions of {@code table} ({@code assistant_revisions}, {@code settings_revisions}) the owner published or rolled back
     * of documents it does not own (the tenant's, other owners'): they stay, part of that document's history, without their
     * author. Those of the owner's own documents go with them.
     */
    static String revisionsAuthoredElsewhere(String table) {
        String parent = table.equals("assistant_revisions") ? "assistant" : "settings";
        String parents = parent.equals("assistant") ? "assistants" : "settings";
        return "author_type = :ot AND author_id = :oi AND " + parent + "_id NOT IN (SELECT od.id FROM <p>" + parents + " od"
                + " WHERE od.tenant_id = :t AND od.owner_type = :ot AND od.owner_id = :oi)";
    }

    /** Executions attributed to the owner in conversations outside the scope (other owners'): they stay, without the owner. */
    String executionsElsewhere() {
        return "owner_type = :ot AND owner_id = :oi AND conversation_id IS NOT NULL AND conversation_id NOT IN (" + conversations() + ")";
    }

    /** Messages outside the scope that name one of its executions: they stay, without the link (as retention does). */
    String executionLinksElsewhere() {
        return "execution_id IN (" + executions() + ") AND conversation_id NOT IN (" + conversations() + ")";
    }

    /** The revisions of the erased owner's assistants. */
    private static String ownRevisions() {
        return "SELECT orv.id FROM <p>assistant_revisions orv WHERE orv.tenant_id = :t AND orv.assistant_id IN (SELECT oa.id FROM <p>assistants oa"
                + " WHERE oa.tenant_id = :t AND oa.owner_type = :ot AND oa.owner_id = :oi)";
    }

    /** Conversations outside the scope that run with the owner's assistant (or one of its revisions): they stay, without it. */
    String assistantConversationsElsewhere() {
        return "id NOT IN (" + conversations() + ") AND (assistant_id IN (SELECT oa.id FROM <p>assistants oa WHERE oa.tenant_id = :t"
                + " AND oa.owner_type = :ot AND oa.owner_id = :oi) OR assistant_revision_id IN (" + ownRevisions() + "))";
    }

    /** Executions outside the scope that ran with a revision of the owner's assistant: they stay, without it. */
    String assistantExecutionsElsewhere() {
        return "id NOT IN (" + executions() + ") AND assistant_revision_id IN (" + ownRevisions() + ")";
    }

    /**
     * Voice calls outside the scope (another conversation, another owner, or none in another conversation) that name one of its
     * executions: they stay, without the link (as retention does). Written without NOT over a
     * nullable comparison, which would drop the calls that have no conversation or no owner.
     */
    String voiceCallLinksElsewhere() {
        String notOwners = kind == Kind.OWNER
                ? " AND ((owner_type IS NULL AND conversation_id IS NOT NULL) OR owner_type <> :ot OR owner_id <> :oi)" : "";
        return "execution_id IN (" + executions() + ") AND (conversation_id IS NULL OR conversation_id NOT IN (" + conversations()
                + "))" + notOwners;
    }

    /**
     * Columns that may point from a row in scope to another owner's row that an export of the scope
     * leaves out (a reply linked to another owner's execution, a tool thread below another owner's
     * conversation, a voice call in another owner's conversation): the export writes them as null, so
     * its file imports into an empty tenant on its own. Import accepts such a null where the stored
     * row has the link (the file does not know it), so re-importing the file where it came from
     * changes nothing.
     */
    static final java.util.Set<String> DETACHABLE = java.util.Set.of("conversations.parent_conversation_id",
            "conversations.parent_tool_call_id", "messages.execution_id", "messages.step_id", "assets.execution_id", "assets.tool_call_id",
            "voice_calls.conversation_id", "voice_calls.execution_id");

    /** The ids {@code table.column} may keep in an export of the scope, or null when it keeps any (see {@link #DETACHABLE}). */
    private String exportedTargets(String table, String column) {
        String steps = "SELECT es.id FROM <p>execution_steps es WHERE es.tenant_id = :t AND es.execution_id IN (" + executions() + ")";
        String toolCalls = "SELECT tc.id FROM <p>execution_tool_calls tc WHERE tc.tenant_id = :t AND tc.execution_id IN (" + executions() + ")";
        return switch (table + "." + column) {
            case "conversations.parent_conversation_id", "voice_calls.conversation_id" -> conversations();
            case "conversations.parent_tool_call_id", "assets.tool_call_id" -> toolCalls;
            case "messages.execution_id", "assets.execution_id", "voice_calls.execution_id" -> executions();
            case "messages.step_id" -> steps;
            default -> null;
        };
    }

    /** The select list of an export of {@code table}: its columns, those pointing outside the scope cleared. */
    String exportColumns(PortableSchema.Table table) {
        List<String> out = new java.util.ArrayList<>();
        for (PortableSchema.Column c : table.columns()) {
            String targets = isTenant() ? null : exportedTargets(table.table(), c.name());
            out.add(targets == null ? c.name() : "CASE WHEN " + c.name() + " IN (" + targets + ") THEN " + c.name() + " END AS " + c.name());
        }
        return String.join(", ", out);
    }

    /**
     * Assistants the scope's conversations and executions run with (by assistant or by revision),
     * whoever owns them: an export carries them with all their revisions, so that its conversations
     * and executions have what they reference (and the assistant its whole, consistent history).
     */
    private String referencedAssistants() {
        String revisions = "SELECT rc.assistant_revision_id FROM <p>conversations rc WHERE rc.tenant_id = :t AND rc.id IN (" + conversations()
                + ") UNION SELECT re.assistant_revision_id FROM <p>executions re WHERE re.tenant_id = :t AND " + ownExecutions("re.");
        return "SELECT ac.assistant_id FROM <p>conversations ac WHERE ac.tenant_id = :t AND ac.id IN (" + conversations() + ")"
                + " UNION SELECT ar.assistant_id FROM <p>assistant_revisions ar WHERE ar.tenant_id = :t AND ar.id IN (" + revisions + ")";
    }

    private String assistants(boolean forExport) {
        return forExport ? "(" + ownerMatch() + " OR id IN (" + referencedAssistants() + "))" : ownerMatch();
    }

    /**
     * The ids of the scope's vectors (not a tenant's), each kind found through its own index: by conversation (an erase's
     * only), by message, asset or memory target. Written as one {@code OR} of these lists, PostgreSQL read every vector of
     * the tenant for each of an erase's batches (PostgresErasePlanTest).
     */
    private String vectorIds(boolean forExport) {
        String v = "SELECT vv.id FROM <p>vectors vv WHERE vv.tenant_id = :t AND ";
        List<String> ids = new ArrayList<>();
        if (!forExport) {
            ids.add(v + "vv.conversation_id IN (" + conversations() + ")");
        }
        ids.add(v + "vv.target_type = 'message' AND vv.target_id IN (" + messages() + ")");
        ids.add(v + "vv.target_type = 'asset' AND vv.target_id IN (SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t AND " + assets() + ")");
        ids.add(v + "vv.target_type = 'memory' AND vv.target_id IN (SELECT mm.id FROM <p>memories mm WHERE mm.tenant_id = :t AND "
                + memories() + ")");
        return String.join(" UNION ALL ", ids);
    }

    /** Vectors whose target is one of the scope's messages, assets or memories (for a tenant, any of its own). */
    private String vectorTargets() {
        String messages = isTenant() ? "SELECT m.id FROM <p>messages m WHERE m.tenant_id = :t" : messages();
        String assets = "SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t" + (isTenant() ? "" : " AND " + assets());
        String memories = "SELECT mm.id FROM <p>memories mm WHERE mm.tenant_id = :t" + (isTenant() ? "" : " AND " + memories());
        return "(target_type = 'message' AND target_id IN (" + messages + ")) OR (target_type = 'asset' AND target_id IN (" + assets
                + ")) OR (target_type = 'memory' AND target_id IN (" + memories + "))";
    }

    /** Whether the conversation {@code column} names is live: created or restored since the tenant's erase closed the others. */
    private static String live(String column) {
        return "EXISTS (SELECT 1 FROM <p>conversations lc WHERE lc.tenant_id = :t AND lc.id = " + column + " AND lc.deleted_at IS NULL)";
    }

    /**
     * What a pass of a tenant's erase deletes, once it has closed the tenant's conversations: everything but a conversation
     * created (or restored) since, with what hangs off it and what it references (its messages' uploads, its executions'
     * assets, its assistant), so that such a conversation stays whole until the next pass closes it. Names the deleted table
     * {@code x}: read only by the erase's statements, which alias it so.
     */
    private static String tenantClosed(String table) {
        String liveMessage = "SELECT 1 FROM <p>messages lm WHERE lm.tenant_id = :t AND lm.id = %s AND " + live("lm.conversation_id");
        return switch (table) {
            case "conversations" -> "x.deleted_at IS NOT NULL";
            case "messages", "message_events" -> "NOT " + live("x.conversation_id");
            case "message_assets" -> "NOT EXISTS (" + liveMessage.formatted("x.message_id") + ")";
            case "voice_calls", "executions", "tasks" -> "(x.conversation_id IS NULL OR NOT " + live("x.conversation_id") + ")";
            case "assets" -> "NOT EXISTS (SELECT 1 FROM <p>message_assets la WHERE la.tenant_id = :t AND la.asset_id = x.id AND EXISTS ("
                    + liveMessage.formatted("la.message_id") + ")) AND NOT EXISTS (SELECT 1 FROM <p>executions le WHERE le.tenant_id = :t"
                    + " AND le.id = x.execution_id AND le.conversation_id IS NOT NULL AND " + live("le.conversation_id") + ")";
            // Asset vectors go with their assets (deleteAssets); those whose asset is gone are swept here.
            case "vectors" -> "(x.target_type = 'memory' OR (x.target_type = 'message' AND NOT EXISTS (" + liveMessage.formatted("x.target_id")
                    + ")) OR (x.target_type = 'asset' AND NOT EXISTS (SELECT 1 FROM <p>assets va WHERE va.tenant_id = :t AND va.id = x.target_id)))";
            // Kept while a conversation or execution that stays runs with it (their foreign keys).
            case "assistants" -> "NOT EXISTS (SELECT 1 FROM <p>conversations rc WHERE rc.tenant_id = :t AND (rc.assistant_id = x.id"
                    + " OR rc.assistant_revision_id IN (SELECT rr.id FROM <p>assistant_revisions rr WHERE rr.tenant_id = :t AND rr.assistant_id = x.id)))"
                    + " AND NOT EXISTS (SELECT 1 FROM <p>executions re WHERE re.tenant_id = :t AND re.assistant_revision_id IN (SELECT rr.id"
                    + " FROM <p>assistant_revisions rr WHERE rr.tenant_id = :t AND rr.assistant_id = x.id))";
            default -> ALL;
        };
    }

    /** The rows of {@code table} in scope; {@code forExport} keeps only attachments whose both ends are exported. */
    String condition(String table, boolean forExport) {
        if (isTenant() && closedOnly) {
            return tenantClosed(table);
        }
        if (isTenant()) {
            // A vector whose target is gone (no foreign key refused that) is not exported: its import would be refused.
            return forExport && table.equals("vectors") ? "(" + vectorTargets() + ")" : ALL;
        }
        return switch (table) {
            case "conversations" -> "id IN (" + conversations() + ")";
            case "messages", "message_events" -> "conversation_id IN (" + conversations() + ")";
            case "executions" -> ownExecutions("");
            case "execution_steps", "execution_tool_calls" -> "execution_id IN (" + executions() + ")";
            case "assets" -> assets();
            case "message_assets" -> forExport
                    ? "(message_id IN (" + messages() + ") AND asset_id IN (SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t AND " + assets() + "))"
                    : anyOf("message_assets", "um", List.of(a -> a + "message_id IN (" + messages() + ")",
                            a -> a + "asset_id IN (SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t AND " + assets() + ")"));
            // A call belongs where it took place or to whom it belongs; one elsewhere that used the scope's execution is
            // not the scope's (an erase keeps it, unlinked: voiceCallLinksElsewhere). A call stored without an owner and
            // without a conversation (before calls took their execution's owner) is its execution's owner's.
            case "voice_calls" -> anyOf("voice_calls", "uv", kind == Kind.OWNER
                    ? List.of(a -> a + "conversation_id IN (" + conversations() + ")", a -> a + "owner_type = :ot AND " + a + "owner_id = :oi",
                            a -> a + "owner_type IS NULL AND " + a + "conversation_id IS NULL AND " + a + "execution_id IN (" + executions() + ")")
                    : List.of(a -> a + "conversation_id IN (" + conversations() + ")"));
            case "memories" -> memories();
            case "memory_tags", "memory_revisions" -> "memory_id IN (SELECT mm.id FROM <p>memories mm WHERE mm.tenant_id = :t AND "
                    + memories() + ")";
            // An erase also takes another owner's asset vectors stored with the scope's conversations; an export takes only
            // vectors whose target it carries, so its file imports alone.
            case "vectors" -> "id IN (" + vectorIds(forExport) + ")";
            case "vector_models" -> "model IN (SELECT v.model FROM <p>vectors v WHERE v.tenant_id = :t AND " + condition("vectors", forExport) + ")";
            case "tasks" -> anyOf("tasks", "ut", kind == Kind.OWNER
                    ? List.of(a -> a + "conversation_id IN (" + conversations() + ")", a -> a + "owner_type = :ot AND " + a + "owner_id = :oi")
                    : List.of(a -> a + "conversation_id IN (" + conversations() + ")"));
            case "credentials", "settings" -> ownerMatch();
            case "assistants" -> assistants(forExport);
            case "settings_revisions" -> "settings_id IN (SELECT st.id FROM <p>settings st WHERE st.tenant_id = :t AND " + ownerMatch() + ")";
            case "task_schedules" -> ownerMatch();
            case "assistant_revisions" -> "assistant_id IN (SELECT s.id FROM <p>assistants s WHERE s.tenant_id = :t AND " + assistants(forExport)
                    + ")";
            default -> NONE;
        };
    }
}
