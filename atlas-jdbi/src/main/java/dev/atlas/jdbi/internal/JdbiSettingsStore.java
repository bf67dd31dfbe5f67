package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsRevision;
import dev.atlas.assistant.SettingsStore;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Where;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link SettingsStore} on the statement layer ({@link SettingsSql}): the revisions of assistants
 * ({@link VersionedDocuments}) over the settings tables.
 */
public final class JdbiSettingsStore implements SettingsStore {
    private final Db db;
    private final Sql sql;
    private final SettingsSql q;
    private final RowMapper<Settings> settings;
    private final VersionedDocuments<SettingsRevision> revisions;

    public JdbiSettingsStore(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(SettingsSql.class, SettingsSql::new);
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
        this.revisions = new VersionedDocuments<>(db, sql, q.revisions, Rows.guard("settings_revisions", "id", (rs, ctx) -> new SettingsRevision(
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
                d.instant(rs, "created_at"))), "settings", "other settings", "settingsId", SettingsRevision::id,
                SettingsRevision::number, RevisionDiff::between);
    }

    @Override
    public Settings create(String slug, String name, Owner owner) {
        AssistantSpec.checkSlug(slug);
        Check.required("name", name, Limits.MAX_TITLE_LENGTH);
        UUID id = Ids.next(db.clock());
        return db.write(h -> revisions.withFreeSlug(h, slug, null, () -> sql.on(h, q.insert).bind("id", id).bind("slug", slug)
                .bind("name", name).bind("ownerType", owner == null ? null : owner.type()).bind("ownerId", owner == null ? null : owner.id())
                .bind("now", db.now()).one(settings)));
    }

    @Override
    public Optional<Settings> get(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        return db.read(h -> find(h, settingsId));
    }

    private Optional<Settings> find(Handle h, UUID id) {
        return sql.on(h, q.byId).bind("id", id).optional(settings);
    }

    @Override
    public Optional<Settings> getBySlug(String slug) {
        Check.key("slug", slug);
        return db.read(h -> sql.on(h, q.bySlug).bind("slug", slug).optional(settings));
    }

    @Override
    public Page<Settings> list(Owner owner, int limit, String cursor) {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing("settings", owner == null ? null : owner.type(), owner == null ? null : owner.id());
        Where where = new Where()
                .and("s.owner_type = :ownerType", "ownerType", owner == null ? null : owner.type())
                .and("s.owner_id = :ownerId", "ownerId", owner == null ? null : owner.id())
                .and(db.dialect().binary("s.slug") + " > :after", "after", cursor == null ? null : Cursor.decode(cursor, listing, 1).string(0));
        List<Settings> rows = db.read(h -> where.bindTo(sql.on(h, q.list(where.toString()))).bind("limit", limit + 1).list(settings));
        return Cursor.page(rows, limit, x -> Cursor.encode(listing, x.slug()));
    }

    @Override
    public Settings rename(UUID settingsId, String slug, String name) {
        Check.notNull("settingsId", settingsId);
        return renameFrom(settingsId, null, slug, name);
    }

    @Override
    public Settings rename(Settings expected, String slug, String name) {
        Check.notNull("expected", expected);
        // Settings has a public constructor: a document built by hand without what every read one has would
        // otherwise look missing (null id) or renamed since it was read (null slug or name).
        if (expected.id() == null || expected.slug() == null || expected.name() == null) {
            throw new dev.atlas.InvalidInputException("expected",
                    "must be a settings document as read from this store; its id, slug and name are required");
        }
        return renameFrom(expected.id(), expected, slug, name);
    }

    /** Renames, only while the slug and name are {@code expected}'s when it is given. */
    private Settings renameFrom(UUID settingsId, Settings expected, String slug, String name) {
        AssistantSpec.checkSlug(slug);
        Check.required("name", name, Limits.MAX_TITLE_LENGTH);
        return db.write(h -> {
            if (expected != null && find(h, settingsId).filter(s -> s.slug().equals(expected.slug()) && s.name().equals(expected.name()))
                    .isEmpty()) {
                throw stale(h, settingsId);
            }
            int n = revisions.withFreeSlug(h, slug, settingsId, () -> (expected == null ? sql.on(h, q.rename)
                    : sql.on(h, q.renameFrom).bind("readSlug", expected.slug()).bind("readName", expected.name()))
                    .bind("id", settingsId).bind("slug", slug).bind("name", name).bind("now", db.now()).update());
            if (n == 0) {
                throw expected == null ? new NotFoundException("settings", settingsId) : stale(h, settingsId);
            }
            return find(h, settingsId).orElseThrow(() -> new NotFoundException("settings", settingsId));
        });
    }

    /** A guarded rename that found the document renamed since it was read, or gone (NotFoundException). */
    private RuntimeException stale(Handle h, UUID settingsId) {
        Settings now = find(h, settingsId).orElseThrow(() -> new NotFoundException("settings", settingsId));
        return new dev.atlas.ConflictException("expected", "settings " + settingsId + " was renamed since it was read (it is '"
                + Check.bounded(now.slug()) + "' now); read it again");
    }

    @Override
    public void delete(UUID settingsId) {
        Check.notNull("settingsId", settingsId);
        if (db.write(h -> sql.on(h, q.delete).bind("id", settingsId).bind("now", db.now()).update()) == 0) {
            throw new NotFoundException("settings", settingsId);
        }
    }

    @Override
    public SettingsRevision publish(UUID settingsId, Map<String, ?> values, String label, Owner author) {
        return publishFrom(settingsId, values, label, author, null);
    }

    @Override
    public SettingsRevision publish(UUID settingsId, Map<String, ?> values, String label, Owner author, int expectedRevision) {
        return publishFrom(settingsId, values, label, author, VersionedDocuments.checkExpected(expectedRevision));
    }

    /** Publishes, from revision {@code expected} only when it is given. */
    private SettingsRevision publishFrom(UUID settingsId, Map<String, ?> values, String label, Owner author, Integer expected) {
        Check.notNull("settingsId", settingsId);
        JsonDoc doc = Json.write("values", Check.metadata("values", values));
        Check.optionalNonBlank("label", label, Limits.MAX_TITLE_LENGTH);
        return db.write(h -> revisions.publish(h, settingsId, Map.of("value", doc), label, author, expected));
    }

    @Override
    public Optional<SettingsRevision> getRevision(UUID settingsId, int number) {
        return revisions.revision(settingsId, number);
    }

    @Override
    public Optional<SettingsRevision> currentRevision(UUID settingsId) {
        return revisions.currentRevision(settingsId);
    }

    @Override
    public List<SettingsRevision> revisions(UUID settingsId) {
        return revisions.revisions(settingsId);
    }

    @Override
    public dev.atlas.Page<SettingsRevision> revisions(UUID settingsId, int limit, String cursor) {
        return revisions.revisions(settingsId, limit, cursor);
    }

    @Override
    public RevisionDiff diff(UUID settingsId, int fromNumber, int toNumber) {
        return revisions.diff(settingsId, fromNumber, toNumber);
    }

    @Override
    public SettingsRevision rollback(UUID settingsId, int toNumber, Owner author) {
        return revisions.rollbackTo(settingsId, toNumber, author, null);
    }

    @Override
    public SettingsRevision rollback(UUID settingsId, int toNumber, Owner author, int expectedRevision) {
        return revisions.rollbackTo(settingsId, toNumber, author, VersionedDocuments.checkExpected(expectedRevision));
    }

}
