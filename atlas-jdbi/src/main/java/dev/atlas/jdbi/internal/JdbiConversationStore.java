package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.conversation.ContentType;
import dev.atlas.conversation.Conversation;
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
import dev.atlas.internal.Check;
import dev.atlas.internal.Titles;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** {@link ConversationStore} on Jdbi; every statement filters on the tenant id it was built with. */
public final class JdbiConversationStore implements ConversationStore {
    private static final String C = "SELECT " + Rows.CONVERSATION_COLUMNS + " FROM <p>conversations";
    private static final String M = "SELECT " + Rows.MESSAGE_COLUMNS + " FROM <p>messages";
    private static final String LIVE_CONVERSATION = "EXISTS (SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t"
            + " AND c.id = :conversation AND c.deleted_at IS NULL)";
    /**
     * The one lookup of a message by id ({@code :t}, {@code :id}) for every message method: a
     * message is reachable only while its conversation is live, so a soft-deleted conversation
     * hides its messages from every read and write until it is restored. Statements using it
     * name the table without an alias.
     */
    private static final String MESSAGE_BY_ID = "tenant_id = :t AND id = :id AND EXISTS (SELECT 1 FROM <p>conversations lc"
            + " WHERE lc.tenant_id = <p>messages.tenant_id AND lc.id = <p>messages.conversation_id AND lc.deleted_at IS NULL)";
    /** {@link #MESSAGE_BY_ID} for a message that is not soft-deleted itself. */
    private static final String LIVE_MESSAGE_BY_ID = MESSAGE_BY_ID + " AND deleted_at IS NULL";

    private final Db db;
    private final String tenant;
    private final int historyLimit;
    private final RowMapper<Conversation> conversations;
    private final RowMapper<Message> messages;
    private final RowMapper<MessageEvent> events;
    private final String nextSequenceSql;
    private final String insertMessageSql;
    private final String insertCreatedEventSql;

