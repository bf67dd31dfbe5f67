package dev.atlas.conversation;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored conversation. Timestamps are UTC instants at microsecond precision.
 */
public final class Conversation {
    private final UUID id;
    private final String tenantId;
    private final Owner owner;
    private final @Nullable String agent;
    private final @Nullable UUID assistantId;
    private final ConversationType type;
    private final @Nullable UUID parentConversationId;
    private final @Nullable UUID parentToolCallId;
    private final @Nullable String title;
    private final @Nullable String summary;
    private final ConversationStatus status;
    private final Map<String, Object> metadata;
    private final long lastSequence;
    private final @Nullable Instant lastMessageAt;
    private final @Nullable Instant archivedAt;
    private final @Nullable Instant closedAt;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Instant deletedAt;
    private final @Nullable UUID assistantRevisionId;
    private final @Nullable String externalKey;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param lastSequence the sequence of the newest message (0 when empty)
     * @param lastMessageAt when the newest message was appended, or {@code null}
     * @param archivedAt when it was last archived, or {@code null}
     * @param closedAt when it was closed, or {@code null}
     * @param deletedAt when it was soft-deleted, or {@code null}
     * @param assistantRevisionId the assistant revision it runs with, or {@code null}
     * @param externalKey the id it is known by outside Atlas (see {@link ConversationStore#ensure}), or {@code null}
     */
    public Conversation(
            UUID id,
            String tenantId,
            Owner owner,
            @Nullable String agent,
            @Nullable UUID assistantId,
            ConversationType type,
            @Nullable UUID parentConversationId,
            @Nullable UUID parentToolCallId,
            @Nullable String title,
            @Nullable String summary,
            ConversationStatus status,
            Map<String, Object> metadata,
            long lastSequence,
            @Nullable Instant lastMessageAt,
            @Nullable Instant archivedAt,
            @Nullable Instant closedAt,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt,
            @Nullable UUID assistantRevisionId,
            @Nullable String externalKey) {
        this.id = id;
        this.tenantId = tenantId;
        this.owner = owner;
        this.agent = agent;
        this.assistantId = assistantId;
        this.type = type;
        this.parentConversationId = parentConversationId;
        this.parentToolCallId = parentToolCallId;
        this.title = title;
        this.summary = summary;
        this.status = status;
        this.metadata = metadata;
        this.lastSequence = lastSequence;
        this.lastMessageAt = lastMessageAt;
        this.archivedAt = archivedAt;
        this.closedAt = closedAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
        this.assistantRevisionId = assistantRevisionId;
        this.externalKey = externalKey;
    }

    public UUID id() {
        return id;
    }

    public String tenantId() {
        return tenantId;
    }

    public Owner owner() {
        return owner;
    }

    public @Nullable String agent() {
        return agent;
    }

    public @Nullable UUID assistantId() {
        return assistantId;
    }

    public ConversationType type() {
        return type;
    }

    public @Nullable UUID parentConversationId() {
        return parentConversationId;
    }

    public @Nullable UUID parentToolCallId() {
        return parentToolCallId;
    }

    public @Nullable String title() {
        return title;
    }

    public @Nullable String summary() {
        return summary;
    }

    public ConversationStatus status() {
        return status;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The sequence of the newest message (0 when empty). */
    public long lastSequence() {
        return lastSequence;
    }

    /** When the newest message was appended, or {@code null}. */
    public @Nullable Instant lastMessageAt() {
        return lastMessageAt;
    }

    /** When it was last archived, or {@code null}. */
    public @Nullable Instant archivedAt() {
        return archivedAt;
    }

    /** When it was closed, or {@code null}. */
    public @Nullable Instant closedAt() {
        return closedAt;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    /** When it was soft-deleted, or {@code null}. */
    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    /** The assistant revision it runs with, or {@code null}. */
    public @Nullable UUID assistantRevisionId() {
        return assistantRevisionId;
    }

    /** The id it is known by outside Atlas (see {@link ConversationStore#ensure}), or {@code null}. */
    public @Nullable String externalKey() {
        return externalKey;
    }

    public Optional<String> titleIfSet() {
        return Optional.ofNullable(title);
    }

    public boolean isDeleted() {
        return deletedAt != null;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Conversation that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(assistantId, that.assistantId)
            && Objects.equals(type, that.type)
            && Objects.equals(parentConversationId, that.parentConversationId)
            && Objects.equals(parentToolCallId, that.parentToolCallId)
            && Objects.equals(title, that.title)
            && Objects.equals(summary, that.summary)
            && Objects.equals(status, that.status)
            && Objects.equals(metadata, that.metadata)
            && lastSequence == that.lastSequence
            && Objects.equals(lastMessageAt, that.lastMessageAt)
            && Objects.equals(archivedAt, that.archivedAt)
            && Objects.equals(closedAt, that.closedAt)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(deletedAt, that.deletedAt)
            && Objects.equals(assistantRevisionId, that.assistantRevisionId)
            && Objects.equals(externalKey, that.externalKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, summary, status, metadata, lastSequence, lastMessageAt, archivedAt, closedAt, createdAt, updatedAt, deletedAt, assistantRevisionId, externalKey);
    }

    @Override
    public String toString() {
        return "Conversation[id=" + id + ", tenantId=" + tenantId + ", owner=" + owner + ", agent=" + agent + ", assistantId=" + assistantId + ", type=" + type + ", parentConversationId=" + parentConversationId + ", parentToolCallId=" + parentToolCallId + ", title=" + title + ", summary=" + summary + ", status=" + status + ", metadata=" + metadata + ", lastSequence=" + lastSequence + ", lastMessageAt=" + lastMessageAt + ", archivedAt=" + archivedAt + ", closedAt=" + closedAt + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", deletedAt=" + deletedAt + ", assistantRevisionId=" + assistantRevisionId + ", externalKey=" + externalKey + "]";
    }
}
