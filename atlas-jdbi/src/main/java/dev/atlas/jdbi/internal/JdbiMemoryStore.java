package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryRevision;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link MemoryStore} on the statement layer ({@link MemorySql}). */
public final class JdbiMemoryStore implements MemoryStore {
    private final Db db;
    private final Sql sql;
    private final MemorySql q;
    private final ExecutionSql xq;
    private final RowMapper<Memory> mapper;

    public JdbiMemoryStore(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(MemorySql.class, MemorySql::new);
        this.xq = db.statements(ExecutionSql.class, ExecutionSql::new);
        Dialect d = db.dialect();
        this.mapper = Rows.guard("memories", "id", (rs, ctx) -> new Memory(
                d.uuid(rs, "id"), rs.getString("tenant_id"), new Owner(rs.getString("owner_type"), rs.getString("owner_id")),
                rs.getString("agent"), MemoryKind.of(rs.getString("kind")), rs.getString("content"), tags(rs.getString("tags")),
                Json.readMap(rs.getString("metadata")), rs.getDouble("importance"), d.uuid(rs, "conversation_id"),
                d.uuid(rs, "message_id"), d.uuid(rs, "tool_call_id"), d.instant(rs, "expires_at"), rs.getInt("revision"),
                d.instant(rs, "created_at"), d.instant(rs, "updated_at")));
    }

    /**
     * The tags column ({@link MemorySql#tagsColumn}, a JSON array of strings, NULL for none on
     * PostgreSQL) in code point order, each tag as stored: a tag today's writes refuse (blank, over
     * {@link dev.atlas.Limits#MAX_TAG_LENGTH}) is old data an import before its text rules could
     * bring, and keeps its memory readable (and replaceable by an update). A column that is no
     * array of strings is {@link dev.atlas.UnreadableRowException} ({@link Json#readStrings}).
     */
    private static List<String> tags(String json) {
        return codePointOrder(Json.readStrings(json));
    }

