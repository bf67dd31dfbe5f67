package dev.atlas.jdbi.internal;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.assistant.RevisionDiff;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;
import dev.atlas.jdbi.internal.sql.SqlFailure;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

/**
 * The revision scheme of assistants and settings, written once: a document, named by a slug no
 * other live document of the tenant holds, counts its
 * revisions ({@code last_revision}) and points at the current one; revisions are append-only and
 * numbered from 1; a rollback appends a copy of an earlier revision. Publishing is 3 statements
 * (bump the counter, insert returning the row, point the document at it), a rollback 4 (the
 * target is looked up after the bump, and its content copied inside the database).
 *
 * @param <R> the revision record
 */
final class VersionedDocuments<R> {
    /** The statements of one document table and its revisions table, declared in the aggregate's catalogue. */
    static final class Statements {
        final Statement slugHolder;
        final Statement known;
        final Statement bump;
        final Statement bumpFrom;
        final Statement last;
        final Statement insert;
        final Statement copy;
        final Statement setCurrent;
        final Statement byNumber;
        final Statement byId;
        final Statement byIdOf;
        final Statement current;
        final Statement all;
        final Statement page;
        final Statement pageAfter;
        final String revisionsListing;
        final String documents;
        final List<String> content;

        /**
         * @param docs    the document table ({@code assistants})
         * @param revs    its revisions table, also the prefix of the statements' names
         * @param parent  the revisions' column naming the document
         * @param content the revisions' content columns, bound by their own names
         */
        Statements(Catalogue c, String docs, String revs, String parent, String... content) {
            this.content = List.of(content);
            this.documents = docs;
            String cols = "tenant_id, id, " + parent + ", number, kind, rolled_back_to, " + String.join(", ", content)
                    + ", label, author_type, author_id, created_at";
            String select = "SELECT " + Arrays.stream(cols.split(", ")).map(s -> "r." + s).collect(Collectors.joining(", "))
                    + ", b.number AS rolled_back_to_number FROM <p>" + revs + " r LEFT JOIN <p>" + revs
                    + " b ON b.tenant_id = r.tenant_id AND b.id = r.rolled_back_to WHERE r.tenant_id = :t";
            slugHolder = c.sql(docs + ".slugHolder", "SELECT id FROM <p>" + docs + " WHERE tenant_id = :t AND slug = :slug AND deleted_at IS NULL");
            // 1 for a live document, 0 for a deleted one, no row for one the tenant never had.
            known = c.sql(docs + ".known", "SELECT CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END FROM <p>" + docs
                    + " WHERE tenant_id = :t AND id = :doc");
            // On PostgreSQL the bump also row-locks the document, ordering concurrent publishes. Numbers
            // are int columns: the counter stops at Integer.MAX_VALUE instead of overflowing, which
            // PostgreSQL refuses and SQLite would store and read back wrapped to a negative number.
            bump = c.sql(revs + ".bump", "UPDATE <p>" + docs + " SET last_revision = last_revision + 1, updated_at = " + Dialect.LATER
                    + " WHERE tenant_id = :t AND id = :doc AND deleted_at IS NULL AND last_revision < " + Integer.MAX_VALUE
                    + " RETURNING id, last_revision, updated_at");
            // The same, only from an expected number: under the row lock (PostgreSQL) or the write lock
            // (SQLite) a concurrent publish that got there first leaves no row to bump.
            bumpFrom = c.sql(revs + ".bumpFrom", "UPDATE <p>" + docs + " SET last_revision = last_revision + 1, updated_at = " + Dialect.LATER
                    + " WHERE tenant_id = :t AND id = :doc AND deleted_at IS NULL AND last_revision < " + Integer.MAX_VALUE
                    + " AND last_revision = :expected RETURNING id, last_revision, updated_at");
            last = c.sql(docs + ".last", "SELECT last_revision FROM <p>" + docs + " WHERE tenant_id = :t AND id = :doc AND deleted_at IS NULL");
            insert = c.sql(revs + ".insert", "INSERT INTO <p>" + revs + " (" + cols + ") VALUES (:t, :id, :doc, :number, '"
                    + RevisionKind.PUBLISHED + "', NULL, " + this.content.stream().map(s -> ":" + s).collect(Collectors.joining(", "))
                    + ", :label, :authorType, :authorId, :now) RETURNING " + cols + ", 0 AS rolled_back_to_number");
            // The stored content itself is copied, not a re-serialised map, so it is identical.
            copy = c.sql(revs + ".copy", "INSERT INTO <p>" + revs + " (" + cols + ") SELECT :t, :id, :doc, :number, '" + RevisionKind.ROLLBACK
                    + "', b.id, " + this.content.stream().map(s -> "b." + s).collect(Collectors.joining(", "))
                    + ", :label, :authorType, :authorId, :now FROM <p>" + revs + " b WHERE b.tenant_id = :t AND b.id = :back"
                    + " RETURNING " + cols + ", CAST(:backNumber AS INTEGER) AS rolled_back_to_number");
            setCurrent = c.sql(revs + ".setCurrent", "UPDATE <p>" + docs + " SET current_revision_id = :rev WHERE tenant_id = :t AND id = :doc");
            byNumber = c.sql(revs + ".byNumber", select + " AND r." + parent + " = :doc AND r.number = :number");
            byId = c.sql(revs + ".byId", select + " AND r.id = :id");
            // Filtering on the document too makes a revision of another document look missing.
            byIdOf = c.sql(revs + ".byIdOf", select + " AND r." + parent + " = :doc AND r.id = :id");
            current = c.sql(revs + ".current", select.replace(" WHERE ", " JOIN <p>" + docs + " d ON d.tenant_id = r.tenant_id"
                    + " AND d.current_revision_id = r.id WHERE ") + " AND d.id = :doc AND d.deleted_at IS NULL");
            all = c.sql(revs + ".all", select + " AND r." + parent + " = :doc ORDER BY r.number");
            page = c.sql(revs + ".page", select + " AND r." + parent + " = :doc ORDER BY r.number LIMIT :limit");
            pageAfter = c.sql(revs + ".pageAfter", select + " AND r." + parent + " = :doc AND r.number > :after ORDER BY r.number LIMIT :limit");
            revisionsListing = revs;
        }
    }

