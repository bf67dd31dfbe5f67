package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsRevision;
import dev.atlas.assistant.SettingsStore;
import dev.atlas.internal.Check;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link SettingsStore} on Jdbi: the numbering, current pointer and rollback of
 * {@link JdbiAssistantStore}'s revisions over the settings tables.
 */
public final class JdbiSettingsStore implements SettingsStore {
    // The join reads the current revision's number in the same query (no N+1 in list).
    private static final String S = "SELECT s.tenant_id, s.id, s.slug, s.name, s.owner_type, s.owner_id, s.last_revision,"
            + " s.current_revision_id, s.created_at, s.updated_at, cr.number AS current_revision_number"
            + " FROM <p>settings s LEFT JOIN <p>settings_revisions cr ON cr.tenant_id = s.tenant_id AND cr.id = s.current_revision_id";
    // The self-join reads the number of the revision a rollback copies, so it is not stored twice.
    private static final String R = "SELECT r.tenant_id, r.id, r.settings_id, r.number, r.kind, r.rolled_back_to, r.value, r.label,"
            + " r.author_type, r.author_id, r.created_at, b.number AS rolled_back_to_number"
            + " FROM <p>settings_revisions r LEFT JOIN <p>settings_revisions b ON b.tenant_id = r.tenant_id AND b.id = r.rolled_back_to";

    private final Db db;
    private final String tenant;
    private final RowMapper<Settings> settings;
    private final RowMapper<SettingsRevision> revisions;

    public JdbiSettingsStore(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
        Dialect d = db.dialect();
        this.settings = Rows.guard("settings", "id", (rs, ctx) -> new Settings(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                rs.getString("slug"),
                rs.getString("name"),
                Rows.owner(rs, "owner_type", "owner_id"),
                d.uuid(rs, "current_revision_id"),
                rs.getInt("current_revision_number"),
                rs.getInt("last_revision"),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at")));
        this.revisions = Rows.guard("settings_revisions", "id", (rs, ctx) -> new SettingsRevision(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                d.uuid(rs, "settings_id"),
                rs.getInt("number"),
                RevisionKind.of(rs.getString("kind")),
                d.uuid(rs, "rolled_back_to"),
                rs.getInt("rolled_back_to_number"),
                Json.readMap(rs.getString("value")),
                rs.getString("label"),
                Rows.owner(rs, "author_type", "author_id"),
                d.instant(rs, "created_at")));
    }

    @Override
    public Settings create(String slug, String name, Owner owner) {
        AssistantSpec.checkSlug(slug);
        Check.required("name", name, Limits.MAX_TITLE_LENGTH);
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Instant now = db.now();
            Optional<UUID> holder = h.createQuery("SELECT id FROM <p>settings WHERE tenant_id = :t AND slug = :slug AND deleted_at IS NULL")
                    .bind("t", tenant).bind("slug", slug).map((rs, ctx) -> db.dialect().uuid(rs, "id")).findOne();
            if (holder.isPresent()) {
                throw new ConflictException("slug", "'" + slug + "' is already used by settings " + holder.get());
            }
            try {
                h.createUpdate("INSERT INTO <p>settings (tenant_id, id, slug, name, owner_type, owner_id, last_revision, created_at, updated_at)"
                                + " VALUES (:t, :id, :slug, :name, :ownerType, :ownerId, 0, :now, :now)")
                        .bind("t", tenant).bind("id", id).bind("slug", slug).bind("name", name)
                        .bind("ownerType", owner == null ? null : owner.type()).bind("ownerId", owner == null ? null : owner.id())
                        .bind("now", now).execute();
            } catch (UnableToExecuteStatementException e) {
                // Two concurrent creates can both pass the check above; the partial unique index stops the second.
                if (JdbiAssistantStore.isUniqueViolation(e)) {
                    throw new ConflictException("slug", "'" + slug + "' is already used by other settings");
                }
                throw e;
            }
            return find(h, id).orElseThrow();
        });
    }

    @Override
    public Optional<Settings> get(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        return db.read(h -> find(h, settingsId));
    }

    private Optional<Settings> find(Handle h, UUID id) {
        return h.createQuery(S + " WHERE s.tenant_id = :t AND s.id = :id AND s.deleted_at IS NULL")
                .bind("t", tenant).bind("id", id).map(settings).findOne();
    }

    private Settings require(Handle h, UUID id) {
        return find(h, id).orElseThrow(() -> new NotFoundException("settings", id));
    }

    @Override
    public Optional<Settings> getBySlug(String slug) {
        Check.key("slug", slug);
        return db.read(h -> h.createQuery(S + " WHERE s.tenant_id = :t AND s.slug = :slug AND s.deleted_at IS NULL")
                .bind("t", tenant).bind("slug", slug).map(settings).findOne());
    }

