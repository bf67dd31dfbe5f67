package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.conversation.ContentType;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventQuery;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.conversation.SiblingGroup;
import dev.atlas.conversation.SiblingGroups;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.internal.Check;
import dev.atlas.internal.Titles;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Transition;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.SqlFailure;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/** {@link ConversationStore} on the tenant-bound statement runner ({@link ConversationSql}, {@link MessageSql}). */
public final class JdbiConversationStore implements ConversationStore {
    private final Db db;
    private final String tenant;
    private final int historyLimit;
    private final Sql sql;
    private final ConversationSql cq;
    private final ExecutionSql xq;
    private final MessageSql mq;
    private final RowMapper<Conversation> conversations;
    private final RowMapper<Message> messages;
    private final RowMapper<MessageEvent> events;

    public JdbiConversationStore(Db db, String tenant, int historyLimit) {
        this.db = db;
        this.tenant = tenant;
        this.historyLimit = historyLimit;
        this.sql = new Sql(db, new TenantId(tenant));
        this.cq = db.statements(ConversationSql.class, ConversationSql::new);
        this.mq = db.statements(MessageSql.class, MessageSql::new);
        this.xq = db.statements(ExecutionSql.class, ExecutionSql::new);
        this.conversations = Rows.conversation(db.dialect());
        this.messages = Rows.message(db.dialect());
        this.events = Rows.event(db.dialect());
    }

    // ---- conversations ------------------------------------------------------------------

    @Override
    public Conversation create(NewConversation nc) {
        Check.notNull("conversation", nc);
        return insertConversation(nc, null).orElseThrow();
    }

    @Override
    public Optional<Conversation> getByKey(String externalKey) {
        Check.key("externalKey", externalKey);
        return db.read(h -> findByKey(h, externalKey));
    }

