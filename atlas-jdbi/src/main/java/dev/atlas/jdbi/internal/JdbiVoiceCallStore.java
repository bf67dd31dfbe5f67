package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.UnreadableRowException;
import dev.atlas.conversation.Role;
import dev.atlas.internal.Check;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallQuery;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** {@link VoiceCallStore} on Jdbi: the transcript is one JSON array column, replaced whole by each write. */
public final class JdbiVoiceCallStore implements VoiceCallStore {
    private static final String COLUMNS = "tenant_id, id, session_id, conversation_id, execution_id, owner_type, owner_id, agent,"
            + " provider, model, status, transcript, summary, duration_ms, metadata, started_at, completed_at, created_at, updated_at";
    private static final String V = "SELECT " + COLUMNS + " FROM <p>voice_calls";
    private static final TypeReference<List<Map<String, String>>> TURNS = new TypeReference<>() {};

    private final Db db;
    private final String tenant;
    private final RowMapper<VoiceCall> calls;

    public JdbiVoiceCallStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
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
            List<VoiceTurn> turns = new ArrayList<>();
            for (Map<String, String> t : Json.mapper().readValue(json, TURNS)) {
                turns.add(new VoiceTurn(Role.of(t.get("role")), t.get("content")));
            }
            return turns;
        } catch (IOException e) {
            throw new UnreadableRowException(null, null, "stored transcript could not be read: " + e.getMessage(), e);
        }
    }

    private static JsonDoc writeTurns(List<VoiceTurn> transcript) {
        List<VoiceTurn> turns = Check.list("transcript", Check.notNull("transcript", transcript));
        List<Map<String, String>> out = new ArrayList<>(turns.size());
        for (VoiceTurn t : turns) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("role", t.role().toString());
            m.put("content", t.content());
            out.add(m);
        }
        JsonDoc doc = Json.internal(out);
        if (doc.text().length() > Limits.MAX_CONTENT_LENGTH) {
            throw new InvalidInputException("transcript", "is " + doc.text().length() + " characters as JSON; at most "
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
            Instant now = db.now();
            if (nc.conversationId() != null) {
                h.createQuery("SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                        .bind("t", tenant).bind("id", nc.conversationId()).mapTo(Integer.class).findOne()
                        .orElseThrow(() -> new NotFoundException("conversation", nc.conversationId()));
            }
            if (nc.executionId() != null) {
                h.createQuery("SELECT 1 FROM <p>executions WHERE tenant_id = :t AND id = :id")
                        .bind("t", tenant).bind("id", nc.executionId()).mapTo(Integer.class).findOne()
                        .orElseThrow(() -> new NotFoundException("execution", nc.executionId()));
            }
            Owner owner = nc.owner();
            return h.createQuery("INSERT INTO <p>voice_calls (tenant_id, id, session_id, conversation_id, execution_id, owner_type, owner_id,"
                            + " agent, provider, model, status, transcript, metadata, started_at, created_at, updated_at) VALUES (:t, :id,"
                            + " :session, :c, :e, :ownerType, :ownerId, :agent, :provider, :model, 'active', :transcript, :metadata,"
                            + " :now, :now, :now) RETURNING " + COLUMNS)
                    .bind("t", tenant).bind("id", id).bind("session", nc.sessionId()).bind("c", nc.conversationId())
                    .bind("e", nc.executionId()).bind("ownerType", owner == null ? null : owner.type())
                    .bind("ownerId", owner == null ? null : owner.id()).bind("agent", nc.agent()).bind("provider", nc.provider())
                    .bind("model", nc.model()).bind("transcript", new JsonDoc("[]")).bind("metadata", metadata).bind("now", now)
                    .map(calls).one();
        });
    }

    @Override
    public VoiceCall checkpoint(UUID callId, List<VoiceTurn> transcript) {
        Check.notNull("callId", callId);
        JsonDoc doc = writeTurns(transcript);
        return db.write(h -> {
            Optional<VoiceCall> saved = h.createQuery("UPDATE <p>voice_calls SET transcript = :transcript, updated_at = :now"
                            + " WHERE tenant_id = :t AND id = :id AND status = 'active' RETURNING " + COLUMNS)
                    .bind("t", tenant).bind("id", callId).bind("transcript", doc).bind("now", db.now())
                    .map(calls).findOne();
            if (saved.isPresent()) {
                return saved.get();
            }
            VoiceCall current = require(h, callId);
            throw new ConflictException("callId", "voice call " + callId + " is " + current.status() + "; only active calls take checkpoints");
        });
    }

    @Override
    public VoiceCall complete(UUID callId, List<VoiceTurn> transcript) {
        Check.notNull("callId", callId);
        JsonDoc doc = writeTurns(transcript);
        return finish(callId, VoiceCallStatus.COMPLETED, ", transcript = :transcript", doc);
    }

    @Override
    public VoiceCall fail(UUID callId) {
        Check.notNull("callId", callId);
        return finish(callId, VoiceCallStatus.FAILED, "", null);
    }

    private VoiceCall finish(UUID callId, VoiceCallStatus target, String extra, JsonDoc transcript) {
        return db.write(h -> {
            VoiceCall current = require(h, callId);
            if (current.status() != VoiceCallStatus.ACTIVE) {
                throw new dev.atlas.IllegalTransitionException("status", current.status(), target, "none (final)");
            }
            Instant now = db.now();
            var q = h.createQuery("UPDATE <p>voice_calls SET status = :status, completed_at = :now, duration_ms = :duration,"
                            + " updated_at = :now" + extra + " WHERE tenant_id = :t AND id = :id AND status = 'active' RETURNING " + COLUMNS)
                    .bind("t", tenant).bind("id", callId).bind("status", target.toString()).bind("now", now)
                    .bind("duration", Math.max(0, Duration.between(current.startedAt(), now).toMillis()));
            if (transcript != null) {
                q.bind("transcript", transcript);
            }
            return q.map(calls).one();
        });
    }

    @Override
    public VoiceCall summarize(UUID callId, String summary) {
        Check.notNull("callId", callId);
        Check.optional("summary", summary, Limits.MAX_CONTENT_LENGTH);
        return db.write(h -> h.createQuery("UPDATE <p>voice_calls SET summary = :summary, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id RETURNING " + COLUMNS)
                .bind("t", tenant).bind("id", callId).bind("summary", summary).bind("now", db.now())
                .map(calls).findOne().orElseThrow(() -> new NotFoundException("voice call", callId)));
    }

    @Override
    public Optional<VoiceCall> get(UUID callId) {
        Check.notNull("callId", callId);
        return db.read(h -> find(h, callId));
    }

    private Optional<VoiceCall> find(Handle h, UUID callId) {
        return h.createQuery(V + " WHERE tenant_id = :t AND id = :id").bind("t", tenant).bind("id", callId).map(calls).findOne();
    }

    private VoiceCall require(Handle h, UUID callId) {
        return find(h, callId).orElseThrow(() -> new NotFoundException("voice call", callId));
    }

    @Override
    public Page<VoiceCall> byConversation(UUID conversationId, int limit, String cursor) {
        Check.notNull("conversationId", conversationId);
        return page("conversation_id = :key", conversationId, limit, cursor);
    }

    @Override
    public Page<VoiceCall> bySession(String sessionId, int limit, String cursor) {
        Check.key("sessionId", sessionId);
        return page("session_id = :key", sessionId, limit, cursor);
    }

    /** Keyset page on (started_at, id), the order of the (tenant, key, started_at) indexes. */
    private Page<VoiceCall> page(String filter, Object key, int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        JdbiConversationStore.Cursor after = Check.optional("cursor", cursor, 200) == null ? null : JdbiConversationStore.Cursor.parse(cursor);
        String keyset = after == null ? "" : " AND (started_at > :at OR (started_at = :at AND id > :after))";
        List<VoiceCall> rows = db.read(h -> {
            var q = h.createQuery(V + " WHERE tenant_id = :t AND " + filter + keyset + " ORDER BY started_at, id LIMIT :limit")
                    .bind("t", tenant).bind("key", key).bind("limit", limit + 1);
            if (after != null) {
                q.bind("at", after.at()).bind("after", after.id());
            }
            return q.map(calls).list();
        });
        if (rows.size() <= limit) {
            return new Page<>(rows, Optional.empty());
        }
        List<VoiceCall> page = rows.subList(0, limit);
        VoiceCall last = page.get(limit - 1);
        return new Page<>(page, Optional.of(new JdbiConversationStore.Cursor(last.startedAt(), last.id()).encode()));
    }

    @Override
    public Page<VoiceCall> list(VoiceCallQuery query) {
        Check.notNull("query", query);
        JdbiConversationStore.Cursor after = query.cursor() == null ? null : JdbiConversationStore.Cursor.parse(query.cursor());
        StringBuilder sql = new StringBuilder(V).append(" WHERE tenant_id = :t");
        if (query.status() != null) {
            sql.append(" AND status = :status");
        }
        if (query.owner() != null) {
            sql.append(" AND owner_type = :ownerType AND owner_id = :ownerId");
        }
        if (query.agent() != null) {
            sql.append(" AND agent = :agent");
        }
        if (after != null) {
            sql.append(" AND (started_at < :at OR (started_at = :at AND id < :after))");
        }
        sql.append(" ORDER BY started_at DESC, id DESC LIMIT :limit");
        List<VoiceCall> rows = db.read(h -> {
            var q = h.createQuery(sql.toString()).bind("t", tenant).bind("limit", query.limit() + 1);
            if (query.status() != null) {
                q.bind("status", query.status().toString());
            }
            if (query.owner() != null) {
                q.bind("ownerType", query.owner().type()).bind("ownerId", query.owner().id());
            }
            if (query.agent() != null) {
                q.bind("agent", query.agent());
            }
            if (after != null) {
                q.bind("at", after.at()).bind("after", after.id());
            }
            return q.map(calls).list();
        });
        if (rows.size() <= query.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<VoiceCall> page = rows.subList(0, query.limit());
        VoiceCall last = page.get(page.size() - 1);
        return new Page<>(page, Optional.of(new JdbiConversationStore.Cursor(last.startedAt(), last.id()).encode()));
    }

    @Override
    public int completeStale(Duration olderThan) {
        Check.notNull("olderThan", olderThan);
        if (olderThan.isNegative()) {
            throw new InvalidInputException("olderThan", "must not be negative, was " + olderThan);
        }
        // The real end of a stale call is unknown, so its duration stays empty.
        return db.write(h -> {
            Instant now = db.now();
            return h.createUpdate("UPDATE <p>voice_calls SET status = 'completed', completed_at = :now, updated_at = :now"
                            + " WHERE tenant_id = :t AND status = 'active' AND started_at < :cutoff")
                    .bind("t", tenant).bind("now", now).bind("cutoff", Check.cutoff(now, olderThan)).execute();
        });
    }
}
