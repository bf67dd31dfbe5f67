package dev.atlas.assistant;

import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.Owner;

import dev.atlas.internal.Check;

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
public record AssistantQuery(Owner owner, Boolean isPublic, Owner visibleTo, int limit, String cursor) {
    public AssistantQuery {
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /** Every live assistant, 50 per page. */
    public static AssistantQuery all() {
        return new AssistantQuery(null, null, null, 50, null);
    }

    /** The assistants {@code owner} owns. */
    public static AssistantQuery forOwner(Owner owner) {
        return all().owner(Check.notNull("owner", owner));
    }

    /** The public assistants, whoever owns them. */
    public static AssistantQuery publicOnly() {
        return all().isPublic(true);
    }

    /** The assistants {@code owner} owns plus every public one. */
    public static AssistantQuery visibleTo(Owner owner) {
        return new AssistantQuery(null, null, Check.notNull("visibleTo", owner), 50, null);
    }

    public AssistantQuery owner(Owner owner) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    public AssistantQuery isPublic(Boolean isPublic) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    public AssistantQuery limit(int limit) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }

    /** Continue after a previous page's {@link Page#nextCursor()}. */
    public AssistantQuery after(String cursor) {
        return new AssistantQuery(owner, isPublic, visibleTo, limit, cursor);
    }
}
