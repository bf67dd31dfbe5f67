package dev.atlas.assistant;

import dev.atlas.internal.Check;
import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A stored assistant: its definition plus a pointer to the current {@link AssistantRevision}.
 */
public final class Assistant {
    private final UUID id;
    private final String tenantId;
    private final String slug;
    private final String name;
    private final @Nullable String description;
    private final boolean active;
    private final boolean isPublic;
    private final @Nullable Owner owner;
    private final @Nullable String defaultModel;
    private final @Nullable BigDecimal temperature;
    private final @Nullable BigDecimal topP;
    private final @Nullable Integer maxOutputTokens;
    private final List<String> tools;
    private final Map<String, Object> metadata;
    private final @Nullable UUID currentRevisionId;
    private final int currentRevisionNumber;
    private final int lastRevisionNumber;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Instant deletedAt;
    private final int version;

    /**
     * Creates the value at definition {@link #version()} 1.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param slug the slug
     * @param name the name
     * @param description the description
     * @param active the active
     * @param isPublic the is public
     * @param owner who owns it, or {@code null}
     * @param defaultModel the default model
     * @param temperature at scale 2, or {@code null}
     * @param topP at scale 2, or {@code null}
     * @param maxOutputTokens the max output tokens
     * @param tools the tools
     * @param metadata the metadata
     * @param currentRevisionId the revision in use, or {@code null} before the first publish
     * @param currentRevisionNumber number of the revision in use, 0 before the first publish
     * @param lastRevisionNumber highest revision number allocated so far
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param deletedAt when it was soft-deleted, or {@code null}
     */
    public Assistant(
            UUID id,
            String tenantId,
            String slug,
            String name,
            @Nullable String description,
            boolean active,
            boolean isPublic,
            @Nullable Owner owner,
            @Nullable String defaultModel,
            @Nullable BigDecimal temperature,
            @Nullable BigDecimal topP,
            @Nullable Integer maxOutputTokens,
            List<String> tools,
            Map<String, Object> metadata,
            @Nullable UUID currentRevisionId,
            int currentRevisionNumber,
            int lastRevisionNumber,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt) {
        this(id, tenantId, slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools,
                metadata, currentRevisionId, currentRevisionNumber, lastRevisionNumber, createdAt, updatedAt, deletedAt, 1);
    }

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param slug the slug
     * @param name the name
     * @param description the description
     * @param active the active
     * @param isPublic the is public
     * @param owner who owns it, or {@code null}
     * @param defaultModel the default model
     * @param temperature at scale 2, or {@code null}
     * @param topP at scale 2, or {@code null}
     * @param maxOutputTokens the max output tokens
     * @param tools the tools
     * @param metadata the metadata
     * @param currentRevisionId the revision in use, or {@code null} before the first publish
     * @param currentRevisionNumber number of the revision in use, 0 before the first publish
     * @param lastRevisionNumber highest revision number allocated so far
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param deletedAt when it was soft-deleted, or {@code null}
     * @param version the definition's version, see {@link #version()}
     */
    public Assistant(
            UUID id,
            String tenantId,
            String slug,
            String name,
            @Nullable String description,
            boolean active,
            boolean isPublic,
            @Nullable Owner owner,
            @Nullable String defaultModel,
            @Nullable BigDecimal temperature,
            @Nullable BigDecimal topP,
            @Nullable Integer maxOutputTokens,
            List<String> tools,
            Map<String, Object> metadata,
            @Nullable UUID currentRevisionId,
            int currentRevisionNumber,
            int lastRevisionNumber,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt,
            int version) {
        tools = Check.copy("tools", tools);

        this.id = id;
        this.tenantId = tenantId;
        this.slug = slug;
        this.name = name;
        this.description = description;
        this.active = active;
        this.isPublic = isPublic;
        this.owner = owner;
        this.defaultModel = defaultModel;
        this.temperature = temperature;
        this.topP = topP;
        this.maxOutputTokens = maxOutputTokens;
        this.tools = tools;
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
        this.currentRevisionId = currentRevisionId;
        this.currentRevisionNumber = currentRevisionNumber;
        this.lastRevisionNumber = lastRevisionNumber;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
        this.version = version;
    }

