package dev.atlas.assistant;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.ConflictException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import org.jspecify.annotations.Nullable;

/**
 * Assistants of one tenant and their versioned configuration. Each assistant has an immutable,
 * numbered history of {@link AssistantRevision}s (system prompt plus settings) and points at its
 * current one. Obtain it from {@link Tenant#assistants()}.
 *
 * <pre>{@code
 * AssistantStore assistants = atlas.tenant("acme").assistants();
 * Assistant bot = assistants.create(AssistantSpec.of("support-bot", "Support bot").defaultModel("gpt-4o"));
 * AssistantRevision v1 = assistants.publish(bot.id(), NewRevision.of("You are helpful.", Map.of("tone", "warm")));
 * AssistantRevision v2 = assistants.publish(bot.id(), NewRevision.of("You are terse.", Map.of("tone", "dry")));
 * assistants.diff(bot.id(), 1, 2);                        // changed: [tone], promptChanged: true
 * assistants.rollback(bot.id(), 1, Owner.user("42"));     // revision 3, a copy of 1; current is now 3
 * }</pre>
 *
 * Lookups of ids in another tenant behave exactly like missing ids. Every write is one
 * transaction.
 */
public interface AssistantStore {

    /**
     * Creates an assistant with no revision yet. Fails with {@link ConflictException} (field {@code slug}) when a live assistant has the slug.
     *
     * @param spec the description of what to create
     * @return the assistant
     */
    Assistant create(AssistantSpec spec);

    /**
     * The live assistant with this id.
     *
     * @param assistantId the assistant's id
     * @return the Assistant, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Assistant> get(UUID assistantId);

    /**
     * The live assistant with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's.
     *
     * @param assistantId the assistant's id
     * @return the assistant
     */
    default Assistant require(UUID assistantId) {
        return get(assistantId).orElseThrow(() -> new dev.atlas.NotFoundException("assistant", assistantId));
    }

    /**
     * The live assistant with this slug.
     *
     * @param slug the assistant's slug
     * @return the Assistant, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Assistant> getBySlug(String slug);

    /**
     * @deprecated use {@link #getBySlug(String)}; removed in 1.0.
     * @param slug the assistant's slug
     * @return the Assistant, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<Assistant> findBySlug(String slug) {
        return getBySlug(slug);
    }

    /**
     * Live assistants ordered by slug, at most {@code limit} (1 to {@link Limits#MAX_PAGE_SIZE}) after {@code cursor}.
     *
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first
     * @return one page of results and the cursor of the next
     */
    Page<Assistant> list(int limit, @Nullable String cursor);

    /**
     * Live assistants matching {@code query} (by owner, by the public flag, or visible to an
     * owner: its own plus the public ones), ordered by slug, keyset-paged.
     *
     * @param query the filters, page size and cursor
     * @return one page of assistants and the cursor of the next
     * @throws dev.atlas.InvalidInputException when the cursor was not returned by a previous page
     */
    Page<Assistant> list(AssistantQuery query);

    /**
     * Replaces the definition (slug, name, flags, defaults, tools, metadata, owner) and adds one to
     * its {@link Assistant#version()}. Revisions are untouched. {@link ConflictException} when the
     * new slug is taken, and (field {@code version}) when the definition is at version
     * {@link Integer#MAX_VALUE}, the last: nothing is written, create a new assistant instead.
     *
     * @param assistantId the assistant's id
     * @param spec the new definition
     * @return the assistant
     * @throws ConflictException (field {@code slug}) when another live assistant of this tenant has the new slug;
     *         (field {@code version}) when the definition is at {@link Integer#MAX_VALUE}; nothing is written
     * @throws NotFoundException when there is no live assistant with this id in this tenant, checked before the slug
     */
    Assistant update(UUID assistantId, AssistantSpec spec);

