package dev.atlas.jdbi.internal;

import dev.atlas.conversation.MessageStatus;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import org.jspecify.annotations.Nullable;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The conversation store's statements on messages and their audit events. */
final class MessageSql {
    static final String SELECT = "SELECT " + Rows.MESSAGE_COLUMNS + " FROM <p>messages";
    private static final String RETURNING = " RETURNING " + Rows.MESSAGE_COLUMNS;
    /**
     * The one lookup of a message by id ({@code :t}, {@code :id}): a message is reachable only
     * while its conversation is live, so a soft-deleted conversation hides its messages from every
     * read and write until it is restored. Statements using it name the table without an alias.
     */
    private static final String BY_ID = " WHERE tenant_id = :t AND id = :id AND EXISTS (SELECT 1 FROM <p>conversations lc"
            + " WHERE lc.tenant_id = <p>messages.tenant_id AND lc.id = <p>messages.conversation_id AND lc.deleted_at IS NULL)";
    /** {@link #BY_ID} for a message that is not soft-deleted itself. */
    private static final String LIVE_BY_ID = BY_ID + " AND deleted_at IS NULL";
    private static final String LIVE_CONVERSATION = " AND EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t"
            + " AND c.id = :conversation AND c.deleted_at IS NULL)";
    /** The message at sequence {@code :before} of the conversation, when it is hidden (soft-deleted or not). */
    private static final String HIDDEN_AT_BEFORE = " WHERE b.tenant_id = :t AND b.conversation_id = :conversation AND b.sequence = :before"
            + " AND b.is_active = FALSE";
    private static final String SIBLINGS = " WHERE tenant_id = :t AND conversation_id = :conversation AND parent_id = :parent"
            + " AND role = :role";
    /** Oldest first, strictly after the cursor's event (of a message, or of a conversation's trail). */
    static final String EVENTS_AFTER = Keyset.after("created_at", "id", "afterAt", "afterId");
    /**
     * A conversation's events ({@code :t}, {@code :conversation}), read on the index
     * {@code (tenant_id, conversation_id, created_at)}; {@link #conversationEvents} adds the filters and the order.
     */
    static final String CONVERSATION_EVENTS = "SELECT " + Rows.EVENT_COLUMNS + " FROM <p>message_events WHERE tenant_id = :t"
            + " AND conversation_id = :conversation";
    /** Oldest first, strictly after the cursor's event. */
    static final String CONVERSATION_EVENTS_AFTER = EVENTS_AFTER;
    /** Newest first, strictly before the cursor's event. */
    static final String CONVERSATION_EVENTS_BEFORE = Keyset.before("created_at", "id", "afterAt", "afterId");

    private static final String INSERT_COLUMNS = "tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
            + " failure_reason, is_active, client_message_id, author_type, author_id, agent, parent_id, execution_id, step_id, metadata,"
            + " created_at, updated_at, search_text";

