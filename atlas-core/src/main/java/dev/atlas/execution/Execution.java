package dev.atlas.execution;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One stored call to an AI provider.
 */
public final class Execution {
    private final UUID id;
    private final String tenantId;
    private final @Nullable UUID conversationId;
    private final @Nullable UUID assistantRevisionId;
    private final ExecutionType type;
    private final String provider;
    private final String model;
    private final @Nullable String agent;
    private final ExecutionStatus status;
    private final Usage usage;
    private final @Nullable BigDecimal cost;
    private final @Nullable String error;
    private final Map<String, Object> metadata;
    private final @Nullable String providerResponseId;
    private final @Nullable Instant startedAt;
    private final @Nullable Instant completedAt;
    private final @Nullable Long durationMs;
    private final @Nullable Long firstTokenMs;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Owner owner;
    private final @Nullable String project;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param conversationId the conversation id
     * @param assistantRevisionId the assistant revision id
     * @param type the type
     * @param provider the provider
     * @param model the model
     * @param agent the agent
     * @param status the status
     * @param usage token counts; {@link Usage#NONE} when none were reported
     * @param cost exact cost from the price valid at {@code createdAt}, or {@code null} while unfinished or when no price is known; compare with {@code compareTo}
     * @param error why it failed, or {@code null}
     * @param metadata the metadata
     * @param providerResponseId the provider response id
     * @param startedAt the started at
     * @param completedAt the completed at
     * @param durationMs from start to completion, or {@code null} while unfinished
     * @param firstTokenMs for streams: from start to the first token, or {@code null}
     * @param createdAt the created at
     * @param updatedAt the updated at
     */
    public Execution(
            UUID id,
            String tenantId,
            @Nullable UUID conversationId,
            @Nullable UUID assistantRevisionId,
            ExecutionType type,
            String provider,
            String model,
            @Nullable String agent,
            ExecutionStatus status,
            Usage usage,
            @Nullable BigDecimal cost,
            @Nullable String error,
            Map<String, Object> metadata,
            @Nullable String providerResponseId,
            @Nullable Instant startedAt,
            @Nullable Instant completedAt,
            @Nullable Long durationMs,
            @Nullable Long firstTokenMs,
            Instant createdAt,
            Instant updatedAt) {
        this(id, tenantId, conversationId, assistantRevisionId, type, provider, model, agent, status, usage, cost, error, metadata,
                providerResponseId, startedAt, completedAt, durationMs, firstTokenMs, createdAt, updatedAt, null, null);
    }

    /**
     * Creates the value with the owner and project it is attributed to; every argument is as its
     * accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param conversationId the conversation id
     * @param assistantRevisionId the assistant revision id
     * @param type the type
     * @param provider the provider
     * @param model the model
     * @param agent the agent
     * @param status the status
     * @param usage token counts; {@link Usage#NONE} when none were reported
     * @param cost exact cost, or {@code null}
     * @param error why it failed, or {@code null}
     * @param metadata the metadata
     * @param providerResponseId the provider response id
     * @param startedAt the started at
     * @param completedAt the completed at
     * @param durationMs from start to completion, or {@code null} while unfinished
     * @param firstTokenMs for streams: from start to the first token, or {@code null}
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param owner who the call was made for, or {@code null}
     * @param project the project the call is billed to, or {@code null}
     */
    public Execution(UUID id, String tenantId, @Nullable UUID conversationId, @Nullable UUID assistantRevisionId, ExecutionType type,
                     String provider, String model, @Nullable String agent, ExecutionStatus status, Usage usage,
                     @Nullable BigDecimal cost, @Nullable String error, Map<String, Object> metadata,
                     @Nullable String providerResponseId, @Nullable Instant startedAt, @Nullable Instant completedAt,
                     @Nullable Long durationMs, @Nullable Long firstTokenMs, Instant createdAt, Instant updatedAt,
                     @Nullable Owner owner, @Nullable String project) {
        this.owner = owner;
        this.project = project;
        this.id = id;
        this.tenantId = tenantId;
        this.conversationId = conversationId;
        this.assistantRevisionId = assistantRevisionId;
        this.type = type;
        this.provider = provider;
        this.model = model;
        this.agent = agent;
        this.status = status;
        this.usage = usage;
        this.cost = cost;
        this.error = error;
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
        this.providerResponseId = providerResponseId;
        this.startedAt = startedAt;
        this.completedAt = completedAt;
        this.durationMs = durationMs;
        this.firstTokenMs = firstTokenMs;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    /**
     * The id.
     *
     * @return the id
     */
    public UUID id() {
        return id;
    }

    /**
     * The tenant id.
     *
     * @return the tenant id
     */
    public String tenantId() {
        return tenantId;
    }

    /**
     * The conversation id.
     *
     * @return the conversation id
     */
    public @Nullable UUID conversationId() {
        return conversationId;
    }

    /**
     * The assistant revision id.
     *
     * @return the assistant revision id
     */
    public @Nullable UUID assistantRevisionId() {
        return assistantRevisionId;
    }

    /**
     * The type.
     *
     * @return the type
     */
    public ExecutionType type() {
        return type;
    }

    /**
     * The provider.
     *
     * @return the provider
     */
    public String provider() {
        return provider;
    }

    /**
     * The model.
     *
     * @return the model
     */
    public String model() {
        return model;
    }

    /**
     * The agent.
     *
     * @return the agent
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The status.
     *
     * @return the status
     */
    public ExecutionStatus status() {
        return status;
    }

    /**
     * Token counts; {@link Usage#NONE} when none were reported.
     *
     * @return token counts; {@link Usage#NONE} when none were reported
     */
    public Usage usage() {
        return usage;
    }

    /**
     * Exact cost from the price valid at {@code createdAt}, or {@code null} while unfinished or when no price is known; compare with {@code compareTo}.
     *
     * @return exact cost from the price valid at {@code createdAt}, or {@code null} while unfinished or when no price is known; compare with {@code compareTo}
     */
    public @Nullable BigDecimal cost() {
        return cost;
    }

    /**
     * Why it failed, or {@code null}.
     *
     * @return why it failed, or {@code null}
     */
    public @Nullable String error() {
        return error;
    }

    /**
     * The metadata.
     *
     * @return the metadata
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * The provider response id.
     *
     * @return the provider response id
     */
    public @Nullable String providerResponseId() {
        return providerResponseId;
    }

    /**
     * The started at.
     *
     * @return the started at
     */
    public @Nullable Instant startedAt() {
        return startedAt;
    }

    /**
     * When the execution ended (completed, failed or cancelled): never before its start or creation,
     * nor before its last write, its steps' and tool calls' included, whichever Atlas instance's
     * clock stamped them.
     *
     * @return the end, or {@code null} while it has not ended
     */
    public @Nullable Instant completedAt() {
        return completedAt;
    }

    /**
     * From start to completion, or {@code null} while unfinished.
     *
     * @return from start to completion, or {@code null} while unfinished
     */
    public @Nullable Long durationMs() {
        return durationMs;
    }

    /**
     * For streams: from start to the first token, or {@code null}.
     *
     * @return for streams: from start to the first token, or {@code null}
     */
    public @Nullable Long firstTokenMs() {
        return firstTokenMs;
    }

    /**
     * The created at.
     *
     * @return the created at
     */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * The updated at.
     *
     * @return the updated at
     */
    public Instant updatedAt() {
        return updatedAt;
    }

    /**
     * Who the call was made for ({@link ExecutionSpec#owner}), or {@code null}: usage by owner
     * counts the call here, else under its conversation's owner.
     *
     * @return the owner, or {@code null}
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The project the call is billed to ({@link ExecutionSpec#project}), or {@code null}.
     *
     * @return the project key, or {@code null}
     */
    public @Nullable String project() {
        return project;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Execution that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(assistantRevisionId, that.assistantRevisionId)
            && Objects.equals(type, that.type)
            && Objects.equals(provider, that.provider)
            && Objects.equals(model, that.model)
            && Objects.equals(agent, that.agent)
            && Objects.equals(status, that.status)
            && Objects.equals(usage, that.usage)
            && Objects.equals(cost, that.cost)
            && Objects.equals(error, that.error)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(providerResponseId, that.providerResponseId)
            && Objects.equals(startedAt, that.startedAt)
            && Objects.equals(completedAt, that.completedAt)
            && Objects.equals(durationMs, that.durationMs)
            && Objects.equals(firstTokenMs, that.firstTokenMs)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(owner, that.owner)
            && Objects.equals(project, that.project);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, conversationId, assistantRevisionId, type, provider, model, agent, status, usage, cost, error, metadata, providerResponseId, startedAt, completedAt, durationMs, firstTokenMs, createdAt, updatedAt, owner, project);
    }

    @Override
    public String toString() {
        return "Execution[id=" + id + ", tenantId=" + tenantId + ", conversationId=" + conversationId + ", assistantRevisionId=" + assistantRevisionId + ", type=" + type + ", provider=" + provider + ", model=" + model + ", agent=" + agent + ", status=" + status + ", usage=" + usage + ", cost=" + cost + ", error=" + error + ", metadata=" + metadata + ", providerResponseId=" + providerResponseId + ", startedAt=" + startedAt + ", completedAt=" + completedAt + ", durationMs=" + durationMs + ", firstTokenMs=" + firstTokenMs + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", owner=" + owner + ", project=" + project + "]";
    }
}