    private final Db db;
    private final Sql sql;
    private final Statements q;
    private final RowMapper<R> mapper;
    private final String noun;
    private final String another;
    private final Function<R, UUID> id;
    private final ToIntFunction<R> number;
    private final String idField;
    private final java.util.function.BiFunction<R, R, RevisionDiff> diff;

    /**
     * {@code noun} names a document in messages ({@code assistant}), {@code another} a different one
     * ({@code another assistant}), {@code idField} the document's id parameter in the store's API.
     */
    VersionedDocuments(Db db, Sql sql, Statements q, RowMapper<R> mapper, String noun, String another, String idField,
                       Function<R, UUID> id, ToIntFunction<R> number, java.util.function.BiFunction<R, R, RevisionDiff> diff) {
        this.db = db;
        this.sql = sql;
        this.q = q;
        this.mapper = mapper;
        this.noun = noun;
        this.another = another;
        this.idField = idField;
        this.id = id;
        this.number = number;
        this.diff = diff;
    }

    // ---- the store API's revision calls, the same for every versioned document ----------------

    Optional<R> revision(UUID doc, int number) {
        Check.notNull(idField, doc);
        Check.positive("number", number, Integer.MAX_VALUE);
        return db.read(h -> byNumber(h, doc, number));
    }

    Optional<R> currentRevision(UUID doc) {
        Check.notNull(idField, doc);
        return current(doc);
    }

    List<R> revisions(UUID doc) {
        Check.notNull(idField, doc);
        return db.readConsistent(h -> {
            requireKnown(h, doc);
            return all(h, doc);
        });
    }

    /**
     * One page of {@code doc}'s revisions, oldest first by number. The cursor is bound to the
     * tenant and the document, so another document's cursor is refused; numbers only grow, so a
     * page never repeats or skips a revision, one published meanwhile included. A cursor whose
     * number no revision can have (below 1, past {@code Integer.MAX_VALUE}) is refused on
     * {@code cursor}, as {@code MemoryStore.revisions} refuses it.
     */
    dev.atlas.Page<R> revisions(UUID doc, int limit, String cursor) {
        Check.notNull(idField, doc);
        Check.positive("limit", limit, dev.atlas.Limits.MAX_PAGE_SIZE);
        Cursor.Listing listing = sql.listing(q.revisionsListing, doc);
        Long after = cursor == null ? null : Cursor.decode(cursor, listing, 1).number(0, 1, Integer.MAX_VALUE);
        return db.readConsistent(h -> {
            requireKnown(h, doc);
            List<R> rows = (after == null ? sql.on(h, q.page) : sql.on(h, q.pageAfter).bind("after", after.longValue()))
                    .bind("doc", doc).bind("limit", limit + 1).list(mapper);
            return Cursor.page(List.copyOf(rows), limit, r -> Cursor.encode(listing, number.applyAsInt(r)));
        });
    }

