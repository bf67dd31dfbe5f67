package dev.atlas.assistant;

import dev.atlas.ConflictException;
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
     * @throws ConflictException (field {@code slug}) when a live settings document has the slug
     */
    Settings create(String slug, String name, Owner owner);

    /** The live settings document with this id. */
    Optional<Settings> get(UUID settingsId);

    /** Like {@link #get} but throws {@link NotFoundException} when there is none. */
    default Settings require(UUID settingsId) {
        return get(settingsId).orElseThrow(() -> new NotFoundException("settings", settingsId));
    }

    /** The live settings document with this slug. */
    Optional<Settings> getBySlug(String slug);

    /**
     * Live settings documents ordered by slug, keyset-paged.
     *
     * @param owner  only this owner's, or {@code null} for all
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     */
    Page<Settings> list(Owner owner, int limit, String cursor);

    /** Soft-deletes it; its slug becomes free, its revisions stay readable by {@link #getRevision(UUID, int)}. */
    void delete(UUID settingsId);

    /**
     * Appends a revision with {@code values} and the next number and makes it current.
     *
     * @param values JSON-compatible settings; {@code null} for none
     * @param label  a short label, or {@code null}
     * @param author who publishes, or {@code null}
     */
    SettingsRevision publish(UUID settingsId, Map<String, ?> values, String label, Owner author);

    /** The revision with this number, also after a soft delete. */
    Optional<SettingsRevision> getRevision(UUID settingsId, int number);

    /** The revision the document currently points at, if any was published. */
    Optional<SettingsRevision> currentRevision(UUID settingsId);

    /** The whole history, oldest first; {@link NotFoundException} for an unknown id. */
    List<SettingsRevision> revisions(UUID settingsId);

    /**
     * Makes the values of revision {@code toNumber} current again by appending a revision of kind
     * {@link RevisionKind#ROLLBACK} that copies them; {@link NotFoundException} when there is no
     * such revision.
     *
     * @param author who rolls back, or {@code null}
     */
    SettingsRevision rollback(UUID settingsId, int toNumber, Owner author);
}