    /**
     * The definition's version: 1 when created, one more per {@link AssistantStore#update}; publishing
     * or rolling back a revision leaves it. Pass it to {@link AssistantStore#update(java.util.UUID, AssistantSpec, int)}
     * to update only the definition that was read.
     *
     * @return the version, 1 or more
     */
    public int version() {
        return version;
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
     * The slug.
     *
     * @return the slug
     */
    public String slug() {
        return slug;
    }

    /**
     * The name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The description.
     *
     * @return the description
     */
    public @Nullable String description() {
        return description;
    }

    /**
     * The active.
     *
     * @return the active
     */
    public boolean active() {
        return active;
    }

    /**
     * The is public.
     *
     * @return the is public
     */
    public boolean isPublic() {
        return isPublic;
    }

    /**
     * Who owns it, or {@code null}.
     *
     * @return who owns it, or {@code null}
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The default model.
     *
     * @return the default model
     */
    public @Nullable String defaultModel() {
        return defaultModel;
    }

    /**
     * At scale 2, or {@code null}.
     *
     * @return at scale 2, or {@code null}
     */
    public @Nullable BigDecimal temperature() {
        return temperature;
    }

    /**
     * At scale 2, or {@code null}.
     *
     * @return at scale 2, or {@code null}
     */
    public @Nullable BigDecimal topP() {
        return topP;
    }

    /**
     * The max output tokens.
     *
     * @return the max output tokens
     */
    public @Nullable Integer maxOutputTokens() {
        return maxOutputTokens;
    }

    /**
     * The tools.
     *
     * @return the tools
     */
    public List<String> tools() {
        return tools;
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
     * The revision in use, or {@code null} before the first publish.
     *
     * @return the revision in use, or {@code null} before the first publish
     */
    public @Nullable UUID currentRevisionId() {
        return currentRevisionId;
    }

    /**
     * Number of the revision in use, 0 before the first publish.
     *
     * @return number of the revision in use, 0 before the first publish
     */
    public int currentRevisionNumber() {
        return currentRevisionNumber;
    }

    /**
     * Highest revision number allocated so far.
     *
     * @return highest revision number allocated so far
     */
    public int lastRevisionNumber() {
        return lastRevisionNumber;
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
     * When it was soft-deleted, or {@code null}.
     *
     * @return when it was soft-deleted, or {@code null}
     */
    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    /**
     * The revision in use, or empty before the first publish.
     *
     * @return the current revision's id, or empty before the first publish
     */
    public Optional<UUID> currentRevision() {
        return Optional.ofNullable(currentRevisionId);
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
        if (!(o instanceof Assistant that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(slug, that.slug)
            && Objects.equals(name, that.name)
            && Objects.equals(description, that.description)
            && active == that.active
            && isPublic == that.isPublic
            && Objects.equals(owner, that.owner)
            && Objects.equals(defaultModel, that.defaultModel)
            && Objects.equals(temperature, that.temperature)
            && Objects.equals(topP, that.topP)
            && Objects.equals(maxOutputTokens, that.maxOutputTokens)
            && Objects.equals(tools, that.tools)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(currentRevisionId, that.currentRevisionId)
            && currentRevisionNumber == that.currentRevisionNumber
            && lastRevisionNumber == that.lastRevisionNumber
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(deletedAt, that.deletedAt)
            && version == that.version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, slug, name, description, active, isPublic, owner, defaultModel, temperature, topP, maxOutputTokens, tools, metadata, currentRevisionId, currentRevisionNumber, lastRevisionNumber, createdAt, updatedAt, deletedAt, version);
    }

    @Override
    public String toString() {
        return "Assistant[id=" + id + ", tenantId=" + tenantId + ", slug=" + slug + ", name=" + name + ", description=" + description + ", active=" + active + ", isPublic=" + isPublic + ", owner=" + owner + ", defaultModel=" + defaultModel + ", temperature=" + temperature + ", topP=" + topP + ", maxOutputTokens=" + maxOutputTokens + ", tools=" + tools + ", metadata=" + metadata + ", currentRevisionId=" + currentRevisionId + ", currentRevisionNumber=" + currentRevisionNumber + ", lastRevisionNumber=" + lastRevisionNumber + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", deletedAt=" + deletedAt + ", version=" + version + "]";
    }
}
