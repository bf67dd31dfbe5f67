package dev.atlas.assistant;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.Ids;
import dev.atlas.Tenant;
import org.jspecify.annotations.Nullable;

/**
 * Versioned settings documents of one tenant that stand on their own, without an assistant (seed
 * 001 {@code settings} and {@code setting_revisions}). Obtain it from {@link dev.atlas.Tenant#settings()}.
 * Versioning is the assistants' scheme: each publish appends a revision with the next gapless
 * number (allocated atomically) and makes it current; a rollback appends a copy of an earlier
 * revision of kind {@link RevisionKind#ROLLBACK}; revisions are never changed.
 *
 * <pre>{@code
 * SettingsStore settings = atlas.tenant("acme").settings();
 * Settings chat = settings.create("plain-chat", "Plain chat", Owner.user("42"));
 * settings.publish(chat.id(), Map.of("model", "gpt-4o", "temperature", 0.7), "v1", Owner.user("42"));
 * settings.currentRevision(chat.id()).orElseThrow().values();       // {model=gpt-4o, temperature=0.7}
 * }</pre>
 *
 * Ids of another tenant behave exactly like ids that do not exist.
 */
public interface SettingsStore {
    /**
     * Creates a settings document with no revision yet.
     *
     * @param slug  unique among the tenant's live settings, as {@link AssistantSpec#slug()}
     * @param name  display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     * @param owner who owns it, or {@code null} for the tenant itself
     * @return the new document, with no current revision
     * @throws ConflictException (field {@code slug}) when a live settings document has the slug
     */
    Settings create(String slug, String name, @Nullable Owner owner);

    /**
     * The live settings document with this id.
     *
     * @param settingsId its id
     * @return the document, or empty when it does not exist or was deleted
     */
    Optional<Settings> get(UUID settingsId);

    /**
     * Like {@link #get} but throws {@link NotFoundException} when there is none.
     *
     * @param settingsId its id
     * @return the live document
     * @throws NotFoundException when it does not exist or was deleted
     */
    default Settings require(UUID settingsId) {
        return get(settingsId).orElseThrow(() -> new NotFoundException("settings", settingsId));
    }

    /**
     * The live settings document with this slug.
     *
     * @param slug its slug
     * @return the document, or empty when no live one has the slug
     */
    Optional<Settings> getBySlug(String slug);

    /**
     * Live settings documents ordered by slug, keyset-paged.
     *
     * @param owner  only this owner's, or {@code null} for all
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     * @return one page of documents and the cursor of the next
     */
    Page<Settings> list(@Nullable Owner owner, int limit, @Nullable String cursor);

    /**
     * Gives the live document a new slug and display name (either may be its current one); its id,
     * owner and revisions stay, and its old slug is free at once. Of concurrent renames to one slug,
     * from any number of Atlas instances, one wins and the others are refused.
     *
     * @param settingsId the live document
     * @param slug  the new slug, unique among the tenant's live settings, as {@link AssistantSpec#slug()}
     * @param name  the new display name (required, at most {@link Limits#MAX_TITLE_LENGTH} characters)
     * @return the document as renamed
     * @throws ConflictException (field {@code slug}) when another live settings document has the slug; nothing is written
     * @throws NotFoundException when there is no live document with this id in this tenant, checked before the slug
     */
    Settings rename(UUID settingsId, String slug, String name);

    /**
     * {@link #rename(UUID, String, String)} only while the document still has the slug and name of
     * {@code expected} (a document the caller read): optimistic concurrency for an editor that must
     * not silently undo a rename someone else made meanwhile. Only the slug and name, which are all a
     * rename changes, are compared, so a publish since the read does not conflict. Of concurrent guarded
     * renames from one read, from any number of Atlas instances, one wins.
     *
     * @param expected the live document as the caller read it
     * @param slug  the new slug, as for {@link #rename(UUID, String, String)}
     * @param name  the new display name, as for {@link #rename(UUID, String, String)}
     * @return the document as renamed
     * @throws ConflictException (field {@code expected}) when the document has another slug or name now;
     *         (field {@code slug}) when another live document has the slug; nothing is written
     * @throws InvalidInputException (field {@code expected}) when it is null or lacks an id, slug or name,
     *         as a document built by hand rather than read may; nothing is read or written
     * @throws NotFoundException when there is no live document with its id in this tenant
     */
    Settings rename(Settings expected, String slug, String name);

    /**
     * Soft-deletes it; its slug becomes free, its history stays readable by {@link #getRevision(UUID, int)}
     * and {@link #revisions(UUID)}.
     *
     * @param settingsId its id
     * @throws NotFoundException when there is no live document with this id
     */
    void delete(UUID settingsId);

    /**
     * Appends a revision with {@code values} and the next number and makes it current.
     *
     * @param settingsId the live document to publish to
     * @param values JSON-compatible settings; {@code null} for none
     * @param label  a short label, or {@code null}
     * @param author who publishes, or {@code null}
     * @return the new current revision
     * @throws NotFoundException when there is no live document with this id
     * @throws ConflictException (field {@code number}) when the document already has revision
     *         {@link Integer#MAX_VALUE}, the last number there is; nothing is written
     */
    SettingsRevision publish(UUID settingsId, @Nullable Map<String, ?> values, @Nullable String label, @Nullable Owner author);

