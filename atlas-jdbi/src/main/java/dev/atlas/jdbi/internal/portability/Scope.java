package dev.atlas.jdbi.internal.portability;

import dev.atlas.Owner;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The rows of each table that belong to a tenant, an owner or a conversation, as SQL conditions
 * on the table's own (unqualified) columns. Export and erase read the same conditions, so what an
 * owner's export holds and what erasing the owner deletes are defined once. Binds {@code :t} and,
 * for an owner, {@code :ot}/{@code :oi}; for a conversation, {@code :cid}.
 */
final class Scope {
    private static final String ALL = "1 = 1";
    private static final String NONE = "1 = 0";

    final Owner owner;
    final UUID conversation;
    /** Assets uploaded to the scope's messages that also go (see {@link #uploads}); null means "those attached to its messages". */
    private final List<UUID> uploads;

    private Scope(Owner owner, UUID conversation, List<UUID> uploads) {
        this.owner = owner;
        this.conversation = conversation;
        this.uploads = uploads;
    }

    static Scope tenant() {
        return new Scope(null, null, null);
    }

    static Scope owner(Owner owner) {
        return new Scope(owner, null, null);
    }

    static Scope conversation(UUID id) {
        return new Scope(null, id, null);
    }

    /** The same scope, with uploaded assets limited to {@code ids} (erase takes only those no other conversation uses). */
    Scope withUploads(List<UUID> ids) {
        return new Scope(owner, conversation, List.copyOf(ids));
    }

    boolean isTenant() {
        return owner == null && conversation == null;
    }

    Map<String, Object> binds(String tenant) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("t", tenant);
        if (owner != null) {
            b.put("ot", owner.type());
            b.put("oi", owner.id());
        }
        if (conversation != null) {
            b.put("cid", conversation);
        }
        return b;
    }

    List<UUID> uploadIds() {
        return uploads;
    }

    private String roots() {
        return owner != null
                ? "SELECT r.id FROM <p>conversations r WHERE r.tenant_id = :t AND r.owner_type = :ot AND r.owner_id = :oi"
                : "SELECT r.id FROM <p>conversations r WHERE r.tenant_id = :t AND r.id = :cid";
    }

    /** The scope's conversations and every tool thread below them. */
    String conversations() {
        return "WITH RECURSIVE tree (id) AS (" + roots() + " UNION SELECT c.id FROM <p>conversations c JOIN tree"
                + " ON c.tenant_id = :t AND c.parent_conversation_id = tree.id) SELECT id FROM tree";
    }

    private String messages() {
        return "SELECT m.id FROM <p>messages m WHERE m.tenant_id = :t AND m.conversation_id IN (" + conversations() + ")";
    }

    private String executions() {
        return "SELECT e.id FROM <p>executions e WHERE e.tenant_id = :t AND e.conversation_id IN (" + conversations() + ")";
    }

    private String ownerMatch() {
        return owner != null ? "(owner_type = :ot AND owner_id = :oi)" : NONE;
    }

    private String assets() {
        String uploaded = uploads == null
                ? "id IN (SELECT ma.asset_id FROM <p>message_assets ma WHERE ma.tenant_id = :t AND ma.message_id IN (" + messages() + "))"
                : uploads.isEmpty() ? NONE : "id IN (<uploads>)";
        return "(execution_id IN (" + executions() + ") OR " + uploaded + " OR " + ownerMatch() + ")";
    }

    private String memories() {
        return ownerMatch();
    }

    /** The rows of {@code table} in scope; {@code forExport} keeps only attachments whose both ends are exported. */
    String condition(String table, boolean forExport) {
        if (isTenant()) {
            return ALL;
        }
        return switch (table) {
            case "conversations" -> "id IN (" + conversations() + ")";
            case "messages", "message_events", "executions" -> "conversation_id IN (" + conversations() + ")";
            case "execution_steps", "execution_tool_calls" -> "execution_id IN (" + executions() + ")";
            case "assets" -> assets();
            case "message_assets" -> "(message_id IN (" + messages() + ")" + (forExport ? " AND " : " OR ")
                    + "asset_id IN (SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t AND " + assets() + "))";
            case "voice_calls" -> "(conversation_id IN (" + conversations() + ") OR execution_id IN (" + executions() + ") OR "
                    + ownerMatch() + ")";
            case "memories" -> memories();
            case "memory_tags", "memory_revisions" -> "memory_id IN (SELECT mm.id FROM <p>memories mm WHERE mm.tenant_id = :t AND "
                    + memories() + ")";
            case "vectors" -> "(conversation_id IN (" + conversations() + ")"
                    + " OR (target_type = 'message' AND target_id IN (" + messages() + "))"
                    + " OR (target_type = 'asset' AND target_id IN (SELECT a.id FROM <p>assets a WHERE a.tenant_id = :t AND " + assets() + "))"
                    + " OR (target_type = 'memory' AND target_id IN (SELECT mm.id FROM <p>memories mm WHERE mm.tenant_id = :t AND "
                    + memories() + ")))";
            case "vector_models" -> "model IN (SELECT v.model FROM <p>vectors v WHERE v.tenant_id = :t AND " + condition("vectors", forExport) + ")";
            case "tasks" -> "(conversation_id IN (" + conversations() + ") OR " + ownerMatch() + ")";
            case "credentials", "assistants" -> ownerMatch();
            case "task_schedules" -> ownerMatch();
            case "assistant_revisions" -> "assistant_id IN (SELECT s.id FROM <p>assistants s WHERE s.tenant_id = :t AND " + ownerMatch() + ")";
            default -> NONE;
        };
    }
}
