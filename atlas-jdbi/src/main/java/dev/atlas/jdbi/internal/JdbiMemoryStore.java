package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.internal.Check;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryRevision;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;

/** {@link MemoryStore} on Jdbi; every statement filters on the tenant id it was built with. */
public final class JdbiMemoryStore implements MemoryStore {
    static final String COLUMNS = "tenant_id, id, owner_type, owner_id, agent, kind, content, metadata, importance, conversation_id,"
            + " message_id, tool_call_id, expires_at, revision, created_at, updated_at";
    /** A memory is readable while neither deleted nor expired; binds :now. */
    static final String VISIBLE = "deleted_at IS NULL AND (expires_at IS NULL OR expires_at > :now)";

    private final Db db;
    private final String tenant;
    private final RowMapper<Memory> mapper;

    public JdbiMemoryStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
        Dialect d = db.dialect();
        this.mapper = Rows.guard("memories", "id", (rs, ctx) -> new Memory(
                d.uuid(rs, "id"), rs.getString("tenant_id"), new Owner(rs.getString("owner_type"), rs.getString("owner_id")),
                rs.getString("agent"), MemoryKind.of(rs.getString("kind")), rs.getString("content"), List.of(),
                Json.readMap(rs.getString("metadata")), rs.getDouble("importance"), d.uuid(rs, "conversation_id"),
                d.uuid(rs, "message_id"), d.uuid(rs, "tool_call_id"), d.instant(rs, "expires_at"), rs.getInt("revision"),
                d.instant(rs, "created_at"), d.instant(rs, "updated_at")));
    }

    @Override
    public Memory create(NewMemory m) {
        Check.notNull("memory", m);
        JsonDoc metadata = Json.write("metadata", m.metadata());
        UUID id = Ids.next(db.clock());
        Instant expiresAt = Check.micros(m.expiresAt());
        return db.write(h -> {
            requireProvenance(h, m);
            Instant now = db.now();
            h.createUpdate("INSERT INTO <p>memories (" + COLUMNS + ", search_text) VALUES (:t, :id, :ownerType, :ownerId, :agent, :kind,"
                            + " :content, :metadata, :importance, :conversation, :message, :toolCall, :expiresAt, 1, :now, :now, :searchText)")
                    .bind("t", tenant).bind("id", id).bind("ownerType", m.owner().type()).bind("ownerId", m.owner().id())
                    .bind("agent", m.agent()).bind("kind", m.kind().value()).bind("content", m.content())
                    .bind("searchText", SearchText.index(m.content())).bind("metadata", metadata).bind("importance", m.importance()).bind("conversation", m.conversationId())
                    .bind("message", m.messageId()).bind("toolCall", m.toolCallId()).bind("expiresAt", expiresAt)
                    .bind("now", now)
                    .execute();
            insertTags(h, id, m.tags());
            return new Memory(id, tenant, m.owner(), m.agent(), m.kind(), m.content(), List.copyOf(new TreeSet<>(m.tags())),
                    Json.readMap(metadata.text()), m.importance(), m.conversationId(), m.messageId(), m.toolCallId(), expiresAt, 1,
                    now, now);
        });
    }

    // Provenance columns have no foreign keys (purging a conversation must not be blocked by its
    // memories, see V3), so the tenant check lives here: another tenant's id is refused exactly
    // like an id that does not exist.
    private void requireProvenance(Handle h, NewMemory m) {
        requireRow(h, "conversation", "conversationId", m.conversationId(), "SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id"
                + " AND deleted_at IS NULL");
        requireRow(h, "message", "messageId", m.messageId(), "SELECT 1 FROM <p>messages x JOIN <p>conversations c ON c.tenant_id = x.tenant_id"
                + " AND c.id = x.conversation_id WHERE x.tenant_id = :t AND x.id = :id AND x.deleted_at IS NULL AND c.deleted_at IS NULL");
        requireRow(h, "tool call", "toolCallId", m.toolCallId(), "SELECT 1 FROM <p>execution_tool_calls WHERE tenant_id = :t AND id = :id");
    }

    private void requireRow(Handle h, String entity, String field, UUID id, String existsSql) {
        if (id != null && h.createQuery(existsSql).bind("t", tenant).bind("id", id).mapTo(Integer.class).findOne().isEmpty()) {
            throw new NotFoundException(entity, id, field);
        }
    }

    private void insertTags(Handle h, UUID id, List<String> tags) {
        if (tags.isEmpty()) {
            return;
        }
        var batch = h.prepareBatch("INSERT INTO <p>memory_tags (tenant_id, memory_id, tag) VALUES (:t, :m, :tag)");
        for (String tag : tags) {
            batch.bind("t", tenant).bind("m", id).bind("tag", tag).add();
        }
        batch.execute();
    }

    @Override
    public Optional<Memory> get(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        return db.read(h -> find(h, memoryId, ""));
    }

    private Optional<Memory> find(Handle h, UUID id, String lock) {
        Optional<Memory> m = h.createQuery("SELECT " + COLUMNS + " FROM <p>memories WHERE tenant_id = :t AND id = :id AND " + VISIBLE + lock)
                .bind("t", tenant).bind("id", id).bind("now", db.now()).map(mapper).findOne();
        return m.map(x -> withTags(h, List.of(x)).get(0));
    }

    private List<Memory> withTags(Handle h, List<Memory> rows) {
        if (rows.isEmpty()) {
            return rows;
        }
        List<UUID> ids = rows.stream().map(Memory::id).toList();
        Map<UUID, List<String>> tags = new HashMap<>();
        h.createQuery("SELECT memory_id, tag FROM <p>memory_tags WHERE tenant_id = :t AND memory_id IN (<ids>) ORDER BY memory_id, tag")
                .bind("t", tenant).bindList("ids", ids)
                .map((rs, ctx) -> Map.entry(db.dialect().uuid(rs, "memory_id"), rs.getString("tag")))
                .forEach(e -> tags.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
        List<Memory> out = new ArrayList<>(rows.size());
        for (Memory m : rows) {
            List<String> t = tags.getOrDefault(m.id(), List.of());
            out.add(new Memory(m.id(), m.tenantId(), m.owner(), m.agent(), m.kind(), m.content(), t, m.metadata(), m.importance(),
                    m.conversationId(), m.messageId(), m.toolCallId(), m.expiresAt(), m.revision(), m.createdAt(), m.updatedAt()));
        }
        return out;
    }

    @Override
    public Page<Memory> list(MemoryQuery q) {
        Check.notNull("query", q);
        UUID after = q.cursor() == null ? null : parseCursor(q.cursor());
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM <p>memories m WHERE tenant_id = :t AND " + VISIBLE);
        if (q.owner() != null) {
            sql.append(" AND owner_type = :ownerType AND owner_id = :ownerId");
        }
        if (q.agent() != null) {
            sql.append(q.includeGlobal() ? " AND (agent = :agent OR agent IS NULL)" : " AND agent = :agent");
        }
        if (q.kind() != null) {
            sql.append(" AND kind = :kind");
        }
        if (q.tag() != null) {
            sql.append(" AND EXISTS (SELECT 1 FROM <p>memory_tags g WHERE g.tenant_id = m.tenant_id AND g.memory_id = m.id AND g.tag = :tag)");
        }
        if (after != null) {
            sql.append(" AND id < :after");
        }
        sql.append(" ORDER BY id DESC LIMIT :limit");
        List<Memory> rows = db.read(h -> {
            Query query = h.createQuery(sql.toString()).bind("t", tenant).bind("now", db.now()).bind("limit", q.limit() + 1);
            if (q.owner() != null) {
                query.bind("ownerType", q.owner().type()).bind("ownerId", q.owner().id());
            }
            if (q.agent() != null) {
                query.bind("agent", q.agent());
            }
            if (q.kind() != null) {
                query.bind("kind", q.kind().value());
            }
            if (q.tag() != null) {
                query.bind("tag", q.tag());
            }
            if (after != null) {
                query.bind("after", after);
            }
            List<Memory> found = query.map(mapper).list();
            return withTags(h, found);
        });
        if (rows.size() <= q.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<Memory> page = rows.subList(0, q.limit());
        return new Page<>(page, Optional.of(cursor(page.get(page.size() - 1).id())));
    }

    @Override
    public Memory update(UUID memoryId, MemoryPatch patch) {
        Check.notNull("memoryId", memoryId);
        Check.notNull("patch", patch);
        JsonDoc metadata = patch.metadata() == null ? null : Json.write("metadata", patch.metadata());
        return db.write(h -> {
            Memory current = find(h, memoryId, db.dialect().forUpdate())
                    .orElseThrow(() -> new NotFoundException("memory", memoryId));
            Instant now = db.now();
            boolean contentChanged = patch.content() != null && !patch.content().equals(current.content());
            StringBuilder set = new StringBuilder("updated_at = :now");
            if (contentChanged) {
                set.append(", content = :content, search_text = :searchText, revision = revision + 1");
                h.createUpdate("INSERT INTO <p>memory_revisions (tenant_id, id, memory_id, revision, content, replaced_at)"
                                + " VALUES (:t, :id, :m, :revision, :content, :now)")
                        .bind("t", tenant).bind("id", Ids.next(db.clock())).bind("m", memoryId).bind("revision", current.revision())
                        .bind("content", current.content()).bind("now", now)
                        .execute();
                // Embeddings of the old content would now answer for the new one.
                h.createUpdate("DELETE FROM <p>vectors WHERE tenant_id = :t AND target_type = 'memory' AND target_id = :m")
                        .bind("t", tenant).bind("m", memoryId).execute();
            }
            if (metadata != null) {
                set.append(", metadata = :metadata");
            }
            if (patch.importance() != null) {
                set.append(", importance = :importance");
            }
            if (patch.expiresAt() != null || patch.clearExpiry()) {
                set.append(", expires_at = :expiresAt");
            }
            var update = h.createUpdate("UPDATE <p>memories SET " + set + " WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", memoryId).bind("now", now);
            if (contentChanged) {
                update.bind("content", patch.content()).bind("searchText", SearchText.index(patch.content()));
            }
            if (metadata != null) {
                update.bind("metadata", metadata);
            }
            if (patch.importance() != null) {
                update.bind("importance", patch.importance().doubleValue());
            }
            if (patch.expiresAt() != null || patch.clearExpiry()) {
                update.bindByType("expiresAt", patch.expiresAt(), Instant.class);
            }
            update.execute();
            if (patch.tags() != null) {
                h.createUpdate("DELETE FROM <p>memory_tags WHERE tenant_id = :t AND memory_id = :m")
                        .bind("t", tenant).bind("m", memoryId).execute();
                insertTags(h, memoryId, patch.tags());
            }
            // An update may set an expiry in the past: the memory is then gone for readers, as documented.
            return h.createQuery("SELECT " + COLUMNS + " FROM <p>memories WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", memoryId).map(mapper).findOne()
                    .map(x -> withTags(h, List.of(x)).get(0)).orElseThrow();
        });
    }

    @Override
    public void delete(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        int n = db.write(h -> h.createUpdate("UPDATE <p>memories SET deleted_at = :now, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND " + VISIBLE)
                .bind("t", tenant).bind("id", memoryId).bind("now", db.now()).execute());
        if (n == 0) {
            throw new NotFoundException("memory", memoryId);
        }
    }

    @Override
    public List<MemoryRevision> revisions(UUID memoryId) {
        Check.notNull("memoryId", memoryId);
        return db.read(h -> {
            find(h, memoryId, "").orElseThrow(() -> new NotFoundException("memory", memoryId));
            return List.copyOf(h.createQuery("SELECT memory_id, revision, content, replaced_at FROM <p>memory_revisions"
                            + " WHERE tenant_id = :t AND memory_id = :m ORDER BY revision")
                    .bind("t", tenant).bind("m", memoryId)
                    .map((rs, ctx) -> new MemoryRevision(db.dialect().uuid(rs, "memory_id"), rs.getInt("revision"),
                            rs.getString("content"), db.dialect().instant(rs, "replaced_at")))
                    .list());
        });
    }

    private static String cursor(UUID id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("m:" + id).getBytes(StandardCharsets.UTF_8));
    }

    private static UUID parseCursor(String cursor) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (!raw.startsWith("m:")) {
                throw new IllegalArgumentException();
            }
            return UUID.fromString(raw.substring(2));
        } catch (RuntimeException e) {
            throw new InvalidInputException("cursor", "is not a cursor returned by a previous page");
        }
    }
}
