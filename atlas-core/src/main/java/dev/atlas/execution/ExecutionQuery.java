package dev.atlas.execution;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Filters for {@link ExecutionRecorder#list(ExecutionQuery)}; every filter is optional. Results
 * are newest first; {@code from} is inclusive and {@code to} exclusive, on the creation time
 * ({@code to} = {@link dev.atlas.Limits#MAX_INSTANT}, the latest accepted, includes itself).
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
    private final @Nullable Owner owner;
    private final @Nullable String project;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param conversationId the conversation's id, or {@code null}
     * @param agent the agent key, or {@code null}
     * @param provider the provider key, or {@code null}
     * @param model the model key, or {@code null}
     * @param type the type, or {@code null}
     * @param status the status, or {@code null}
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first
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
        this(conversationId, agent, provider, model, type, status, from, to, limit, cursor, null, null);
    }

    /**
     * Creates the value with the owner and project filters; every argument is as its accessor returns it.
     *
     * @param conversationId the conversation's id, or {@code null}
     * @param agent the agent key, or {@code null}
     * @param provider the provider key, or {@code null}
     * @param model the model key, or {@code null}
     * @param type the type, or {@code null}
     * @param status the status, or {@code null}
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first
     * @param owner only executions whose own owner ({@link ExecutionSpec#owner}) is this one, or {@code null}
     * @param project only executions billed to this project, or {@code null}
     */
    public ExecutionQuery(@Nullable UUID conversationId, @Nullable String agent, @Nullable String provider, @Nullable String model,
                          @Nullable ExecutionType type, @Nullable ExecutionStatus status, @Nullable Instant from,
                          @Nullable Instant to, int limit, @Nullable String cursor, @Nullable Owner owner,
                          @Nullable String project) {
        Check.optionalKey("project", project);
        this.owner = owner;
        this.project = project;
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

    /**
     * The conversation's id.
     *
     * @return the conversation's id, or {@code null}
     */
    public @Nullable UUID conversationId() {
        return conversationId;
    }

    /**
     * The agent key, or {@code null}.
     *
     * @return the agent key, or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The provider key, or {@code null}.
     *
     * @return the provider key, or {@code null}
     */
    public @Nullable String provider() {
        return provider;
    }

    /**
     * The model key, or {@code null}.
     *
     * @return the model key, or {@code null}
     */
    public @Nullable String model() {
        return model;
    }

    /**
     * Only executions of this type, or {@code null} for any.
     *
     * @return the type, or {@code null}
     */
    public @Nullable ExecutionType type() {
        return type;
    }

    /**
     * Only executions in this status, or {@code null} for any.
     *
     * @return the status, or {@code null}
     */
    public @Nullable ExecutionStatus status() {
        return status;
    }

    /**
     * Inclusive lower bound of the creation time, or {@code null}.
     *
     * @return inclusive lower bound of the creation time, or {@code null}
     */
    public @Nullable Instant from() {
        return from;
    }

    /**
     * Exclusive upper bound of the creation time, or {@code null}.
     *
     * @return exclusive upper bound of the creation time, or {@code null}
     */
    public @Nullable Instant to() {
        return to;
    }

    /**
     * At most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}.
     *
     * @return at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}, or {@code null}
     */
    public int limit() {
        return limit;
    }

    /**
     * {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first.
     *
     * @return {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first
     */
    public @Nullable String cursor() {
        return cursor;
    }

    /**
     * Every execution, 50 per page.
     *
     * @return the new value
     */
    public static ExecutionQuery all() {
        return new ExecutionQuery(null, null, null, null, null, null, null, null, 50, null);
    }

    /**
     * Only executions of this conversation, or {@code null} for any.
     *
     * @param id the conversation's id, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery conversation(@Nullable UUID id) {
        return new ExecutionQuery(id, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery agent(@Nullable String agent) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code provider} replaced.
     *
     * @param provider the provider key, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery provider(@Nullable String provider) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code model} replaced.
     *
     * @param model the model key, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery model(@Nullable String model) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code type} replaced.
     *
     * @param type the type, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery type(@Nullable ExecutionType type) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code status} replaced.
     *
     * @param status the status, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery status(@Nullable ExecutionStatus status) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Created at or after {@code from} and before {@code to}; either may be {@code null}.
     *
     * @param from inclusive lower bound of the creation time, or {@code null}
     * @param to exclusive upper bound of the creation time, or {@code null}
     * @return a copy with this change
     */
    public ExecutionQuery between(@Nullable Instant from, @Nullable Instant to) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return a copy with this change
     */
    public ExecutionQuery limit(int limit) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Continue after a previous page's {@link dev.atlas.Page#nextCursor()}.
     *
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page, or {@code null} for the first
     * @return a copy with this change
     */
    public ExecutionQuery after(@Nullable String cursor) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Only executions whose own owner ({@link ExecutionSpec#owner}) is this one, or {@code null} for
     * any; see {@link #owner(Owner)}.
     *
     * @return the owner, or {@code null}
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * Only executions billed to this project ({@link ExecutionSpec#project}), or {@code null} for any.
     *
     * @return the project key, or {@code null}
     */
    public @Nullable String project() {
        return project;
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * Unlike {@link UsageGroup#OWNER}, which counts an execution without an owner of its own under
     * its conversation's owner, this filter matches the execution's own owner only: an execution
     * made in a user's conversation without {@link ExecutionSpec#owner} is not listed for that user
     * (list those with {@link #conversation(UUID)}).
     *
     * @param owner only executions whose own owner ({@link ExecutionSpec#owner}) is this one, or {@code null} for any
     * @return a copy with this change
     */
    public ExecutionQuery owner(@Nullable Owner owner) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    /**
     * Returns a copy with {@code project} replaced.
     *
     * @param project only executions billed to this project, or {@code null} for any
     * @return a copy with this change
     */
    public ExecutionQuery project(@Nullable String project) {
        return new ExecutionQuery(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
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
            && Objects.equals(cursor, that.cursor)
            && Objects.equals(owner, that.owner)
            && Objects.equals(project, that.project);
    }

    @Override
    public int hashCode() {
        return Objects.hash(conversationId, agent, provider, model, type, status, from, to, limit, cursor, owner, project);
    }

    @Override
    public String toString() {
        return "ExecutionQuery[conversationId=" + conversationId + ", agent=" + agent + ", provider=" + provider + ", model=" + model + ", type=" + type + ", status=" + status + ", from=" + from + ", to=" + to + ", limit=" + limit + ", cursor=" + cursor + ", owner=" + owner + ", project=" + project + "]";
    }
}
