package dev.atlas.assistant;

import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.Owner;

import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link AssistantStore#list(AssistantQuery)}; every filter is optional and they
 * combine with AND. Live assistants only, ordered by slug. Seed 001's agent pickers:
 * {@code forOwner(user)} (a user's own agents), {@code publicOnly()} (the shared catalogue) and
 * {@code visibleTo(user)} (both at once: the user's own plus every public one).
 *
 * @param owner     only this owner's assistants, or {@code null} for any
 * @param isPublic  only public ({@code true}) or only private ({@code false}) ones, or {@code null} for both
 * @param visibleTo only assistants this owner owns or that are public, or {@code null} for no such filter
 * @param limit     page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor    {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
 */
public record AssistantQuery(@Nullable Owner owner, @Nullable Boolean isPublic, @Nullable Owner visibleTo, int limit, @Nullable String cursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param owner     only this owner's assistants, or {@code null} for any
     * @param isPublic  only public ({@code true}) or only private ({@code false}) ones, or {@code null} for both
     * @param visibleTo only assistants this owner owns or that are public, or {@code null} for no such filter
     * @param limit     page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor    {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
     */
    public AssistantQuery {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * Every live assistant, 50 per page.
     *
     * @return a query with no filter
     */
    public static AssistantQuery all() {
        return new AssistantQuery(null, null, null, 50, null);
    }

    /**
     * The assistants {@code owner} owns.
     *
     * @param owner the owner whose assistants are listed
     * @return a query filtered on {@code owner}
     */
    public static AssistantQuery forOwner(Owner owner) {
        return all().owner(Check.notNull("owner", owner));
    }

    /**
     * The public assistants, whoever owns them.
     *
     * @return a query for public assistants only
     */
    public static AssistantQuery publicOnly() {
        return all().isPublic(true);
    }

    /**
     * The assistants {@code owner} owns plus every public one.
     *
     * @param owner the owner whose private assistants are included
     * @return a query for what {@code owner} can see
     */
    public static AssistantQuery visibleTo(Owner owner) {
        return new AssistantQuery(null, null, Check.notNull("visibleTo", owner), 50, null);
    }

    /**
     * Returns a copy filtered on this owner.
     *
     * @param owner only this owner's assistants, or {@code null} for any
     * @return a copy with this filter
     */
    public AssistantQuery owner(@Nullable Owner owner) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    /**
     * Returns a copy filtered on visibility.
     *
     * @param isPublic only public ({@code true}) or only private ({@code false}) ones, or {@code null} for both
     * @return a copy with this filter
     */
    public AssistantQuery isPublic(@Nullable Boolean isPublic) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    /**
     * Returns a copy with another page size.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this page size
     */
    public AssistantQuery limit(int limit) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    /**
     * Continue after a previous page's {@link Page#nextCursor()}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null} for the first page
     * @return a copy that reads the page after {@code cursor}
     */
    public AssistantQuery after(@Nullable String cursor) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }
}