    final Catalogue catalogue;
    final Statement insert;
    /**
     * PostgreSQL only, null on SQLite: {@link #insert} of a message with no client id, parent or
     * execution link, with its counter update and created event, in one statement. It commits in
     * one round trip instead of four (BEGIN with the counter, the message, the event, COMMIT), and
     * holds the conversation's row lock for one statement. No row back: nothing was written, the
     * conversation is missing, deleted or closed.
     */
    final @Nullable Statement appendPlain;
    /** A new message's created event, its first: at {@code :now}. */
    final Statement insertEvent;
    /**
     * Any later event of a message, returning its time: {@code :now}, or 1 µs after the message's
     * latest event when that is not earlier (an instance whose clock runs behind the one that wrote
     * it), so the trail's order by time is the order its events were written in. Its writers hold
     * the conversation's lock (PostgreSQL) or the write transaction (SQLite).
     */
    final Statement insertLaterEvent;
    final Statement byClientId;
    final Statement byId;
    final Statement exists;
    /**
     * Active messages before {@code :before}, newest first; none when the message at {@code :before} is hidden
     * ({@link #hiddenAt} tells that apart from the start of the history).
     */
    final Statement history;
    /** A row when the message at sequence {@code :before} of the conversation is hidden. */
    final Statement hiddenAt;
    /** A row when the message at sequence {@code :before} of the conversation was purged: the counter passed it, no row holds it. */
    final Statement purgedAt;
    /**
     * A row when a branch below sequence {@code :before} of the conversation was ever switched: a message there is hidden, or
     * was shown by a switch (an {@code activated} event), which tells it also when the branch it hid was purged since.
     */
    final Statement switchedBelow;
    /** {@link #history} without its cursor's checks: the page below a purged cursor, read only when no branch below it was switched ({@link #switchedBelow}). */
    final Statement historyPastPurged;
    final Statement after;
    final Statement siblings;
    final Statement deactivateSiblings;
    final Statement deactivateOtherGroups;
    final Statement activateGroup;
    final Statement siblingActive;
    final Statement otherGroupActive;
    final Statement byIdWithDeleted;
    final Statement restore;
    final Statement setMetadata;
    final Statement lockConversationOf;
    final Statement activate;
    final Statement sequence;
    final Statement executionOfStep;
    final Statement parent;
    final Statement answered;
    final Statement userFollows;
    final Statement userFollowsOtherThan;
    final Map<MessageStatus, Statement> moveTo = new EnumMap<>(MessageStatus.class);
    final Statement markRead;
    final Statement markAllRead;
    final Statement unread;
    final Statement edit;
    /** An edit's removal of the message's vectors: they describe the old text. */
    final Statement deleteVectors;
    final Statement delete;
    final Statement events;
    final Statement eventsAfter;
    /** A message's edits, oldest first: the first one's previous content is what the message was sent with. */
    final Statement edits;
    /**
     * The branch structure after a sequence, soft-deleted messages included: what a switch of the active answer may show
     * or hide below it.
     */
    final Statement tail;
    /**
     * A message and every message above it through parents, soft-deleted ones included, oldest first
     * ({@code :id}, {@code :conversation}), as {@code id, parent_id, role, execution_id, is_active}
     * (no content): one statement whatever the depth. Each step goes to an
     * earlier sequence, so a parent link that loops (edited by hand) still ends.
     */
    final Statement ancestors;
    /**
     * The active flag of message {@code :id}, soft-deleted or not: since V36 a message's own flag is its path's (an
     * inactive message has no active one below it), so one row tells whether a branch through it shows.
     */
    final Statement shown;

    /**
     * Sets the active flag of the messages of a conversation whose ids are in the JSON array {@code :ids}, however many:
     * one statement, where an IN list of bound ids took one per 500 (20 to hide or show a 10,000-deep chain).
     */
    final Statement showListed;
    /** {@link #showListed}, hiding. */
    final Statement hideListed;
    /**
     * {@link #insertLaterEvent} of an {@code activated} event (details {@code :details}) for each pair [event id, message id]
     * of the JSON array {@code :events}, of a conversation, in one statement however many (it took one per 200).
     */
    final Statement insertActivatedEvents;

    /** {@code ids} as the JSON array {@link Dialect#listedIds} reads. */
    static String jsonIds(java.util.Collection<java.util.UUID> ids) {
        StringBuilder out = new StringBuilder(ids.size() * 39 + 2).append('[');
        for (java.util.UUID id : ids) {
            out.append(out.length() == 1 ? "\"" : ",\"").append(id).append('"');
        }
        return out.append(']').toString();
    }

