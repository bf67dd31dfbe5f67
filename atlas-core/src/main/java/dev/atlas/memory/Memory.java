package dev.atlas.memory;

import dev.atlas.internal.Check;
import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored long-term memory.
 */
public final class Memory {
    private final UUID id;
    private final String tenantId;
    private final Owner owner;
    private final @Nullable String agent;
    private final MemoryKind kind;
    private final String content;
    private final List<String> tags;
    private final Map<String, Object> metadata;
    private final double importance;
    private final @Nullable UUID conversationId;
    private final @Nullable UUID messageId;
    private final @Nullable UUID toolCallId;
    private final @Nullable Instant expiresAt;
    private final int revision;
    private final Instant createdAt;
    private final Instant updatedAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param agent the agent this memory is scoped to, or {@code null} for every agent of the owner
     * @param tags distinct tags in code point order
     * @param importance 0.0 (trivia) to 1.0 (essential)
     * @param conversationId provenance: the conversation it was observed in, or {@code null}
     * @param messageId provenance: the message that produced it, or {@code null}
     * @param toolCallId provenance: the tool call that produced it, or {@code null}
     * @param expiresAt from this instant on the memory is invisible, or {@code null} for never
     * @param revision 1 when created, incremented by each content change
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param owner who it belongs to
     * @param kind the kind
     * @param content the content
     * @param metadata JSON-compatible application data
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     */
    public Memory(
            UUID id,
            String tenantId,
            Owner owner,
            @Nullable String agent,
            MemoryKind kind,
            String content,
            List<String> tags,
            Map<String, Object> metadata,
            double importance,
            @Nullable UUID conversationId,
            @Nullable UUID messageId,
            @Nullable UUID toolCallId,
            @Nullable Instant expiresAt,
            int revision,
            Instant createdAt,
            Instant updatedAt) {
        tags = Check.copy("tags", tags);
        metadata = dev.atlas.internal.Check.frozenJson(metadata);

        this.id = id;
        this.tenantId = tenantId;
        this.owner = owner;
        this.agent = agent;
        this.kind = kind;
        this.content = content;
        this.tags = tags;
        this.metadata = metadata;
        this.importance = importance;
        this.conversationId = conversationId;
        this.messageId = messageId;
        this.toolCallId = toolCallId;
        this.expiresAt = expiresAt;
        this.revision = revision;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
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
     * The agent this memory is scoped to, or {@code null} for every agent of the owner.
     *
     * @return the agent this memory is scoped to, or {@code null} for every agent of the owner
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The kind.
     *
     * @return the kind
     */
    public MemoryKind kind() {
        return kind;
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
     * Distinct tags, exactly as given (case kept), in code point order: {@code "Urgent"} before {@code "apple"}.
     *
     * @return distinct tags in code point order
     */
    public List<String> tags() {
        return tags;
    }

    /**
     * JSON-compatible application data.
     *
     * @return JSON-compatible application data; empty when none was given
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * 0.0 (trivia) to 1.0 (essential).
     *
     * @return 0.0 (trivia) to 1.0 (essential)
     */
    public double importance() {
        return importance;
    }

    /**
     * Provenance: the conversation it was observed in, or {@code null}.
     *
     * @return provenance: the conversation it was observed in, or {@code null}
     */
    public @Nullable UUID conversationId() {
        return conversationId;
    }

    /**
     * Provenance: the message that produced it, or {@code null}.
     *
     * @return provenance: the message that produced it, or {@code null}
     */
    public @Nullable UUID messageId() {
        return messageId;
    }

    /**
     * Provenance: the tool call that produced it, or {@code null}.
     *
     * @return provenance: the tool call that produced it, or {@code null}
     */
    public @Nullable UUID toolCallId() {
        return toolCallId;
    }

    /**
     * After this instant the memory is invisible, or {@code null} for never.
     *
     * @return from this instant on the memory is invisible, or {@code null} for never
     */
    public @Nullable Instant expiresAt() {
        return expiresAt;
    }

    /**
     * 1 when created, incremented by each content change.
     *
     * @return 1 when created, incremented by each content change
     */
    public int revision() {
        return revision;
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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Memory that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(kind, that.kind)
            && Objects.equals(content, that.content)
            && Objects.equals(tags, that.tags)
            && Objects.equals(metadata, that.metadata)
            && Double.compare(importance, that.importance) == 0
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(messageId, that.messageId)
            && Objects.equals(toolCallId, that.toolCallId)
            && Objects.equals(expiresAt, that.expiresAt)
            && revision == that.revision
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, revision, createdAt, updatedAt);
    }

    @Override
    public String toString() {
        return "Memory[id=" + id + ", tenantId=" + tenantId + ", owner=" + owner + ", agent=" + agent + ", kind=" + kind + ", content=" + content + ", tags=" + tags + ", metadata=" + metadata + ", importance=" + importance + ", conversationId=" + conversationId + ", messageId=" + messageId + ", toolCallId=" + toolCallId + ", expiresAt=" + expiresAt + ", revision=" + revision + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + "]";
    }
}
