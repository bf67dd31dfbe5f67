package dev.atlas.task;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored task.
 */
public final class Task {
    private final UUID id;
    private final String tenantId;
    private final String kind;
    private final Map<String, Object> payload;
    private final @Nullable UUID conversationId;
    private final @Nullable UUID messageId;
    private final @Nullable Owner owner;
    private final TaskStatus status;
    private final int attempts;
    private final int maxAttempts;
    private final Map<String, Object> result;
    private final @Nullable String error;
    private final Instant runAfter;
    private final @Nullable UUID claimId;
    private final @Nullable Instant leaseExpiresAt;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Instant startedAt;
    private final @Nullable Instant finishedAt;
    private final @Nullable String clientKey;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param kind the kind
     * @param payload the payload
     * @param conversationId the conversation id
     * @param messageId the message id
     * @param owner the owner
     * @param status the status
     * @param attempts how many times it was claimed
     * @param maxAttempts the max attempts
     * @param result what {@link TaskStore#complete} stored (empty until then)
     * @param error the latest failure message, or {@code null}
     * @param runAfter earliest time a pending task may be claimed
     * @param claimId the current lease holder's claim, or {@code null} unless running
     * @param leaseExpiresAt when the current lease ends on the database's clock, or {@code null} unless running
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param startedAt when it was first claimed, or {@code null}
     * @param finishedAt when it became completed, failed or cancelled, or {@code null}
     */
    public Task(
            UUID id,
            String tenantId,
            String kind,
            Map<String, Object> payload,
            @Nullable UUID conversationId,
            @Nullable UUID messageId,
            @Nullable Owner owner,
            TaskStatus status,
            int attempts,
            int maxAttempts,
            Map<String, Object> result,
            @Nullable String error,
            Instant runAfter,
            @Nullable UUID claimId,
            @Nullable Instant leaseExpiresAt,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant startedAt,
            @Nullable Instant finishedAt) {
        this(id, tenantId, kind, payload, conversationId, messageId, owner, status, attempts, maxAttempts, result, error, runAfter, claimId,
                leaseExpiresAt, createdAt, updatedAt, startedAt, finishedAt, null);
    }

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param kind the kind
     * @param payload the payload
     * @param conversationId the conversation id
     * @param messageId the message id
     * @param owner the owner
     * @param status the status
     * @param attempts how many times it was claimed
     * @param maxAttempts the max attempts
     * @param result what {@link TaskStore#complete} stored (empty until then)
     * @param error the latest failure message, or {@code null}
     * @param runAfter earliest time a pending task may be claimed
     * @param claimId the current lease holder's claim, or {@code null} unless running
     * @param leaseExpiresAt when the current lease ends on the database's clock, or {@code null} unless running
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param startedAt when it was first claimed, or {@code null}
     * @param finishedAt when it became completed, failed or cancelled, or {@code null}
     * @param clientKey the application's key it was created with ({@link NewTask#clientKey(String)}), or {@code null}
     */
    public Task(
            UUID id,
            String tenantId,
            String kind,
            Map<String, Object> payload,
            @Nullable UUID conversationId,
            @Nullable UUID messageId,
            @Nullable Owner owner,
            TaskStatus status,
            int attempts,
            int maxAttempts,
            Map<String, Object> result,
            @Nullable String error,
            Instant runAfter,
            @Nullable UUID claimId,
            @Nullable Instant leaseExpiresAt,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant startedAt,
            @Nullable Instant finishedAt,
            @Nullable String clientKey) {
        this.id = id;
        this.tenantId = tenantId;
        this.kind = kind;
        this.payload = dev.atlas.internal.Check.frozenJson(payload);
        this.conversationId = conversationId;
        this.messageId = messageId;
        this.owner = owner;
        this.status = status;
        this.attempts = attempts;
        this.maxAttempts = maxAttempts;
        this.result = dev.atlas.internal.Check.frozenJson(result);
        this.error = error;
        this.runAfter = runAfter;
        this.claimId = claimId;
        this.leaseExpiresAt = leaseExpiresAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.startedAt = startedAt;
        this.finishedAt = finishedAt;
        this.clientKey = clientKey;
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
     * The kind.
     *
     * @return the kind
     */
    public String kind() {
        return kind;
    }

    /**
     * The payload.
     *
     * @return the payload
     */
    public Map<String, Object> payload() {
        return payload;
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
     * The message id.
     *
     * @return the message id
     */
    public @Nullable UUID messageId() {
        return messageId;
    }

    /**
     * The owner.
     *
     * @return the owner
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The status.
     *
     * @return the status
     */
    public TaskStatus status() {
        return status;
    }

    /**
     * How many times it was claimed.
     *
     * @return how many times it was claimed
     */
    public int attempts() {
        return attempts;
    }

    /**
     * The max attempts.
     *
     * @return the max attempts
     */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * What {@link TaskStore#complete} stored (empty until then).
     *
     * @return what {@link TaskStore#complete} stored (empty until then)
     */
    public Map<String, Object> result() {
        return result;
    }

    /**
     * The latest failure message, or {@code null}.
     *
     * @return the latest failure message, or {@code null}
     */
    public @Nullable String error() {
        return error;
    }

    /**
     * Earliest time a pending task may be claimed.
     *
     * @return earliest time a pending task may be claimed
     */
    public Instant runAfter() {
        return runAfter;
    }

    /**
     * The current lease holder's claim, or {@code null} unless running.
     *
     * @return the current lease holder's claim, or {@code null} unless running
     */
    public @Nullable UUID claimId() {
        return claimId;
    }

    /**
     * When the current lease ends on the database's clock, or {@code null} unless running.
     *
     * @return when the current lease ends on the database's clock, or {@code null} unless running
     */
    public @Nullable Instant leaseExpiresAt() {
        return leaseExpiresAt;
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
     * When it was first claimed, or {@code null}.
     *
     * @return when it was first claimed, or {@code null}
     */
    public @Nullable Instant startedAt() {
        return startedAt;
    }

    /**
     * When it became completed, failed or cancelled, or {@code null}.
     *
     * @return when it became completed, failed or cancelled, or {@code null}
     */
    public @Nullable Instant finishedAt() {
        return finishedAt;
    }

    /**
     * The application's key it was created with ({@link NewTask#clientKey(String)}), or {@code null}.
     *
     * @return the key, or {@code null}
     */
    public @Nullable String clientKey() {
        return clientKey;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Task that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(kind, that.kind)
            && Objects.equals(payload, that.payload)
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(messageId, that.messageId)
            && Objects.equals(owner, that.owner)
            && Objects.equals(status, that.status)
            && attempts == that.attempts
            && maxAttempts == that.maxAttempts
            && Objects.equals(result, that.result)
            && Objects.equals(error, that.error)
            && Objects.equals(runAfter, that.runAfter)
            && Objects.equals(claimId, that.claimId)
            && Objects.equals(leaseExpiresAt, that.leaseExpiresAt)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(startedAt, that.startedAt)
            && Objects.equals(finishedAt, that.finishedAt)
            && Objects.equals(clientKey, that.clientKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, kind, payload, conversationId, messageId, owner, status, attempts, maxAttempts, result, error, runAfter, claimId, leaseExpiresAt, createdAt, updatedAt, startedAt, finishedAt, clientKey);
    }

    @Override
    public String toString() {
        // The claim id is the lease's token (complete, fail, release): kept out of logs, as a Secret is.
        return "Task[id=" + id + ", tenantId=" + tenantId + ", kind=" + kind + ", payload=" + payload + ", conversationId=" + conversationId + ", messageId=" + messageId + ", owner=" + owner + ", status=" + status + ", attempts=" + attempts + ", maxAttempts=" + maxAttempts + ", result=" + result + ", error=" + error + ", runAfter=" + runAfter + ", claimId=" + (claimId == null ? "null" : "****") + ", leaseExpiresAt=" + leaseExpiresAt + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", startedAt=" + startedAt + ", finishedAt=" + finishedAt + ", clientKey=" + clientKey + "]";
    }
}