    RevisionDiff diff(UUID doc, int fromNumber, int toNumber) {
        Check.notNull(idField, doc);
        Check.positive("fromNumber", fromNumber, Integer.MAX_VALUE);
        Check.positive("toNumber", toNumber, Integer.MAX_VALUE);
        return db.read(h -> {
            requireKnown(h, doc);
            return diff.apply(requireNumber(h, doc, fromNumber, "fromNumber"), requireNumber(h, doc, toNumber, "toNumber"));
        });
    }

    /** Rolls back to revision {@code toNumber}, from revision {@code expected} only when it is given. */
    R rollbackTo(UUID doc, int toNumber, Owner author, Integer expected) {
        Check.notNull(idField, doc);
        Check.positive("toNumber", toNumber, Integer.MAX_VALUE);
        return db.write(h -> rollback(h, doc, toNumber, author, expected));
    }

    /**
     * Runs {@code write} (an insert or update naming {@code slug}) once no live document other than
     * {@code except} holds the slug, checked in the caller's transaction; two concurrent writers can
     * both pass the check, and the partial unique index stops the second. When {@code except} (the
     * document an update names) is no live document of the tenant, that is reported first, as
     * {@link NotFoundException}: the caller's mistake is the id, and another tenant's id must not
     * learn which document of this tenant holds the slug.
     */
    <T> T withFreeSlug(Handle h, String slug, UUID except, Supplier<T> write) {
        Optional<UUID> holder = sql.on(h, q.slugHolder).bind("slug", slug).optional(sql.uuidColumn());
        if (holder.isPresent() && !holder.get().equals(except)) {
            if (except != null && known(h, except).orElse(0) != 1) {
                throw new NotFoundException(noun, except);
            }
            throw new ConflictException("slug", "'" + slug + "' is already used by " + noun + " " + holder.get());
        }
        try {
            return write.get();
        } catch (SqlFailure e) {
            if (JdbiAssistantStore.isUniqueViolation(e)) {
                throw new ConflictException("slug", "'" + slug + "' is already used by " + another);
            }
            throw e;
        }
    }

    /**
     * Appends a published revision with {@code content} (column to value) and makes it current, in
     * the caller's transaction; when {@code expected} is given, only while the latest revision has that number.
     */
    R publish(Handle h, UUID doc, Map<String, Object> content, String label, Owner author, Integer expected) {
        UUID rev = dev.atlas.Ids.next(db.clock());
        Bumped b = expected == null ? bump(h, doc, db.now()) : bumpFrom(h, doc, db.now(), expected);
        Sql.Call insert = authored(sql.on(h, q.insert), rev, doc, b.number(), label, author, b.at());
        for (String column : q.content) {
            insert.bind(column, content.get(column));
        }
        R r = insert.one(mapper);
        sql.on(h, q.setCurrent).bind("rev", rev).bind("doc", doc).update();
        return r;
    }

    /**
     * Appends a copy of the revision {@code target} finds (or {@code missing}) and makes it current;
     * when {@code expected} is given, only while the latest revision has that number.
     */
    R rollback(Handle h, UUID doc, Function<Handle, Optional<R>> target, Supplier<NotFoundException> missing, Owner author,
               Integer expected) {
        UUID rev = dev.atlas.Ids.next(db.clock());
        Bumped b = expected == null ? bump(h, doc, db.now()) : bumpFrom(h, doc, db.now(), expected);
        R to = target.apply(h).orElseThrow(missing);
        R r = authored(sql.on(h, q.copy), rev, doc, b.number(), "rollback to " + number.applyAsInt(to), author, b.at())
                .bind("back", id.apply(to)).bind("backNumber", number.applyAsInt(to)).one(mapper);
        sql.on(h, q.setCurrent).bind("rev", rev).bind("doc", doc).update();
        return r;
    }

    /** Appends a copy of revision {@code number} of {@code doc} and makes it current, from revision {@code expected} when given. */
    R rollback(Handle h, UUID doc, int number, Owner author, Integer expected) {
        return rollback(h, doc, t -> byNumber(t, doc, number), () -> missing(doc, number, "toNumber"), author, expected);
    }

