package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.atlas.assistant.AssistantQuery;
import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
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
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link AssistantStore} on Jdbi; every statement filters on the tenant id it was built with. */
public final class JdbiAssistantStore implements AssistantStore {
    static final String ASSISTANT_COLUMNS = "tenant_id, id, slug, name, description, is_active, is_public, owner_type, owner_id,"
            + " default_model, temperature, top_p, max_output_tokens, tools, metadata, last_revision, current_revision_id,"
            + " created_at, updated_at, deleted_at";
    // The join reads the current revision's number in the same query (no N+1 in list).
    private static final String A = "SELECT a." + ASSISTANT_COLUMNS.replace(", ", ", a.") + ", cr.number AS current_revision_number"
            + " FROM <p>assistants a LEFT JOIN <p>assistant_revisions cr ON cr.tenant_id = a.tenant_id AND cr.id = a.current_revision_id";
    // The self-join reads the number of the revision a rollback copies, so it is not stored twice.
    private static final String R = "SELECT r.tenant_id, r.id, r.assistant_id, r.number, r.kind, r.rolled_back_to, r.system_prompt,"
            + " r.settings, r.label, r.author_type, r.author_id, r.created_at, b.number AS rolled_back_to_number"
            + " FROM <p>assistant_revisions r LEFT JOIN <p>assistant_revisions b ON b.tenant_id = r.tenant_id AND b.id = r.rolled_back_to";
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};

    private final Db db;
    private final String tenant;
    private final RowMapper<Assistant> assistants;
    private final RowMapper<AssistantRevision> revisions;

    public JdbiAssistantStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
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
                d.instant(rs, "deleted_at")));
        this.revisions = Rows.guard("assistant_revisions", "id", (rs, ctx) -> new AssistantRevision(
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
                d.instant(rs, "created_at")));
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
            throw new dev.atlas.UnreadableRowException(null, null, "stored tools could not be read: " + e.getMessage(), e);
        }
    }

    // ---- assistants ----------------------------------------------------------------------

    @Override
    public Assistant create(AssistantSpec spec) {
        Check.notNull("spec", spec);
        JsonDoc tools = Json.write("tools", spec.tools());
        JsonDoc metadata = Json.write("metadata", spec.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Instant now = db.now();
            requireFreeSlug(h, spec.slug(), null);
            slugUnique(spec.slug(), () -> h.createUpdate("INSERT INTO <p>assistants (tenant_id, id, slug, name, description, is_active, is_public, owner_type, owner_id,"
                            + " default_model, temperature, top_p, max_output_tokens, tools, metadata, last_revision, created_at, updated_at)"
                            + " VALUES (:t, :id, :slug, :name, :description, :active, :public, :ownerType, :ownerId, :model, :temperature,"
                            + " :topP, :maxTokens, :tools, :metadata, 0, :now, :now)")
                    .bind("t", tenant).bind("id", id).bind("now", now)
                    .bindMap(specValues(spec)).bind("tools", tools).bind("metadata", metadata)
                    .execute());
            return find(h, id).orElseThrow();
        });
    }

    private static java.util.Map<String, Object> specValues(AssistantSpec spec) {
        java.util.Map<String, Object> v = new java.util.HashMap<>();
        v.put("slug", spec.slug());
        v.put("name", spec.name());
        v.put("description", spec.description());
        v.put("active", spec.active());
        v.put("public", spec.isPublic());
        v.put("ownerType", spec.owner() == null ? null : spec.owner().type());
        v.put("ownerId", spec.owner() == null ? null : spec.owner().id());
        v.put("model", spec.defaultModel());
        v.put("temperature", spec.temperature());
        v.put("topP", spec.topP());
        v.put("maxTokens", spec.maxOutputTokens());
        return v;
    }

    /** Checked inside the write transaction; the partial unique index backs it up against races. */
    private void requireFreeSlug(Handle h, String slug, UUID except) {
        Optional<UUID> holder = h.createQuery("SELECT id FROM <p>assistants WHERE tenant_id = :t AND slug = :slug AND deleted_at IS NULL")
                .bind("t", tenant).bind("slug", slug)
                .map((rs, ctx) -> db.dialect().uuid(rs, "id")).findOne();
        if (holder.isPresent() && !holder.get().equals(except)) {
            throw new ConflictException("slug", "'" + slug + "' is already used by assistant " + holder.get());
        }
    }

    @Override
    public Optional<Assistant> get(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        return db.read(h -> find(h, assistantId));
    }

    private Optional<Assistant> find(Handle h, UUID id) {
        return h.createQuery(A + " WHERE a.tenant_id = :t AND a.id = :id AND a.deleted_at IS NULL")
                .bind("t", tenant).bind("id", id).map(assistants).findOne();
    }

    private Assistant require(Handle h, UUID id) {
        return find(h, id).orElseThrow(() -> new NotFoundException("assistant", id));
    }

    @Override
    public Optional<Assistant> getBySlug(String slug) {
        Check.key("slug", slug);
        return db.read(h -> h.createQuery(A + " WHERE a.tenant_id = :t AND a.slug = :slug AND a.deleted_at IS NULL")
                .bind("t", tenant).bind("slug", slug).map(assistants).findOne());
    }

    @Override
    public Page<Assistant> list(int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
        return list(AssistantQuery.all().limit(limit).after(cursor));
    }

    @Override
    public Page<Assistant> list(AssistantQuery query) {
        Check.notNull("query", query);
        String after = query.cursor() == null ? null : decodeCursor(query.cursor());
        StringBuilder sql = new StringBuilder(A).append(" WHERE a.tenant_id = :t AND a.deleted_at IS NULL");
        if (query.owner() != null) {
            sql.append(" AND a.owner_type = :ownerType AND a.owner_id = :ownerId");
        }
        if (query.isPublic() != null) {
            sql.append(" AND a.is_public = :isPublic");
        }
        if (query.visibleTo() != null) {
            sql.append(" AND (a.is_public = TRUE OR (a.owner_type = :viewerType AND a.owner_id = :viewerId))");
        }
        if (after != null) {
            sql.append(" AND a.slug > :after");
        }
        sql.append(" ORDER BY a.slug LIMIT :limit");
        List<Assistant> rows = db.read(h -> {
            Query q = h.createQuery(sql.toString()).bind("t", tenant).bind("limit", query.limit() + 1);
            if (query.owner() != null) {
                q.bind("ownerType", query.owner().type()).bind("ownerId", query.owner().id());
            }
            if (query.isPublic() != null) {
                q.bind("isPublic", query.isPublic().booleanValue());
            }
            if (query.visibleTo() != null) {
                q.bind("viewerType", query.visibleTo().type()).bind("viewerId", query.visibleTo().id());
            }
            if (after != null) {
                q.bind("after", after);
            }
            return q.map(assistants).list();
        });
        if (rows.size() <= query.limit()) {
            return new Page<>(rows, Optional.empty());
        }
        List<Assistant> page = rows.subList(0, query.limit());
        String last = page.get(page.size() - 1).slug();
        return new Page<>(page, Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(last.getBytes(StandardCharsets.UTF_8))));
    }

    private static String decodeCursor(String cursor) {
        try {
            return AssistantSpec.checkSlug(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new InvalidInputException("cursor", "is not a cursor returned by a previous page");
        }
    }

    @Override
    public Assistant update(UUID assistantId, AssistantSpec spec) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("spec", spec);
        JsonDoc tools = Json.write("tools", spec.tools());
        JsonDoc metadata = Json.write("metadata", spec.metadata());
        return db.write(h -> {
            require(h, assistantId);
            requireFreeSlug(h, spec.slug(), assistantId);
            slugUnique(spec.slug(), () -> h.createUpdate("UPDATE <p>assistants SET slug = :slug, name = :name, description = :description, is_active = :active,"
                            + " is_public = :public, owner_type = :ownerType, owner_id = :ownerId, default_model = :model,"
                            + " temperature = :temperature, top_p = :topP, max_output_tokens = :maxTokens, tools = :tools,"
                            + " metadata = :metadata, updated_at = :now WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                    .bind("t", tenant).bind("id", assistantId).bind("now", db.now())
                    .bindMap(specValues(spec)).bind("tools", tools).bind("metadata", metadata)
                    .execute());
            return require(h, assistantId);
        });
    }

    @Override
    public void delete(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        int n = db.write(h -> h.createUpdate("UPDATE <p>assistants SET deleted_at = :now, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                .bind("t", tenant).bind("id", assistantId).bind("now", db.now()).execute());
        if (n == 0) {
            throw new NotFoundException("assistant", assistantId);
        }
    }

    // ---- revisions -----------------------------------------------------------------------

    @Override
    public AssistantRevision publish(UUID assistantId, NewRevision revision) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("revision", revision);
        JsonDoc settings = Json.write("settings", revision.settings());
        UUID id = Ids.next(db.clock());
        return db.write(h -> append(h, assistantId, id, RevisionKind.PUBLISHED, null, revision.systemPrompt(), settings,
                revision.label(), revision.author()));
    }

    /**
     * Allocates the next number by bumping the assistant's counter (on PostgreSQL this also
     * row-locks the assistant, ordering concurrent publishes), inserts the revision and points
     * the assistant at it, all in the caller's transaction.
     */
    private AssistantRevision append(Handle h, UUID assistantId, UUID id, RevisionKind kind, UUID rolledBackTo, String prompt,
                                     JsonDoc settings, String label, Owner author) {
        Instant now = db.now();
        int number = h.createQuery("UPDATE <p>assistants SET last_revision = last_revision + 1, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL RETURNING last_revision")
                .bind("t", tenant).bind("id", assistantId).bind("now", now)
                .mapTo(Integer.class).findOne()
                .orElseThrow(() -> new NotFoundException("assistant", assistantId));
        h.createUpdate("INSERT INTO <p>assistant_revisions (tenant_id, id, assistant_id, number, kind, rolled_back_to, system_prompt,"
                        + " settings, label, author_type, author_id, created_at) VALUES (:t, :id, :assistant, :number, :kind, :back,"
                        + " :prompt, :settings, :label, :authorType, :authorId, :now)")
                .bind("t", tenant).bind("id", id).bind("assistant", assistantId).bind("number", number)
                .bind("kind", kind.toString()).bind("back", rolledBackTo).bind("prompt", prompt).bind("settings", settings)
                .bind("label", label).bind("authorType", author == null ? null : author.type())
                .bind("authorId", author == null ? null : author.id()).bind("now", now)
                .execute();
        h.createUpdate("UPDATE <p>assistants SET current_revision_id = :rev WHERE tenant_id = :t AND id = :id")
                .bind("t", tenant).bind("id", assistantId).bind("rev", id).execute();
        return h.createQuery(R + " WHERE r.tenant_id = :t AND r.id = :id").bind("t", tenant).bind("id", id).map(revisions).one();
    }

    @Override
    public Optional<AssistantRevision> getRevision(UUID assistantId, int number) {
        Check.notNull("assistantId", assistantId);
        Check.positive("number", number, Integer.MAX_VALUE);
        return db.read(h -> findRevision(h, assistantId, number));
    }

    private Optional<AssistantRevision> findRevision(Handle h, UUID assistantId, int number) {
        return h.createQuery(R + " WHERE r.tenant_id = :t AND r.assistant_id = :a AND r.number = :n")
                .bind("t", tenant).bind("a", assistantId).bind("n", number).map(revisions).findOne();
    }

    @Override
    public Optional<AssistantRevision> getRevision(UUID revisionId) {
        Check.notNull("revisionId", revisionId);
        return db.read(h -> h.createQuery(R + " WHERE r.tenant_id = :t AND r.id = :id")
                .bind("t", tenant).bind("id", revisionId).map(revisions).findOne());
    }

    @Override
    public Optional<AssistantRevision> currentRevision(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        return db.read(h -> h.createQuery(R + " JOIN <p>assistants a ON a.tenant_id = r.tenant_id AND a.current_revision_id = r.id"
                        + " WHERE r.tenant_id = :t AND a.id = :a AND a.deleted_at IS NULL")
                .bind("t", tenant).bind("a", assistantId).map(revisions).findOne());
    }

    @Override
    public List<AssistantRevision> revisions(UUID assistantId) {
        Check.notNull("assistantId", assistantId);
        return db.readConsistent(h -> {
            require(h, assistantId);
            return List.copyOf(h.createQuery(R + " WHERE r.tenant_id = :t AND r.assistant_id = :a ORDER BY r.number")
                    .bind("t", tenant).bind("a", assistantId).map(revisions).list());
        });
    }

    @Override
    public RevisionDiff diff(UUID assistantId, int fromNumber, int toNumber) {
        Check.notNull("assistantId", assistantId);
        Check.positive("fromNumber", fromNumber, Integer.MAX_VALUE);
        Check.positive("toNumber", toNumber, Integer.MAX_VALUE);
        return db.read(h -> {
            require(h, assistantId);
            AssistantRevision from = findRevision(h, assistantId, fromNumber)
                    .orElseThrow(() -> new NotFoundException("assistant revision", assistantId + "#" + fromNumber));
            AssistantRevision to = findRevision(h, assistantId, toNumber)
                    .orElseThrow(() -> new NotFoundException("assistant revision", assistantId + "#" + toNumber));
            return RevisionDiff.between(from, to);
        });
    }

    @Override
    public AssistantRevision rollback(UUID assistantId, int toNumber, Owner author) {
        Check.notNull("assistantId", assistantId);
        Check.positive("toNumber", toNumber, Integer.MAX_VALUE);
        return rollback(assistantId, author, h -> findRevision(h, assistantId, toNumber)
                .orElseThrow(() -> new NotFoundException("assistant revision", assistantId + "#" + toNumber)));
    }

    @Override
    public AssistantRevision rollback(UUID assistantId, UUID toRevisionId, Owner author) {
        Check.notNull("assistantId", assistantId);
        Check.notNull("toRevisionId", toRevisionId);
        // Filtering on the assistant too makes a revision of another assistant (or tenant) look missing.
        return rollback(assistantId, author, h -> h.createQuery(R + " WHERE r.tenant_id = :t AND r.assistant_id = :a AND r.id = :id")
                .bind("t", tenant).bind("a", assistantId).bind("id", toRevisionId).map(revisions).findOne()
                .orElseThrow(() -> new NotFoundException("assistant revision", toRevisionId)));
    }

    private AssistantRevision rollback(UUID assistantId, Owner author, java.util.function.Function<Handle, AssistantRevision> target) {
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            require(h, assistantId);
            AssistantRevision to = target.apply(h);
            // Copy the stored document itself, not a re-serialised map, so the content is identical.
            JsonDoc settings = new JsonDoc(h.createQuery("SELECT settings FROM <p>assistant_revisions WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", to.id()).mapTo(String.class).one());
            return append(h, assistantId, id, RevisionKind.ROLLBACK, to.id(), to.systemPrompt(), settings,
                    "rollback to " + to.number(), author);
        });
    }

    /** Two concurrent writers can both pass requireFreeSlug; the unique index stops the second. */
    private static void slugUnique(String slug, Runnable write) {
        try {
            write.run();
        } catch (UnableToExecuteStatementException e) {
            if (isUniqueViolation(e)) {
                throw new ConflictException("slug", "'" + slug + "' is already used by another assistant");
            }
            throw e;
        }
    }

    static boolean isUniqueViolation(UnableToExecuteStatementException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLException s && ("23505".equals(s.getSQLState()) || String.valueOf(s.getMessage()).contains("UNIQUE constraint"))) {
                return true;
            }
        }
        return false;
    }
}