    @Override
    public Conversation ensure(String externalKey, NewConversation nc) {
        Check.key("externalKey", externalKey);
        Check.notNull("conversation", nc);
        // A key's conversation may be deleted between our insert attempt and our lookup; a
        // few rounds settle it, since each round either finds a live row or inserts one.
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<Conversation> existing = db.read(h -> findByKey(h, externalKey));
            if (existing.isPresent()) {
                return existing.get();
            }
            Optional<Conversation> created = insertConversation(nc, externalKey);
            if (created.isPresent()) {
                return created.get();
            }
        }
        throw new ConflictException("externalKey", "conversation with external key " + dev.atlas.internal.Check.escaped(externalKey)
                + " was deleted and re-created concurrently while ensuring it; retry");
    }

    private Optional<Conversation> findByKey(Handle h, String key) {
        return sql.on(h, cq.byKey).bind("key", key).optional(conversations);
    }

    /**
     * Inserts the conversation. With an external key the insert does nothing when a live
     * conversation of the tenant already holds the key (empty result): PostgreSQL makes a
     * concurrent insert of the same key wait for the first to commit or roll back, and SQLite
     * runs one writer at a time, so two callers never both create.
     */
    private Optional<Conversation> insertConversation(NewConversation nc, String key) {
        JsonDoc metadata = Json.write("metadata", nc.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Instant now = db.now();
            if (nc.assistantId() != null) {
                requireRow(h, cq.assistantExists, nc.assistantId(), "assistant", "assistantId");
            }
            UUID assistant = nc.assistantRevisionId() == null ? nc.assistantId() : revisionAssistant(h, nc);
            if (nc.parentConversationId() != null) {
                findConversation(h, nc.parentConversationId())
                        .orElseThrow(() -> new NotFoundException("conversation", nc.parentConversationId(), "parentConversationId"));
            }
            if (nc.parentToolCallId() != null) {
                requireCallOfParent(h, nc.parentToolCallId(), nc.parentConversationId());
            }
            int inserted = sql.on(h, key == null ? cq.insert : cq.insertUnlessKeyTaken).bind("id", id)
                    .bind("ownerType", nc.owner().type()).bind("ownerId", nc.owner().id())
                    .bind("agent", nc.agent()).bind("assistant", assistant).bind("revision", nc.assistantRevisionId())
                    .bind("type", nc.type().toString()).bind("parent", nc.parentConversationId())
                    .bind("parentToolCall", nc.parentToolCallId()).bind("title", nc.title()).bind("metadata", metadata)
                    .bind("now", now).bind("key", key)
                    .update();
            if (inserted == 0) {
                return Optional.<Conversation>empty();
            }
            return Optional.of(new Conversation(id, tenant, nc.owner(), nc.agent(), assistant, nc.type(), nc.parentConversationId(),
                    nc.parentToolCallId(), nc.title(), null, ConversationStatus.OPEN, Json.readMap(metadata), 0, null, null,
                    null, now, now, null, nc.assistantRevisionId(), key));
        });
    }

    /**
     * A tool thread's parent tool call is a call of an execution of its parent conversation, as
     * {@code ToolCallHandle.thread} makes it: one of another conversation listed the thread under a
     * call it did not answer. Another tenant's call fails like an unknown one.
     */
    private void requireCallOfParent(Handle h, UUID call, UUID parent) {
        UUID[] of = sql.on(h, xq.toolCallConversation).bind("id", call)
                .optional((rs, ctx) -> new UUID[] {db.dialect().uuid(rs, "conversation_id")})
                .orElseThrow(() -> new NotFoundException("tool call", call, "parentToolCallId"));
        if (!parent.equals(of[0])) {
            throw new InvalidInputException("parentToolCallId", "tool call " + call + " is not a call of conversation " + parent
                    + (of[0] == null ? " (its execution has no conversation)" : " (it is a call of conversation " + of[0] + ")")
                    + ": a tool thread's parent tool call is a call of its parent conversation");
        }
    }

    /** Refuses an id carried in a write's input unless its row is in this tenant: another tenant's id fails like an unknown one. */
    private void requireRow(Handle h, Statement lookup, UUID id, String entity, String field) {
        if (!sql.on(h, lookup).bind("id", id).exists()) {
            throw new NotFoundException(entity, id, field);
        }
    }

    /** The assistant owning the given revision, which must exist in this tenant and, when the caller also named an assistant, be it. */
    private UUID revisionAssistant(Handle h, NewConversation nc) {
        UUID owner = sql.on(h, cq.revisionAssistant).bind("id", nc.assistantRevisionId()).optional(sql.uuidColumn())
                .orElseThrow(() -> new NotFoundException("assistant revision", nc.assistantRevisionId(), "assistantRevisionId"));
        if (nc.assistantId() != null && !nc.assistantId().equals(owner)) {
            throw new InvalidInputException("assistantRevisionId", "revision " + nc.assistantRevisionId() + " belongs to assistant "
                    + owner + ", not to assistantId " + nc.assistantId());
        }
        return owner;
    }

    @Override
    public Optional<Conversation> get(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.read(h -> findConversation(h, conversationId));
    }

    private Optional<Conversation> findConversation(Handle h, UUID id) {
        return sql.on(h, cq.byId).bind("id", id).optional(conversations);
    }

    private Conversation requireLiveConversation(Handle h, UUID conversationId) {
        return findConversation(h, conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId));
    }

    /** {@link #requireLiveConversation} for a write into it: the refusal names {@code conversationId}, as a closed one's does. */
    private Conversation requireLiveConversationToWrite(Handle h, UUID conversationId) {
        return findConversation(h, conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId, "conversationId"));
    }

    @Override
    public Page<Conversation> list(ConversationQuery q) {
        Check.notNull("query", q);
        boolean byCreation = q.order() == ConversationQuery.Order.CREATION;
        // Each order its own listing name, so a cursor of one is refused by the other.
        Cursor.Listing listing = sql.listing(byCreation ? "conversationsByCreation" : "conversations", q.owner() == null ? null : q.owner().type(),
                q.owner() == null ? null : q.owner().id(), q.agent(), q.status(), q.includeDeleted());
        Cursor after = q.cursor() == null ? null : Cursor.decode(q.cursor(), listing, byCreation ? 1 : 2);
        Where where = new Where()
                .and(ConversationSql.OWNER_TYPE, "ownerType", q.owner() == null ? null : q.owner().type())
                .and(ConversationSql.OWNER_ID, "ownerId", q.owner() == null ? null : q.owner().id())
                .and(ConversationSql.AGENT, "agent", q.agent())
                .and(ConversationSql.STATUS, "status", q.status() == null ? null : q.status().toString())
                .and(!q.includeDeleted(), ConversationSql.LIVE);
        if (byCreation) {
            where.and(ConversationSql.CREATION_AFTER, "afterId", after == null ? null : after.uuid(0));
            Statement listById = cq.catalogue.render("conversations.listByCreation", ConversationSql.SELECT + " WHERE tenant_id = :t" + where
                    + " ORDER BY id LIMIT :limit");
            List<Conversation> rows = db.read(h -> where.bindTo(sql.on(h, listById)).bind("limit", q.limit() + 1).list(conversations));
            return Cursor.page(rows, q.limit(), c -> Cursor.encode(listing, c.id()));
        }
        where.and(ConversationSql.LIST_AFTER, "afterAt", after == null ? null : after.instant(0));
        Statement list = cq.list(where.toString());
        // The cursor holds the ordering column itself: an imported row's activity_at need not be its last message's time.
        List<Map.Entry<Conversation, Instant>> rows = db.read(h -> {
            Sql.Call call = where.bindTo(sql.on(h, list)).bind("limit", q.limit() + 1);
            return (after == null ? call : call.bind("afterId", after.uuid(1)))
                    .list(Rows.guard("conversations", "id",
                            (rs, ctx) -> Map.entry(conversations.map(rs, ctx), db.dialect().instant(rs, "activity_at"))));
        });
        Page<Map.Entry<Conversation, Instant>> page = Cursor.page(rows, q.limit(), e -> Cursor.encode(listing, e.getValue(), e.getKey().id()));
        return new Page<>(page.items().stream().map(Map.Entry::getKey).toList(), page.nextCursor());
    }

    @Override
    public Page<Conversation> toolThreads(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing("toolThreads", conversationId);
        Cursor after = cursor == null ? null : Cursor.decode(cursor, listing, 2);
        List<Conversation> rows = db.read(h -> (after == null ? sql.on(h, cq.toolThreads)
                : sql.on(h, cq.toolThreadsAfter).bind("afterAt", after.instant(0)).bind("afterId", after.uuid(1)))
                .bind("parent", conversationId).bind("limit", limit + 1).list(conversations));
        return Cursor.page(rows, limit, c -> Cursor.encode(listing, c.createdAt(), c.id()));
    }

    @Override
    public Optional<Conversation> toolThread(UUID toolCallId) {
        Check.notNull("toolCallId", toolCallId);
        return db.read(h -> sql.on(h, cq.toolThread).bind("call", toolCallId).optional(conversations));
    }

    @Override
    public Conversation updateTitle(UUID conversationId, String title) {
        Check.optionalNonBlank("title", title, Limits.MAX_TITLE_LENGTH);
        return updateConversation(conversationId, cq.setTitle, title);
    }

    @Override
    public Conversation updateSummary(UUID conversationId, String summary) {
        Check.optionalNonBlank("summary", summary, Limits.MAX_CONTENT_LENGTH);
        return updateConversation(conversationId, cq.setSummary, summary);
    }

    @Override
    public Conversation updateMetadata(UUID conversationId, Map<String, ?> metadata) {
        JsonDoc doc = Json.write("metadata", Check.metadata("metadata", metadata));
        return updateConversation(conversationId, cq.setMetadata, doc);
    }

    @Override
    public Conversation updateMetadata(UUID conversationId, Map<String, ?> expected, Map<String, ?> metadata) {
        Check.notNull("conversationId", conversationId);
        Check.notNull("expected", expected);
        // Compared as read back, not as text: key order and number forms differ between what was
        // given and what a database stores (jsonb reorders keys).
        Map<String, Object> was = Json.readMap(Json.write("expected", Check.metadata("expected", expected)));
        JsonDoc doc = Json.write("metadata", Check.metadata("metadata", metadata));
        return db.write(h -> {
            Conversation current = sql.on(h, cq.byIdForUpdate).bind("id", conversationId).optional(conversations)
                    .orElseThrow(() -> new NotFoundException("conversation", conversationId));
            if (!Json.sameValue(current.metadata(), was)) {
                throw new ConflictException("metadata", "was changed since it was read: read the conversation again and retry");
            }
            return sql.on(h, cq.setMetadata).bind("id", conversationId).bind("value", doc).bind("now", db.now()).one(conversations);
        });
    }

    private Conversation updateConversation(UUID conversationId, Statement update, Object value) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> sql.on(h, update).bind("id", conversationId).bind("value", value).bind("now", db.now())
                .optional(conversations)
                .orElseThrow(() -> new NotFoundException("conversation", conversationId)));
    }

    @Override
    public Conversation archive(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.ARCHIVED);
    }

    @Override
    public Conversation reopen(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.OPEN);
    }

    @Override
    public Conversation close(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.CLOSED);
    }

    private Conversation moveConversation(UUID conversationId, ConversationStatus target) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> Transition.apply(
                sql.on(h, cq.moveTo.get(target)).bind("id", conversationId).bind("now", db.now()).optional(conversations),
                () -> findConversation(h, conversationId), () -> new NotFoundException("conversation", conversationId),
                current -> current.status().checkMoveTo(target)));
    }

    @Override
    public void delete(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        if (db.write(h -> sql.on(h, cq.delete).bind("id", conversationId).bind("now", db.now()).update()) == 0) {
            throw new NotFoundException("conversation", conversationId);
        }
    }

    @Override
    public Conversation restore(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> {
            // The key's unique index covers live conversations only; say why a restore cannot
            // proceed instead of surfacing the index violation.
            Optional<String> takenKey = sql.on(h, cq.keyTakenByLive).bind("id", conversationId).optional(Sql.STRING);
            if (takenKey.isPresent()) {
                throw new ConflictException("externalKey", "another live conversation holds external key " + takenKey.get()
                        + "; delete it or give this one up before restoring " + conversationId);
            }
            try {
                return sql.on(h, cq.restore).bind("id", conversationId).bind("now", db.now()).optional(conversations)
                        .orElseThrow(() -> new NotFoundException("conversation", conversationId));
            } catch (SqlFailure e) {
                // PostgreSQL: a concurrent restore or ensure took the key after the check above.
                if (JdbiAssistantStore.isUniqueViolation(e)) {
                    throw new ConflictException("externalKey", "another live conversation took its external key while " + conversationId
                            + " was being restored; delete it or give this one up before restoring");
                }
                throw e;
            }
        });
    }

    // ---- messages -----------------------------------------------------------------------

    /** Carries already-stored messages out of a transaction that must roll back (an idempotent replay: nothing to write). */
    private static final class Replay extends RuntimeException {
        final List<Message> messages;

        Replay(List<Message> messages) {
            super(null, null, false, false);
            this.messages = messages;
        }
    }

    @Override
    public Message append(UUID conversationId, NewMessage m) {
        return append(conversationId, m, false);
    }

    /**
     * An execution's reply: {@link #append} that also requires the linked execution to be
     * processing, checked under its lock in the insert's transaction, so an execution finished by
     * another handle or process takes no late reply.
     */
    Message reply(UUID conversationId, NewMessage m) {
        return append(conversationId, m, true);
    }

    private Message append(UUID conversationId, NewMessage m, boolean whileRunning) {
        Check.notNull("conversationId", conversationId);
        Check.notNull("message", m);
        if (m.contentType() == ContentType.JSON) {
            Json.validate("content", m.content());
        }
        JsonDoc metadata = Json.write("metadata", m.metadata());
        String autoTitle = m.role() == Role.USER && m.contentType() == ContentType.TEXT ? Titles.fromMessage(m.content()) : null;
        UUID id = Ids.next(db.clock());
        if (!whileRunning && plain(m)) {
            Optional<Message> appended = appendPlain(id, conversationId, m, metadata, autoTitle);
            if (appended.isPresent()) {
                return appended.get();
            }
            // Nothing written: the full path below says why (not found, or closed).
        }
        try {
            return db.write(h -> {
                Instant now = db.now();
                // Taking the next sequence first also row-locks the conversation on PostgreSQL,
                // which orders concurrent appends (and idempotent replays) to it.
                long seq;
                try {
                    seq = advanceSequence(h, conversationId, 1, now, autoTitle);
                } catch (ConflictException closed) {
                    // A replay writes nothing and closed is final, so a re-send after the close
                    // still gets the message it stored; only a new message is refused.
                    replayIfStored(h, conversationId, m);
                    throw closed;
                }
                replayIfStored(h, conversationId, m);
                return insertMessage(h, id, conversationId, seq, m, "", metadata, now, whileRunning);
            });
        } catch (Replay r) {
            return r.messages.get(0);
        }
    }

    /** Whether {@code m} can be appended by {@link MessageSql#appendPlain} (PostgreSQL): nothing to look up first. */
    private boolean plain(NewMessage m) {
        return mq.appendPlain != null && m.clientId() == null && m.parentId() == null && m.executionId() == null && m.stepId() == null;
    }

    /** {@link MessageSql#appendPlain}: the message as stored, or empty when nothing was written. */
    private Optional<Message> appendPlain(UUID id, UUID conversationId, NewMessage m, JsonDoc metadata, String autoTitle) {
        UUID eventId = Ids.next(db.clock());
        return db.writeOneStatement(h -> {
            Instant now = db.now();
            return sql.on(h, mq.appendPlain).bind("conversation", conversationId).bind("count", 1).bind("now", now)
                    .bind("title", autoTitle).bind("id", id).bind("role", m.role().toString())
                    .bind("contentType", m.contentType().toString()).bind("content", m.content()).bind("status", m.status().toString())
                    .bind("failureReason", m.failureReason()).bind("authorType", m.author() == null ? null : m.author().type())
                    .bind("authorId", m.author() == null ? null : m.author().id()).bind("agent", m.agent()).bind("metadata", metadata)
                    .bind("searchText", SearchText.index(m.content())).bind("eventId", eventId).optional(Sql.LONG)
                    .map(seq -> stored(id, conversationId, seq, m, true, metadata, now));
        });
    }

    private Message stored(UUID id, UUID conversationId, long seq, NewMessage m, boolean active, JsonDoc metadata, Instant now) {
        return new Message(id, tenant, conversationId, seq, m.role(), m.contentType(), m.content(), m.status(),
                m.failureReason(), active, m.clientId(), m.author(), m.agent(), m.parentId(), m.executionId(), m.stepId(),
                m.metadata().isEmpty() ? Map.of() : Json.readMap(metadata), null, null, now, now, null);
    }

    /** Throws {@link Replay} with the message stored under {@code m}'s client id, if any (a conflict if it differs). */
    private void replayIfStored(Handle h, UUID conversationId, NewMessage m) {
        if (m.clientId() != null) {
            Optional<Message> existing = sql.on(h, mq.byClientId).bind("conversation", conversationId)
                    .bind("clientId", m.clientId()).optional(messages);
            if (existing.isPresent()) {
                throw new Replay(List.of(sameOrConflict(h, existing.get(), m, "clientId")));
            }
        }
    }

    private Message sameOrConflict(Handle h, Message stored, NewMessage m, String field) {
        // Every part of the message that differs is named. What it answers, which call produced it and who wrote
        // it are the message too: a re-send differing there is another message (metadata and status change after
        // the send, so they are not compared; content edited since it was sent as m's is the same).
        List<String> differ = new ArrayList<>();
        addIfDiffer(differ, "role", stored.role(), m.role());
        addIfDiffer(differ, "contentType", stored.contentType(), m.contentType());
        if (!stored.content().equals(m.content()) && !sentAsEdited(h, stored, m.content())) {
            differ.add("content");
        }
        addIfDiffer(differ, "parentId", stored.parentId(), m.parentId());
        addIfDiffer(differ, "executionId", stored.executionId(), m.executionId());
        addIfDiffer(differ, "stepId", stored.stepId(), m.stepId());
        addIfDiffer(differ, "author", stored.author(), m.author());
        addIfDiffer(differ, "agent", stored.agent(), m.agent());
        if (!differ.isEmpty()) {
            throw new ConflictException(field, "'" + Check.escaped(m.clientId()) + "' was already used for message " + stored.id()
                    + " with a different " + String.join(", ", differ));
        }
        return stored;
    }

    private static void addIfDiffer(List<String> differ, String name, Object stored, Object sent) {
        if (!java.util.Objects.equals(stored, sent)) {
            differ.add(name);
        }
    }

    /**
     * Whether {@code stored} was edited since it was sent with {@code content}: a re-send of the
     * original text is the same send, whatever edits came after it.
     */
    private boolean sentAsEdited(Handle h, Message stored, String content) {
        if (stored.editedAt() == null) {
            return false;
        }
        // Edits recorded before the mark existed: the oldest one replaced what was sent.
        List<MessageEvent> edits = sql.on(h, mq.edits).bind("message", stored.id()).list(events);
        return edits.stream().filter(e -> Boolean.TRUE.equals(e.details().get("original"))).findFirst()
                .or(() -> edits.stream().findFirst())
                .map(e -> content.equals(e.details().get("previousContent"))).orElse(false);
    }

    @Override
    public List<Message> appendAll(UUID conversationId, List<NewMessage> newMessages) {
        Check.notNull("conversationId", conversationId);
        // Check.list reads null as "no elements"; here null is a missing request.
        List<NewMessage> all = Check.list("messages", Check.notNull("messages", newMessages));
        if (all.size() > Limits.MAX_PAGE_SIZE) {
            throw new InvalidInputException("messages", "has " + all.size() + " messages; at most " + Limits.MAX_PAGE_SIZE + " per call");
        }
        if (all.isEmpty()) {
            // Nothing to write, but an unknown conversation is named as append names it.
            db.read(h -> requireLiveConversationToWrite(h, conversationId));
            return List.of();
        }
        int k = all.size();
        JsonDoc[] metadata = new JsonDoc[k];
        UUID[] ids = new UUID[k];
        Map<String, Integer> keyed = new LinkedHashMap<>();
        long length = 0;
        for (int i = 0; i < k; i++) {
            NewMessage m = all.get(i);
            if (m.contentType() == ContentType.JSON) {
                Json.validate("messages[" + i + "].content", m.content());
            }
            metadata[i] = Json.write("messages[" + i + "].metadata", m.metadata());
            length += m.content().length() + metadata[i].text().length() + (m.failureReason() == null ? 0 : m.failureReason().length());
            if (length > Limits.MAX_BATCH_LENGTH) {
                throw new InvalidInputException("messages", "messages[0.." + i + "] hold more than "
                        + String.format(java.util.Locale.ROOT, "%,d", Limits.MAX_BATCH_LENGTH)
                        + " characters of content, metadata and failure reasons together (Limits.MAX_BATCH_LENGTH); split the list into smaller calls");
            }
            if (m.clientId() != null) {
                Integer earlier = keyed.putIfAbsent(m.clientId(), i);
                if (earlier != null) {
                    throw new InvalidInputException("messages", "client id '" + Check.escaped(m.clientId()) + "' is used by messages " + earlier + " and " + i
                            + "; each message needs its own");
                }
            }
            ids[i] = Ids.next(db.clock());
        }
        NewMessage only = all.get(0);
        if (k == 1 && plain(only)) {
            // A chat memory's usual call: one new message.
            Optional<Message> appended = appendPlain(ids[0], conversationId, only, metadata[0],
                    only.role() == Role.USER && only.contentType() == ContentType.TEXT ? Titles.fromMessage(only.content()) : null);
            if (appended.isPresent()) {
                return List.of(appended.get());
            }
        }
        try {
            return db.write(h -> {
                Instant now = db.now();
                Map<Integer, Message> stored = keyed.isEmpty() ? Map.of() : storedByClientId(h, conversationId, all, keyed, now);
                List<Integer> fresh = new ArrayList<>(k);
                String autoTitle = null;
                for (int i = 0; i < k; i++) {
                    if (!stored.containsKey(i)) {
                        fresh.add(i);
                        NewMessage m = all.get(i);
                        if (autoTitle == null && m.role() == Role.USER && m.contentType() == ContentType.TEXT) {
                            autoTitle = Titles.fromMessage(m.content());
                        }
                    }
                }
                Message[] out = new Message[k];
                stored.forEach((i, m) -> out[i] = m);
                if (fresh.isEmpty()) {
                    throw new Replay(List.of(out));
                }
                // One counter update for the whole list: the messages take consecutive sequences.
                long seq = advanceSequence(h, conversationId, fresh.size(), now, autoTitle) - fresh.size() + 1;
                for (int i : fresh) {
                    // Links and parents are checked message by message, after the earlier ones are
                    // stored, so the list behaves exactly like k appends in a row.
                    out[i] = insertMessage(h, ids[i], conversationId, seq++, all.get(i), "messages[" + i + "].", metadata[i], now, false);
                }
                // An answer inserted after a message of the list was built (a later one of the list), or
                // after it was looked up (a re-sent one: looked up before any insert), may have switched
                // its branch (its sibling, or an ancestor): return that one as it is now stored.
                for (int j = 0; j < k; j++) {
                    if (switchedLater(out, fresh, stored.containsKey(j), j)) {
                        out[j] = sql.on(h, mq.byIdWithDeleted).bind("id", out[j].id()).one(messages);
                    }
                }
                return List.of(out);
            });
        } catch (Replay r) {
            return r.messages;
        }
    }

    /**
     * Whether {@code out[j]} answers a message and a message inserted after {@code out[j]} was read does too: that may
     * have switched its branch. A re-sent message ({@code replayed}) was read before every insert of the list.
     */
    private static boolean switchedLater(Message[] out, List<Integer> fresh, boolean replayed, int j) {
        return out[j].parentId() != null && fresh.stream().anyMatch(i -> (replayed || i > j) && out[i].parentId() != null);
    }

    /**
     * The already stored messages among the keyed ones of {@code all}, by index; a stored key whose
     * message differs throws ({@link #sameOrConflict}). Locks the conversation first (PostgreSQL: its row;
     * SQLite: the write transaction already holds the database) so no concurrent append can store
     * one of these keys between the lookup and the insert.
     */
    private Map<Integer, Message> storedByClientId(Handle h, UUID conversationId, List<NewMessage> all, Map<String, Integer> keyed,
                                                   Instant now) {
        try {
            advanceSequence(h, conversationId, 0, now, null);
        } catch (ConflictException closed) {
            // Closed is final, so no append can store these keys meanwhile: look them up without
            // the lock; re-sent ones come back, and new ones are refused when they take sequences.
        }
        Where keys = new Where().in("client_message_id", "key", List.copyOf(keyed.keySet()));
        Statement lookup = mq.catalogue.render("messages.byClientIds", MessageSql.SELECT
                + " WHERE tenant_id = :t AND conversation_id = :conversation" + keys);
        Map<Integer, Message> found = new TreeMap<>();
        // Listed first: checking an edited one runs another statement, not while these are read.
        for (Message e : keys.bindTo(sql.on(h, lookup)).bind("conversation", conversationId).list(messages)) {
            found.put(keyed.get(e.clientId()), e);
        }
        // Checked in list order, not in the order the database read them: of several that differ, the first is named.
        Map<Integer, Message> stored = new TreeMap<>();
        found.forEach((i, e) -> stored.put(i, sameOrConflict(h, e, all.get(i), "messages[" + i + "].clientId")));
        return stored;
    }

    /**
     * Adds {@code count} to the open conversation's counter and returns the new value (the last
     * sequence taken). On PostgreSQL it also row-locks the conversation, which orders concurrent
     * appends to it. A missing or deleted conversation is not found; a closed one takes no messages.
     */
    private long advanceSequence(Handle h, UUID conversationId, int count, Instant now, String autoTitle) {
        Optional<Long> last = sql.on(h, cq.advanceSequence).bind("id", conversationId).bind("count", count).bind("now", now)
                .bind("title", autoTitle).optional(Sql.LONG);
        if (last.isPresent()) {
            return last.get();
        }
        requireLiveConversationToWrite(h, conversationId);
        throw new ConflictException("conversationId", "conversation " + conversationId + " is closed and accepts no messages");
    }

    /**
     * Checks the links of {@code m}, deactivates the siblings it replaces, and stores it with its
     * {@code created} event; a refused link names its field after {@code at} ({@code messages[i].} in a list).
     */
    private Message insertMessage(Handle h, UUID id, UUID conversationId, long seq, NewMessage m, String at, JsonDoc metadata,
                                  Instant now, boolean whileRunning) {
        requireExecutionLinks(h, m, at, whileRunning);
        // An answer to a message of a hidden branch is stored hidden with it: it shows when that branch is switched back to.
        boolean active = true;
        if (m.parentId() != null) {
            Parent parent = requireAnswerableParent(h, conversationId, m, at);
            // The parent's own flag is its path's: V36 put right the stale flags older versions left under hidden messages,
            // and every write since keeps them (a walk up the path here cost one lookup per level of the conversation).
            active = parent.active();
            if (active && !answersAlone(m.role(), m.executionId())) {
                // The execution's earlier answers come back with it when another group was shown meanwhile.
                Switch s = switchGroup(h, conversationId, m.parentId(), m.role(), m.executionId(), now);
                for (Message rejoined : s.activated()) {
                    if (!rejoined.isDeleted()) {
                        recordEvent(h, conversationId, rejoined.id(), MessageEventType.ACTIVATED, Map.of(), now);
                    }
                }
                if (s.changed()) {
                    showBranches(h, conversationId, parent.sequence(), Set.of(), ids(s.activated()), now);
                }
            }
        }
        sql.on(h, mq.insert).bind("id", id).bind("conversation", conversationId).bind("sequence", seq).bind("active", active)
                .bind("role", m.role().toString()).bind("contentType", m.contentType().toString()).bind("content", m.content())
                .bind("status", m.status().toString()).bind("failureReason", m.failureReason()).bind("clientId", m.clientId())
                .bind("authorType", m.author() == null ? null : m.author().type())
                .bind("authorId", m.author() == null ? null : m.author().id())
                .bind("agent", m.agent()).bind("parent", m.parentId()).bind("execution", m.executionId()).bind("step", m.stepId())
                .bind("metadata", metadata).bind("now", now).bind("searchText", SearchText.index(m.content()))
                .update();
        // Role and status are enum wire names (plain ASCII words), so the details need no escaping.
        sql.on(h, mq.insertEvent).bind("id", Ids.next(db.clock())).bind("conversation", conversationId).bind("message", id)
                .bind("type", MessageEventType.CREATED.toString())
                .bind("details", new JsonDoc("{\"sequence\":" + seq + ",\"role\":\"" + m.role() + "\",\"status\":\"" + m.status() + "\"}"))
                .bind("now", now).update();
        return stored(id, conversationId, seq, m, active, metadata, now);
    }

    /**
     * The execution and step a message links to exist in this tenant, and the step is the
     * execution's; {@code whileRunning}: the execution is processing.
     */
    private void requireExecutionLinks(Handle h, NewMessage m, String at, boolean whileRunning) {
        if (m.executionId() == null) {
            return;
        }
        // One round trip for all: the step is joined within the execution's tenant.
        Map.Entry<String, Optional<UUID>> link = sql.on(h, mq.executionOfStep).bind("execution", m.executionId()).bind("step", m.stepId())
                .optional((rs, ctx) -> Map.entry(rs.getString("status"), Optional.ofNullable(db.dialect().uuid(rs, "execution_id"))))
                .orElseThrow(() -> new NotFoundException("execution", m.executionId(), at + "executionId"));
        if (whileRunning && !ExecutionStatus.PROCESSING.toString().equals(link.getKey())) {
            throw new ConflictException(at + "executionId", "execution " + m.executionId() + " is " + link.getKey()
                    + "; a reply can only be recorded while it runs, so record it before complete, fail or cancel");
        }
        Optional<UUID> stepExecution = link.getValue();
        if (m.stepId() == null) {
            return;
        }
        if (stepExecution.isEmpty()) {
            throw new NotFoundException("step", m.stepId(), at + "stepId");
        }
        if (!stepExecution.get().equals(m.executionId())) {
            throw new InvalidInputException(at + "stepId", "step " + m.stepId() + " belongs to execution " + stepExecution.get()
                    + ", not to executionId " + m.executionId());
        }
    }

    /**
     * The parent exists in this conversation, and answering it again is still allowed: a
     * regeneration (the parent already has an answer with this role) is refused once an active
     * user message follows the parent, which is what {@link #canRetry} reports.
     */
    private Parent requireAnswerableParent(Handle h, UUID conversationId, NewMessage m, String at) {
        UUID parentId = m.parentId();
        Parent parent = sql.on(h, mq.parent).bind("id", parentId)
                .optional((rs, ctx) -> new Parent(db.dialect().uuid(rs, "conversation_id"), rs.getLong("sequence"), rs.getBoolean("is_active")))
                .orElseThrow(() -> new NotFoundException("message", parentId, at + "parentId"));
        if (!parent.conversationId().equals(conversationId)) {
            throw new InvalidInputException(at + "parentId", "message " + parentId + " belongs to another conversation");
        }
        // A tool result without an execution answers its own tool call: always a first answer, never a regeneration.
        if (!answersAlone(m.role(), m.executionId()) && userMessageFollows(h, conversationId, parent.sequence(), parentId)
                && sql.on(h, mq.answered).bind("conversation", conversationId).bind("parent", parentId)
                        .bind("role", m.role().toString()).exists()) {
            throw new ConflictException(at + "parentId", "message " + parentId + " is followed by a later user message; regenerating"
                    + " its answer would reorder the history (canRetry is false)");
        }
        return parent;
    }

    private record Parent(UUID conversationId, long sequence, boolean active) {}

    /**
     * The retry rule, in one place: whether an active user message follows the parent (at
     * {@code sequence}) in the conversation. A later user message means the conversation moved
     * on, so a regenerated answer would land after it in the history. User messages answering
     * the parent themselves are the siblings being regenerated, not a later turn.
     */
    private boolean userMessageFollows(Handle h, UUID conversationId, long sequence, UUID parentId) {
        return (parentId == null ? sql.on(h, mq.userFollows) : sql.on(h, mq.userFollowsOtherThan).bind("parent", parentId))
                .bind("conversation", conversationId).bind("sequence", sequence).exists();
    }

    /** Records a later event of a message ({@link MessageSql#insertLaterEvent}) and returns the time it was recorded at. */
    private Instant recordEvent(Handle h, UUID id, UUID conversationId, UUID messageId, String type, JsonDoc details, Instant now) {
        return sql.on(h, mq.insertLaterEvent).bind("id", id).bind("conversation", conversationId).bind("message", messageId)
                .bind("type", type).bind("details", details).bind("now", now).one((rs, ctx) -> db.dialect().instant(rs, "created_at"));
    }

    private void recordEvent(Handle h, UUID conversationId, UUID messageId, MessageEventType type, Map<String, Object> details,
                             Instant now) {
        recordEvent(h, Ids.next(db.clock()), conversationId, messageId, type.toString(), Json.internal(details), now);
    }

    @Override
    public Optional<Message> getMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> findMessage(h, messageId));
    }

    private Optional<Message> findMessage(Handle h, UUID messageId) {
        return sql.on(h, mq.byId).bind("id", messageId).optional(messages);
    }

    private Message requireMessage(Handle h, UUID messageId) {
        return findMessage(h, messageId).orElseThrow(() -> new NotFoundException("message", messageId));
    }

    @Override
    public List<Message> history(UUID conversationId) {
        return history(conversationId, historyLimit);
    }

    @Override
    public List<Message> history(UUID conversationId, int limit) {
        return historyBefore(conversationId, Long.MAX_VALUE, limit);
    }

    @Override
    public List<Message> historyBefore(UUID conversationId, long beforeSequence, int limit) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        if (beforeSequence < 1) {
            throw new InvalidInputException("beforeSequence", "must be at least 1, was " + beforeSequence);
        }
        List<Message> ordered = new ArrayList<>(readMessages(conversationId, mq.history, "before", beforeSequence, limit));
        Collections.reverse(ordered);
        return Collections.unmodifiableList(ordered);
    }

    @Override
    public List<Message> messages(UUID conversationId, long afterSequence, int limit) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.nonNegative("afterSequence", afterSequence);
        return List.copyOf(readMessages(conversationId, mq.after, "after", afterSequence, limit));
    }

    /**
     * One statement for a page of a live conversation; only an empty page looks again, to tell an unknown conversation, or
     * (history) a page cursor on a message switched away or purged since, apart. It looks again in one snapshot, the page read
     * too: read after a page of another snapshot, a switch back committed between the two would show the cursor's message
     * and make a page cut short by the switch pass for the start of the history.
     */
    private List<Message> readMessages(UUID conversationId, Statement page, String bound, long sequence, int limit) {
        List<Message> rows = db.read(h -> page(h, page, conversationId, bound, sequence, limit));
        if (!rows.isEmpty()) {
            return rows;
        }
        if (page != mq.history) {
            // A transcript page's re-check needs no transaction (on SQLite a read transaction is one more BEGIN and COMMIT
            // for every empty page).
            return db.read(h -> {
                List<Message> found = page(h, page, conversationId, bound, sequence, limit);
                if (found.isEmpty()) {
                    requireLiveConversation(h, conversationId);
                }
                return found;
            });
        }
        return db.readConsistent(h -> {
            List<Message> found = page(h, page, conversationId, bound, sequence, limit);
            if (!found.isEmpty()) {
                return found;
            }
            requireLiveConversation(h, conversationId);
            if (sql.on(h, mq.hiddenAt).bind("conversation", conversationId).bind("before", sequence).exists()) {
                throw new ConflictException("beforeSequence", "the message at sequence " + sequence + " is no longer shown:"
                        + " another branch was activated since the page ending there was read; read the history again");
            }
            if (sql.on(h, mq.purgedAt).bind("conversation", conversationId).bind("before", sequence).exists()) {
                // Without its row, only a conversation whose branches below the cursor were never switched tells that the page
                // below is the one the cursor's branch showed: a switch may have hidden that branch before the purge, and the
                // purge may have taken every hidden message of it (then only the activated events of the branch shown tell).
                if (sql.on(h, mq.switchedBelow).bind("conversation", conversationId).bind("before", sequence).exists()) {
                    throw new ConflictException("beforeSequence", "the message at sequence " + sequence + " was purged and a"
                            + " branch below it was switched: whether its branch still shows cannot be told; read the history again");
                }
                return page(h, mq.historyPastPurged, conversationId, bound, sequence, limit);
            }
            return found;
        });
    }

    private List<Message> page(Handle h, Statement page, UUID conversationId, String bound, long sequence, int limit) {
        return sql.on(h, page).bind("conversation", conversationId).bind(bound, sequence).bind("limit", limit).list(messages);
    }

    @Override
    public List<Message> siblings(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> {
            Message self = requireMessage(h, messageId);
            return self.parentId() == null ? List.of(self) : List.copyOf(siblingsOf(h, self));
        });
    }

    private List<Message> siblingsOf(Handle h, Message self) {
        if (answersAlone(self.role(), self.executionId())) {
            return List.of(self);
        }
        return sql.on(h, mq.siblings).bind("conversation", self.conversationId()).bind("parent", self.parentId())
                .bind("role", self.role().toString()).list(messages).stream()
                .filter(m -> !answersAlone(m.role(), m.executionId())).toList();
    }

    /**
     * A tool result without an execution answers one of the parallel tool calls of its parent, not the same call as
     * another result: it is no retry sibling, so it neither hides nor is hidden by the parent's other answers (V35).
     */
    private static boolean answersAlone(Role role, UUID execution) {
        return role == Role.TOOL && execution == null;
    }

    @Override
    public SiblingGroups siblingGroups(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> {
            Message self = requireMessage(h, messageId);
            List<Message> siblings = self.parentId() == null ? List.of(self) : siblingsOf(h, self);
            Map<Object, List<Message>> byGroup = new LinkedHashMap<>();
            for (Message m : siblings) {
                byGroup.computeIfAbsent(m.executionId() == null ? m.id() : m.executionId(), k -> new ArrayList<>()).add(m);
            }
            List<SiblingGroup> groups = new ArrayList<>(byGroup.size());
            int index = 0;
            for (List<Message> group : byGroup.values()) {
                groups.add(new SiblingGroup(group.get(0).executionId(), group, group.stream().allMatch(Message::active)));
                if (group.stream().anyMatch(m -> m.id().equals(messageId))) {
                    index = groups.size();
                }
            }
            return new SiblingGroups(groups, index);
        });
    }

    @Override
    public Message activate(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.write(h -> {
            sql.on(h, mq.lockConversationOf).bind("id", messageId).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("message", messageId));
            Message self = requireMessage(h, messageId);
            // A message of a hidden branch shows with the answers leading to it: its ancestors are switched to top down, from
            // the highest inactive one (soft-deleted ones too: they still link the branch together). Since V36 a message's own
            // flag is its path's, as append and restoreMessage trust: a shown message, or a hidden one answering a shown one
            // (a switch between answers), reads no path; reading it cost a 10,000-deep chain 10,000 full rows on every such
            // switch at its bottom (about a second on SQLite, 7-10 s on PostgreSQL). Only a message under a hidden one reads
            // the whole path (those levels are switched anyway), and puts right a stale flag above it on the way.
            // The path is read as steps, without content or metadata: only the turn switched and the ids are needed, and
            // a path of agent steps with large tool outputs was read whole (every content, 10,000 of them at that depth).
            List<Step> path;
            if (self.active() || self.parentId() == null || pathShown(h, self.parentId())) {
                path = List.of(Step.of(self));
            } else {
                List<Step> chain = sql.on(h, mq.ancestors).bind("id", messageId).bind("conversation", self.conversationId())
                        .list((rs, ctx) -> new Step(db.dialect().uuid(rs, "id"), db.dialect().uuid(rs, "parent_id"),
                                Role.of(rs.getString("role")), db.dialect().uuid(rs, "execution_id"), rs.getBoolean("is_active")));
                int highestHidden = chain.size() - 1;
                for (int i = chain.size() - 1; i >= 0; i--) {
                    if (!chain.get(i).active()) {
                        highestHidden = i;
                    }
                }
                path = new ArrayList<>(chain.subList(highestHidden, chain.size() - 1));
                path.add(Step.of(self));
            }
            Instant now = db.now();
            Set<UUID> shownNow = new HashSet<>();
            int at = 0;
            Step top = path.get(0);
            if (top.parentId() == null) {
                // A root answers nothing, so it has no turn to switch; only an import or a hand edit leaves one inactive.
                if (!top.active()) {
                    Message root = sql.on(h, mq.activate).bind("id", top.id()).bind("now", now).one(messages);
                    shownNow.add(root.id());
                    recordEvent(h, root.conversationId(), root.id(), MessageEventType.ACTIVATED, Map.of(), now);
                }
                at = 1;
            }
            if (at < path.size()) {
                // Only the highest turn of the path is switched here; the branch pass below shows the rest of the path
                // (pinned) and hides their siblings, in a number of statements that does not grow with the depth.
                // Also when nothing changed: a stale flag below (see above) is put right, and on a consistent tree the
                // pass changes nothing.
                Step m = path.get(at);
                boolean single = m.executionId() == null;
                List<Message> activated = List.of();
                if (answersAlone(m.role(), m.executionId())) {
                    if (!m.active()) {
                        activated = List.of(sql.on(h, mq.activate).bind("id", m.id()).bind("now", now).one(messages));
                    }
                } else if (!(single && m.active())) {
                    activated = switchGroup(h, self.conversationId(), m.parentId(), m.role(), m.executionId(), now).activated();
                    if (single) {
                        activated = List.of(sql.on(h, mq.activate).bind("id", m.id()).bind("now", now).one(messages));
                    }
                }
                for (Message a : activated) {
                    shownNow.add(a.id());
                    if (!a.isDeleted()) {
                        recordEvent(h, self.conversationId(), a.id(), MessageEventType.ACTIVATED, Map.of(), now);
                    }
                }
                long from = sql.on(h, mq.sequence).bind("id", m.parentId()).one(Sql.LONG);
                Set<UUID> pinned = new HashSet<>();
                path.forEach(step -> pinned.add(step.id()));
                showBranches(h, self.conversationId(), from, pinned, shownNow, now);
            }
            return requireMessage(h, messageId);
        });
    }

    /** A message of the path {@code activate} switches to, as far as the switch needs it. */
    private record Step(UUID id, UUID parentId, Role role, UUID executionId, boolean active) {
        static Step of(Message m) {
            return new Step(m.id(), m.parentId(), m.role(), m.executionId(), m.active());
        }
    }

    /**
     * Makes the group of {@code execution} the parent's active answer: the other siblings become
     * inactive and the group's inactive messages active (returned). Without an execution every
     * sibling becomes inactive, for the caller's single message to take their place.
     */
    private Switch switchGroup(Handle h, UUID conversationId, UUID parentId, Role role, UUID execution, Instant now) {
        if (execution == null) {
            int hidden = sql.on(h, mq.deactivateSiblings).bind("conversation", conversationId).bind("parent", parentId)
                    .bind("role", role.toString()).bind("now", now).update();
            return new Switch(hidden, List.of());
        }
        int hidden = sql.on(h, mq.deactivateOtherGroups).bind("conversation", conversationId).bind("parent", parentId)
                .bind("role", role.toString()).bind("execution", execution).bind("now", now).update();
        return new Switch(hidden, sql.on(h, mq.activateGroup).bind("conversation", conversationId).bind("parent", parentId)
                .bind("role", role.toString()).bind("execution", execution).bind("now", now).list(messages));
    }

    /** What {@link #switchGroup} did: how many siblings it hid, and the messages it made active. */
    private record Switch(int hidden, List<Message> activated) {
        boolean changed() {
            return hidden > 0 || !activated.isEmpty();
        }
    }

    /**
     * A message as the branch structure sees it. A soft-deleted one ({@code deleted}) keeps its place: its flag follows its
     * branch like any other's, so what answers it shows and hides with that branch, and a restore finds the flag it would have.
     */
    private record Node(UUID id, UUID parent, String role, UUID execution, boolean active, boolean deleted) {
        /** See {@link JdbiConversationStore#answersAlone}: shows whenever its parent shows. */
        boolean answersAlone() {
            return execution == null && Role.TOOL.toString().equals(role);
        }
    }

    /**
     * After the active answer of a message at {@code sequence} changed: every message below it
     * (reached through parents) shows only while its parent shows. A turn whose parent was shown
     * keeps its active answer; a turn whose parent comes back shows its latest answer (a sibling
     * group, when an execution wrote it), or the one in {@code pinned}; a turn under a hidden
     * parent is hidden. The message at {@code sequence} itself shows. Answers that come back
     * record an {@code activated} event.
     */
    private void showBranches(Handle h, UUID conversationId, long sequence, Set<UUID> pinned, Set<UUID> shownNow, Instant now) {
        List<Node> tail = sql.on(h, mq.tail).bind("conversation", conversationId).bind("after", sequence)
                .list((rs, ctx) -> new Node(db.dialect().uuid(rs, "id"), db.dialect().uuid(rs, "parent_id"), rs.getString("role"),
                        db.dialect().uuid(rs, "execution_id"), rs.getBoolean("is_active"), rs.getString("deleted_at") != null));
        if (tail.isEmpty()) {
            return;
        }
        Map<UUID, Node> byId = new HashMap<>();
        Map<List<Object>, List<Node>> turns = new HashMap<>();
        for (Node n : tail) {
            byId.put(n.id(), n);
            if (n.parent() != null && !n.answersAlone()) {
                turns.computeIfAbsent(List.of(n.parent(), n.role()), k -> new ArrayList<>()).add(n);
            }
        }
        // Parents come before their answers, so one pass in sequence order decides every message below.
        Map<UUID, Boolean> shown = new HashMap<>();
        Map<List<Object>, Set<UUID>> chosen = new HashMap<>();
        List<UUID> hide = new ArrayList<>();
        List<UUID> show = new ArrayList<>();
        for (Node n : tail) {
            Node parent = n.parent() == null ? null : byId.get(n.parent());
            if (parent == null) {
                // Answers the message at sequence (the caller switched that turn) or an earlier one: it keeps its flag.
                shown.put(n.id(), n.active());
                continue;
            }
            boolean visible;
            if (!shown.get(parent.id())) {
                visible = false;
            } else if (n.answersAlone()) {
                visible = true;
            } else {
                boolean parentWasShown = parent.active() && !shownNow.contains(parent.id());
                List<Object> turn = List.of(n.parent(), n.role());
                visible = chosen.computeIfAbsent(turn, k -> choose(turns.get(k), pinned, parentWasShown)).contains(n.id());
            }
            shown.put(n.id(), visible);
            if (visible != n.active()) {
                (visible ? show : hide).add(n.id());
            }
        }
        // Hidden first: the one-active-answer index never sees two active answers of one turn.
        setActive(h, conversationId, hide, false, now);
        setActive(h, conversationId, show, true, now);
        List<UUID> shownLive = show.stream().filter(id -> !byId.get(id).deleted()).toList();
        if (!shownLive.isEmpty()) {
            StringBuilder pairs = new StringBuilder(shownLive.size() * 80 + 2).append('[');
            for (UUID id : shownLive) {
                pairs.append(pairs.length() == 1 ? "[\"" : ",[\"").append(Ids.next(db.clock())).append("\",\"").append(id).append("\"]");
            }
            sql.on(h, mq.insertActivatedEvents).bind("conversation", conversationId).bind("events", pairs.append(']').toString())
                    .bind("details", Json.internal(Map.of())).bind("now", now).update();
        }
    }

    private static Set<UUID> ids(List<Message> list) {
        Set<UUID> ids = new HashSet<>();
        list.forEach(m -> ids.add(m.id()));
        return ids;
    }

    /**
     * The answers of one turn that show: the pinned one's group, else the active ones while the parent stayed shown, else
     * the latest group (of the messages not deleted, when the turn has one).
     */
    private static Set<UUID> choose(List<Node> turn, Set<UUID> pinned, boolean parentWasShown) {
        Node latest = turn.get(turn.size() - 1);
        for (int i = turn.size() - 1; i >= 0 && latest.deleted(); i--) {
            if (!turn.get(i).deleted()) {
                latest = turn.get(i);
            }
        }
        Node pick = turn.stream().filter(n -> pinned.contains(n.id())).findFirst().orElse(parentWasShown ? null : latest);
        if (pick == null) {
            Set<UUID> active = new HashSet<>();
            turn.stream().filter(Node::active).forEach(n -> active.add(n.id()));
            return active;
        }
        Set<UUID> group = new HashSet<>();
        for (Node n : turn) {
            if (n.id().equals(pick.id()) || pick.execution() != null && pick.execution().equals(n.execution())) {
                group.add(n.id());
            }
        }
        return group;
    }

    /**
     * One statement whatever the number of messages, so a switch costs the same statements at any depth: in IN lists of
     * 500 ids, and events in statements of 200, showing a 10,000-deep chain again took 70 statements (about 11 s on
     * PostgreSQL on a loaded machine, most of it these round trips).
     */
    private void setActive(Handle h, UUID conversationId, List<UUID> ids, boolean active, Instant now) {
        if (!ids.isEmpty()) {
            sql.on(h, active ? mq.showListed : mq.hideListed).bind("ids", MessageSql.jsonIds(ids)).bind("conversation", conversationId)
                    .bind("now", now).update();
        }
    }

    @Override
    public Message restoreMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.write(h -> {
            sql.on(h, mq.lockConversationOf).bind("id", messageId).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("message", messageId));
            // Retention may have purged it while this call waited for the conversation's lock.
            Message current = sql.on(h, mq.byIdWithDeleted).bind("id", messageId).optional(messages)
                    .orElseThrow(() -> new NotFoundException("message", messageId));
            if (!current.isDeleted()) {
                return current;
            }
            // Under a hidden parent, or a hidden message higher up, it stays hidden with that branch. A deleted parent hides
            // nothing by itself, as it does not for its live answers: the parent stays deleted, the answer shows on its branch.
            Instant now = db.now();
            boolean active = current.active() && (current.parentId() == null
                    || pathShown(h, current.parentId())
                    && (answersAlone(current.role(), current.executionId())
                    || !(current.executionId() == null ? sql.on(h, mq.siblingActive) : sql.on(h, mq.otherGroupActive)
                            .bind("execution", current.executionId()))
                    .bind("conversation", current.conversationId()).bind("parent", current.parentId())
                    .bind("role", current.role().toString()).bind("id", messageId).exists()));
            Message restored = sql.on(h, mq.restore).bind("id", messageId).bind("active", active).bind("now", now).one(messages);
            recordEvent(h, current.conversationId(), messageId, MessageEventType.RESTORED, Map.of("active", active), now);
            return restored;
        });
    }

    /**
     * Whether the branch through message {@code id} shows: its own flag (soft-deleted or not, as their flag follows their
     * branch), which V36 made its path's and every write since keeps so. Restoring at the bottom of a 10,000-deep chain
     * walked the path before: one recursive statement reading 10,000 rows; now one row, as an append reads its parent's.
     * A parent purged meanwhile hides nothing.
     */
    private boolean pathShown(Handle h, UUID id) {
        return sql.on(h, mq.shown).bind("id", id).optional((rs, ctx) -> rs.getBoolean(1)).orElse(true);
    }

    @Override
    public Message updateMessageMetadata(UUID messageId, Map<String, ?> metadata) {
        Check.notNull("messageId", messageId);
        JsonDoc doc = Json.write("metadata", Check.metadata("metadata", metadata));
        return db.write(h -> {
            lockConversationOf(h, messageId);
            Message current = requireMessage(h, messageId);
            Instant now = db.now();
            Message updated = sql.on(h, mq.setMetadata).bind("id", messageId).bind("metadata", doc).bind("now", now).one(messages);
            recordEvent(h, current.conversationId(), messageId, MessageEventType.METADATA_UPDATED,
                    Map.of("previousMetadata", current.metadata()), now);
            return updated;
        });
    }

    @Override
    public MessageEvent recordEvent(UUID messageId, MessageEventType type, Map<String, ?> details) {
        Check.notNull("messageId", messageId);
        Check.notNull("type", type);
        if (!type.isApp()) {
            throw new InvalidInputException("type", "'" + type + "' is Atlas's own event type; record application events with"
                    + " MessageEventType.app(name)");
        }
        JsonDoc doc = Json.write("details", Check.metadata("details", details));
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            lockConversationOf(h, messageId);
            UUID conversationId = sql.on(h, mq.byIdWithDeleted).bind("id", messageId).optional(messages)
                    .orElseThrow(() -> new NotFoundException("message", messageId)).conversationId();
            Instant at = recordEvent(h, id, conversationId, messageId, type.toString(), doc, db.now());
            return new MessageEvent(id, conversationId, messageId, type, Json.readMap(doc), at);
        });
    }

    @Override
    public boolean canRetry(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> {
            Message self = requireMessage(h, messageId);
            if (self.parentId() != null && answersAlone(self.role(), self.executionId())) {
                return true; // append takes another result for the parent whatever follows: it regenerates nothing
            }
            long after = self.parentId() == null ? self.sequence()
                    : sql.on(h, mq.sequence).bind("id", self.parentId()).optional(Sql.LONG).orElse(self.sequence());
            return !userMessageFollows(h, self.conversationId(), after, self.parentId());
        });
    }

    @Override
    public Message updateStatus(UUID messageId, MessageStatus status, String failureReason) {
        Check.notNull("messageId", messageId);
        Check.notNull("status", status);
        Check.optional("failureReason", failureReason, Limits.MAX_REASON_LENGTH);
        if (failureReason != null && status != MessageStatus.FAILED) {
            throw new InvalidInputException("failureReason", "is only allowed with status failed, status is " + status);
        }
        return db.write(h -> {
            lockConversationOf(h, messageId);
            Message current = requireMessage(h, messageId);
            current.status().checkMoveTo(status);
            Instant now = db.now();
            Message updated = sql.on(h, mq.moveTo.get(status)).bind("id", messageId).bind("reason", failureReason).bind("now", now)
                    .one(messages);
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("from", current.status().toString());
            details.put("to", status.toString());
            if (failureReason != null) {
                details.put("reason", failureReason);
            }
            recordEvent(h, current.conversationId(), messageId, MessageEventType.STATUS_CHANGED, details, now);
            return updated;
        });
    }

    /**
     * PostgreSQL: row-locks the message's conversation, as appends, activations and retention
     * do, so a write that reads the message and then changes it sees the last committed change
     * (two edits each record the content they replaced; a status change is checked against the
     * status it moves from) and waits for a purge instead of meeting its deletes. Nothing to lock
     * (a deleted conversation, another tenant's id) leaves the caller's own lookup to refuse.
     * SQLite's single writer already orders these writes.
     */
    private void lockConversationOf(Handle h, UUID messageId) {
        if (!db.dialect().forUpdate().isEmpty()) {
            sql.on(h, mq.lockConversationOf).bind("id", messageId).optional(Sql.STRING);
        }
    }

    @Override
    public Message markRead(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.write(h -> sql.on(h, mq.markRead).bind("id", messageId).bind("now", db.now()).optional(messages)
                .orElseThrow(() -> new NotFoundException("message", messageId)));
    }

    @Override
    public int markAllRead(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> {
            // A write into the conversation's messages: named as an append into it is.
            requireLiveConversationToWrite(h, conversationId);
            return sql.on(h, mq.markAllRead).bind("conversation", conversationId).bind("now", db.now()).update();
        });
    }

    @Override
    public long unreadCount(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.read(h -> {
            requireLiveConversation(h, conversationId);
            return sql.on(h, mq.unread).bind("conversation", conversationId).one(Sql.LONG);
        });
    }

    @Override
    public Message edit(UUID messageId, String content) {
        Check.notNull("messageId", messageId);
        Check.notNull("content", content);
        Check.text("content", content, Limits.MAX_CONTENT_LENGTH);
        return db.write(h -> {
            lockConversationOf(h, messageId);
            Message current = requireMessage(h, messageId);
            if (current.contentType() == ContentType.JSON) {
                Json.validate("content", content);
            }
            Instant now = db.now();
            Message edited = sql.on(h, mq.edit).bind("id", messageId).bind("content", content)
                    .bind("searchText", SearchText.index(content)).bind("now", now).one(messages);
            // Its vectors describe the old text. Told apart by time (stored before the edit), they
            // answered when this instance's clock ran behind their writer's, or shared its microsecond.
            sql.on(h, mq.deleteVectors).bind("id", messageId).update();
            // Marked under the conversation's lock: a re-send finds what was first sent by this
            // mark, not by time, which a clock stepped back between edits would reorder.
            Map<String, Object> details = current.editedAt() == null
                    ? Map.of("previousContent", current.content(), "original", true) : Map.of("previousContent", current.content());
            recordEvent(h, current.conversationId(), messageId, MessageEventType.EDITED, details, now);
            return edited;
        });
    }

    @Override
    public void deleteMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        db.write(h -> {
            lockConversationOf(h, messageId);
            Message current = requireMessage(h, messageId);
            Instant now = db.now();
            sql.on(h, mq.delete).bind("id", messageId).bind("now", now).update();
            recordEvent(h, current.conversationId(), messageId, MessageEventType.DELETED, Map.of(), now);
            return null;
        });
    }

    @Override
    public Page<MessageEvent> events(MessageEventQuery q) {
        Check.notNull("query", q);
        Cursor.Listing listing = sql.listing("messageEvents", q.messageId());
        Cursor after = q.cursor() == null ? null : Cursor.decode(q.cursor(), listing, 2);
        // Both parts read now: a cursor is refused before the message is looked up.
        Instant afterAt = after == null ? null : after.instant(0);
        UUID afterId = after == null ? null : after.uuid(1);
        List<MessageEvent> rows = db.read(h -> {
            // A soft-deleted message keeps its audit trail, so this looks the message up without
            // the message's own deleted_at, but still only in a live conversation.
            if (!sql.on(h, mq.exists).bind("id", q.messageId()).exists()) {
                throw new NotFoundException("message", q.messageId());
            }
            return (after == null ? sql.on(h, mq.events)
                    : sql.on(h, mq.eventsAfter).bind("afterAt", afterAt).bind("afterId", afterId))
                    .bind("message", q.messageId()).bind("limit", q.limit() + 1).list(events);
        });
        return Cursor.page(rows, q.limit(), e -> Cursor.encode(listing, e.createdAt(), e.id()));
    }

    @Override
    public Page<MessageEvent> events(ConversationEventQuery q) {
        Check.notNull("query", q);
        boolean newestFirst = q.order() == ConversationEventQuery.Order.NEWEST_FIRST;
        // Bound to everything that selects or orders the rows (not the limit): a cursor of another
        // conversation, type set, range or order is refused instead of read as a position among other rows.
        Cursor.Listing listing = sql.listing("conversationEvents", q.conversationId(),
                q.types().stream().map(MessageEventType::toString).toList(), q.from(), q.to(), q.order());
        Cursor after = q.cursor() == null ? null : Cursor.decode(q.cursor(), listing, 2);
        // Both parts read now: a cursor is refused before the conversation is looked up.
        Instant afterAt = after == null ? null : after.instant(0);
        UUID afterId = after == null ? null : after.uuid(1);
        Where where = new Where()
                .in("type", "type", q.types().isEmpty() ? null : q.types().stream().map(MessageEventType::toString).toList())
                // Rounded as every listing by time rounds its bounds: the databases keep whole microseconds.
                .and("created_at >= :from", "from", q.from() == null ? null : Check.ceilMicros(q.from()))
                .and("created_at <= :last", "last", q.to() == null ? null : UsageReports.lastIncluded(q.to()))
                .and(newestFirst ? MessageSql.CONVERSATION_EVENTS_BEFORE : MessageSql.CONVERSATION_EVENTS_AFTER, "afterAt", afterAt);
        Statement list = mq.conversationEvents(where.toString(), newestFirst);
        List<MessageEvent> rows = db.read(h -> {
            // The conversation as every read of it: unknown, another tenant's and soft-deleted alike.
            requireLiveConversation(h, q.conversationId());
            Sql.Call call = where.bindTo(sql.on(h, list)).bind("conversation", q.conversationId()).bind("limit", q.limit() + 1);
            return (after == null ? call : call.bind("afterId", afterId)).list(events);
        });
        return Cursor.page(rows, q.limit(), e -> Cursor.encode(listing, e.createdAt(), e.id()));
    }
}
