package dev.atlas.asset;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored file: its bytes live in the {@link BlobStore} under {@code blobKey}; open them with
 * {@link AssetStore#open(UUID)}.
 */
public final class Asset {
    private final UUID id;
    private final String tenantId;
    private final AssetType type;
    private final @Nullable String mimeType;
    private final String filename;
    private final String blobKey;
    private final long sizeBytes;
    private final String sha256;
    private final @Nullable Owner owner;
    private final @Nullable String agent;
    private final @Nullable UUID executionId;
    private final @Nullable UUID toolCallId;
    private final @Nullable String description;
    private final Map<String, Object> metadata;
    private final Instant createdAt;
    private final Instant updatedAt;
    private final @Nullable Instant deletedAt;
    private final @Nullable String clientKey;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param type the type
     * @param mimeType the mime type
     * @param filename the filename
     * @param blobKey the blob key
     * @param sizeBytes the size bytes
     * @param sha256 lowercase hex SHA-256 of the bytes
     * @param owner the owner
     * @param agent the agent
     * @param executionId the execution id
     * @param toolCallId the tool call id
     * @param description the description
     * @param metadata the metadata
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param deletedAt the deleted at
     */
    public Asset(
            UUID id,
            String tenantId,
            AssetType type,
            @Nullable String mimeType,
            String filename,
            String blobKey,
            long sizeBytes,
            String sha256,
            @Nullable Owner owner,
            @Nullable String agent,
            @Nullable UUID executionId,
            @Nullable UUID toolCallId,
            @Nullable String description,
            Map<String, Object> metadata,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt) {
        this(id, tenantId, type, mimeType, filename, blobKey, sizeBytes, sha256, owner, agent, executionId, toolCallId, description,
                metadata, createdAt, updatedAt, deletedAt, null);
    }

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param type the type
     * @param mimeType the mime type
     * @param filename the filename
     * @param blobKey the blob key
     * @param sizeBytes the size bytes
     * @param sha256 lowercase hex SHA-256 of the bytes
     * @param owner the owner
     * @param agent the agent
     * @param executionId the execution id
     * @param toolCallId the tool call id
     * @param description the description
     * @param metadata the metadata
     * @param createdAt the created at
     * @param updatedAt the updated at
     * @param deletedAt the deleted at
     * @param clientKey the application's key for the upload, or {@code null}
     */
    public Asset(
            UUID id,
            String tenantId,
            AssetType type,
            @Nullable String mimeType,
            String filename,
            String blobKey,
            long sizeBytes,
            String sha256,
            @Nullable Owner owner,
            @Nullable String agent,
            @Nullable UUID executionId,
            @Nullable UUID toolCallId,
            @Nullable String description,
            Map<String, Object> metadata,
            Instant createdAt,
            Instant updatedAt,
            @Nullable Instant deletedAt,
            @Nullable String clientKey) {
        this.id = id;
        this.tenantId = tenantId;
        this.type = type;
        this.mimeType = mimeType;
        this.filename = filename;
        this.blobKey = blobKey;
        this.sizeBytes = sizeBytes;
        this.sha256 = sha256;
        this.owner = owner;
        this.agent = agent;
        this.executionId = executionId;
        this.toolCallId = toolCallId;
        this.description = description;
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
        this.deletedAt = deletedAt;
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
     * The type.
     *
     * @return the type
     */
    public AssetType type() {
        return type;
    }

    /**
     * The mime type.
     *
     * @return the mime type
     */
    public @Nullable String mimeType() {
        return mimeType;
    }

    /**
     * The filename.
     *
     * @return the filename
     */
    public String filename() {
        return filename;
    }

    /**
     * The blob key.
     *
     * @return the blob key
     */
    public String blobKey() {
        return blobKey;
    }

    /**
     * The size bytes.
     *
     * @return the size bytes
     */
    public long sizeBytes() {
        return sizeBytes;
    }

    /**
     * Lowercase hex SHA-256 of the bytes.
     *
     * @return lowercase hex SHA-256 of the bytes
     */
    public String sha256() {
        return sha256;
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
     * The agent.
     *
     * @return the agent
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The execution id.
     *
     * @return the execution id
     */
    public @Nullable UUID executionId() {
        return executionId;
    }

    /**
     * The tool call id.
     *
     * @return the tool call id
     */
    public @Nullable UUID toolCallId() {
        return toolCallId;
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
     * The metadata.
     *
     * @return the metadata
     */
    public Map<String, Object> metadata() {
        return metadata;
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
     * The deleted at.
     *
     * @return the deleted at
     */
    public @Nullable Instant deletedAt() {
        return deletedAt;
    }

    /**
     * The application's key it was created with ({@link NewAsset#clientKey(String)}), or {@code null}.
     *
     * @return the key, or {@code null}
     */
    public @Nullable String clientKey() {
        return clientKey;
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
        if (!(o instanceof Asset that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(type, that.type)
            && Objects.equals(mimeType, that.mimeType)
            && Objects.equals(filename, that.filename)
            && Objects.equals(blobKey, that.blobKey)
            && sizeBytes == that.sizeBytes
            && Objects.equals(sha256, that.sha256)
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(toolCallId, that.toolCallId)
            && Objects.equals(description, that.description)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt)
            && Objects.equals(deletedAt, that.deletedAt)
            && Objects.equals(clientKey, that.clientKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, type, mimeType, filename, blobKey, sizeBytes, sha256, owner, agent, executionId, toolCallId, description, metadata, createdAt, updatedAt, deletedAt, clientKey);
    }

    @Override
    public String toString() {
        return "Asset[id=" + id + ", tenantId=" + tenantId + ", type=" + type + ", mimeType=" + mimeType + ", filename=" + filename + ", blobKey=" + blobKey + ", sizeBytes=" + sizeBytes + ", sha256=" + sha256 + ", owner=" + owner + ", agent=" + agent + ", executionId=" + executionId + ", toolCallId=" + toolCallId + ", description=" + description + ", metadata=" + metadata + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + ", deletedAt=" + deletedAt + ", clientKey=" + clientKey + "]";
    }
}