    public JdbiConversationStore(Db db, String tenant, int historyLimit) {
        this.db = db;
        this.tenant = tenant;
        this.historyLimit = historyLimit;
        this.conversations = Rows.conversation(db.dialect());
        this.messages = Rows.message(db.dialect());
        this.events = Rows.event(db.dialect());
        String p = db.prefix();
        this.nextSequenceSql = "UPDATE " + p + "conversations SET last_sequence = last_sequence + ?,"
                + " last_message_at = ?, activity_at = ?, updated_at = ?, title = COALESCE(title, ?),"
                + " status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
                + " WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL AND status != 'closed' RETURNING last_sequence";
        this.insertMessageSql = "INSERT INTO " + p + "messages (tenant_id, id, conversation_id, sequence, role, content_type, content,"
                + " status, failure_reason, is_active, client_message_id, author_type, author_id, agent, parent_id, execution_id,"
                + " step_id, metadata, created_at, updated_at, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        this.insertCreatedEventSql = "INSERT INTO " + p + "message_events (tenant_id, id, conversation_id, message_id, type, details,"
                + " created_at) VALUES (?, ?, ?, ?, 'created', ?, ?)";
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
        throw new ConflictException("externalKey", "conversation with external key " + externalKey
                + " was deleted and re-created concurrently while ensuring it; retry");
    }

    private Optional<Conversation> findByKey(Handle h, String key) {
        return h.createQuery(C + " WHERE tenant_id = :t AND external_key = :key AND deleted_at IS NULL")
                .bind("t", tenant).bind("key", key).map(conversations).findOne();
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
                requireRow(h, "SELECT 1 FROM <p>assistants WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL",
                        nc.assistantId(), "assistant", "assistantId");
            }
            UUID assistant = nc.assistantRevisionId() == null ? nc.assistantId() : revisionAssistant(h, nc);
            if (nc.parentConversationId() != null) {
                findConversation(h, nc.parentConversationId())
                        .orElseThrow(() -> new NotFoundException("conversation", nc.parentConversationId(), "parentConversationId"));
            }
            if (nc.parentToolCallId() != null) {
                requireRow(h, "SELECT 1 FROM <p>execution_tool_calls WHERE tenant_id = :t AND id = :id",
                        nc.parentToolCallId(), "tool call", "parentToolCallId");
            }
            int inserted = h.createUpdate("INSERT INTO <p>conversations (tenant_id, id, owner_type, owner_id, agent, assistant_id, type,"
                            + " parent_conversation_id, parent_tool_call_id, title, status, metadata, last_sequence, activity_at,"
                            + " created_at, updated_at, assistant_revision_id, external_key) VALUES (:t, :id, :ownerType, :ownerId, :agent,"
                            + " :assistant, :type, :parent, :parentToolCall, :title, 'open', :metadata, 0, :now, :now, :now, :revision, :key)"
                            + (key == null ? "" : " ON CONFLICT DO NOTHING"))
                    .bind("t", tenant).bind("id", id)
                    .bind("ownerType", nc.owner().type()).bind("ownerId", nc.owner().id())
                    .bind("agent", nc.agent()).bind("assistant", assistant).bind("revision", nc.assistantRevisionId()).bind("type", nc.type().toString())
                    .bind("parent", nc.parentConversationId()).bind("parentToolCall", nc.parentToolCallId())
                    .bind("title", nc.title()).bind("metadata", metadata).bind("now", now).bind("key", key)
                    .execute();
            if (inserted == 0) {
                return Optional.<Conversation>empty();
            }
            return Optional.of(new Conversation(id, tenant, nc.owner(), nc.agent(), assistant, nc.type(), nc.parentConversationId(),
                    nc.parentToolCallId(), nc.title(), null, ConversationStatus.OPEN, Json.readMap(metadata.text()), 0, null, null,
                    null, now, now, null, nc.assistantRevisionId(), key));
        });
    }

    /**
     * Refuses an id carried in a write's input unless {@code sql} (binding {@code :t} and
     * {@code :id}) finds its row in this tenant: another tenant's id fails exactly like an
     * unknown one.
     */
    private void requireRow(Handle h, String sql, UUID id, String entity, String field) {
        if (h.createQuery(sql).bind("t", tenant).bind("id", id).mapTo(Integer.class).findOne().isEmpty()) {
            throw new NotFoundException(entity, id, field);
        }
    }

    /**
     * The assistant owning the given revision, which must exist in this tenant and, when the
     * caller also named an assistant, belong to it.
     */
    private UUID revisionAssistant(Handle h, NewConversation nc) {
        UUID owner = h.createQuery("SELECT assistant_id FROM <p>assistant_revisions WHERE tenant_id = :t AND id = :id")
                .bind("t", tenant).bind("id", nc.assistantRevisionId())
                .map((rs, ctx) -> db.dialect().uuid(rs, "assistant_id")).findOne()
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
        return h.createQuery(C + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                .bind("t", tenant).bind("id", id).map(conversations).findOne();
    }

    @Override
    public Page<Conversation> list(ConversationQuery q) {
        Check.notNull("query", q);
        Cursor after = q.cursor() == null ? null : Cursor.parse(q.cursor());
        StringBuilder sql = new StringBuilder(C).append(" WHERE tenant_id = :t");
        if (q.owner() != null) {
            sql.append(" AND owner_type = :ownerType AND owner_id = :ownerId");
        }
        if (q.agent() != null) {
            sql.append(" AND agent = :agent");
        }
        if (q.status() != null) {
            sql.append(" AND status = :status");
        }
        if (!q.includeDeleted()) {
            sql.append(" AND deleted_at IS NULL");
        }
        if (after != null) {
            sql.append(" AND (activity_at < :afterAt OR (activity_at = :afterAt AND id < :afterId))");
        }
        sql.append(" ORDER BY activity_at DESC, id DESC LIMIT :limit");
        List<Conversation> rows = db.read(h -> {
            Query query = h.createQuery(sql.toString()).bind("t", tenant).bind("limit", q.limit() + 1);
            if (q.owner() != null) {
                query.bind("ownerType", q.owner().type()).bind("ownerId", q.owner().id());
            }
            if (q.agent() != null) {
                query.bind("agent", q.agent());
            }
            if (q.status() != null) {
                query.bind("status", q.status().toString());
            }
            if (after != null) {
                query.bind("afterAt", after.at()).bind("afterId", after.id());
            }
            return query.map(conversations).list();
        });
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<Conversation> page = rows.subList(0, q.limit());
        Conversation last = page.get(page.size() - 1);
        Instant at = last.lastMessageAt() != null ? last.lastMessageAt() : last.createdAt();
        return new Page<>(page, Optional.of(new Cursor(at, last.id()).encode()));
    }

    @Override
    public Page<Conversation> toolThreads(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Cursor after = Check.optional("cursor", cursor, 200) == null ? null : Cursor.parse(cursor);
        List<Conversation> rows = db.read(h -> {
            Query q = h.createQuery(C + " WHERE tenant_id = :t AND parent_conversation_id = :parent AND type = 'tool' AND deleted_at IS NULL"
                            + (after == null ? "" : " AND (created_at > :afterAt OR (created_at = :afterAt AND id > :afterId))")
                            + " ORDER BY created_at, id LIMIT :limit")
                    .bind("t", tenant).bind("parent", conversationId).bind("limit", limit + 1);
            if (after != null) {
                q.bind("afterAt", after.at()).bind("afterId", after.id());
            }
            return q.map(conversations).list();
        });
        if (rows.size() <= limit) {
            return new Page<>(rows, Optional.empty());
        }
        List<Conversation> page = rows.subList(0, limit);
        Conversation last = page.get(limit - 1);
        return new Page<>(page, Optional.of(new Cursor(last.createdAt(), last.id()).encode()));
    }

    @Override
    public Optional<Conversation> toolThread(UUID toolCallId) {
        Check.notNull("toolCallId", toolCallId);
        return db.read(h -> h.createQuery(C + " WHERE tenant_id = :t AND parent_tool_call_id = :call AND type = 'tool' AND deleted_at IS NULL"
                        + " ORDER BY created_at, id LIMIT 1")
                .bind("t", tenant).bind("call", toolCallId).map(conversations).findOne());
    }

    @Override
    public Conversation updateTitle(UUID conversationId, String title) {
        Check.optionalNonBlank("title", title, Limits.MAX_TITLE_LENGTH);
        return updateConversation(conversationId, "title = :value", title);
    }

    @Override
    public Conversation updateSummary(UUID conversationId, String summary) {
        Check.optional("summary", summary, Limits.MAX_CONTENT_LENGTH);
        return updateConversation(conversationId, "summary = :value", summary);
    }

    @Override
    public Conversation updateMetadata(UUID conversationId, Map<String, ?> metadata) {
        JsonDoc doc = Json.write("metadata", Check.metadata("metadata", metadata));
        return updateConversation(conversationId, "metadata = :value", doc);
    }

    private Conversation updateConversation(UUID conversationId, String assignment, Object value) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> h.createQuery("UPDATE <p>conversations SET " + assignment + ", updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL RETURNING " + Rows.CONVERSATION_COLUMNS)
                .bind("t", tenant).bind("id", conversationId).bindByType("value", value, value == null ? String.class : value.getClass())
                .bind("now", db.now())
                .map(conversations).findOne()
                .orElseThrow(() -> new NotFoundException("conversation", conversationId)));
    }

    @Override
    public Conversation archive(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.ARCHIVED, ", archived_at = :now");
    }

    @Override
    public Conversation reopen(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.OPEN, "");
    }

    @Override
    public Conversation close(UUID conversationId) {
        return moveConversation(conversationId, ConversationStatus.CLOSED, ", closed_at = :now");
    }

    private Conversation moveConversation(UUID conversationId, ConversationStatus target, String extra) {
        Check.notNull("conversationId", conversationId);
        List<String> from = new ArrayList<>();
        for (ConversationStatus s : ConversationStatus.values()) {
            if (s.canMoveTo(target)) {
                from.add(s.toString());
            }
        }
        return db.write(h -> {
            Optional<Conversation> moved = h.createQuery("UPDATE <p>conversations SET status = :target, updated_at = :now" + extra
                            + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND status IN (<from>) RETURNING "
                            + Rows.CONVERSATION_COLUMNS)
                    .bind("t", tenant).bind("id", conversationId).bind("target", target.toString()).bind("now", db.now())
                    .bindList("from", from)
                    .map(conversations).findOne();
            if (moved.isPresent()) {
                return moved.get();
            }
            Conversation current = findConversation(h, conversationId)
                    .orElseThrow(() -> new NotFoundException("conversation", conversationId));
            current.status().checkMoveTo(target);
            throw new ConflictException("status", "was changed by a concurrent call; read it again and retry");
        });
    }

    @Override
    public void delete(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        int n = db.write(h -> h.createUpdate("UPDATE <p>conversations SET deleted_at = :now, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                .bind("t", tenant).bind("id", conversationId).bind("now", db.now()).execute());
        if (n == 0) {
            throw new NotFoundException("conversation", conversationId);
        }
    }

    @Override
    public Conversation restore(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> {
            // The key's unique index covers live conversations only; say why a restore cannot
            // proceed instead of surfacing the index violation.
            Optional<String> takenKey = h.createQuery("SELECT d.external_key FROM <p>conversations d JOIN <p>conversations l"
                            + " ON l.tenant_id = d.tenant_id AND l.external_key = d.external_key AND l.deleted_at IS NULL AND l.id != d.id"
                            + " WHERE d.tenant_id = :t AND d.id = :id AND d.deleted_at IS NOT NULL")
                    .bind("t", tenant).bind("id", conversationId).mapTo(String.class).findFirst();
            if (takenKey.isPresent()) {
                throw new ConflictException("externalKey", "another live conversation holds external key " + takenKey.get()
                        + "; delete it or give this one up before restoring " + conversationId);
            }
            return h.createQuery("UPDATE <p>conversations SET deleted_at = NULL, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id RETURNING " + Rows.CONVERSATION_COLUMNS)
                    .bind("t", tenant).bind("id", conversationId).bind("now", db.now())
                    .map(conversations).findOne()
                    .orElseThrow(() -> new NotFoundException("conversation", conversationId));
        });
    }

    // ---- messages -----------------------------------------------------------------------

    /** Carries an already-stored message out of a transaction that must roll back. */
    private static final class Replay extends RuntimeException {
        final Message message;

        Replay(Message message) {
            super(null, null, false, false);
            this.message = message;
        }
    }

    @Override
    public Message append(UUID conversationId, NewMessage m) {
        Check.notNull("conversationId", conversationId);
        Check.notNull("message", m);
        if (m.contentType() == ContentType.JSON) {
            Json.validate("content", m.content());
        }
        JsonDoc metadata = Json.write("metadata", m.metadata());
        String autoTitle = m.role() == Role.USER && m.contentType() == ContentType.TEXT ? Titles.fromMessage(m.content()) : null;
        UUID id = Ids.next(db.clock());
        try {
            return db.write(h -> {
                Instant now = db.now();
                // Taking the next sequence first also row-locks the conversation on PostgreSQL,
                // which orders concurrent appends (and idempotent replays) to it.
                Optional<Long> seq = nextSequence(h, conversationId, now, autoTitle);
                if (seq.isEmpty()) {
                    findConversation(h, conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId));
                    throw new ConflictException("conversationId", "conversation " + conversationId + " is closed and accepts no messages");
                }
                if (m.clientId() != null) {
                    Optional<Message> existing = h.createQuery(M + " WHERE tenant_id = :t AND conversation_id = :c AND client_message_id = :cid")
                            .bind("t", tenant).bind("c", conversationId).bind("cid", m.clientId())
                            .map(messages).findOne();
                    if (existing.isPresent()) {
                        Message e = existing.get();
                        if (e.role() != m.role() || e.contentType() != m.contentType() || !e.content().equals(m.content())) {
                            throw new ConflictException("clientId", "'" + m.clientId() + "' was already used for message " + e.id()
                                    + " with a different role or content");
                        }
                        throw new Replay(e);
                    }
                }
                prepareLinks(h, conversationId, m, now);
                insertMessage(h, id, conversationId, seq.get(), m, metadata, now);
                return appended(id, conversationId, seq.get(), m, metadata, now);
            });
        } catch (Replay r) {
            return r.message;
        }
    }

    /** Checks the execution and parent links of {@code m} and deactivates the siblings it replaces. */
    private void prepareLinks(Handle h, UUID conversationId, NewMessage m, Instant now) {
        requireExecutionLinks(h, m);
        if (m.parentId() != null) {
            requireAnswerableParent(h, conversationId, m);
            h.createUpdate("UPDATE <p>messages SET is_active = FALSE, updated_at = :now WHERE tenant_id = :t"
                            + " AND conversation_id = :c AND parent_id = :parent AND role = :role AND is_active = TRUE")
                    .bind("t", tenant).bind("c", conversationId).bind("parent", m.parentId())
                    .bind("role", m.role().toString()).bind("now", now)
                    .execute();
        }
    }

    private Message appended(UUID id, UUID conversationId, long seq, NewMessage m, JsonDoc metadata, Instant now) {
        return new Message(id, tenant, conversationId, seq, m.role(), m.contentType(), m.content(), m.status(),
                m.failureReason(), true, m.clientId(), m.author(), m.agent(), m.parentId(), m.executionId(), m.stepId(),
                m.metadata().isEmpty() ? Map.of() : Json.readMap(metadata.text()), null, null, now, now, null);
    }

    /** Thrown inside the transaction when every message of an appendAll is already stored: nothing to write, roll back. */
    private static final class ReplayAll extends RuntimeException {
        final List<Message> messages;

        ReplayAll(List<Message> messages) {
            super(null, null, false, false);
            this.messages = messages;
        }
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
            db.checkOpen();
            return List.of();
        }
        int k = all.size();
        JsonDoc[] metadata = new JsonDoc[k];
        UUID[] ids = new UUID[k];
        Map<String, Integer> keyed = new LinkedHashMap<>();
        for (int i = 0; i < k; i++) {
            NewMessage m = all.get(i);
            if (m.contentType() == ContentType.JSON) {
                Json.validate("messages[" + i + "].content", m.content());
            }
            metadata[i] = Json.write("messages[" + i + "].metadata", m.metadata());
            if (m.clientId() != null) {
                Integer earlier = keyed.putIfAbsent(m.clientId(), i);
                if (earlier != null) {
                    throw new InvalidInputException("messages", "client id '" + m.clientId() + "' is used by messages " + earlier + " and " + i
                            + "; each message needs its own");
                }
            }
            ids[i] = Ids.next(db.clock());
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
                if (fresh.isEmpty()) {
                    throw new ReplayAll(List.copyOf(stored.values()));
                }
                // One counter update for the whole list: the messages take consecutive sequences.
                long last = advanceSequence(h, conversationId, fresh.size(), now, autoTitle)
                        .orElseThrow(() -> notOpen(h, conversationId));
                long seq = last - fresh.size() + 1;
                Message[] out = new Message[k];
                stored.forEach((i, m) -> out[i] = m);
                try (PreparedStatement insert = h.getConnection().prepareStatement(insertMessageSql);
                     PreparedStatement event = h.getConnection().prepareStatement(insertCreatedEventSql)) {
                    for (int i : fresh) {
                        NewMessage m = all.get(i);
                        // Links and parents are checked message by message, after the earlier ones are
                        // stored, so the list behaves exactly like k appends in a row.
                        prepareLinks(h, conversationId, m, now);
                        bindMessage(insert, ids[i], conversationId, seq, m, metadata[i], now).executeUpdate();
                        bindCreatedEvent(event, ids[i], conversationId, seq, m, now).executeUpdate();
                        out[i] = appended(ids[i], conversationId, seq, m, metadata[i], now);
                        seq++;
                    }
                } catch (SQLException e) {
                    throw new org.jdbi.v3.core.statement.UnableToExecuteStatementException(e, null);
                }
                return List.of(out);
            });
        } catch (ReplayAll r) {
            List<Message> out = new ArrayList<>(k);
            Map<String, Message> byKey = new LinkedHashMap<>();
            r.messages.forEach(m -> byKey.put(m.clientId(), m));
            all.forEach(m -> out.add(byKey.get(m.clientId())));
            return List.copyOf(out);
        }
    }

    /**
     * The already stored messages among the keyed ones of {@code all}, by index; a stored key with
     * a different role or content throws. Locks the conversation first (PostgreSQL: its row;
     * SQLite: the write transaction already holds the database) so no concurrent append can store
     * one of these keys between the lookup and the insert.
     */
    private Map<Integer, Message> storedByClientId(Handle h, UUID conversationId, List<NewMessage> all, Map<String, Integer> keyed,
                                                   Instant now) {
        advanceSequence(h, conversationId, 0, now, null).orElseThrow(() -> notOpen(h, conversationId));
        Map<Integer, Message> stored = new java.util.TreeMap<>();
        h.createQuery(M + " WHERE tenant_id = :t AND conversation_id = :c AND client_message_id IN (<keys>)")
                .bind("t", tenant).bind("c", conversationId).bindList("keys", List.copyOf(keyed.keySet()))
                .map(messages).forEach(e -> {
                    int i = keyed.get(e.clientId());
                    NewMessage m = all.get(i);
                    if (e.role() != m.role() || e.contentType() != m.contentType() || !e.content().equals(m.content())) {
                        throw new ConflictException("messages[" + i + "].clientId", "'" + m.clientId() + "' was already used for message "
                                + e.id() + " with a different role or content");
                    }
                    stored.put(i, e);
                });
        return stored;
    }

    private RuntimeException notOpen(Handle h, UUID conversationId) {
        findConversation(h, conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId));
        return new ConflictException("conversationId", "conversation " + conversationId + " is closed and accepts no messages");
    }

    // The three statements every append runs go through plain JDBC on the transaction's
    // connection: Jdbi's per-statement binding and mapping cost ~20-40 us per append, a third of
    // an SQLite append (atlas-bench, benchmark 1). Everything else in this class uses Jdbi.

    private Optional<Long> nextSequence(Handle h, UUID conversationId, Instant now, String autoTitle) {
        return advanceSequence(h, conversationId, 1, now, autoTitle);
    }

    /**
     * Adds {@code count} to the open conversation's counter and returns the new value (the last
     * sequence taken); empty when the conversation is missing, deleted or closed. On PostgreSQL it
     * also row-locks the conversation, which orders concurrent appends to it.
     */
    private Optional<Long> advanceSequence(Handle h, UUID conversationId, int count, Instant now, String autoTitle) {
        return Db.jdbc(h, nextSequenceSql, ps -> {
            Dialect d = db.dialect();
            ps.setInt(1, count);
            d.bindInstant(ps, 2, now);
            d.bindInstant(ps, 3, now);
            d.bindInstant(ps, 4, now);
            ps.setString(5, autoTitle);
            ps.setString(6, tenant);
            d.bindUuid(ps, 7, conversationId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        });
    }

    private void insertMessage(Handle h, UUID id, UUID conversationId, long seq, NewMessage m, JsonDoc metadata, Instant now) {
        Db.jdbc(h, insertMessageSql, ps -> bindMessage(ps, id, conversationId, seq, m, metadata, now).executeUpdate());
        Db.jdbc(h, insertCreatedEventSql, ps -> bindCreatedEvent(ps, id, conversationId, seq, m, now).executeUpdate());
    }

    private PreparedStatement bindMessage(PreparedStatement ps, UUID id, UUID conversationId, long seq, NewMessage m, JsonDoc metadata,
                                          Instant now) throws SQLException {
        Dialect d = db.dialect();
        ps.setString(1, tenant);
        d.bindUuid(ps, 2, id);
        d.bindUuid(ps, 3, conversationId);
        ps.setLong(4, seq);
        ps.setString(5, m.role().toString());
        ps.setString(6, m.contentType().toString());
        ps.setString(7, m.content());
        ps.setString(8, m.status().toString());
        ps.setString(9, m.failureReason());
        ps.setString(10, m.clientId());
        ps.setString(11, m.author() == null ? null : m.author().type());
        ps.setString(12, m.author() == null ? null : m.author().id());
        ps.setString(13, m.agent());
        d.bindOptionalUuid(ps, 14, m.parentId());
        d.bindOptionalUuid(ps, 15, m.executionId());
        d.bindOptionalUuid(ps, 16, m.stepId());
        d.bindJson(ps, 17, metadata.text());
        d.bindInstant(ps, 18, now);
        d.bindInstant(ps, 19, now);
        ps.setString(20, SearchText.index(m.content()));
        return ps;
    }

    private PreparedStatement bindCreatedEvent(PreparedStatement ps, UUID id, UUID conversationId, long seq, NewMessage m, Instant now)
            throws SQLException {
        Dialect d = db.dialect();
        // Role and status are enum wire names (plain ASCII words), so the details need no escaping.
        String details = "{\"sequence\":" + seq + ",\"role\":\"" + m.role() + "\",\"status\":\"" + m.status() + "\"}";
        ps.setString(1, tenant);
        d.bindUuid(ps, 2, Ids.next(db.clock()));
        d.bindUuid(ps, 3, conversationId);
        d.bindUuid(ps, 4, id);
        d.bindJson(ps, 5, details);
        d.bindInstant(ps, 6, now);
        return ps;
    }

    /** The execution and step a message links to exist in this tenant, and the step is the execution's. */
    private void requireExecutionLinks(Handle h, NewMessage m) {
        if (m.executionId() == null) {
            return;
        }
        // One round trip for both: the step is joined within the execution's tenant.
        Optional<UUID> stepExecution = h.createQuery("SELECT s.execution_id FROM <p>executions e LEFT JOIN <p>execution_steps s"
                        + " ON s.tenant_id = e.tenant_id AND s.id = :step WHERE e.tenant_id = :t AND e.id = :e")
                .bind("t", tenant).bind("e", m.executionId()).bind("step", m.stepId())
                .map((rs, ctx) -> Optional.ofNullable(db.dialect().uuid(rs, "execution_id"))).findOne()
                .orElseThrow(() -> new NotFoundException("execution", m.executionId(), "executionId"));
        if (m.stepId() == null) {
            return;
        }
        if (stepExecution.isEmpty()) {
            throw new NotFoundException("step", m.stepId(), "stepId");
        }
        if (!stepExecution.get().equals(m.executionId())) {
            throw new InvalidInputException("stepId", "step " + m.stepId() + " belongs to execution " + stepExecution.get()
                    + ", not to executionId " + m.executionId());
        }
    }

    /**
     * The parent exists in this conversation, and answering it again is still allowed: a
     * regeneration (the parent already has an answer with this role) is refused once an active
     * user message follows the parent, which is what {@link #canRetry} reports.
     */
    private void requireAnswerableParent(Handle h, UUID conversationId, NewMessage m) {
        UUID parentId = m.parentId();
        Map.Entry<UUID, Long> parent = h.createQuery("SELECT conversation_id, sequence FROM <p>messages WHERE " + LIVE_MESSAGE_BY_ID)
                .bind("t", tenant).bind("id", parentId)
                .map((rs, ctx) -> Map.entry(db.dialect().uuid(rs, "conversation_id"), rs.getLong("sequence"))).findOne()
                .orElseThrow(() -> new NotFoundException("message", parentId, "parentId"));
        if (!parent.getKey().equals(conversationId)) {
            throw new InvalidInputException("parentId", "message " + parentId + " belongs to another conversation");
        }
        if (!userMessageFollows(h, conversationId, parent.getValue(), parentId)) {
            return;
        }
        boolean answered = h.createQuery("SELECT 1 FROM <p>messages WHERE tenant_id = :t AND conversation_id = :c AND parent_id = :parent"
                        + " AND role = :role AND deleted_at IS NULL LIMIT 1")
                .bind("t", tenant).bind("c", conversationId).bind("parent", parentId).bind("role", m.role().toString())
                .mapTo(Integer.class).findOne().isPresent();
        if (answered) {
            throw new ConflictException("parentId", "message " + parentId + " is followed by a later user message; regenerating"
                    + " its answer would reorder the history (canRetry is false)");
        }
    }

    /**
     * The retry rule, in one place: whether an active user message follows the parent (at
     * {@code sequence}) in the conversation. A later user message means the conversation moved
     * on, so a regenerated answer would land after it in the history. User messages answering
     * the parent themselves are the siblings being regenerated, not a later turn.
     */
    private boolean userMessageFollows(Handle h, UUID conversationId, long sequence, UUID parentId) {
        Query query = h.createQuery("SELECT 1 FROM <p>messages WHERE tenant_id = :t AND conversation_id = :c AND sequence > :seq"
                        + " AND role = 'user' AND is_active = TRUE AND deleted_at IS NULL"
                        + (parentId == null ? "" : " AND (parent_id IS NULL OR parent_id <> :parent)") + " LIMIT 1")
                .bind("t", tenant).bind("c", conversationId).bind("seq", sequence);
        if (parentId != null) {
            query.bind("parent", parentId);
        }
        return query.mapTo(Integer.class).findOne().isPresent();
    }

    private void recordEvent(Handle h, UUID conversationId, UUID messageId, MessageEventType type, Map<String, Object> details, Instant now) {
        h.createUpdate("INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                        + " VALUES (:t, :id, :c, :m, :type, :details, :now)")
                .bind("t", tenant).bind("id", Ids.next(db.clock())).bind("c", conversationId).bind("m", messageId)
                .bind("type", type.toString()).bind("details", Json.internal(details)).bind("now", now)
                .execute();
    }

    @Override
    public Optional<Message> getMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> findMessage(h, messageId));
    }

    private Optional<Message> findMessage(Handle h, UUID messageId) {
        return h.createQuery(M + " WHERE " + LIVE_MESSAGE_BY_ID)
                .bind("t", tenant).bind("id", messageId).map(messages).findOne();
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
        List<Message> newestFirst = db.read(h -> {
            List<Message> rows = h.createQuery(M + " WHERE tenant_id = :t AND conversation_id = :conversation AND sequence < :before"
                            + " AND is_active = TRUE AND deleted_at IS NULL AND status = 'delivered' AND " + LIVE_CONVERSATION
                            + " ORDER BY sequence DESC LIMIT :limit")
                    .bind("t", tenant).bind("conversation", conversationId).bind("before", beforeSequence).bind("limit", limit)
                    .map(messages).list();
            if (rows.isEmpty()) {
                requireLiveConversation(h, conversationId);
            }
            return rows;
        });
        List<Message> ordered = new ArrayList<>(newestFirst);
        Collections.reverse(ordered);
        return Collections.unmodifiableList(ordered);
    }

    @Override
    public List<Message> messages(UUID conversationId, long afterSequence, int limit) {
        Check.notNull("conversationId", conversationId);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.nonNegative("afterSequence", afterSequence);
        return db.read(h -> {
            List<Message> rows = h.createQuery(M + " WHERE tenant_id = :t AND conversation_id = :conversation AND sequence > :after"
                            + " AND deleted_at IS NULL AND " + LIVE_CONVERSATION + " ORDER BY sequence LIMIT :limit")
                    .bind("t", tenant).bind("conversation", conversationId).bind("after", afterSequence).bind("limit", limit)
                    .map(messages).list();
            if (rows.isEmpty()) {
                requireLiveConversation(h, conversationId);
            }
            return List.copyOf(rows);
        });
    }

    private void requireLiveConversation(Handle h, UUID conversationId) {
        findConversation(h, conversationId).orElseThrow(() -> new NotFoundException("conversation", conversationId));
    }

    @Override
    public List<Message> siblings(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> {
            Message self = requireMessage(h, messageId);
            if (self.parentId() == null) {
                return List.of(self);
            }
            return List.copyOf(siblingsOf(h, self));
        });
    }

    private List<Message> siblingsOf(Handle h, Message self) {
        return h.createQuery(M + " WHERE tenant_id = :t AND conversation_id = :c AND parent_id = :parent AND role = :role"
                        + " AND deleted_at IS NULL ORDER BY sequence")
                .bind("t", tenant).bind("c", self.conversationId()).bind("parent", self.parentId())
                .bind("role", self.role().toString())
                .map(messages).list();
    }

    @Override
    public Message activate(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.write(h -> {
            // Appends and activations of one conversation serialise on its row (append takes it
            // with the next sequence), so concurrent activations end with the last one active, and
            // the unique index on active siblings (V6) never trips on this path.
            h.createQuery("SELECT id FROM <p>conversations WHERE tenant_id = :t AND deleted_at IS NULL AND id ="
                            + " (SELECT conversation_id FROM <p>messages WHERE " + LIVE_MESSAGE_BY_ID + ")" + db.dialect().forUpdate())
                    .bind("t", tenant).bind("id", messageId).mapTo(String.class).findOne()
                    .orElseThrow(() -> new NotFoundException("message", messageId));
            Message self = requireMessage(h, messageId);
            if (self.active()) {
                return self;
            }
            Instant now = db.now();
            if (self.parentId() != null) {
                h.createUpdate("UPDATE <p>messages SET is_active = FALSE, updated_at = :now WHERE tenant_id = :t"
                                + " AND conversation_id = :c AND parent_id = :parent AND role = :role AND is_active = TRUE")
                        .bind("t", tenant).bind("c", self.conversationId()).bind("parent", self.parentId())
                        .bind("role", self.role().toString()).bind("now", now)
                        .execute();
            }
            Message activated = h.createQuery("UPDATE <p>messages SET is_active = TRUE, updated_at = :now WHERE tenant_id = :t"
                            + " AND id = :id RETURNING " + Rows.MESSAGE_COLUMNS)
                    .bind("t", tenant).bind("id", messageId).bind("now", now)
                    .map(messages).one();
            recordEvent(h, self.conversationId(), messageId, MessageEventType.ACTIVATED, Map.of(), now);
            return activated;
        });
    }

    @Override
    public boolean canRetry(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> {
            Message self = requireMessage(h, messageId);
            long after = self.sequence();
            if (self.parentId() != null) {
                // The parent is always earlier than its answers; a soft-deleted parent still marks the turn.
                after = h.createQuery("SELECT sequence FROM <p>messages WHERE tenant_id = :t AND id = :id")
                        .bind("t", tenant).bind("id", self.parentId()).mapTo(Long.class).findOne().orElse(after);
            }
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
        Set<MessageStatus> from = EnumSet.noneOf(MessageStatus.class);
        for (MessageStatus s : MessageStatus.values()) {
            if (s.canMoveTo(status)) {
                from.add(s);
            }
        }
        List<String> fromWire = from.stream().map(MessageStatus::toString).toList();
        return db.write(h -> {
            Message current = requireMessage(h, messageId);
            current.status().checkMoveTo(status);
            Instant now = db.now();
            Message updated = h.createQuery("UPDATE <p>messages SET status = :status, failure_reason = :reason, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND status IN (<from>) RETURNING " + Rows.MESSAGE_COLUMNS)
                    .bind("t", tenant).bind("id", messageId).bind("status", status.toString()).bind("reason", failureReason)
                    .bind("now", now).bindList("from", fromWire)
                    .map(messages).one();
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

    @Override
    public Message markRead(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.write(h -> h.createQuery("UPDATE <p>messages SET read_at = COALESCE(read_at, :now) WHERE " + LIVE_MESSAGE_BY_ID
                        + " RETURNING " + Rows.MESSAGE_COLUMNS)
                .bind("t", tenant).bind("id", messageId).bind("now", db.now())
                .map(messages).findOne()
                .orElseThrow(() -> new NotFoundException("message", messageId)));
    }

    @Override
    public int markAllRead(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.write(h -> {
            requireLiveConversation(h, conversationId);
            return h.createUpdate("UPDATE <p>messages SET read_at = :now WHERE tenant_id = :t AND conversation_id = :c"
                            + " AND read_at IS NULL AND deleted_at IS NULL AND is_active = TRUE")
                    .bind("t", tenant).bind("c", conversationId).bind("now", db.now())
                    .execute();
        });
    }

    @Override
    public long unreadCount(UUID conversationId) {
        Check.notNull("conversationId", conversationId);
        return db.read(h -> {
            requireLiveConversation(h, conversationId);
            return h.createQuery("SELECT COUNT(*) FROM <p>messages WHERE tenant_id = :t AND conversation_id = :c"
                            + " AND read_at IS NULL AND deleted_at IS NULL AND is_active = TRUE")
                    .bind("t", tenant).bind("c", conversationId)
                    .mapTo(Long.class).one();
        });
    }

    @Override
    public Message edit(UUID messageId, String content) {
        Check.notNull("messageId", messageId);
        Check.notNull("content", content);
        Check.text("content", content, Limits.MAX_CONTENT_LENGTH);
        return db.write(h -> {
            Message current = requireMessage(h, messageId);
            if (current.contentType() == ContentType.JSON) {
                Json.validate("content", content);
            }
            Instant now = db.now();
            Message edited = h.createQuery("UPDATE <p>messages SET content = :content, search_text = :searchText, edited_at = :now,"
                            + " updated_at = :now WHERE tenant_id = :t AND id = :id RETURNING " + Rows.MESSAGE_COLUMNS)
                    .bind("t", tenant).bind("id", messageId).bind("content", content).bind("searchText", SearchText.index(content))
                    .bind("now", now)
                    .map(messages).one();
            recordEvent(h, current.conversationId(), messageId, MessageEventType.EDITED, Map.of("previousContent", current.content()), now);
            return edited;
        });
    }

    @Override
    public void deleteMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        db.write(h -> {
            Message current = requireMessage(h, messageId);
            Instant now = db.now();
            h.createUpdate("UPDATE <p>messages SET deleted_at = :now, updated_at = :now WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", messageId).bind("now", now).execute();
            recordEvent(h, current.conversationId(), messageId, MessageEventType.DELETED, Map.of(), now);
            return null;
        });
    }

    @Override
    public Page<MessageEvent> events(MessageEventQuery q) {
        Check.notNull("query", q);
        Cursor after = q.cursor() == null ? null : Cursor.parse(q.cursor());
        List<MessageEvent> rows = db.read(h -> {
            // A soft-deleted message keeps its audit trail, so this looks the message up without
            // the message's own deleted_at, but still only in a live conversation.
            if (h.createQuery("SELECT 1 FROM <p>messages WHERE " + MESSAGE_BY_ID).bind("t", tenant)
                    .bind("id", q.messageId()).mapTo(Integer.class).findOne().isEmpty()) {
                throw new NotFoundException("message", q.messageId());
            }
            Query query = h.createQuery("SELECT " + Rows.EVENT_COLUMNS + " FROM <p>message_events WHERE tenant_id = :t AND message_id = :m"
                            + (after == null ? "" : " AND (created_at > :afterAt OR (created_at = :afterAt AND id > :afterId))")
                            + " ORDER BY created_at, id LIMIT :limit")
                    .bind("t", tenant).bind("m", q.messageId()).bind("limit", q.limit() + 1);
            if (after != null) {
                query.bind("afterAt", after.at()).bind("afterId", after.id());
            }
            return query.map(events).list();
        });
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<MessageEvent> page = rows.subList(0, q.limit());
        MessageEvent last = page.get(page.size() - 1);
        return new Page<>(page, Optional.of(new Cursor(last.createdAt(), last.id()).encode()));
    }

    /** Keyset position in a listing (conversations, message events): the time and id of the last row seen. */
    record Cursor(Instant at, UUID id) {
        String encode() {
            String raw = Dialect.toMicros(at) + ":" + id;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        static Cursor parse(String cursor) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
                int colon = raw.indexOf(':');
                return new Cursor(Dialect.fromMicros(Long.parseLong(raw.substring(0, colon))), UUID.fromString(raw.substring(colon + 1)));
            } catch (RuntimeException e) {
                throw new InvalidInputException("cursor", "is not a cursor returned by a previous page");
            }
        }
    }
}
