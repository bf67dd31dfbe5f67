package dev.atlas.jdbi.internal;

import dev.atlas.Owner;
import dev.atlas.UnreadableRowException;
import dev.atlas.conversation.ContentType;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.ConversationType;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.Role;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;

/** Row mappers and the column lists they read, one per stored type. */
public final class Rows {
    private Rows() {}

    public static final String CONVERSATION_COLUMNS = "tenant_id, id, owner_type, owner_id, agent, assistant_id, type, "
            + "parent_conversation_id, parent_tool_call_id, title, summary, status, metadata, last_sequence, last_message_at, "
            + "archived_at, closed_at, created_at, updated_at, deleted_at, assistant_revision_id, external_key";

    public static final String MESSAGE_COLUMNS = "tenant_id, id, conversation_id, sequence, role, content_type, content, status, "
            + "failure_reason, is_active, client_message_id, author_type, author_id, agent, parent_id, execution_id, step_id, "
            + "metadata, read_at, edited_at, created_at, updated_at, deleted_at";

    public static final String EVENT_COLUMNS = "id, conversation_id, message_id, type, details, created_at";

    /**
     * Wraps a row mapper so a row that cannot be read (JSON that does not parse, a status Atlas
     * never writes) fails with {@link UnreadableRowException} naming {@code table} and the row's id
     * instead of an exception from a parser; only that row's read fails.
     */
    public static <T> RowMapper<T> guard(String table, String idColumn, RowMapper<T> mapper) {
        return (rs, ctx) -> {
            try {
                return mapper.map(rs, ctx);
            } catch (UnreadableRowException e) {
                throw e.table() != null ? e : inRow(table, rowId(rs, idColumn), e);
            } catch (RuntimeException e) {
                throw new UnreadableRowException(table, rowId(rs, idColumn), String.valueOf(e.getMessage()), e);
            }
        };
    }

    /**
     * {@code e}, a value read without its row, named as the value of {@code table} row {@code rowId}: the one way every
     * read (a guarded mapper, {@link Dialect#instant(ResultSet, String, String, String, String)}, an export) names the
     * row of an unreadable value. {@code e} already naming a row is returned as it is.
     */
    public static UnreadableRowException inRow(String table, @org.jspecify.annotations.Nullable String rowId, UnreadableRowException e) {
        return e.table() != null ? e : new UnreadableRowException(table, rowId, e.why(), e.getCause() == null ? e : e.getCause());
    }

    private static String rowId(ResultSet rs, String idColumn) {
        try {
            return rs.getString(idColumn);
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    static Owner owner(ResultSet rs, String typeColumn, String idColumn) throws SQLException {
        String type = rs.getString(typeColumn);
        return type == null ? null : new Owner(type, rs.getString(idColumn));
    }

    public static RowMapper<Conversation> conversation(Dialect d) {
        return guard("conversations", "id", (rs, ctx) -> new Conversation(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                owner(rs, "owner_type", "owner_id"),
                rs.getString("agent"),
                d.uuid(rs, "assistant_id"),
                ConversationType.of(rs.getString("type")),
                d.uuid(rs, "parent_conversation_id"),
                d.uuid(rs, "parent_tool_call_id"),
                rs.getString("title"),
                rs.getString("summary"),
                ConversationStatus.of(rs.getString("status")),
                Json.readMap(rs.getString("metadata")),
                rs.getLong("last_sequence"),
                d.instant(rs, "last_message_at"),
                d.instant(rs, "archived_at"),
                d.instant(rs, "closed_at"),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at"),
                d.instant(rs, "deleted_at"),
                d.uuid(rs, "assistant_revision_id"),
                rs.getString("external_key")));
    }

    public static RowMapper<Message> message(Dialect d) {
        return guard("messages", "id", (rs, ctx) -> new Message(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                d.uuid(rs, "conversation_id"),
                rs.getLong("sequence"),
                Role.of(rs.getString("role")),
                ContentType.of(rs.getString("content_type")),
                rs.getString("content"),
                MessageStatus.of(rs.getString("status")),
                rs.getString("failure_reason"),
                rs.getBoolean("is_active"),
                rs.getString("client_message_id"),
                owner(rs, "author_type", "author_id"),
                rs.getString("agent"),
                d.uuid(rs, "parent_id"),
                d.uuid(rs, "execution_id"),
                d.uuid(rs, "step_id"),
                Json.readMap(rs.getString("metadata")),
                d.instant(rs, "read_at"),
                d.instant(rs, "edited_at"),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at"),
                d.instant(rs, "deleted_at")));
    }

    public static RowMapper<MessageEvent> event(Dialect d) {
        return guard("message_events", "id", (rs, ctx) -> new MessageEvent(
                d.uuid(rs, "id"),
                d.uuid(rs, "conversation_id"),
                d.uuid(rs, "message_id"),
                MessageEventType.of(rs.getString("type")),
                Json.readDetails(rs.getString("details")),
                d.instant(rs, "created_at")));
    }
}