    /** Refuses a negative expected revision number before any write. */
    static int checkExpected(int expected) {
        if (expected < 0) {
            throw new InvalidInputException("expectedRevision", "must be 0 (no revision yet) or more, was " + expected);
        }
        return expected;
    }

    /**
     * A bumped counter and the document's new update time ({@link Dialect#LATER}): the new revision is
     * dated with it, so an instance whose clock is behind never dates a revision before the
     * document's last change (its creation, a rename, an earlier revision).
     */
    private record Bumped(int number, Instant at) {}

    private RowMapper<Bumped> bumped() {
        Dialect d = db.dialect();
        // The bump returns the stored update time when it is later than now (SQLite keeps text there as later than any
        // number): an unreadable one names the document's row, not only its column.
        return Rows.guard(q.documents, "id", (rs, ctx) -> new Bumped(rs.getInt("last_revision"), d.instant(rs, "updated_at")));
    }

    private Bumped bump(Handle h, UUID doc, Instant now) {
        Optional<Bumped> n = sql.on(h, q.bump).bind("doc", doc).bind("now", now).optional(bumped());
        if (n.isPresent()) {
            return n.get();
        }
        if (known(h, doc).orElse(0) == 1) {
            throw exhausted(doc);
        }
        throw new NotFoundException(noun, doc);
    }

    private Bumped bumpFrom(Handle h, UUID doc, Instant now, int expected) {
        Optional<Bumped> n = sql.on(h, q.bumpFrom).bind("doc", doc).bind("now", now).bind("expected", expected).optional(bumped());
        if (n.isPresent()) {
            return n.get();
        }
        int last = sql.on(h, q.last).bind("doc", doc).optional(Sql.INT).orElseThrow(() -> new NotFoundException(noun, doc));
        if (last != expected) {
            throw new ConflictException("expectedRevision", noun + " " + doc + " is at revision " + last + ", not " + expected
                    + ": another revision was published or rolled back meanwhile; read it and try again");
        }
        throw exhausted(doc);
    }

    private ConflictException exhausted(UUID doc) {
        return new ConflictException("number", noun + " " + doc + " has used every revision number up to " + Integer.MAX_VALUE
                + "; its history is complete: create a new one to publish more");
    }

    /** 1 for a live document, 0 for a deleted one, empty when the tenant has no such document. */
    private Optional<Integer> known(Handle h, UUID doc) {
        return sql.on(h, q.known).bind("doc", doc).optional(Sql.INT);
    }

    /**
     * Fails with {@link NotFoundException} unless the tenant has (or had, before a delete) the
     * document: a deleted document's history stays readable, as its revisions do by id.
     */
    void requireKnown(Handle h, UUID doc) {
        if (known(h, doc).isEmpty()) {
            throw new NotFoundException(noun, doc);
        }
    }

    private Sql.Call authored(Sql.Call call, UUID rev, UUID doc, int n, String label, Owner author, Instant now) {
        return call.bind("id", rev).bind("doc", doc).bind("number", n).bind("label", label)
                .bind("authorType", author == null ? null : author.type()).bind("authorId", author == null ? null : author.id())
                .bind("now", now);
    }

    Optional<R> byNumber(Handle h, UUID doc, int n) {
        return sql.on(h, q.byNumber).bind("doc", doc).bind("number", n).optional(mapper);
    }

    /** Revision {@code n} of {@code doc}; absent is a NotFoundException on {@code field}, the argument that named it. */
    R requireNumber(Handle h, UUID doc, int n, String field) {
        return byNumber(h, doc, n).orElseThrow(() -> missing(doc, n, field));
    }

    private NotFoundException missing(UUID doc, int n, String field) {
        return new NotFoundException(noun + " revision", doc + "#" + n, field);
    }

    Optional<R> byId(UUID revisionId) {
        return db.read(h -> sql.on(h, q.byId).bind("id", revisionId).optional(mapper));
    }

    Optional<R> byIdOf(Handle h, UUID doc, UUID revisionId) {
        return sql.on(h, q.byIdOf).bind("doc", doc).bind("id", revisionId).optional(mapper);
    }

    Optional<R> current(UUID doc) {
        return db.read(h -> sql.on(h, q.current).bind("doc", doc).optional(mapper));
    }

    List<R> all(Handle h, UUID doc) {
        return List.copyOf(sql.on(h, q.all).bind("doc", doc).list(mapper));
    }
}
