package dev.atlas.execution;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Filters for {@link ExecutionRecorder#list(ExecutionQuery)}; every filter is optional. Results
 * are newest first; {@code from} is inclusive and {@code to} exclusive, on the creation time.
 */
public final class ExecutionQuery {
    private final @Nullable UUID conversationId;
    private final @Nullable String agent;
    private final @Nullable String provider;
    private final @Nullable String model;
    private final @Nullable ExecutionType type;
    private final @Nullable ExecutionStatus status;
    private final @Nullable Instant from;
    private final @Nullable Instant to;
    private final int limit;
    private final @Nullable String cursor;

    /**
     * Creates the value; every argument is as its accessor returns it.
     */
    public ExecutionQuery(
            @Nullable UUID conversationId,
            @Nullable String agent,
            @Nullable String provider,
            @Nullable String model,
            @Nullable ExecutionType type,
            @Nullable ExecutionStatus status,
            @Nullable Instant from,
            @Nullable Instant to,
            int limit,
            @Nullable String cursor) {
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

        this.conversationId = conversationId;
        this.agent = agent;
        this.provider = provider;
        this.model = model;
        this.type = type;
        this.status = status;
        this.from = from;
        this.to = to;
        this.limit = limit;
        this.cursor = cursor;
    }

    public @Nullable UUID conversationId() {
        return conversationId;
    }

    public @Nullable String agent() {
        return agent;
    }

    public @Nullable String provider() {
        return provider;
    }

    public @Nullable String model() {
        return model;
    }

    public @Nullable ExecutionType type() {
        return type;
    }

    public @Nullable ExecutionStatus status() {
        return status;
    }

    public @Nullable Instant from() {
        return from;
    }

    public @Nullable Instant to() {
        return to;
    }

    public int limit() {
        return limit;
    }

    public @Nullable String cursor() {
        return cursor;
    }

    /** Every execution, 50 per page. */
    public static ExecutionQuery all() {
        return new ExecutionQuery(null, null, null, null, null, null, null, null, 50, null);
    }

    public ExecutionQuery conversation(@Nullable UUID id) {
        return new ExecutionQuery(id, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery agent(@Nullable String agent) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery provider(@Nullable String provider) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery model(@Nullable String model) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery type(@Nullable ExecutionType type) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery status(@Nullable ExecutionStatus status) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    /** Created at or after {@code from} and before {@code to}; either may be {@code null}. */
    public ExecutionQuery between(@Nullable Instant from, @Nullable Instant to) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    public ExecutionQuery limit(int limit) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    /** Continue after a previous page's {@link dev.atlas.Page#nextCursor()}. */
    public ExecutionQuery after(@Nullable String cursor) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ExecutionQuery that)) {
            return false;
        }
        return true
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(agent, that.agent)
            && Objects.equals(provider, that.provider)
            && Objects.equals(model, that.model)
            && Objects.equals(type, that.type)
            && Objects.equals(status, that.status)
            && Objects.equals(from, that.from)
            && Objects.equals(to, that.to)
            && limit == that.limit
            && Objects.equals(cursor, that.cursor);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conversationId, agent, provider, model, type, status, from, to, limit, cursor);
    }

    @Override
    public String toString() {
        return "ExecutionQuery[conversationId=" + conversationId + ", agent=" + agent + ", provider=" + provider + ", model=" + model + ", type=" + type + ", status=" + status + ", from=" + from + ", to=" + to + ", limit=" + limit + ", cursor=" + cursor + "]";
    }
}
