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
public record TaskQuery(Set<TaskStatus> statuses, String kind, Owner owner, UUID conversationId, int limit, String cursor) {
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

    /** Every task of the tenant, 50 per page. */
    public static TaskQuery all() {
        return new TaskQuery(Set.of(), null, null, null, 50, null);
    }

    /** Tasks in any of {@code statuses}, 50 per page. */
    public static TaskQuery withStatus(TaskStatus... statuses) {
        Check.notNull("statuses", statuses);
        if (statuses.length == 0) {
            throw new InvalidInputException("statuses", "must name at least one status (use all() for any)");
        }
        return all().statuses(EnumSet.copyOf(Check.list("statuses", Arrays.asList(statuses))));
    }

    public TaskQuery statuses(Set<TaskStatus> statuses) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    public TaskQuery kind(String kind) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    public TaskQuery owner(Owner owner) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    public TaskQuery conversation(UUID conversationId) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    public TaskQuery limit(int limit) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }

    /** Continue after a previous page's {@link Page#nextCursor()}. */
    public TaskQuery after(String cursor) {
        return new TaskQuery(statuses, kind, owner, conversationId, limit, cursor);
    }
}
