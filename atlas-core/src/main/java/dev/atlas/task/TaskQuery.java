package dev.atlas.task;

import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.Owner;
import dev.atlas.InvalidInputException;

import dev.atlas.internal.Check;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Arrays;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link TaskStore#list(TaskQuery)}; every filter is optional and they combine with
 * AND. Results are oldest first ({@code createdAt}, then id), keyset-paged, so a listing of the
 * pending tasks reads like a queue (seed 003's "pending promises").
 *
 * <pre>{@code
 * tasks.list(TaskQuery.withStatus(TaskStatus.PENDING, TaskStatus.RUNNING).kind("report").owner(Owner.user("42")))
 * }</pre>
 *
 * @param statuses only tasks in one of these statuses; empty for any (never null)
 * @param kind     only tasks of this kind, or {@code null} for any
 * @param owner    only this owner's tasks, or {@code null} for any
 * @param conversationId only tasks serving this conversation, or {@code null} for any
 * @param limit    page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor   {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
 */
public record TaskQuery(Set<TaskStatus> statuses, @Nullable String kind, @Nullable Owner owner, @Nullable UUID conversationId, int limit, @Nullable String cursor) {
    /**
     * Validates the components and copies {@code statuses}; a bad one throws
     * {@link InvalidInputException} naming it.
     *
     * @param statuses only tasks in one of these statuses; empty for any (never null)
     * @param kind     only tasks of this kind, or {@code null} for any
     * @param owner    only this owner's tasks, or {@code null} for any
     * @param conversationId only tasks serving this conversation, or {@code null} for any
     * @param limit    page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor   {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
     */
    public TaskQuery {
        Check.notNull("statuses", statuses);
        for (TaskStatus s : statuses) {
            Check.notNull("statuses", s);
        }
        statuses = statuses.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(statuses));
        Check.optionalKey("kind", kind);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * Every task of the tenant, 50 per page.
     *
     * @return a query with no filter
     */
    public static TaskQuery all() {
        return new TaskQuery(Set.of(), null, null, null, 50, null);
    }

    /**
     * Tasks in any of {@code statuses}, 50 per page; a status named twice counts once.
     *
     * @param statuses the statuses to list, at least one
     * @return a query filtered on {@code statuses}
     * @throws InvalidInputException if {@code statuses} is empty or holds a null
     */
    public static TaskQuery withStatus(TaskStatus... statuses) {
        Check.notNull("statuses", statuses);
        if (statuses.length == 0) {
            throw new InvalidInputException("statuses", "must name at least one status (use all() for any)");
        }
        return all().statuses(EnumSet.copyOf(Check.list("statuses", Arrays.asList(statuses))));
    }

    /**
     * Returns a copy filtered on statuses.
     *
     * @param statuses only tasks in one of these statuses; empty for any
     * @return a copy with this filter
     */
    public TaskQuery statuses(Set<TaskStatus> statuses) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /**
     * Returns a copy filtered on kind.
     *
     * @param kind only tasks of this kind, or {@code null} for any
     * @return a copy with this filter
     */
    public TaskQuery kind(@Nullable String kind) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /**
     * Returns a copy filtered on owner.
     *
     * @param owner only this owner's tasks, or {@code null} for any
     * @return a copy with this filter
     */
    public TaskQuery owner(@Nullable Owner owner) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /**
     * Returns a copy filtered on the conversation the tasks serve.
     *
     * @param conversationId only tasks serving this conversation, or {@code null} for any
     * @return a copy with this filter
     */
    public TaskQuery conversation(@Nullable UUID conversationId) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /**
     * Returns a copy with another page size.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this page size
     */
    public TaskQuery limit(int limit) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /**
     * Continue after a previous page's {@link Page#nextCursor()}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null} for the first page
     * @return a copy that reads the page after {@code cursor}
     */
    public TaskQuery after(@Nullable String cursor) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }
}
