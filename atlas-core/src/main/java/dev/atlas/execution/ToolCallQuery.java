package dev.atlas.execution;

import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.internal.Check;

/**
 * Filters for {@link ExecutionRecorder#toolCalls(ToolCallQuery)}: tool calls across every
 * execution of the tenant, newest first ({@code startedAt}, then id, both descending). Seed 002's
 * {@code ExecutionToolCall::forTool("search")->failed()} is
 * {@code ToolCallQuery.forTool("search").status(ExecutionStatus.FAILED)}.
 *
 * @param name   only calls of the tool with this name, or {@code null} for any
 * @param status only calls in this status, or {@code null} for any
 * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
 */
public record ToolCallQuery(String name, ExecutionStatus status, int limit, String cursor) {
    public ToolCallQuery {
        Check.optionalKey("name", name);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /** Every tool call, newest first, 50 per page. */
    public static ToolCallQuery all() {
        return new ToolCallQuery(null, null, 50, null);
    }

    /** Calls of the tool named {@code name}, newest first, 50 per page. */
    public static ToolCallQuery forTool(String name) {
        return all().name(Check.key("name", name));
    }

    public ToolCallQuery name(String name) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    public ToolCallQuery status(ExecutionStatus status) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    public ToolCallQuery limit(int limit) {
        return new ToolCallQuery(name, status, limit, cursor);
    }

    /** Continue after a previous page's {@link Page#nextCursor()}. */
    public ToolCallQuery after(String cursor) {
        return new ToolCallQuery(name, status, limit, cursor);
    }
}
