package dev.atlas.execution;

import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link ExecutionRecorder#toolCalls(ToolCallQuery)}: tool calls across every
 * execution of the tenant, newest first by creation (id descending), paged on the id, so a queued
 * call started while a client pages is neither skipped nor repeated. Seed 002's
 * {@code ExecutionToolCall::forTool("search")->failed()} is
 * {@code ToolCallQuery.forTool("search").status(ExecutionStatus.FAILED)}.
 *
 * @param name   only calls of the tool with this name, or {@code null} for any
 * @param status only calls in this status, or {@code null} for any
 * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
 */
public record ToolCallQuery(@Nullable String name, @Nullable ExecutionStatus status, int limit, @Nullable String cursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param name   only calls of the tool with this name, or {@code null} for any
     * @param status only calls in this status, or {@code null} for any
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
     */
    public ToolCallQuery {
        Check.optionalKey("name", name);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * Every tool call, newest first, 50 per page.
     *
     * @return a query with no filter
     */
    public static ToolCallQuery all() {
        return new ToolCallQuery(null, null, 50, null);
    }

    /**
     * Calls of the tool named {@code name}, newest first, 50 per page.
     *
     * @param name the tool's name
     * @return a query filtered on {@code name}
     */
    public static ToolCallQuery forTool(String name) {
        return all().name(Check.key("name", name));
    }

    /**
     * Returns a copy filtered on the tool's name.
     *
     * @param name only calls of the tool with this name, or {@code null} for any
     * @return a copy with this filter
     */
    public ToolCallQuery name(@Nullable String name) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    /**
     * Returns a copy filtered on status.
     *
     * @param status only calls in this status, or {@code null} for any
     * @return a copy with this filter
     */
    public ToolCallQuery status(@Nullable ExecutionStatus status) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    /**
     * Returns a copy with another page size.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this page size
     */
    public ToolCallQuery limit(int limit) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    /**
     * Continue after a previous page's {@link Page#nextCursor()}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null} for the first page
     * @return a copy that reads the page after {@code cursor}
     */
    public ToolCallQuery after(@Nullable String cursor) {
        return new ToolCallQuery(name, status, limit, cursor);
    }
}