    MessageSql(Catalogue c) {
        catalogue = c;
        insert = c.sql("messages.insert", "INSERT INTO <p>messages (" + INSERT_COLUMNS + ") VALUES (:t, :id, :conversation,"
                + " :sequence, :role, :contentType, :content, :status, :failureReason, :active, :clientId, :authorType, :authorId,"
                + " :agent, :parent, :execution, :step, :metadata, :now, :now, :searchText)");
        // Data-modifying WITH is PostgreSQL's; the created event's details are the ones recordEvent writes.
        appendPlain = c.dialect() != Dialect.POSTGRESQL ? null : c.sql("messages.appendPlain", "WITH s AS ("
                + ConversationSql.advanceSequence(":conversation") + "), m AS (INSERT INTO <p>messages (" + INSERT_COLUMNS + ")"
                + " SELECT :t, :id, :conversation, s.last_sequence, :role, :contentType, :content, :status, :failureReason, TRUE, NULL,"
                + " :authorType, :authorId, :agent, NULL, NULL, NULL, :metadata, :now, :now, :searchText FROM s RETURNING sequence),"
                + " e AS (INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                + " SELECT :t, :eventId, :conversation, :id, 'created', jsonb_build_object('sequence', m.sequence, 'role', CAST(:role AS text),"
                + " 'status', CAST(:status AS text)), :now FROM m) SELECT last_sequence FROM s");
        insertEvent = c.sql("messages.insertEvent", "INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type,"
                + " details, created_at) VALUES (:t, :id, :conversation, :message, :type, :details, :now)");
        insertLaterEvent = c.sql("messages.insertLaterEvent", "INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id,"
                + " type, details, created_at) VALUES (:t, :id, :conversation, :message, :type, :details, "
                + laterEventTime(c.dialect(), ":message") + ") RETURNING created_at");
        byClientId = c.sql("messages.byClientId", SELECT + " WHERE tenant_id = :t AND conversation_id = :conversation"
                + " AND client_message_id = :clientId");
        byId = c.sql("messages.byId", SELECT + LIVE_BY_ID);
        exists = c.sql("messages.exists", "SELECT 1 FROM <p>messages" + BY_ID);
        // Nothing when the message at :before is hidden: the page that ended there was read from a branch switched away
        // since, and the messages before it that show now are another branch's (sequences interleave across branches).
        // Nor when it was purged (sequences are taken without gaps, so a sequence the counter passed with no row was
        // purged): that message can no longer tell whether its branch still shows. Retention purges a message only once
        // it and everything answering it were deleted, so a switch and a purge between two pages left no row to check,
        // and the page was the other branch's (ConversationStoreContract#loadOlderPastACursorPurgedAfterASwitchIsRefused).
        String live = " WHERE tenant_id = :t AND conversation_id = :conversation AND sequence < :before AND is_active = TRUE"
                + " AND deleted_at IS NULL AND status = 'delivered'";
        String heldAtBefore = "SELECT 1 FROM <p>messages b WHERE b.tenant_id = :t AND b.conversation_id = :conversation"
                + " AND b.sequence = :before";
        history = c.sql("messages.history", SELECT + live + " AND EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t"
                + " AND c.id = :conversation AND c.deleted_at IS NULL AND (c.last_sequence < :before OR EXISTS (" + heldAtBefore + ")))"
                + " AND NOT EXISTS (SELECT 1 FROM <p>messages b" + HIDDEN_AT_BEFORE + ") ORDER BY sequence DESC LIMIT :limit");
        hiddenAt = c.sql("messages.hiddenAt", "SELECT 1 FROM <p>messages b" + HIDDEN_AT_BEFORE);
        purgedAt = c.sql("messages.purgedAt", "SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t AND c.id = :conversation"
                + " AND c.last_sequence >= :before AND NOT EXISTS (" + heldAtBefore + ")");
        switchedBelow = c.sql("messages.switchedBelow", "SELECT 1 FROM <p>messages WHERE tenant_id = :t AND conversation_id = :conversation"
                + " AND sequence < :before AND is_active = FALSE UNION ALL SELECT 1 FROM <p>message_events e JOIN <p>messages m"
                + " ON m.tenant_id = :t AND m.id = e.message_id AND m.sequence < :before WHERE e.tenant_id = :t"
                + " AND e.conversation_id = :conversation AND e.type = 'activated' LIMIT 1");
        historyPastPurged = c.sql("messages.historyPastPurged", SELECT + live + LIVE_CONVERSATION + " ORDER BY sequence DESC LIMIT :limit");
        after = c.sql("messages.after", SELECT + " WHERE tenant_id = :t AND conversation_id = :conversation AND sequence > :after"
                + " AND deleted_at IS NULL" + LIVE_CONVERSATION + " ORDER BY sequence LIMIT :limit");
        siblings = c.sql("messages.siblings", SELECT + SIBLINGS + " AND deleted_at IS NULL ORDER BY sequence");
        deactivateSiblings = c.sql("messages.deactivateSiblings", "UPDATE <p>messages SET is_active = FALSE, updated_at = " + Dialect.LATER
                + SIBLINGS + " AND is_active = TRUE");
        // A sibling group is the answers of one execution: they stay active together. A tool result without an execution
        // answers its own tool call, no other group's (V35): switching groups leaves it as it is.
        String otherGroups = " AND (execution_id IS NULL AND role <> 'tool' OR execution_id <> :execution)";
        deactivateOtherGroups = c.sql("messages.deactivateOtherGroups", "UPDATE <p>messages SET is_active = FALSE, updated_at = " + Dialect.LATER
                + SIBLINGS + " AND is_active = TRUE" + otherGroups);
        // Soft-deleted members too: their flag follows the group, as the branch switch moves it (messages.tail), so
        // what answers a deleted member comes back with the group, and a restore finds the flag the member would have.
        activateGroup = c.sql("messages.activateGroup", "UPDATE <p>messages SET is_active = TRUE, updated_at = " + Dialect.LATER + SIBLINGS
                + " AND execution_id = :execution AND is_active = FALSE" + RETURNING);
        String activeSibling = "SELECT 1 FROM <p>messages" + SIBLINGS + " AND id <> :id AND is_active = TRUE AND deleted_at IS NULL";
        siblingActive = c.sql("messages.siblingActive", activeSibling + " LIMIT 1");
        otherGroupActive = c.sql("messages.otherGroupActive", activeSibling + otherGroups + " LIMIT 1");
        byIdWithDeleted = c.sql("messages.byIdWithDeleted", SELECT + BY_ID);
        restore = c.sql("messages.restore", "UPDATE <p>messages SET deleted_at = NULL, is_active = :active, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id" + RETURNING);
        setMetadata = c.sql("messages.setMetadata", "UPDATE <p>messages SET metadata = :metadata, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id" + RETURNING);
        // Appends and activations of one conversation serialise on its row (append takes it with
        // the next sequence), so concurrent activations end with the last one active.
        lockConversationOf = c.sql("messages.lockConversationOf", "SELECT id FROM <p>conversations WHERE tenant_id = :t"
                + " AND deleted_at IS NULL AND id = (SELECT conversation_id FROM <p>messages" + BY_ID + ")" + c.dialect().forUpdate());
        activate = c.sql("messages.activate", "UPDATE <p>messages SET is_active = TRUE, updated_at = " + Dialect.LATER + " WHERE tenant_id = :t"
                + " AND id = :id" + RETURNING);
        // The parent is always earlier than its answers; a soft-deleted parent still marks the turn.
        sequence = c.sql("messages.sequence", "SELECT sequence FROM <p>messages WHERE tenant_id = :t AND id = :id");
        // Share-locks the execution (PostgreSQL): a retention purge of it then either waits for the
        // append, and unlinks the message, or goes first, and the append finds no execution; a
        // finish likewise waits for a reply, or goes first and the reply reads the final status.
        executionOfStep = c.sql("messages.executionOfStep", "SELECT e.status, s.execution_id FROM <p>executions e LEFT JOIN <p>execution_steps s"
                + " ON s.tenant_id = e.tenant_id AND s.id = :step WHERE e.tenant_id = :t AND e.id = :execution"
                + (c.dialect().forShare().isEmpty() ? "" : " FOR SHARE OF e"));
        parent = c.sql("messages.parent", "SELECT conversation_id, sequence, is_active FROM <p>messages" + LIVE_BY_ID);
        answered = c.sql("messages.answered", "SELECT 1 FROM <p>messages" + SIBLINGS + " AND deleted_at IS NULL LIMIT 1");
        String follows = "SELECT 1 FROM <p>messages WHERE tenant_id = :t AND conversation_id = :conversation AND sequence > :sequence"
                + " AND role = 'user' AND is_active = TRUE AND deleted_at IS NULL";
        userFollows = c.sql("messages.userFollows", follows + " LIMIT 1");
        userFollowsOtherThan = c.sql("messages.userFollowsOtherThan", follows
                + " AND (parent_id IS NULL OR parent_id <> :parent) LIMIT 1");
        for (MessageStatus target : MessageStatus.values()) {
            String from = Stream.of(MessageStatus.values()).filter(s -> s.canMoveTo(target))
                    .map(s -> "'" + s + "'").collect(Collectors.joining(", "));
            if (!from.isEmpty()) {
                moveTo.put(target, c.sql("messages.moveTo." + target, "UPDATE <p>messages SET status = '" + target + "',"
                        + " failure_reason = :reason, updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id AND status IN (" + from + ")"
                        + RETURNING));
            }
        }
        markRead = c.sql("messages.markRead", "UPDATE <p>messages SET read_at = COALESCE(read_at, " + Dialect.LATER + ")" + LIVE_BY_ID + RETURNING);
        String unreadActive = " WHERE tenant_id = :t AND conversation_id = :conversation AND read_at IS NULL AND deleted_at IS NULL"
                + " AND is_active = TRUE";
        markAllRead = c.sql("messages.markAllRead", "UPDATE <p>messages SET read_at = " + Dialect.LATER + unreadActive);
        unread = c.sql("messages.unread", "SELECT COUNT(*) FROM <p>messages" + unreadActive);
        edit = c.sql("messages.edit", "UPDATE <p>messages SET content = :content, search_text = :searchText, edited_at = " + Dialect.LATER + ","
                + " updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id" + RETURNING);
        deleteVectors = c.sql("messages.deleteVectors", "DELETE FROM <p>vectors WHERE tenant_id = :t AND target_type = 'message'"
                + " AND target_id = :id");
        delete = c.sql("messages.delete", "UPDATE <p>messages SET deleted_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id");
        String events = "SELECT " + Rows.EVENT_COLUMNS + " FROM <p>message_events WHERE tenant_id = :t AND message_id = :message";
        this.events = c.sql("messages.events", events + " ORDER BY created_at, id LIMIT :limit");
        eventsAfter = c.sql("messages.eventsAfter", events + " AND " + EVENTS_AFTER + " ORDER BY created_at, id LIMIT :limit");
        // Soft-deleted messages too: a deleted message still links what answers it into its branch.
        tail = c.sql("messages.tail", "SELECT id, parent_id, role, execution_id, is_active, deleted_at FROM <p>messages"
                + " WHERE tenant_id = :t AND conversation_id = :conversation AND sequence > :after ORDER BY sequence");
        ancestors = c.sql("messages.ancestors", "WITH RECURSIVE chain (id, parent_id, sequence, role, execution_id, is_active) AS"
                + " (SELECT id, parent_id, sequence, role, execution_id, is_active FROM <p>messages WHERE tenant_id = :t"
                + " AND conversation_id = :conversation AND id = :id UNION ALL SELECT m.id, m.parent_id, m.sequence, m.role, m.execution_id,"
                + " m.is_active FROM <p>messages m JOIN chain ON m.tenant_id = :t AND m.conversation_id = :conversation"
                + " AND m.id = chain.parent_id AND m.sequence < chain.sequence) SELECT id, parent_id, role, execution_id, is_active"
                + " FROM chain ORDER BY sequence");
        shown = c.sql("messages.shown", "SELECT is_active FROM <p>messages WHERE tenant_id = :t AND id = :id");
        edits = c.sql("messages.edits", events + " AND type = 'edited' ORDER BY created_at, id");
        String listed = ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND conversation_id = :conversation AND id IN ("
                + c.dialect().listedIds("ids") + ")";
        showListed = c.sql("messages.showListed", "UPDATE <p>messages SET is_active = TRUE" + listed);
        hideListed = c.sql("messages.hideListed", "UPDATE <p>messages SET is_active = FALSE" + listed);
        insertActivatedEvents = c.sql("messages.insertActivatedEvents", "INSERT INTO <p>message_events (tenant_id, id, conversation_id,"
                + " message_id, type, details, created_at) SELECT :t, v.id, :conversation, v.message_id, 'activated', :details, "
                + laterEventTime(c.dialect(), "v.message_id") + " FROM (" + c.dialect().listedPairs("events") + ") v");
    }

    /** {@link #CONVERSATION_EVENTS} with the filters of {@code where} (rendered once per shape), oldest or newest first. */
    Statement conversationEvents(String where, boolean newestFirst) {
        return catalogue.render("messages.conversationEvents", CONVERSATION_EVENTS + where
                + (newestFirst ? " ORDER BY created_at DESC, id DESC" : " ORDER BY created_at, id") + " LIMIT :limit");
    }

    /**
     * The time of a new event of message {@code messageParam}: {@code :now}, or 1 µs after the
     * message's latest event when that is not earlier, so a writer whose clock is behind cannot put
     * its event before one already in the trail.
     */
    static String laterEventTime(Dialect dialect, String messageParam) {
        String latest = "(SELECT MAX(created_at) FROM <p>message_events WHERE tenant_id = :t AND message_id = " + messageParam + ")";
        return "CASE WHEN " + latest + " >= :now THEN " + dialect.plusOneMicrosecond(latest) + " ELSE :now END";
    }
}