    /**
     * {@link #update(UUID, AssistantSpec)} only while the definition is at {@code expectedVersion}
     * (the {@link Assistant#version()} the caller read), as {@link NewRevision#expectedRevision(int)}
     * guards a publish: an editor that showed version 3 never overwrites a version 4 saved meanwhile.
     * Of concurrent updates expecting one version, on one Atlas instance or several, exactly one wins.
     *
     * @param assistantId the assistant's id
     * @param spec the new definition
     * @param expectedVersion the version the caller read, 1 or more
     * @return the assistant, at {@code expectedVersion + 1}
     * @throws ConflictException (field {@code expectedVersion}) when the definition is at another version, nothing written;
     *         (field {@code slug}) when the new slug is taken; (field {@code version}) when it is at {@link Integer#MAX_VALUE}, the last
     * @throws dev.atlas.InvalidInputException (field {@code expectedVersion}) when it is below 1
     * @throws NotFoundException when there is no live assistant with this id in this tenant, checked before the slug
     */
    Assistant update(UUID assistantId, AssistantSpec spec, int expectedVersion);

    /**
     * Soft-deletes the assistant; its slug becomes free. Its history stays readable: by revision
     * id, by number, {@link #revisions(UUID)} and {@link #diff}; {@link #currentRevision} is then empty and
     * {@code publish}/{@code rollback} fail with {@link NotFoundException}.
     *
     * @param assistantId the assistant's id
     */
    void delete(UUID assistantId);

    /**
     * Appends a revision with the next number (allocated atomically, so concurrent publishes get
     * distinct, gapless numbers) and makes it current.
     *
     * @param assistantId the assistant's id
     * @param revision the revision to publish
     * @return the assistantRevision
     * @throws NotFoundException when there is no live assistant with this id
     * @throws ConflictException (field {@code number}) when the assistant already has revision
     *         {@link Integer#MAX_VALUE}, the last number there is; (field {@code expectedRevision})
     *         when {@link NewRevision#expectedRevision(int)} was given and the latest revision is
     *         another one; nothing is written
     */
    AssistantRevision publish(UUID assistantId, NewRevision revision);

    /**
     * The revision of this assistant with this number (also after the assistant's soft delete).
     *
     * @param assistantId the assistant's id
     * @param number the revision number
     * @return the AssistantRevision, or empty when there is none (an id of another tenant is absent)
     */
    Optional<AssistantRevision> getRevision(UUID assistantId, int number);

    /**
     * A revision by id, whichever assistant of this tenant it belongs to (also after the assistant's soft delete).
     *
     * @param revisionId the revision's id
     * @return the AssistantRevision, or empty when there is none (an id of another tenant is absent)
     */
    Optional<AssistantRevision> getRevision(UUID revisionId);

    /**
     * @deprecated use {@link #getRevision(UUID, int)}; removed in 1.0.
     * @param assistantId the assistant's id
     * @param number the revision number
     * @return the AssistantRevision, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<AssistantRevision> revision(UUID assistantId, int number) {
        return getRevision(assistantId, number);
    }

    /**
     * @deprecated use {@link #getRevision(UUID)}; removed in 1.0.
     * @param revisionId the revision's id
     * @return the AssistantRevision, or empty when there is none (an id of another tenant is absent)
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<AssistantRevision> revision(UUID revisionId) {
        return getRevision(revisionId);
    }

    /**
     * The revision the assistant currently points at, if any was published.
     *
     * @param assistantId the assistant's id
     * @return the AssistantRevision, or empty when there is none (an id of another tenant is absent)
     */
    Optional<AssistantRevision> currentRevision(UUID assistantId);

    /**
     * The whole history, oldest first (also after the assistant's soft delete), all at once: an
     * assistant published many times reads every revision; {@link #revisions(UUID, int, String)} pages them.
     *
     * @param assistantId the assistant's id
     * @return the matching items, in order
     * @throws NotFoundException when this tenant never had an assistant with this id
     */
    List<AssistantRevision> revisions(UUID assistantId);

    /**
     * The history, oldest first by number, keyset-paged, also after an assistant's soft delete: a page
     * never repeats or skips a revision, one published or rolled back to meanwhile included (it
     * comes on a later page). {@link #revisions(UUID)} reads every revision at once; prefer this one
     * for documents edited without bound.
     *
     * @param assistantId the assistant's id
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page of this assistant's revisions, or {@code null} for the first
     * @return one page of revisions and the cursor of the next
     * @throws dev.atlas.InvalidInputException naming {@code limit} when out of range, {@code cursor} when it was not
     *         returned by a page of this assistant's revisions
     * @throws NotFoundException when this tenant never had an assistant with this id
     */
    Page<AssistantRevision> revisions(UUID assistantId, int limit, @Nullable String cursor);

