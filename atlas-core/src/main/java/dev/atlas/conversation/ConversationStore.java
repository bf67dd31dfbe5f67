package dev.atlas.conversation;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.Atlas;
import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Conversations and their messages, scoped to one tenant. Obtain it from
 * {@code atlas.tenant("acme").conversations()}; an id that belongs to another tenant behaves
 * exactly like an id that does not exist.
 *
 * <p>Every write runs in one transaction: it either happens whole, with its audit events, or
 * not at all. Methods that take an id of a row that does not exist (or is deleted) throw
 * {@link NotFoundException}; bad arguments throw {@link InvalidInputException} before any
 * write. Ids carried in a write's input (assistant, tool call, execution, step) must name rows
 * of this tenant; any other id fails with a {@link NotFoundException} naming the field.
 *
 * <p>A message belongs to its conversation: while the conversation is soft-deleted, every
 * message method treats its messages as not found, until {@link #restore(UUID)}.
 *
 * <p>Among the messages answering one parent with one role (retry siblings) at most one is
 * active, under any concurrency: the database enforces it with a unique index, and
 * {@link #append} and {@link #activate} serialise on the conversation. Tool results without an
 * execution are no retry siblings: each answers its own one of the parent's parallel tool calls,
 * so all of them show while the parent does (a retry of one shows beside it: delete the failed one).
 *
 * <p>Branches form a tree through {@link NewMessage#parent(UUID) parents}: a message is active only
 * while the message it answers is. When a sibling replaces another, everything answering the
 * replaced one (recursively) becomes inactive too, and leaves {@link #history}; when its branch
 * is switched back to, each turn below shows its latest answer: the sibling group appended last,
 * whichever was shown when the branch was hidden (a turn on the path to a message passed to
 * {@link #activate} shows that message). An answer to an inactive message is stored inactive. A
 * soft-deleted message keeps its place in the tree: deleting it hides nothing, and what answers it
 * leaves and comes back with its branch.
 */
public interface ConversationStore {

    // ---- conversations ------------------------------------------------------------------

    /**
     * Creates a conversation. A tool thread's parent conversation, and the assistant, assistant
     * revision and parent tool call when given, must exist in this tenant; the parent tool call
     * must be a call of an execution of the parent conversation (as
     * {@link dev.atlas.execution.StepHandle.ToolCallHandle#thread} makes it).
     *
     * @param conversation the conversation to create
     * @return the conversation
     * @throws NotFoundException naming {@code parentConversationId}, {@code assistantId},
     *         {@code assistantRevisionId} or {@code parentToolCallId} when that row is not in this tenant
     * @throws InvalidInputException on {@code parentToolCallId} when the call is not of the parent
     *         conversation's executions
     */
    Conversation create(NewConversation conversation);

    /**
     * The conversation, unless it does not exist or is soft-deleted.
     *
     * @param conversationId the conversation's id
     * @return the Conversation, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Conversation> get(UUID conversationId);

    /**
     * Like {@link #get(UUID)} but throws {@link NotFoundException} when absent.
     *
     * @param conversationId the conversation's id
     * @return the conversation
     */
    default Conversation require(UUID conversationId) {
        return get(conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId));
    }

    /**
     * The live conversation carrying {@code externalKey}: an id from outside Atlas, such as a
     * framework's chat or session id (see {@link #ensure(String, NewConversation)}).
     *
     * @param externalKey non-blank text of at most {@link Limits#MAX_KEY_LENGTH} characters
     * @return the Conversation, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Conversation> getByKey(String externalKey);

    /**
     * Like {@link #getByKey(String)} but throws {@link NotFoundException} when absent.
     *
     * @param externalKey non-blank text of at most {@link Limits#MAX_KEY_LENGTH} characters
     * @return the conversation
     */
    default Conversation requireByKey(String externalKey) {
        return getByKey(externalKey).orElseThrow(() -> new NotFoundException("conversation with external key", externalKey));
    }

    /**
     * The live conversation carrying {@code externalKey}, created from {@code conversation} when
     * there is none. Race-free on both databases: concurrent callers with one key, in one process
     * or several, all get the same conversation. {@code conversation} is only used to create; an
     * existing conversation is returned as stored. Keys are unique per tenant among conversations
     * that are not soft-deleted: deleting a conversation frees its key.
     *
     * @param externalKey non-blank text of at most {@link Limits#MAX_KEY_LENGTH} characters
     * @param conversation the conversation to create
     * @return the conversation
     */
    Conversation ensure(String externalKey, NewConversation conversation);

    /**
     * The tool threads spawned from this conversation (type {@code tool}, parent this
     * conversation; seed 000's {@code ai_threads.parent_thread_id}), oldest first
     * ({@code createdAt}, then id), keyset-paged; soft-deleted threads are left out. Direct
     * children only: a nested thread's own threads are listed with its id. An unknown id, or
     * another tenant's, gives an empty page.
     *
     * @param conversationId the parent conversation's id
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     * @return one page of tool threads and the cursor of the next
     */
    Page<Conversation> toolThreads(UUID conversationId, int limit, @Nullable String cursor);

    /**
     * The tool thread a tool call spawned ({@link dev.atlas.execution.StepHandle.ToolCallHandle#thread};
     * seed 000's {@code parent_tool_run_id}), unless it is soft-deleted. A call that spawned
     * several threads gives the oldest live one. Empty for a call that spawned none, an unknown
     * id, or another tenant's.
     *
     * @param toolCallId the {@link dev.atlas.execution.ToolCall#id()} of the spawning call
     * @return the oldest live thread the call spawned, if any
     */
    Optional<Conversation> toolThread(UUID toolCallId);

    /**
     * Conversations matching the query, keyset-paginated in the query's
     * {@link ConversationQuery#order() order}: newest activity first ({@link ConversationQuery.Order#ACTIVITY},
     * the default: a live view, where a conversation that gets a message while a client pages
     * moves ahead of the cursor and is not listed by the following pages), or oldest first by id
     * ({@link ConversationQuery.Order#CREATION}: never skips nor repeats a conversation that exists
     * through the listing, for a job that must see every one). Another tenant's conversations are
     * never listed.
     *
     * @param query the query: filters, limit and cursor
     * @return one page of results and the cursor of the next
     */
    Page<Conversation> list(ConversationQuery query);

    /**
     * Sets the title; {@code null} clears it so the next user message sets it again.
     *
     * @param conversationId the conversation's id
     * @param title the title, or {@code null}
     * @return the conversation
     */
    Conversation updateTitle(UUID conversationId, @Nullable String title);

    /**
     * Sets the rolling summary (short-term memory); {@code null} clears it. A blank summary is
     * refused, as a blank title is: clear it with {@code null}.
     *
     * @param conversationId the conversation's id
     * @param summary the summary, or {@code null}
     * @return the conversation
     * @throws InvalidInputException on {@code summary} when it is blank or longer than
     *         {@link Limits#MAX_CONTENT_LENGTH}
     */
    Conversation updateSummary(UUID conversationId, @Nullable String summary);

    /**
     * Replaces the metadata document.
     *
     * @param conversationId the conversation's id
     * @param metadata JSON-compatible application data (JSON values in Java's plain types, {@link Limits#MAX_METADATA_LENGTH})
     * @return the conversation
     * @throws InvalidInputException on {@code metadata} (or {@code metadata key}) when a value or key in it is not
     *         JSON-compatible or over a limit, the message naming its path; nothing is written
     */
    Conversation updateMetadata(UUID conversationId, Map<String, ?> metadata);

    /**
     * Replaces the metadata document if it still is {@code expected}: a read-modify-write that
     * loses no concurrent change. Read the conversation, change a copy of its
     * {@link Conversation#metadata()} and pass both; on {@link ConflictException} another write
     * came between the read and this one: read again and retry.
     *
     * @param conversationId the conversation's id
     * @param expected the metadata document as read (compared as JSON values: numbers by value, so 1 matches a stored 1.0)
     * @param metadata JSON-compatible application data, the new document
     * @return the conversation
     * @throws ConflictException naming {@code metadata} when the stored document is no longer {@code expected}
     * @throws InvalidInputException on {@code expected} or {@code metadata} (or their {@code key}) when a value or key
     *         in it is not JSON-compatible ({@link Limits#MAX_METADATA_LENGTH}) or over a limit; nothing is written
     */
    Conversation updateMetadata(UUID conversationId, Map<String, ?> expected, Map<String, ?> metadata);

    /**
     * open → archived. Records the archive time.
     *
     * @param conversationId the conversation's id
     * @return the conversation
     */
    Conversation archive(UUID conversationId);

    /**
     * archived → open.
     *
     * @param conversationId the conversation's id
     * @return the conversation
     */
    Conversation reopen(UUID conversationId);

    /**
     * open or archived → closed; a closed conversation accepts no messages.
     *
     * @param conversationId the conversation's id
     * @return the conversation
     */
    Conversation close(UUID conversationId);

    /**
     * Soft-deletes the conversation: it disappears from reads until {@link #restore(UUID)}.
     *
     * @param conversationId the conversation's id
     */
    void delete(UUID conversationId);

    /**
     * Undoes {@link #delete(UUID)}. Throws {@link ConflictException} when another live
     * conversation has taken its external key meanwhile.
     *
     * @param conversationId the conversation's id
     * @return the conversation
     */
    Conversation restore(UUID conversationId);

    // ---- messages -----------------------------------------------------------------------

    /**
     * Appends a message at the next sequence, in constant time whatever the conversation's
     * length. With a {@linkplain NewMessage#clientId(String) client id} the call is idempotent:
     * a repeat returns the stored message, and a repeat with another role, content type, content, parent,
     * execution, step, author or agent throws {@link ConflictException} on {@code clientId} naming each
     * that differs, in that order ({@code ... with a different role, content}; metadata and status, which
     * change after the send, are not compared). A repeat of what was first sent is still
     * returned after the conversation was closed or the message edited, and after the message was
     * deleted (with its {@link Message#deletedAt()}; nothing is stored again). A message with a parent becomes the active sibling (stored inactive while its parent is inactive); the others
     * answering the same parent with the same role are deactivated in the same transaction (a tool
     * result without an execution deactivates none: see above). A
     * regeneration (a parent that already has an answer of this role; a tool result without an
     * execution is never one) is refused with
     * {@link ConflictException} on {@code parentId} when {@link #canRetry} would say false: an
     * active user message already follows the parent. A first answer is accepted even then: a
     * question answered late follows the messages sent meanwhile. An execution and step, when
     * given, must exist in this tenant and the step must belong to the execution. The first
     * non-blank user text message (not a {@link ContentType#JSON} one) titles an untitled conversation:
     * white space collapsed, and past 80 characters cut at a word boundary and ended with an ellipsis.
     *
     * @param conversationId the conversation's id
     * @param message the message to append
     * @return the message
     */
    Message append(UUID conversationId, NewMessage message);

    /**
     * Appends several messages in one transaction, at consecutive sequences in list order: all
     * are stored, or none. Each message follows the rules of {@link #append}, and a refusal names
     * the message's field by its index, for example {@code messages[2].parentId}; the conversation's
     * counter is updated once for the whole list, so k messages cost about one append's commit.
     * Every message is validated before anything is written; a duplicate client id within the
     * list is refused with {@link InvalidInputException} on {@code messages}. A message whose
     * client id is already stored is not written again: its stored message is returned in its
     * place (one that differs as {@link #append} describes throws {@link ConflictException} on its
     * {@code messages[i].clientId}, the first in the list when several differ, and nothing is written). At most {@link Limits#MAX_PAGE_SIZE} messages per call,
     * holding at most {@link Limits#MAX_BATCH_LENGTH} characters of content, failure reasons and metadata (as stored JSON)
     * together: more is refused with {@link InvalidInputException} on {@code messages} before anything is written; an empty list writes
     * nothing and returns an empty list, once the conversation is found: an unknown, deleted or
     * other tenant's conversation is a {@link NotFoundException}, as for {@link #append}.
     *
     * @param conversationId the conversation to append to
     * @param messages       the messages, in the order they get their sequences
     * @return the stored messages, in the order given
     */
    List<Message> appendAll(UUID conversationId, List<NewMessage> messages);

    /**
     * A message by id, unless it does not exist or is soft-deleted.
     *
     * @param messageId the message's id
     * @return the Message, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Message> getMessage(UUID messageId);

    /**
     * The message with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's.
     *
     * @param messageId the message's id
     * @return the message
     */
    default Message requireMessage(UUID messageId) {
        return getMessage(messageId).orElseThrow(() -> new dev.atlas.NotFoundException("message", messageId));
    }

    /**
     * @deprecated use {@link #getMessage(UUID)}; removed in 1.0.
     * @param messageId the message's id
     * @return the Message, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<Message> message(UUID messageId) {
        return getMessage(messageId);
    }

    /**
     * The last {@code historyLimit} (default 50) active, delivered messages, oldest first.
     *
     * @param conversationId the conversation's id
     * @return the matching items, in order
     */
    List<Message> history(UUID conversationId);

    /**
     * The last {@code limit} active, delivered messages, oldest first.
     *
     * @param conversationId the conversation's id
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return the matching items, in order
     */
    List<Message> history(UUID conversationId, int limit);

    /**
     * "Load older": up to {@code limit} active, delivered messages with a sequence below
     * {@code beforeSequence}, oldest first. Pass the sequence of the oldest message already read:
     * branches interleave in sequence order, so when that message is hidden now (another branch was
     * {@linkplain #activate activated} since it was read) the messages before it that show are
     * another branch's, and the call is refused rather than return them. A message deleted meanwhile
     * at {@code beforeSequence} is no switch: the page continues below it. A message purged meanwhile
     * by retention no longer tells its branch: the page continues below it when no branch below it was
     * ever switched (no message there hidden, none shown again by a switch: a conversation without
     * branches there), and is refused otherwise.
     *
     * @param conversationId the conversation's id
     * @param beforeSequence only messages before this sequence
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return the matching items, in order
     * @throws ConflictException on {@code beforeSequence} when the message at that sequence is hidden,
     *         or was purged while a branch below it was switched: read the history again from
     *         {@link #history(UUID, int)}
     */
    List<Message> historyBefore(UUID conversationId, long beforeSequence, int limit);

    /**
     * Every non-deleted message after {@code afterSequence}, in sequence order, including
     * inactive retry siblings and undelivered messages: the full transcript for a UI.
     *
     * @param conversationId the conversation's id
     * @param afterSequence only messages after this sequence
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return the matching items, in order
     */
    List<Message> messages(UUID conversationId, long afterSequence, int limit);

    /**
     * All messages answering the same parent as this one with the same role (itself included), in
     * sequence order.
     *
     * @param messageId the message's id
     * @return the matching items, in order
     */
    List<Message> siblings(UUID messageId);

    /**
     * The siblings of this message grouped by the execution that produced them, with the position
     * of this message's group: a retried response that wrote several messages counts once.
     *
     * @param messageId the message's id
     * @return the groups; a message without a parent is its only group
     * @throws NotFoundException when the message is unknown, deleted, or in a deleted conversation
     */
    SiblingGroups siblingGroups(UUID messageId);

    /**
     * Makes this message's {@link SiblingGroup} the active answer: every non-deleted message of the
     * same execution answering the same parent becomes active, and the other siblings inactive
     * (a tool result without an execution hides no other answer and is hidden by none).
     * A message of a hidden branch is shown with the inactive messages leading to it; what
     * answered the replaced siblings is hidden with them, and what answers the shown ones comes
     * back (see the tree rule above). Each message that becomes active records an
     * {@code activated} event (a soft-deleted one, whose flag moves with its branch, records none).
     * The branches below the switched turn are derived again from the tree on every call, also
     * when the message was active already: on a database written by 0.2 or earlier, where a message
     * deleted before its branch was switched (and what answers it) may still be flagged active
     * under a hidden one, this puts such flags right. The work does not grow with the depth of the
     * branch (one read of its ancestors, a few statements per 500 messages shown or hidden).
     *
     * @param messageId the message's id
     * @return the message
     */
    Message activate(UUID messageId);

    /**
     * Whether a response to this message's parent may still be regenerated: no active user
     * message follows the parent (for a message without parent: follows the message). The same
     * rule decides whether {@link #append} accepts a regeneration (a first answer is always accepted). For a tool
     * result without an execution it is always true: another result for its parent answers another parallel call.
     * It reads the history as shown: in a hidden branch, a user message the shown branch has after
     * the parent counts, one of the hidden branch does not; {@link #activate} the branch first to
     * regenerate there as it would show.
     *
     * @param messageId the message's id
     * @return whether a response to this message's parent may still be regenerated
     */
    boolean canRetry(UUID messageId);

    /**
     * Moves a message along its status machine; {@code failureReason} only with {@link MessageStatus#FAILED}.
     *
     * @param messageId the message's id
     * @param status the status
     * @param failureReason why it failed, or {@code null}
     * @return the message
     */
    Message updateStatus(UUID messageId, MessageStatus status, @Nullable String failureReason);

    /**
     * Sets the message's status to delivered.
     *
     * @param messageId the message's id
     * @return the message
     */
    default Message markDelivered(UUID messageId) {
        return updateStatus(messageId, MessageStatus.DELIVERED, null);
    }

    /**
     * Sets the message's status to failed with {@code reason}.
     *
     * @param messageId the message's id
     * @param reason why it failed
     * @return the message
     */
    default Message markFailed(UUID messageId, String reason) {
        return updateStatus(messageId, MessageStatus.FAILED, reason);
    }

    /**
     * Records that the message was read (idempotent: the first read time is kept).
     *
     * @param messageId the message's id
     * @return the message
     */
    Message markRead(UUID messageId);

    /**
     * Marks every unread message of the conversation read; returns how many changed.
     *
     * @param conversationId the conversation's id
     * @return how many changed
     */
    int markAllRead(UUID conversationId);

    /**
     * Active, non-deleted messages of the conversation that were not read yet.
     *
     * @param conversationId the conversation's id
     * @return active, non-deleted messages of the conversation that were not read yet
     */
    long unreadCount(UUID conversationId);

    /**
     * Replaces the content, keeping the previous content in the audit trail. The message's
     * vectors are deleted with the old content (store new ones for the new text).
     *
     * @param messageId the message's id
     * @param content the content
     * @return the message
     */
    Message edit(UUID messageId, String content);

    /**
     * Soft-deletes a message; it leaves history and transcripts. What answers it stays as it was, and
     * still leaves and comes back with the deleted message's branch (see the tree rule above).
     *
     * @param messageId the message's id
     */
    void deleteMessage(UUID messageId);

    /**
     * Brings back a soft-deleted message, recording a {@code restored} event. Restoring never
     * switches the branch a conversation shows: the message comes back with the active flag it had,
     * except that when a sibling of another {@link SiblingGroup} is active now, or the message it
     * answers or any message above that is inactive, it comes back inactive (call {@link #activate} to show it).
     * Only this message comes back: a deleted message it answers stays deleted, and the answer shows
     * where its branch shows, as a live answer of a deleted message does. Restoring a message that is
     * not deleted returns it unchanged.
     *
     * @param messageId the message's id
     * @return the restored message
     * @throws NotFoundException when the message is unknown or its conversation is deleted
     */
    Message restoreMessage(UUID messageId);

    /**
     * Replaces a message's metadata, keeping the previous metadata in the audit trail
     * ({@code metadata_updated}, details {@code previousMetadata}).
     *
     * @param messageId the message's id
     * @param metadata  the new metadata (JSON-compatible values (JSON values in Java's plain types, {@link Limits#MAX_METADATA_LENGTH}); empty clears it)
     * @return the message
     * @throws InvalidInputException on {@code metadata} (or {@code metadata key}) when a value or key in it is not
     *         JSON-compatible or over a limit, the message naming its path; nothing is written
     * @throws NotFoundException when the message is unknown or deleted
     */
    Message updateMessageMetadata(UUID messageId, Map<String, ?> metadata);

    /**
     * Records an application-defined event in a message's audit trail, for example
     * {@code recordEvent(id, MessageEventType.app("feedback.thumbs_down"), Map.of("reason", "wrong"))}.
     * Works on a soft-deleted message too, whose trail stays readable.
     *
     * @param messageId the message's id
     * @param type      an {@link MessageEventType#app} type; Atlas's own types are refused
     * @param details   what happened (JSON-compatible values (JSON values in Java's plain types, {@link Limits#MAX_METADATA_LENGTH}); may be empty)
     * @return the recorded event
     * @throws InvalidInputException naming {@code type} for one of Atlas's own types, or {@code details} (or {@code details key})
     *         when a value or key in it is not JSON-compatible or over a limit
     * @throws NotFoundException when the message is unknown or its conversation is deleted
     */
    MessageEvent recordEvent(UUID messageId, MessageEventType type, Map<String, ?> details);

    /**
     * One page of the message's audit trail, oldest first, at most {@link Limits#MAX_PAGE_SIZE}
     * events; follow {@link Page#nextCursor()} for the rest. Oldest first is the order the events
     * were written in: an instance whose clock runs behind the one that wrote the message's latest
     * event records its event 1 µs after that one. A soft-deleted message keeps its
     * trail; a message of a soft-deleted conversation is not found. The trail of a whole
     * conversation is {@link #events(ConversationEventQuery)}.
     *
     * @param query the query: filters, limit and cursor
     * @return one page of results and the cursor of the next
     * @throws NotFoundException when the message is unknown, another tenant's, or of a soft-deleted conversation
     * @throws InvalidInputException on {@code cursor} when it was not handed out by a page of the
     *         same message's trail in this tenant
     */
    Page<MessageEvent> events(MessageEventQuery query);

    /**
     * The first page ({@value MessageEventQuery#DEFAULT_LIMIT} events at most) of the message's audit trail.
     *
     * @param messageId the message's id
     * @return one page of results and the cursor of the next
     */
    default Page<MessageEvent> events(UUID messageId) {
        return events(MessageEventQuery.forMessage(messageId));
    }

    /**
     * One page of a conversation's event trail: the audit events of all its messages, soft-deleted
     * ones included (their trail is the record of what happened to them), optionally only some
     * types and a time range {@code [from, to)}, oldest or newest first by
     * {@link MessageEvent#createdAt()}, ties broken by id; at most {@link Limits#MAX_PAGE_SIZE}
     * events, follow {@link Page#nextCursor()} for the rest. Events of its tool threads' messages
     * are their own conversations' trails.
     *
     * <p>A page starts strictly after its cursor's event (time, then id), so paging never lists an
     * event twice nor skips one committed before the first page was read. An event committed
     * while a client pages is listed by a later page only when it sorts after the cursor, by the
     * time its writer stamped: usually newer than the pages read (newest first it is not listed,
     * oldest first it is listed at the end), but earlier when its writer's clock ran behind, or, on
     * PostgreSQL, when it is an append's {@code created} event and the append waited for the
     * conversation's lock (an append stamps before its single statement takes the lock, so events
     * another write commits meanwhile can be newer): then it sorts among the events already read, not listed
     * oldest first and listed by a later page newest first. A reader that must not miss one
     * re-reads an overlapping window with {@link ConversationEventQuery#from(java.time.Instant)}.
     * Retention's hard delete of messages removes their events too. Within one message, events are in the order they were written
     * (see {@link #events(MessageEventQuery)}); across messages, by the time each writer stamped,
     * so an instance whose clock runs behind places its events earlier than they happened.
     *
     * @param query the conversation, filters, order, limit and cursor
     * @return one page of events and the cursor of the next
     * @throws NotFoundException when the conversation is unknown, another tenant's or soft-deleted
     * @throws InvalidInputException on {@code query} when it is {@code null}, on {@code cursor}
     *         when it was not handed out by a page of the same query (conversation, types, bounds
     *         and order) of this tenant (checked first: another conversation's cursor is refused so
     *         whether or not the conversation exists here)
     */
    Page<MessageEvent> events(ConversationEventQuery query);
}