    @Override
    public Page<Settings> list(Owner owner, int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        String after = Check.optional("cursor", cursor, 200) == null ? null : decodeCursor(cursor);
        List<Settings> rows = db.read(h -> {
            Query q = h.createQuery(S + " WHERE s.tenant_id = :t AND s.deleted_at IS NULL"
                            + (owner == null ? "" : " AND s.owner_type = :ownerType AND s.owner_id = :ownerId")
                            + (after == null ? "" : " AND s.slug > :after") + " ORDER BY s.slug LIMIT :limit")
                    .bind("t", tenant).bind("limit", limit + 1);
            if (owner != null) {
                q.bind("ownerType", owner.type()).bind("ownerId", owner.id());
            }
            if (after != null) {
                q.bind("after", after);
            }
            return q.map(settings).list();
        });
        if (rows.size() <= limit) {
            return new Page<>(rows, Optional.empty());
        }
        List<Settings> page = rows.subList(0, limit);
        String last = page.get(limit - 1).slug();
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
    public void delete(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        int n = db.write(h -> h.createUpdate("UPDATE <p>settings SET deleted_at = :now, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                .bind("t", tenant).bind("id", settingsId).bind("now", db.now()).execute());
        if (n == 0) {
            throw new NotFoundException("settings", settingsId);
        }
    }

    @Override
    public SettingsRevision publish(UUID settingsId, Map<String, ?> values, String label, Owner author) {
        Check.notNull("settingsId", settingsId);
        JsonDoc doc = Json.write("values", Check.metadata("values", values));
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
        UUID id = Ids.next(db.clock());
        return db.write(h -> append(h, settingsId, id, RevisionKind.PUBLISHED, null, doc, label, author));
    }

    /**
     * Allocates the next number by bumping the document's counter (on PostgreSQL this also
     * row-locks it, ordering concurrent publishes), inserts the revision and points the document
     * at it, all in the caller's transaction.
     */
    private SettingsRevision append(Handle h, UUID settingsId, UUID id, RevisionKind kind, UUID rolledBackTo, JsonDoc values,
                                    String label, Owner author) {
        Instant now = db.now();
        int number = h.createQuery("UPDATE <p>settings SET last_revision = last_revision + 1, updated_at = :now"
                        + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL RETURNING last_revision")
                .bind("t", tenant).bind("id", settingsId).bind("now", now)
                .mapTo(Integer.class).findOne()
                .orElseThrow(() -> new NotFoundException("settings", settingsId));
        h.createUpdate("INSERT INTO <p>settings_revisions (tenant_id, id, settings_id, number, kind, rolled_back_to, value, label,"
                        + " author_type, author_id, created_at) VALUES (:t, :id, :settings, :number, :kind, :back, :value, :label,"
                        + " :authorType, :authorId, :now)")
                .bind("t", tenant).bind("id", id).bind("settings", settingsId).bind("number", number)
                .bind("kind", kind.toString()).bind("back", rolledBackTo).bind("value", values).bind("label", label)
                .bind("authorType", author == null ? null : author.type())
                .bind("authorId", author == null ? null : author.id()).bind("now", now)
                .execute();
        h.createUpdate("UPDATE <p>settings SET current_revision_id = :rev WHERE tenant_id = :t AND id = :id")
                .bind("t", tenant).bind("id", settingsId).bind("rev", id).execute();
        return h.createQuery(R + " WHERE r.tenant_id = :t AND r.id = :id").bind("t", tenant).bind("id", id).map(revisions).one();
    }

    @Override
    public Optional<SettingsRevision> getRevision(UUID settingsId, int number) {
        Check.notNull("settingsId", settingsId);
        Check.positive("number", number, Integer.MAX_VALUE);
        return db.read(h -> findRevision(h, settingsId, number));
    }

    private Optional<SettingsRevision> findRevision(Handle h, UUID settingsId, int number) {
        return h.createQuery(R + " WHERE r.tenant_id = :t AND r.settings_id = :s AND r.number = :n")
                .bind("t", tenant).bind("s", settingsId).bind("n", number).map(revisions).findOne();
    }

    @Override
    public Optional<SettingsRevision> currentRevision(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        return db.read(h -> h.createQuery(R + " JOIN <p>settings s ON s.tenant_id = r.tenant_id AND s.current_revision_id = r.id"
                        + " WHERE r.tenant_id = :t AND s.id = :s AND s.deleted_at IS NULL")
                .bind("t", tenant).bind("s", settingsId).map(revisions).findOne());
    }

    @Override
    public List<SettingsRevision> revisions(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        return db.readConsistent(h -> {
            require(h, settingsId);
            return List.copyOf(h.createQuery(R + " WHERE r.tenant_id = :t AND r.settings_id = :s ORDER BY r.number")
                    .bind("t", tenant).bind("s", settingsId).map(revisions).list());
        });
    }

    @Override
    public SettingsRevision rollback(UUID settingsId, int toNumber, Owner author) {
        Check.notNull("settingsId", settingsId);
        Check.positive("toNumber", toNumber, Integer.MAX_VALUE);
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            require(h, settingsId);
            SettingsRevision to = findRevision(h, settingsId, toNumber)
                    .orElseThrow(() -> new NotFoundException("settings revision", settingsId + "#" + toNumber));
            // Copy the stored document itself, not a re-serialised map, so the content is identical.
            JsonDoc values = new JsonDoc(h.createQuery("SELECT value FROM <p>settings_revisions WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", to.id()).mapTo(String.class).one());
            return append(h, settingsId, id, RevisionKind.ROLLBACK, to.id(), values, "rollback to " + toNumber, author);
        });
    }
}