    /**
     * @deprecated use {@link #revisions(UUID)}; removed in 1.0.
     * @param assistantId the assistant's id
     * @return the matching items, in order
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default List<AssistantRevision> history(UUID assistantId) {
        return revisions(assistantId);
    }

    /**
     * Which settings keys were added, removed or changed from revision {@code fromNumber} to {@code toNumber}, and whether the prompt changed
     * (also after the assistant's soft delete).
     *
     * @param assistantId the assistant's id
     * @param fromNumber the older revision number
     * @param toNumber the newer revision number
     * @return the revisionDiff
     * @throws NotFoundException when this tenant never had an assistant with this id, or (field {@code fromNumber}
     *         or {@code toNumber}) it has no revision of that number
     */
    RevisionDiff diff(UUID assistantId, int fromNumber, int toNumber);

    /**
     * Makes the content of revision {@code toNumber} current again by appending a new revision of
     * kind {@link RevisionKind#ROLLBACK} that copies it and names it in
     * {@link AssistantRevision#rolledBackToId()}; the log thus shows who rolled back and when.
     *
     * @param assistantId the assistant's id
     * @param toNumber number of the earlier revision whose content becomes current
     * @param author who did it, or {@code null}
     * @return the new current revision
     * @throws NotFoundException when there is no live assistant with this id, or (field {@code toNumber}) it has no revision {@code toNumber}
     * @throws ConflictException (field {@code number}) when no revision number is left, as for {@link #publish}
     */
    AssistantRevision rollback(UUID assistantId, int toNumber, @Nullable Owner author);

    /**
     * Like {@link #rollback(UUID, int, Owner)} with the target named by id. A revision of another
     * assistant or tenant fails with {@link NotFoundException} on {@code toRevisionId}, as an unknown id does.
     *
     * @param assistantId the assistant's id
     * @param toRevisionId the earlier revision to copy
     * @param author who did it, or {@code null}
     * @return the assistantRevision
     * @throws NotFoundException when there is no live assistant with this id, or (field {@code toRevisionId}) the
     *         revision is not one of its revisions
     */
    AssistantRevision rollback(UUID assistantId, UUID toRevisionId, @Nullable Owner author);

    /**
     * {@link #rollback(UUID, int, Owner)} only while the assistant's latest revision is
     * {@code expectedRevision}, as {@link NewRevision#expectedRevision(int)} guards a publish: an
     * editor that showed revision 5 never rolls back over a revision 6 published meanwhile.
     *
     * @param assistantId the assistant's id
     * @param toNumber number of the earlier revision whose content becomes current
     * @param author who did it, or {@code null}
     * @param expectedRevision the latest revision number the caller saw, 0 or more
     * @return the new current revision
     * @throws ConflictException (field {@code expectedRevision}) when the latest revision is another, nothing written
     * @throws dev.atlas.InvalidInputException (field {@code expectedRevision}) when it is negative
     */
    AssistantRevision rollback(UUID assistantId, int toNumber, @Nullable Owner author, int expectedRevision);

    /**
     * {@link #rollback(UUID, UUID, Owner)} only while the assistant's latest revision is
     * {@code expectedRevision}, as {@link #rollback(UUID, int, Owner, int)}.
     *
     * @param assistantId the assistant's id
     * @param toRevisionId the earlier revision to copy
     * @param author who did it, or {@code null}
     * @param expectedRevision the latest revision number the caller saw, 0 or more
     * @return the new current revision
     * @throws NotFoundException as {@link #rollback(UUID, UUID, Owner)}
     * @throws ConflictException (field {@code expectedRevision}) when the latest revision is another, nothing written
     */
    AssistantRevision rollback(UUID assistantId, UUID toRevisionId, @Nullable Owner author, int expectedRevision);
}
