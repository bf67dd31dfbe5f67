package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.atlas.assistant.AssistantQuery;
import dev.atlas.Ids;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;
import dev.atlas.jdbi.internal.sql.SqlFailure;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** {@link AssistantStore} on the statement layer ({@link AssistantSql}); revisions are {@link VersionedDocuments}. */
public final class JdbiAssistantStore implements AssistantStore {
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

    private final Db db;
    private final Sql sql;
    private final AssistantSql q;
    private final RowMapper<Assistant> assistants;
    private final VersionedDocuments<AssistantRevision> revisions;

    public JdbiAssistantStore(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(AssistantSql.class, AssistantSql::new);
        Dialect d = db.dialect();
        this.assistants = Rows.guard("assistants", "id", (rs, ctx) -> new Assistant(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                rs.getString("slug"),
                rs.getString("name"),
                rs.getString("description"),
                rs.getBoolean("is_active"),
                rs.getBoolean("is_public"),
                Rows.owner(rs, "owner_type", "owner_id"),
                rs.getString("default_model"),
                decimal(rs.getString("temperature")),
                decimal(rs.getString("top_p")),
                nullableInt(rs, "max_output_tokens"),
                strings(rs.getString("tools")),
                Json.readMap(rs.getString("metadata")),
                d.uuid(rs, "current_revision_id"),
                rs.getInt("current_revision_number"),
                rs.getInt("last_revision"),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at"),
                d.instant(rs, "deleted_at"),
                rs.getInt("version")));
        this.revisions = new VersionedDocuments<>(db, sql, q.revisions, Rows.guard("assistant_revisions", "id", (rs, ctx) -> new AssistantRevision(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                d.uuid(rs, "assistant_id"),
                rs.getInt("number"),
                RevisionKind.of(rs.getString("kind")),
                d.uuid(rs, "rolled_back_to"),
                rs.getInt("rolled_back_to_number"),
                rs.getString("system_prompt"),
                Json.readMap(rs.getString("settings")),
                rs.getString("label"),
                Rows.owner(rs, "author_type", "author_id"),
                d.instant(rs, "created_at"))), "assistant", "another assistant", "assistantId", AssistantRevision::id,
                AssistantRevision::number, RevisionDiff::between);
    }

    // Stored as NUMERIC: SQLite may hand back "0.7" or "1" for 0.70 and 1.00; scale 2 is the contract.
    private static BigDecimal decimal(String s) {
        return s == null ? null : new BigDecimal(s).setScale(2, RoundingMode.HALF_EVEN);
    }

    private static Integer nullableInt(java.sql.ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }

    private static List<String> strings(String json) {
        try {
            return Json.mapper().readValue(json, STRINGS);
        } catch (IOException e) {
            throw new dev.atlas.UnreadableRowException(null, null, "stored tools could not be read: "
                    + dev.atlas.internal.Check.bounded(e.getMessage()), ShownFailures.scrubbed(e));
        }
    }

    // ---- assistants ----------------------------------------------------------------------

    @Override
    public Assistant create(AssistantSpec spec) {
        Check.notNull("spec", spec);
        JsonDoc tools = Json.write("tools", spec.tools());
        JsonDoc metadata = Json.write("metadata", spec.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> revisions.withFreeSlug(h, spec.slug(), null, () -> spec(sql.on(h, q.insert), spec, tools, metadata)
                .bind("id", id).bind("now", db.now()).one(assistants)));
    }

    private static Sql.Call spec(Sql.Call call, AssistantSpec spec, JsonDoc tools, JsonDoc metadata) {
        Owner owner = spec.owner();
        return call.bind("slug", spec.slug()).bind("name", spec.name()).bind("description", spec.description())
                .bind("active", spec.active()).bind("public", spec.isPublic())
                .bind("ownerType", owner == null ? null : owner.type()).bind("ownerId", owner == null ? null : owner.id())
                .bind("model", spec.defaultModel()).bind("temperature", spec.temperature()).bind("topP", spec.topP())
                .bind("maxTokens", spec.maxOutputTokens()).bind("tools", tools).bind("metadata", metadata);
    }

    @Override
    public Optional<Assistant> get(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        return db.read(h -> find(h, assistantId));
    }

    private Optional<Assistant> find(Handle h, UUID id) {
        return sql.on(h, q.byId).bind("id", id).optional(assistants);
    }

    private Assistant require(Handle h, UUID id) {
        return find(h, id).orElseThrow(() -> new NotFoundException("assistant", id));
    }

    @Override
    public Optional<Assistant> getBySlug(String slug) {
        Check.key("slug", slug);
        return db.read(h -> sql.on(h, q.bySlug).bind("slug", slug).optional(assistants));
    }

    @Override
    public Page<Assistant> list(int limit, String cursor) {
        return list(AssistantQuery.all().limit(limit).after(cursor));
    }

    @Override
    public Page<Assistant> list(AssistantQuery query) {
        Check.notNull("query", query);
        Owner owner = query.owner();
        Owner viewer = query.visibleTo();
        Cursor.Listing listing = sql.listing("assistants", owner == null ? null : owner.type(), owner == null ? null : owner.id(), query.isPublic(),
                viewer == null ? null : viewer.type(), viewer == null ? null : viewer.id());
        Where where = new Where()
                .and("a.owner_type = :ownerType", "ownerType", owner == null ? null : owner.type())
                .and("a.owner_id = :ownerId", "ownerId", owner == null ? null : owner.id())
                .and("a.is_public = :isPublic", "isPublic", query.isPublic())
                .and(viewer != null, "(a.is_public = TRUE OR (a.owner_type = :viewerType AND a.owner_id = :viewerId))")
                .and(db.dialect().binary("a.slug") + " > :after", "after", query.cursor() == null ? null : Cursor.decode(query.cursor(), listing, 1).string(0));
        List<Assistant> rows = db.read(h -> {
            Sql.Call call = where.bindTo(sql.on(h, q.list(where.toString()))).bind("limit", query.limit() + 1);
            if (viewer != null) {
                call.bind("viewerType", viewer.type()).bind("viewerId", viewer.id());
            }
            return call.list(assistants);
        });
        return Cursor.page(rows, query.limit(), a -> Cursor.encode(listing, a.slug()));
    }