    /**
     * Like {@link #publish(UUID, Map, String, Owner)}, but only while the document's latest revision
     * ({@link Settings#lastRevisionNumber()}, which is also the current one) is {@code expectedRevision}:
     * optimistic concurrency for an editor that must not silently replace a revision someone else
     * published meanwhile.
     *
     * @param settingsId the live document to publish to
     * @param values JSON-compatible settings; {@code null} for none
     * @param label  a short label, or {@code null}
     * @param author who publishes, or {@code null}
     * @param expectedRevision the latest revision number the editor saw, {@code 0} for none yet
     * @return the new current revision
     * @throws ConflictException (field {@code expectedRevision}) when the latest revision is another one;
     *         nothing is written
     * @throws NotFoundException when there is no live document with this id
     */
    SettingsRevision publish(UUID settingsId, @Nullable Map<String, ?> values, @Nullable String label, @Nullable Owner author,
                             int expectedRevision);

    /**
     * The revision with this number, also after a soft delete.
     *
     * @param settingsId the document's id
     * @param number     the revision's number, 1 or more
     * @return the revision, or empty when there is none with this number
     */
    Optional<SettingsRevision> getRevision(UUID settingsId, int number);

    /**
     * The revision the document currently points at, if any was published.
     *
     * @param settingsId the live document's id
     * @return its current revision, or empty before the first publish or for an unknown or deleted document
     */
    Optional<SettingsRevision> currentRevision(UUID settingsId);

    /**
     * The whole history, oldest first, also after a soft delete, all at once ({@link #revisions(UUID, int, String)}
     * pages it); {@link NotFoundException} for an unknown id.
     *
     * @param settingsId the document's id
     * @return every revision, oldest first
     * @throws NotFoundException when this tenant never had a document with this id
     */
    List<SettingsRevision> revisions(UUID settingsId);

    /**
     * The history, oldest first by number, keyset-paged, also after a settings document's soft delete: a page
     * never repeats or skips a revision, one published or rolled back to meanwhile included (it
     * comes on a later page). {@link #revisions(UUID)} reads every revision at once; prefer this one
     * for documents edited without bound.
     *
     * @param settingsId the settings document's id
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page of this settings document's revisions, or {@code null} for the first
     * @return one page of revisions and the cursor of the next
     * @throws dev.atlas.InvalidInputException naming {@code limit} when out of range, {@code cursor} when it was not
     *         returned by a page of this settings document's revisions
     * @throws NotFoundException when this tenant never had a settings document with this id
     */
    Page<SettingsRevision> revisions(UUID settingsId, int limit, @Nullable String cursor);

    /**
     * Which top-level keys were added, removed or changed from revision {@code fromNumber} to
     * {@code toNumber}, as {@link AssistantStore#diff} compares settings ({@link RevisionDiff#promptChanged()}
     * is always {@code false}); also after a soft delete.
     *
     * @param settingsId the document's id
     * @param fromNumber the older revision number, 1 or more
     * @param toNumber   the newer revision number, 1 or more
     * @return the differences
     * @throws NotFoundException for an unknown document (or another tenant's), or (field {@code fromNumber} or
     *         {@code toNumber}) a number it has no revision of
     */
    RevisionDiff diff(UUID settingsId, int fromNumber, int toNumber);

    /**
     * Makes the values of revision {@code toNumber} current again by appending a revision of kind
     * {@link RevisionKind#ROLLBACK} that copies them; {@link NotFoundException} when there is no
     * such revision.
     *
     * @param settingsId the live document to roll back
     * @param toNumber   number of the earlier revision whose values become current
     * @param author     who rolls back, or {@code null}
     * @return the new {@link RevisionKind#ROLLBACK} revision, now current
     * @throws NotFoundException when the document does not exist, or (field {@code toNumber}) it has no such revision
     * @throws ConflictException (field {@code number}) when no revision number is left, as for {@link #publish}
     */
    SettingsRevision rollback(UUID settingsId, int toNumber, @Nullable Owner author);

    /**
     * {@link #rollback(UUID, int, Owner)} only while the latest revision is {@code expectedRevision},
     * as {@link #publish(UUID, Map, String, Owner, int)} guards a publish.
     *
     * @param settingsId       the live document to roll back
     * @param toNumber         number of the earlier revision whose values become current
     * @param author           who rolls back, or {@code null}
     * @param expectedRevision the latest revision number the caller saw, 0 or more
     * @return the new {@link RevisionKind#ROLLBACK} revision, now current
     * @throws ConflictException (field {@code expectedRevision}) when the latest revision is another, nothing written
     * @throws dev.atlas.InvalidInputException (field {@code expectedRevision}) when it is negative
     */
    SettingsRevision rollback(UUID settingsId, int toNumber, @Nullable Owner author, int expectedRevision);
}
