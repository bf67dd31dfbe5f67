package dev.atlas.execution;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.UUID;

/**
 * Filters for {@link ExecutionRecorder#list(ExecutionQuery)}; every filter is optional. Results
 * are newest first; {@code from} is inclusive and {@code to} exclusive, on the creation time.
 */
public record ExecutionQuery(
        UUID conversationId,
        String agent,
        String provider,
        String model,
        ExecutionType type,
        ExecutionStatus status,
        Instant from,
        Instant to,
        int limit,
        String cursor) {

    public ExecutionQuery {
        Check.optionalKey("agent", agent);
        Check.optionalKey("provider", provider);
        Check.optionalKey("model", model);
        Check.instant("from", from);
        Check.instant("to", to);
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optionalKey("cursor", cursor);
    }

    /** Every execution, 50 per page. */
    public static ExecutionQuery all() {
        return new ExecutionQuery(null, null, null, null, null, null, null, null, 50, null);
    }

    public ExecutionQuery conversation(UUID id) {
        return new ExecutionQuery(id, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery agent(String agent) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery provider(String provider) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery model(String model) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery type(ExecutionType type) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery status(ExecutionStatus status) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    /** Created at or after {@code from} and before {@code to}; either may be {@code null}. */
    public ExecutionQuery between(Instant from, Instant to) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery limit(int limit) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    /** Continue after a previous page's {@link dev.atlas.Page#nextCursor()}. */
    public ExecutionQuery after(String cursor) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }
}
