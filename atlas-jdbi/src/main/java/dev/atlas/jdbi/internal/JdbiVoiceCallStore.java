package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.UnreadableRowException;
import dev.atlas.conversation.Role;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallQuery;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** {@link VoiceCallStore} on Jdbi: the transcript is one JSON array column, replaced whole by each write. */
public final class JdbiVoiceCallStore implements VoiceCallStore {
    private static final TypeReference<List<Map<String, String>>> TURNS = new TypeReference<>() {};

    private final Db db;
    private final Sql sql;
    private final VoiceCallSql q;
    private final RowMapper<VoiceCall> calls;

    public JdbiVoiceCallStore(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(VoiceCallSql.class, VoiceCallSql::new);
        Dialect d = db.dialect();
        this.calls = Rows.guard("voice_calls", "id", (rs, ctx) -> new VoiceCall(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                rs.getString("session_id"),
                d.uuid(rs, "conversation_id"),
                d.uuid(rs, "execution_id"),
                Rows.owner(rs, "owner_type", "owner_id"),
                rs.getString("agent"),
                rs.getString("provider"),
                rs.getString("model"),
                VoiceCallStatus.of(rs.getString("status")),
                readTurns(rs.getString("transcript")),
                rs.getString("summary"),
                ExecutionRows.nullableLong(rs, "duration_ms"),
                Json.readMap(rs.getString("metadata")),
                d.instant(rs, "started_at"),
                d.instant(rs, "completed_at"),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at")));
    }

    private static List<VoiceTurn> readTurns(String json) {
        try {
            return Json.mapper().readValue(json, TURNS).stream().map(t -> new VoiceTurn(Role.of(t.get("role")), t.get("content"))).toList();
        } catch (IOException e) {
            throw new UnreadableRowException(null, null, "stored transcript could not be read: "
                    + dev.atlas.internal.Check.bounded(e.getMessage()), ShownFailures.scrubbed(e));
        }
    }

    private static JsonDoc writeTurns(List<VoiceTurn> transcript) {
        return writeTurns("transcript", Check.list("transcript", Check.notNull("transcript", transcript)));
    }

    /**
     * A transcript as it is stored (an array of {@code {"role", "content"}} objects), or an
     * {@link InvalidInputException} naming {@code field} when its JSON exceeds
     * {@link Limits#MAX_CONTENT_LENGTH} characters. Import stores an imported transcript through this too.
     */
    public static JsonDoc writeTurns(String field, List<VoiceTurn> transcript) {
        // A tree, not a record: Jackson may not reflect on this module's internal types.
        ArrayNode turns = Json.mapper().createArrayNode();
        for (VoiceTurn t : transcript) {
            turns.addObject().put("role", t.role().toString()).put("content", t.content());
        }
        JsonDoc doc = Json.internal(turns);
        if (doc.text().length() > Limits.MAX_CONTENT_LENGTH) {
            throw new InvalidInputException(field, "is " + doc.text().length() + " characters as JSON; at most "
                    + Limits.MAX_CONTENT_LENGTH + " are allowed");
        }
        return doc;
    }

    @Override
    public VoiceCall start(NewVoiceCall nc) {
        Check.notNull("call", nc);
        JsonDoc metadata = Json.write("metadata", nc.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Optional<Owner> conversationOwner = Optional.empty();
            if (nc.conversationId() != null) {
                conversationOwner = sql.on(h, q.liveConversation).bind("id", nc.conversationId())
                        .optional((rs, ctx) -> Optional.ofNullable(Rows.owner(rs, "owner_type", "owner_id")))
                        .orElseThrow(() -> new NotFoundException("conversation", nc.conversationId(), "conversationId"));
            }
            if (nc.executionId() != null && !sql.on(h, q.execution).bind("id", nc.executionId()).exists()) {
                throw new NotFoundException("execution", nc.executionId(), "executionId");
            }
            // A call without an owner is that of the conversation it took place in, else that of its execution: an
            // erase of that owner then takes it with its transcript (left ownerless, it outlived the erase, unlinked).
            Owner owner = nc.owner() != null ? nc.owner() : conversationOwner.orElseGet(() -> nc.executionId() == null ? null
                    : sql.on(h, q.executionOwner).bind("e", nc.executionId()).optional((rs, ctx) -> Optional.ofNullable(Rows.owner(rs, "owner_type", "owner_id")))
                            .flatMap(o -> o).orElse(null));
            return sql.on(h, q.insert).bind("id", id).bind("session", nc.sessionId()).bind("c", nc.conversationId())
                    .bind("e", nc.executionId()).bind("ownerType", owner == null ? null : owner.type())
                    .bind("ownerId", owner == null ? null : owner.id()).bind("agent", nc.agent()).bind("provider", nc.provider())
                    .bind("model", nc.model()).bind("transcript", new JsonDoc("[]")).bind("metadata", metadata).bind("now", db.now())
                    .one(calls);
        });
    }

    @Override
    public VoiceCall checkpoint(UUID callId, List<VoiceTurn> transcript) {
        Check.notNull("callId", callId);
        JsonDoc doc = writeTurns(transcript);
        return db.write(h -> {
            Optional<VoiceCall> saved = sql.on(h, q.checkpoint).bind("id", callId).bind("transcript", doc).bind("now", db.now())
                    .optional(calls);
            if (saved.isPresent()) {
                return saved.get();
            }
            VoiceCall current = require(h, callId);
            throw new ConflictException("callId", "voice call " + callId + " is " + current.status() + "; only active calls take checkpoints");
        });
    }

    @Override
    public VoiceCall complete(UUID callId, List<VoiceTurn> transcript) {
        return finish(Check.notNull("callId", callId), VoiceCallStatus.COMPLETED, writeTurns(transcript));
    }

    @Override
    public VoiceCall fail(UUID callId) {
        return finish(Check.notNull("callId", callId), VoiceCallStatus.FAILED, null);
    }

    private VoiceCall finish(UUID callId, VoiceCallStatus target, JsonDoc transcript) {
        return db.write(h -> {
            VoiceCall current = sql.on(h, q.getForUpdate).bind("id", callId).optional(calls)
                    .orElseThrow(() -> new NotFoundException("voice call", callId));
            if (current.status() != VoiceCallStatus.ACTIVE) {
                throw new IllegalTransitionException("status", current.status(), target, "none (final)");
            }
            // The end the statement stamps (the later of now and the last write), so the duration matches it.
            Instant now = db.now();
            Instant end = now.isAfter(current.updatedAt()) ? now : current.updatedAt();
            Sql.Call call = sql.on(h, transcript == null ? q.fail : q.complete).bind("id", callId).bind("status", target.toString())
                    .bind("now", now).bind("duration", Math.max(0, Duration.between(current.startedAt(), end).toMillis()));
            // Guarded on status = 'active': a finish that committed since the read above wins, and
            // this one is refused as if it had come after it.
            return (transcript == null ? call : call.bind("transcript", transcript)).optional(calls).orElseThrow(() ->
                    new IllegalTransitionException("status", require(h, callId).status(), target, "none (final)"));
        });
    }

    @Override
    public VoiceCall summarize(UUID callId, String summary) {
        Check.notNull("callId", callId);
        Check.optionalNonBlank("summary", summary, Limits.MAX_CONTENT_LENGTH);
        return db.write(h -> sql.on(h, q.summarize).bind("id", callId).bind("summary", summary).bind("now", db.now())
                .optional(calls).orElseThrow(() -> new NotFoundException("voice call", callId)));
    }

    @Override
    public Optional<VoiceCall> get(UUID callId) {
        Check.notNull("callId", callId);
        return db.read(h -> find(h, callId));
    }

    private Optional<VoiceCall> find(Handle h, UUID callId) {
        return sql.on(h, q.get).bind("id", callId).optional(calls);
    }

    private VoiceCall require(Handle h, UUID callId) {
        return find(h, callId).orElseThrow(() -> new NotFoundException("voice call", callId));
    }

    @Override
    public Page<VoiceCall> byConversation(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        return page("voiceCallsByConversation", q.byConversation, q.byConversationAfter, conversationId, limit, cursor);
    }

    @Override
    public Page<VoiceCall> bySession(String sessionId, int limit, String cursor) {
        Check.key("sessionId", sessionId);
        return page("voiceCallsBySession", q.bySession, q.bySessionAfter, sessionId, limit, cursor);
    }

    /** {@code listing} names the cursor: each listing's cursor is refused by the others, whose rows and order differ. */
    private Page<VoiceCall> page(String name, Statement first, Statement next, Object key, int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing(name, key);
        Cursor after = cursor == null ? null : Cursor.decode(cursor, listing, 2);
        List<VoiceCall> rows = db.read(h -> {
            Sql.Call call = sql.on(h, after == null ? first : next).bind("key", key).bind("limit", limit + 1);
            return (after == null ? call : call.bind("at", after.instant(0)).bind("after", after.uuid(1))).list(calls);
        });
        return Cursor.page(rows, limit, c -> Cursor.encode(listing, c.startedAt(), c.id()));
    }

    @Override
    public Page<VoiceCall> list(VoiceCallQuery query) {
        Check.notNull("query", query);
        Cursor.Listing listing = sql.listing("voiceCalls", query.status(), query.owner() == null ? null : query.owner().type(),
                query.owner() == null ? null : query.owner().id(), query.agent());
        Cursor after = query.cursor() == null ? null : Cursor.decode(query.cursor(), listing, 2);
        Where where = new Where()
                .and("status = :status", "status", query.status() == null ? null : query.status().toString())
                .and("owner_type = :ownerType", "ownerType", query.owner() == null ? null : query.owner().type())
                .and("owner_id = :ownerId", "ownerId", query.owner() == null ? null : query.owner().id())
                .and("agent = :agent", "agent", query.agent())
                .and(VoiceCallSql.LIST_BEFORE, "at", after == null ? null : after.instant(0));
        List<VoiceCall> rows = db.read(h -> {
            Sql.Call call = where.bindTo(sql.on(h, q.list(where.toString()))).bind("limit", query.limit() + 1);
            return (after == null ? call : call.bind("after", after.uuid(1))).list(calls);
        });
        return Cursor.page(rows, query.limit(), c -> Cursor.encode(listing, c.startedAt(), c.id()));
    }

    @Override
    public int completeStale(Duration olderThan) {
        Check.notNull("olderThan", olderThan);
        if (olderThan.isNegative()) {
            throw new InvalidInputException("olderThan", "must not be negative, was " + olderThan);
        }
        return db.write(h -> {
            Instant now = db.now();
            // Rounded up, not truncated: started_at < cutoff stays exact for an age finer than a microsecond.
            return sql.on(h, q.completeStale).bind("now", now).bind("cutoff", Check.ceilMicros(Check.cutoff(now, olderThan))).update();
        });
    }
}
