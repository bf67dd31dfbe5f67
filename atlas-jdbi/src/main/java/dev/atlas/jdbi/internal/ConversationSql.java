package dev.atlas.jdbi.internal;

import dev.atlas.conversation.ConversationStatus;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The conversation store's statements on conversations (messages: {@link MessageSql}). */
final class ConversationSql {
    static final String SELECT = "SELECT " + Rows.CONVERSATION_COLUMNS + " FROM <p>conversations";
    /** {@link #SELECT} with the listing's ordering column, which its cursor holds. */
    static final String LIST_SELECT = "SELECT " + Rows.CONVERSATION_COLUMNS + ", activity_at FROM <p>conversations";
    private static final String LIVE_BY_ID = " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL";
    private static final String RETURNING = " RETURNING " + Rows.CONVERSATION_COLUMNS;
    /** Optional filters of {@link #list}, added by {@code Where}. */
    static final String OWNER_TYPE = "owner_type = :ownerType";
    static final String OWNER_ID = "owner_id = :ownerId";
    static final String AGENT = "agent = :agent";
    static final String STATUS = "status = :status";
    static final String LIVE = "deleted_at IS NULL";
    /** The keyset of {@link #list}, newest activity first: strictly before the cursor's conversation. */
    static final String LIST_AFTER = Keyset.before("activity_at", "id", "afterAt", "afterId");
    /** The keyset of {@link dev.atlas.conversation.ConversationQuery.Order#CREATION}: oldest first by id. */
    static final String CREATION_AFTER = "id > :afterId";

    final Catalogue catalogue;
    final Statement byId;
    final Statement byKey;
    final Statement assistantExists;
    final Statement revisionAssistant;
    final Statement insert;
    final Statement insertUnlessKeyTaken;
    final Statement toolThreads;
    final Statement toolThreadsAfter;
    final Statement toolThread;
    final Statement setTitle;
    final Statement setSummary;
    final Statement setMetadata;
    /** The live conversation, row-locked on PostgreSQL (SQLite's write transaction holds the database): for read-compare-write. */
    final Statement byIdForUpdate;
    final Map<ConversationStatus, Statement> moveTo = new EnumMap<>(ConversationStatus.class);
    final Statement delete;
    final Statement keyTakenByLive;
    final Statement restore;
    /** Takes {@code :count} sequences of an open conversation (row-locking it on PostgreSQL); no row when missing, deleted or closed. */
    final Statement advanceSequence;

