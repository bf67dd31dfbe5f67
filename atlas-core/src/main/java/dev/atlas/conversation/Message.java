package dev.atlas.conversation;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored message. {@code sequence} is unique within its conversation, starts at 1 and has
 * no gaps. {@code active} is false for retry siblings that were replaced and for what answers them (a
 * hidden branch, see {@link ConversationStore}).
 */
public final class Message {
    private final UUID id;
    private final String tenantId;
    private final UUID conversationId;
    private final long sequence;
    private final Role role;
    private final ContentType contentType;
    private final String content;
    private final MessageStatus status;
    private final @Nullable String failureReason;
    private final boolean active;
    private final @Nullable String clientId;
    private final @Nullable Owner author;
    private final @Nullable String agent;
    private final @Nullable UUID parentId;
    private final @Nullable UUID executionId;
    private final @Nullable UUID stepId;
    private final Map<String, Object> metadata;
    private final @Nullable Instant readAt;
    private final @Nullable Instant editedAt;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Instant deletedAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param conversationId the conversation's id
     * @param sequence the sequence
     * @param role who wrote the message
     * @param contentType the content type
     * @param content the content
     * @param status the status
     * @param failureReason why it failed, or {@code null}
     * @param active whether it is active
     * @param clientId the caller's idempotency key, or {@code null}
     * @param author who did it, or {@code null}
     * @param agent the agent key, or {@code null}
     * @param parentId the message this one answers, or {@code null}
     * @param executionId the execution's id, or {@code null}
     * @param stepId the execution step's id, or {@code null}
     * @param metadata JSON-compatible application data
     * @param readAt the read at, or {@code null}
     * @param editedAt the edited at, or {@code null}
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     * @param deletedAt when it was soft-deleted, or {@code null}
     */
    public Message(
            UUID id,
            String tenantId,
            UUID conversationId,
            long sequence,
            Role role,
            ContentType contentType,
            String content,
            MessageStatus status,
            @Nullable String failureReason,
            boolean active,
            @Nullable String clientId,
            @Nullable Owner author,
            @Nullable String agent,
            @Nullable UUID parentId,
            @Nullable UUID executionId,
            @Nullable UUID stepId,
            Map<String, Object> metadata,
            @Nullable Instant readAt,
            @Nullable Instant editedAt,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.conversationId = conversationId;
        this.sequence = sequence;
        this.role = role;
        this.contentType = contentType;
        this.content = content;
        this.status = status;
        this.failureReason = failureReason;
        this.active = active;
        this.clientId = clientId;
        this.author = author;
        this.agent = agent;
        this.parentId = parentId;
        this.executionId = executionId;
        this.stepId = stepId;
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
        this.readAt = readAt;
        this.editedAt = editedAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
    }

    /**
     * The id Atlas assigned.
     *
     * @return the id Atlas assigned
     */
    public UUID id() {
        return id;
    }

    /**
     * The tenant it belongs to.
     *
     * @return the tenant it belongs to
     */
    public String tenantId() {
        return tenantId;
    }

    /**
     * The conversation's id.
     *
     * @return the conversation's id
     */
    public UUID conversationId() {
        return conversationId;
    }

    /**
     * The sequence.
     *
     * @return the sequence
     */
    public long sequence() {
        return sequence;
    }

    /**
     * Who wrote the message.
     *
     * @return who wrote the message
     */
    public Role role() {
        return role;
    }

    /**
     * The content type.
     *
     * @return the content type
     */
    public ContentType contentType() {
        return contentType;
    }

    /**
     * The content.
     *
     * @return the content
     */
    public String content() {
        return content;
    }

    /**
     * The status.
     *
     * @return the status
     */
    public MessageStatus status() {
        return status;
    }

    /**
     * Why it failed.
     *
     * @return why it failed, or {@code null}
     */
    public @Nullable String failureReason() {
        return failureReason;
    }

    /**
     * Whether it is active.
     *
     * @return whether it is active, or {@code null}
     */
    public boolean active() {
        return active;
    }

    /**
     * The caller's idempotency key.
     *
     * @return the caller's idempotency key, or {@code null}
     */
    public @Nullable String clientId() {
        return clientId;
    }

    /**
     * Who did it, or {@code null}.
     *
     * @return who did it, or {@code null}
     */
    public @Nullable Owner author() {
        return author;
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
     * The message this one answers, or {@code null}.
     *
     * @return the message this one answers, or {@code null}
     */
    public @Nullable UUID parentId() {
        return parentId;
    }

    /**
     * The execution's id, or {@code null}.
     *
     * @return the execution's id, or {@code null}
     */
    public @Nullable UUID executionId() {
        return executionId;
    }

    /**
     * The execution step's id, or {@code null}.
     *
     * @return the execution step's id, or {@code null}
     */
    public @Nullable UUID stepId() {
        return stepId;
    }

    /**
     * JSON-compatible application data.
     *
     * @return JSON-compatible application data, or {@code null}
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * The read at.
     *
     * @return the read at, or {@code null}
     */
    public @Nullable Instant readAt() {
        return readAt;
    }

    /**
     * The edited at, or {@code null}.
     *
     * @return the edited at, or {@code null}
     */
    public @Nullable Instant editedAt() {
        return editedAt;
    }

    /**
     * When it was created.
     *
     * @return when it was created, or {@code null}
     */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * When it was last changed.
     *
     * @return when it was last changed, or {@code null}
     */
    public Instant updatedAt() {
        return updatedAt;
    }

    /**
     * When it was soft-deleted.
     *
     * @return when it was soft-deleted, or {@code null}
     */
    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    /**
     * Whether it was read.
     *
     * @return whether it was read
     */
    public boolean isRead() {
        return readAt != null;
    }

    /**
     * Whether it was soft-deleted.
     *
     * @return whether it was soft-deleted
     */
    public boolean isDeleted() {
        return deletedAt != null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Message that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(conversationId, that.conversationId)
            && sequence == that.sequence
            && Objects.equals(role, that.role)
            && Objects.equals(contentType, that.contentType)
            && Objects.equals(content, that.content)
            && Objects.equals(status, that.status)
            && Objects.equals(failureReason, that.failureReason)
            && active == that.active
            && Objects.equals(clientId, that.clientId)
            && Objects.equals(author, that.author)
            && Objects.equals(agent, that.agent)
            && Objects.equals(parentId, that.parentId)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(stepId, that.stepId)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(readAt, that.readAt)
            && Objects.equals(editedAt, that.editedAt)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(deletedAt, that.deletedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, conversationId, sequence, role, contentType, content, status, failureReason, active, clientId, author, agent, parentId, executionId, stepId, metadata, readAt, editedAt, createdAt, updatedAt, deletedAt);
    }

    @Override
    public String toString() {
        return "Message[id=" + id + ", tenantId=" + tenantId + ", conversationId=" + conversationId + ", sequence=" + sequence + ", role=" + role + ", contentType=" + contentType + ", content=" + content + ", status=" + status + ", failureReason=" + failureReason + ", active=" + active + ", clientId=" + clientId + ", author=" + author + ", agent=" + agent + ", parentId=" + parentId + ", executionId=" + executionId + ", stepId=" + stepId + ", metadata=" + metadata + ", readAt=" + readAt + ", editedAt=" + editedAt + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", deletedAt=" + deletedAt + "]";
    }
}
