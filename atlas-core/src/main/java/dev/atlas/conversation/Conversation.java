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
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param owner who it belongs to
     * @param agent the agent key, or {@code null}
     * @param assistantId the assistant's id, or {@code null}
     * @param type the type
     * @param parentConversationId the parent conversation id, or {@code null}
     * @param parentToolCallId the parent tool call id, or {@code null}
     * @param title the title, or {@code null}
     * @param summary the summary, or {@code null}
     * @param status the status
     * @param metadata JSON-compatible application data
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
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
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
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
     * Who it belongs to.
     *
     * @return who it belongs to
     */
    public Owner owner() {
        return owner;
    }

    /**
     * The agent key.
     *
     * @return the agent key, or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The assistant's id, or {@code null}.
     *
     * @return the assistant's id, or {@code null}
     */
    public @Nullable UUID assistantId() {
        return assistantId;
    }

    /**
     * Whether it is a user conversation or a tool thread.
     *
     * @return the type, or {@code null}
     */
    public ConversationType type() {
        return type;
    }

    /**
     * The parent conversation id.
     *
     * @return the parent conversation id, or {@code null}
     */
    public @Nullable UUID parentConversationId() {
        return parentConversationId;
    }

    /**
     * The parent tool call id, or {@code null}.
     *
     * @return the parent tool call id, or {@code null}
     */
    public @Nullable UUID parentToolCallId() {
        return parentToolCallId;
    }

    /**
     * The title, or {@code null} until one is set or taken from the first user message.
     *
     * @return the title, or {@code null}
     */
    public @Nullable String title() {
        return title;
    }

    /**
     * The rolling summary (short-term memory), or {@code null}.
     *
     * @return the summary, or {@code null}
     */
    public @Nullable String summary() {
        return summary;
    }

    /**
     * The status.
     *
     * @return the status, or {@code null}
     */
    public ConversationStatus status() {
        return status;
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
     * The sequence of the newest message (0 when empty).
     *
     * @return the sequence of the newest message (0 when empty)
     */
    public long lastSequence() {
        return lastSequence;
    }

    /**
     * When the newest message was appended, or {@code null}. It never moves back: an append by an
     * instance whose clock is behind keeps the later time (the list's activity order does the same).
     *
     * @return when the newest message was appended, or {@code null}
     */
    public @Nullable Instant lastMessageAt() {
        return lastMessageAt;
    }

    /**
     * When it was last archived, or {@code null}.
     *
     * @return when it was last archived, or {@code null}
     */
    public @Nullable Instant archivedAt() {
        return archivedAt;
    }

    /**
     * When it was closed, or {@code null}.
     *
     * @return when it was closed, or {@code null}
     */
    public @Nullable Instant closedAt() {
        return closedAt;
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
     * When it was soft-deleted, or {@code null}.
     *
     * @return when it was soft-deleted, or {@code null}
     */
    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    /**
     * The assistant revision it runs with, or {@code null}.
     *
     * @return the assistant revision it runs with, or {@code null}
     */
    public @Nullable UUID assistantRevisionId() {
        return assistantRevisionId;
    }

    /**
     * The id it is known by outside Atlas (see {@link ConversationStore#ensure}), or {@code null}.
     *
     * @return the id it is known by outside Atlas (see {@link ConversationStore#ensure}), or {@code null}
     */
    public @Nullable String externalKey() {
        return externalKey;
    }

    /**
     * The title, or empty when there is none.
     *
     * @return the title, or empty when it has none
     */
    public Optional<String> titleIfSet() {
        return Optional.ofNullable(title);
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