    ConversationSql(Catalogue c) {
        catalogue = c;
        byId = c.sql("conversations.byId", SELECT + LIVE_BY_ID);
        byKey = c.sql("conversations.byKey", SELECT + " WHERE tenant_id = :t AND external_key = :key AND deleted_at IS NULL");
        // Share-locks the assistant (PostgreSQL) until the new conversation commits: a delete racing it waits and
        // comes after the conversation, or goes first and the lookup finds no live assistant; a plain read let a
        // conversation commit after the delete, naming an assistant already deleted. SQLite has one writer.
        assistantExists = c.sql("conversations.assistantExists", "SELECT 1 FROM <p>assistants" + LIVE_BY_ID + c.dialect().forShare());
        revisionAssistant = c.sql("conversations.revisionAssistant",
                // A deleted assistant's revisions stay readable but start nothing new, as the assistant itself.
                "SELECT r.assistant_id FROM <p>assistant_revisions r JOIN <p>assistants a ON a.tenant_id = :t AND a.id = r.assistant_id"
                        + " AND a.deleted_at IS NULL WHERE r.tenant_id = :t AND r.id = :id"
                        + (c.dialect().forShare().isEmpty() ? "" : " FOR SHARE OF a"));
        String insertText = "INSERT INTO <p>conversations (tenant_id, id, owner_type, owner_id, agent, assistant_id, type,"
                + " parent_conversation_id, parent_tool_call_id, title, status, metadata, last_sequence, activity_at,"
                + " created_at, updated_at, assistant_revision_id, external_key) VALUES (:t, :id, :ownerType, :ownerId, :agent,"
                + " :assistant, :type, :parent, :parentToolCall, :title, 'open', :metadata, 0, :now, :now, :now, :revision, :key)";
        insert = c.sql("conversations.insert", insertText);
        insertUnlessKeyTaken = c.sql("conversations.insertUnlessKeyTaken", insertText + " ON CONFLICT DO NOTHING");
        String threads = SELECT + " WHERE tenant_id = :t AND parent_conversation_id = :parent AND type = 'tool' AND deleted_at IS NULL";
        toolThreads = c.sql("conversations.toolThreads", threads + " ORDER BY created_at, id LIMIT :limit");
        toolThreadsAfter = c.sql("conversations.toolThreadsAfter", threads
                + " AND " + Keyset.after("created_at", "id", "afterAt", "afterId") + " ORDER BY created_at, id LIMIT :limit");
        toolThread = c.sql("conversations.toolThread", SELECT + " WHERE tenant_id = :t AND parent_tool_call_id = :call AND type = 'tool'"
                + " AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1");
        setTitle = c.sql("conversations.setTitle", set("title = :value"));
        setSummary = c.sql("conversations.setSummary", set("summary = :value"));
        setMetadata = c.sql("conversations.setMetadata", set("metadata = :value"));
        byIdForUpdate = c.sql("conversations.byIdForUpdate", SELECT + LIVE_BY_ID + c.dialect().forUpdate());
        for (ConversationStatus target : ConversationStatus.values()) {
            String from = Stream.of(ConversationStatus.values()).filter(s -> s.canMoveTo(target))
                    .map(s -> "'" + s + "'").collect(Collectors.joining(", "));
            if (from.isEmpty()) {
                continue;
            }
            String stamp = switch (target) {
                case ARCHIVED -> ", archived_at = " + Dialect.LATER;
                case CLOSED -> ", closed_at = " + Dialect.LATER;
                default -> "";
            };
            moveTo.put(target, c.sql("conversations.moveTo." + target, "UPDATE <p>conversations SET status = '" + target
                    + "', updated_at = " + Dialect.LATER + stamp + LIVE_BY_ID + " AND status IN (" + from + ")" + RETURNING));
        }
        delete = c.sql("conversations.delete", "UPDATE <p>conversations SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + LIVE_BY_ID);
        keyTakenByLive = c.sql("conversations.keyTakenByLive", "SELECT d.external_key FROM <p>conversations d JOIN <p>conversations l"
                + " ON l.tenant_id = d.tenant_id AND l.external_key = d.external_key AND l.deleted_at IS NULL AND l.id <> d.id"
                + " WHERE d.tenant_id = :t AND d.id = :id AND d.deleted_at IS NOT NULL LIMIT 1");
        restore = c.sql("conversations.restore", "UPDATE <p>conversations SET deleted_at = NULL, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id" + RETURNING);
        advanceSequence = c.sql("conversations.advanceSequence", advanceSequence(":id"));
    }

    /**
     * Takes the next {@code :count} sequences of the open, live conversation {@code idParam} (also
     * its activity time and, if it has none, {@code :title}) and returns the last one taken. The
     * activity time only moves forward: an instance whose clock is behind would otherwise send a
     * busy conversation down the list and towards the idle retention rule.
     */
    static String advanceSequence(String idParam) {
        return "UPDATE <p>conversations SET last_sequence = last_sequence + :count,"
                + " last_message_at = " + Dialect.nowOrLater("COALESCE(last_message_at, :now)")
                + ", activity_at = " + Dialect.nowOrLater("activity_at") + ", updated_at = " + Dialect.LATER + ", title = COALESCE(title, :title),"
                + " status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
                + LIVE_BY_ID.replace(":id", idParam) + " AND status <> 'closed' RETURNING last_sequence";
    }

    /** The listing newest activity first with the optional filters {@code where} renders (its keyset among them: {@link #LIST_AFTER}). */
    Statement list(String where) {
        return catalogue.render("conversations.list", LIST_SELECT + " WHERE tenant_id = :t" + where + " ORDER BY activity_at DESC, id DESC LIMIT :limit");
    }

    private static String set(String assignment) {
        return "UPDATE <p>conversations SET " + assignment + ", updated_at = " + Dialect.LATER + LIVE_BY_ID + RETURNING;
    }
}