    @Override
    public Memory create(NewMemory m) {
        Check.notNull("memory", m);
        JsonDoc metadata = Json.write("metadata", m.metadata());
        UUID id = Ids.next(db.clock());
        Instant expiresAt = Check.micros(m.expiresAt());
        // One instant for the check and the row: a memory no read could ever return is refused, not stored.
        Instant now = db.now();
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            throw new InvalidInputException("expiresAt", "must be after now (" + now + "), was " + expiresAt);
        }
        return db.write(h -> {
            Optional<Memory> held = heldClientKey(h, m, now);
            if (held.isPresent()) {
                return held.get();
            }
            requireRow(h, q.conversationExists, "conversation", "conversationId", m.conversationId());
            UUID messageConversation = requireMessageOf(h, m.conversationId(), m.messageId());
            requireToolCallOf(h, m.conversationId(), messageConversation, m.toolCallId());
            sql.on(h, q.insert).bind("id", id).bind("ownerType", m.owner().type()).bind("ownerId", m.owner().id())
                    .bind("agent", m.agent()).bind("kind", m.kind().value()).bind("content", m.content())
                    .bind("searchText", SearchText.index(m.content())).bind("metadata", metadata).bind("importance", m.importance())
                    .bind("conversation", m.conversationId()).bind("message", m.messageId()).bind("toolCall", m.toolCallId())
                    .bind("expiresAt", expiresAt).bind("now", now).bind("clientKey", m.clientKey()).update();
            insertTags(h, id, m.tags());
            return new Memory(id, sql.tenant().value(), m.owner(), m.agent(), m.kind(), m.content(), codePointOrder(m.tags()),
                    Json.readMap(metadata), m.importance(), m.conversationId(), m.messageId(), m.toolCallId(), expiresAt, 1,
                    now, now);
        });
    }

    /**
     * The visible memory created with {@code m}'s client key, when it is the same create (owner,
     * agent, kind, and the content it was created with or has now); empty when the key is free or
     * none was given. A different create is a ConflictException. The key of an expired memory is
     * freed here: the memory is gone for readers, as a deleted one is. Runs in the transaction
     * that would insert, under a per-key advisory lock on PostgreSQL (SQLite's single writer
     * serialises), so of concurrent creates with one key the first inserts and the others see it.
     */
    private Optional<Memory> heldClientKey(Handle h, NewMemory m, Instant now) {
        String key = m.clientKey();
        if (key == null) {
            return Optional.empty();
        }
        if (q.keyLock != null) {
            sql.on(h, q.keyLock).bind("lock", PgSessions.clientKeyLock("memories", sql.tenant().value(), key)).exists();
        }
        Optional<Memory> held = sql.on(h, q.byClientKey).bind("clientKey", key).optional(mapper);
        if (held.isEmpty()) {
            return held;
        }
        Memory stored = held.get();
        if (stored.expiresAt() != null && !stored.expiresAt().isAfter(now)) {
            sql.on(h, q.freeClientKey).bind("id", stored.id()).update();
            return Optional.empty();
        }
        boolean sameContent = stored.content().equals(m.content()) || stored.revision() > 1
                && m.content().equals(sql.on(h, q.firstContent).bind("m", stored.id()).optional(Sql.STRING).orElse(null));
        if (!stored.owner().equals(m.owner()) || !java.util.Objects.equals(stored.agent(), m.agent()) || !stored.kind().equals(m.kind())
                || !sameContent) {
            throw new dev.atlas.ConflictException("clientKey", "'" + Check.escaped(key) + "' was already used for memory " + stored.id()
                    + " with a different owner, agent, kind or content");
        }
        return Optional.of(stored);
    }

    /**
     * Distinct tags in code point order, the order reads return them in on both databases (a
     * TreeSet's String order is UTF-16's, which sorts U+FF21 after an emoji).
     */
    private static List<String> codePointOrder(List<String> tags) {
        return tags.stream().distinct().sorted(Json::codePointOrder).toList();
    }

    private void requireRow(Handle h, Statement exists, String entity, String field, UUID id) {
        if (id != null && !sql.on(h, exists).bind("id", id).exists()) {
            throw new NotFoundException(entity, id, field);
        }
    }

    /**
     * The provenance message exists in this tenant and, with a conversation given, is one of its
     * messages; returns its conversation (null without a message).
     */
    private UUID requireMessageOf(Handle h, UUID conversationId, UUID messageId) {
        if (messageId == null) {
            return null;
        }
        UUID in = sql.on(h, q.messageExists).bind("id", messageId).optional((rs, ctx) -> db.dialect().uuid(rs, "conversation_id"))
                .orElseThrow(() -> new NotFoundException("message", messageId, "messageId"));
        if (conversationId != null && !conversationId.equals(in)) {
            throw new InvalidInputException("messageId", "message " + messageId + " belongs to another conversation than conversationId "
                    + conversationId);
        }
        return in;
    }

    /**
     * The provenance tool call exists in this tenant and, when its execution ran in a conversation
     * and the memory names one (its {@code conversationId}, or its message's), ran in that one. A
     * call of an execution outside any conversation (an extractor run apart from the chat) goes
     * with any.
     */
    private void requireToolCallOf(Handle h, UUID conversationId, UUID messageConversation, UUID toolCallId) {
        if (toolCallId == null) {
            return;
        }
        Optional<Optional<UUID>> found = sql.on(h, xq.toolCallConversation).bind("id", toolCallId)
                .optional((rs, ctx) -> Optional.ofNullable(db.dialect().uuid(rs, "conversation_id")));
        UUID ranIn = found.orElseThrow(() -> new NotFoundException("tool call", toolCallId, "toolCallId")).orElse(null);
        UUID memoryIn = conversationId != null ? conversationId : messageConversation;
        if (ranIn != null && memoryIn != null && !ranIn.equals(memoryIn)) {
            throw new InvalidInputException("toolCallId", "tool call " + toolCallId + " is of an execution of another conversation than "
                    + (conversationId != null ? "conversationId " : "messageId's conversation ") + memoryIn);
        }
    }

    private void insertTags(Handle h, UUID id, List<String> tags) {
        if (tags.isEmpty()) {
            return;
        }
        Sql.Call batch = sql.on(h, q.insertTag);
        for (String tag : tags) {
            batch.bind("m", id).bind("tag", tag).add();
        }
        batch.batch();
    }

    @Override
    public Optional<Memory> get(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        // One statement, the row with its tags: one snapshot at every isolation level, in an application's transaction too.
        return db.read(h -> find(h, q.find, memoryId));
    }

    private Optional<Memory> find(Handle h, Statement statement, UUID id) {
        Sql.Call call = sql.on(h, statement).bind("id", id);
        if (statement != q.findAny) {
            call.bind("now", db.now());
        }
        return call.optional(mapper);
    }

    @Override
    public Page<Memory> list(MemoryQuery query) {
        Check.notNull("query", query);
        Cursor.Listing listing = sql.listing("memories", query.owner() == null ? null : query.owner().type(),
                query.owner() == null ? null : query.owner().id(), query.agent(), query.includeGlobal(),
                query.kind() == null ? null : query.kind().value(), query.tag());
        UUID after = query.cursor() == null ? null : Cursor.decode(query.cursor(), listing, 1).uuid(0);
        Where where = new Where()
                .and("owner_type = :ownerType", "ownerType", query.owner() == null ? null : query.owner().type())
                .and("owner_id = :ownerId", "ownerId", query.owner() == null ? null : query.owner().id())
                .and(query.includeGlobal() ? "(agent = :agent OR agent IS NULL)" : "agent = :agent", "agent", query.agent())
                .and("kind = :kind", "kind", query.kind() == null ? null : query.kind().value())
                .and("id < :after", "after", after);
        List<Memory> rows = db.read(h -> { // one statement, the rows with their tags: one snapshot
            Sql.Call call = where.bindTo(sql.on(h, query.tag() == null ? q.list(where.toString()) : q.listTagged(where.toString())));
            if (query.tag() != null) {
                call.bind("tag", query.tag());
            }
            return call.bind("now", db.now()).bind("limit", query.limit() + 1).list(mapper);
        });
        return Cursor.page(rows, query.limit(), m -> Cursor.encode(listing, m.id()));
    }

    @Override
    public Memory update(UUID memoryId, MemoryPatch patch) {
        Check.notNull("memoryId", memoryId);
        Check.notNull("patch", patch);
        JsonDoc metadata = patch.metadata() == null ? null : Json.write("metadata", patch.metadata());
        return db.write(h -> {
            // PostgreSQL: the row locked first, then read in a statement of its own, which sees the tags of an update it waited for.
            if (q.lock != null && !sql.on(h, q.lock).bind("id", memoryId).bind("now", db.now()).exists()) {
                throw new NotFoundException("memory", memoryId);
            }
            Memory current = find(h, q.find, memoryId).orElseThrow(() -> new NotFoundException("memory", memoryId));
            if (changesNothing(current, patch, metadata)) {
                // Every field given as stored: nothing is written, updatedAt included.
                return current;
            }
            // An instance whose clock runs behind the last writer's must not move updatedAt back
            // (before createdAt, even): the row is locked, so its stamp is the floor.
            Instant now = latest(db.now(), current.updatedAt());
            boolean contentChanged = patch.content() != null && !patch.content().equals(current.content());
            if (contentChanged) {
                sql.on(h, q.insertRevision).bind("id", Ids.next(db.clock())).bind("m", memoryId).bind("revision", current.revision())
                        .bind("content", current.content()).bind("now", now).update();
                // Embeddings of the old content would now answer for the new one.
                sql.on(h, q.deleteVectors).bind("m", memoryId).update();
            }
            boolean setExpiry = patch.expiresAt() != null || patch.clearExpiry();
            sql.on(h, q.update).bind("id", memoryId).bind("now", now)
                    .bind("content", contentChanged ? patch.content() : null)
                    .bind("searchText", contentChanged ? SearchText.index(patch.content()) : null)
                    .bind("bump", contentChanged ? 1 : 0).bind("metadata", metadata)
                    .bind("importance", patch.importance() == null ? null : patch.importance().doubleValue())
                    .bind("setExpiry", setExpiry ? 1 : 0).bind("expiresAt", setExpiry ? patch.expiresAt() : null)
                    .update();
            if (patch.tags() != null) {
                sql.on(h, q.deleteTags).bind("m", memoryId).update();
                insertTags(h, memoryId, patch.tags());
            }
            // An update may set an expiry in the past: the memory is then gone for readers, as documented.
            return find(h, q.findAny, memoryId).orElseThrow();
        });
    }

    /**
     * Whether every field {@code patch} gives equals the stored one, as a read would return it:
     * content exactly, tags as a set, metadata as the map it reads back as (key order aside),
     * importance, and the expiry at the microsecond the databases store.
     */
    private static boolean changesNothing(Memory current, MemoryPatch patch, JsonDoc metadata) {
        return (patch.content() == null || patch.content().equals(current.content()))
                && (patch.tags() == null || codePointOrder(patch.tags()).equals(current.tags()))
                && (metadata == null || Json.readMap(metadata).equals(current.metadata()))
                && (patch.importance() == null || patch.importance().doubleValue() == current.importance())
                && (patch.expiresAt() == null || Check.micros(patch.expiresAt()).equals(current.expiresAt()))
                && (!patch.clearExpiry() || current.expiresAt() == null);
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isBefore(b) ? b : a;
    }

    @Override
    public void delete(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        if (db.write(h -> sql.on(h, q.delete).bind("id", memoryId).bind("now", db.now()).update()) == 0) {
            throw new NotFoundException("memory", memoryId);
        }
    }

    @Override
    public List<MemoryRevision> revisions(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        return trail(memoryId, db.read(h -> sql.on(h, q.revisions).bind("m", memoryId).bind("now", db.now()).list(revision)));
    }

    /**
     * The revisions of {@link MemorySql#revisions}' rows: none is no visible memory of this tenant
     * (NotFoundException, as for an id that exists nowhere), a row without a revision is a memory
     * without revisions.
     */
    private static List<MemoryRevision> trail(UUID memoryId, List<Optional<MemoryRevision>> rows) {
        if (rows.isEmpty()) {
            throw new NotFoundException("memory", memoryId);
        }
        return rows.stream().flatMap(Optional::stream).toList();
    }

    /** A stored value that cannot be read names the revision's row (Dialect reads a column without knowing its row). */
    private final RowMapper<Optional<MemoryRevision>> revision = Rows.guard("memory_revisions", "revision_id", this::revisionOf);

    private Optional<MemoryRevision> revisionOf(java.sql.ResultSet rs, @org.jspecify.annotations.Nullable Object ctx)
            throws java.sql.SQLException {
        int revision = rs.getInt("revision");
        if (rs.wasNull()) {
            return Optional.empty();
        }
        return Optional.of(new MemoryRevision(db.dialect().uuid(rs, "memory_id"), revision, rs.getString("content"),
                db.dialect().instant(rs, "replaced_at")));
    }

    private static final String REVISIONS = "memoryRevisions";

    @Override
    public Page<MemoryRevision> revisions(UUID memoryId, int limit, String cursor) {
        Check.notNull("memoryId", memoryId);
        Check.positive("limit", limit, dev.atlas.Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing(REVISIONS, memoryId);
        long after = cursor == null ? 0 : Cursor.decode(cursor, listing, 1).number(0, 1, Integer.MAX_VALUE);
        List<MemoryRevision> rows = trail(memoryId, db.read(h -> sql.on(h, q.revisionsPage).bind("m", memoryId).bind("after", after)
                .bind("now", db.now()).bind("limit", limit + 1).list(revision)));
        return Cursor.page(rows, limit, r -> Cursor.encode(listing, r.revision()));
    }
}
