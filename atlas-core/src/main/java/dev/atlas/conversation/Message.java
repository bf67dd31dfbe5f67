package dev.atlas.conversation;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored message. {@code sequence} is unique within its conversation, starts at 1 and has
 * no gaps. {@code active} is false for retry siblings that were replaced.
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
        this.metadata = metadata;
        this.readAt = readAt;
        this.editedAt = editedAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
    }

    public UUID id() {
        return id;
    }

    public String tenantId() {
        return tenantId;
    }

    public UUID conversationId() {
        return conversationId;
    }

    public long sequence() {
        return sequence;
    }

    public Role role() {
        return role;
    }

    public ContentType contentType() {
        return contentType;
    }

    public String content() {
        return content;
    }

    public MessageStatus status() {
        return status;
    }

    public @Nullable String failureReason() {
        return failureReason;
    }

    public boolean active() {
        return active;
    }

    public @Nullable String clientId() {
        return clientId;
    }

    public @Nullable Owner author() {
        return author;
    }

    public @Nullable String agent() {
        return agent;
    }

    public @Nullable UUID parentId() {
        return parentId;
    }

    public @Nullable UUID executionId() {
        return executionId;
    }

    public @Nullable UUID stepId() {
        return stepId;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public @Nullable Instant readAt() {
        return readAt;
    }

    public @Nullable Instant editedAt() {
        return editedAt;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    public boolean isRead() {
        return readAt != null;
    }

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