    @Override
    public Assistant update(UUID assistantId, AssistantSpec spec) {
        return update(assistantId, spec, null);
    }

    @Override
    public Assistant update(UUID assistantId, AssistantSpec spec, int expectedVersion) {
        if (expectedVersion < 1) {
            throw new dev.atlas.InvalidInputException("expectedVersion", "must be 1 (as created) or more, was " + expectedVersion);
        }
        return update(assistantId, spec, Integer.valueOf(expectedVersion));
    }

    private Assistant update(UUID assistantId, AssistantSpec spec, Integer expected) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("spec", spec);
        JsonDoc tools = Json.write("tools", spec.tools());
        JsonDoc metadata = Json.write("metadata", spec.metadata());
        return db.write(h -> {
            int n = revisions.withFreeSlug(h, spec.slug(), assistantId, () -> {
                Sql.Call call = spec(sql.on(h, expected == null ? q.update : q.updateExpecting), spec, tools, metadata);
                return (expected == null ? call : call.bind("expected", expected)).bind("id", assistantId).bind("now", db.now()).update();
            });
            if (n == 0) {
                Assistant current = require(h, assistantId);
                if (current.version() == Integer.MAX_VALUE && (expected == null || expected == Integer.MAX_VALUE)) {
                    throw new dev.atlas.ConflictException("version", "assistant " + assistantId + " has used every definition version up to "
                            + Integer.MAX_VALUE + "; create a new assistant to edit further");
                }
                throw new dev.atlas.ConflictException("expectedVersion", "assistant " + assistantId + " is at version "
                        + current.version() + ", not " + expected + "; read it again and retry");
            }
            return require(h, assistantId);
        });
    }

    @Override
    public void delete(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        if (db.write(h -> sql.on(h, q.delete).bind("id", assistantId).bind("now", db.now()).update()) == 0) {
            throw new NotFoundException("assistant", assistantId);
        }
    }

    // ---- revisions -----------------------------------------------------------------------

    @Override
    public AssistantRevision publish(UUID assistantId, NewRevision revision) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("revision", revision);
        Map<String, Object> content = new HashMap<>();
        content.put("system_prompt", revision.systemPrompt());
        content.put("settings", Json.write("settings", revision.settings()));
        return db.write(h -> revisions.publish(h, assistantId, content, revision.label(), revision.author(), revision.expectedRevision()));
    }

    @Override
    public Optional<AssistantRevision> getRevision(UUID assistantId, int number) {
        return revisions.revision(assistantId, number);
    }

    @Override
    public Optional<AssistantRevision> getRevision(UUID revisionId) {
        Check.notNull("revisionId", revisionId);
        return revisions.byId(revisionId);
    }

    @Override
    public Optional<AssistantRevision> currentRevision(UUID assistantId) {
        return revisions.currentRevision(assistantId);
    }

    @Override
    public List<AssistantRevision> revisions(UUID assistantId) {
        return revisions.revisions(assistantId);
    }

    @Override
    public dev.atlas.Page<AssistantRevision> revisions(UUID assistantId, int limit, String cursor) {
        return revisions.revisions(assistantId, limit, cursor);
    }

    @Override
    public RevisionDiff diff(UUID assistantId, int fromNumber, int toNumber) {
        return revisions.diff(assistantId, fromNumber, toNumber);
    }

    @Override
    public AssistantRevision rollback(UUID assistantId, int toNumber, Owner author) {
        return revisions.rollbackTo(assistantId, toNumber, author, null);
    }

    @Override
    public AssistantRevision rollback(UUID assistantId, int toNumber, Owner author, int expectedRevision) {
        return revisions.rollbackTo(assistantId, toNumber, author, VersionedDocuments.checkExpected(expectedRevision));
    }


    @Override
    public AssistantRevision rollback(UUID assistantId, UUID toRevisionId, Owner author) {
        return rollbackFrom(assistantId, toRevisionId, author, null);
    }

    @Override
    public AssistantRevision rollback(UUID assistantId, UUID toRevisionId, Owner author, int expectedRevision) {
        return rollbackFrom(assistantId, toRevisionId, author, VersionedDocuments.checkExpected(expectedRevision));
    }

    private AssistantRevision rollbackFrom(UUID assistantId, UUID toRevisionId, Owner author, Integer expected) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("toRevisionId", toRevisionId);
        return db.write(h -> revisions.rollback(h, assistantId, t -> revisions.byIdOf(t, assistantId, toRevisionId),
                () -> new NotFoundException("assistant revision", toRevisionId, "toRevisionId"), author, expected));
    }

    /** Whether {@code e} is a unique-index violation, on either database. */
    static boolean isUniqueViolation(SqlFailure e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException s && ("23505".equals(s.getSQLState()) || String.valueOf(s.getMessage()).contains("UNIQUE constraint"))) {
                return true;
            }
        }
        return false;
    }
}
