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

    /** Creates an assistant with no revision yet. Fails with {@link ConflictException} (field {@code slug}) when a live assistant has the slug. */
    Assistant create(AssistantSpec spec);

    /** The live assistant with this id. */
    Optional<Assistant> get(UUID assistantId);

    /** The live assistant with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's. */
    default Assistant require(UUID assistantId) {
        return get(assistantId).orElseThrow(() -> new dev.atlas.NotFoundException("assistant", assistantId));
    }

    /** The live assistant with this slug. */
    Optional<Assistant> getBySlug(String slug);

    /** @deprecated use {@link #getBySlug(String)}; removed in 1.0. */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<Assistant> findBySlug(String slug) {
        return getBySlug(slug);
    }

    /** Live assistants ordered by slug, at most {@code limit} (1 to {@link Limits#MAX_PAGE_SIZE}) after {@code cursor}. */
    Page<Assistant> list(int limit, @Nullable String cursor);

    /**
     * Replaces the definition (slug, name, flags, defaults, tools, metadata, owner). Revisions are
     * untouched. {@link ConflictException} when the new slug is taken.
     */
    Assistant update(UUID assistantId, AssistantSpec spec);

    /** Soft-deletes the assistant; its slug becomes free. Revisions stay readable by id. */
    void delete(UUID assistantId);

    /**
     * Appends a revision with the next number (allocated atomically, so concurrent publishes get
     * distinct, gapless numbers) and makes it current.
     */
    AssistantRevision publish(UUID assistantId, NewRevision revision);

    /** The revision of this assistant with this number. */
    Optional<AssistantRevision> getRevision(UUID assistantId, int number);

    /** A revision by id, whichever assistant of this tenant it belongs to (also after the assistant's soft delete). */
    Optional<AssistantRevision> getRevision(UUID revisionId);

    /** @deprecated use {@link #getRevision(UUID, int)}; removed in 1.0. */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<AssistantRevision> revision(UUID assistantId, int number) {
        return getRevision(assistantId, number);
    }

    /** @deprecated use {@link #getRevision(UUID)}; removed in 1.0. */
    @Deprecated(forRemoval = true, since = "0.2")
    default Optional<AssistantRevision> revision(UUID revisionId) {
        return getRevision(revisionId);
    }

    /** The revision the assistant currently points at, if any was published. */
    Optional<AssistantRevision> currentRevision(UUID assistantId);

    /** The whole history, oldest first. */
    List<AssistantRevision> revisions(UUID assistantId);

    /** @deprecated use {@link #revisions(UUID)}; removed in 1.0. */
    @Deprecated(forRemoval = true, since = "0.2")
    default List<AssistantRevision> history(UUID assistantId) {
        return revisions(assistantId);
    }

    /** Which settings keys were added, removed or changed from revision {@code fromNumber} to {@code toNumber}, and whether the prompt changed. */
    RevisionDiff diff(UUID assistantId, int fromNumber, int toNumber);

    /**
     * Makes the content of revision {@code toNumber} current again by appending a new revision of
     * kind {@link RevisionKind#ROLLBACK} that copies it and names it in
     * {@link AssistantRevision#rolledBackToId()}; the log thus shows who rolled back and when.
     */
    AssistantRevision rollback(UUID assistantId, int toNumber, @Nullable Owner author);

    /**
     * Like {@link #rollback(UUID, int, Owner)} with the target named by id. A revision of another
     * assistant or tenant fails with {@link NotFoundException}.
     */
    AssistantRevision rollback(UUID assistantId, UUID toRevisionId, @Nullable Owner author);
}
